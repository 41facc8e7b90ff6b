"""Written questions end to end: autograde, the real formgrader, report, feedback, autograde again.

The tiny assignment with one written question (2 points, graded by hand). Two students: alice
answers it, bob leaves it blank. Then, in order, as a grader would:

1. ``autograde``: alice's answer waits for a human, bob's blank one scores 0 with nothing to grade;
2. ``report``: 1 to grade, 1 blank, totals provisional;
3. the **formgrader**: a real Jupyter server with nbgrader's formgrader extension on 127.0.0.1,
   driven through the REST API its grading page uses: it lists the submission, renders it, and
   takes a manual score and a comment;
4. ``report`` again: 1 graded, totals final;
5. ``autograde --force``: the manual score, the comment and the "graded" state survive;
6. ``feedback``: alice's page shows the grader's comment and score;
7. a changed resubmission keeps the manual score but is marked for review again.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest

import instructor_tools as it
from cnnlab import cli
from cnnlab.grade import autograde as ag
from cnnlab.grade import feedback, manual, report
from cnnlab.grade.nbgrader_api import COURSE_ID
from cnnlab.release import write_nbgrader_config
from needs import require_sandbox

pytestmark = pytest.mark.nbgrader

COMMENT = "Right idea: you named commutativity. Say why the order cannot matter for full marks."
LIMITS = dict(limits=ag.Limits(cell_timeout=20, submission_timeout=120))


def _grade(course, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", COURSE_ID) as gb:
        nb = gb.find_submission_notebook(it.TINY, it.TINY, student)
        g = next(g for g in nb.grades if g.name == it.WRITTEN_ID)
        c = next(c for c in nb.comments if c.name == it.WRITTEN_ID)
        return {"auto": g.auto_score, "manual": g.manual_score, "needs": g.needs_manual_grade,
                "comment": c.manual_comment, "total": nb.score}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Formgrader:
    """A Jupyter server with nbgrader's formgrader, rooted at the course folder, on loopback."""

    def __init__(self, course: Path, log: Path):
        self.token, self.port = "cnnlab-test-token", _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        config_dir = course.parent / "jupyter-config"  # nbgrader's server extensions on, nothing else of ours
        config_dir.mkdir(exist_ok=True)
        (config_dir / "jupyter_server_config.json").write_text(
            json.dumps({"ServerApp": {"jpserver_extensions": {"nbgrader": True}}}))
        env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               "JUPYTER_CONFIG_DIR": str(config_dir)}
        self.log = open(log, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "jupyter_server", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}",
             "--ServerApp.port_retries=0", "--ServerApp.open_browser=False", f"--ServerApp.root_dir={course}",
             f"--IdentityProvider.token={self.token}"] + (["--allow-root"] if os.geteuid() == 0 else []),
            cwd=course, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(600):  # until it answers (no timing is asserted: a slow start only waits)
            if self.proc.poll() is not None:
                raise RuntimeError(f"jupyter server exited: {log.read_text()[-2000:]}")
            try:
                self.get("/formgrader/api/assignments")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the formgrader did not answer: {log.read_text()[-2000:]}")

    def request(self, method: str, path: str, body: dict | None = None) -> bytes:
        req = urllib.request.Request(self.base + path, method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(req, timeout=60) as resp:
            return resp.read()

    def get(self, path: str):
        return json.loads(self.request("GET", path))

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    require_sandbox()
    root = tmp_path_factory.mktemp("written")
    course = it.tiny_course(root, written=True)
    write_nbgrader_config(course)
    released = course / "release" / it.TINY / f"{it.TINY}.ipynb"
    alice = it.answered(released, {**it.RIGHT, it.WRITTEN_ID: it.WRITTEN_ANSWER})
    it.write_submission(course / "submitted" / "alice" / it.TINY, it.TINY, alice)
    it.write_submission(course / "submitted" / "bob" / it.TINY, it.TINY, it.answered(released, it.RIGHT))
    steps = {"autograde": {o.student: o for o in ag.autograde(course, jobs=1, progress=False, **LIMITS)},
             "after_autograde": {s: _grade(course, s) for s in ("alice", "bob")}}
    steps["report_before"] = report.summary(report.write_report(course))
    steps["progress_before"] = manual.progress(f"sqlite:///{course / 'gradebook.db'}")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        steps["feedback_before_rc"] = cli.main(["grade", "feedback", "--course", str(course)])
    steps["feedback_before"] = out.getvalue()

    server = Formgrader(course, root / "jupyter.log")
    try:
        subs = server.get(f"/formgrader/api/submitted_notebooks/{it.TINY}/{it.TINY}")
        alice_sub = next(s for s in subs if s["student"] == "alice")
        steps["page"] = server.request("GET", f"/formgrader/submissions/{alice_sub['id']}").decode()
        grades = server.get(f"/formgrader/api/grades?submission_id={alice_sub['id']}")
        comments = server.get(f"/formgrader/api/comments?submission_id={alice_sub['id']}")
        grade = next(g for g in grades if g["name"] == it.WRITTEN_ID)
        comment = next(c for c in comments if c["name"] == it.WRITTEN_ID)
        steps["put_grade"] = json.loads(server.request("PUT", f"/formgrader/api/grade/{grade['id']}",
                                                       {"manual_score": 1.5}))
        server.request("PUT", f"/formgrader/api/comment/{comment['id']}", {"manual_comment": COMMENT})
    finally:
        server.stop()
    steps["after_formgrader"] = _grade(course, "alice")
    steps["report_after"] = report.summary(report.write_report(course))
    steps["progress_after"] = manual.progress(f"sqlite:///{course / 'gradebook.db'}")

    steps["forced"] = {o.student: o for o in ag.autograde(course, jobs=1, progress=False, force=True, **LIMITS)}
    steps["after_force"] = _grade(course, "alice")
    written, problems = feedback.generate(course)
    steps["feedback"] = (course / "feedback" / "alice" / it.TINY / f"{it.TINY}.html").read_text(encoding="utf-8")
    steps["feedback_problems"] = problems

    changed = it.answered(released, {**it.RIGHT, it.WRITTEN_ID: it.WRITTEN_ANSWER + " Also, 1 + 2 = 3 = 2 + 1."})
    it.write_submission(course / "submitted" / "alice" / it.TINY, it.TINY, changed)
    steps["resubmitted"] = {o.student: o for o in ag.autograde(course, jobs=1, progress=False, **LIMITS)}
    steps["after_resubmit"] = _grade(course, "alice")
    return steps


def test_autograde_leaves_written_answers_to_a_human(graded):
    assert graded["autograde"]["alice"].status == graded["autograde"]["bob"].status == "graded"
    alice, bob = graded["after_autograde"]["alice"], graded["after_autograde"]["bob"]
    assert alice["auto"] is None and alice["needs"] and alice["manual"] is None
    assert bob["auto"] == 0 and not bob["needs"], "a blank answer scores 0 and needs no grader"
    assert alice["total"] == bob["total"] == 3, "both solved the code exercises (1 + 2 points)"


def test_report_counts_answers_to_grade_and_says_totals_are_provisional(graded):
    (before,) = graded["progress_before"]
    assert (before.graded, before.to_grade, before.blank, before.complete, before.submissions) == (0, 1, 1, 1, 2)
    assert before.max_score == 5 and before.mean_score == 3
    line = next(ln for ln in graded["report_before"] if ln.startswith(f"{it.TINY}:"))
    assert "0 graded, 1 to grade, 1 blank" in line and "provisional" in line


def test_feedback_says_which_answers_still_wait_for_a_grader(graded):
    assert graded["feedback_before_rc"] == 0
    assert "1 written answer(s) not graded yet" in graded["feedback_before"]


def test_formgrader_shows_the_answer_and_takes_a_manual_grade_and_comment(graded):
    assert it.WRITTEN_ANSWER in graded["page"], "the formgrader's grading page renders the student's answer"
    assert graded["put_grade"]["manual_score"] == 1.5 and not graded["put_grade"]["needs_manual_grade"]
    after = graded["after_formgrader"]
    assert (after["manual"], after["needs"], after["comment"], after["total"]) == (1.5, False, COMMENT, 4.5)


def test_report_after_grading_is_final(graded):
    (after,) = graded["progress_after"]
    assert (after.graded, after.to_grade, after.blank, after.complete) == (1, 0, 1, 2)
    assert after.mean_score == pytest.approx((4.5 + 3) / 2)
    line = next(ln for ln in graded["report_after"] if ln.startswith(f"{it.TINY}:"))
    assert "1 graded, 0 to grade" in line and "final" in line


def test_autograde_force_keeps_manual_grades_and_comments(graded):
    assert {o.status for o in graded["forced"].values()} == {"graded"}, "--force really regraded"
    assert graded["after_force"] == graded["after_formgrader"]


def test_feedback_includes_the_graders_comment_and_score(graded):
    assert graded["feedback_problems"] == []
    page = feedback.html_text(graded["feedback"])
    assert COMMENT in page
    assert "1.5" in page and it.WRITTEN_ANSWER in page


def test_a_changed_resubmission_keeps_the_score_but_asks_for_review(graded):
    assert graded["resubmitted"]["alice"].status == "graded"
    assert graded["resubmitted"].get("bob") is None or graded["resubmitted"]["bob"].status == "unchanged"
    after = graded["after_resubmit"]
    assert after["manual"] == 1.5 and after["comment"] == COMMENT and after["needs"]


def test_model_answer_and_rubric_never_reach_the_release(graded, tmp_path):
    """The course folder's release (a graded class) has the stub, no model answer, no rubric."""
    root = tmp_path
    course = it.tiny_course(root, written=True)
    text = (course / "release" / it.TINY / f"{it.TINY}.ipynb").read_text(encoding="utf-8")
    nb = nbformat.reads(text, as_version=4)
    answer = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == it.WRITTEN_ID)
    assert answer.source == "YOUR ANSWER HERE"
    for secret in [it.WRITTEN_MODEL, *(what for _, what in it.WRITTEN_RUBRIC), "model="]:
        assert secret not in text
