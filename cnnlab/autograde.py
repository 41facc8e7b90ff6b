"""Autograde a whole class with nbgrader, in parallel, with student code sandboxed.

The instructor's course folder is nbgrader's (``source/``, ``release/``,
``submitted/<student>/<assignment>/``, ``autograded/``, the gradebook).
For each submission that is new or changed since the last run:

1. **Worker** (one of ``jobs`` processes, each grading one submission at a
   time): builds a private copy of only what nbgrader needs -- that
   assignment's source folder, a gradebook holding only that assignment, and
   the student's submitted files -- and runs nbgrader's real ``autograde`` on
   it. nbgrader restores the locked and test cells from that gradebook, then
   :class:`cnnlab.sandbox.GuardedExecute` runs the notebook in a sandboxed
   kernel (see :mod:`cnnlab.sandbox`): the student's code never sees the
   course folder, the gradebook, the source notebook or the private copy.
2. **Parent** (this process, one submission at a time): runs nbgrader's real
   ``autograde`` on the course folder, with execution replaced by the outputs
   the worker recorded (:class:`ReplayExecute`). So nbgrader itself sanitizes
   the submission, restores the cells, scores them, applies late penalties
   and writes the gradebook -- any database nbgrader supports (``db_url``) --
   and only this trusted process ever opens it.

A submission that cannot be graded (not a notebook, too large, nbgrader
fails on it) is *rejected*: its grades are set to 0 in the gradebook, as
nbgrader does for a missing notebook, and the reason is kept in
``<course>/.cnnlab/autograde.json`` (shown by ``report`` and ``feedback``).
That file also holds a fingerprint of each graded submission (its files and
the source notebook), so a re-run grades only new or changed ones.
"""

from __future__ import annotations

import concurrent.futures as cf
import hashlib
import json
import multiprocessing as mp
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from . import nbgrader_api
from .collect import student_id_problem

STATE_DIR = ".cnnlab"
STATE_FILE = "autograde.json"
MB = 1024 * 1024


@dataclass
class Limits:
    """What one submission may use. ``sandbox=False`` runs kernels as plain nbgrader does."""

    cell_timeout: int = 30          # nbgrader's per-cell timeout (s)
    submission_timeout: int = 600   # wall clock for a whole notebook (s)
    memory_mb: int = 4096           # address space of the kernel
    cpu_seconds: int = 900
    file_size_mb: int = 64          # largest file the kernel may write
    max_output_mb: int = 1          # output kept per cell
    max_submission_mb: int = 20     # larger submitted notebooks are rejected unread
    sandbox: bool = True
    threads: int = 0                # BLAS/TensorFlow threads per kernel; 0: CPUs // jobs


@dataclass
class Outcome:
    """What happened to one submission (one notebook of one student)."""

    student: str
    assignment: str
    status: str                 # "graded", "rejected" or "unchanged"
    reason: str = ""
    score: float | None = None
    max_score: float | None = None
    seconds: float = 0.0
    flags: list[str] = field(default_factory=list)  # for a human to look at, e.g. foreign grade cells
    peak_memory_mb: float | None = None  # the sandbox's peak memory (where cgroups record it)


@dataclass
class _Task:
    student: str
    assignment: str
    submitted: str
    template: str
    workroot: str
    config: dict = field(default_factory=dict)


# ---------------------------------------------------------------- course folder

def course_submissions(course_dir: Path, assignments: list[str] | None = None,
                       students: list[str] | None = None) -> list[tuple[str, str]]:
    """(student, assignment) of every folder ``submitted/<student>/<assignment>/``, sorted."""
    found = []
    submitted = Path(course_dir) / "submitted"
    if not submitted.is_dir():
        return found
    for sdir in sorted(p for p in submitted.iterdir() if p.is_dir() and not p.is_symlink()):
        if students and sdir.name not in students:
            continue
        if student_id_problem(sdir.name):  # never a gradebook key; see invalid_student_folders
            continue
        for adir in sorted(p for p in sdir.iterdir() if p.is_dir() and not p.is_symlink()):
            if assignments and adir.name not in assignments:
                continue
            found.append((sdir.name, adir.name))
    return found


def invalid_student_folders(course_dir: Path) -> list[tuple[str, str]]:
    """(folder name, why) of each ``submitted/`` folder that is not a usable student id."""
    submitted = Path(course_dir) / "submitted"
    if not submitted.is_dir():
        return []
    return [(p.name, student_id_problem(p.name)) for p in sorted(submitted.iterdir())
            if p.is_dir() and student_id_problem(p.name)]


def _regular_files(folder: Path) -> list[Path]:
    return sorted(p for p in Path(folder).rglob("*") if p.is_file() and not p.is_symlink())


def fingerprint(submitted: Path, source: Path) -> str:
    """A hash of a submission's files and of its assignment's source folder."""
    h = hashlib.sha256()
    for root in (Path(submitted), Path(source)):
        for path in _regular_files(root):
            h.update(str(path.relative_to(root)).encode() + b"\0")
            with open(path, "rb") as f:
                for block in iter(lambda: f.read(1 << 20), b""):
                    h.update(block)
            h.update(b"\0")
        h.update(b"\1")
    return h.hexdigest()


def load_state(course_dir: Path) -> dict:
    path = Path(course_dir) / STATE_DIR / STATE_FILE
    return json.loads(path.read_text()) if path.exists() else {}


def save_state(course_dir: Path, state: dict) -> None:
    path = Path(course_dir) / STATE_DIR / STATE_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=1, sort_keys=True))
    os.replace(tmp, path)


def precheck(submitted: Path, assignment: str, limits: Limits) -> str:
    """Why this submission cannot be graded at all, or "" if it can be tried."""
    notebooks = [p for p in _regular_files(submitted) if p.suffix == ".ipynb"]
    if not notebooks:
        return f"no notebook was submitted (expected {assignment}.ipynb)"
    for nb in notebooks:
        size = nb.stat().st_size
        if size > limits.max_submission_mb * MB:
            return (f"{nb.name} is {size / MB:.0f} MiB, over the limit of {limits.max_submission_mb} MiB "
                    "(clear the outputs and submit again)")
        try:
            with open(nb, encoding="utf-8") as f:
                nbformat.validate(nbformat.read(f, as_version=4))
        except Exception as exc:  # JSON, encoding or schema errors
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return f"{nb.name} is not a valid Jupyter notebook ({type(exc).__name__}: {first[:200]})"
    return ""


# ---------------------------------------------------------------- worker side

_SLOT = 0


def quiet_warnings() -> None:
    """nbgrader's gradebook code triggers SQLAlchemy warnings, and old notebooks nbformat ones: not ours."""
    import warnings

    warnings.filterwarnings("ignore", message=".*not in session.*")
    warnings.filterwarnings("ignore", message=".*missing an id field.*")
    warnings.filterwarnings("ignore", category=DeprecationWarning)


THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS")


def _init_worker(counter, threads: int) -> None:
    global _SLOT
    quiet_warnings()
    # Kernels inherit these (the sandbox passes them through): `jobs` kernels with
    # CPUs // jobs threads each use the machine without oversubscribing it.
    for name in THREAD_VARS:
        os.environ[name] = str(threads)
    with counter.get_lock():
        _SLOT = counter.value
        counter.value += 1
    import nbgrader.apps  # noqa: F401  (pay the slow import once per worker)


def nbgrader_error(result: dict) -> str:
    """The real error behind a failed ``NbGraderAPI`` call, e.g. ``KeyError: 'grade_id' (in ...)``.

    nbgrader logs the traceback of what went wrong and then raises its own
    "see the above traceback" exception; the log's last traceback is the cause.
    """
    log = (result.get("log") or "").splitlines()
    cause, where = "", ""
    for i, line in enumerate(log):
        if re.sub(r"^\[\w+\] ", "", line).startswith("Traceback (most recent call last)"):
            block = []
            for nxt in log[i + 1:]:
                if nxt.startswith("["):  # the next log record
                    break
                if nxt.strip():
                    block.append(nxt)
            if block:
                indent = min(len(b) - len(b.lstrip()) for b in block)
                cause = [b.strip() for b in block if len(b) - len(b.lstrip()) == indent][-1]
                frames = [b.strip() for b in block if b.strip().startswith("File ")]
                where = frames[-1] if frames else ""
    if not cause:  # no traceback: nbgrader's own error lines, without its "see above" boilerplate
        errors = [ln.split("]", 1)[-1].strip() for ln in log if ln.startswith("[ERROR]")]
        errors = [e for e in errors if "above traceback" not in e and not e.startswith("There was an error")]
        tb = [ln for ln in (result.get("error") or "").strip().splitlines() if ln.strip()]
        cause = (errors or tb or ["unknown error"])[-1].strip()
    if where:
        m = re.search(r'File "([^"]+)", line (\d+), in (\S+)', where)
        if m:
            where = f"{Path(m.group(1)).name}:{m.group(2)} in {m.group(3)}"
        cause = f"{cause} (at {where})"
    return cause[:400]


def _nbgrader_reason(result: dict) -> str:
    return "nbgrader could not grade it: " + nbgrader_error(result)


def _grade_in_worker(task: _Task) -> dict:
    """Grade one submission in a private course copy; return where the executed notebooks are."""
    start = time.monotonic()
    priv = Path(tempfile.mkdtemp(prefix="sub-", dir=task.workroot))
    template = Path(task.template)
    shutil.copytree(template / "source", priv / "source", symlinks=False)
    shutil.copy2(template / "gradebook.db", priv / "gradebook.db")
    dest = priv / "submitted" / task.student / task.assignment
    dest.mkdir(parents=True)
    src = Path(task.submitted)
    for path in _regular_files(src):
        target = dest / path.relative_to(src)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    config = dict(task.config)
    config["SandboxKernelManager.uid_slot"] = _SLOT
    config["SandboxKernelManager.forbidden"] = list(config.get("SandboxKernelManager.forbidden", [])) + [str(priv)]
    api = nbgrader_api.make_api(priv, **config)
    result = api.autograde(task.assignment, task.student, force=True, create=True)
    out = {"dir": str(priv), "seconds": time.monotonic() - start}
    if not result.get("success"):
        out["error"] = _nbgrader_reason(result)
        return out
    graded = priv / "autograded" / task.student / task.assignment
    out["notebooks"] = {p.stem: str(p) for p in graded.glob("*.ipynb")}
    return out


class DropForeignCells(NbGraderPreprocessor):
    """Turn graded/solution cells the gradebook does not know into plain cells, and note them.

    A submission may carry a grade cell that is not in the assignment (copied from
    another notebook, or forged). nbgrader then fails on the whole notebook
    (``KeyError: 'grade_id'`` when it restores missing cells); here the notebook is
    graded on its known cells, and ``metadata.cnnlab.foreign_cells`` lists the others.
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            try:
                known = {c.name for c in gb.find_notebook(info["notebook"], info["assignment"]).source_cells}
            except MissingEntry:
                return nb, resources  # nbgrader reports an unknown notebook itself
        foreign = []
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if meta and (meta.get("grade") or meta.get("solution") or meta.get("locked") or meta.get("task")) \
                    and meta.get("grade_id") not in known:
                foreign.append(str(meta.get("grade_id", "(no id)")))
                del cell.metadata["nbgrader"]
        if foreign:
            nb.metadata.setdefault("cnnlab", {})["foreign_cells"] = foreign
        return nb, resources


def foreign_cell_flags(graded_dir: Path) -> list[str]:
    """One flag per autograded notebook in ``graded_dir`` that carried grade cells the assignment lacks."""
    found = []
    for path in sorted(Path(graded_dir).glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).metadata.get("cnnlab", {}).get("foreign_cells", [])
        if cells:
            found.append(f"{path.name}: foreign grade cells not graded: {', '.join(cells)}")
    return found


def peak_memory(graded_dir: Path) -> float | None:
    """The largest peak memory (MiB) the sandbox recorded over the notebooks in ``graded_dir``."""
    peaks = [nbformat.read(p, as_version=4).metadata.get("cnnlab", {}).get("peak_memory_mb")
             for p in sorted(Path(graded_dir).glob("*.ipynb"))]
    peaks = [p for p in peaks if p is not None]
    return max(peaks) if peaks else None


def autograde_steps(execute) -> dict:
    """nbgrader's Autograde steps (config items) with ``execute`` for its Execute, foreign cells dropped first."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute, OverwriteCells

    traits = Autograde.class_traits()
    sanitize = []
    for p in traits["sanitize_preprocessors"].default():
        if p is OverwriteCells:
            sanitize.append(DropForeignCells)
        sanitize.append(p)
    return {"Autograde.sanitize_preprocessors": sanitize,
            "Autograde.autograde_preprocessors": [execute if p is Execute else p
                                                  for p in traits["autograde_preprocessors"].default()]}


def worker_config(limits: Limits, forbidden: list[str]) -> dict:
    """nbgrader config for the workers: GuardedExecute instead of Execute, limits, missing cells restored."""
    from .sandbox import GuardedExecute

    return {
        **autograde_steps(GuardedExecute),
        "OverwriteCells.add_missing_cells": True,
        "Execute.timeout": limits.cell_timeout,
        "GuardedExecute.sandbox": limits.sandbox,
        "GuardedExecute.submission_timeout": limits.submission_timeout,
        "GuardedExecute.max_output_mb": limits.max_output_mb,
        "SandboxKernelManager.memory_mb": limits.memory_mb,
        "SandboxKernelManager.cpu_seconds": limits.cpu_seconds,
        "SandboxKernelManager.file_size_mb": limits.file_size_mb,
        "SandboxKernelManager.forbidden": forbidden,
    }


# ---------------------------------------------------------------- parent side

_REPLAY: dict[tuple[str, str, str], str] = {}


def _replay_preprocessor():
    from nbgrader.preprocessors import NbGraderPreprocessor

    class ReplayExecute(NbGraderPreprocessor):
        """Put the outputs recorded by a sandboxed worker into the notebook nbgrader is grading.

        The notebook here and the one the worker executed come from the same
        submitted file through the same nbgrader sanitizing steps, so they must
        match cell by cell; if not, grading fails rather than mixing them up.
        """

        def preprocess(self, nb, resources):
            key = (resources["nbgrader"]["assignment"], resources["nbgrader"]["student"],
                   resources["nbgrader"]["notebook"])
            executed = nbformat.read(_REPLAY[key], as_version=4)
            if [(c.cell_type, c.source) for c in executed.cells] != [(c.cell_type, c.source) for c in nb.cells]:
                raise ValueError("the executed notebook does not match the submission: the gradebook's copy "
                                 "of the assignment differs from source/ (run `cnnlab grade release "
                                 "--course ...` again after editing a source notebook)")
            for cell, done in zip(nb.cells, executed.cells):
                if cell.cell_type == "code":
                    cell.outputs = done.outputs
                    cell.execution_count = done.execution_count
            for key in ("language_info",):
                if key in executed.metadata:
                    nb.metadata[key] = executed.metadata[key]
            peak = executed.metadata.get("cnnlab", {}).get("peak_memory_mb")
            if peak is not None:
                nb.metadata.setdefault("cnnlab", {})["peak_memory_mb"] = peak
            return nb, resources

    return ReplayExecute


def parent_config() -> dict:
    return {**autograde_steps(_replay_preprocessor()), "OverwriteCells.add_missing_cells": True}


def db_config(db_url: str | None) -> dict:
    return {"CourseDirectory.db_url": db_url} if db_url else {}


def ensure_assignments(course_dir: Path, assignments: list[str], db_url: str | None = None) -> None:
    """Make sure the gradebook knows each assignment (nbgrader ``generate_assignment`` if not)."""
    from nbgrader.api import Gradebook, MissingEntry

    api = nbgrader_api.make_api(course_dir, **db_config(db_url))
    missing = []
    with Gradebook(api.coursedir.db_url, nbgrader_api.COURSE_ID) as gb:
        for aid in assignments:
            try:
                assignment = gb.find_assignment(aid)
                if not assignment.notebooks:
                    missing.append(aid)
            except MissingEntry:
                missing.append(aid)
    for aid in missing:
        if not (Path(course_dir) / "source" / aid).is_dir():
            raise FileNotFoundError(f"no source for assignment {aid}: expected {course_dir}/source/{aid}/ "
                                    "(run `cnnlab release --course DIR` first)")
        nbgrader_api.run(f"generate_assignment {aid}", api.generate_assignment, aid, force=True)


def _make_template(course_dir: Path, aid: str, root: Path) -> Path:
    """A private course holding only ``source/<aid>/`` and a gradebook with only that assignment."""
    tdir = root / f"template-{aid}"
    shutil.copytree(Path(course_dir) / "source" / aid, tdir / "source" / aid, symlinks=False)
    api = nbgrader_api.make_api(tdir)
    nbgrader_api.run(f"generate_assignment {aid} (private copy)", api.generate_assignment, aid, force=True)
    return tdir


def _zero_grades(db_url: str, student: str, aid: str) -> None:
    """Record a rejected submission: every grade 0, as nbgrader does for a missing notebook."""
    from nbgrader.api import Gradebook

    with Gradebook(db_url, nbgrader_api.COURSE_ID) as gb:
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission(aid, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                grade.auto_score = 0
                grade.needs_manual_grade = False
            for comment in notebook.comments:
                comment.auto_comment = None
        gb.db.commit()


def _scores(db_url: str, student: str, aid: str) -> tuple[float, float]:
    from nbgrader.api import Gradebook

    with Gradebook(db_url, nbgrader_api.COURSE_ID) as gb:
        sub = gb.find_submission(aid, student)
        return sub.score, sub.max_score


class _Parent:
    """The trusted side: owns the course folder, the gradebook and the state file."""

    def __init__(self, course_dir: Path, db_url: str | None):
        self.course_dir = course_dir
        self.api = nbgrader_api.make_api(course_dir, **db_config(db_url), **parent_config())
        self.db_url = self.api.coursedir.db_url
        self.state = load_state(course_dir)

    def merge(self, task: _Task, result: dict, fp: str) -> Outcome:
        outcome = Outcome(task.student, task.assignment, "graded", seconds=result.get("seconds", 0.0))
        if "error" in result:
            return self.reject(task.student, task.assignment, result["error"], fp, outcome.seconds)
        for name, path in result["notebooks"].items():
            _REPLAY[(task.assignment, task.student, name)] = path
        try:
            res = self.api.autograde(task.assignment, task.student, force=True, create=True)
        finally:
            for name in result["notebooks"]:
                _REPLAY.pop((task.assignment, task.student, name), None)
        if not res.get("success"):
            return self.reject(task.student, task.assignment, _nbgrader_reason(res), fp, outcome.seconds)
        outcome.score, outcome.max_score = _scores(self.db_url, task.student, task.assignment)
        graded = self.course_dir / "autograded" / task.student / task.assignment
        outcome.flags = foreign_cell_flags(graded)
        outcome.peak_memory_mb = peak_memory(graded)
        self._record(outcome, fp)
        return outcome

    def reject(self, student: str, aid: str, reason: str, fp: str, seconds: float = 0.0) -> Outcome:
        shutil.rmtree(self.course_dir / "autograded" / student / aid, ignore_errors=True)
        _zero_grades(self.db_url, student, aid)
        outcome = Outcome(student, aid, "rejected", reason=reason, seconds=seconds)
        outcome.score, outcome.max_score = _scores(self.db_url, student, aid)
        self._record(outcome, fp)
        return outcome

    def _record(self, outcome: Outcome, fp: str) -> None:
        entry = asdict(outcome)
        entry.update(fingerprint=fp, graded_at=datetime.now(timezone.utc).isoformat(timespec="seconds"))
        self.state[f"{outcome.student}/{outcome.assignment}"] = entry
        save_state(self.course_dir, self.state)

    def unchanged(self, student: str, aid: str, fp: str) -> bool:
        from nbgrader.api import Gradebook, MissingEntry

        entry = self.state.get(f"{student}/{aid}")
        if not entry or entry.get("fingerprint") != fp:
            return False
        with Gradebook(self.db_url, nbgrader_api.COURSE_ID) as gb:
            try:
                gb.find_submission(aid, student)
            except MissingEntry:
                return False
        return entry["status"] == "rejected" or (self.course_dir / "autograded" / student / aid).is_dir()


def autograde(course_dir: Path, *, db_url: str | None = None, jobs: int = 2, limits: Limits | None = None,
              assignments: list[str] | None = None, students: list[str] | None = None,
              force: bool = False, progress: bool = True) -> list[Outcome]:
    """Grade every new or changed submission in ``course_dir``; return one Outcome per submission.

    ``jobs`` worker processes grade in parallel; ``force`` regrades everything.
    """
    from tqdm import tqdm

    course_dir = Path(course_dir).resolve()
    limits = limits or Limits()
    quiet_warnings()
    if limits.sandbox:
        from .sandbox import check_available

        check_available()
    subs = course_submissions(course_dir, assignments, students)
    outcomes: list[Outcome] = [Outcome(name, "?", "skipped", reason=why + "; rename the folder")
                               for name, why in invalid_student_folders(course_dir)]
    ensure_assignments(course_dir, sorted({a for _, a in subs}), db_url)
    parent = _Parent(course_dir, db_url)
    todo: list[tuple[str, str, str]] = []
    for student, aid in subs:
        submitted = course_dir / "submitted" / student / aid
        fp = fingerprint(submitted, course_dir / "source" / aid)
        if not force and parent.unchanged(student, aid, fp):
            entry = parent.state[f"{student}/{aid}"]
            outcomes.append(Outcome(student, aid, "unchanged", entry.get("reason", ""),
                                    entry.get("score"), entry.get("max_score"), flags=entry.get("flags", [])))
            continue
        reason = precheck(submitted, aid, limits)
        if reason:
            outcomes.append(parent.reject(student, aid, reason, fp))
            continue
        todo.append((student, aid, fp))
    if not todo:
        return outcomes
    if limits.sandbox:
        _self_test(course_dir, sorted({a for _, a, _ in todo}), limits)
        from .sandbox import containment

        for warning in containment():
            print(f"warning: {warning}", file=sys.stderr)

    workroot = Path(tempfile.mkdtemp(prefix="cnnlab-grading-"))
    try:
        templates = {aid: str(_make_template(course_dir, aid, workroot)) for aid in sorted({a for _, a, _ in todo})}
        config = worker_config(limits, [str(course_dir), str(workroot)])
        tasks = [(_Task(s, a, str(course_dir / "submitted" / s / a), templates[a], str(workroot), config), fp)
                 for s, a, fp in todo]
        bar = tqdm(total=len(tasks), desc="autograde", unit="nb", disable=not progress)
        for task, fp, result in _run_pool(tasks, jobs, limits):
            outcome = parent.merge(task, result, fp)
            shutil.rmtree(result.get("dir", workroot / "none"), ignore_errors=True)
            outcomes.append(outcome)
            bar.set_postfix_str(f"{task.student}/{task.assignment}: {outcome.status}", refresh=False)
            bar.update(1)
        bar.close()
    finally:
        shutil.rmtree(workroot, ignore_errors=True)
    return outcomes


def kernel_names(course_dir: Path, aids: list[str]) -> list[str]:
    """The kernels the assignments' source notebooks run in (nbgrader restores these)."""
    names = set()
    for aid in aids:
        for nb in sorted((Path(course_dir) / "source" / aid).glob("*.ipynb")):
            try:
                names.add(nbformat.read(nb, as_version=4).metadata.get("kernelspec", {}).get("name") or "python3")
            except Exception:  # an unreadable source notebook fails later, in nbgrader, with its reason
                names.add("python3")
    return sorted(names) or ["python3"]


def _self_test(course_dir: Path, aids: list[str], limits: Limits) -> None:
    """Refuse to grade (SandboxUnavailable) unless each kernel imports cnnlab and NumPy in the sandbox."""
    from .sandbox import self_test

    for name in kernel_names(course_dir, aids):
        self_test(name, memory_mb=limits.memory_mb, cpu_seconds=limits.cpu_seconds,
                  file_size_mb=limits.file_size_mb, forbidden=[str(course_dir)])


def _run_pool(tasks: list[tuple[_Task, str]], jobs: int, limits: Limits):
    """Yield (task, fingerprint, worker result) as workers finish, ``jobs`` at a time.

    A worker that crashes or hangs past the notebook's time limit (plus a
    margin) is killed with its pool; the submission it held is rejected after
    a second try, and the others are resubmitted.
    """
    deadline = limits.submission_timeout + 120
    queue = list(tasks)
    attempts: dict[int, int] = {}
    ctx = mp.get_context("spawn")
    counter = ctx.Value("i", 0)
    threads = limits.threads or max(1, (os.cpu_count() or 1) // max(1, jobs))
    while queue:
        pool = cf.ProcessPoolExecutor(max_workers=max(1, jobs), mp_context=ctx,
                                      initializer=_init_worker, initargs=(counter, threads))
        running: dict[cf.Future, tuple[_Task, str, float]] = {}
        broken = False
        try:
            while (queue or running) and not broken:
                while queue and len(running) < max(1, jobs):
                    task, fp = queue.pop(0)
                    running[pool.submit(_grade_in_worker, task)] = (task, fp, time.monotonic())
                done, _ = cf.wait(running, timeout=5, return_when=cf.FIRST_COMPLETED)
                for fut in done:
                    task, fp, _ = running.pop(fut)
                    try:
                        yield task, fp, fut.result()
                    except cf.process.BrokenProcessPool:
                        broken = True
                        if not _requeue(task, fp, queue, attempts):
                            yield task, fp, {"error": CRASHED}
                    except Exception as exc:
                        yield task, fp, {"error": f"grading failed: {type(exc).__name__}: {exc}"}
                now = time.monotonic()
                late = [f for f, (_, _, t0) in running.items() if now - t0 > deadline]
                if late:
                    broken = True
                    for fut in late:
                        task, fp, _ = running.pop(fut)
                        yield task, fp, {"error": f"grading did not finish within {deadline} s"}
            if broken:  # resubmit whatever was in flight with the broken pool
                for task, fp, _ in running.values():
                    if not _requeue(task, fp, queue, attempts):
                        yield task, fp, {"error": CRASHED}
        finally:
            for proc in list(getattr(pool, "_processes", {}).values()):
                if broken and proc.is_alive():
                    proc.kill()
            pool.shutdown(wait=not broken, cancel_futures=True)


CRASHED = "the grading process crashed twice on this submission (out of memory?)"


def _requeue(task, fp, queue, attempts) -> bool:
    """Put a task whose worker crashed back in the queue, once."""
    attempts[id(task)] = attempts.get(id(task), 0) + 1
    if attempts[id(task)] > 1:
        return False
    queue.append((task, fp))
    return True
