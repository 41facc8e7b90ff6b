"""Grades and statistics for a graded course folder.

``write_report(course_dir, out_dir)`` writes:

* ``grades.csv`` -- nbgrader's own CSV export (``nbgrader export``'s format:
  one row per student and assignment, 0 for a missing submission);
* ``submissions.csv`` -- one row per submission: status (graded/rejected),
  score, the reason for a rejection, and *flags*: answer code that touches
  the grading machinery (IPython's history, frames, ``builtins``, files or
  processes) and deserves a look by a human, plus each
  construct :mod:`cnnlab.grade.static_rules` finds in the answer cells'
  syntax (``exec``/``eval``, ``__import__``, ``importlib``, ``sys.modules``,
  ``get_ipython()``, ``getattr`` with a computed name, ``cnnlab`` internals),
  named with its cell and line;
* ``exercises.csv`` -- per graded cell: submissions, mean score, share with
  full marks and with zero;
* ``written.csv`` -- every answer to a manually graded cell (the written
  questions): graded, to grade or blank, its score and the grader's comment
  (:mod:`cnnlab.grade.manual`); the terminal summary adds, per assignment,
  how many are graded and to grade and where the totals stand;
* ``progress.csv`` -- per assignment: submissions, written answers graded /
  to grade / blank, submissions complete, mean and maximum score so far;
* ``report.png`` -- the distribution of scores per assignment and the
  exercises students fail most;
* ``canvas_grades.csv``, ``moodle_grades.csv`` -- the totals per student and
  notebook in Canvas's and Moodle's grade-import formats (:mod:`cnnlab.grade.lms`);
* ``leaderboard.csv`` -- the capstone's class ranking by held-out accuracy (:mod:`cnnlab.grade.leaderboard`).
"""

from __future__ import annotations

import csv
import re
from dataclasses import asdict, dataclass
from pathlib import Path

import nbformat

from . import manual, nbgrader_api, static_rules
from .course import Course

# Answer code that can tamper with tests running in the same kernel, or reach outside it.
# Text patterns for what the syntax analysis (static_rules) does not name: it covers get_ipython(),
# the checks module and cnnlab internals, exec/eval, imports and sys.modules.
SUSPICIOUS = {
    "IPython internals": r"\b_ih\b|\bIn\[|\b__IPYTHON__",
    "frames or tracing": r"\b_getframe\b|\binspect\b|settrace|setprofile|\bf_back\b|f_globals",
    "builtins": r"\bbuiltins\b|__builtins__",
    "files or processes": r"\bsubprocess\b|\bos\.system\b|\bos\._exit\b|\bctypes\b|open\(\s*['\"]/|\bshutil\b|\bsocket\b",
    "signals": r"\bsignal\.signal\b",
}


@dataclass
class ExerciseStats:
    assignment: str
    grade_id: str
    max_score: float
    n: int
    mean: float
    full: int
    zero: int

    @property
    def mean_fraction(self) -> float:
        return self.mean / self.max_score if self.max_score else 0.0


def flags(submitted_nb: Path, released_nb: Path | None) -> list[str]:
    """What deserves a human's look in the code the student wrote (code cells that differ from the release).

    The SUSPICIOUS categories that occur, then ``"<notebook>: cell 5 (add), line 2: eval"``
    for each construct :func:`static_rules.notebook_findings` finds. Read from the
    submitted file in this process, never in the student's kernel.
    """
    try:
        nb = nbformat.read(submitted_nb, as_version=4)
    except Exception:
        return []
    released = None
    if released_nb and released_nb.exists():
        released = nbformat.read(released_nb, as_version=4)
    given = {c.source for c in released.cells} if released is not None else set()
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code" and c.source not in given)
    found = [name for name, pattern in SUSPICIOUS.items() if re.search(pattern, code)]
    return found + [f"{submitted_nb.name}: {f}" for f in static_rules.notebook_findings(nb, released)]


def exercise_stats(db_url: str) -> list[ExerciseStats]:
    from nbgrader.api import Gradebook

    stats = []
    with Gradebook(db_url, nbgrader_api.COURSE_ID) as gb:
        for assignment in gb.assignments:
            for notebook in assignment.notebooks:
                for cell in notebook.grade_cells:
                    scores = [g.score for g in cell.grades]
                    n = len(scores)
                    stats.append(ExerciseStats(
                        assignment.name, cell.name, cell.max_score, n,
                        sum(scores) / n if n else 0.0,
                        sum(1 for s in scores if s >= cell.max_score), sum(1 for s in scores if s <= 0)))
    return stats


def submission_rows(course: Course) -> list[dict]:
    """One row per submission: status, score, rejection reason, flags."""
    from nbgrader.api import Gradebook, MissingEntry

    state = course.load_state()
    rows = []
    with Gradebook(course.db_url, nbgrader_api.COURSE_ID) as gb:
        for student, aid in course.submissions():
            entry = state.get(f"{student}/{aid}", {})
            try:
                sub = gb.find_submission(aid, student)
                score, max_score = sub.score, sub.max_score
            except MissingEntry:
                score, max_score = None, None
            found = list(entry.get("flags", []))
            for nb in sorted(course.submitted(student, aid).glob("*.ipynb")):
                found += flags(nb, course.release(aid) / nb.name)
            rows.append({"student_id": student, "assignment": aid,
                         "status": entry.get("status", "not graded") if score is not None else "not graded",
                         "score": score, "max_score": max_score, "reason": entry.get("reason", ""),
                         "flags": "; ".join(sorted(set(found)))})
    return rows


def write_report(course_dir: Path, out_dir: Path | None = None, db_url: str | None = None,
                 roster: Path | None = None) -> dict[str, Path]:
    """Write grades.csv, submissions.csv, exercises.csv, report.png and the LMS files; return their paths.

    ``roster``: the CSV that maps student ids to LMS ids (see ``cnnlab.grade.lms``); default
    nbgrader's student table.
    """
    from nbgrader.api import Gradebook
    from nbgrader.plugins import CsvExportPlugin

    course = Course(course_dir, db_url)
    out_dir = Path(out_dir or course.root / "reports")
    out_dir.mkdir(parents=True, exist_ok=True)
    url = course.db_url
    paths = {name: out_dir / name for name in ("grades.csv", "submissions.csv", "exercises.csv", "written.csv",
                                               "progress.csv", "report.png")}
    with Gradebook(url, nbgrader_api.COURSE_ID) as gb:
        CsvExportPlugin(to=str(paths["grades.csv"])).export(gb)

    rows = submission_rows(course)
    with open(paths["submissions.csv"], "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["student_id", "assignment", "status", "score", "max_score",
                                               "reason", "flags"])
        writer.writeheader()
        writer.writerows(rows)

    stats = exercise_stats(url)
    with open(paths["exercises.csv"], "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["assignment", "grade_id", "max_score", "submissions", "mean_score", "mean_fraction",
                         "full_marks", "zero"])
        for s in stats:
            writer.writerow([s.assignment, s.grade_id, s.max_score, s.n, f"{s.mean:.3f}",
                             f"{s.mean_fraction:.3f}", s.full, s.zero])
    with open(paths["written.csv"], "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["assignment", "student_id", "notebook", "grade_id", "max_score", "status", "score", "comment"])
        for a in manual.written_answers(url):
            writer.writerow([a.assignment, a.student, a.notebook, a.grade_id, a.max_score, a.status, a.score,
                             a.comment])
    with open(paths["progress.csv"], "w", newline="") as f:
        fields = list(manual.AssignmentProgress.__dataclass_fields__)
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(asdict(r) for r in manual.progress(url))
    plot(rows, stats, paths["report.png"])

    # Grade-import files for Canvas and Moodle (cnnlab.grade.lms).
    from . import lms

    paths.update(lms.write_lms_files(course_dir, out_dir, url, roster).paths)
    from . import leaderboard  # the capstone's class leaderboard, where notebooks carry its measures

    paths.update(leaderboard.write(course, out_dir))
    return paths


def plot(rows: list[dict], stats: list[ExerciseStats], path: Path, worst: int = 10) -> None:
    """Left: score distribution per assignment. Right: the exercises with the lowest mean score."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5), gridspec_kw={"width_ratios": [1, 1.2]})
    by_assignment: dict[str, list[float]] = {}
    for r in rows:
        if r["score"] is not None and r["max_score"]:
            by_assignment.setdefault(r["assignment"], []).append(100 * r["score"] / r["max_score"])
    if by_assignment:
        names = sorted(by_assignment)
        left.hist([by_assignment[n] for n in names], bins=[0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100.001],
                  label=[f"{n} (n={len(by_assignment[n])})" for n in names], stacked=True)
        left.legend(fontsize=8)
    from matplotlib.ticker import MaxNLocator

    left.yaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_title("Score distribution")
    left.set_xlabel("score (% of the assignment's points)")
    left.set_ylabel("submissions")

    seen = [s for s in stats if s.n]
    hardest = sorted(seen, key=lambda s: (s.mean_fraction, -s.n))[:worst][::-1]
    labels = [f"{s.assignment}/{s.grade_id}" for s in hardest]
    right.barh(labels, [100 * s.mean_fraction for s in hardest], color="tab:red")
    for y, s in enumerate(hardest):
        right.text(100 * s.mean_fraction + 1, y, f"{100 * s.zero / s.n:.0f}% scored 0", va="center", fontsize=8)
    right.set_xlim(0, 115)
    right.set_title(f"Most-failed exercises (lowest mean, {len(hardest)} of {len(seen)})")
    right.set_xlabel("mean score (% of the exercise's points)")
    right.tick_params(axis="y", labelsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def summary(paths: dict[str, Path]) -> list[str]:
    """A few lines for the terminal: counts per status and the five hardest exercises."""
    with open(paths["submissions.csv"]) as f:
        rows = list(csv.DictReader(f))
    with open(paths["exercises.csv"]) as f:
        ex = sorted(csv.DictReader(f), key=lambda r: float(r["mean_fraction"]))
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["status"]] = counts.get(r["status"], 0) + 1
    lines = ["submissions: " + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))]
    lines += [f"  rejected {r['student_id']}/{r['assignment']}: {r['reason']}" for r in rows if r["status"] == "rejected"]
    lines += [f"  review {r['student_id']}/{r['assignment']}: {r['flags']}" for r in rows if r["flags"]]
    lines += ["hardest exercises: " + ", ".join(f"{r['assignment']}/{r['grade_id']} {100 * float(r['mean_fraction']):.0f}%"
                                                for r in ex[:5] if int(r["submissions"]))]
    if paths.get("progress.csv") and paths["progress.csv"].exists():
        with open(paths["progress.csv"]) as f:
            lines += manual.summary_lines([manual.AssignmentProgress(
                r["assignment"], int(r["submissions"]), int(r["graded"]), int(r["to_grade"]), int(r["blank"]),
                int(r["complete"]), float(r["mean_score"]), float(r["max_score"])) for r in csv.DictReader(f)])
    lines += [f"wrote {p}" for p in paths.values()]
    return lines
