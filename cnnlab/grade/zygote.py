"""Kernels forked from a fork server that has already imported NumPy, cnnlab and TensorFlow.

A fresh sandboxed kernel pays the notebook's imports (TensorFlow: about 9 s of CPU)
for every submission, as plain nbgrader does. Here each grading process keeps one
:class:`Zygote`: the fork server (:mod:`cnnlab.grade.forkserver`) running in a sandbox
built exactly as a kernel's (same bubblewrap view, uid, rlimits and environment), which
imports once and forks a kernel per submission. Each forked kernel:

- is moved, before it runs anything, into a cgroup of its own (``memory.max``,
  ``pids.max``), which :class:`~cnnlab.grade.sandbox.SandboxKernelManager` kills and removes
  with the kernel, as for a kernel started fresh;
- starts with the sandbox's ``/tmp``, ``/dev/shm`` and home folder emptied and the
  submission's files in its home folder;
- talks to the grader through a connection folder of its own, inside the fork server's
  size-limited one, which the kernel's uid cannot write to except in its own folder.

So one student's kernel leaves nothing to the next: its processes are killed with its
cgroup before another kernel is forked, and its files are removed.

It is used where the grader is root and can create cgroups (the isolation above needs
both); elsewhere, and whenever the fork server fails, a kernel starts
fresh in its own sandbox (:attr:`SandboxKernelManager.fork_server` turns it off).
"""

from __future__ import annotations

import base64
import functools
import json
import os
import select
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from . import cgroups

LAUNCHER = "ipykernel_launcher"
READY_TIMEOUT_S = 300   # the first fork waits for the imports (TensorFlow, under load)
FORK_TIMEOUT_S = 30
STARTED = {"servers": 0, "forked": 0}  # counts, for tests and the benchmark's report


class ZygoteFailed(RuntimeError):
    """The fork server did not answer as expected; a kernel is started fresh instead."""


@functools.lru_cache(maxsize=None)
def usable() -> bool:
    """Whether kernels can be forked here, each in a cgroup of its own (root, with cgroups)."""
    return os.geteuid() == 0 and not cgroups.available()


def kernel_argv(cmd: list[str]) -> list[str] | None:
    """The ipykernel arguments of a kernel command (``python -m ipykernel_launcher -f ...``), or
    None if the kernel is not started that way (then it cannot be forked)."""
    if len(cmd) >= 3 and cmd[1] == "-m" and cmd[2] == LAUNCHER:
        return list(cmd[3:])
    return None


def preload_of(argv: list[str]) -> str:
    """The import line of a kernel's ``--IPKernelApp.exec_lines`` (what the fork server imports)."""
    for arg in argv:
        if arg.startswith("--IPKernelApp.exec_lines="):
            return arg.split("=", 1)[1]
    return "__import__('numpy'); __import__('cnnlab')"


class ForkedKernel:
    """A forked kernel, as the kernel manager's provisioner sees a process (``subprocess.Popen``'s
    methods): the host pid of a process that is not this process's child."""

    stdin = stdout = stderr = None

    def __init__(self, pid: int, group: cgroups.Group):
        self.pid, self.group, self.returncode = pid, group, None

    def _alive(self) -> bool:
        if self.pid not in self.group.pids():
            return False
        try:
            return Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except OSError:
            return False

    def poll(self) -> int | None:
        if self.returncode is None and not self._alive():
            self.returncode = -signal.SIGKILL
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        end = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if end is not None and time.monotonic() > end:
                raise subprocess.TimeoutExpired(f"kernel {self.pid}", timeout)
            time.sleep(0.05)
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)


class Zygote:
    """One fork server in its sandbox, for kernels of one kind (kernel spec, sandbox settings)."""

    def __init__(self, km, key: tuple):
        from .sandbox import SandboxKernelManager

        self.key = key
        # A manager of the same settings builds the fork server's sandbox (and holds its cgroup).
        self.km = SandboxKernelManager(parent=km.parent, config=km.config, kernel_name=km.kernel_name,
                                       fork_server=False)
        self.proc: subprocess.Popen | None = None
        self.last: ForkedKernel | None = None
        self.broken = False
        self._ready = False

    @property
    def ipc_root(self) -> str:
        return self.km._ipc_dir

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, preload: str) -> None:
        """Start the fork server and have it import ``preload`` (it answers once it has)."""
        cmd = [self.km.interpreter(), "-c", "from cnnlab.grade import forkserver; forkserver.main()"]
        full = self.km.sandboxed(cmd)
        os.chown(self.ipc_root, 0, 0)  # the kernels' uid may write only in its own folder below
        os.chmod(self.ipc_root, 0o711)
        self.proc = subprocess.Popen(full, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, cwd=self.ipc_root, start_new_session=True)
        # Matplotlib's font list too: every kernel that plots would otherwise build it again.
        self._send({"preload": f"{preload}; __import__('matplotlib.font_manager')"})
        STARTED["servers"] += 1

    def new_ipc_dir(self, uid: int) -> str:
        """A connection folder for one kernel, inside the fork server's (bound in its sandbox)."""
        folder = tempfile.mkdtemp(prefix="k-", dir=self.ipc_root)
        os.chown(folder, uid, uid)
        return folder

    def fork(self, argv: list[str], files: dict[str, bytes], group: cgroups.Group) -> ForkedKernel:
        """A kernel started with ``argv`` (ipykernel's) and ``files`` in its home, in ``group``."""
        if self.last is not None:  # every process of the previous kernel dies before another is forked
            self.last.group.kill()
        for pid in self._server_pids():  # a kernel may have stopped its fork server
            os.kill(pid, signal.SIGCONT)
        if not self._ready:
            self._expect("ready", READY_TIMEOUT_S)
            self._ready = True
        self._send({"fork": {"argv": argv, "files": {k: base64.b64encode(v).decode() for k, v in files.items()}}})
        nspid = self._expect("pid", FORK_TIMEOUT_S)
        host = self._host_pid(nspid)
        try:
            if host is None:
                raise ZygoteFailed(f"forked kernel {nspid} not found")
            for procs in group.procs:
                Path(procs).write_text(str(host))
        except (OSError, ZygoteFailed):
            self._send({"drop": nspid})
            raise
        self._send({"go": nspid})
        self.last = ForkedKernel(host, group)
        STARTED["forked"] += 1
        return self.last

    def stop_server(self) -> None:
        """Stop the fork server and its sandbox (its connection folder stays: a kernel may use it)."""
        if self.last is not None:
            self.last.group.kill()
        if self.proc is not None:
            for stream in (self.proc.stdin, self.proc.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self.proc.kill()
            self.proc.wait()
        self.km._drop_group()

    def stop(self) -> None:
        from .sandbox import remove_quota

        self.stop_server()
        remove_quota(self.km._ipc_dir, self.km._ipc_mounted)

    # ---------------------------------------------------------------- protocol

    def _send(self, obj) -> None:
        try:
            self.proc.stdin.write((json.dumps(obj) + "\n").encode())
            self.proc.stdin.flush()
        except (OSError, ValueError) as exc:
            raise ZygoteFailed(f"fork server gone ({exc})") from exc

    def _expect(self, field: str, timeout_s: float):
        fd = self.proc.stdout.fileno()
        line = b""
        end = time.monotonic() + timeout_s
        while not line.endswith(b"\n"):
            left = end - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise ZygoteFailed(f"fork server did not answer {field!r} within {timeout_s} s")
            chunk = os.read(fd, 4096)
            if not chunk:
                raise ZygoteFailed("fork server exited")
            line += chunk
        answer = json.loads(line)
        if field not in answer:
            raise ZygoteFailed(f"fork server answered {answer!r}, not {field!r}")
        return answer[field]

    def _server_pids(self) -> list[int]:
        return self.km._group.pids() if self.km._group is not None else []

    def _host_pid(self, nspid: int) -> int | None:
        for pid in self._server_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("NSpid:") and line.split()[-1] == str(nspid) and len(line.split()) > 2:
                        return pid
            except OSError:
                continue
        return None


_ZYGOTE: Zygote | None = None


def key_of(km) -> tuple:
    """What makes two kernels forkable from one fork server: kernel spec, sandbox, environment."""
    from .sandbox import passed_environment

    traits = ("memory_mb", "cpu_seconds", "file_size_mb", "tmp_mb", "nproc", "nofile", "ipc_kb", "forbidden")
    return (km.kernel_name, km._uid(), tuple(repr(getattr(km, t)) for t in traits),
            tuple(sorted(passed_environment().items())))


def for_manager(km) -> Zygote | None:
    """This process's fork server for kernels like ``km``'s (a new one if the settings changed),
    or None where kernels cannot be forked (see :func:`usable`)."""
    global _ZYGOTE
    if not usable():
        return None
    key = key_of(km)
    if _ZYGOTE is not None and (_ZYGOTE.key != key or _ZYGOTE.broken
                                or (_ZYGOTE.proc is not None and not _ZYGOTE.alive())):
        discard()
    if _ZYGOTE is None:
        import atexit

        _ZYGOTE = Zygote(km, key)
        atexit.register(discard)
    return _ZYGOTE


def discard() -> None:
    """Stop this process's fork server (at a worker's exit, or when it failed)."""
    global _ZYGOTE
    zygote, _ZYGOTE = _ZYGOTE, None
    if zygote is not None:
        zygote.stop()


def files_of(paths: list[str]) -> dict[str, bytes]:
    return {os.path.basename(p): Path(p).read_bytes() for p in paths}

