"""What the kernel sandbox guarantees, checked directly (no nbgrader: a plain command in the sandbox)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
import tempfile

import pytest

from cnnlab.grade import sandbox
from needs import require_sandbox


@pytest.fixture(scope="module")
def run_in_sandbox():
    require_sandbox()
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
    listing, _, rest = tmp.partition("] ")
    assert rest == "/home/student []", tmp
    # /tmp holds only its socket folder, and the course environment when that lives under /tmp (a CI clone)
    env_under_tmp = {p.split("/")[2] for p in sandbox.python_paths() + list(sandbox.data_paths().values())
                     if p.startswith("/tmp/")}
    entries = ast.literal_eval(listing + "]")
    sockets = [e for e in entries if e.startswith("cnnlab-k-")]
    assert len(sockets) == 1 and set(entries) - set(sockets) <= env_under_tmp, tmp
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


@pytest.fixture()
def kernel_sandbox():
    """Run a plain command in a kernel's sandbox: its cgroup, connection folder and limits."""
    require_sandbox()
    made = []

    def run(code: str, **traits):
        km = sandbox.SandboxKernelManager(**traits)
        made.append(km)
        out = subprocess.run(km.sandboxed([sys.executable, "-c", code.replace("IPC", km._ipc_dir)]),
                             capture_output=True, text=True, timeout=120)
        km._drop_group()
        return out, km

    yield run
    for km in made:
        sandbox.remove_quota(km._ipc_dir, km._ipc_mounted)


def _need_cgroups():
    from cnnlab.grade import cgroups

    why = cgroups.available()
    if why:
        pytest.skip(f"no per-sandbox cgroup here ({why}); autograde warns at start instead")


FORK_MEMORY = """
import os, time
kids = []
for i in range(4):
    pid = os.fork()
    if pid == 0:
        try:
            block = bytearray(300 * 2**20)   # zero-filled: really resident
            print('allocated', flush=True)
            time.sleep(3)
            print('held', flush=True)   # still alive with its 300 MiB after all four allocated
        finally:
            os._exit(0)
    kids.append(pid)
for pid in kids:
    os.waitpid(pid, 0)
"""


def test_forked_children_share_one_memory_limit(kernel_sandbox):
    _need_cgroups()
    out, km = kernel_sandbox(FORK_MEMORY, memory_mb=512, nproc=64)
    # Four children of 300 MiB each would hold 1.2 GiB; the group allows 512 MiB in all, so the
    # kernel's OOM killer stops all but one of them.
    assert out.stdout.count("held") <= 1, out.stdout
    assert km.peak_mb is not None and km.peak_mb <= 512 + 1, km.peak_mb
    assert km.oom_killed


def test_process_count_is_limited_per_sandbox(kernel_sandbox):
    _need_cgroups()
    code = ("import os, time\nn = 0\ntry:\n    for _ in range(500):\n        if os.fork() == 0:\n"
            "            time.sleep(2); os._exit(0)\n        n += 1\nexcept OSError as e:\n    print('fork failed', n)\n")
    out, _ = kernel_sandbox(code, memory_mb=1024, nproc=40)
    assert "fork failed" in out.stdout, out.stdout + out.stderr
    assert int(out.stdout.split()[-1]) < 40


def test_connection_folder_has_a_small_quota(kernel_sandbox):
    if os.geteuid() != 0:
        pytest.skip("the connection folder's quota is a tmpfs mount, which needs root")
    code = ("try:\n    open('IPC/big', 'wb').write(b'x' * (8 * 2**20)); print('wrote')\n"
            "except OSError as e:\n    print('refused', e.errno)")
    out, km = kernel_sandbox(code, memory_mb=1024, file_size_mb=64, ipc_kb=1024)
    assert km._ipc_mounted
    assert out.stdout.strip() == "refused 28", out.stdout + out.stderr  # ENOSPC


def test_leftovers_of_a_killed_grader_are_swept():
    """A grading process killed mid-run (a lost Dask worker) leaves its kernel's cgroup and connection
    folder; the next worker on the host removes them."""
    from cnnlab.grade import cgroups

    require_sandbox()
    code = ("import os, sys\nfrom cnnlab.grade import sandbox\nkm = sandbox.SandboxKernelManager(memory_mb=256)\n"
            "km.sandboxed(['true'])\nprint(km._ipc_dir)\n"
            "print(' '.join(str(d) for d in km._group.dirs) if km._group else '')\nsys.stdout.flush()\nos._exit(0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    ipc, groups = out.stdout.splitlines()[-2:] if len(out.stdout.splitlines()) >= 2 else (out.stdout.strip(), "")
    assert os.path.isdir(ipc)
    assert all(os.path.isdir(g) for g in groups.split())
    sandbox.sweep_leftovers()
    assert not os.path.exists(ipc) and not os.path.ismount(ipc)
    assert not any(os.path.exists(g) for g in groups.split())
    if not cgroups.available():
        assert groups.split(), "a cgroup was made, so the sweep was tested"
