"""One place that builds nbgrader's Python API for a course folder.

Both releasing (``cnnlab.release``) and grading (``cnnlab.grade``) drive
the real nbgrader through :class:`nbgrader.apps.NbGraderAPI`, which returns
``{"success", "error", "log"}`` and never raises: :func:`run` turns a failure
into an exception with nbgrader's own log.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path
from typing import Any, Callable

COURSE_ID = "cnnlab"


class NbgraderError(RuntimeError):
    """An nbgrader step failed; the message holds nbgrader's error and log."""


def _venv_bin_on_path() -> None:
    # nbgrader creates its database by running `alembic` as a subprocess, found
    # on PATH: without the interpreter's bin/ there, the first step fails.
    bindir = str(Path(sys.executable).parent)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")


def _alembic_head_in_process() -> None:
    # A new gradebook asks `alembic heads` for the schema version through a
    # subprocess (a second Python that imports nbgrader: seconds per gradebook).
    # Read the same head revision from nbgrader's migration scripts in process.
    import nbgrader.api
    from alembic.script import ScriptDirectory
    from nbgrader.dbutil import ALEMBIC_DIR

    if getattr(nbgrader.api.get_alembic_version, "_cnnlab", False):
        return
    head = ScriptDirectory(ALEMBIC_DIR).get_current_head()

    def get_alembic_version() -> str:
        return head

    get_alembic_version._cnnlab = True
    nbgrader.api.get_alembic_version = get_alembic_version


def db_config(db_url: str | None) -> dict:
    """nbgrader config for a gradebook URL (None: nbgrader's default, sqlite in the course folder)."""
    return {"CourseDirectory.db_url": db_url} if db_url else {}


def make_api(course_dir: Path, **config: Any):
    """An ``NbGraderAPI`` rooted at ``course_dir`` (``source/``, ``submitted/`` …).

    Extra ``config`` items are ``"Section.trait": value`` pairs, e.g.
    ``{"Execute.timeout": 60}``.
    """
    from nbgrader.apps import NbGraderAPI

    _venv_bin_on_path()
    _alembic_head_in_process()
    cfg = make_config(**config)
    cfg.CourseDirectory.root = str(course_dir)
    cfg.CourseDirectory.course_id = COURSE_ID
    cfg.Exchange.root = str(Path(course_dir) / "exchange")
    return NbGraderAPI(config=cfg)


def make_config(**items: Any):
    """A traitlets ``Config`` from ``"Section.trait": value`` pairs."""
    from traitlets.config import Config

    cfg = Config()
    for key, value in items.items():
        section, trait = key.split(".")
        setattr(cfg[section], trait, value)
    return cfg


def run(step: str, method: Callable[..., dict], *args: Any, **kwargs: Any) -> dict:
    """Call an ``NbGraderAPI`` method and raise :class:`NbgraderError` if it failed."""
    result = method(*args, **kwargs)
    if not result.get("success"):
        raise NbgraderError(f"nbgrader {step} failed:\n{result.get('error', '')}\n"
                            f"--- nbgrader log ---\n{result.get('log', '')}")
    return result


def nbgrader_error(result: dict) -> str:
    """The real error behind a failed ``NbGraderAPI`` call, e.g. ``KeyError: 'grade_id' (in ...)``.

    nbgrader logs the traceback of what went wrong and then raises its own
    "see the above traceback" exception; the log's last traceback is the cause.
    """
    log = (result.get("log") or "").splitlines()
    cause, where = "", ""
    for i, line in enumerate(log):
        if re.sub(r"^\[\w+\] ", "", line).startswith("Traceback (most recent call last)"):
            block = []
            for nxt in log[i + 1:]:
                if nxt.startswith("["):  # the next log record
                    break
                if nxt.strip():
                    block.append(nxt)
            if block:
                indent = min(len(b) - len(b.lstrip()) for b in block)
                cause = [b.strip() for b in block if len(b) - len(b.lstrip()) == indent][-1]
                frames = [b.strip() for b in block if b.strip().startswith("File ")]
                where = frames[-1] if frames else ""
    if not cause:  # no traceback: nbgrader's own error lines, without its "see above" boilerplate
        errors = [ln.split("]", 1)[-1].strip() for ln in log if ln.startswith("[ERROR]")]
        errors = [e for e in errors if "above traceback" not in e and not e.startswith("There was an error")]
        tb = [ln for ln in (result.get("error") or "").strip().splitlines() if ln.strip()]
        cause = (errors or tb or ["unknown error"])[-1].strip()
    if where:
        m = re.search(r'File "([^"]+)", line (\d+), in (\S+)', where)
        if m:
            where = f"{Path(m.group(1)).name}:{m.group(2)} in {m.group(3)}"
        cause = f"{cause} (at {where})"
    return cause[:400]
