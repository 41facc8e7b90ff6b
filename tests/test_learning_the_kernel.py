"""Notebook 5 ("Learning the kernel"): its stored expected values, its solutions and its checks.

* The values the checks compare with (cnnlab/checks/expected/learning_the_kernel.npz) are exactly
  what the instructors' references (solutions/references/learning_the_kernel.py) compute now.
* The solutions' gradients, the references' and the notebook's forward pass agree with TensorFlow's
  automatic differentiation, across strides, paddings and shapes.
* Each check's two phases run apart: what ``collect_*`` returns is plain data that survives a pickle
  round trip, and ``judge_*`` decides from it alone.
* The notebook's ``gradient_check`` names the wrong gradient and its index.
"""

from __future__ import annotations

import importlib.util
import pickle

import numpy as np
import pytest

import nbtools
from cnnlab import runtime
from cnnlab.grade import grading
from cnnlab.checks import CheckError
from cnnlab.checks import learning_the_kernel as check

NB = nbtools.SOLUTIONS / "05_learning_the_kernel.ipynb"
REFERENCES = nbtools.SOLUTIONS / "references" / "learning_the_kernel.py"

# (input shape, filter side F, filters K, stride, padding): overlap, gaps, 'same', not square, 1×1.
CASES = [((4, 4, 1), 3, 1, 1, 0), ((7, 7, 2), 3, 3, 2, 0), ((5, 6, 2), 3, 2, 1, 1), ((8, 7, 3), 3, 4, 2, 1),
         ((7, 8, 1), 2, 2, 3, 0), ((9, 10, 2), 4, 3, 2, 2), ((6, 5, 3), 1, 4, 1, 0), ((11, 9, 3), 5, 2, 3, 2)]


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


def test_stored_values_are_what_the_references_compute(references):
    made = references.make_expected()
    with np.load(check.EXPECTED, allow_pickle=False) as stored:
        assert sorted(stored.files) == sorted(made), \
            "expected/learning_the_kernel.npz is out of date: run python solutions/references/learning_the_kernel.py"
        for key, value in made.items():
            if value.dtype.kind == "U":
                assert str(stored[key]) == str(value), key
            else:
                np.testing.assert_allclose(stored[key], value, rtol=1e-12, atol=1e-15, err_msg=key)


def test_stored_cases_start_with_the_lectures_numbers():
    toy = check.backward_cases()[0]
    assert toy["db"].tolist() == [10.0]                                   # 1 + 2 + 3 + 4
    assert toy["dw"][:, :, 0, 0].tolist() == [[3, 7, 6], [4, 5, 1], [5, 1, 0]]
    assert toy["dx"][0, 0, 0] == 1.0                                      # in patch 1 only, times kernel[0, 0]
    assert all(not np.allclose(c["mistake"]["assign"]["dw"], c["dw"]) for c in check.backward_cases()[:1])


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
    for backward in (solution["conv2d_backward_loops"], solution["conv2d_backward"], references.conv2d_backward):
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


def _plain(value) -> bool:
    """Only data: arrays, numbers, strings, None, and lists/tuples/dicts of them."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _plain(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(_plain(v) for v in value)
    return value is None or isinstance(value, (np.ndarray, int, float, str))


@pytest.mark.parametrize("grade_id", ["conv2d_backward_loops", "conv2d_backward", "numerical_gradient",
                                      "relative_error"])
def test_collect_returns_data_and_judge_decides_from_it_alone(solution, grade_id):
    collect, judge = getattr(check, f"collect_{grade_id}"), getattr(check, f"judge_{grade_id}")
    args = {"conv2d_backward": {"loops": solution["conv2d_backward_loops"]}}.get(grade_id, {})
    collected = collect(solution[grade_id], **args)
    assert _plain(collected)
    assert judge(pickle.loads(pickle.dumps(collected))) > 0

    mutant = nbtools.mutants("05_learning_the_kernel")[grade_id][0]
    ns = {"np": np}
    exec(mutant["source"], ns)
    wrong = pickle.loads(pickle.dumps(collect(ns[grade_id], **args)))
    with pytest.raises(CheckError) as info:
        judge(wrong)
    assert mutant["expect"] in str(info.value)


def test_vectorised_check_compares_with_a_correct_loop_version_only(solution):
    """A wrong loop version must not cost the vectorised exercise its points; a right one must agree."""
    ns = {"np": np}
    exec(nbtools.mutants("05_learning_the_kernel")["conv2d_backward_loops"][0]["source"], ns)
    collected = check.collect_conv2d_backward(solution["conv2d_backward"], loops=ns["conv2d_backward_loops"])
    assert check.judge_conv2d_backward(collected) == len(check.backward_cases()) + 1  # + the loop count

    def crashes(dout, x, w, stride=1, padding=0):
        return 1 / 0

    collected = check.collect_conv2d_backward(solution["conv2d_backward"], loops=crashes)
    assert check.judge_conv2d_backward(collected) == len(check.backward_cases()) + 1
    collected = check.collect_conv2d_backward(solution["conv2d_backward"], loops=solution["conv2d_backward_loops"])
    assert check.judge_conv2d_backward(collected) == len(check.backward_cases()) + 2  # + the agreement

    def disagrees_on_large_inputs(dout, x, w, stride=1, padding=0):
        dx, dw, db = solution["conv2d_backward"](dout, x, w, stride, padding)
        return (dx + 1.0, dw, db) if x.shape[0] > 10 else (dx, dw, db)

    collected = check.collect_conv2d_backward(disagrees_on_large_inputs, loops=solution["conv2d_backward_loops"])
    with pytest.raises(CheckError, match="compared with your conv2d_backward_loops"):
        check.judge_conv2d_backward(collected)


def test_expect_adjoint_names_the_wrong_gradient(solution):
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=(9, 8, 2)), rng.normal(size=(3, 3, 2, 4))
    check.expect_adjoint("conv2d_backward", solution["conv2d_backward"], solution["conv2d_forward"], x, w, 2, 1,
                         case="solution")
    for broken, grad in ((lambda d, *a: (lambda g: (g[0], g[1] * 1.001, g[2]))(solution["conv2d_backward"](d, *a)), "dw"),
                         (lambda d, *a: (lambda g: (g[0][::-1], g[1], g[2]))(solution["conv2d_backward"](d, *a)), "dx"),
                         (lambda d, *a: (lambda g: (g[0], g[1], g[2] / 2))(solution["conv2d_backward"](d, *a)), "db")):
        with pytest.raises(CheckError, match=f"— {grad}\n  {grad} is wrong"):
            check.expect_adjoint("conv2d_backward", broken, solution["conv2d_forward"], x, w, 2, 1, case="broken")


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
