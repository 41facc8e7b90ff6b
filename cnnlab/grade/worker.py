"""The worker: grade one submission, as a function of its inputs.

:func:`grade` takes a :class:`Job` -- the assignment's source files, the student's
submitted files and the limits, as bytes, so it runs the same in a local process or on
a Dask worker on another machine -- and returns a :class:`Result`: the notebooks as
executed (outputs recorded by nbgrader's own autograde, run on a private copy of only
what it needs, with student code in the sandbox) and what the worker judged (an error
that makes the submission ungradable, flags for a human, the sandbox's peak memory).
It never sees the course folder or the gradebook; the parent's writer
(:mod:`cnnlab.grade.writer`) merges the Result.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import hidden, judge, nbgrader_api, warm, zygote

MB = 1024 * 1024
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


@dataclass
class Limits:
    """What one submission may use. ``sandbox=False`` runs kernels as plain nbgrader does."""

    cell_timeout: int = 30          # nbgrader's per-cell timeout (s)
    submission_timeout: int = 600   # wall clock for a whole notebook (s)
    memory_mb: int = 6144           # the sandbox's memory (all its processes); see README's table
    cpu_seconds: int = 900
    file_size_mb: int = 64          # largest file the kernel may write
    max_output_mb: int = 1          # output kept per cell
    max_submission_mb: int = 20     # larger submitted notebooks are rejected unread
    sandbox: bool = True
    fork_server: bool = True        # fork sandboxed kernels from one that has imported (cnnlab.grade.zygote)
    threads: int = 0                # BLAS/TensorFlow threads per kernel; 0: CPUs // jobs


@dataclass
class Job:
    """One submission to grade: everything the worker needs, as data."""

    student: str
    assignment: str
    source: dict[str, bytes]        # the assignment's source folder: relative path → content
    files: dict[str, bytes]         # the student's submitted files: relative path → content
    limits: Limits = field(default_factory=Limits)
    forbidden: list[str] = field(default_factory=list)  # folders the sandbox must never show (the course)
    expected: dict[str, dict] = field(default_factory=dict)  # source notebook → its hidden cases' expected
                                                             # values, computed by the parent (judge.py)
    expected_file: str = ""         # or the file where they will be, once computed (cnnlab.grade.hidden)
    warm_next: bool = False         # another submission of this assignment follows on this worker

    @property
    def key(self) -> str:
        return f"{self.student}/{self.assignment}"


@dataclass
class Result:
    """What the worker made of a Job."""

    student: str
    assignment: str
    notebooks: dict[str, str] = field(default_factory=dict)  # notebook name → executed notebook (JSON)
    error: str = ""                 # why it cannot be graded ("" if it can)
    flags: list[str] = field(default_factory=list)
    peak_memory_mb: float | None = None
    seconds: float = 0.0


def read_folder(folder: Path) -> dict[str, bytes]:
    """relative path → content of every plain file under ``folder`` (links skipped)."""
    folder = Path(folder)
    return {str(p.relative_to(folder)): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def top_notebooks(files: dict[str, bytes]) -> list[str]:
    """The names of the notebooks at the top of a folder read by :func:`read_folder` (the graded ones)."""
    return [name for name in files if name.endswith(".ipynb") and "/" not in name]


def precheck(files: dict[str, bytes], assignment: str, limits: Limits) -> str:
    """Why these submitted files cannot be graded at all, or "" if they can be tried."""
    notebooks = {name: data for name, data in files.items() if name.endswith(".ipynb")}
    if not notebooks:
        return f"no notebook was submitted (expected {assignment}.ipynb)"
    for name, data in notebooks.items():
        base = os.path.basename(name)
        if len(data) > limits.max_submission_mb * MB:
            return (f"{base} is {len(data) / MB:.0f} MiB, over the limit of {limits.max_submission_mb} MiB "
                    "(clear the outputs and submit again)")
        try:
            nbformat.validate(nbformat.reads(data.decode("utf-8"), as_version=4))
        except Exception as exc:  # JSON, encoding or schema errors
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return f"{base} is not a valid Jupyter notebook ({type(exc).__name__}: {first[:200]})"
    return ""


def quiet_warnings() -> None:
    """nbgrader's gradebook code triggers SQLAlchemy warnings, and old notebooks nbformat ones: not ours."""
    import warnings

    warnings.filterwarnings("ignore", message=".*not in session.*")
    warnings.filterwarnings("ignore", message=".*missing an id field.*")
    warnings.filterwarnings("ignore", category=DeprecationWarning)


# ------------------------------------------------------------ per-process state

_SLOT: int | None = None
_SLOT_LOCK = None
_ROOT: Path | None = None
_TEMPLATES: dict[str, Path] = {}
SLOT_DIR = Path(tempfile.gettempdir()) / "cnnlab-slots"


def slot() -> int:
    """This process's sandbox slot: the lowest number no other grading process on this host holds.

    Kernels of different slots run as different uids (when root), so per-uid limits and
    signals never cross between parallel kernels. A lock file per slot, held while this
    process lives, makes it work for pool workers and Dask workers alike.
    """
    global _SLOT, _SLOT_LOCK
    if _SLOT is None:
        from .sandbox import sweep_leftovers

        sweep_leftovers()  # what killed grading processes on this host left behind
        sweep_scratch()
        SLOT_DIR.mkdir(mode=0o700, exist_ok=True)
        for n in range(4096):
            f = open(SLOT_DIR / f"{n}.lock", "a")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                f.close()
                continue
            _SLOT, _SLOT_LOCK = n, f
            break
        else:
            raise RuntimeError(f"no free grading slot in {SLOT_DIR}")
    return _SLOT


SHM = "/dev/shm"
SHM_FREE_MB = 1024


def _scratch() -> str | None:
    """Memory-backed scratch space if the host has plenty (the private gradebook commits many
    times per submission: on a disk each commit waits for it), else None (the temp folder)."""
    try:
        st = os.statvfs(SHM)
    except OSError:
        return None
    return SHM if os.access(SHM, os.W_OK) and st.f_bavail * st.f_frsize >= SHM_FREE_MB * MB else None


SCRATCH_PREFIX = "cnnlab-grading-"


def sweep_scratch() -> None:
    """Remove the private grading folders of grading processes that were killed (a pool worker
    past its time limit, a lost Dask worker): they could not remove them (in memory, on /dev/shm)."""
    from .cgroups import _alive

    for base in {SHM, tempfile.gettempdir()}:
        for folder in Path(base).glob(f"{SCRATCH_PREFIX}*-*"):
            pid = folder.name[len(SCRATCH_PREFIX):].split("-")[0]
            if pid.isdigit() and not _alive(int(pid)):
                shutil.rmtree(folder, ignore_errors=True)


def _workroot() -> Path:
    global _ROOT
    if _ROOT is None or not _ROOT.is_dir():
        # Named by our pid: the sweep at start (sweep_scratch) removes those of killed workers.
        _ROOT = Path(tempfile.mkdtemp(prefix=f"{SCRATCH_PREFIX}{os.getpid()}-", dir=_scratch()))
    return _ROOT


def _write(folder: Path, files: dict[str, bytes]) -> None:
    for name, data in files.items():
        target = (folder / name).resolve()
        if not str(target).startswith(str(folder.resolve()) + os.sep):
            continue  # a path that leaves its folder is never written
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)


def cleanup() -> None:
    """Stop this process's warm kernel and fork server, and remove its private grading folder (at a worker's exit)."""
    global _ROOT
    warm.discard()
    zygote.discard()
    if _ROOT is not None:
        shutil.rmtree(_ROOT, ignore_errors=True)
    _ROOT = None
    _TEMPLATES.clear()


def _template(assignment: str, source: dict[str, bytes]) -> Path:
    """A private course with only ``source/<assignment>/`` and a gradebook of only that assignment.

    Built once per process and version of the source (nbgrader's generate_assignment takes
    seconds), and only read afterwards (each submission copies it).
    """
    digest = hashlib.sha256(assignment.encode() + b"\0" + b"".join(
        k.encode() + b"\0" + v + b"\1" for k, v in sorted(source.items()))).hexdigest()[:16]
    tdir = _TEMPLATES.get(digest)
    if tdir is None or not tdir.is_dir():
        tdir = _workroot() / f"template-{assignment}-{digest}"
        shutil.rmtree(tdir, ignore_errors=True)
        _write(tdir / "source" / assignment, source)
        api = nbgrader_api.make_api(tdir)
        nbgrader_api.run(f"generate_assignment {assignment} (private copy)", api.generate_assignment,
                         assignment, force=True)
        _TEMPLATES[digest] = tdir
    return tdir


_GRADING = threading.Lock()


def grade(job: Job) -> Result:
    """Grade one submission (see the module doc); never raises for a bad submission."""
    # One at a time per process: its warm kernel and fork server serve one submission at a time
    # (a Dask worker started with several threads grades in turn, not wrongly).
    with _GRADING:
        return _grade(job)


def _grade(job: Job) -> Result:
    quiet_warnings()
    start = time.monotonic()
    result = Result(job.student, job.assignment)
    config, kernel = _setup(job)
    if kernel:  # the kernel starts (and imports) while nbgrader prepares the notebook
        warm.ensure(nbgrader_api.make_config(**config), kernel, warm.home_files(job.source, job.files),
                    warm.preload_for(job.source[f"{job.assignment}.ipynb"]), _workroot())
    template = _template(job.assignment, job.source)
    seed_expected(job)
    priv = Path(tempfile.mkdtemp(prefix="sub-", dir=_workroot()))
    try:
        shutil.copytree(template / "source", priv / "source", symlinks=False)
        shutil.copy2(template / "gradebook.db", priv / "gradebook.db")
        _write(priv / "submitted" / job.student / job.assignment, job.files)
        api = nbgrader_api.make_api(priv, **config)
        from .sandbox import environment_kept

        with environment_kept():  # judging may import TensorFlow here (the capstone loads the model)
            done = api.autograde(job.assignment, job.student, force=True, create=True)
        if not done.get("success"):
            result.error = "nbgrader could not grade it: " + nbgrader_api.nbgrader_error(done)
            return result
        graded = priv / "autograded" / job.student / job.assignment
        for path in sorted(graded.glob("*.ipynb")):
            text = path.read_text(encoding="utf-8")
            result.notebooks[path.stem] = text
            meta = nbformat.reads(text, as_version=4).metadata.get("cnnlab", {})
            if meta.get("foreign_cells"):
                result.flags.append(f"{path.name}: foreign grade cells not graded: {', '.join(meta['foreign_cells'])}")
            if meta.get("peak_memory_mb") is not None:
                result.peak_memory_mb = max(result.peak_memory_mb or 0.0, meta["peak_memory_mb"])
        return result
    finally:
        warm.discard()  # a kernel nbgrader did not take (a failed step), and the files of the one it did
        if kernel and job.warm_next:  # the next submission's kernel starts while the parent merges this one
            warm.start(nbgrader_api.make_config(**config), kernel, warm.home_files(job.source, {}),
                       warm.preload_for(job.source[f"{job.assignment}.ipynb"]), _workroot())
        result.seconds = time.monotonic() - start
        shutil.rmtree(priv, ignore_errors=True)


def seed_expected(job: Job) -> None:
    """Give this process's judges the hidden cases' expected values the job carries, or the file where
    they will be (read when a hidden case is first judged, after the kernel has run: the child of
    :mod:`cnnlab.grade.hidden` may still be computing them)."""
    for name, computed in job.expected.items():
        judge.seed(job.source[name].decode("utf-8"), computed)
    if job.expected_file:
        for name in top_notebooks(job.source):
            judge.seed_later(job.source[name].decode("utf-8"),
                             lambda name=name: hidden.load(job.expected_file, job.limits.submission_timeout).get(name, {}))


def warm_up(job: Job) -> None:
    """Get this process ready for submissions of ``job``'s assignment before one arrives: its
    private template, and a warm kernel (for a submission of notebooks only). Never raises."""
    try:
        config, kernel = _setup(job)
        _template(job.assignment, job.source)  # first: a kernel forked from a fork server waits for its imports
        if kernel:
            warm.ensure(nbgrader_api.make_config(**config), kernel, warm.home_files(job.source, {}),
                        warm.preload_for(job.source[f"{job.assignment}.ipynb"]), _workroot())
    except Exception:  # the first job does it all again, and reports what fails
        pass


def _setup(job: Job) -> tuple[dict, str | None]:
    """This process's nbgrader config for ``job``, and the kernel to warm for it (None: none)."""
    from .steps import worker_config

    for name in THREAD_VARS:  # kernels inherit these through the sandbox's environment
        os.environ[name] = str(job.limits.threads or 1)
    config = worker_config(job.limits, [*job.forbidden, str(_workroot())], slot())
    return config, _warm_kernel(job) if job.limits.sandbox else None


def _warm_kernel(job: Job) -> str | None:
    """The kernel name a warm kernel for this job would have (None: do not warm one).

    Only for an assignment of one notebook, whose kernel spec nbgrader restores from the source.
    """
    notebooks = top_notebooks(job.source)
    if notebooks != [f"{job.assignment}.ipynb"]:
        return None
    try:
        spec = nbformat.reads(job.source[notebooks[0]].decode("utf-8"), as_version=4).metadata.get("kernelspec", {})
    except Exception:  # nbgrader reports a broken source itself
        return None
    return spec.get("name") or None


def self_test(kernel_names: list[str], limits: Limits, forbidden: list[str]) -> str:
    """Check (here, on this worker) that each kernel imports cnnlab and NumPy in the sandbox; see sandbox.self_test."""
    from .sandbox import check_available, containment
    from .sandbox import self_test as probe

    if not limits.sandbox:
        return ""
    check_available()
    for name in kernel_names:
        probe(name, memory_mb=limits.memory_mb, cpu_seconds=limits.cpu_seconds,
              file_size_mb=limits.file_size_mb, forbidden=forbidden)
    return "; ".join(containment())
