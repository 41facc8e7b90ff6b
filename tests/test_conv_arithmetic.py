"""Notebook 3's solutions (whose outputs the checks' stored values come from) against real Keras layers.

The checks grade students against what the solution notebook's answer cells return
(cnnlab/checks/expected/conv_arithmetic.json for the visible cases, the grader's own
run of the answers for the hidden ones), so each answer is compared here with what
Keras/TensorFlow actually do, over a grid of sizes, and with the lectures' own numbers
(which the checks module keeps as constants for its hints).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import nbtools
from cnnlab import runtime
from cnnlab.checks import CheckError, core, record
from cnnlab.checks import conv_arithmetic as ca

runtime.quiet_tensorflow()
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


@pytest.fixture(scope="module")
def solution():
    ns = {"np": np, "keras": keras}
    for source in nbtools.solution_cells(nbtools.read(nbtools.SOLUTIONS / "03_conv_arithmetic.ipynb")).values():
        exec(source, ns)
    return ns


def _keras_width(layer, image):
    try:
        return int(layer(image).shape[2])
    except (ValueError, tf.errors.InvalidArgumentError):
        return None


def _solution_width(solution, n, f, s, p):
    try:
        return solution["conv_output_size"](n, f, stride=s, padding=p)
    except ValueError:
        return None


def _rows(table):
    return [(tuple(shape), params) for shape, params in table]


# --------------------------------------------------------------------------- the lectures' numbers

def test_lecture_numbers(solution):
    size, params, rf = solution["conv_output_size"], solution["conv_param_count"], solution["receptive_field"]
    # lecture 001: 7×7 input, 3×3 filter at strides 1-4; pad 1 keeps 7
    assert [size(7, 3, s) for s in (1, 2, 3, 4)] == [5, 3, 2, 2]
    assert size(7, 3, 1, 1) == 7
    # lecture 000's quiz and lecture 001's 760: the module's constants are the lecture's (and the solution's) numbers
    assert solution["quiz_output_volumes"]((32, 32, 3)) == ca.LECTURE_QUIZ_VOLUMES == [(28, 28, 10), (32, 32, 10),
                                                                                       (16, 16, 10)]
    assert solution["quiz_layer_params"]((32, 32, 3)) == ca.LECTURE_QUIZ_PARAMS
    assert params(5, 3, 10) == 760
    # lecture 002's MNIST network, with the output layer's (100 + 1) × 10
    assert _rows(solution["mnist_table"]()) == ca.LECTURE_MNIST_TABLE == [
        ((24, 24, 10), (5 * 5 + 1) * 10), ((12, 12, 10), 0), ((8, 8, 20), (5 * 5 * 10 + 1) * 20), ((4, 4, 20), 0),
        ((320,), 0), ((100,), (320 + 1) * 100), ((10,), (100 + 1) * 10)]
    # lecture 001's AlexNet table; CONV1 has (11·11·3)·96 ≈ 35K weights
    alexnet = _rows(solution["alexnet_table"]())
    assert alexnet == ca.LECTURE_ALEXNET_TABLE
    assert [shape for shape, _ in alexnet] == [(55, 55, 96), (27, 27, 96), (27, 27, 256), (13, 13, 256),
                                                (13, 13, 384), (13, 13, 384), (13, 13, 256), (6, 6, 256), (4096,),
                                                (4096,), (1000,)]
    assert alexnet[0][1] == 11 * 11 * 3 * 96 + 96 == 34944
    # receptive fields quoted in the notebook
    assert rf([(5, 1), (2, 2), (5, 1), (2, 2)]) == 16
    assert rf([(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)]) == 195


def test_the_checks_module_holds_no_reference():
    """Issue 12: nothing a student installs computes an answer (the old helpers are gone)."""
    for name in ("_out", "_same", "_params", "_rf", "_walk", "mnist_reference", "alexnet_reference", "_quiz_rows"):
        assert not hasattr(ca, name), name


# --------------------------------------------------------------------------- formulas vs Keras

def test_output_size_matches_conv2d_and_maxpool2d(solution):
    # Only inputs at least as large as the window are compared: what Keras returns for a smaller
    # one is not defined (it differs between CPUs and between a fresh and an already-built layer).
    # There the solution must refuse instead. Each size gets fresh layers, so no layer is
    # reused across input shapes.
    for f in (1, 2, 3, 4, 5, 7):
        for s in (1, 2, 3, 4):
            for n in range(1, 17):
                for p in (0, 1, 3):
                    if n + 2 * p < f:
                        assert _solution_width(solution, n, f, s, p) is None, (n, f, s, p)
                        continue
                    image = np.zeros((1, n + 2 * p, n + 2 * p, 1), "float32")
                    conv = keras.layers.Conv2D(1, f, strides=s)
                    assert _keras_width(conv, image) == _solution_width(solution, n, f, s, p), (n, f, s, p)
                image = np.zeros((1, n, n, 1), "float32")
                if n >= f:
                    pool = keras.layers.MaxPool2D(f, strides=s)
                    assert _keras_width(pool, image) == solution["conv_output_size"](n, f, s), (n, f, s)
                pool_same = keras.layers.MaxPool2D(f, strides=s, padding="same")
                assert _keras_width(pool_same, image) == -(-n // s), (n, f, s)


def test_same_padding_is_where_keras_pads(solution):
    rng = np.random.default_rng(0)
    for f in range(1, 7):
        for s in (1, 2, 3, 4):
            same = keras.layers.Conv2D(1, f, strides=s, padding="same")
            valid = keras.layers.Conv2D(1, f, strides=s)
            same.build((None, None, None, 1))
            valid.build((None, None, None, 1))
            valid.set_weights(same.get_weights())
            for n in range(1, 15):
                total, start, end = solution["same_padding"](n, f, s)
                assert start + end == total >= 0 and end - start in (0, 1)
                image = rng.normal(size=(1, n, n, 1)).astype("float32")
                padded = np.pad(image, ((0, 0), (start, end), (start, end), (0, 0)))
                out_same, out_valid = np.asarray(same(image)), np.asarray(valid(padded))
                assert out_same.shape[1] == -(-n // s)
                np.testing.assert_allclose(out_same, out_valid, atol=1e-5, err_msg=str((n, f, s)))


def test_param_count_matches_count_params(solution):
    for f in (1, 2, 3, 5, 11):
        for c_in in (1, 3, 10, 64):
            for k in (1, 10, 96):
                for bias in (True, False):
                    layer = keras.layers.Conv2D(k, f, use_bias=bias)
                    layer.build((None, 32, 32, c_in))
                    assert layer.count_params() == solution["conv_param_count"](f, c_in, k, bias), (f, c_in, k, bias)


def _mnist_keras(input_shape, n_classes):
    return keras.Sequential([
        keras.Input(input_shape),
        keras.layers.Conv2D(10, 5, activation="relu"), keras.layers.MaxPool2D(2),
        keras.layers.Conv2D(20, 5, activation="relu"), keras.layers.MaxPool2D(2),
        keras.layers.Flatten(), keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(n_classes, activation="softmax")])


@pytest.mark.parametrize("input_shape,n_classes", [((28, 28, 1), 10), ((32, 32, 3), 10), ((30, 30, 1), 5),
                                                   ((64, 48, 3), 26), ((36, 36, 3), 26)])
def test_mnist_solutions_match_keras(solution, input_shape, n_classes):
    model = _mnist_keras(input_shape, n_classes)
    table = _rows(solution["mnist_table"](input_shape, n_classes))
    assert _rows(ca._keras_rows(model)) == table
    assert model.count_params() == sum(p for _, p in table)
    # the solution's own model: what the check reads from it (Keras' shapes and count_params) is the table
    assert _rows(ca._keras_rows(solution["build_mnist_model"](input_shape, n_classes))) == table


@pytest.mark.parametrize("input_shape,n_classes", [((227, 227, 3), 1000), ((224, 224, 3), 1000),
                                                   ((259, 259, 3), 1000), ((227, 227, 1), 10), ((195, 211, 3), 100)])
def test_alexnet_solution_matches_keras(solution, input_shape, n_classes):
    z = dict(kernel_initializer="zeros")
    model = keras.Sequential([
        keras.Input(input_shape),
        keras.layers.Conv2D(96, 11, strides=4, **z), keras.layers.MaxPool2D(3, strides=2),
        keras.layers.ZeroPadding2D(2), keras.layers.Conv2D(256, 5, **z), keras.layers.MaxPool2D(3, strides=2),
        keras.layers.ZeroPadding2D(1), keras.layers.Conv2D(384, 3, **z),
        keras.layers.ZeroPadding2D(1), keras.layers.Conv2D(384, 3, **z),
        keras.layers.ZeroPadding2D(1), keras.layers.Conv2D(256, 3, **z), keras.layers.MaxPool2D(3, strides=2),
        keras.layers.Flatten(), keras.layers.Dense(4096, **z), keras.layers.Dense(4096, **z),
        keras.layers.Dense(n_classes, **z)])
    got = [(tuple(layer.output.shape[1:]), layer.count_params()) for layer in model.layers
           if layer.__class__.__name__ not in ("ZeroPadding2D", "Flatten")]
    assert got == _rows(solution["alexnet_table"](input_shape, n_classes))


@pytest.mark.parametrize("layers,size", [([(5, 1), (2, 2), (5, 1), (2, 2)], 28), ([(3, 1)] * 3, 12),
                                         ([(3, 1), (3, 2), (2, 2)], 20), ([(7, 2), (3, 2)], 31),
                                         ([(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)], 227)])
def test_receptive_field_matches_gradient(solution, layers, size):
    model = keras.Sequential([keras.Input((size, size, 1))] + [
        keras.layers.Conv2D(1, k, strides=s, kernel_initializer="ones", use_bias=False) for k, s in layers])
    image = tf.zeros((1, size, size, 1))
    with tf.GradientTape() as tape:
        tape.watch(image)
        out = model(image)[0, 0, 0, 0]
    grad = tape.gradient(out, image).numpy()[0, :, :, 0]
    rows, cols = np.nonzero(grad.any(axis=1))[0], np.nonzero(grad.any(axis=0))[0]
    assert rows[-1] - rows[0] + 1 == cols[-1] - cols[0] + 1 == solution["receptive_field"](layers)


def test_vgg16_parameter_count_quoted_in_the_notebook():
    """The notebook says keras.applications.VGG16(weights=None) has 138,357,544 parameters."""
    model = keras.applications.VGG16(weights=None)
    assert model.count_params() == 138_357_544


# --------------------------------------------------------------------------- hidden cases, judged as the grader does

EXERCISES = ["conv_output_size", "same_padding", "quiz_output_volumes", "conv_param_count", "quiz_layer_params",
             "mnist_table", "build_mnist_model", "alexnet_table", "receptive_field"]


def _as_the_grader_reads(data):
    """The data a kernel publishes, after its trip through the notebook's JSON."""
    return record.decode(json.loads(json.dumps(record.encode(data))))


@pytest.mark.parametrize("exercise", EXERCISES)
def test_hidden_cases_pass_the_solution_and_catch_every_mutant(solution, exercise):
    """What the grader does with ``check.X(X, suite="hidden")``: the expected data is the solution's own."""
    collect, judge = getattr(ca, f"collect_{exercise}"), getattr(ca, f"judge_{exercise}")
    expected = {"expected": _as_the_grader_reads(collect(solution[exercise], suite="hidden")), "mistakes": {},
                "suite": "hidden"}
    assert judge(_as_the_grader_reads(collect(solution[exercise], suite="hidden")), expected) > 0
    for mutant in nbtools.mutants("03_conv_arithmetic")[exercise]:
        ns = dict(solution)
        exec(mutant["source"], ns)
        data = _as_the_grader_reads(collect(ns[exercise], suite="hidden"))
        with pytest.raises(CheckError, match="hidden: "):
            judge(data, expected)


ODD = [None, "x", 1.5, -3, True, [], [1, "a"], [[None, None]] * 11, [[[1, 2], "a"]] * 11, {"outcome": 3},
       {"raised": "boom"}, {"returned": 5}, {"input_shape": "x"}, {"not_a_model": 5}, {"rows": "x", "input_shape": [1]},
       {"input_shape": [28, 28, 1], "rows": [[[1, "a"], 2]] * 7, "prob_sum": "x"}]


@pytest.mark.parametrize("exercise", EXERCISES)
def test_judges_fail_on_forged_data(exercise):
    """Data other than what the check collects (a tampered output) fails with a message: never a pass, never a crash."""
    expected = {**core.stored(ca)[exercise], "suite": "visible"}
    judge = getattr(ca, f"judge_{exercise}")
    (key, want), = [(k, v) for k, v in expected["expected"].items() if k != "too_small"]
    for forged in [{}, [], "x", {key: None}, {key: want[:-1]}] + [{key: [odd] * len(want), "too_small": [odd] * 2}
                                                                 for odd in ODD]:
        with pytest.raises(CheckError):
            judge(forged, expected)
