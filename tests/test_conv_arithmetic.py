"""Notebook 3's reference formulas (cnnlab.checks.conv_arithmetic) against real Keras layers.

The checks grade students with these references, so each one is compared here
with what Keras/TensorFlow actually do, over a grid of sizes, and with the
lectures' own numbers.
"""

from __future__ import annotations

import numpy as np
import pytest

from cnnlab import runtime
from cnnlab.checks import conv_arithmetic as ca

runtime.quiet_tensorflow()
keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")


def _keras_width(layer, image):
    try:
        return int(layer(image).shape[2])
    except (ValueError, tf.errors.InvalidArgumentError):
        return None


def _reference_width(n, f, s, p):
    try:
        return ca._out(n, f, s, p)
    except ValueError:
        return None


# --------------------------------------------------------------------------- the lectures' numbers

def test_lecture_numbers():
    # lecture 001: 7×7 input, 3×3 filter at strides 1-4; pad 1 keeps 7
    assert [ca._out(7, 3, s) for s in (1, 2, 3, 4)] == [5, 3, 2, 2]
    assert ca._out(7, 3, 1, 1) == 7
    # lecture 000's quiz and lecture 001's 760
    assert [r["shape"] for r in ca._quiz_rows((32, 32, 3))] == [(28, 28, 10), (32, 32, 10), (16, 16, 10)]
    assert ca._params(5, 3, 10) == 760
    # lecture 002's MNIST network, with the output layer's (100 + 1) × 10
    assert ca.mnist_reference() == [((24, 24, 10), (5 * 5 + 1) * 10), ((12, 12, 10), 0),
                                    ((8, 8, 20), (5 * 5 * 10 + 1) * 20), ((4, 4, 20), 0), ((320,), 0),
                                    ((100,), (320 + 1) * 100), ((10,), (100 + 1) * 10)]
    # lecture 001's AlexNet table; CONV1 has (11·11·3)·96 ≈ 35K weights
    shapes = [shape for shape, _ in ca.alexnet_reference()]
    assert shapes == [(55, 55, 96), (27, 27, 96), (27, 27, 256), (13, 13, 256), (13, 13, 384), (13, 13, 384),
                      (13, 13, 256), (6, 6, 256), (4096,), (4096,), (1000,)]
    assert ca.alexnet_reference()[0][1] == 11 * 11 * 3 * 96 + 96 == 34944
    # receptive fields quoted in the notebook
    assert ca._rf([(5, 1), (2, 2), (5, 1), (2, 2)]) == 16
    assert ca._rf([(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)]) == 195


# --------------------------------------------------------------------------- formulas vs Keras

def test_output_size_matches_conv2d_and_maxpool2d():
    # Only inputs at least as large as the window are compared: what Keras returns for a smaller
    # one is not defined (it differs between CPUs and between a fresh and an already-built layer).
    # There the reference formula must refuse instead. Each size gets fresh layers, so no layer is
    # reused across input shapes.
    for f in (1, 2, 3, 4, 5, 7):
        for s in (1, 2, 3, 4):
            for n in range(1, 17):
                for p in (0, 1, 3):
                    if n + 2 * p < f:
                        assert _reference_width(n, f, s, p) is None, (n, f, s, p)
                        continue
                    image = np.zeros((1, n + 2 * p, n + 2 * p, 1), "float32")
                    conv = keras.layers.Conv2D(1, f, strides=s)
                    assert _keras_width(conv, image) == _reference_width(n, f, s, p), (n, f, s, p)
                image = np.zeros((1, n, n, 1), "float32")
                if n >= f:
                    pool = keras.layers.MaxPool2D(f, strides=s)
                    assert _keras_width(pool, image) == ca._out(n, f, s), (n, f, s)
                pool_same = keras.layers.MaxPool2D(f, strides=s, padding="same")
                assert _keras_width(pool_same, image) == -(-n // s), (n, f, s)


def test_same_padding_is_where_keras_pads():
    rng = np.random.default_rng(0)
    for f in range(1, 7):
        for s in (1, 2, 3, 4):
            same = keras.layers.Conv2D(1, f, strides=s, padding="same")
            valid = keras.layers.Conv2D(1, f, strides=s)
            same.build((None, None, None, 1))
            valid.build((None, None, None, 1))
            valid.set_weights(same.get_weights())
            for n in range(1, 15):
                total, start, end = ca._same(n, f, s)
                assert start + end == total >= 0 and end - start in (0, 1)
                image = rng.normal(size=(1, n, n, 1)).astype("float32")
                padded = np.pad(image, ((0, 0), (start, end), (start, end), (0, 0)))
                out_same, out_valid = np.asarray(same(image)), np.asarray(valid(padded))
                assert out_same.shape[1] == -(-n // s)
                np.testing.assert_allclose(out_same, out_valid, atol=1e-5, err_msg=str((n, f, s)))


def test_param_count_matches_count_params():
    for f in (1, 2, 3, 5, 11):
        for c_in in (1, 3, 10, 64):
            for k in (1, 10, 96):
                for bias in (True, False):
                    layer = keras.layers.Conv2D(k, f, use_bias=bias)
                    layer.build((None, 32, 32, c_in))
                    assert layer.count_params() == ca._params(f, c_in, k, bias), (f, c_in, k, bias)


def _mnist_keras(input_shape, n_classes):
    return keras.Sequential([
        keras.Input(input_shape),
        keras.layers.Conv2D(10, 5, activation="relu"), keras.layers.MaxPool2D(2),
        keras.layers.Conv2D(20, 5, activation="relu"), keras.layers.MaxPool2D(2),
        keras.layers.Flatten(), keras.layers.Dense(100, activation="relu"),
        keras.layers.Dense(n_classes, activation="softmax")])


@pytest.mark.parametrize("input_shape,n_classes", [((28, 28, 1), 10), ((32, 32, 3), 10), ((30, 30, 1), 5),
                                                   ((64, 48, 3), 26), ((36, 36, 3), 26)])
def test_mnist_reference_matches_keras(input_shape, n_classes):
    model = _mnist_keras(input_shape, n_classes)
    assert ca._keras_rows(model) == ca.mnist_reference(input_shape, n_classes)
    assert model.count_params() == sum(p for _, p in ca.mnist_reference(input_shape, n_classes))


@pytest.mark.parametrize("input_shape,n_classes", [((227, 227, 3), 1000), ((224, 224, 3), 1000),
                                                   ((259, 259, 3), 1000), ((227, 227, 1), 10), ((195, 211, 3), 100)])
def test_alexnet_reference_matches_keras(input_shape, n_classes):
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
    assert got == ca.alexnet_reference(input_shape, n_classes)


@pytest.mark.parametrize("layers,size", [([(5, 1), (2, 2), (5, 1), (2, 2)], 28), ([(3, 1)] * 3, 12),
                                         ([(3, 1), (3, 2), (2, 2)], 20), ([(7, 2), (3, 2)], 31),
                                         ([(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)], 227)])
def test_receptive_field_matches_gradient(layers, size):
    model = keras.Sequential([keras.Input((size, size, 1))] + [
        keras.layers.Conv2D(1, k, strides=s, kernel_initializer="ones", use_bias=False) for k, s in layers])
    image = tf.zeros((1, size, size, 1))
    with tf.GradientTape() as tape:
        tape.watch(image)
        out = model(image)[0, 0, 0, 0]
    grad = tape.gradient(out, image).numpy()[0, :, :, 0]
    rows, cols = np.nonzero(grad.any(axis=1))[0], np.nonzero(grad.any(axis=0))[0]
    assert rows[-1] - rows[0] + 1 == cols[-1] - cols[0] + 1 == ca._rf(layers)


def test_vgg16_parameter_count_quoted_in_the_notebook():
    """The notebook says keras.applications.VGG16(weights=None) has 138,357,544 parameters."""
    model = keras.applications.VGG16(weights=None)
    assert model.count_params() == 138_357_544
