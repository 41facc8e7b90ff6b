"""The gradebook's only writer: merge each worker's Result into the course.

:class:`Writer` runs in the parent process, one submission at a time, as results arrive.
For a gradable Result it runs nbgrader's own ``Autograde`` converter on the course folder
in a single pass over the submitted notebook (:class:`MergeAutograde`): nbgrader sanitizes
it and restores the cells, the outputs the worker recorded take the place of execution
(:class:`ReplayExecute`, which checks that they belong to this notebook), and nbgrader
scores the cells, applies late penalties and writes the gradebook -- any database nbgrader
supports (``db_url``). The notebook is executed once per submission, by the worker.
A Result with an error is *rejected*: every autograded score 0, as nbgrader does for a missing
notebook, with the reason kept in the course's state. Each submission is merged at most
once per run, whatever an executor delivers.

Manual grades (written answers graded in the formgrader, or a grader's override of a test
cell) and the grader's comments are never overwritten: nbgrader's autograde writes only
``auto_score`` and ``auto_comment``, and a rejection only those. nbgrader marks every manually
graded cell for review again whenever it re-runs; when the submission's files are the ones
already graded (``autograde --force``), the grader's verdict stands and the mark is put back
as it was. A changed submission keeps the earlier manual scores, marked for review.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.utils import capture_log, temp_attrs
from nbgrader.converters import Autograde
from nbgrader.converters.base import BaseConverter
from nbgrader.preprocessors import NbGraderPreprocessor

from . import nbgrader_api
from .course import Course
from .steps import autograde_steps
from .worker import Result

_REPLAY: dict[tuple[str, str, str], str] = {}


@dataclass
class Outcome:
    """What happened to one submission (one notebook folder of one student)."""

    student: str
    assignment: str
    status: str                 # "graded", "rejected", "unchanged" or "skipped"
    reason: str = ""
    score: float | None = None
    max_score: float | None = None
    seconds: float = 0.0
    flags: list[str] = field(default_factory=list)  # for a human to look at, e.g. foreign grade cells
    peak_memory_mb: float | None = None  # the sandbox's peak memory (where cgroups record it)


class ReplayExecute(NbGraderPreprocessor):
    """Put the outputs recorded by a worker into the notebook nbgrader is grading.

    The notebook here and the one the worker executed come from the same
    submitted file through the same nbgrader sanitizing steps, so they must
    match cell by cell; if not, grading fails rather than mixing them up.
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        executed = nbformat.reads(_REPLAY[(info["assignment"], info["student"], info["notebook"])], as_version=4)
        if [(c.cell_type, c.source) for c in executed.cells] != [(c.cell_type, c.source) for c in nb.cells]:
            raise ValueError("the executed notebook does not match the submission: the gradebook's copy "
                             "of the assignment differs from source/ (run `cnnlab grade release "
                             "--course ...` again after editing a source notebook)")
        for cell, done in zip(nb.cells, executed.cells):
            if cell.cell_type == "code":
                cell.outputs = done.outputs
                cell.execution_count = done.execution_count
        for key in ("language_info", "cnnlab"):
            if key in executed.metadata:
                nb.metadata[key] = executed.metadata[key]
        return nb, resources


class MergeAutograde(Autograde):
    """nbgrader's ``Autograde`` with its two passes over a notebook (sanitize, then execute and
    score) run as one pass, and no execution: the sanitize steps, then the autograde steps with
    :class:`ReplayExecute` for ``Execute``. Student, submission time, copied files, notebooks
    missing from the submission and file permissions are nbgrader's own code, unchanged."""

    def convert_single_notebook(self, notebook_filename: str) -> None:
        self.exporter._preprocessors = []
        for pp in [*self.sanitize_preprocessors, *self.autograde_preprocessors]:
            self.exporter.register_preprocessor(pp)
        BaseConverter.convert_single_notebook(self, notebook_filename)


def writer_config() -> dict:
    return {**autograde_steps(ReplayExecute), "OverwriteCells.add_missing_cells": True}


def ensure_assignments(course: Course, assignments: list[str]) -> None:
    """Make sure the gradebook knows each assignment (nbgrader ``generate_assignment`` if not)."""
    missing = []
    with Gradebook(course.db_url, nbgrader_api.COURSE_ID) as gb:
        for aid in assignments:
            try:
                if not gb.find_assignment(aid).notebooks:
                    missing.append(aid)
            except MissingEntry:
                missing.append(aid)
    for aid in missing:
        if not course.source(aid).is_dir():
            raise FileNotFoundError(f"no source for assignment {aid}: expected {course.source(aid)}/ "
                                    "(run `cnnlab grade release --course DIR` first)")
        nbgrader_api.run(f"generate_assignment {aid}", course.api.generate_assignment, aid, force=True)


class Writer:
    """The trusted side: owns the course folder, the gradebook and the state file."""

    def __init__(self, course: Course):
        self.course = course
        self.api = Course(course.root, course.db_url, **writer_config()).api
        self.db_url = course.db_url
        self.state = course.load_state()
        self.merged: set[str] = set()

    def merge(self, result: Result, fingerprint: str) -> Outcome | None:
        """Record one worker Result; None if this submission was already merged in this run."""
        key = f"{result.student}/{result.assignment}"
        if key in self.merged:
            return None
        if result.error:
            return self.reject(result.student, result.assignment, result.error, fingerprint, result.seconds)
        same_files = self.state.get(key, {}).get("fingerprint") == fingerprint
        reviewed = self._manual_review_marks(result.student, result.assignment)
        for name, text in result.notebooks.items():
            _REPLAY[(result.assignment, result.student, name)] = text
        try:
            with temp_attrs(self.api.coursedir, assignment_id=result.assignment, student_id=result.student):
                done = capture_log(MergeAutograde(coursedir=self.api.coursedir, parent=self.api,
                                                  force=True, create_student=True))
        finally:
            for name in result.notebooks:
                _REPLAY.pop((result.assignment, result.student, name), None)
        if not done.get("success"):
            return self.reject(result.student, result.assignment,
                               "nbgrader could not grade it: " + nbgrader_api.nbgrader_error(done),
                               fingerprint, result.seconds)
        if same_files:
            self._restore_review_marks(result.student, result.assignment, reviewed)
        outcome = Outcome(result.student, result.assignment, "graded", seconds=result.seconds,
                          flags=list(result.flags), peak_memory_mb=result.peak_memory_mb)
        outcome.score, outcome.max_score = self._scores(result.student, result.assignment)
        self._record(outcome, fingerprint)
        return outcome

    def reject(self, student: str, aid: str, reason: str, fingerprint: str, seconds: float = 0.0) -> Outcome:
        """Record a submission that cannot be graded: every grade 0, with the reason."""
        shutil.rmtree(self.course.autograded(student, aid), ignore_errors=True)
        with Gradebook(self.db_url, nbgrader_api.COURSE_ID) as gb:
            gb.update_or_create_student(student)
            submission = gb.update_or_create_submission(aid, student)
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    grade.auto_score = 0
                    grade.needs_manual_grade = False
                for comment in notebook.comments:
                    comment.auto_comment = None
            gb.db.commit()
        outcome = Outcome(student, aid, "rejected", reason=reason, seconds=seconds)
        outcome.score, outcome.max_score = self._scores(student, aid)
        self._record(outcome, fingerprint)
        return outcome

    def unchanged(self, student: str, aid: str, fingerprint: str) -> Outcome | None:
        """The recorded Outcome if this submission was graded from the same files, else None."""
        entry = self.state.get(f"{student}/{aid}")
        if not entry or entry.get("fingerprint") != fingerprint:
            return None
        with Gradebook(self.db_url, nbgrader_api.COURSE_ID) as gb:
            try:
                gb.find_submission(aid, student)
            except MissingEntry:
                return None
        if entry["status"] != "rejected" and not self.course.autograded(student, aid).is_dir():
            return None
        return Outcome(student, aid, "unchanged", entry.get("reason", ""), entry.get("score"),
                       entry.get("max_score"), flags=entry.get("flags", []),
                       peak_memory_mb=entry.get("peak_memory_mb"))

    def _manual_review_marks(self, student: str, aid: str) -> dict[tuple[str, str], bool]:
        """(notebook, grade_id) → needs_manual_grade, for every grade a human has scored."""
        with Gradebook(self.db_url, nbgrader_api.COURSE_ID) as gb:
            try:
                submission = gb.find_submission(aid, student)
            except MissingEntry:
                return {}
            return {(nb.name, g.name): g.needs_manual_grade for nb in submission.notebooks
                    for g in nb.grades if g.manual_score is not None}

    def _restore_review_marks(self, student: str, aid: str, marks: dict[tuple[str, str], bool]) -> None:
        if not marks:
            return
        with Gradebook(self.db_url, nbgrader_api.COURSE_ID) as gb:
            for nb in gb.find_submission(aid, student).notebooks:
                for g in nb.grades:
                    if (nb.name, g.name) in marks and g.manual_score is not None:
                        g.needs_manual_grade = marks[(nb.name, g.name)]
            gb.db.commit()

    def _scores(self, student: str, aid: str) -> tuple[float, float]:
        with Gradebook(self.db_url, nbgrader_api.COURSE_ID) as gb:
            sub = gb.find_submission(aid, student)
            return sub.score, sub.max_score

    def _record(self, outcome: Outcome, fingerprint: str) -> None:
        key = f"{outcome.student}/{outcome.assignment}"
        self.merged.add(key)
        entry = asdict(outcome)
        entry.update(fingerprint=fingerprint, graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        self.state[key] = entry
        self.course.save_state(self.state)
