"""The grading round trip through the real nbgrader, for every notebook in solutions/.

For each notebook: release it, then autograde three simulated students:

* ``solved``: the released notebook with every answer filled in → full marks on
  every autograded cell (written answers wait for a human grader:
  ``NotebookResult.autograded_max``), no graded cell writes to stderr (nbgrader
  would give it 0), and every test cell's verdict was decided outside the kernel
  (cnnlab.grade.judge);
* ``blank``: the released notebook as it is → 0 on every graded cell, nothing left
  to grade by hand, and the only errors anywhere are "not written yet" ones;
* ``wrong``: every answer replaced by its first plausible wrong version
  (tests/mutants/) → every graded cell below its points.

The notebooks are written so that every cell finishes well within nbgrader's
default 30 s per-cell timeout; the round trip allows 90 s so that a loaded
machine does not turn a slow cell into a failure (the execution test prints
the slowest cells).
The notebooks load CIFAR-10/MNIST, so this needs the real data (CNNLAB_DATA).
"""

from __future__ import annotations

import ast
import re

import pytest

import executed
import nbtools
from cnnlab.grade import grading

pytestmark = pytest.mark.nbgrader

NOT_DONE = {"NotImplementedError", "NotDoneError"}


def _grade(nb_id: str, tmp, files: list | None = None) -> dict[str, grading.NotebookResult]:
    """``files``: what a student submits with the notebook (the capstone's trained model and log), made by
    the solution's full-mode run; the solved and the wrong student submit them, the blank one does not."""
    released = nbtools.NOTEBOOKS / f"{nb_id}.ipynb"
    solution = nbtools.SOLUTIONS / f"{nb_id}.ipynb"
    wrong = {gid: versions[0]["source"] for gid, versions in nbtools.mutants(nb_id).items()}
    submissions = {
        "solved": nbtools.filled_submission(released, solution, tmp / "solved.ipynb"),
        "blank": released,
        "wrong": nbtools.filled_submission(released, solution, tmp / "wrong.ipynb", wrong),
    }
    extra = {"solved": files, "wrong": files} if files else None
    return grading.autograde_submissions(nbtools.SOLUTIONS, nb_id, submissions, tmp / "course", files=extra,
                                         **{"Execute.timeout": 90})


# One test per notebook, with a subtest per student: the three share one autograde run, and a test is
# the unit that pytest-xdist hands to a worker (so `pytest -n 2` grades each notebook once).
@pytest.mark.parametrize("nb_id", nbtools.solution_ids())
def test_round_trip(nb_id, real_data, tmp_path, subtests, request):
    files = None
    if nb_id in executed.WRITES_FILES:  # the notebook's full-mode run of this test run made them
        files = request.getfixturevalue("executed_notebook")(nb_id).files(nb_id)
    results = _grade(nb_id, tmp_path, files)
    with subtests.test("solved scores full marks, without stderr"):
        solved_scores_full_marks(nb_id, results["solved"])
    with subtests.test("blank scores 0 and fails only where students write"):
        blank_scores_zero_and_fails_only_where_students_write(nb_id, results["blank"])
    with subtests.test("wrong answers lose points in every graded cell"):
        wrong_answers_lose_points_in_every_graded_cell(nb_id, results["wrong"])


def solved_scores_full_marks(nb_id, solved):
    assert solved.errors() == [], f"{nb_id}: the solved notebook raised errors"
    tests = {c.metadata["nbgrader"]["grade_id"] for c in solved.notebook.cells
             if nbtools.nbgrader_meta(c).get("grade") and not nbtools.nbgrader_meta(c).get("solution")}
    judged = set(solved.notebook.metadata.get("cnnlab", {}).get("judged_outside_kernel", []))
    assert judged == tests, f"{nb_id}: test cells decided in the kernel: {sorted(tests - judged)}"
    for cell in solved.cells.values():
        if cell.manual:  # a written answer: scored by a grader, not by the autograder
            assert cell.needs_manual_grade, f"{nb_id}/{cell.grade_id}: a written answer not left to the grader"
            continue
        assert cell.score == cell.max_score, f"{nb_id}/{cell.grade_id}: {cell.score}/{cell.max_score} {cell.errors}"
        assert cell.stderr == "", f"{nb_id}/{cell.grade_id} writes to stderr: {cell.stderr!r}"
    assert solved.score == solved.autograded_max > 0


def blank_scores_zero_and_fails_only_where_students_write(nb_id, blank):
    assert blank.score == 0
    for cell in blank.cells.values():
        assert cell.score == 0, f"{nb_id}/{cell.grade_id} gives points to a blank answer"
        assert not cell.needs_manual_grade, f"{nb_id}/{cell.grade_id}: a blank answer asks for a grader"
    unexpected = [e for e in blank.errors() if e[1] not in NOT_DONE and not _cascade(blank, e)]
    assert unexpected == [], f"{nb_id}: blank notebook raised other errors: {unexpected}"


def wrong_answers_lose_points_in_every_graded_cell(nb_id, wrong):
    for cell in wrong.cells.values():
        assert cell.score < cell.max_score, f"{nb_id}/{cell.grade_id}: wrong answer got full marks"
    assert wrong.score < wrong.max_score


def _assigned(source: str) -> set[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: no names of interest there
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


def _cascade(result: grading.NotebookResult, error: tuple[int, str, str]) -> bool:
    """A NameError for a variable that an earlier, not-yet-done cell would have defined."""
    index, ename, evalue = error
    match = re.match(r"name '(\w+)' is not defined", evalue)
    if ename != "NameError" or not match:
        return False
    not_done = {i for i, e, _ in result.errors() if e in NOT_DONE and i < index}
    return any(match.group(1) in _assigned(result.notebook.cells[i].source) for i in not_done)
