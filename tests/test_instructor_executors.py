"""The local pool keeps its workers: one that grew by loading TensorFlow is not restarted."""

from __future__ import annotations

import os
import time

from cnnlab.grade import executors, worker

_HELD = []


def _grow_then_report(job: worker.Job) -> worker.Result:
    """A stand-in for grading: job "b" grows this worker by 600 MB (TensorFlow and a model take as
    much), and every job reports the worker's pid."""
    if job.student == "a":
        time.sleep(1.5)  # loky measures a worker's memory at most once a second
    if job.student == "b":
        _HELD.append(b"\x01" * (600 * 1024 * 1024))
        time.sleep(1.5)
    return worker.Result(job.student, job.assignment, flags=[str(os.getpid())])


def test_a_worker_that_grew_keeps_grading(monkeypatch):
    """loky restarts a worker that grew by 300 MB; the next submission would then import TensorFlow,
    start a fork server and a kernel all over again. The pool raises that bound to 4 GiB."""
    monkeypatch.setattr(executors, "grade", _grow_then_report)
    jobs = [worker.Job(student, "x", {}, {}) for student in ("a", "b", "c")]
    pids = {job.student: result.flags[0] for job, result in executors.LocalPool(1).run(jobs)}
    assert pids["a"] == pids["b"] == pids["c"], pids
