"""Check the capstone's budget: re-train the leaderboard's top entries from their notebooks.

A capstone's training log is written by the student's own kernel, so its CPU time is
self-reported. ``cnnlab grade retrain 11_capstone --top 5`` takes the best entries of the
leaderboard (:mod:`cnnlab.grade.leaderboard`) and, for each, runs the *released* notebook
with the student's answer cells put in (so the given training cell, with its budget callback,
is the course's own), in full mode (not the autograder's fast mode), in the grading sandbox,
starting without the submitted model. It scores the re-trained model on the held-out images in
this process, as the grader does, and writes ``retrain.csv``: submitted and re-trained
accuracy and CPU time side by side, and a flag where the re-trained accuracy falls short.

The re-trained model leaves the sandbox as the output of one cell appended to the notebook
(base64), since the sandbox's files vanish with it. ``CNNLAB_CAPSTONE_BUDGET`` (seconds) shrinks
the budget the kernel trains with; the course's tests use it to re-train in seconds.
"""

from __future__ import annotations

import base64
import csv
import json
import os
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat

from cnnlab import capstone as rules

from . import grading, leaderboard
from .course import Course

FILE = "retrain.csv"
MARK = "CNNLAB-RETRAINED "
# Re-training is random (thread scheduling, a different machine): a shortfall up to this much is noise.
TOLERANCE = 0.05
PROBE = (
    "import base64 as _b64, json as _json, pathlib as _pl\n"
    f"print({MARK!r} + _json.dumps({{'log': _json.loads(_pl.Path({rules.LOG_FILE!r}).read_text()),\n"
    f"      'model': _b64.b64encode(_pl.Path({rules.MODEL_FILE!r}).read_bytes()).decode('ascii')}}))"
)
FIELDS = ["rank", "student_id", "submitted_accuracy", "retrained_accuracy", "submitted_cpu_seconds",
          "retrained_cpu_seconds", "retrained_epochs", "budget_seconds", "verdict"]


@dataclass
class Retrained:
    """One re-trained leaderboard entry."""

    entry: leaderboard.Entry
    accuracy: float | None = None       # of the re-trained model, held-out images
    cpu_seconds: float | None = None    # as the re-trained run logged it
    epochs: int | None = None
    budget: float | None = None
    problem: str = ""                   # why it could not be re-trained, if it could not

    @property
    def verdict(self) -> str:
        if self.problem:
            return f"not re-trained: {self.problem}"
        if self.accuracy is not None and self.accuracy < self.entry.accuracy - TOLERANCE:
            return (f"re-trained {self.accuracy:.1%} < submitted {self.entry.accuracy:.1%}: "
                    "the submitted model was not trained within the budget by this notebook")
        return "confirmed"


def runnable_notebook(released: Path, submitted: Path) -> nbformat.NotebookNode:
    """The released notebook with the submission's answer cells (by grade_id), outputs cleared, probe appended."""
    answers = grading.answer_cells(nbformat.read(submitted, as_version=4))
    nb = nbformat.read(released, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if cell.metadata.get("nbgrader", {}).get("solution") and gid in answers:
            cell.source = answers[gid]
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nb.cells.append(nbformat.v4.new_code_cell(PROBE))
    return nb


@contextmanager
def _full_mode():
    """The kernel inherits this environment: not the autograder, not fast mode."""
    saved = {k: os.environ.pop(k) for k in ("NBGRADER_EXECUTION", "CNNLAB_FAST") if k in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


def run(nb: nbformat.NotebookNode, folder: Path, *, sandbox: bool, cell_timeout: int, memory_mb: int) -> dict:
    """Execute ``nb`` in ``folder`` (sandboxed), return the probe's ``{"log", "model"}`` or ``{"problem"}``."""
    from traitlets.config import Config

    from .sandbox import GuardedExecute

    config = Config({"SandboxKernelManager": {"memory_mb": memory_mb, "cpu_seconds": 3 * cell_timeout}})
    execute = GuardedExecute(config=config, sandbox=sandbox, timeout=cell_timeout,
                             submission_timeout=4 * cell_timeout, max_output_mb=64)
    with _full_mode():
        execute.preprocess(nb, {"metadata": {"path": str(folder)}})
    text = "".join(o.get("text", "") for o in nb.cells[-1].get("outputs", []) if o.get("output_type") == "stream")
    for line in text.splitlines():
        if line.startswith(MARK):
            try:
                return json.loads(line[len(MARK):])
            except ValueError:
                return {"problem": "the notebook's output could not be read"}
    errors = [f"cell {i}: {o.get('ename')}: {str(o.get('evalue'))[:200]}" for i, c in enumerate(nb.cells)
              if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    return {"problem": errors[0] if errors else "the notebook wrote no trained model"}


def retrain_one(course: Course, entry: leaderboard.Entry, *, sandbox: bool, cell_timeout: int,
                memory_mb: int) -> Retrained:
    """Re-train one entry and score the result on the held-out images (in this process)."""
    from cnnlab.checks.capstone import evaluate_capstone

    out = Retrained(entry)
    released = course.release(entry.assignment) / f"{entry.assignment}.ipynb"
    submitted = course.submitted(entry.student, entry.assignment) / f"{entry.assignment}.ipynb"
    if not submitted.is_file():
        out.problem = f"no submitted notebook {submitted.name}"
        return out
    with tempfile.TemporaryDirectory(prefix="cnnlab-retrain-") as tmp:
        folder = Path(tmp)
        got = run(runnable_notebook(released, submitted), folder, sandbox=sandbox, cell_timeout=cell_timeout,
                  memory_mb=memory_mb)
        if "problem" in got:
            out.problem = got["problem"]
            return out
        try:
            (folder / rules.MODEL_FILE).write_bytes(base64.b64decode(got["model"], validate=True))
            log = got["log"] if isinstance(got.get("log"), dict) else {}
            (folder / rules.LOG_FILE).write_text(json.dumps(log), encoding="utf-8")
        except (KeyError, TypeError, ValueError) as exc:
            out.problem = f"the notebook's output could not be read ({type(exc).__name__})"
            return out
        scored = evaluate_capstone(folder, "hidden")
    if scored.get("error"):
        out.problem = scored["error"]
        return out
    out.accuracy = scored["held_out_accuracy"]
    read = scored.get("log", {})
    out.cpu_seconds = leaderboard._number(read.get("cpu_seconds"))
    out.epochs = read.get("epochs") if isinstance(read.get("epochs"), int) else None
    out.budget = leaderboard._number(read.get("budget_seconds"))
    return out


def retrain(course_dir: Path, assignment: str, *, top: int = 5, db_url: str | None = None, sandbox: bool = True,
            cell_timeout: int = 900, memory_mb: int = 6144, out_dir: Path | None = None
            ) -> tuple[list[Retrained], Path]:
    """Re-train the ``top`` entries of ``assignment``'s leaderboard; write ``retrain.csv``; return the rows and its path.

    Raises:
        ValueError: the assignment has no leaderboard (not graded yet, or not an open exercise).
        cnnlab.grade.sandbox.SandboxUnavailable: ``sandbox`` and bubblewrap cannot run here.
    """
    if top < 1:
        raise ValueError("--top must be at least 1")
    course = Course(course_dir, db_url)
    board = [e for e in leaderboard.ranked(leaderboard.entries(course, [assignment])) if e.rank]
    if not board:
        raise ValueError(f"{assignment} has no leaderboard: no autograded notebook of it carries measures "
                         "(autograde it first; only open exercises such as the capstone have them)")
    if sandbox:
        from .sandbox import check_available

        check_available()
    rows = [retrain_one(course, e, sandbox=sandbox, cell_timeout=cell_timeout, memory_mb=memory_mb)
            for e in board[:top]]
    out_dir = Path(out_dir or course.root / "reports")
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / FILE
    fmt = (lambda v, spec: "" if v is None else format(v, spec))
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for r in rows:
            writer.writerow({"rank": r.entry.rank, "student_id": r.entry.student,
                             "submitted_accuracy": fmt(r.entry.accuracy, ".4f"),
                             "retrained_accuracy": fmt(r.accuracy, ".4f"),
                             "submitted_cpu_seconds": fmt(r.entry.cpu_seconds, ".1f"),
                             "retrained_cpu_seconds": fmt(r.cpu_seconds, ".1f"),
                             "retrained_epochs": "" if r.epochs is None else r.epochs,
                             "budget_seconds": fmt(r.budget, ".0f"), "verdict": r.verdict})
    return rows, path


def summary(rows: list[Retrained], path: Path) -> list[str]:
    """One line per re-trained entry, for the terminal."""
    lines = []
    for r in rows:
        cpu = "" if r.cpu_seconds is None else f", {r.cpu_seconds:.0f} CPU s (submitted " + (
            "?" if r.entry.cpu_seconds is None else f"{r.entry.cpu_seconds:.0f}") + ")"
        acc = "" if r.accuracy is None else f"re-trained {r.accuracy:.1%} vs submitted {r.entry.accuracy:.1%}{cpu}: "
        lines.append(f"#{r.entry.rank} {r.entry.student}: {acc}{r.verdict}")
    return lines + [f"wrote {path}"]
