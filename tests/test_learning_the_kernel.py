"""Notebook 5 ("Learning the kernel"): its solutions, its mistakes and its checks.

* The solutions' gradients, the instructors' loop version (whose wrong variants make the stored
  mistakes in solutions/references/learning_the_kernel.py) and the notebook's forward pass agree
  with TensorFlow's automatic differentiation, across strides, paddings and shapes.
* The stored values (cnnlab/checks/expected/learning_the_kernel.json, verified by tests/test_expected.py)
  start with the lecture's numbers.
* Each check's two phases run apart: what ``collect_*`` returns survives the grader's JSON record,
  and ``judge_*`` decides from it alone, on the visible cases (stored values) and on the hidden
  ones (expected values the grader computes from the solutions).
* The notebook's ``gradient_check`` names the wrong gradient and its index.
"""

from __future__ import annotations

import importlib.util
import json

import nbformat
import numpy as np
import pytest

import nbtools
from cnnlab import runtime
from cnnlab.grade import grading
from cnnlab.grade.judge import Call
from cnnlab.grade.references import References
from cnnlab.checks import CheckError, core, record
from cnnlab.checks import learning_the_kernel as check

NB = nbtools.SOLUTIONS / "05_learning_the_kernel.ipynb"
REFERENCES = nbtools.SOLUTIONS / "references" / "learning_the_kernel.py"

# (input shape, filter side F, filters K, stride, padding): overlap, gaps, 'same', not square, 1×1.
CASES = [((4, 4, 1), 3, 1, 1, 0), ((7, 7, 2), 3, 3, 2, 0), ((5, 6, 2), 3, 2, 1, 1), ((8, 7, 3), 3, 4, 2, 1),
         ((7, 8, 1), 2, 2, 3, 0), ((9, 10, 2), 4, 3, 2, 2), ((6, 5, 3), 1, 4, 1, 0), ((11, 9, 3), 5, 2, 3, 2)]
EXERCISES = ["conv2d_backward_loops", "conv2d_backward", "numerical_gradient", "relative_error"]


@pytest.fixture(scope="module")
def references():
    spec = importlib.util.spec_from_file_location("references_learning_the_kernel", REFERENCES)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def solution():
    """The notebook's answers and its given functions (forward pass, gradient_check)."""
    ns = grading.answer_namespace(NB, prelude=nbtools.prelude("05_learning_the_kernel"), np=np, check=check)
    grading.notebook_functions(NB, ["gradient_check"], ns)
    return ns


@pytest.fixture(scope="module")
def tf():
    runtime.quiet_tensorflow()
    import tensorflow as tf
    return tf


def _visible(exercise: str) -> dict:
    return {**core.stored(check)[exercise], "suite": "visible"}


def test_stored_cases_start_with_the_lectures_numbers():
    stored = core.stored(check)["conv2d_backward_loops"]
    toy = stored["expected"]["outputs"][0]
    assert toy["db"].tolist() == [10.0]                                   # 1 + 2 + 3 + 4
    assert toy["dw"][:, :, 0, 0].tolist() == [[3, 7, 6], [4, 5, 1], [5, 1, 0]]
    assert toy["dx"][0, 0, 0] == 1.0                                      # in patch 1 only, times kernel[0, 0]
    assert not np.allclose(stored["mistakes"]["assign"]["outputs"][0]["dw"], toy["dw"])


def test_the_module_holds_no_backward_pass():
    """Nothing a student installs computes a gradient of the convolution: no conv or backward helper."""
    public = {n for n in dir(check) if callable(getattr(check, n)) and not n.startswith("_")}
    assert not {"conv2d_forward", "expect_adjoint", "correlate"} & public
    assert not hasattr(check, "EXPECTED")  # the old .npz store is gone: one json, written by cnnlab.grade.expected


def _tf_gradients(tf, dout, x, w, b, stride, padding):
    """dx, dw, db of sum(dout * (conv(x, w) + b)) by TensorFlow's automatic differentiation."""
    tensors = [tf.Variable(v[None] if v is x else v) for v in (x, w, b)]
    pad = [[0, 0], [padding, padding], [padding, padding], [0, 0]]
    with tf.GradientTape() as tape:
        out = tf.nn.conv2d(tensors[0], tensors[1], strides=stride, padding=pad) + tensors[2]
        loss = tf.reduce_sum(out * dout[None])
    dx, dw, db = (g.numpy() for g in tape.gradient(loss, tensors))
    return out.numpy()[0], (dx[0], dw, db)


@pytest.mark.parametrize("shape,F,K,stride,padding", CASES)
def test_gradients_match_tensorflow(tf, solution, references, shape, F, K, stride, padding):
    rng = np.random.default_rng(sum(shape) + 10 * F + K + stride + padding)
    x, w, b = rng.normal(size=shape), rng.normal(size=(F, F, shape[2], K)), rng.normal(size=K)
    out = solution["conv2d_forward"](x, w, b, stride, padding)
    dout = rng.normal(size=out.shape)
    tf_out, expected = _tf_gradients(tf, dout, x, w, b, stride, padding)
    np.testing.assert_allclose(out, tf_out, rtol=1e-10, atol=1e-10)
    for backward in (solution["conv2d_backward_loops"], solution["conv2d_backward"], references.backward):
        for got, want in zip(backward(dout, x, w, stride, padding), expected):
            np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_numerical_gradient_agrees_with_tensorflow(tf, solution):
    rng = np.random.default_rng(7)
    x, w, b = rng.normal(size=(6, 7, 2)), rng.normal(size=(3, 3, 2, 3)), rng.normal(size=3)
    forward = solution["conv2d_forward"]
    dout = rng.normal(size=forward(x, w, b, 2, 1).shape)
    _, (dx, dw, db) = _tf_gradients(tf, dout, x, w, b, 2, 1)
    numeric_dw = solution["numerical_gradient"](lambda v: np.sum(dout * forward(x, v, b, 2, 1)), w)
    numeric_dx = solution["numerical_gradient"](lambda v: np.sum(dout * forward(v, w, b, 2, 1)), x)
    assert solution["relative_error"](numeric_dw, dw) < 1e-7
    assert solution["relative_error"](numeric_dx, dx) < 1e-7


def _through_the_record(data):
    """What the grader reads back: the data as the kernel publishes it (JSON), decoded."""
    return record.decode(json.loads(json.dumps(record.encode(data))))


def _mutant(grade_id: str, index: int = 0):
    ns = {"np": np}
    exec(nbtools.mutants("05_learning_the_kernel")[grade_id][index]["source"], ns)
    return ns[grade_id], nbtools.mutants("05_learning_the_kernel")[grade_id][index]["expect"]


@pytest.mark.parametrize("grade_id", EXERCISES)
def test_collect_returns_data_and_judge_decides_from_it_alone(solution, grade_id):
    collect, judge = getattr(check, f"collect_{grade_id}"), getattr(check, f"judge_{grade_id}")
    args = {"conv2d_backward": {"loops": solution["conv2d_backward_loops"]}}.get(grade_id, {})
    assert judge(_through_the_record(collect(solution[grade_id], **args)), _visible(grade_id)) > 0

    wrong, expect = _mutant(grade_id)
    with pytest.raises(CheckError) as info:
        judge(_through_the_record(collect(wrong, **args)), _visible(grade_id))
    assert expect in str(info.value)


@pytest.fixture(scope="module")
def hidden_references():
    """The grader's own expected values for the hidden cases: the solution notebook's answers."""
    return References(nbformat.read(NB, as_version=4), check)


@pytest.mark.parametrize("grade_id", EXERCISES)
def test_hidden_cases_are_judged_against_the_solutions(solution, hidden_references, grade_id):
    """The hidden suite: its expected values come from the solutions (never from the module); the first
    mutant fails there too, and the solution passes."""
    kwargs = {"conv2d_backward": {"loops": "conv2d_backward_loops"}}.get(grade_id, {})
    expected = hidden_references.expected(Call(grade_id, "hidden", [grade_id], name_kwargs=kwargs))
    assert expected["suite"] == "hidden" and expected["mistakes"] == {}
    collect, judge = getattr(check, f"collect_{grade_id}"), getattr(check, f"judge_{grade_id}")
    args = {k: solution[v] for k, v in kwargs.items()}
    assert judge(_through_the_record(collect(solution[grade_id], suite="hidden", **args)), expected) > 0
    wrong, _ = _mutant(grade_id)
    with pytest.raises(CheckError, match="hidden: "):
        judge(_through_the_record(collect(wrong, suite="hidden", **args)), expected)


def test_vectorised_check_compares_with_a_correct_loop_version_only(solution):
    """A wrong loop version must not cost the vectorised exercise its points; a right one must agree."""
    n_cases = len(check.backward_cases())
    expected = _visible("conv2d_backward")
    wrong_loops, _ = _mutant("conv2d_backward_loops")
    collected = check.collect_conv2d_backward(solution["conv2d_backward"], loops=wrong_loops)
    assert check.judge_conv2d_backward(collected, expected) == n_cases + 1  # + the loop count

    def crashes(dout, x, w, stride=1, padding=0):
        return 1 / 0

    collected = check.collect_conv2d_backward(solution["conv2d_backward"], loops=crashes)
    assert check.judge_conv2d_backward(collected, expected) == n_cases + 1
    collected = check.collect_conv2d_backward(solution["conv2d_backward"], loops=solution["conv2d_backward_loops"])
    assert check.judge_conv2d_backward(_through_the_record(collected), expected) == n_cases + 2  # + the agreement

    def disagrees_on_large_inputs(dout, x, w, stride=1, padding=0):
        dx, dw, db = solution["conv2d_backward"](dout, x, w, stride, padding)
        return (dx + 1.0, dw, db) if x.shape[0] > 10 else (dx, dw, db)

    collected = check.collect_conv2d_backward(disagrees_on_large_inputs, loops=solution["conv2d_backward_loops"])
    with pytest.raises(CheckError, match="compared with your conv2d_backward_loops"):
        check.judge_conv2d_backward(collected, expected)


@pytest.mark.parametrize("forged", [
    {}, {"outputs": None}, {"outputs": [None] * 8}, {"outputs": [{"dx": 1, "dw": "x", "db": []}] * 8},
    {"outputs": [{"returned": 3}] * 8}, {"outputs": [1.0] * 8, "loops": "many", "agreement": 5},
])
def test_judges_fail_cleanly_on_odd_data(forged):
    """Data a tampered kernel could hand over is a failure with a message, never a crash or a pass."""
    for grade_id in EXERCISES:
        with pytest.raises(CheckError):
            getattr(check, f"judge_{grade_id}")(forged, _visible(grade_id))


def test_gradient_check_reports_the_wrong_gradient_and_its_index(solution, capsys):
    rng = np.random.default_rng(2)
    x, w, b = rng.normal(size=(6, 6, 3)), rng.normal(size=(3, 3, 3, 4)), rng.normal(size=4)

    def broken(dout, x, w, stride=1, padding=0):
        dx, dw, db = solution["conv2d_backward"](dout, x, w, stride, padding)
        dw = dw.copy()
        dw[0, 1, 2, 2] += 1.0
        return dx, dw, db

    assert solution["gradient_check"](solution["conv2d_backward"], x, w, b, 1, 1) == []
    assert solution["gradient_check"](broken, x, w, b, 1, 1) == ["dw"]
    out = capsys.readouterr().out
    assert "dw wrong at index (0, 1, 2, 2)" in out and "1 of 108 values wrong" in out
    assert out.count(" ok (relative error") == 5


def test_training_recovers_the_kernels_with_numpy_and_with_keras(solution):
    """The notebook's training cells, in FAST mode: both trainings end at the lecture's kernels, and agree."""
    import matplotlib.pyplot as plt

    from cnnlab import playground

    ns = dict(solution, FAST=True, plt=plt, time=__import__("time"), playground=playground, runtime=runtime)
    markers = ("true_w = ", "STEPS = ", "import keras", "history = model.fit")  # data, NumPy, Keras
    cells = [c.source for c in nbtools.read(NB).cells
             if c.cell_type == "code" and any(m in c.source for m in markers)]
    assert len(cells) == len(markers)
    for source in cells:
        exec(source, ns)
    plt.close("all")
    assert ns["numpy_losses"][-1] < 1e-3 * ns["numpy_losses"][0]
    np.testing.assert_allclose(ns["learned_w"], ns["true_w"], atol=1e-2)
    np.testing.assert_allclose(ns["keras_w"], ns["true_w"], atol=1e-2)
    np.testing.assert_allclose(ns["keras_w"], ns["learned_w"], atol=1e-5)  # same start, same steps
