"""Instructor references for notebook 5, "Learning the kernel", and the expected values they make.

This file is not part of the installed package: students never get it. It holds
working answers to the notebook's exercises (the convolution's backward pass,
the numerical gradient and the relative error), the wrong answers students
commonly give (so that a check can name the mistake), and :func:`make_expected`,
which builds every case the checks run and the values they expect.

``python solutions/references/learning_the_kernel.py`` writes
``cnnlab/checks/expected/learning_the_kernel.npz``;
``tests/test_learning_the_kernel.py`` checks that the committed file equals what
this module computes now.

Arrays follow notebook 2: one image ``x`` of shape (H, W, C), filters ``w`` of
shape (F, F, C, K) (filter k is ``w[:, :, :, k]``), biases ``b`` of shape (K,),
outputs (H_out, W_out, K).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

# The lecture's examples (notebook 2's constants) and the functions whose gradients the check asks for.
from cnnlab.checks.convolution import LECTURE_IMAGE, LECTURE_KERNEL, TOY_IMAGE
from cnnlab.checks.learning_the_kernel import EXPECTED, NUMERIC_FUNCTIONS


# --------------------------------------------------------------------------- answers


def conv2d_forward(x, w, b, stride=1, padding=0):
    """The forward convolution (notebook 2's conv2d_multi): (H_out, W_out, K)."""
    F = w.shape[0]
    xp = np.pad(np.asarray(x, np.float64), ((padding, padding), (padding, padding), (0, 0)))
    windows = np.lib.stride_tricks.sliding_window_view(xp, (F, F), axis=(0, 1))[::stride, ::stride]
    return np.tensordot(windows, w, axes=([3, 4, 2], [0, 1, 2])) + b


def conv2d_backward(dout, x, w, stride=1, padding=0, *, mistake=None):
    """(dx, dw, db) of :func:`conv2d_forward`, with loops; ``mistake`` makes a common wrong answer.

    Mistakes: "assign" (``=`` instead of ``+=`` for dx and dw), "no_stride" (windows at (i, j), not
    (i*stride, j*stride)), "flip" (dx spreads the kernel flipped), "db_mean" (db averaged over positions).
    """
    F, _, C, K = w.shape
    xp = np.pad(np.asarray(x, np.float64), ((padding, padding), (padding, padding), (0, 0)))
    dxp = np.zeros_like(xp)
    dw = np.zeros(w.shape)
    h_out, w_out, _ = dout.shape
    w_dx = w[::-1, ::-1] if mistake == "flip" else w
    for i in range(h_out):
        for j in range(w_out):
            r, c = (i, j) if mistake == "no_stride" else (i * stride, j * stride)
            window = xp[r:r + F, c:c + F]                              # (F, F, C)
            for k in range(K):
                if mistake == "assign":
                    dw[..., k] = window * dout[i, j, k]
                    dxp[r:r + F, c:c + F] = w_dx[..., k] * dout[i, j, k]
                else:
                    dw[..., k] += window * dout[i, j, k]
                    dxp[r:r + F, c:c + F] += w_dx[..., k] * dout[i, j, k]
    db = dout.mean(axis=(0, 1)) if mistake == "db_mean" else dout.sum(axis=(0, 1))
    dx = dxp[padding:padding + x.shape[0], padding:padding + x.shape[1]]
    return dx, dw, db


def numerical_gradient(f, x, h=1e-5, *, mistake=None):
    """Centred differences (f(x + h e_i) - f(x - h e_i)) / 2h for every element i of x.

    Mistakes: "forward" ((f(x + h) - f(x)) / h), "no_half" (divided by h, not 2h).
    """
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x)
        x[idx] = old - h
        minus = f(x)
        x[idx] = old
        if mistake == "forward":
            grad[idx] = (plus - f(x)) / h
        elif mistake == "no_half":
            grad[idx] = (plus - minus) / h
        else:
            grad[idx] = (plus - minus) / (2 * h)
    return grad


def relative_error(a, b, *, mistake=None):
    """max |a - b| / max(|a| + |b|, 1e-8) over all elements. Mistakes: "by_a" (divided by |a| only), "mean"."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if mistake == "by_a":
        return float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-8)))
    errors = np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)
    return float(errors.mean() if mistake == "mean" else errors.max())


# --------------------------------------------------------------------------- cases

BACKWARD_MISTAKES = ("assign", "no_stride", "flip", "db_mean")
NUMERIC_MISTAKES = ("forward", "no_half")
RELATIVE_MISTAKES = ("by_a", "mean")


def backward_cases():
    """(description, x, w, dout, stride, padding), from the lecture's toy example to strides with padding."""
    rng = np.random.default_rng(14)
    r = lambda *shape: np.round(rng.normal(size=shape), 2)  # noqa: E731  (two decimals: readable in messages)
    return [
        ("lecture 002's 4×4 toy image and 3×3 kernel, dout = [[1, 2], [3, 4]], stride 1, no padding",
         TOY_IMAGE[..., None], LECTURE_KERNEL[:, :, None, None], np.array([[1.0, 2.0], [3.0, 4.0]])[..., None], 1, 0),
        ("lecture 000's 5×5 image and 3×3 kernel, dout of ones (3×3), stride 1, no padding",
         LECTURE_IMAGE[..., None], LECTURE_KERNEL[:, :, None, None], np.ones((3, 3, 1)), 1, 0),
        ("a 5×5×3 input, two 3×3×3 filters, random dout, stride 1, no padding",
         r(5, 5, 3), r(3, 3, 3, 2), r(3, 3, 2), 1, 0),
        ("lecture 003's 7×7 input (2 channels) with three 3×3 filters at stride 2: windows overlap by one pixel",
         r(7, 7, 2), r(3, 3, 2, 3), r(3, 3, 3), 2, 0),
        ("a 5×6×2 input, two 3×3×2 filters, stride 1, padding 1 (the output keeps the size)",
         r(5, 6, 2), r(3, 3, 2, 2), r(5, 6, 2), 1, 1),
        ("an 8×7×3 input, four 3×3×3 filters, stride 2, padding 1 (not square)",
         r(8, 7, 3), r(3, 3, 3, 4), r(4, 4, 4), 2, 1),
        ("a 7×8×1 input, two 2×2 filters, stride 3 (gaps between windows: some pixels get no gradient)",
         r(7, 8, 1), r(2, 2, 1, 2), r(2, 3, 2), 3, 0),
        ("a 6×5×3 input, four 1×1×3 filters (a 1×1 convolution), stride 1",
         r(6, 5, 3), r(1, 1, 3, 4), r(6, 5, 4), 1, 0),
    ]


def numeric_cases():
    """(description, name of a function in NUMERIC_FUNCTIONS, x, h)."""
    return [
        ("f(x) = sum(x**2) at x = [1, 2, 3], h = 1e-5 (the gradient is 2x = [2, 4, 6])",
         "f_sum_of_squares", np.array([1.0, 2.0, 3.0]), 1e-5),
        ("f(x) = sum(x**3) at a 2×2 x, with a large step h = 0.1 (centred differences give 3x² + h²)",
         "f_cubic", np.array([[1.0, -2.0], [0.5, 3.0]]), 0.1),
        ("f(x) = sum(tanh(x) * x reversed) + x[0,0,0]·x[-1,-1,-1] at a 2×3×2 x, h = 1e-5 (every element counts)",
         "f_mixed", np.round(np.random.default_rng(5).normal(size=(2, 3, 2)), 2), 1e-5),
        ("f(x) = sum(x**3) at a single number x = [[2.0]], h = 1e-3",
         "f_cubic", np.array([[2.0]]), 1e-3),
    ]


def relative_cases():
    """(description, a, b): numbers, arrays, signs, zeros."""
    return [
        ("a = 1.0, b = 1.1 (|a - b| = 0.1, |a| + |b| = 2.1)", np.array(1.0), np.array(1.1)),
        ("a = [1, 2, 3], b = [1, 2, 3.3]: the largest error counts", np.array([1.0, 2.0, 3.0]),
         np.array([1.0, 2.0, 3.6])),
        ("a = -1, b = 1 (opposite signs: |a| + |b| = 2, not |a + b| = 0)", np.array(-1.0), np.array(1.0)),
        ("a and b both zero (2×2): no division by zero, the error is 0", np.zeros((2, 2)), np.zeros((2, 2))),
        ("a 2×3 array against itself plus 1e-6 in one place", np.arange(1.0, 7.0).reshape(2, 3),
         np.arange(1.0, 7.0).reshape(2, 3) + np.array([[0, 0, 0], [0, 1e-6, 0]])),
        ("a = [2, -3], b = [1, -1] (a is larger: the error must not depend on the order)",
         np.array([2.0, -3.0]), np.array([1.0, -1.0])),
    ]


# --------------------------------------------------------------------------- the stored file


def make_expected() -> dict[str, np.ndarray]:
    """Every input and expected value the checks use, as flat npz keys."""
    data: dict[str, np.ndarray] = {}
    for n, (case, x, w, dout, stride, padding) in enumerate(backward_cases()):
        key = f"backward/{n}"
        x, w = x.astype(np.float64), w.astype(np.float64)
        data.update({f"{key}/case": np.array(case), f"{key}/x": x, f"{key}/w": w, f"{key}/dout": dout,
                     f"{key}/stride": np.array(stride), f"{key}/padding": np.array(padding)})
        for grad, value in zip(("dx", "dw", "db"), conv2d_backward(dout, x, w, stride, padding)):
            data[f"{key}/{grad}"] = value
        for mistake in BACKWARD_MISTAKES:
            for grad, value in zip(("dx", "dw", "db"), conv2d_backward(dout, x, w, stride, padding, mistake=mistake)):
                data[f"{key}/mistake/{mistake}/{grad}"] = value
    for n, (case, fname, x, h) in enumerate(numeric_cases()):
        key = f"numeric/{n}"
        data.update({f"{key}/case": np.array(case), f"{key}/f": np.array(fname), f"{key}/x": x,
                     f"{key}/h": np.array(h), f"{key}/grad": numerical_gradient(NUMERIC_FUNCTIONS[fname], x, h)})
        for mistake in NUMERIC_MISTAKES:
            data[f"{key}/mistake/{mistake}"] = numerical_gradient(NUMERIC_FUNCTIONS[fname], x, h, mistake=mistake)
    for n, (case, a, b) in enumerate(relative_cases()):
        key = f"relative/{n}"
        data.update({f"{key}/case": np.array(case), f"{key}/a": a, f"{key}/b": b,
                     f"{key}/error": np.array(relative_error(a, b))})
        for mistake in RELATIVE_MISTAKES:
            data[f"{key}/mistake/{mistake}"] = np.array(relative_error(a, b, mistake=mistake))
    return data


def write_expected(path: Path = EXPECTED) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **make_expected())
    return path


if __name__ == "__main__":
    print(f"wrote {write_expected()}")
