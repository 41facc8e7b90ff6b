"""Grading through a real Dask scheduler with two workers on 127.0.0.1, one killed mid-run.

The scores must equal local grading of the same class, every submission must be merged
into the gradebook exactly once, and the killed worker's tasks must be finished by the other.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import instructor_tools as it
from cnnlab.grade import autograde as ag
from cnnlab.grade.course import load_state
from needs import require_sandbox

pytestmark = pytest.mark.nbgrader
BIN = Path(sys.executable).parent
LIMITS = ag.Limits(cell_timeout=20, submission_timeout=120, memory_mb=2048, threads=1)
SLOW = "import time\ntime.sleep(4)\n"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "PYTHONWARNINGS": "ignore"}
    return subprocess.Popen([str(BIN / "dask"), *args], stdout=open(log, "w"), stderr=subprocess.STDOUT,
                            env=env, start_new_session=True)


@pytest.fixture()
def cluster(tmp_path):
    require_sandbox()
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    procs = {"scheduler": _start(["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                                 tmp_path / "scheduler.log")}
    for name in ("w1", "w2"):
        procs[name] = _start(["worker", address, "--name", name, "--nthreads", "1", "--no-nanny",
                              "--host", "127.0.0.1", "--no-dashboard"], tmp_path / f"{name}.log")
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(2, timeout=120)
    yield address, procs
    for proc in procs.values():
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
    for proc in procs.values():
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _class(course: Path) -> None:
    released = course / "release" / it.TINY / f"{it.TINY}.ipynb"
    answers = {"right": it.RIGHT, "partial": {**it.RIGHT, "mul": it.WRONG_MUL}, "blank": {}}
    for i in range(2):
        for kind, given in answers.items():
            slow = {**given, "add": SLOW + given.get("add", "")} if given else given
            it.write_submission(course / "submitted" / f"{kind}{i}" / it.TINY, it.TINY, it.answered(released, slow))


def test_grade_through_dask_with_a_worker_killed(cluster, tmp_path):
    address, procs = cluster
    course = it.tiny_course(tmp_path)
    _class(course)
    local = tmp_path / "local"
    shutil.copytree(course, local)

    done: dict = {}
    thread = threading.Thread(target=lambda: done.update(
        out=ag.autograde(course, limits=LIMITS, scheduler=address, progress=False)))
    thread.start()
    # Kill worker 1 as soon as the first result is in the gradebook: it is busy with another.
    deadline = time.monotonic() + 300
    while not load_state(course) and time.monotonic() < deadline and thread.is_alive():
        time.sleep(0.2)
    merged_at_kill = len(load_state(course))
    os.killpg(procs["w1"].pid, signal.SIGKILL)
    thread.join(timeout=600)
    assert not thread.is_alive()
    assert 1 <= merged_at_kill < 6, merged_at_kill  # killed mid-run

    outcomes = done["out"]
    assert sorted(o.student for o in outcomes) == sorted(f"{k}{i}" for k in ("right", "partial", "blank")
                                                         for i in range(2))  # each merged once
    assert all(o.status == "graded" for o in outcomes), [(o.student, o.reason) for o in outcomes]
    expected = {o.student: o.score for o in ag.autograde(local, limits=LIMITS, jobs=2, progress=False)}
    assert {o.student: o.score for o in outcomes} == expected
    assert expected == {"right0": 3, "right1": 3, "partial0": 1, "partial1": 1, "blank0": 0, "blank1": 0}

    import sqlite3

    con = sqlite3.connect(course / "gradebook.db")
    assert con.execute("SELECT COUNT(*) FROM submitted_assignment").fetchone()[0] == 6
    assert con.execute("SELECT COUNT(*) FROM grade").fetchone()[0] == 12
    con.close()
