"""Notebook 4's solutions (whose outputs the checks' stored values come from) against Keras and TensorFlow.

The solution cells of solutions/04_pooling.ipynb must compute what
``keras.layers.MaxPool2D`` / ``AveragePooling2D`` (padding "valid") compute, and
``max_pool2d_backward`` what TensorFlow's automatic differentiation gives, on
random inputs across sizes, strides and shapes.
"""

from __future__ import annotations

import numpy as np
import pytest

import nbtools
from cnnlab import runtime
from cnnlab.checks import pooling as check

# (input shape, size, stride): square and not, divisible and not, overlapping, gaps, size 1.
CASES = [((4, 4, 1), 2, 2), ((5, 5, 3), 2, 2), ((9, 8, 3), 3, 2), ((11, 9, 4), 2, 1),
         ((7, 7, 2), 3, 3), ((10, 13, 5), 4, 3), ((9, 8, 2), 2, 3), ((6, 6, 2), 1, 1), ((3, 3, 1), 3, 1)]


@pytest.fixture(scope="module")
def keras():
    runtime.quiet_tensorflow()
    import keras
    return keras


@pytest.fixture(scope="module")
def solution():
    ns = {"np": np}
    for source in nbtools.solution_cells(nbtools.read(nbtools.SOLUTIONS / "04_pooling.ipynb")).values():
        exec(source, ns)
    return ns


def _keras_pool(keras, layer, x, size, stride):
    out = layer(pool_size=size, strides=stride)(x[None].astype(np.float32))
    return keras.ops.convert_to_numpy(out)[0]


@pytest.mark.parametrize("shape,size,stride", CASES)
def test_forward_matches_keras(keras, solution, shape, size, stride):
    x = np.random.default_rng(sum(shape) + 10 * size + stride).normal(size=shape).astype(np.float32)
    expected = {"max": _keras_pool(keras, keras.layers.MaxPool2D, x, size, stride),
                "avg": _keras_pool(keras, keras.layers.AveragePooling2D, x, size, stride)}
    got = {"max": [solution["max_pool2d"](x, size, stride), solution["pool2d"](x, size, stride, "max")],
           "avg": [solution["avg_pool2d"](x, size, stride), solution["pool2d"](x, size, stride, "avg")]}
    for mode in ("max", "avg"):
        for result in got[mode]:
            assert result.shape == expected[mode].shape
            np.testing.assert_allclose(result, expected[mode], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape,size,stride", CASES)
def test_backward_matches_tensorflow(keras, solution, shape, size, stride):
    import tensorflow as tf

    rng = np.random.default_rng(sum(shape) * size + stride)
    x = rng.normal(size=shape).astype(np.float32)
    layer = keras.layers.MaxPool2D(pool_size=size, strides=stride)
    dout = rng.normal(size=solution["max_pool2d"](x, size, stride).shape).astype(np.float32)
    x_tf = tf.constant(x[None])
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        loss = tf.reduce_sum(layer(x_tf) * dout[None])
    expected = tape.gradient(loss, x_tf).numpy()[0]
    np.testing.assert_allclose(solution["max_pool2d_backward"](dout, x, size, stride), expected, rtol=1e-5, atol=1e-6)


def test_ties_go_to_the_first_maximum_as_in_tensorflow(keras, solution):
    import tensorflow as tf

    x = np.array([[5, 5, 1, 2], [5, 5, 2, 2], [0, 0, 3, 3], [0, 0, 3, 3]], np.float32)[..., None]
    x_tf = tf.constant(x[None])
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        loss = tf.reduce_sum(keras.layers.MaxPool2D(2)(x_tf))
    expected = tape.gradient(loss, x_tf).numpy()[0]
    np.testing.assert_array_equal(solution["max_pool2d_backward"](np.ones((2, 2, 1)), x), expected)


def test_lecture_examples(solution):
    assert solution["max_pool2d"](check.LECTURE_1_TO_16)[:, :, 0].tolist() == [[6, 8], [14, 16]]
    assert solution["max_pool2d"](check.LECTURE_DEPTH_SLICE)[:, :, 0].tolist() == [[6, 8], [3, 4]]
    assert solution["pool2d"](np.zeros((32, 32, 3))).shape == (16, 16, 3)
    assert solution["pool2d"](np.zeros((55, 55, 96)), 3, 2).shape == (27, 27, 96)
