"""End to end on the real notebook 01_knn: release a course, collect, autograde in parallel, feedback, report.

Needs the real data (CNNLAB_DATA) and bubblewrap; about two nbgrader runs of 01_knn.
"""

from __future__ import annotations

import nbformat
import pytest

import nbtools
from cnnlab import cli
from cnnlab.grade import feedback
from cnnlab.grade.course import load_state
from needs import require_sandbox

pytestmark = [pytest.mark.nbgrader, pytest.mark.data]
NB = "01_knn"


def test_zip_to_grades_feedback_and_report(real_data, tmp_path, capsys):
    require_sandbox()
    course = tmp_path / "course"
    assert cli.main(["grade", "release", NB, "--notebooks", str(tmp_path / "nbs"), "--course", str(course)]) == 0
    assert (course / "nbgrader_config.py").exists()
    released = course / "release" / NB / f"{NB}.ipynb"
    inbox = tmp_path / "inbox"
    wrong = {gid: versions[0]["source"] for gid, versions in nbtools.mutants(NB).items()}
    for student, overrides in (("solved", None), ("wrong", wrong)):
        (inbox / student).mkdir(parents=True)
        nbtools.filled_submission(released, nbtools.SOLUTIONS / f"{NB}.ipynb", inbox / student / f"{NB}.ipynb", overrides)
    assert cli.main(["grade", "collect", str(inbox), "--course", str(course)]) == 0
    assert cli.main(["grade", "autograde", "--course", str(course), "-j", "2"]) == 0
    state = load_state(course)
    solved, bad = state[f"solved/{NB}"], state[f"wrong/{NB}"]
    written = nbtools.manual_points(nbtools.SOLUTIONS / f"{NB}.ipynb")  # wait for a human grader
    assert solved["status"] == "graded" and solved["score"] == solved["max_score"] - written > 0, solved
    assert bad["status"] == "graded" and bad["score"] < bad["max_score"], bad
    assert cli.main(["grade", "autograde", "--course", str(course), "-j", "2"]) == 0
    assert "2 unchanged" in capsys.readouterr().out

    assert cli.main(["grade", "feedback", "--course", str(course)]) == 0
    lines = feedback.hidden_lines(nbformat.read(nbtools.SOLUTIONS / f"{NB}.ipynb", as_version=4))
    assert lines
    pages = sorted((course / "feedback").glob(f"*/{NB}/{NB}.html"))
    assert len(pages) == 2
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert feedback.leaks(text, lines) == [], page
        assert "BEGIN HIDDEN TESTS" not in text

    assert cli.main(["grade", "report", "--course", str(course)]) == 0
    reports = course / "reports"
    assert (reports / "report.png").stat().st_size > 10_000
    assert len((reports / "grades.csv").read_text().splitlines()) == 3
