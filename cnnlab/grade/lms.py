"""Grades a learning platform can import: Canvas's gradebook CSV and Moodle's grade-import CSV.

``write_lms_files(course_dir, out_dir)`` reads every student's total per notebook from
nbgrader's gradebook (0 for a missing submission, as ``nbgrader export`` does) and writes:

* ``canvas_grades.csv`` -- the layout of Canvas's own gradebook export, which its
  *Import* accepts: a header ``Student, ID, SIS User ID, SIS Login ID, Section`` followed by
  one column per notebook, a ``Points Possible`` row with each notebook's points, then one
  row per student. Canvas identifies a student by ``ID`` (Canvas's user id), ``SIS User ID``
  or ``SIS Login ID``; at least one is filled for every student.
* ``moodle_grades.csv`` -- one row per student with the user fields Moodle's CSV import can
  map from (``ID number``, ``Username``, ``Email address``) and one column per notebook. On
  import the instructor picks the identifying column ("Map from") and the grade item of
  each notebook column; at least one identifying field is filled for every student.

Who is who in the LMS comes from a *roster*: by default nbgrader's student table (names,
email, ``lms_user_id``; the nbgrader id is taken as the campus login, i.e. the Canvas SIS
Login ID and the Moodle username, as it is when students log in to JupyterHub with the
campus account), or a CSV with the columns of ``ROSTER_COLUMNS``. A gradebook student the
roster lacks, or who has no identifier an LMS can use, is an error that lists them: no row
is ever dropped silently.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from . import nbgrader_api

# Roster CSV columns: student_id (nbgrader's id) is required, the others optional.
ROSTER_COLUMNS = {
    "student_id": "the student's id in nbgrader (submitted/<student_id>/)",
    "first_name": "given name (Moodle 'First name'; Canvas 'Student' is 'Last, First')",
    "last_name": "family name",
    "email": "email address (Moodle 'Email address')",
    "lms_user_id": "Canvas's own user id (Canvas 'ID')",
    "sis_user_id": "the institution's student number (Canvas 'SIS User ID', Moodle 'ID number')",
    "login": "the campus login (Canvas 'SIS Login ID', Moodle 'Username')",
    "section": "Canvas section name (Canvas 'Section')",
}
CANVAS_IDS = ("lms_user_id", "sis_user_id", "login")
MOODLE_IDS = ("sis_user_id", "login", "email")


class RosterError(ValueError):
    """The roster cannot place every graded student in the LMS; the message lists who and why."""


@dataclass
class Person:
    """One roster row: how the LMS knows a student."""

    student_id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    lms_user_id: str = ""
    sis_user_id: str = ""
    login: str = ""
    section: str = ""

    @property
    def canvas_name(self) -> str:
        return ", ".join(n for n in (self.last_name, self.first_name) if n) or self.student_id


@dataclass
class Grades:
    """Totals per student and notebook, read from the gradebook."""

    assignments: list[str]                               # in the gradebook's order
    max_score: dict[str, float]                          # assignment -> points
    score: dict[tuple[str, str], float]                  # (student, assignment) -> points (0 if not submitted)
    students: dict[str, Person] = field(default_factory=dict)  # nbgrader's student table


def read_grades(db_url: str) -> Grades:
    """Every student's total per assignment (one notebook each in this course) from nbgrader's gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(db_url, nbgrader_api.COURSE_ID) as gb:
        assignments = [a.name for a in gb.assignments]
        max_score = {a.name: float(a.max_score) for a in gb.assignments}
        students = {s.id: Person(s.id, s.first_name or "", s.last_name or "", s.email or "",
                                 s.lms_user_id or "", login=s.id) for s in gb.students}
        score = {}
        for student in students:
            for aid in assignments:
                try:
                    score[student, aid] = float(gb.find_submission(aid, student).score)
                except MissingEntry:
                    score[student, aid] = 0.0
    return Grades(assignments, max_score, score, students)


def read_roster(path: Path) -> dict[str, Person]:
    """student_id -> Person from a roster CSV (header row; columns as in ``ROSTER_COLUMNS``)."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8-sig") as f:  # -sig: Excel's byte-order mark
            reader = csv.DictReader(f)
            header = [h.strip() for h in reader.fieldnames or []]
            rows = [{k.strip(): (v or "").strip() for k, v in row.items() if k} for row in reader]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise RosterError(f"cannot read the roster {path}: {exc}") from exc
    unknown = [h for h in header if h not in ROSTER_COLUMNS]
    if "student_id" not in header or unknown:
        raise RosterError(f"roster {path}: " + (f"unknown column(s) {', '.join(unknown)}; " if unknown else "")
                          + "the header must have student_id and any of: "
                          + ", ".join(c for c in ROSTER_COLUMNS if c != "student_id"))
    roster: dict[str, Person] = {}
    for line, row in enumerate(rows, start=2):
        sid = row.get("student_id", "")
        if not sid:
            raise RosterError(f"roster {path}, line {line}: no student_id")
        if sid in roster:
            raise RosterError(f"roster {path}, line {line}: student_id {sid!r} appears twice")
        roster[sid] = Person(**{k: row.get(k, "") for k in ROSTER_COLUMNS})
    return roster


def match_roster(grades: Grades, roster: dict[str, Person] | None) -> tuple[list[Person], list[str]]:
    """The roster entry of every gradebook student, and the roster ids the gradebook lacks.

    Raises ``RosterError`` naming every gradebook student missing from the roster or without
    an identifier Canvas or Moodle can match.
    """
    roster = grades.students if roster is None else roster
    missing = sorted(s for s in grades.students if s not in roster)
    if missing:
        raise RosterError(f"{len(missing)} graded student(s) missing from the roster: {', '.join(missing)}. "
                          "Add a row for each (student_id plus the LMS ids), or drop them from the gradebook.")
    people = [roster[s] for s in sorted(grades.students)]
    problems = [f"{p.student_id} (no {what})" for p in people
                for what, ids in (("Canvas id: lms_user_id, sis_user_id or login", CANVAS_IDS),
                                  ("Moodle id: sis_user_id, login or email", MOODLE_IDS))
                if not any(getattr(p, i) for i in ids)]
    if problems:
        raise RosterError("the roster gives no LMS identifier for: " + "; ".join(problems))
    return people, sorted(set(roster) - set(grades.students))


def _points(x: float) -> str:
    return f"{x:.2f}".rstrip("0").rstrip(".")


def write_canvas(path: Path, grades: Grades, people: list[Person]) -> Path:
    """Canvas gradebook import CSV (the layout of Canvas's own gradebook export)."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", *grades.assignments])
        w.writerow(["Points Possible", "", "", "", "", *(_points(grades.max_score[a]) for a in grades.assignments)])
        for p in people:
            w.writerow([p.canvas_name, p.lms_user_id, p.sis_user_id, p.login, p.section,
                        *(_points(grades.score[p.student_id, a]) for a in grades.assignments)])
    return path


def write_moodle(path: Path, grades: Grades, people: list[Person]) -> Path:
    """Moodle grade-import CSV: user fields to map from, one grade column per notebook."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["First name", "Last name", "ID number", "Username", "Email address", *grades.assignments])
        for p in people:
            w.writerow([p.first_name, p.last_name, p.sis_user_id, p.login, p.email,
                        *(_points(grades.score[p.student_id, a]) for a in grades.assignments)])
    return path


@dataclass
class LmsExport:
    """What ``write_lms_files`` wrote, and the roster ids it wrote no row for (not in the gradebook)."""

    paths: dict[str, Path]
    roster_only: list[str]

    def lines(self) -> list[str]:
        out = [f"wrote {p}" for p in self.paths.values()]
        if self.roster_only:
            out.append(f"note: {len(self.roster_only)} roster student(s) not in the gradebook, no row written: "
                       + ", ".join(self.roster_only))
        return out


def write_lms_files(course_dir: Path, out_dir: Path, db_url: str | None = None,
                    roster: Path | dict[str, Person] | None = None) -> LmsExport:
    """Write ``canvas_grades.csv`` and ``moodle_grades.csv`` under ``out_dir``.

    ``db_url``: the gradebook (default: nbgrader's, ``<course>/gradebook.db``). ``roster``: a
    roster CSV path, a ``{student_id: Person}`` dict, or None for nbgrader's student table.
    Nothing is written unless every graded student can be placed (``RosterError`` otherwise).
    """
    from nbgrader.coursedir import CourseDirectory

    url = db_url or CourseDirectory(root=str(Path(course_dir).resolve())).db_url
    grades = read_grades(url)
    people, roster_only = match_roster(grades, read_roster(roster) if isinstance(roster, (str, Path)) else roster)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {"canvas_grades.csv": write_canvas(out_dir / "canvas_grades.csv", grades, people),
             "moodle_grades.csv": write_moodle(out_dir / "moodle_grades.csv", grades, people)}
    return LmsExport(paths, roster_only)
