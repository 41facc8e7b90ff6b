"""Autograde a whole class: the pipeline from the course folder to the gradebook.

1. **Course** (:mod:`~cnnlab.grade.course`): the submissions that are new or changed
   since the last run (a fingerprint of their files and of the assignment's source).
2. **Jobs**: each submission's files and its assignment's source, as data; a submission
   that cannot be tried (no notebook, too large, not JSON) is rejected right away; the
   others go assignment by assignment, longest first (:func:`longest_first`).
3. **Executor** (:mod:`~cnnlab.grade.executors`): a local pool or a Dask cluster runs the
   **worker** (:func:`cnnlab.grade.worker.grade`) on each job, student code sandboxed.
4. **Writer** (:mod:`~cnnlab.grade.writer`): this process merges each result into the
   gradebook as it arrives, the only one that ever opens it.

The hidden cases' expected values are computed once per assignment, by a process of its
own (:mod:`~cnnlab.grade.hidden`) that runs beside the first kernels.

Before any job runs, the sandbox's self-test starts each kernel's interpreter in the
sandbox (here, or on every Dask worker) and imports cnnlab and NumPy: if that fails,
nothing is graded and :class:`~cnnlab.grade.sandbox.SandboxUnavailable` says why.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import replace
from pathlib import Path

from . import hidden
from .course import STATE_DIR, Course
from .executors import DaskCluster, Executor, LocalPool
from .worker import Job, Limits, precheck, quiet_warnings, read_folder, top_notebooks
from .writer import Outcome, Writer, ensure_assignments

__all__ = ["Limits", "Outcome", "autograde"]


def autograde(course_dir: Path, *, db_url: str | None = None, jobs: int = 2, limits: Limits | None = None,
              assignments: list[str] | None = None, students: list[str] | None = None,
              force: bool = False, progress: bool = True, scheduler: str | None = None,
              executor: Executor | None = None) -> list[Outcome]:
    """Grade every new or changed submission in ``course_dir``; return one Outcome per submission.

    ``jobs`` local worker processes grade in parallel, or the workers of the Dask
    ``scheduler`` (``tcp://host:8786``); ``force`` regrades everything.
    """
    quiet_warnings()
    course = Course(course_dir, db_url)
    limits = limits or Limits()
    if executor is None:
        executor = DaskCluster(scheduler) if scheduler else LocalPool(jobs)
    if not limits.threads and isinstance(executor, LocalPool):
        # `jobs` kernels with CPUs // jobs threads each use the machine without oversubscribing it.
        limits = replace(limits, threads=max(1, (os.cpu_count() or 1) // max(1, jobs)))
    if limits.sandbox:
        from .sandbox import check_available

        check_available()

    outcomes = [Outcome(name, "?", "skipped", reason=why + "; rename the folder")
                for name, why in course.invalid_folders()]
    subs = course.submissions(assignments, students)
    ensure_assignments(course, sorted({a for _, a in subs}))
    writer = Writer(course)
    todo: list[tuple[Job, str]] = []
    sources: dict[str, dict[str, bytes]] = {}
    for student, aid in subs:
        fp = course.fingerprint(student, aid)
        if not force:
            same = writer.unchanged(student, aid, fp)
            if same:
                outcomes.append(same)
                continue
        files = read_folder(course.submitted(student, aid))
        reason = precheck(files, aid, limits)
        if reason:
            outcomes.append(writer.reject(student, aid, reason, fp))
            continue
        if aid not in sources:
            sources[aid] = read_folder(course.source(aid))
        todo.append((Job(student, aid, sources[aid], files, limits, [str(course.root)]), fp))
    if not todo:
        return outcomes
    todo = longest_first(todo)

    kernels = course.kernel_names(sorted(sources))
    if isinstance(executor, LocalPool):  # workers prepare the first assignment while the self-test runs
        executor.warm_up(todo[0][0])
    # The hidden cases' expected values, once per assignment, in a process of their own (the answers
    # may import TensorFlow): local workers read them when they judge, while it computes them.
    in_order = {job.assignment: sources[job.assignment] for job, _ in todo}
    pending = hidden.Pending(in_order, course.root / STATE_DIR / f"hidden-{os.getpid()}", limits.threads)
    try:
        return _grade_all(executor, writer, limits, kernels, todo, pending, outcomes, progress,
                          close_cluster=isinstance(executor, DaskCluster) and bool(scheduler))
    finally:
        pending.close()
        shutil.rmtree(pending.folder, ignore_errors=True)
        if pending.error:  # graded all the same: each worker computed the values itself
            print(f"warning: the hidden cases' expected values could not be computed ahead ({pending.error}); "
                  "each worker computed them", file=sys.stderr)


def _grade_all(executor: Executor, writer: Writer, limits: Limits, kernels: list[str],
               todo: list[tuple[Job, str]], pending: hidden.Pending, outcomes: list[Outcome],
               progress: bool, close_cluster: bool) -> list[Outcome]:
    """The self-test, then every job of ``todo`` through ``executor``, merged as it arrives."""
    from tqdm import tqdm

    if limits.sandbox:
        try:
            found = _self_test(executor, kernels, todo[0][0])
        except BaseException:
            if isinstance(executor, LocalPool):
                executor.close()
            raise
        for warning in found:
            print(f"warning: {warning}", file=sys.stderr)

    if isinstance(executor, LocalPool):
        todo = [(replace(job, expected_file=str(pending.path(job.assignment))), fp) for job, fp in todo]
    else:  # a Dask worker may be on another machine: the values travel with each job
        expected = pending.wait()
        todo = [(replace(job, expected=expected[job.assignment]), fp) for job, fp in todo]
    fingerprints = {job.key: fp for job, fp in todo}
    bar = tqdm(total=len(todo), desc="autograde", unit="nb", disable=not progress)
    results = executor.run([job for job, _ in todo])
    try:
        for job, result in results:
            outcome = writer.merge(result, fingerprints[job.key])
            if outcome is None:  # delivered twice (a retried task): merged once already
                continue
            outcomes.append(outcome)
            bar.set_postfix_str(f"{job.key}: {outcome.status}", refresh=False)
            bar.update(1)
    finally:
        bar.close()
        getattr(results, "close", lambda: None)()  # stop the executor's workers
        if close_cluster:
            executor.close()
    return outcomes


def longest_first(todo: list[tuple[Job, str]]) -> list[tuple[Job, str]]:
    """The order to grade in: assignment by assignment, in their first order (a worker keeps its fork
    server, with the assignment's imports, while the assignment lasts), and within one, the submissions
    that answer the most code cells first (the rest in their order).

    A blank answer raises at once and the cells that use it fail fast: a nearly blank submission
    takes seconds where a solved one trains. Started last, the short ones fill the workers' ends
    instead of one long submission running alone (longest-processing-time-first scheduling).
    """
    first: dict[str, int] = {}
    for job, _ in todo:
        first.setdefault(job.assignment, len(first))
    return sorted(todo, key=lambda item: (first[item[0].assignment], -answered_code_cells(item[0].files)))


def answered_code_cells(files: dict[str, bytes]) -> int:
    """How many answer code cells of the submitted notebooks no longer raise nbgrader's
    ``NotImplementedError`` stub (0 for a notebook that cannot be read)."""
    import json

    count = 0
    for name in top_notebooks(files):
        try:
            cells = json.loads(files[name])["cells"]
            count += sum(1 for cell in cells if cell.get("cell_type") == "code"
                         and cell.get("metadata", {}).get("nbgrader", {}).get("solution")
                         and "raise NotImplementedError" not in "".join(cell.get("source", "")))
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
    return count


def _self_test(executor: Executor, kernels: list[str], job: Job) -> list[str]:
    """Refuse to grade (SandboxUnavailable) unless each kernel imports cnnlab and NumPy in the sandbox."""
    if isinstance(executor, DaskCluster):
        return executor.self_test(kernels, job)
    from .worker import self_test

    found = self_test(kernels, job.limits, job.forbidden)
    return [w for w in found.split("; ") if w]

