"""The class leaderboard of an open exercise (the capstone), from the autograded notebooks.

The grader's judge (:mod:`cnnlab.grade.judge`) stores the measures of a check that scores a
submitted file, computed in its own process, in the autograded notebook's
``metadata.cnnlab.reports`` (``{exercise: {"accuracy", "public_accuracy", "cpu_seconds", "params"}}``).
:func:`write` ranks them, per assignment, by held-out accuracy (ties: less CPU time first) and
writes ``leaderboard.csv``; ``cnnlab grade report`` calls it. The flags repeat the capstone's
cheating signals for the instructor: a training log over the budget or missing, and two test
halves that disagree (:mod:`cnnlab.checks.capstone`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from cnnlab import capstone as rules
from cnnlab.checks import record

from .course import Course

FILE = "leaderboard.csv"
FIELDS = ["assignment", "exercise", "rank", "student_id", "accuracy", "public_accuracy", "params", "cpu_seconds",
          "flags"]


@dataclass
class Entry:
    """One student's measured model."""

    assignment: str
    exercise: str
    student: str
    accuracy: float | None           # on the held-out test images (the ranking); None: no measures
    public_accuracy: float | None
    params: int | None
    cpu_seconds: float | None        # as the student's training log says
    flags: list[str] = field(default_factory=list)
    rank: int = 0


def _number(value) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def flags(report: dict) -> list[str]:
    """What deserves the instructor's look in one report."""
    from cnnlab.checks.capstone import BUDGET_SLACK, MAX_GAP

    found = []
    cpu, acc, public = (_number(report.get(k)) for k in ("cpu_seconds", "accuracy", "public_accuracy"))
    if cpu is None:
        found.append("no CPU time logged")
    elif cpu > rules.BUDGET_SECONDS * BUDGET_SLACK:
        found.append(f"logged {cpu:.0f} CPU s, over the budget of {rules.BUDGET_SECONDS:.0f}")
    if acc is not None and public is not None and abs(acc - public) > MAX_GAP:
        found.append(f"held-out {acc:.1%} vs public {public:.1%}: trained on test images?")
    return found


# The judge stores a check's measures only when one of its cells passes: a model below every line has none.
UNMEASURED = "no measures: scored below every line, or its files could not be scored (see its grade)"


def entries(course: Course, assignments: list[str] | None = None) -> list[Entry]:
    """Every report of every autograded notebook of the course (unranked).

    A student of an assignment that has reports, whose notebook has none, gets an entry without
    accuracy (:data:`UNMEASURED`), listed after the ranked ones.
    """
    found, unmeasured = [], []
    for student, aid in course.submissions(assignments):
        for path in sorted(course.autograded(student, aid).glob("*.ipynb")):
            try:
                meta = nbformat.read(path, as_version=4).metadata.get("cnnlab", {})
                reports = {k: record.decode(v) for k, v in meta.get("reports", {}).items()}
            except (OSError, ValueError, TypeError, AttributeError):
                continue  # an unreadable notebook has no place on the board; the report lists it elsewhere
            if not reports:
                unmeasured.append((aid, student))
            for exercise, report in reports.items():
                acc = _number(report.get("accuracy")) if isinstance(report, dict) else None
                if acc is None:
                    continue
                params = _number(report.get("params"))
                found.append(Entry(aid, exercise, student, acc, _number(report.get("public_accuracy")),
                                   None if params is None else int(params), _number(report.get("cpu_seconds")),
                                   flags(report)))
    for aid, student in unmeasured:
        for exercise in sorted({e.exercise for e in found if e.assignment == aid}):
            found.append(Entry(aid, exercise, student, None, None, None, None, [UNMEASURED]))
    return found


def ranked(found: list[Entry]) -> list[Entry]:
    """Per assignment and exercise, best held-out accuracy first (ties: less CPU time), ``rank`` set; then the
    entries without measures (rank 0)."""
    out = []
    for key in sorted({(e.assignment, e.exercise) for e in found}):
        group = [e for e in found if (e.assignment, e.exercise) == key]
        board = sorted((e for e in group if e.accuracy is not None),
                       key=lambda e: (-e.accuracy, e.cpu_seconds if e.cpu_seconds is not None else float("inf"),
                                      e.student))
        for i, e in enumerate(board, 1):
            e.rank = i
        out += board + sorted((e for e in group if e.accuracy is None), key=lambda e: e.student)
    return out


def write(course: Course, out_dir: Path) -> dict[str, Path]:
    """Write ``leaderboard.csv`` in ``out_dir`` when any notebook has reports; return ``{name: path}``."""
    board = ranked(entries(course))
    if not board:
        return {}
    path = Path(out_dir) / FILE
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for e in board:
            writer.writerow({"assignment": e.assignment, "exercise": e.exercise, "rank": e.rank or "",
                             "student_id": e.student, "accuracy": "" if e.accuracy is None else f"{e.accuracy:.4f}",
                             "public_accuracy": "" if e.public_accuracy is None else f"{e.public_accuracy:.4f}",
                             "params": "" if e.params is None else e.params,
                             "cpu_seconds": "" if e.cpu_seconds is None else f"{e.cpu_seconds:.1f}",
                             "flags": "; ".join(e.flags)})
    return {FILE: path}
