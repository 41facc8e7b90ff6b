"""The fork server (cnnlab/grade/zygote.py, forkserver.py): what one student's kernel can do to it,
and to the students graded after them on the same worker.

Every kernel is a child of the fork server, with the same uid, so a kernel can signal it. Here
students grade one after another on one worker: one kills the fork server, one stops it, one
tries to read its memory, one leaves a process that keeps writing into /tmp. Each next student,
with right answers, must be graded as if alone: all tests passing, nothing of the others seen.
"""

from __future__ import annotations

import nbformat
import pytest

from cnnlab.grade import worker, zygote
from instructor_tools import RIGHT, TINY, answered, tiny_course
from needs import require_fork_server, require_sandbox

KILL = "import os, signal\nos.kill(os.getppid(), signal.SIGKILL)\n"
STOP = "import os, signal\nos.kill(os.getppid(), signal.SIGSTOP)\n"
READ = """import os
for what in ('mem', 'environ', 'maps'):
    try:
        open(f'/proc/{os.getppid()}/{what}', 'rb').read(16)
        print('read', what)
    except OSError as exc:
        print('denied', what, type(exc).__name__)
"""
LINGER = """import subprocess
subprocess.Popen(['setsid', 'sh', '-c', 'while true; do date >> /tmp/linger; date >> ~/linger; sleep 0.05; done'])
subprocess.run(['ipcmk', '--shmem', '1M'], check=True)  # System V shared memory outlives its process
import time; time.sleep(0.3)
print('lingering')
"""
LOOK = """import glob, os, subprocess, time
time.sleep(0.5)
seen = glob.glob('/tmp/linger') + glob.glob(os.path.expanduser('~/linger'))
seen += [p for p in os.listdir('/proc') if p.isdigit() and b'linger' in open(f'/proc/{p}/cmdline', 'rb').read()]
seen += [line for line in subprocess.run(['ipcs', '-m'], capture_output=True, text=True).stdout.splitlines()
         if line[:2] == '0x']
print('seen', sorted(seen))
"""


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    require_sandbox()
    require_fork_server()
    root = tmp_path_factory.mktemp("forkserver")
    course = tiny_course(root)
    released = course / "release" / TINY / f"{TINY}.ipynb"
    source = worker.read_folder(course / "source" / TINY)
    limits = worker.Limits(memory_mb=1024, cell_timeout=20, submission_timeout=120, threads=1)
    students = [("killer", KILL), ("after_kill", ""), ("stopper", STOP), ("after_stop", ""),
                ("reader", READ), ("lingerer", LINGER), ("after_linger", LOOK)]
    before = dict(zygote.STARTED)
    results = {}
    for i, (student, prefix) in enumerate(students):
        nb = answered(released, {"add": prefix + RIGHT["add"], "mul": RIGHT["mul"]})
        job = worker.Job(student, TINY, source, {f"{TINY}.ipynb": nbformat.writes(nb).encode()}, limits,
                         [str(course)], warm_next=i < len(students) - 1)
        results[student] = worker.grade(job)
    counts = {k: zygote.STARTED[k] - before[k] for k in before}
    yield results, counts
    worker.cleanup()


def _outputs(result, grade_id: str) -> str:
    nb = nbformat.reads(result.notebooks[TINY], as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "".join(o.get("text", "") + o.get("ename", "") + o.get("evalue", "") for o in cell.outputs)


def _passes(result) -> bool:
    return not result.error and all("Error" not in _outputs(result, g) and "Stopped" not in _outputs(result, g)
                                    for g in ("add", "add_test", "mul", "mul_test"))


def test_killing_the_fork_server_harms_only_the_killer(graded):
    results, counts = graded
    assert not _passes(results["killer"])  # its own kernel went down with the fork server
    assert _passes(results["after_kill"]), _outputs(results["after_kill"], "add_test")
    assert counts["servers"] >= 2, counts  # a new fork server for the students after


def test_stopping_the_fork_server_delays_no_one(graded):
    results, _ = graded
    assert _passes(results["stopper"])
    assert _passes(results["after_stop"]), _outputs(results["after_stop"], "add_test")


def test_a_kernel_cannot_read_the_fork_servers_memory(graded):
    results, _ = graded
    out = _outputs(results["reader"], "add")
    assert "denied mem" in out and "denied environ" in out and "read" not in out.replace("denied", ""), out


def test_a_lingering_process_dies_before_the_next_kernel_starts(graded):
    results, _ = graded
    assert "lingering" in _outputs(results["lingerer"], "add")
    out = _outputs(results["after_linger"], "add")
    assert "seen []" in out, out
    assert _passes(results["after_linger"])
