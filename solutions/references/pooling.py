"""Notebook 4's usual mistakes, for the hints that name them (instructors only, never shipped).

``python -m cnnlab.grade.expected 04_pooling`` runs each wrong version on the visible
cases and stores what it returns next to the correct results in
``cnnlab/checks/expected/pooling.json``; a student whose output equals one of them
gets that mistake's hint (``FORWARD_MISTAKES`` / ``BACKWARD_MISTAKES`` in
``cnnlab/checks/pooling.py``). The correct answers are the solution notebook's own.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def _windows(x, size, stride):
    return sliding_window_view(np.asarray(x), (size, size), axis=(0, 1))[::stride, ::stride]


def _pool(x, size, stride, mode):
    w = _windows(x, size, stride)
    return w.max(axis=(-2, -1)) if mode == "max" else w.astype(np.float64).mean(axis=(-2, -1))


def _forward_mistakes(mode):
    other = "avg" if mode == "max" else "max"

    def channels_mixed(x, size=2, stride=2, **_):
        w = _windows(np.asarray(x, np.float64), size, stride)
        pooled = w.max(axis=(-3, -2, -1)) if mode == "max" else w.mean(axis=(-3, -2, -1))
        return np.repeat(pooled[..., None], np.shape(x)[2], axis=2)

    def channels_summed(x, size=2, stride=2, **_):
        return channels_mixed(x, size, stride) * np.shape(x)[2]

    def other_mode(x, size=2, stride=2, **_):
        return _pool(x, size, stride, other)

    def swapped(x, size=2, stride=2, **_):
        return _pool(x, stride, size, mode)

    def stride_is_size(x, size=2, stride=2, **_):
        return _pool(x, size, size, mode)

    found = {"channels_mixed": channels_mixed, "channels_summed": channels_summed, "other_mode": other_mode,
             "swapped": swapped, "stride_is_size": stride_is_size}
    if mode == "max":
        found["zero_start"] = lambda x, size=2, stride=2, **_: np.maximum(_pool(x, size, stride, "max"), 0)
    else:
        n = lambda size: size * size  # noqa: E731
        found["sum"] = lambda x, size=2, stride=2, **_: _pool(x, size, stride, "avg") * n(size)
        found["by_size"] = lambda x, size=2, stride=2, **_: _pool(x, size, stride, "avg") * size
        found["by_4"] = lambda x, size=2, stride=2, **_: _pool(x, size, stride, "avg") * n(size) / 4
        found["floor_division"] = lambda x, size=2, stride=2, **_: np.floor(_pool(x, size, stride, "avg"))
    return found


def _pool2d_mistakes():
    """Each forward mistake in both modes of pool2d (the mode argument picks the mistake's mode)."""
    by_mode = {mode: _forward_mistakes(mode) for mode in ("max", "avg")}
    labels = set(by_mode["max"]) & set(by_mode["avg"])
    return {label: (lambda label: lambda x, size=2, stride=2, mode="max": by_mode[mode][label](x, size, stride))(label)
            for label in labels}


def _backward(dout, x, size=2, stride=2, *, accumulate=True, ties="first", per_channel=True, ones=False):
    x = np.asarray(x)
    dout = np.ones_like(dout) if ones else dout
    dx = np.zeros(x.shape, np.float64)
    h_out, w_out, channels = np.shape(dout)
    cols = np.arange(channels)
    for i in range(h_out):
        for j in range(w_out):
            r, c = i * stride, j * stride
            window = x[r:r + size, c:c + size]
            if not per_channel:
                rr, cc, ch = np.unravel_index(window.argmax(), window.shape)
                dx[r + rr, c + cc, ch] += dout[i, j, ch]
                continue
            if ties == "all":
                dx[r:r + size, c:c + size] += (window == window.max(axis=(0, 1))) * dout[i, j]
                continue
            k = window.reshape(size * size, channels).argmax(axis=0)
            dr, dc = np.divmod(k, size)
            if accumulate:
                dx[r + dr, c + dc, cols] += dout[i, j]
            else:
                dx[r + dr, c + dc, cols] = dout[i, j]
    return dx


def _spread(dout, x, size=2, stride=2):
    dx = np.zeros(np.shape(x))
    h_out, w_out, _ = np.shape(dout)
    for i in range(h_out):
        for j in range(w_out):
            dx[i * stride:i * stride + size, j * stride:j * stride + size] += dout[i, j] / (size * size)
    return dx


MISTAKES = {
    "max_pool2d": _forward_mistakes("max"),
    "avg_pool2d": _forward_mistakes("avg"),
    "pool2d": _pool2d_mistakes(),
    "max_pool2d_backward": {
        "assign": lambda dout, x, size=2, stride=2: _backward(dout, x, size, stride, accumulate=False),
        "ties_all": lambda dout, x, size=2, stride=2: _backward(dout, x, size, stride, ties="all"),
        "spread": _spread,
        "ones": lambda dout, x, size=2, stride=2: _backward(dout, x, size, stride, ones=True),
        "channels_mixed": lambda dout, x, size=2, stride=2: _backward(dout, x, size, stride, per_channel=False),
    },
}
