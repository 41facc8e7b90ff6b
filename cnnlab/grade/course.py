"""The course folder as nbgrader lays it out, and what cnnlab keeps beside it.

Every path comes from nbgrader's :class:`~nbgrader.coursedir.CourseDirectory`
(``source/<assignment>/``, ``submitted/<student>/<assignment>/``, ``autograded/…``,
``feedback/…``, the gradebook URL), so a course with its own ``directory_structure``
or ``db_url`` is read the same way nbgrader reads it. cnnlab's own state,
``<course>/.cnnlab/autograde.json``, holds one entry per graded submission: its status
(graded/rejected), score, the reason of a rejection, flags for a human, and the
fingerprint of the files it was graded from (so that a re-run grades only new or
changed submissions).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import nbformat

from . import nbgrader_api
from .collect import student_id_problem

STATE_DIR = ".cnnlab"
STATE_FILE = "autograde.json"
MB = 1024 * 1024


def regular_files(folder: Path) -> list[Path]:
    """Every plain file under ``folder`` (no links), sorted."""
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.is_symlink())


class Course:
    """An nbgrader course folder (``root``) and its gradebook (``db_url``; None: sqlite in the folder)."""

    def __init__(self, root: Path, db_url: str | None = None, **config):
        self.root = Path(root).resolve()
        self.api = nbgrader_api.make_api(self.root, **nbgrader_api.db_config(db_url), **config)
        self.dirs = self.api.coursedir
        self.db_url = self.dirs.db_url

    def path(self, step: str, student: str, assignment: str) -> Path:
        """A folder of nbgrader's layout, e.g. ``path("submitted", "alice", "01_knn")``."""
        return Path(os.path.normpath(self.dirs.format_path(step, student, assignment)))

    def source(self, assignment: str) -> Path:
        return self.path(self.dirs.source_directory, ".", assignment)

    def release(self, assignment: str) -> Path:
        return self.path(self.dirs.release_directory, ".", assignment)

    def submitted(self, student: str, assignment: str) -> Path:
        return self.path(self.dirs.submitted_directory, student, assignment)

    def autograded(self, student: str, assignment: str) -> Path:
        return self.path(self.dirs.autograded_directory, student, assignment)

    def feedback(self, student: str, assignment: str) -> Path:
        return self.path(self.dirs.feedback_directory, student, assignment)

    # ------------------------------------------------------------ submissions

    def _students(self) -> list[Path]:
        top = self.submitted("*", "*").parent.parent
        if not top.is_dir():
            return []
        return sorted(p for p in top.iterdir() if p.is_dir() and not p.is_symlink())

    def submissions(self, assignments: list[str] | None = None,
                    students: list[str] | None = None) -> list[tuple[str, str]]:
        """(student, assignment) of every submission folder with a usable student id, sorted."""
        found = []
        for sdir in self._students():
            if (students and sdir.name not in students) or student_id_problem(sdir.name):
                continue  # a folder that is no student id never reaches the gradebook: see invalid_folders
            for adir in sorted(p for p in sdir.iterdir() if p.is_dir() and not p.is_symlink()):
                if not assignments or adir.name in assignments:
                    found.append((sdir.name, adir.name))
        return found

    def invalid_folders(self) -> list[tuple[str, str]]:
        """(folder name, why) of each submission folder whose name is not a usable student id."""
        return [(p.name, student_id_problem(p.name)) for p in self._students() if student_id_problem(p.name)]

    def fingerprint(self, student: str, assignment: str) -> str:
        """A hash of a submission's files and of its assignment's source folder."""
        h = hashlib.sha256()
        for root in (self.submitted(student, assignment), self.source(assignment)):
            for path in regular_files(root):
                h.update(str(path.relative_to(root)).encode() + b"\0")
                with open(path, "rb") as f:
                    for block in iter(lambda: f.read(1 << 20), b""):
                        h.update(block)
                h.update(b"\0")
            h.update(b"\1")
        return h.hexdigest()

    def kernel_names(self, assignments: list[str]) -> list[str]:
        """The kernels the assignments' source notebooks run in (nbgrader restores these)."""
        names = set()
        for aid in assignments:
            for nb in sorted(self.source(aid).glob("*.ipynb")):
                try:
                    names.add(nbformat.read(nb, as_version=4).metadata.get("kernelspec", {}).get("name") or "python3")
                except Exception:  # an unreadable source notebook fails later, in nbgrader, with its reason
                    names.add("python3")
        return sorted(names) or ["python3"]

    # ------------------------------------------------------------ cnnlab's state

    @property
    def state_path(self) -> Path:
        return self.root / STATE_DIR / STATE_FILE

    def load_state(self) -> dict:
        """``"student/assignment"`` → what the last autograde recorded for it."""
        return json.loads(self.state_path.read_text()) if self.state_path.exists() else {}

    def save_state(self, state: dict) -> None:
        self.state_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
        os.replace(tmp, self.state_path)


def load_state(course_dir: Path) -> dict:
    """The state of a course folder with nbgrader's default layout (see :class:`Course`)."""
    path = Path(course_dir) / STATE_DIR / STATE_FILE
    return json.loads(path.read_text()) if path.exists() else {}
