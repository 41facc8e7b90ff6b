"""A simulated class of honest, broken and hostile students, graded by `cnnlab grade autograde`.

Each hostile submission is graded (or rejected) with a clear reason, no other
student's grade or files change, the gradebook stays consistent, and no hidden
test reaches a student's code or any feedback file. Uses the tiny synthetic
assignment in tests/instructor_tools.py so that the whole class grades in seconds.
"""

from __future__ import annotations

import sqlite3

import nbformat
import pytest

import instructor_tools as it
from cnnlab.grade import autograde as ag
from cnnlab.grade import feedback, report
from needs import require_sandbox

pytestmark = pytest.mark.nbgrader

HONEST = ["correct", "partial", "blank"]
LIMITS = ag.Limits(cell_timeout=4, submission_timeout=60, memory_mb=2048)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    require_sandbox()
    root = tmp_path_factory.mktemp("hostile")
    course = it.tiny_course(root)
    cls = it.hostile_class(course / "release" / it.TINY / f"{it.TINY}.ipynb", course)
    for student in HONEST:
        it.write_submission(course / "submitted" / student / it.TINY, it.TINY, cls[student]["nb"])
    first = {o.student: o for o in ag.autograde(course, jobs=2, limits=LIMITS, progress=False)}
    before = {"files": it.tree_hashes(course / "submitted"), "grades": _grades(course)}
    for student, case in cls.items():
        if student not in HONEST:
            it.write_submission(course / "submitted" / student / it.TINY, it.TINY, case["nb"])
    second = {o.student: o for o in ag.autograde(course, jobs=2, limits=LIMITS, progress=False)}
    return {"course": course, "class": cls, "first": first, "second": second, "before": before}


def _grades(course) -> dict[tuple[str, str], float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db", "cnnlab") as gb:
        return {(sub.student.id, grade.name): grade.auto_score
                for assignment in gb.assignments for sub in assignment.submissions
                for nb in sub.notebooks for grade in nb.grades}


def test_every_submission_gets_the_expected_score_or_a_reason(graded):
    for student, case in graded["class"].items():
        outcome = graded["second"][student] if student not in HONEST else graded["first"][student]
        if case["expect"] is None:
            assert outcome.status == "rejected", student
            assert case["reason"] in outcome.reason, outcome.reason
            assert "above traceback" not in outcome.reason  # nbgrader's own error, not its pointer to a log
            assert outcome.score == 0
        else:
            assert outcome.status == "graded", f"{student}: {outcome.reason}"
            assert outcome.score == case["expect"], f"{student} ({case['why']}): {outcome.score}"
        assert [f for f in outcome.flags if "foreign" in f] == ([f"{it.TINY}.ipynb: {case['flag']}"]
                                                                  if "flag" in case else []), student


def test_rerun_grades_only_new_submissions_and_changes_no_other_grade(graded):
    second, before = graded["second"], graded["before"]
    assert {s for s, o in second.items() if o.status == "unchanged"} == set(HONEST)
    after = _grades(graded["course"])
    for key, score in before["grades"].items():
        assert after[key] == score, f"{key} changed from {score} to {after[key]}"
    files = it.tree_hashes(graded["course"] / "submitted")
    for name, digest in before["files"].items():
        assert files[name] == digest, f"{name} was modified by another student's code"


def test_changed_submission_is_regraded(graded):
    course = graded["course"]
    path = course / "submitted" / "blank" / it.TINY / f"{it.TINY}.ipynb"
    nb = it.answered(course / "release" / it.TINY / f"{it.TINY}.ipynb", {"add": it.RIGHT["add"]})
    nbformat.write(nb, path)
    out = {o.student: o for o in ag.autograde(course, jobs=2, limits=LIMITS, progress=False, students=["blank"])}
    assert out["blank"].status == "graded" and out["blank"].score == 1


def test_gradebook_stays_consistent(graded):
    con = sqlite3.connect(graded["course"] / "gradebook.db")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    students = {r[0] for r in con.execute("SELECT student_id FROM submitted_assignment")}
    assert students == set(graded["class"])
    per_sub = con.execute("SELECT COUNT(*) FROM grade GROUP BY notebook_id").fetchall()
    assert per_sub and all(n == 2 for (n,) in per_sub)  # add_test and mul_test for everyone
    assert con.execute("SELECT COUNT(*) FROM grade WHERE auto_score IS NULL").fetchone()[0] == 0
    con.close()


def test_student_code_cannot_see_or_touch_instructor_files(graded):
    course = graded["course"]
    outputs = {}
    for student in ("reader", "vandal"):
        nb = nbformat.read(course / "autograded" / student / it.TINY / f"{it.TINY}.ipynb", as_version=4)
        outputs[student] = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "LEAKED 0 []" in outputs["reader"], outputs["reader"][:500]
    assert "VANDALISED []" in outputs["vandal"], outputs["vandal"][:500]


def test_kernel_failures_are_explained(graded):
    course = graded["course"]

    def errors(student):
        nb = nbformat.read(course / "autograded" / student / it.TINY / f"{it.TINY}.ipynb", as_version=4)
        return [f"{o.ename}: {o.evalue}" for c in nb.cells if c.cell_type == "code"
                for o in c.outputs if o.output_type == "error"]

    assert any("did not stop when interrupted" in e for e in errors("stubborn"))
    assert any("kernel died" in e for e in errors("exit"))
    assert any(e.startswith("CellNotRun") for e in errors("exit"))
    assert any("MemoryError" in e for e in errors("membomb"))
    assert any("CellTimeoutError" in e or "KeyboardInterrupt" in e for e in errors("loop"))
    for student in ("bigoutput", "update", "noisyfail"):
        for folder in ("autograded", "feedback"):
            for path in (course / folder / student / it.TINY).glob("*"):
                assert path.stat().st_size < 3 * 1024 * 1024, path


def test_no_hidden_test_in_any_feedback_file(graded):
    course = graded["course"]
    written, problems = feedback.generate(course)
    assert problems == []
    assert {p.parent.parent.name for p in written} == set(graded["class"])
    lines = feedback.hidden_lines(nbformat.read(course / "source" / it.TINY / f"{it.TINY}.ipynb", as_version=4))
    assert lines, "the tiny assignment has hidden tests"
    for page in written:
        text = page.read_text(encoding="utf-8")
        assert feedback.leaks(text, lines) == [], page
        for marker in it.HIDDEN_MARKERS + ["BEGIN HIDDEN TESTS"]:
            assert marker not in text and marker not in feedback.html_text(text), (page, marker)
    rejected = (course / "feedback" / "notjson" / it.TINY / f"{it.TINY}.html").read_text()
    assert "could not be graded" in rejected and "not a valid Jupyter notebook" in rejected


def test_feedback_leak_check_catches_a_quoted_hidden_line():
    lines = ["assert add(10, 32) == 42  # HIDDEN-ADD-7f3a"]
    page = '<pre><span class="k">assert</span> add(10, 32) == 42  <span class="c1"># HIDDEN-ADD-7f3a</span></pre>'
    assert feedback.leaks(page, lines) == lines


def test_report_files(graded, tmp_path):
    paths = report.write_report(graded["course"], tmp_path)
    assert all(p.exists() and p.stat().st_size > 0 for p in paths.values())
    grades = paths["grades.csv"].read_text().splitlines()
    assert grades[0].startswith("assignment,duedate,timestamp,student_id")
    assert len(grades) == 1 + len(graded["class"])
    subs = paths["submissions.csv"].read_text()
    assert "rejected" in subs and "not a valid Jupyter notebook" in subs
    assert "files or processes" in subs  # the reader/vandal/exit code is flagged for review
    assert "foreign grade cells not graded: extra_test" in subs
    exercises = paths["exercises.csv"].read_text()
    assert "add_test" in exercises and "mul_test" in exercises
