"""Helpers the tests use to read solution notebooks and build simulated submissions."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import nbformat

from cnnlab.grade import grading

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
NOTEBOOKS = ROOT / "notebooks"
MUTANTS = Path(__file__).resolve().parent / "mutants"

MARKER = re.compile(r"^\s*### (BEGIN|END) SOLUTION\s*\n", re.M)


def solution_ids() -> list[str]:
    return sorted(p.stem for p in SOLUTIONS.glob("*.ipynb"))


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def nbgrader_meta(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


solution_cells = grading.answer_cells


def test_cells(nb) -> dict[str, dict]:
    """grade_id → {"source", "points"} of every graded test cell."""
    return {nbgrader_meta(c)["grade_id"]: {"source": c.source, "points": nbgrader_meta(c)["points"]}
            for c in nb.cells if nbgrader_meta(c).get("grade") and c.cell_type == "code"}


def manual_points(path: Path) -> float:
    """Points of a notebook's manually graded answers (written questions): a grader gives them, not nbgrader."""
    return sum(nbgrader_meta(c)["points"] for c in read(path).cells
               if nbgrader_meta(c).get("grade") and nbgrader_meta(c).get("solution"))


def strip_markers(source: str) -> str:
    """A student's answer: the solution without nbgrader's BEGIN/END markers."""
    return MARKER.sub("", source)


def _mutants_module(assignment_id: str):
    path = MUTANTS / f"m{assignment_id}.py"
    if not path.exists():  # test_every_exercise_has_a_mutant reports it
        return None
    spec = importlib.util.spec_from_file_location(f"mutants_{assignment_id}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mutants(assignment_id: str) -> dict[str, list[dict]]:
    """The plausible wrong answers for one notebook: tests/mutants/m<id>.py's MUTANTS."""
    return getattr(_mutants_module(assignment_id), "MUTANTS", {})


def prelude(assignment_id: str) -> str:
    """Code the answer cells need before they run outside the notebook (its PRELUDE, or nothing)."""
    return getattr(_mutants_module(assignment_id), "PRELUDE", "")


def filled_submission(released: Path, solution: Path, out: Path, overrides: dict[str, str] | None = None) -> Path:
    """The released notebook with every answer cell filled in, as a student would.

    Answers come from the solution notebook (a written question gets its model answer); ``overrides`` maps a grade_id to other
    source (a plausible wrong answer). Outputs are cleared, as in a fresh submission.
    """
    from cnnlab import questions

    source = read(solution)
    answers = {k: strip_markers(v) for k, v in solution_cells(source).items()}
    answers.update({nbgrader_meta(c)["grade_id"]: questions.model_answer(c.source) for c in source.cells
                    if c.cell_type == "markdown" and nbgrader_meta(c).get("solution")})  # written answers
    answers.update(overrides or {})
    nb = read(released)
    for cell in nb.cells:
        gid = nbgrader_meta(cell).get("grade_id")
        if nbgrader_meta(cell).get("solution") and gid in answers:
            cell.source = answers[gid]
    nbformat.write(nb, out)
    return out
