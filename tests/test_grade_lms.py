"""Canvas and Moodle grade-import files from nbgrader's gradebook, with a roster that never drops a student.

The gradebook is built directly through nbgrader's API (no notebook runs): two notebooks,
students with and without names, emails and LMS ids, one missing submission.
"""

from __future__ import annotations

import csv

import pytest

from cnnlab import cli
from cnnlab.grade import nbgrader_api
from cnnlab.grade import lms

pytestmark = pytest.mark.nbgrader

CELLS = {"01_knn": {"l1_distance_test": 10.0, "predict_labels_test": 8.0},
         "02_convolution": {"conv2d_test": 15.0}}
STUDENTS = {
    "ada": dict(first_name="Ada", last_name="Lovelace", email="ada@uni.example", lms_user_id="4711"),
    "bob": {},
    "cel": dict(first_name="Çelik, Jr.", last_name="Ünal", email="cel@uni.example"),
}
# (student, notebook) -> auto score per cell; bob never handed in 02_convolution.
SCORES = {("ada", "01_knn"): [7.5, 8.0], ("ada", "02_convolution"): [15.0],
          ("bob", "01_knn"): [0.0, 4.25], ("cel", "01_knn"): [10.0, 0.0], ("cel", "02_convolution"): [3.0]}


@pytest.fixture()
def course(tmp_path):
    from nbgrader.api import Gradebook

    course = tmp_path / "course"
    course.mkdir()
    api = nbgrader_api.make_api(course)  # also how the CLI finds <course>/gradebook.db
    with Gradebook(api.coursedir.db_url, nbgrader_api.COURSE_ID) as gb:
        for aid, cells in CELLS.items():
            gb.add_assignment(aid)
            gb.add_notebook(aid, aid)
            for name, points in cells.items():
                gb.add_grade_cell(name, aid, aid, max_score=points, cell_type="code")
        for sid, fields in STUDENTS.items():
            gb.add_student(sid, **fields)
        for (sid, aid), scores in SCORES.items():
            sub = gb.add_submission(aid, sid)
            grades = {g.name: g for g in sub.notebooks[0].grades}
            for name, score in zip(CELLS[aid], scores):
                grades[name].auto_score = score
        gb.db.commit()
    return course


def _rows(path):
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.reader(f))


def test_canvas_and_moodle_files_from_the_student_table(course, tmp_path):
    export = lms.write_lms_files(course, tmp_path / "out")
    canvas = _rows(export.paths["canvas_grades.csv"])
    assert canvas[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "01_knn", "02_convolution"]
    assert canvas[1] == ["Points Possible", "", "", "", "", "18", "15"]
    assert canvas[2:] == [
        ["Lovelace, Ada", "4711", "", "ada", "", "15.5", "15"],
        ["bob", "", "", "bob", "", "4.25", "0"],            # no submission: 0, as nbgrader export says
        ["Ünal, Çelik, Jr.", "", "", "cel", "", "10", "3"],  # commas quoted, read back intact
    ]
    moodle = _rows(export.paths["moodle_grades.csv"])
    assert moodle[0] == ["First name", "Last name", "ID number", "Username", "Email address", "01_knn",
                         "02_convolution"]
    assert moodle[1:] == [["Ada", "Lovelace", "", "ada", "ada@uni.example", "15.5", "15"],
                          ["", "", "", "bob", "", "4.25", "0"],
                          ["Çelik, Jr.", "Ünal", "", "cel", "cel@uni.example", "10", "3"]]
    assert export.roster_only == []


def test_roster_csv_maps_ids_and_notes_roster_only_students(course, tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("\ufeffstudent_id,sis_user_id,section,email,lms_user_id\n"  # Excel's BOM
                      "ada,S001,Lab A,ada@uni.example,4711\nbob,S002,Lab B,,\ncel,S003,Lab A,,\n"
                      "dan,S004,Lab B,,\n", encoding="utf-8")
    export = lms.write_lms_files(course, tmp_path / "out", roster=roster)
    canvas = _rows(export.paths["canvas_grades.csv"])
    assert [r[:5] for r in canvas[2:]] == [["ada", "4711", "S001", "", "Lab A"], ["bob", "", "S002", "", "Lab B"],
                                          ["cel", "", "S003", "", "Lab A"]]
    moodle = _rows(export.paths["moodle_grades.csv"])
    assert [r[2] for r in moodle[1:]] == ["S001", "S002", "S003"]
    assert export.roster_only == ["dan"]
    assert "dan" in export.lines()[-1] and "no row written" in export.lines()[-1]


def test_student_missing_from_roster_is_an_error_listing_them(course, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,sis_user_id\nada,S001\n")
    out = tmp_path / "out"
    with pytest.raises(lms.RosterError, match=r"2 graded student\(s\) missing from the roster: bob, cel"):
        lms.write_lms_files(course, out, roster=roster)
    assert not out.exists()  # nothing half-written
    assert cli.main(["grade", "lms", "--course", str(course), "--roster", str(roster), "--out", str(out)]) == 2
    assert "missing from the roster: bob, cel" in capsys.readouterr().err


@pytest.mark.parametrize("text, message", [
    ("student_id,e-mail\nada,a@x\n", "unknown column(s) e-mail"),
    ("name,email\nada,a@x\n", "the header must have student_id"),
    ("student_id,login\nada,ada\nada,ada2\n", "'ada' appears twice"),
    ("student_id,first_name\nada,Ada\nbob,Bob\ncel,Cel\n", "no LMS identifier for: ada (no Canvas id"),
])
def test_bad_roster_is_a_clear_error(course, tmp_path, text, message):
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    with pytest.raises(lms.RosterError, match=message.replace("(", r"\(").replace(")", r"\)")):
        lms.write_lms_files(course, tmp_path / "out", roster=roster)


def test_report_writes_the_lms_files_too(course, capsys):
    assert cli.main(["grade", "report", "--course", str(course)]) == 0
    reports = course / "reports"
    assert _rows(reports / "canvas_grades.csv")[2] == ["Lovelace, Ada", "4711", "", "ada", "", "15.5", "15"]
    assert len(_rows(reports / "moodle_grades.csv")) == 1 + len(STUDENTS)
    assert f"wrote {reports / 'canvas_grades.csv'}" in capsys.readouterr().out


def test_report_with_a_roster_that_lacks_a_student_fails_clearly(course, tmp_path, capsys):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,login\nada,ada\ncel,cel\n")
    assert cli.main(["grade", "report", "--course", str(course), "--roster", str(roster)]) == 2
    assert "missing from the roster: bob" in capsys.readouterr().err
    assert not (course / "reports" / "canvas_grades.csv").exists()
