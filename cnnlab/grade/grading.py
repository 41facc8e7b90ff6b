"""Autograde notebooks with the real nbgrader and read the scores back.

Used by the test suite (the grading round trip) and by instructors::

    scores = autograde_submissions(Path("solutions"), "01_knn",
                                   {"alice": Path("alice.ipynb")}, course_dir=Path("course"))
    scores["alice"].score, scores["alice"].max_score, scores["alice"].cells
"""

from __future__ import annotations

import ast
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from .. import release
from . import nbgrader_api


@dataclass
class CellResult:
    """One graded cell of one submission."""

    grade_id: str
    score: float
    max_score: float
    errors: list[str] = field(default_factory=list)  # "Ename: message" of errors the cell raised
    stderr: str = ""
    manual: bool = False              # a manually graded answer (a written question): a human scores it
    needs_manual_grade: bool = False  # nbgrader left it for a grader (an answer was written)


@dataclass
class NotebookResult:
    """The autograded result of one student's notebook."""

    student: str
    score: float
    max_score: float
    cells: dict[str, CellResult]
    notebook: nbformat.NotebookNode  # the executed notebook, outputs included

    @property
    def autograded_max(self) -> float:
        """The points the autograder can give: all but the manually graded answers'.

        A perfect submission scores this until a grader scores its written answers.
        """
        return sum(c.max_score for c in self.cells.values() if not c.manual)

    def errors(self) -> list[tuple[int, str, str]]:
        """``(cell index, ename, evalue)`` of every error any code cell raised."""
        found = []
        for i, cell in enumerate(self.notebook.cells):
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    found.append((i, out["ename"], out["evalue"]))
        return found


def answer_cells(notebook: nbformat.NotebookNode) -> dict[str, str]:
    """grade_id → source of every autograded-answer (solution) code cell, in notebook order."""
    return {c.metadata["nbgrader"]["grade_id"]: c.source for c in notebook.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")}


def answer_namespace(path: Path, overrides: dict[str, str] | None = None, prelude: str = "",
                     **names) -> dict:
    """Run a notebook's answer cells (no kernel) and return the names they define.

    ``overrides`` replaces the source of some answer cells (by grade_id);
    ``prelude`` is code run first (imports the cells need); ``names`` are put in
    the namespace first (e.g. ``np=numpy``). Used by the tests, to grade one cell
    quickly, and by ``bench/`` to time the reference solutions.
    """
    namespace = dict(names)
    exec(prelude, namespace)
    for grade_id, source in answer_cells(nbformat.read(path, as_version=4)).items():
        exec((overrides or {}).get(grade_id, source), namespace)
    return namespace


def notebook_functions(path: Path, names, namespace: dict) -> None:
    """Define the notebook's own top-level functions ``names`` (from its code cells) in ``namespace``.

    Only the ``def`` statements run, not the rest of their cells (which may train or plot), so
    tests and ``bench/`` can reuse a notebook's ungraded helpers such as its training loop.
    Raises ``LookupError`` naming any function no code cell defines.
    """
    wanted = set(names)
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code" or not any(f"def {name}(" in cell.source for name in wanted):
            continue
        defs = [node for node in ast.parse(cell.source).body
                if isinstance(node, ast.FunctionDef) and node.name in wanted]
        exec(compile(ast.Module(body=defs, type_ignores=[]), str(path), "exec"), namespace)
        wanted -= {node.name for node in defs}
    if wanted:
        raise LookupError(f"{Path(path).name}: no code cell defines {sorted(wanted)}")


def autograde_submissions(solutions_dir: Path, assignment_id: str, submissions: dict[str, Path],
                          course_dir: Path, files: dict[str, list[Path]] | None = None,
                          **config) -> dict[str, NotebookResult]:
    """Release ``assignment_id``, autograde each student's notebook, return the results.

    ``submissions`` maps a student id to the path of that student's notebook; ``files``, a student id
    to other files submitted with it (the capstone's trained model and log), put next to the notebook.
    ``config`` items go to nbgrader (e.g. ``{"Execute.timeout": 60}``); by
    default nbgrader's own 30 s per cell applies, as in a plain installation. The test
    cells' verdicts are decided in this process (:class:`~cnnlab.grade.judge.JudgeCells`).
    """
    from nbgrader.api import Gradebook

    from nbgrader.preprocessors import Execute

    from .steps import judged_steps

    course_dir = Path(course_dir)
    if not (course_dir / "release" / assignment_id).exists():
        release.build_course(Path(solutions_dir), course_dir, [assignment_id])
    # nbgrader's own steps and Execute, with the verdicts decided outside the kernel (cnnlab.grade.judge)
    api = nbgrader_api.make_api(course_dir, **{**judged_steps(Execute), **config})
    for student, path in submissions.items():
        dest = course_dir / "submitted" / student / assignment_id
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        shutil.copyfile(path, dest / f"{assignment_id}.ipynb")
        for extra in (files or {}).get(student, []):
            shutil.copyfile(extra, dest / Path(extra).name)
        nbgrader_api.run(f"autograde {assignment_id} for {student}", api.autograde,
                         assignment_id, student, force=True)
    results = {}
    with Gradebook(api.coursedir.db_url) as gb:
        for student in submissions:
            sub = gb.find_submission_notebook(assignment_id, assignment_id, student)
            executed = nbformat.read(course_dir / "autograded" / student / assignment_id /
                                     f"{assignment_id}.ipynb", as_version=4)
            results[student] = NotebookResult(
                student=student, score=sub.score, max_score=sub.max_score,
                cells=_cell_results(executed, {g.name: g for g in sub.grades}), notebook=executed)
    return results


def _cell_results(executed: nbformat.NotebookNode, grades: dict) -> dict[str, CellResult]:
    cells = {}
    for cell in executed.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id not in grades:
            continue
        grade = grades[grade_id]
        outputs = cell.get("outputs", [])
        cells[grade_id] = CellResult(
            grade_id=grade_id, score=grade.score, max_score=grade.max_score,
            errors=[f"{o['ename']}: {o['evalue']}" for o in outputs if o.get("output_type") == "error"],
            stderr="".join(o.get("text", "") for o in outputs if o.get("name") == "stderr"),
            manual=bool(cell.metadata["nbgrader"].get("solution")), needs_manual_grade=grade.needs_manual_grade)
    return cells
