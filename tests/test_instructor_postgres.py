"""The gradebook on a real PostgreSQL server (nbgrader's db_url), started here and thrown away.

Skips, saying why, when the PostgreSQL server binaries (initdb, pg_ctl) or the
psycopg driver are missing. As root, the server runs as `nobody` (PostgreSQL
refuses to run as root); it listens only on a Unix socket in a temporary folder.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import instructor_tools as it
from cnnlab.grade import autograde as ag
from cnnlab.grade import report
from needs import require_sandbox, unavailable

pytestmark = pytest.mark.nbgrader


def _pg_bin() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(candidates[-1]).parent if candidates else None


@pytest.fixture(scope="module")
def pg_url():
    bindir = _pg_bin()
    if bindir is None:
        unavailable("PostgreSQL server binaries (initdb, pg_ctl) not found: apt-get install postgresql")
    try:
        import psycopg  # noqa: F401  (the driver nbgrader's PostgreSQL URL loads)
    except ImportError:
        unavailable("the psycopg driver is not installed: pip install 'psycopg[binary]'")
    root = Path(tempfile.mkdtemp(prefix="cnnlab-pg-"))
    os.chmod(root, 0o755)
    user = {}
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        os.chown(root, nobody.pw_uid, nobody.pw_gid)
        user = {"user": nobody.pw_uid, "group": nobody.pw_gid}
    data, sock = root / "data", root
    env = {**os.environ, "LC_ALL": "C"}
    subprocess.run([bindir / "initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8"],
                   check=True, capture_output=True, env=env, cwd=root, **user)
    subprocess.run([bindir / "pg_ctl", "-D", data, "-l", root / "log", "-w", "-o",
                    f"-k {sock} -c listen_addresses='' -c fsync=off", "start"],
                   check=True, capture_output=True, env=env, cwd=root, **user)
    try:
        yield f"postgresql+psycopg://postgres@/postgres?host={sock}"
    finally:
        subprocess.run([bindir / "pg_ctl", "-D", data, "-m", "immediate", "stop"], capture_output=True,
                       env=env, cwd=root, **user)
        shutil.rmtree(root, ignore_errors=True)


def test_grade_into_postgresql(pg_url, tmp_path):
    require_sandbox()
    course = it.tiny_course(tmp_path, **{"CourseDirectory.db_url": pg_url})
    released = course / "release" / it.TINY / f"{it.TINY}.ipynb"
    it.write_submission(course / "submitted" / "alice" / it.TINY, it.TINY, it.answered(released, it.RIGHT))
    it.write_submission(course / "submitted" / "bob" / it.TINY, it.TINY,
                        it.answered(released, {**it.RIGHT, "mul": it.WRONG_MUL}))
    out = {o.student: o.score for o in ag.autograde(course, db_url=pg_url, jobs=2, progress=False)}
    assert out == {"alice": 3, "bob": 1}
    assert not (course / "gradebook.db").exists()  # everything went to PostgreSQL
    paths = report.write_report(course, tmp_path / "reports", db_url=pg_url)
    rows = paths["grades.csv"].read_text().splitlines()[1:]
    assert sorted(r.split(",")[3] + ":" + r.split(",")[-2] for r in rows) == ["alice:3.0", "bob:1.0"]
