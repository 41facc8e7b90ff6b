"""Notebook 2: the kernel checks' measurements are what a real convolution gives, and the solutions
(whose outputs the stored values come from) agree with SciPy.

The checks module reads a kernel's effect on its test images off the kernel's weights (it holds
no convolution); here each measurement is compared with ``scipy.signal.correlate2d`` applied to
the test image itself, for random kernels of every allowed size.
"""

from __future__ import annotations

import ast

import numpy as np
import pytest
from scipy.signal import correlate2d

import nbtools
from cnnlab.checks import convolution as check
from cnnlab.grade import grading

SIZES = list(range(1, check.MAX_KERNEL + 1, 2))


def _same(image, kernel):
    """The kernel applied with zero padding that keeps the size, as the notebook's images are."""
    return correlate2d(image, kernel, mode="same")


def _inside(out, kernel):
    m = kernel.shape[0] // 2
    return out[m:out.shape[0] - m, m:out.shape[1] - m]


@pytest.fixture(params=SIZES)
def kernel(request):
    return np.random.default_rng(request.param).normal(size=(request.param, request.param))


@pytest.mark.parametrize("horizontal", [False, True])
def test_step_response_is_the_convolution_of_a_step(kernel, horizontal):
    image = np.full((14, 14), 50.0)
    image[:, check.EDGE_AT:] = 150.0
    image = image.T if horizontal else image
    out = _inside(_same(image, kernel), kernel)
    measured = check._step_response(kernel, horizontal, 50.0, 150.0)
    along = out[:, 0] if horizontal else out[0]
    np.testing.assert_allclose(measured, along, atol=1e-9)
    np.testing.assert_allclose(out, np.broadcast_to(measured[:, None] if horizontal else measured, out.shape),
                               atol=1e-9)


def test_ramp_response_is_the_convolution_of_the_ramp(kernel):
    rows, cols = np.mgrid[0:14, 0:14]
    ramp = 10.0 + 2.0 * rows + 3.0 * cols
    np.testing.assert_allclose(check._ramp_response(kernel), _inside(_same(ramp, kernel), kernel), atol=1e-9)
    np.testing.assert_allclose(check._ramp(kernel.shape[0]), _inside(ramp, kernel))


def test_hidden_measurements_are_the_convolutions_of_their_images(kernel):
    board = (np.indices((20, 20)).sum(axis=0) % 2) * 2.0 - 1.0
    data = check.collect_kernel_box_blur_5x5(kernel, suite="hidden")
    assert data["checkerboard"] == pytest.approx(np.abs(_inside(_same(board, kernel), kernel)).max(), abs=1e-9)
    dot = np.full((15, 15), 50.0)
    dot[7, 7] = 100.0
    out = _same(dot, kernel)
    data = check.collect_kernel_sharpen(kernel, suite="hidden")
    assert data["dot"] == pytest.approx(out[7, 7], abs=1e-9)
    assert data["dot_min"] == pytest.approx(out[6:9, 6:9].min(), abs=1e-9)
    diagonal = (np.add.outer(np.arange(16), np.arange(16)) >= 16) * 100.0
    assert check._diagonal_response(kernel) == pytest.approx(
        np.abs(_inside(_same(diagonal, kernel), kernel)).max(), abs=1e-9)


def test_noise_ratio_is_what_white_noise_shows():
    noise = np.random.default_rng(21).normal(size=(400, 400))
    for kernel in (np.ones((5, 5)) / 25, np.ones((3, 3)) / 9, np.pad(np.ones((3, 3)), 1) / 9,
                   np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], float)):
        measured = _inside(_same(noise, kernel), kernel).var() / noise.var()
        assert check.collect_kernel_box_blur_5x5(kernel)["noise_ratio"] == pytest.approx(measured, rel=0.05)


@pytest.mark.parametrize("move", [(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, -1), (0, 0)])
def test_moves_names_the_shift_a_kernel_makes(move):
    image = np.random.default_rng(20).normal(size=(16, 20))
    for size in (3, 5):
        kernel = np.zeros((size, size))
        kernel[size // 2 - move[0], size // 2 - move[1]] = 1.0
        m = size // 2 + 1
        assert np.allclose(_same(image, kernel)[m:-m, m:-m], np.roll(image, move, axis=(0, 1))[m:-m, m:-m])
        assert check._moves(kernel) == list(move)
    assert check._moves(np.ones((3, 3)) / 9) is None


@pytest.fixture(scope="module")
def solution():
    return grading.answer_namespace(nbtools.SOLUTIONS / "02_convolution.ipynb", np=np)


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_solutions_match_scipy(solution, suite):
    for _, image, kernel, stride, padding in check.conv2d_cases(suite):
        expected = correlate2d(np.pad(np.asarray(image, float), padding), kernel, mode="valid")[::stride, ::stride]
        np.testing.assert_allclose(solution["conv2d"](image, kernel, stride, padding), expected, atol=1e-9)
    for _, x, w, b, stride, padding in check.multi_cases(suite):
        xp = np.pad(np.asarray(x, float), ((padding, padding), (padding, padding), (0, 0)))
        expected = np.stack([sum(correlate2d(xp[..., c], w[:, :, c, k], mode="valid") for c in range(x.shape[2]))
                             [::stride, ::stride] + b[k] for k in range(w.shape[3])], axis=-1)
        for name in ("conv2d_multi_loops", "conv2d_multi"):
            np.testing.assert_allclose(solution[name](x, w, b, stride, padding), expected, atol=1e-9)
    windows = np.lib.stride_tricks.sliding_window_view(check.TOY_IMAGE, (3, 3))
    np.testing.assert_array_equal(solution["answer_toy_4x4"], (windows * check.LECTURE_KERNEL).sum(axis=(2, 3)))


def test_the_checks_module_computes_no_convolution():
    """No SciPy, no sliding windows, no tensor products: nothing a student could call for an answer."""
    tree = ast.parse(open(check.__file__, encoding="utf-8").read())
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    assert not any(m.startswith(("scipy", "tensorflow", "keras")) for m in imported)
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not used & {"sliding_window_view", "tensordot", "einsum", "convolve", "correlate", "as_strided"}
    assert not [n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and "correlate" in n.name]
