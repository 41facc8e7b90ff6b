"""Notebook 5's usual mistakes, for the hints that name them (instructors only, never shipped).

``python -m cnnlab.grade.expected 05_learning_the_kernel`` runs each wrong version on the
visible cases and stores what it returns next to the correct results (the solution
notebook's own answers) in ``cnnlab/checks/expected/learning_the_kernel.json``; a student
whose output equals one of them gets that mistake's hint (``_MISTAKE_HINTS`` and the
hints of ``judge_numerical_gradient`` / ``judge_relative_error`` in
``cnnlab/checks/learning_the_kernel.py``).

Arrays follow notebook 2: one image ``x`` of shape (H, W, C), filters ``w`` of
shape (F, F, C, K) (filter k is ``w[:, :, :, k]``), outputs (H_out, W_out, K).
``backward`` with ``mistake=None`` is a correct loop version; tests/test_learning_the_kernel.py
checks it against TensorFlow, so that each wrong version differs from it only by its mistake.
"""

from __future__ import annotations

import numpy as np


def backward(dout, x, w, stride=1, padding=0, *, mistake=None):
    """(dx, dw, db) of the convolution, with loops; ``mistake`` makes a common wrong answer.

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


def _numerical_gradient(f, x, h=1e-5, *, mistake):
    """Wrong finite differences: "forward" ((f(x + h) - f(x)) / h), "no_half" (divided by h, not 2h)."""
    x = np.array(x, dtype=np.float64)
    grad = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        old = x[idx]
        x[idx] = old + h
        plus = f(x)
        x[idx] = old - h
        minus = f(x)
        x[idx] = old
        grad[idx] = (plus - f(x)) / h if mistake == "forward" else (plus - minus) / h
    return grad


def _relative_error(a, b, *, mistake):
    """Wrong relative errors: "by_a" (divided by |a| only), "mean" (the mean, not the largest)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if mistake == "by_a":
        return float(np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-8)))
    return float((np.abs(a - b) / np.maximum(np.abs(a) + np.abs(b), 1e-8)).mean())


def _backward_mistakes():
    return {m: (lambda m: lambda dout, x, w, stride=1, padding=0: backward(dout, x, w, stride, padding, mistake=m))(m)
            for m in ("assign", "no_stride", "flip", "db_mean")}


MISTAKES = {
    "conv2d_backward_loops": _backward_mistakes(),
    "conv2d_backward": _backward_mistakes(),
    "numerical_gradient": {m: (lambda m: lambda f, x, h=1e-5: _numerical_gradient(f, x, h, mistake=m))(m)
                           for m in ("forward", "no_half")},
    "relative_error": {m: (lambda m: lambda a, b: _relative_error(a, b, mistake=m))(m) for m in ("by_a", "mean")},
}
