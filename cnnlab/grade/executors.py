"""Where the worker function runs: a local process pool, or a Dask cluster.

An executor takes :class:`~cnnlab.grade.worker.Job` s and yields ``(job, result)``
pairs as workers finish, in any order; the parent merges each one as it arrives. A
job whose worker crashed or hung is retried once elsewhere, then returned as a
rejected Result saying why. Executors never touch the course folder or the gradebook.
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from typing import Iterator, Protocol

from .worker import Job, Result, grade, quiet_warnings, warm_up

CRASHED = "the grading process died twice on this submission (out of memory?)"


class Executor(Protocol):
    def run(self, jobs: list[Job]) -> Iterator[tuple[Job, Result]]:
        """Grade ``jobs``; yield each with its Result as soon as it is done."""


def _failed(job: Job, why: str) -> Result:
    return Result(job.student, job.assignment, error=why)


def _init_local_worker() -> None:
    from multiprocessing.util import Finalize

    from . import warm, worker, zygote

    quiet_warnings()
    import nbgrader.apps  # noqa: F401  (inherited from the parent: already imported)
    # Forked from the parent: its sandbox slot, scratch folder and warm kernel (if it had them) are not ours.
    worker._SLOT = worker._SLOT_LOCK = worker._ROOT = None
    worker._TEMPLATES.clear()
    warm._WARM = zygote._ZYGOTE = None
    Finalize(None, worker.cleanup, exitpriority=10)  # a warm kernel and the scratch folder, when the pool stops


def _loky():
    """loky's process executor, imported with a worker's memory bound raised.

    loky restarts a worker whose memory grew by 300 MB (``LOKY_MAX_MEMORY_LEAK_SIZE``, read when
    loky is first imported). A worker that judges a submitted model imports TensorFlow once
    (600 MB): restarted, it would pay that import, a fork server's and a kernel's again for every
    later submission. It is still restarted past 4 GiB.
    """
    os.environ.setdefault("LOKY_MAX_MEMORY_LEAK_SIZE", str(4 * 1024**3))
    from loky import process_executor

    return process_executor


def _fork_context():
    """Fork: the workers inherit this process's imports (nbgrader, nbformat: seconds each)."""
    import warnings

    from loky.backend.context import get_context

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # loky's general advice against fork
        return get_context("fork")


class LocalPool:
    """``jobs`` worker processes on this machine (loky's process pool, whose workers can be killed).

    A job running past the notebook's time limit plus a margin, or whose worker dies,
    stops the pool; the jobs in flight are resubmitted to a fresh one (the culprit counts
    an attempt, the others do not). Workers are forked from this process (they start in
    milliseconds, with its imports), and each is told when another submission of the same
    assignment will follow, so that it starts that kernel early (:mod:`cnnlab.grade.warm`).
    """

    def __init__(self, jobs: int = 2, margin_s: int = 120):
        self.jobs = max(1, jobs)
        self.margin_s = margin_s
        self._pool = None

    def _new_pool(self):
        return _loky().ProcessPoolExecutor(max_workers=self.jobs, initializer=_init_local_worker, context=_fork_context())

    def warm_up(self, job: Job) -> None:
        """Start the workers now, each preparing ``job``'s assignment and starting a kernel for it
        while this process does other work (the sandbox's self-test). No job runs before :meth:`run`."""
        self._pool = self._new_pool()
        for _ in range(self.jobs):  # one each, as a rule: an idle worker takes the next call
            self._pool.submit(warm_up, job)

    def close(self) -> None:
        """Stop workers started by :meth:`warm_up` that no :meth:`run` used (their warm kernels too)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def run(self, jobs: list[Job]) -> Iterator[tuple[Job, Result]]:
        from concurrent.futures import FIRST_COMPLETED, wait

        loky = _loky()
        BrokenProcessPool, TerminatedWorkerError = loky.BrokenProcessPool, loky.TerminatedWorkerError

        queue = list(jobs)
        attempts: dict[str, int] = {}
        while queue:
            pool, self._pool = self._pool or self._new_pool(), None
            running: dict = {}
            broken = False
            try:
                while (queue or running) and not broken:
                    while queue and len(running) < self.jobs:
                        job = queue.pop(0)
                        # Every worker will get another job of this assignment: warm its kernel now.
                        follows = len(queue) >= self.jobs and all(j.assignment == job.assignment
                                                                  for j in queue[:self.jobs])
                        running[pool.submit(grade, replace(job, warm_next=follows))] = (job, time.monotonic())
                    done, _ = wait(running, timeout=2, return_when=FIRST_COMPLETED)
                    for fut in done:
                        job, _ = running.pop(fut)
                        try:
                            yield job, fut.result()
                        except (BrokenProcessPool, TerminatedWorkerError):
                            broken = True
                            attempts[job.key] = attempts.get(job.key, 0) + 1
                            if attempts[job.key] > 1:
                                yield job, _failed(job, CRASHED)
                            else:
                                queue.append(job)
                        except Exception as exc:  # a bug in grading itself, not the submission's fault
                            yield job, _failed(job, f"grading failed: {type(exc).__name__}: {exc}")
                    now = time.monotonic()
                    for fut, (job, t0) in list(running.items()):
                        deadline = job.limits.submission_timeout + self.margin_s
                        if now - t0 > deadline:
                            broken = True
                            running.pop(fut)
                            yield job, _failed(job, f"grading did not finish within {deadline} s")
                if broken:  # resubmit what was in flight with the stopped pool, without an attempt
                    queue = [job for job, _ in running.values()] + queue
            finally:
                pool.shutdown(wait=not broken, kill_workers=broken)


class DaskCluster:
    """Workers of a Dask cluster (``tcp://host:8786``); see README "Grading on a cluster".

    Each Dask worker runs :func:`~cnnlab.grade.worker.grade` in its own sandbox. A worker
    lost mid-run has its tasks rescheduled on others by the scheduler (up to its
    ``allowed-failures``); the parent merges each submission once.
    """

    def __init__(self, address: str, timeout_s: int = 30):
        self.address = address
        self.timeout_s = timeout_s
        self._client = None

    def client(self):
        if self._client is None:
            from distributed import Client

            self._client = Client(self.address, timeout=self.timeout_s)
        return self._client

    def self_test(self, kernel_names: list[str], job: Job) -> list[str]:
        """Run the sandbox self-test on every worker; raise SandboxUnavailable naming the first that fails."""
        from .sandbox import SandboxUnavailable
        from .worker import self_test

        client = self.client()
        if not client.scheduler_info().get("workers"):
            raise SandboxUnavailable(f"the Dask scheduler {self.address} has no workers: start some first")
        found = client.run(self_test, kernel_names, job.limits, job.forbidden, on_error="return")
        warnings = []
        for worker, answer in sorted(found.items()):
            if isinstance(answer, BaseException):
                raise SandboxUnavailable(f"Dask worker {worker}: {answer}")
            if answer:
                warnings.append(f"Dask worker {worker}: {answer}")
        return warnings

    def run(self, jobs: list[Job]) -> Iterator[tuple[Job, Result]]:
        from distributed import as_completed

        client = self.client()
        stamp = f"{os.getpid()}-{time.time_ns()}"
        futures = {client.submit(grade, job, key=f"cnnlab-grade-{job.key}-{stamp}", pure=False): job for job in jobs}
        try:
            for fut in as_completed(futures):
                job = futures[fut]
                try:
                    yield job, fut.result()
                except Exception as exc:  # KilledWorker: it took down worker after worker
                    yield job, _failed(job, f"grading failed on the cluster: {type(exc).__name__}: {exc}")
        finally:
            for fut in futures:
                fut.release()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
