"""Run each autograded kernel in a sandbox: bubblewrap namespaces, its own uid, resource limits.

nbgrader executes a student's notebook in a Jupyter kernel that runs with the
grader's rights: the student's code can read the source notebooks (solutions,
hidden tests), the gradebook and every other submission, and write to them.
Here only the *kernel* is untrusted. :class:`SandboxKernelManager` launches it
through `bubblewrap <https://github.com/containers/bubblewrap>`_ (``bwrap``):

* new mount, PID, network, IPC and UTS namespaces. The kernel's file system is
  an empty tmpfs holding only, read-only, the system directories (``/usr``,
  ``/etc``, ``/lib*``, ``/bin``), the Python environment, the ``cnnlab``
  package and the course data (``CNNLAB_DATA``); a private, size-limited,
  writable ``/home/student`` (its working directory, holding only the
  non-notebook files nbgrader put next to the notebook) and ``/tmp`` (mounted
  first, so an environment that lives under ``/tmp`` is still visible); and the
  folder of its own ZeroMQ sockets (a 1 MiB tmpfs when we are root). No course folder, gradebook, source
  notebook or other submission exists in that view; there is no network (the
  kernel talks to the grader over Unix sockets), and it cannot see or signal
  processes outside.
* a separate, unprivileged uid (``CNNLAB_SANDBOX_UID`` + slot, when the grader
  runs as root; otherwise a user namespace of the grader's own uid), no
  capabilities, ``no_new_privs``, a new session (no terminal injection).
* a cgroup per kernel (:mod:`cnnlab.grade.cgroups`) bounding the memory and the
  number of processes of the kernel and all it forks, where one can be created;
  otherwise :func:`containment` says what is not enforced, and the grader warns.
* ``setrlimit`` limits: address space (per process), CPU seconds, size of any file
  written, number of processes (separate uid only) and open files.
* :func:`self_test` runs the kernel's real interpreter in this sandbox before
  grading, and stops the grader if cnnlab or NumPy cannot be imported there.
* the kernel is killed with its parent (``--die-with-parent``), and the whole
  PID namespace goes with it.

Wall-clock limits and kernel deaths are handled by
:class:`GuardedExecute`, an nbgrader ``Execute`` preprocessor that also caps
how much output a cell may produce.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbformat import NotebookNode
from traitlets import Bool, Integer, List, Unicode

from nbgrader.preprocessors import Execute

from . import cgroups, zygote

MB = 1024 * 1024
SANDBOX_UID_ENV = "CNNLAB_SANDBOX_UID"
DEFAULT_SANDBOX_UID = 64000  # outside Debian's system and dynamic ranges; no passwd entry needed
HOME = "/home/student"
# Environment variables passed into the kernel (everything else is cleared: the
# grader's environment may hold database passwords or tokens).
ENV_PASS = ("LANG", "LC_ALL", "TZ", "NBGRADER_EXECUTION", "MPLBACKEND", "OMP_NUM_THREADS",
            "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS",
            "TF_NUM_INTEROP_THREADS", "TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND",
            "CUDA_VISIBLE_DEVICES")
ENV_PASS_PREFIXES = ("CNNLAB_",)


def passed_environment() -> dict[str, str]:
    """The variables of this process that a sandboxed kernel gets (thread counts, NBGRADER_EXECUTION...)."""
    return {k: v for k, v in os.environ.items() if k in ENV_PASS or k.startswith(ENV_PASS_PREFIXES)}


@contextlib.contextmanager
def environment_kept():
    """Undo, on leaving, what the grader's own imports write to this process's environment.

    Kernels get their variables from this process (:func:`passed_environment`). Grading code that
    imports TensorFlow (a check loading a submitted model, answers that build a Keras model) calls
    ``runtime.quiet_tensorflow()``, which sets ``TF_CPP_MIN_LOG_LEVEL`` and ``KERAS_BACKEND`` here:
    without this, the next submission's kernel would start with other variables than the first's,
    and the worker's fork server and warm kernel, keyed on them, would be started again.
    """
    saved = dict(os.environ)
    try:
        yield
    finally:
        for name in set(os.environ) - set(saved):
            del os.environ[name]
        os.environ.update(saved)


class SandboxUnavailable(RuntimeError):
    """bubblewrap is missing or cannot create namespaces here."""


@functools.lru_cache(maxsize=None)
def check_available() -> str:
    """Return the path of ``bwrap`` after checking it can build a sandbox, or raise SandboxUnavailable."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        raise SandboxUnavailable(
            "bubblewrap (bwrap) is not installed, so student code cannot be isolated. Install it "
            "(Debian/Ubuntu: apt-get install bubblewrap), or pass --no-sandbox to grade submissions "
            "you trust with plain nbgrader isolation (none).")
    probe = [bwrap, *_namespace_args(), *_system_binds(), "--proc", "/proc", "--dev", "/dev", "--", "/bin/true"]
    if os.geteuid() != 0:
        probe.insert(1, "--unshare-user")
    result = subprocess.run(probe, capture_output=True, text=True)
    if result.returncode != 0:
        raise SandboxUnavailable(
            f"bubblewrap cannot create a sandbox here ({result.stderr.strip()}); user namespaces may be "
            "disabled (sysctl kernel.unprivileged_userns_clone / user.max_user_namespaces). Run the grader "
            "as root, enable them, or pass --no-sandbox for trusted submissions.")
    return bwrap


def _namespace_args() -> list[str]:
    return ["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--hostname", "sandbox"]


def _system_binds() -> list[str]:
    args = []
    for path in ("/usr", "/etc", "/lib", "/lib64", "/lib32", "/bin", "/sbin"):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def package_root() -> str:
    """The folder that holds the ``cnnlab`` package the grader runs (put on the kernel's PYTHONPATH)."""
    import cnnlab

    return os.path.dirname(os.path.realpath(Path(cnnlab.__file__).parent))


def python_paths() -> list[str]:
    """Folders the kernel needs to run this Python with its packages, cnnlab included.

    The environment's prefixes, its interpreter, the ``cnnlab`` package, and every
    ``site-packages`` folder on ``sys.path`` (a venv may reach others through ``.pth``
    files). Never the current folder or a script's folder: those may hold solutions.
    """
    import cnnlab

    paths = {os.path.realpath(sys.prefix), os.path.realpath(sys.base_prefix),
             os.path.realpath(os.path.dirname(os.path.realpath(sys.executable))),
             os.path.realpath(Path(cnnlab.__file__).parent)}
    for entry in sys.path:
        if entry and os.path.basename(entry.rstrip(os.sep)) in ("site-packages", "dist-packages") \
                and os.path.isdir(entry):
            paths.add(os.path.realpath(entry))
    return sorted(p for p in paths if not any(p != q and p.startswith(q + os.sep) for q in paths))


def data_paths() -> dict[str, str]:
    """Read-only data folders for the kernel, and the environment variables that name them."""
    from cnnlab import datasets

    found = {}
    data = os.environ.get(datasets.DATA_ENV)
    if data and os.path.isdir(data):
        found[datasets.DATA_ENV] = os.path.realpath(data)
    try:
        cache = datasets.cache_dir()
        if cache.is_dir():
            found[datasets.CACHE_ENV] = os.path.realpath(cache)
    except Exception:  # no cache folder: the notebooks then need CNNLAB_DATA
        pass
    return found


def bwrap_command(kernel_cmd: list[str], *, ipc_dir: str, files: list[str], uid: int | None,
                  memory_mb: int, cpu_seconds: int, file_size_mb: int, tmp_mb: int,
                  nproc: int, nofile: int, forbidden: list[str] = ()) -> list[str]:
    """The full command line that runs ``kernel_cmd`` in the sandbox.

    ``files`` are copied (read-only) into the kernel's working directory;
    ``uid`` is the unprivileged uid to run as when we are root (None: stay in
    a user namespace of our own uid). ``forbidden`` are folders (the course,
    the private grading copy) that must not be visible: it is an error if a
    bound folder contains one.
    """
    bwrap = check_available()
    ro = python_paths()
    # PYTHONPATH: the kernel imports the same cnnlab as the grader, wherever it lies (a clone
    # under /tmp, an editable install); only the package folder itself is visible there.
    env = {"HOME": HOME, "TMPDIR": "/tmp", "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/bin", "/bin"]),
           "PYTHONDONTWRITEBYTECODE": "1", "MPLCONFIGDIR": "/tmp/matplotlib", "PYTHONPATH": package_root()}
    env.update(passed_environment())
    for name, path in data_paths().items():
        ro.append(path)
        env[name] = path
    for path in ro:
        for bad in forbidden:
            bad = os.path.realpath(bad)
            if bad == path or bad.startswith(path + os.sep):
                raise SandboxUnavailable(f"{bad} lies inside {path}, which the sandbox must show to "
                                         "student code; move the course folder elsewhere.")

    limits = [f"--as={memory_mb * MB}", f"--cpu={cpu_seconds}", f"--fsize={file_size_mb * MB}",
              f"--nofile={nofile}", "--core=0"]
    if uid is not None:
        limits.append(f"--nproc={nproc}")
    cmd = [shutil.which("prlimit") or "prlimit", *limits, "--", bwrap, *_namespace_args()]
    if uid is None:
        cmd += ["--unshare-user", "--disable-userns"]
    else:
        # Privileged bwrap (we are root): no user namespace; the kernel drops to
        # `uid` with setpriv below, which clears every capability.
        cmd += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID"]
    cmd += _system_binds()
    # The private /tmp and home first: the environment, the package and the socket folder
    # may live under /tmp (a CI clone, a venv there), and are bound on top of it.
    # /dev/shm: POSIX semaphores (joblib, multiprocessing) need it; its pages count against the cgroup.
    cmd += ["--proc", "/proc", "--dev", "/dev",
            "--size", str(tmp_mb * MB), "--perms", "1777", "--tmpfs", "/dev/shm",
            "--size", str(tmp_mb * MB), "--perms", "1777", "--tmpfs", "/tmp",
            "--size", str(tmp_mb * MB), "--perms", "0777", "--tmpfs", HOME]
    # bwrap creates the parents of mount points; make them traversable (not /tmp itself,
    # which must stay world-writable and sticky).
    parents = sorted({str(p) for path in [*ro, ipc_dir] for p in Path(path).parents
                      if str(p) not in ("/", "/tmp", HOME)})
    for parent in parents:
        cmd += ["--perms", "0755", "--dir", parent]
    for path in ro:
        cmd += ["--ro-bind", path, path]
    cmd += ["--bind", ipc_dir, ipc_dir]
    for f in files:
        cmd += ["--ro-bind", f, f"{HOME}/{os.path.basename(f)}"]
    cmd += ["--chdir", HOME, "--clearenv"]
    for name, value in sorted(env.items()):
        cmd += ["--setenv", name, value]
    cmd.append("--")
    if uid is not None:
        cmd += [shutil.which("setpriv") or "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
                "--no-new-privs", "--"]
    return cmd + kernel_cmd


AS_FACTOR = 4  # address space per process, in multiples of the memory limit, when a cgroup bounds the sum


def mount_quota(folder: str, size_kb: int) -> bool:
    """Mount a ``size_kb`` tmpfs on ``folder`` (the kernel's connection folder, writable by student
    code) so that it cannot fill the grader's disk. Needs root; returns whether it worked."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kb}k,mode=0700,nosuid,nodev",
                           "cnnlab-ipc", folder], capture_output=True)
    return done.returncode == 0


def remove_quota(folder: str, mounted: bool) -> None:
    if mounted:
        subprocess.run(["umount", "-l", folder], capture_output=True)
    shutil.rmtree(folder, ignore_errors=True)


IPC_PREFIX = "cnnlab-k-"  # then the pid of the grading process that made it


def sweep_leftovers() -> None:
    """Remove connection folders and cgroups of grading processes that were killed (a lost Dask
    worker, a pool worker past its time limit): they could not clean up after themselves."""
    cgroups.sweep()
    for folder in Path(tempfile.gettempdir()).glob(f"{IPC_PREFIX}*-*"):
        try:
            pid = int(folder.name[len(IPC_PREFIX):].split("-")[0])
        except ValueError:
            continue
        if not cgroups._alive(pid):
            remove_quota(str(folder), os.path.ismount(folder))


@functools.lru_cache(maxsize=None)
def containment() -> list[str]:
    """Warnings about limits this host cannot enforce (empty when cgroups and the folder quota work)."""
    warnings = []
    why = cgroups.available()
    if why:
        warnings.append(
            f"memory and processes are limited per process only ({why}): a kernel's children together may "
            "use up to --memory-mb times the process limit (256; only as root, per sandbox uid) of memory.")
    probe = tempfile.mkdtemp(prefix="cnnlab-k-")
    mounted = mount_quota(probe, 64)
    remove_quota(probe, mounted)
    if not mounted:
        warnings.append("the kernel's connection folder has no size quota (needs root to mount a tmpfs): "
                        "student code may fill the disk under $TMPDIR with files of up to the file size limit.")
    return warnings


class SandboxKernelManager(AsyncKernelManager):
    """A kernel manager whose kernel runs in the sandbox described in this module.

    The kernel talks over Unix sockets in a private folder (``transport="ipc"``),
    since it has no network; interrupts go as messages, since a signal would
    reach bwrap rather than the kernel.
    """

    sandbox_uid = Integer(-1, help="uid for the kernel when running as root; -1: "
                                   "$CNNLAB_SANDBOX_UID or 64000, plus the worker slot").tag(config=True)
    uid_slot = Integer(0, help="added to the uid so that parallel kernels differ").tag(config=True)
    memory_mb = Integer(4096, help="address-space limit of the kernel (MiB)").tag(config=True)
    cpu_seconds = Integer(900, help="CPU-time limit of the kernel (s)").tag(config=True)
    file_size_mb = Integer(64, help="largest file the kernel may write (MiB)").tag(config=True)
    tmp_mb = Integer(256, help="size of the kernel's /tmp and of its home folder (MiB each)").tag(config=True)
    nproc = Integer(256, help="process and thread limit of the sandbox uid (only as root)").tag(config=True)
    nofile = Integer(1024, help="open-file limit").tag(config=True)
    ipc_kb = Integer(1024, help="size of the kernel's connection folder (KiB; root only)").tag(config=True)
    forbidden = List(Unicode(), help="folders that must stay invisible to the kernel").tag(config=True)
    fork_server = Bool(True, help="fork the kernel from a fork server that has imported the notebook's "
                                  "modules, where that is as isolated (cnnlab.grade.zygote)").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._ipc_dir = tempfile.mkdtemp(prefix=f"{IPC_PREFIX}{os.getpid()}-")
        self._ipc_mounted = mount_quota(self._ipc_dir, self.ipc_kb)
        self.transport = "ipc"
        self.ip = os.path.join(self._ipc_dir, "k")
        self.connection_file = os.path.join(self._ipc_dir, "kernel.json")
        self._files: list[str] = []
        self._group = None
        self.peak_mb: float | None = None   # the kernel's peak memory, once it has stopped (cgroups only)
        self.oom_killed = False
        self._zygote = None                 # the fork server this kernel is forked from (cnnlab.grade.zygote)

    def _uid(self) -> int | None:
        if os.geteuid() != 0:
            return None
        base = self.sandbox_uid if self.sandbox_uid >= 0 else int(os.environ.get(SANDBOX_UID_ENV, DEFAULT_SANDBOX_UID))
        return base + self.uid_slot

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        return cmd if self._zygote is not None else self.sandboxed(cmd)

    def sandboxed(self, cmd: list[str]) -> list[str]:
        """``cmd`` wrapped to run in this kernel's sandbox (same binds, uid and limits)."""
        uid = self._uid()
        if uid is not None:
            os.chown(self._ipc_dir, uid, uid)
            if os.path.exists(self.connection_file):
                os.chown(self.connection_file, uid, uid)
        self._drop_group()
        self._group = cgroups.create(self.memory_mb, self.nproc)
        # With a cgroup bounding the sum, the per-process address-space limit only stops
        # absurd single allocations (TensorFlow reserves far more address space than it uses).
        address_mb = self.memory_mb * AS_FACTOR if self._group else self.memory_mb
        cmd = bwrap_command(cmd, ipc_dir=self._ipc_dir, files=self._files, uid=uid,
                            memory_mb=address_mb, cpu_seconds=self.cpu_seconds,
                            file_size_mb=self.file_size_mb, tmp_mb=self.tmp_mb, nproc=self.nproc,
                            nofile=self.nofile, forbidden=list(self.forbidden))
        return cgroups.join_command(self._group, cmd) if self._group else cmd

    def _drop_group(self) -> None:
        if self._group is not None:
            self.peak_mb = self._group.peak_mb()
            self.oom_killed = self._group.oom_kills() > 0
            self._group.remove()
            self._group = None

    def ran_out_of_memory(self) -> bool:
        """Whether the cgroup's memory limit killed a process of this kernel."""
        return self.oom_killed or (self._group is not None and self._group.oom_kills() > 0)

    def interpreter(self) -> str:
        """The program the kernel spec starts (``python`` resolved as jupyter_client does)."""
        return AsyncKernelManager.format_kernel_cmd(self)[0]

    async def _async_pre_start_kernel(self, **kw):
        # nbgrader starts the kernel in the folder of the notebook being graded. That
        # folder is the grader's: the kernel gets its plain files only, read-only.
        from .warm import kernel_files

        self._files = kernel_files(kw.pop("cwd", None))
        self._zygote = zygote.for_manager(self) if self.fork_server else None
        if self._zygote is not None:  # the connection folder must be one the fork server's sandbox shows
            remove_quota(self._ipc_dir, self._ipc_mounted)
            self._ipc_dir, self._ipc_mounted = self._zygote.new_ipc_dir(self._uid()), False
            self.ip = os.path.join(self._ipc_dir, "k")
            self.connection_file = os.path.join(self._ipc_dir, "kernel.json")
        kw["cwd"] = self._ipc_dir
        return await super()._async_pre_start_kernel(**kw)

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        argv = zygote.kernel_argv(kernel_cmd) if self._zygote is not None else None
        if argv is not None:
            try:
                self._fork(argv)
                return
            except (zygote.ZygoteFailed, OSError):  # start this kernel fresh; the next gets a new fork server
                self._zygote.broken = True
                self._zygote.stop_server()
        if self._zygote is not None:
            kernel_cmd = self.sandboxed(kernel_cmd)
        # The kernel's own stdout/stderr (not its outputs, which go over ZeroMQ) would
        # flood the grader's terminal: discard them.
        kw["stdout"] = kw["stderr"] = subprocess.DEVNULL
        await super()._async_launch_kernel(kernel_cmd, **kw)

    def _fork(self, argv: list[str]) -> None:
        """Start the kernel as a child of the fork server, in a cgroup of its own."""
        server = self._zygote
        uid = self._uid()
        os.chown(self.connection_file, uid, uid)
        if not server.alive():
            server.start(zygote.preload_of(argv))
        self._drop_group()
        self._group = cgroups.create(self.memory_mb, self.nproc)
        process = server.fork(argv, zygote.files_of(self._files), self._group)
        provisioner = self.provisioner
        provisioner.process, provisioner.pid, provisioner.pgid = process, process.pid, None
        self._reconcile_connection_info(provisioner.connection_info)

    async def _async_interrupt_kernel(self):
        assert self.kernel_spec is not None
        self.kernel_spec.interrupt_mode = "message"
        await super()._async_interrupt_kernel()

    interrupt_kernel = _async_interrupt_kernel

    async def _async_cleanup_resources(self, restart=False):
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self._drop_group()
            remove_quota(self._ipc_dir, self._ipc_mounted)  # (a forked kernel's: its own folder only)

    cleanup_resources = _async_cleanup_resources


# What every kernel needs: the course package (the same one the grader runs) and NumPy.
PROBE = ("import sys, os, numpy, ipykernel, cnnlab\n"
         "print(os.path.realpath(os.path.dirname(cnnlab.__file__)))")


def self_test(kernel_name: str = "python3", **traits) -> str:
    """Run the kernel's real interpreter in the sandbox and import cnnlab and NumPy there.

    ``traits`` are :class:`SandboxKernelManager` settings (``memory_mb``, ``uid_slot``, ...).
    Returns the interpreter's path; raises :class:`SandboxUnavailable` saying what failed,
    so that a broken environment stops the grader instead of grading a class 0.
    """
    import cnnlab

    km = SandboxKernelManager(kernel_name=kernel_name, **traits)
    try:
        python = km.interpreter()
        result = subprocess.run(km.sandboxed([python, "-c", PROBE]), capture_output=True, text=True,
                                timeout=300)
    finally:
        km._drop_group()
        remove_quota(km._ipc_dir, km._ipc_mounted)
    ours = os.path.realpath(os.path.dirname(cnnlab.__file__))
    if result.returncode != 0:
        lines = [ln for ln in (result.stderr or result.stdout).strip().splitlines() if ln.strip()]
        raise SandboxUnavailable(
            f"the kernel's Python ({python}, kernel {kernel_name!r}) cannot run in the sandbox: "
            f"{lines[-1] if lines else f'exit status {result.returncode}'}. Nothing was graded. Check that the "
            "kernel's environment has cnnlab and NumPy installed, and that bwrap can see it "
            "(the environment and the package are bound read-only from where they are installed).")
    seen = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else ""
    if seen != ours:
        raise SandboxUnavailable(
            f"the kernel imports cnnlab from {seen or 'nowhere'}, but the grader runs {ours}: the checks would "
            "differ. Install the course package into the kernel's environment (pip install -e .).")
    return python


def _error(ename: str, evalue: str) -> NotebookNode:
    return NotebookNode(output_type="error", ename=ename, evalue=evalue,
                        traceback=[f"{ename}: {evalue}"])


def _size(obj) -> int:
    if isinstance(obj, str):
        return len(obj)
    if isinstance(obj, dict):
        return sum(_size(v) for v in obj.values())
    if isinstance(obj, list):
        return sum(_size(v) for v in obj)
    return 8


class GuardedExecute(Execute):
    """nbgrader's ``Execute``, made robust against hostile notebooks.

    * the kernel runs in the sandbox (``sandbox=True``, the default);
    * if the kernel dies (``os._exit``, a crash, the CPU limit) or a cell runs
      past the per-cell timeout and ignores the interrupt, that cell gets an
      error output saying so and every later code cell gets a ``CellNotRun``
      error (so its tests score 0 instead of counting as passed);
    * ``submission_timeout`` bounds the whole notebook: cells after it are not run;
    * a cell's outputs are capped at ``max_output_mb``; the rest is dropped with a note.
    """

    sandbox = Bool(True, help="run the kernel in the bubblewrap sandbox").tag(config=True)
    submission_timeout = Integer(600, help="wall-clock seconds for the whole notebook").tag(config=True)
    max_output_mb = Integer(1, help="largest output one cell may keep (MiB)").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.sandbox:
            self.kernel_manager_class = SandboxKernelManager

    def preprocess(self, nb, resources=None, km=None):
        self._stopped = None
        self._deadline = time.monotonic() + self.submission_timeout
        self._out_bytes = {}
        self._truncated = set()
        self._last_km = warm = self._take_warm(nb, resources) if km is None else None
        try:
            nb, resources = super().preprocess(nb, resources, warm or km)
        finally:
            if warm is not None:  # nbclient leaves a kernel it did not start running: stop it here
                from jupyter_core.utils import run_sync

                if self.km is not None:
                    run_sync(self._async_cleanup_kernel)()
                else:
                    run_sync(warm.shutdown_kernel)(now=True)
        peak = getattr(self._last_km, "peak_mb", None)
        if peak is not None:  # the sandbox's peak memory, for the grader's report
            nb.metadata.setdefault("cnnlab", {})["peak_memory_mb"] = round(peak, 1)
        return nb, resources

    def _take_warm(self, nb, resources):
        """The kernel a worker started for this notebook beforehand (:mod:`cnnlab.grade.warm`), if it fits."""
        from . import warm

        name = self.kernel_name or nb.metadata.get("kernelspec", {}).get("name")
        if not self.sandbox or self.extra_arguments or not name:
            return None
        return warm.take(self.config, name, (resources or {}).get("metadata", {}).get("path"))

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code":
            return cell, resources
        if self._stopped is None and time.monotonic() > self._deadline:
            self._stopped = f"grading stopped after the time limit of {self.submission_timeout} s for the whole notebook"
        if self._stopped:
            cell.outputs = [_error("CellNotRun", f"This cell was not run: {self._stopped}.")]
            return cell, resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except Exception as exc:  # DeadKernelError, CellTimeoutError on IOPub, ZMQ errors
            name = type(exc).__name__
            if name == "DeadKernelError":
                km = self.km or self._last_km
                if km is not None and hasattr(km, "ran_out_of_memory") and km.ran_out_of_memory():
                    why = (f"the kernel was stopped while running this cell because the notebook used more "
                           f"than its memory limit of {self.km_memory_mb()} MiB")
                else:
                    why = ("the kernel died while running this cell (the code called os._exit or "
                           "crashed, or it hit the memory or CPU-time limit)")
            elif name == "CellTimeoutError":
                why = (f"this cell ran past the {self.timeout} s time limit and did not stop when "
                       "interrupted, so the kernel was stopped")
            else:
                why = f"the kernel stopped responding ({name}: {exc})"
            self._stopped = f"in an earlier cell {why.split(' (')[0].replace('this cell', 'a cell')}"
            cell.outputs = [o for o in cell.get("outputs", []) if o.get("output_type") != "error"]
            cell.outputs.append(_error("KernelStopped", why[0].upper() + why[1:] + "."))
            self._kill_kernel()
            return cell, resources

    def km_memory_mb(self) -> int:
        return getattr(self.km or self._last_km, "memory_mb", 0)

    def _kill_kernel(self):
        from jupyter_core.utils import run_sync

        try:
            if self.km is not None:
                run_sync(self.km._async_shutdown_kernel)(now=True)
        except Exception:  # already dead
            pass

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        self._last_km = km
        return km

    def process_message(self, msg, cell, cell_index):
        # Every path by which a kernel adds to the notebook (streams, displays, updates of an
        # earlier display, results, errors, widget messages) passes here, so one budget per
        # cell caps them all. An error is never dropped (it decides whether a test passed):
        # past the budget it is cut to one line.
        kind = msg.get("msg_type")
        if kind in CAPPED:
            used = self._out_bytes.get(cell_index, 0) + _size(msg.get("content", {}))
            self._out_bytes[cell_index] = used
            if used > self.max_output_mb * MB:
                if cell_index not in self._truncated:
                    self._truncated.add(cell_index)
                    cell.outputs.append(NotebookNode(
                        output_type="stream", name="stdout",
                        text=f"\n[output truncated: this cell produced more than {self.max_output_mb} MiB of output]\n"))
                if kind != "error":
                    return None
                content = msg["content"]
                ename, evalue = str(content.get("ename", "Error"))[:200], str(content.get("evalue", ""))[:2000]
                msg = {**msg, "content": {**content, "ename": ename, "evalue": evalue,
                                          "traceback": [f"{ename}: {evalue}"]}}
        return super().process_message(msg, cell, cell_index)


CAPPED = {"stream", "display_data", "update_display_data", "execute_result", "error", "comm_open", "comm_msg"}
