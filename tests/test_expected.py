"""The stored expected values match the solutions, and the student package holds no answer.

``cnnlab/checks/expected/<topic>.json`` is what the visible cases' self-checks compare
with. Each file must be exactly what ``python -m cnnlab.grade.expected`` makes now from
the solution notebook's answer cells (and the usual mistakes in solutions/references/):
a solution edited without regenerating them fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

import nbtools
from cnnlab.checks import core, record
from cnnlab.grade import expected

JUDGED = [p.stem for p in expected.judged_notebooks(nbtools.SOLUTIONS)]


def _same(a, b, where="") -> None:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        assert isinstance(a, np.ndarray) and isinstance(b, np.ndarray), where
        assert a.dtype == b.dtype and a.shape == b.shape, where
        # Keras's float32 outputs (stored as float64 too) differ in the last bits between CPUs (oneDNN picks
        # kernels per CPU), by float32's rounding of the array's largest values: 1.7e-6 on a convolution
        # output of 0.02 among values up to 11 between two machines. The judges allow 1e-4 there.
        scale = float(np.max(np.abs(b), initial=1.0)) if b.dtype.kind == "f" else 1.0
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6 * scale, err_msg=where)
    elif isinstance(a, dict):
        assert isinstance(b, dict) and a.keys() == b.keys(), where
        for k in a:
            _same(a[k], b[k], f"{where}/{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{where}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-6, nan_ok=True), where
    else:
        assert a == b, where


def test_every_notebook_is_judged_outside_the_kernel():
    import importlib

    from cnnlab.grade.judge import checks_module_name

    for nb_id in nbtools.solution_ids():
        name = checks_module_name(nbtools.read(nbtools.SOLUTIONS / f"{nb_id}.ipynb"))
        assert name and getattr(importlib.import_module(name), "JUDGED", False), nb_id
    assert "04_pooling" in JUDGED


@pytest.mark.parametrize("nb_id", JUDGED)
def test_stored_values_are_what_the_solutions_give(nb_id):
    topic, fresh = expected.generate(nbtools.SOLUTIONS / f"{nb_id}.ipynb")
    path = core.EXPECTED_DIR / f"{topic}.json"
    assert path.is_file(), f"run `python -m cnnlab.grade.expected {nb_id}`"
    _same(record.decode(json.loads(path.read_text())), record.decode(record.encode(fresh)), topic)


def test_record_round_trip_keeps_plain_data():
    data = {"a": [1, 2.5, None, "x", True], "b": np.arange(6, dtype=np.int16).reshape(2, 3),
            "c": float("nan"), "d": np.zeros((0, 3))}
    back = record.decode(json.loads(json.dumps(record.encode(data))))
    assert back["a"] == [1, 2.5, None, "x", True] and np.isnan(back["c"])
    assert back["b"].dtype == np.int16 and back["b"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["d"].shape == (0, 3)


@pytest.mark.parametrize("bad", [
    {"__array__": "|O", "shape": [1], "data": "AA=="},                 # object arrays run code when read
    {"__array__": "<f8", "shape": [3], "data": "AAAAAAAAAAA="},       # data shorter than the shape
    {"__float__": "1e308*10"},
    {"__class__": "x"},
    {"__array__": "<f8", "shape": [-1], "data": ""},
])
def test_record_rejects_what_is_not_plain_data(bad):
    with pytest.raises(ValueError):
        record.decode(bad)


@pytest.mark.parametrize("value", [object(), np.array([object()]), {1: 2}, {"__array__": 1}, lambda: 0])
def test_only_plain_data_can_be_published(value):
    with pytest.raises(TypeError):
        record.encode(value)


def test_references_run_only_the_imports_the_answers_use():
    """Grading workers build the hidden cases' expected values from the answer cells: notebook 4 imports Keras
    to compare with it, but its answers are NumPy only, so the workers must not import it (seconds each)."""
    import nbformat

    from cnnlab.checks import keras_cnn, pooling
    from cnnlab.grade import references

    ns = references.namespace(nbformat.read(nbtools.SOLUTIONS / "04_pooling.ipynb", as_version=4), pooling)
    assert "keras" not in ns and "np" in ns and callable(ns["max_pool2d"])
    ns = references.namespace(nbformat.read(nbtools.SOLUTIONS / "06_keras_cnn.ipynb", as_version=4), keras_cnn)
    assert "keras" in ns and "layers" in ns and callable(ns["build_cnn"])


def test_workers_given_the_hidden_expectations_never_run_the_answers(monkeypatch):
    """The grading parent computes the hidden cases' expected values once per class (the answers of notebook 3
    import Keras) and sends them with each job: a worker seeded with them judges without running the answers."""
    import nbformat

    from cnnlab.grade import judge, references

    text = (nbtools.SOLUTIONS / "03_conv_arithmetic.ipynb").read_text(encoding="utf-8")
    computed = judge.hidden_expectations(text)
    fresh = judge.Judge(nbformat.reads(text, as_version=4))
    calls = [call for cell in fresh.source.cells if judge.is_test_cell(cell)
             for call in judge.judged_calls(cell.source, fresh.module) if call.suite == "hidden"]
    assert calls and len(computed) == len({references.call_key(c) for c in calls})

    def never(*args, **kwargs):
        raise AssertionError("a seeded worker ran the answer cells")

    monkeypatch.setattr(references, "namespace", never)
    fresh.references.seed(computed)
    for call in calls:
        _same(fresh.references.expected(call)["expected"], computed[references.call_key(call)]["expected"],
              call.exercise)


def test_expected_values_come_from_a_process_of_their_own(tmp_path, monkeypatch):
    """autograde computes the hidden cases' expected values in a child process (cnnlab.grade.hidden), one file
    per assignment: the same values as computed here, and the grading parent never runs the answers."""
    from cnnlab.grade import hidden, judge, references

    def never(*args, **kwargs):
        raise AssertionError("the grading parent ran the answer cells")

    text = (nbtools.SOLUTIONS / "04_pooling.ipynb").read_bytes()
    with monkeypatch.context() as patched:
        patched.setattr(references, "namespace", never)
        pending = hidden.Pending({"04_pooling": {"04_pooling.ipynb": text, "data/x.csv": b"1"}}, tmp_path / "h")
        got = pending.wait()
        pending.close()
    assert pending.error == ""
    assert list(got) == ["04_pooling"] and list(got["04_pooling"]) == ["04_pooling.ipynb"]
    here = judge.hidden_expectations(text.decode("utf-8"))
    assert here and got["04_pooling"]["04_pooling.ipynb"].keys() == here.keys()
    _same(got["04_pooling"]["04_pooling.ipynb"], here)
    assert hidden.load(pending.path("04_pooling"), timeout_s=0)["04_pooling.ipynb"].keys() == here.keys()


def test_a_worker_reads_the_expected_values_when_it_judges(tmp_path, monkeypatch):
    """A worker seeded with the file the child will write reads it only when it first judges a hidden case,
    waiting for it if need be, and never runs the answers."""
    import threading

    import nbformat

    from cnnlab.grade import hidden, judge, references

    text = (nbtools.SOLUTIONS / "04_pooling.ipynb").read_text(encoding="utf-8")
    computed = judge.hidden_expectations(text)
    fresh = judge.Judge(nbformat.reads(text, as_version=4))
    calls = [call for cell in fresh.source.cells if judge.is_test_cell(cell)
             for call in judge.judged_calls(cell.source, fresh.module) if call.suite == "hidden"]

    def never(*args, **kwargs):
        raise AssertionError("a worker with the values ran the answer cells")

    monkeypatch.setattr(references, "namespace", never)
    path = tmp_path / "04_pooling.pkl"
    reads = []
    fresh.references.seed_later(lambda: reads.append(1) or hidden.load(path, timeout_s=60)["04_pooling.ipynb"])
    assert reads == []  # nothing read before a hidden case is judged
    later = threading.Timer(0.5, hidden._write, (path, {"04_pooling.ipynb": computed}))
    later.start()
    for call in calls:
        _same(fresh.references.expected(call)["expected"], computed[references.call_key(call)]["expected"],
              call.exercise)
    assert reads == [1]


def test_a_grading_worker_judges_with_the_values_of_its_jobs_file(tmp_path, monkeypatch):
    """What a pool worker does with a job's ``expected_file``: its judge takes the hidden values from that file
    (source notebook → values, as the child writes it) and never runs the answers."""
    from cnnlab.grade import hidden, judge, references, worker

    text = (nbtools.SOLUTIONS / "05_learning_the_kernel.ipynb").read_text(encoding="utf-8")
    name = "05_learning_the_kernel.ipynb"
    computed = judge.hidden_expectations(text)
    path = tmp_path / "05_learning_the_kernel.pkl"
    hidden._write(path, {name: computed})

    def never(*args, **kwargs):
        raise AssertionError("a worker given the file ran the answer cells")

    monkeypatch.setattr(references, "namespace", never)
    monkeypatch.setattr(judge, "_JUDGES", {})  # a fresh worker: no judge has values yet
    job = worker.Job("s", "05_learning_the_kernel", {name: text.encode()}, {}, expected_file=str(path))
    worker.seed_expected(job)
    refs = judge.judge_of(text).references
    calls = [call for cell in refs.source.cells if judge.is_test_cell(cell)
             for call in judge.judged_calls(cell.source, refs.module) if call.suite == "hidden"]
    assert calls
    for call in calls:
        _same(refs.expected(call)["expected"], computed[references.call_key(call)]["expected"], call.exercise)


def test_a_child_that_dies_leaves_workers_to_compute_the_values(tmp_path):
    """If the child dies, the files it did not write are written empty at once (workers then compute the values
    themselves, instead of waiting for a file that will never come); a missing file reads as {} after the wait."""
    from cnnlab.grade import hidden

    text = (nbtools.SOLUTIONS / "03_conv_arithmetic.ipynb").read_bytes()  # imports Keras: seconds
    pending = hidden.Pending({"03_conv_arithmetic": {"03_conv_arithmetic.ipynb": text}}, tmp_path / "h")
    pending._proc.kill()
    assert pending.wait() == {"03_conv_arithmetic": {}}
    assert pending.error == "the process ended with exit status -9"  # autograde prints it as a warning
    stopped = hidden.Pending({"03_conv_arithmetic": {"03_conv_arithmetic.ipynb": text}}, tmp_path / "h2")
    stopped.close()  # what autograde does when it ends first (every submission rejected): no warning
    assert stopped.error == "" and stopped.wait() == {"03_conv_arithmetic": {}}
    assert hidden.load(tmp_path / "never.pkl", timeout_s=0.2) == {}


def test_grading_processes_do_not_build_jsonschemas_unused_grammars():
    """jsonschema (under nbformat) imports rfc3987_syntax where it is installed, which builds grammars for a format
    no notebook schema uses: seconds of CPU in each grading process that starts (the command, the hidden values'
    child, a Dask worker). Importing the grading package first keeps it out."""
    code = ("import importlib.metadata, sys; import cnnlab.grade.hidden, cnnlab.grade.judge, nbformat; "
            "print(importlib.metadata.version('rfc3987-syntax'), sys.modules.get('rfc3987_syntax', 0))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out[1:] == ["None"], out  # installed (as in CI: the version printed), and not imported
