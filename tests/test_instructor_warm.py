"""Warm kernels (cnnlab/grade/warm.py): started before a submission arrives, never carrying one
student's state to the next, whether forked from a fork server (cnnlab/grade/zygote.py) or
started fresh (``Limits.fork_server=False``).

Three submissions go through the worker one after another in this process, each told that
another follows, so the second and third run in kernels started while the one before was
graded. The first student leaves every kind of state a kernel could carry (files in /tmp and
the home folder, an environment variable, attributes on builtins and on the preloaded NumPy
and cnnlab modules, a process left running); the next ones look for all of it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from cnnlab.grade import warm, worker, zygote
from instructor_tools import RIGHT, TINY, answered, tiny_course
from needs import require_fork_server, require_sandbox

LEAVE = """import os, builtins, subprocess, numpy, cnnlab
open('/tmp/leak-a', 'w').write('a')
open(os.path.expanduser('~/leak-a'), 'w').write('a')
os.environ['CNNLAB_LEAK'] = 'a'
builtins.cnnlab_leak = 'a'
numpy.cnnlab_leak = 'a'
cnnlab.cnnlab_leak = 'a'
subprocess.Popen(['sleep', '300'])
print('left state')
def add(a, b):
    return a + b"""

LOOK = """import os, builtins, glob, sys, numpy, cnnlab
seen = glob.glob('/tmp/leak-*') + glob.glob(os.path.expanduser('~/leak-*'))
seen += [n for n in ('CNNLAB_LEAK',) if n in os.environ]
seen += [m for m, o in (('builtins', builtins), ('numpy', numpy), ('cnnlab', cnnlab)) if hasattr(o, 'cnnlab_leak')]
seen += [p for p in os.listdir('/proc') if p.isdigit() and 'sleep' in open(f'/proc/{p}/cmdline').read()]
print('seen', sorted(seen))
print('preloaded', 'numpy' in sys.modules)
print('autograding', os.environ.get('NBGRADER_EXECUTION'))
print('note', open('note.txt').read() if os.path.exists('note.txt') else None)
def add(a, b):
    return a + b if not seen else None"""


@pytest.fixture(scope="module", params=["forked", "fresh"])
def graded(tmp_path_factory, request):
    require_sandbox()
    forked = request.param == "forked"
    if forked:
        require_fork_server()
    root = tmp_path_factory.mktemp("warm")
    course = tiny_course(root)
    released = course / "release" / TINY / f"{TINY}.ipynb"
    source = worker.read_folder(course / "source" / TINY)
    limits = worker.Limits(memory_mb=1024, cell_timeout=20, submission_timeout=120, threads=1, fork_server=forked)
    students = [("a", LEAVE, {}), ("b", LOOK, {}), ("c", LOOK, {"note.txt": b"c's own file"})]
    before, forks = dict(warm.STARTED), dict(zygote.STARTED)
    results = {}
    for i, (student, add, extra) in enumerate(students):
        nb = answered(released, {"add": add, "mul": RIGHT["mul"]})
        files = {f"{TINY}.ipynb": nbformat.writes(nb).encode(), **extra}
        job = worker.Job(student, TINY, source, files, limits, [str(course)], warm_next=i < len(students) - 1)
        results[student] = worker.grade(job)
    taken = warm.STARTED["taken"] - before["taken"]
    forks = {k: zygote.STARTED[k] - forks[k] for k in forks} if forked else None
    if forks is not None:
        forks["warm"] = warm.STARTED["warm"] - before["warm"]
    yield results, taken, forks
    worker.cleanup()


def _outputs(result, grade_id: str) -> str:
    nb = nbformat.reads(result.notebooks[TINY], as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "".join(o.get("text", "") + o.get("ename", "") for o in cell.outputs)


def test_every_submission_ran_in_a_warm_kernel(graded):
    results, taken, forks = graded
    assert all(not r.error for r in results.values()), {k: r.error for k, r in results.items()}
    assert taken == 3  # each started before nbgrader's execute step asked for one
    assert "left state" in _outputs(results["a"], "add")
    if forks is not None:  # every kernel forked from one fork server, which imported once
        # (c's kernel was started twice: the first, started before c's own file was known, did not fit)
        assert forks == {"servers": 1, "forked": 4, "warm": 4}, forks


def test_no_state_crosses_from_one_student_to_the_next(graded):
    results, _, _ = graded
    for student in ("b", "c"):
        out = _outputs(results[student], "add")
        assert "seen []" in out, out
        assert "preloaded True" in out, out
        assert "Error" not in _outputs(results[student], "add_test")


def test_warm_kernel_runs_as_nbgrader_would(graded):
    results, _, _ = graded
    assert "autograding autograde" in _outputs(results["b"], "add")  # NBGRADER_EXECUTION, as nbgrader sets it
    assert "note None" in _outputs(results["b"], "add")
    assert "note c's own file" in _outputs(results["c"], "add")  # the submission's own files, in its home


def test_nothing_is_left_running(graded):
    assert warm._WARM is None
    worker.cleanup()  # what a grading worker does at its exit: its fork server stops too
    assert zygote._ZYGOTE is None
    assert not list(Path("/tmp").glob(f"cnnlab-k-{os.getpid()}-*"))


def test_tensorflow_is_preloaded_only_where_a_cell_always_imports_it():
    """Notebook 2 imports TensorFlow only outside FAST mode (never under the grader): preloading it there
    would cost every worker seconds of CPU; notebook 3 imports it in its set-up cell."""
    import nbtools

    preload = {aid: warm.preload_for((nbtools.SOLUTIONS / f"{aid}.ipynb").read_bytes())
               for aid in ("01_knn", "02_convolution", "03_conv_arithmetic")}
    assert ["quiet_tensorflow" in line for line in preload.values()] == [False, False, True], preload
    assert "'keras'" not in preload["02_convolution"] and "'keras'" in preload["03_conv_arithmetic"]


def test_preload_imports_the_set_up_cells_modules_and_binds_no_name():
    """A top-level import runs whatever branch a cell takes: its module is loaded once, in the fork
    server, not in every kernel. A name that is not a module, or a module that fails, is skipped."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import colorsys\nfrom xml.dom import minidom, not_a_module\nimport no_such_module_here\n"
        "if FAST:\n    import xmlrpc.client\ndef f():\n    import csv")])
    line = warm.preload_for(nbformat.writes(nb).encode())
    probe = (f"import sys; namespace = {{}}; exec({line!r}, namespace); "
             "print(sorted(namespace), [m in sys.modules for m in ('colorsys', 'xml.dom.minidom', 'xmlrpc.client', 'csv')])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["['__builtins__']", "[True,", "True,", "False,", "False]"], out


def test_jobs_go_assignment_by_assignment_and_longest_first():
    """A worker keeps its fork server while an assignment lasts, and short (nearly blank) submissions
    are left to fill the workers' ends: one solved notebook must not start last and run alone."""
    import nbtools

    from cnnlab.grade.autograde import longest_first

    root = Path(nbtools.SOLUTIONS).parent
    blank = {aid: (root / "notebooks" / f"{aid}.ipynb").read_bytes() for aid in ("01_knn", "06_keras_cnn")}
    solved = {aid: (root / "solutions" / f"{aid}.ipynb").read_bytes() for aid in blank}
    todo = [(worker.Job(student, aid, {}, {f"{aid}.ipynb": files[aid]}), student)
            for student, files in (("ann", blank), ("bob", solved), ("cyd", {aid: b"{" for aid in blank}),
                                   ("dee", solved))
            for aid in ("06_keras_cnn", "01_knn")]
    order = [job.key for job, _ in longest_first(todo)]
    assert order == ["bob/06_keras_cnn", "dee/06_keras_cnn", "ann/06_keras_cnn", "cyd/06_keras_cnn",
                     "bob/01_knn", "dee/01_knn", "ann/01_knn", "cyd/01_knn"], order


def test_what_grading_code_writes_to_the_environment_is_undone(monkeypatch):
    """Judging the capstone imports TensorFlow in the worker, and quiet_tensorflow() sets two variables
    that kernels inherit: the next kernel must get what the first got (and the fork server stay)."""
    from cnnlab import runtime
    from cnnlab.grade import sandbox

    monkeypatch.delenv("TF_CPP_MIN_LOG_LEVEL", raising=False)
    monkeypatch.setenv("KERAS_BACKEND", "jax")
    monkeypatch.setitem(sys.modules, "tensorflow", object())  # quiet_tensorflow: already imported
    before = sandbox.passed_environment()
    with sandbox.environment_kept():
        runtime.quiet_tensorflow()
        os.environ["KERAS_BACKEND"] = "tensorflow"
        assert sandbox.passed_environment() != before
    assert sandbox.passed_environment() == before
