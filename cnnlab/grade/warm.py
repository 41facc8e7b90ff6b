"""Warm kernels: a worker starts a submission's sandboxed kernel before nbgrader asks for it.

Starting a kernel -- bubblewrap, the interpreter, ipykernel, then the imports every
notebook of the assignment always makes (NumPy, cnnlab, SciPy, TensorFlow: seconds) -- would
otherwise begin only when nbgrader's execute step starts. A worker starts it earlier
(:func:`start`): when a submission arrives, before nbgrader's sanitize steps, and, when
the executor says another submission will follow, right after the previous one, while
the parent merges its result. :class:`~cnnlab.grade.sandbox.GuardedExecute` then takes it
(:func:`take`) instead of starting its own.

What makes it safe: a warm kernel runs no student code until it is taken, is taken for
one submission only and shut down after it (never reused), and is used only if it was
started exactly as the execute step would start it -- same sandbox settings, kernel,
and files in its home folder (names and contents); otherwise it is discarded and the
execute step starts a kernel as usual. Preloading only imports modules, as the
notebook's own first cell does, in a fresh interpreter (:func:`preload_line`).
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024
HIST = "--HistoryManager.hist_file=:memory:"  # what nbclient passes to IPython kernels


def kernel_files(cwd: str | None) -> list[str]:
    """The files of ``cwd`` that a sandboxed kernel gets, read-only, in its home folder.

    nbgrader starts the kernel in the folder of the notebook being graded; only its plain
    files go in (never a notebook: the one there holds the hidden tests).
    """
    files = []
    if cwd and os.path.isdir(cwd):
        for entry in sorted(os.scandir(cwd), key=lambda e: e.name):
            if entry.is_file(follow_symlinks=False) and not entry.name.endswith(".ipynb") \
                    and entry.name != "timestamp.txt" and entry.stat().st_size <= 100 * MB:
                files.append(entry.path)
    return files


def _files_key(paths: list[str]) -> tuple:
    return tuple((os.path.basename(p), hashlib.sha256(Path(p).read_bytes()).hexdigest()) for p in paths)


def home_files(source: dict[str, bytes], submitted: dict[str, bytes]) -> dict[str, bytes]:
    """The plain files nbgrader will put beside the notebook: the submitted ones, then the
    assignment's own (which nbgrader copies over them), top level only."""
    found = {}
    for files in (submitted, source):
        for name, data in files.items():
            if "/" not in name and not name.endswith(".ipynb") and name != "timestamp.txt":
                found[name] = data
    return found


def preload_line(modules: list[str], tensorflow: bool, optional: list[str] = ()) -> str:
    """One IPython start-up line (``IPKernelApp.exec_lines``) that imports ``modules``, then
    TensorFlow, then whichever of ``optional`` import (a failure there is left for the cell that
    imports it to meet, as it would without the preload).

    It leaves no name in the student's namespace and no entry in the history. TensorFlow
    is imported through :func:`cnnlab.runtime.quiet_tensorflow`, as the notebooks do.
    """
    parts = [f"__import__({m!r})" for m in modules]
    if tensorflow:
        parts.append("__import__('cnnlab.runtime').runtime.quiet_tensorflow()")
    if optional:  # exec in a namespace of its own: the loop's name stays out of the student's
        code = f"for m in {list(optional)!r}:\n try: __import__(m)\n except Exception: pass"
        parts.append(f"exec({code!r}, {{}})")
    return "; ".join(parts)


TENSORFLOW_ROOTS = ("tensorflow", "keras")  # imported noisily unless through quiet_tensorflow()


@functools.lru_cache(maxsize=16)  # asked for each submission, twice; the source rarely changes
def preload_for(notebook_json: bytes) -> str:
    """The preload line for an assignment's source notebook: NumPy and cnnlab always, and every
    module a code cell imports in a top-level statement (those imports run whatever the cell's
    branches do: notebook 2's set-up cell imports SciPy and Matplotlib, 2 s of a 20 s notebook).

    TensorFlow and Keras only where a code cell calls ``runtime.quiet_tensorflow()`` as a
    statement of its own (it then imports TensorFlow whenever it runs; notebook 2 calls it only
    outside FAST mode, so under the grader it never imports TensorFlow, and preloading it would
    cost seconds of CPU for nothing).
    """
    import ast

    import nbformat

    from .static_rules import parse

    tensorflow, imported = False, []
    nb = nbformat.reads(notebook_json.decode("utf-8"), as_version=4)
    for cell in nb.cells:
        tree = parse(cell.source) if cell.cell_type == "code" else None
        for node in tree.body if tree is not None else []:
            call = node.value if isinstance(node, ast.Expr) else None
            if isinstance(call, ast.Call) and getattr(call.func, "attr",
                                                      getattr(call.func, "id", "")) == "quiet_tensorflow":
                tensorflow = True
            elif isinstance(node, ast.Import):
                imported += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                # `from x import y`: y may be a module (scipy.signal) or not (its import then fails, quietly)
                imported += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names
                                             if alias.name != "*"]
    optional = [m for m in dict.fromkeys(imported) if m not in ("numpy", "cnnlab")
                and (tensorflow or m.split(".")[0] not in TENSORFLOW_ROOTS)]
    return preload_line(["numpy", "cnnlab"], tensorflow, optional)


@dataclass
class _Warm:
    km: object
    key: tuple          # what the execute step checks (see take)
    preload: str
    stage: str


_WARM: _Warm | None = None
_USED_STAGES: list[str] = []  # folders of taken kernels, removed once those kernels have stopped
STARTED = {"warm": 0, "taken": 0}   # counts, for tests and the benchmark's report


def _key(km_config, kernel_name: str, files_key: tuple) -> tuple:
    from .sandbox import passed_environment

    # The sandbox passes these variables from this process: a kernel started under others differs.
    return (kernel_name, repr(sorted(dict(km_config).items())), files_key, tuple(sorted(passed_environment().items())))


def expected_key(config, kernel_name: str, files: dict[str, bytes]) -> tuple:
    """The key of a kernel started with these settings and home files (see :func:`ensure`)."""
    from nbgrader.utils import setenv

    with setenv(NBGRADER_EXECUTION="autograde"):
        return _key(config.SandboxKernelManager, kernel_name,
                    tuple((name, hashlib.sha256(files[name]).hexdigest()) for name in sorted(files)))


def ensure(config, kernel_name: str, files: dict[str, bytes], preload: str, root: Path) -> None:
    """Keep the warm kernel if it fits (:func:`expected_key`), else start one that does."""
    if _WARM is None or _WARM.key != expected_key(config, kernel_name, files) or _WARM.preload != preload:
        start(config, kernel_name, files, preload, root)


def start(config, kernel_name: str, files: dict[str, bytes], preload: str, root: Path) -> None:
    """Start a sandboxed kernel now, for the next submission (one at a time: any earlier is discarded).

    ``config`` is the nbgrader config the execute step will run with (its
    ``SandboxKernelManager`` section sets the sandbox); ``files`` the plain files it will
    find beside the notebook (:func:`home_files`).
    """
    from jupyter_core.utils import run_sync
    from nbgrader.utils import setenv

    from .sandbox import SandboxKernelManager

    global _WARM
    discard()
    stage = tempfile.mkdtemp(prefix="warm-", dir=root)
    for name, data in files.items():
        Path(stage, name).write_bytes(data)
    km = SandboxKernelManager(config=config, kernel_name=kernel_name)
    args = [HIST, f"--IPKernelApp.exec_lines={preload}"] if km.ipykernel else []
    # nbgrader sets NBGRADER_EXECUTION while it executes; the kernel's environment is fixed at start.
    with setenv(NBGRADER_EXECUTION="autograde"):
        try:
            run_sync(km.start_kernel)(extra_arguments=args, cwd=stage)
        except Exception:
            shutil.rmtree(stage, ignore_errors=True)
            return  # the execute step starts its own kernel, and reports what fails
        key = _key(config.SandboxKernelManager, kernel_name, _files_key(kernel_files(stage)))
    _WARM = _Warm(km, key, preload, stage)
    STARTED["warm"] += 1


def take(config, kernel_name: str, cwd: str | None):
    """The warm kernel if it was started exactly as a kernel for ``cwd`` would be, else None (it is discarded)."""
    global _WARM
    warm, _WARM = _WARM, None
    if warm is None:
        return None
    _USED_STAGES.append(warm.stage)  # bound into the running kernel: removed after it stops
    if warm.key != _key(config.SandboxKernelManager, kernel_name, _files_key(kernel_files(cwd))):
        _stop(warm.km)
        return None
    STARTED["taken"] += 1
    return warm.km


def discard() -> None:
    """Shut down the warm kernel, if any, and remove the files of kernels that have run
    (after a submission, at the end of a worker, before starting another)."""
    global _WARM
    warm, _WARM = _WARM, None
    if warm is not None:
        _stop(warm.km)
        shutil.rmtree(warm.stage, ignore_errors=True)
    while _USED_STAGES:
        shutil.rmtree(_USED_STAGES.pop(), ignore_errors=True)


def _stop(km) -> None:
    from jupyter_core.utils import run_sync

    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:  # it died already
        run_sync(km.cleanup_resources)()
