"""What the kernel sandbox guarantees, checked directly (no nbgrader: a plain command in the sandbox)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from cnnlab import sandbox


@pytest.fixture(scope="module")
def run_in_sandbox():
    try:
        sandbox.check_available()
    except sandbox.SandboxUnavailable as exc:
        pytest.skip(str(exc))
    secret_dir = tempfile.mkdtemp(prefix="cnnlab-secret-")
    with open(os.path.join(secret_dir, "hidden.txt"), "w") as f:
        f.write("hidden tests")
    ipc = tempfile.mkdtemp(prefix="cnnlab-k-")
    uid = 64000 if os.geteuid() == 0 else None
    if uid is not None:
        os.chown(ipc, uid, uid)

    def run(code: str, **limits) -> subprocess.CompletedProcess:
        kw = dict(memory_mb=1024, cpu_seconds=20, file_size_mb=1, tmp_mb=16, nproc=64, nofile=256)
        kw.update(limits)
        cmd = sandbox.bwrap_command([sys.executable, "-c", code], ipc_dir=ipc, files=[], uid=uid,
                                    forbidden=[secret_dir], **kw)
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    run.secret_dir = secret_dir
    run.uid = uid
    yield run
    shutil.rmtree(secret_dir, ignore_errors=True)
    shutil.rmtree(ipc, ignore_errors=True)


def test_instructor_files_are_invisible(run_in_sandbox):
    code = ("import os\n"
            f"print(os.path.exists({run_in_sandbox.secret_dir!r}))\n"
            "print(sorted(os.listdir('/tmp')), os.getcwd(), os.listdir('.'))\n"
            "print(sorted(os.listdir('/')))")
    out = run_in_sandbox(code)
    assert out.returncode == 0, out.stderr
    secret, tmp, root = out.stdout.splitlines()
    assert secret == "False"
    assert tmp.startswith("['cnnlab-k-") and tmp.endswith("/home/student []"), tmp  # only its socket folder
    allowed = {"usr", "etc", "lib", "lib64", "lib32", "bin", "sbin", "proc", "dev", "tmp", "home"}
    allowed |= {p.split("/")[1] for p in sandbox.python_paths() + list(sandbox.data_paths().values())}
    assert set(ast.literal_eval(root)) <= allowed, root


def test_identity_network_and_processes(run_in_sandbox):
    code = ("import os, socket\nprint(os.getuid())\n"
            "try:\n    socket.create_connection(('127.0.0.1', 5432), timeout=2); print('net')\n"
            "except OSError:\n    print('no network')\n"
            "print(len([p for p in os.listdir('/proc') if p.isdigit()]))\n"
            "print(os.environ.get('HOME'), 'PGPASSWORD' in os.environ)")
    out = run_in_sandbox(code)
    assert out.returncode == 0, out.stderr
    uid, net, nproc, env = out.stdout.splitlines()
    if run_in_sandbox.uid is not None:
        assert int(uid) == run_in_sandbox.uid
    assert net == "no network"
    assert int(nproc) <= 3  # its own PID namespace: bwrap's init and this process
    assert env == "/home/student False"


def test_memory_and_file_size_limits(run_in_sandbox):
    code = ("try:\n    b = bytearray(4 * 2**30); print('allocated')\nexcept MemoryError:\n    print('MemoryError')\n"
            "try:\n    open('/tmp/big', 'wb').write(b'x' * (2 * 2**20)); print('wrote')\n"
            "except OSError as e:\n    print('file too large', e.errno)")
    out = run_in_sandbox(code)
    assert out.stdout.splitlines() == ["MemoryError", "file too large 27"], out.stdout + out.stderr


def test_forbidden_folder_inside_a_bound_one_is_refused(run_in_sandbox):
    with pytest.raises(sandbox.SandboxUnavailable, match="lies inside"):
        sandbox.bwrap_command(["true"], ipc_dir="/tmp", files=[], uid=None, memory_mb=1, cpu_seconds=1,
                              file_size_mb=1, tmp_mb=1, nproc=1, nofile=1, forbidden=[os.path.dirname(sys.executable)])
