"""The fork server: the program a grading sandbox runs to start kernels that have already imported.

Importing TensorFlow takes about 9 s of CPU, and plain nbgrader pays it for every
submission, in the notebook's first cell. Here one process per grading worker,
inside a sandbox of its own (:mod:`cnnlab.grade.zygote` starts it), imports the
modules every kernel of the assignment imports first, then forks one kernel per
submission: the child starts ipykernel with those modules in memory.

This module runs *inside* the sandbox, as the sandbox's uid, and imports nothing of
the grader. Its protocol, one JSON object per line on stdin and stdout:

- in: ``{"preload": "<python line>"}`` once; out: ``{"ready": <pid>}`` when it has run;
- in: ``{"fork": {"argv": [...], "files": {name: base64}}}``; out: ``{"pid": <pid>}`` (pids
  as this sandbox's PID namespace numbers them);
- in: ``{"go": <pid>}`` once the grader has put that child in the kernel's own cgroup, or
  ``{"drop": <pid>}`` if it could not: the child waits for this before it does anything.

What the child does before it starts the kernel, so that a kernel starts as a fresh one
in a fresh sandbox would: it empties ``/tmp``, ``/dev/shm`` and the home folder (the
grader killed every process of the previous kernel first) and removes the System V IPC objects
it left, writes the submission's files
into the home folder, starts a new session, restores default signal handling and
re-seeds NumPy's global random state (a fork would otherwise share it).

The fork server itself is not dumpable (``PR_SET_DUMPABLE`` 0): a kernel of the same uid
can neither trace it nor read or write its memory through ``/proc``. A kernel may still
kill or stop it; the grader then starts another (see :mod:`cnnlab.grade.zygote`).
"""

from __future__ import annotations

import base64
import ctypes
import json
import os
import shutil
import signal
import subprocess
import sys

HOME = "/home/student"
SCRATCH = ("/tmp", "/dev/shm", HOME)
PR_SET_DUMPABLE = 4


def _prctl_dumpable(value: int) -> None:
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_DUMPABLE, value, 0, 0, 0)


def _say(obj) -> None:
    data = (json.dumps(obj) + "\n").encode()
    while data:
        data = data[os.write(1, data):]


def _empty(folder: str) -> None:
    """Remove everything in ``folder`` (files the previous kernel made unreadable included)."""
    def writable(func, path, _exc):
        os.chmod(os.path.dirname(path), 0o700)
        if os.path.isdir(path) and not os.path.islink(path):
            os.chmod(path, 0o700)
            shutil.rmtree(path, onerror=writable)
        else:
            func(path)

    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for name in entries:
        path = os.path.join(folder, name)
        try:
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, onerror=writable)
            else:
                os.unlink(path)
        except OSError:
            pass


def _child(gate: int, argv: list[str], files: dict[str, str]) -> None:
    """In the forked child: wait for the grader's go, then become a fresh kernel. Never returns."""
    try:
        null = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # the protocol's pipes are the fork server's, not the kernel's
            os.dup2(null, fd)
        os.close(null)
        if os.read(gate, 1) != b"g":
            os._exit(1)
        os.close(gate)
        _prctl_dumpable(1)
        os.setsid()
        for sig in (signal.SIGCHLD, signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL if sig != signal.SIGINT else signal.default_int_handler)
        for folder in SCRATCH:
            _empty(folder)
        if shutil.which("ipcrm"):  # System V shared memory, semaphores, queues left in this sandbox
            subprocess.run(["ipcrm", "--all"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name, data in files.items():
            path = os.path.join(HOME, os.path.basename(name))
            with open(path, "wb") as f:
                f.write(base64.b64decode(data))
            os.chmod(path, 0o444)
        os.chdir(HOME)
        if "numpy" in sys.modules:
            sys.modules["numpy"].random.seed()
        sys.argv = ["ipykernel_launcher", *argv]
        from ipykernel import kernelapp

        kernelapp.launch_new_instance(argv=argv)
    except BaseException:  # noqa: BLE001  (nothing to report to: the grader sees the kernel die)
        os._exit(1)
    os._exit(0)


def main() -> None:
    """Serve fork requests until stdin closes (see the module doc)."""
    if sys.path and sys.path[0] in ("", os.getcwd()):
        del sys.path[0]  # never import from the home folder
    _prctl_dumpable(0)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel itself
    gates: dict[int, int] = {}
    for line in sys.stdin.buffer:
        request = json.loads(line)
        if "preload" in request:
            exec(request["preload"], {"__name__": "__preload__"})
            import ipykernel.kernelapp  # noqa: F401  (what every child runs)
            _say({"ready": os.getpid()})
        elif "fork" in request:
            gate, opener = os.pipe()
            pid = os.fork()
            if pid == 0:
                os.close(opener)
                for other in gates.values():
                    os.close(other)
                _child(gate, request["fork"]["argv"], request["fork"].get("files", {}))
            os.close(gate)
            gates[pid] = opener
            _say({"pid": pid})
        elif "go" in request or "drop" in request:
            opener = gates.pop(request.get("go", request.get("drop")), None)
            if opener is not None:
                if "go" in request:
                    os.write(opener, b"g")
                os.close(opener)


if __name__ == "__main__":
    main()
