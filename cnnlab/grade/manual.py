"""Where the manual part of grading stands: written answers graded and still to grade.

A *manually graded answer* is an nbgrader cell that is both a solution cell (the
student writes it) and a grade cell (it has points); the course's written
questions are markdown cells of that kind (``grade_id`` ``q_...``). Autograding
scores a blank one 0 (nbgrader sees the release's checksum) and leaves a written
one to a human (``needs_manual_grade``); the formgrader then sets
``manual_score`` and, optionally, a comment. This module reads that state from
the gradebook: every answer's status, and per assignment how many are graded,
how many wait, and the totals so far.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import nbgrader_api

TO_GRADE, GRADED, BLANK = "to grade", "graded", "blank"


@dataclass
class WrittenAnswer:
    """One student's answer to one manually graded cell."""

    assignment: str
    student: str
    notebook: str
    grade_id: str
    max_score: float
    status: str            # TO_GRADE, GRADED (a human scored it) or BLANK (left empty: 0, nothing to grade)
    score: float
    comment: str


@dataclass
class AssignmentProgress:
    """Totals of one assignment: submissions, written answers by status, scores so far."""

    assignment: str
    submissions: int
    graded: int
    to_grade: int
    blank: int
    complete: int          # submissions with nothing left to grade
    mean_score: float      # over all submissions, counting answers still to grade as 0
    max_score: float


def answer_status(grade) -> str:
    """TO_GRADE, GRADED or BLANK for an nbgrader ``Grade`` of a manually graded cell."""
    if grade.needs_manual_grade:
        return TO_GRADE
    return GRADED if grade.manual_score is not None else BLANK


def written_answers(db_url: str) -> list[WrittenAnswer]:
    """Every submitted answer to a manually graded cell, in assignment, student, cell order."""
    from nbgrader.api import Gradebook

    found = []
    with Gradebook(db_url, nbgrader_api.COURSE_ID) as gb:
        for assignment in gb.assignments:
            for submission in assignment.submissions:
                for nb in submission.notebooks:
                    comments = {c.name: c for c in nb.comments}  # solution cells: the student writes them
                    for grade in nb.grades:
                        if grade.name not in comments:
                            continue  # a test cell: autograded
                        comment = comments[grade.name]
                        found.append(WrittenAnswer(
                            assignment.name, submission.student.id, nb.name, grade.name, grade.max_score,
                            answer_status(grade), grade.score,
                            comment.manual_comment or ""))
    return sorted(found, key=lambda a: (a.assignment, a.student, a.notebook))


def progress(db_url: str) -> list[AssignmentProgress]:
    """Per assignment with submissions: written answers graded / to grade / blank, and the totals so far."""
    from nbgrader.api import Gradebook

    answers = written_answers(db_url)
    rows = []
    with Gradebook(db_url, nbgrader_api.COURSE_ID) as gb:
        for assignment in gb.assignments:
            subs = list(assignment.submissions)
            if not subs:
                continue
            mine = [a for a in answers if a.assignment == assignment.name]
            waiting = {a.student for a in mine if a.status == TO_GRADE}
            rows.append(AssignmentProgress(
                assignment.name, len(subs),
                sum(a.status == GRADED for a in mine), sum(a.status == TO_GRADE for a in mine),
                sum(a.status == BLANK for a in mine), sum(s.student.id not in waiting for s in subs),
                sum(s.score for s in subs) / len(subs), assignment.max_score))
    return rows


def summary_lines(rows: list[AssignmentProgress]) -> list[str]:
    """One line per assignment for the terminal."""
    lines = []
    for r in rows:
        written = r.graded + r.to_grade + r.blank
        state = (f"written answers: {r.graded} graded, {r.to_grade} to grade, {r.blank} blank"
                 if written else "no written answers")
        totals = (f"mean {r.mean_score:.1f} of {r.max_score:g}" +
                  (f" (provisional: {r.submissions - r.complete} of {r.submissions} submissions "
                   "have answers to grade, counted as 0)" if r.complete < r.submissions else
                   f" over {r.submissions} submission(s), final"))
        lines.append(f"{r.assignment}: {state}; {totals}")
    return lines
