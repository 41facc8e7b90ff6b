"""Notebook 2's usual mistakes, for the hints that name them (instructors only, never shipped).

``python -m cnnlab.grade.expected 02_convolution`` runs each wrong version on the visible
cases and stores what it returns next to the correct results in
``cnnlab/checks/expected/convolution.json``; a student whose output equals one of them
(or, for the mistakes that change the output's size, has its shape) gets that mistake's
hint (``CONV2D_SHAPE_MISTAKES``, ``CONV2D_MISTAKES``, ``MULTI_MISTAKES`` in
``cnnlab/checks/convolution.py``). The correct answers are the solution notebook's own.
"""

import numpy as np
from scipy.signal import correlate2d

# The multi-channel mistakes are stored for the small cases only (the two 32×32×3 cases come
# last, after every mistake has shown itself), which keeps the stored values small.
SMALL = 1000


def correlate(image, kernel, stride=1, padding=0):
    """Single-channel cross-correlation (zero padding, then stride), float64."""
    padded = np.pad(np.asarray(image, dtype=np.float64), padding)
    return correlate2d(padded, np.asarray(kernel, dtype=np.float64), mode="valid")[::stride, ::stride]


def correlate_multi(x, w, b, stride=1, padding=0):
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    return np.stack([sum(correlate(x[..., c], w[:, :, c, k], stride, padding) for c in range(x.shape[2])) + b[k]
                     for k in range(w.shape[3])], axis=-1)


def _round_up(image, kernel, stride=1, padding=0):
    """Output size rounded up: the last windows stick out of the image (read as zeros)."""
    padded = np.pad(np.asarray(image, dtype=np.float64), padding)
    (h, w), (kh, kw) = padded.shape, np.shape(kernel)
    extra = (-(h - kh) % stride, -(w - kw) % stride)
    return correlate(np.pad(padded, ((0, extra[0]), (0, extra[1]))), kernel, stride)


def _cropped(full, like):
    return full[:like.shape[0], :like.shape[1]] if full.shape[0] >= like.shape[0] and \
        full.shape[1] >= like.shape[1] else None


def _small(func):
    def wrapped(x, w, b, stride=1, padding=0):
        return func(x, w, b, stride, padding) if np.size(x) <= SMALL else None
    return wrapped


@_small
def _first_channel(x, w, b, stride=1, padding=0):
    return np.stack([correlate(np.asarray(x)[..., 0], w[:, :, 0, k], stride, padding) + b[k]
                     for k in range(w.shape[3])], axis=-1)


@_small
def _multi_no_stride(x, w, b, stride=1, padding=0):
    right = correlate_multi(x, w, b, stride, padding)
    return correlate_multi(x, w, b, 1, padding)[:right.shape[0], :right.shape[1]]


MISTAKES = {
    "conv2d": {
        "round_up": _round_up,
        "no_padding": lambda image, kernel, stride=1, padding=0: correlate(image, kernel, stride, 0),
        "flipped": lambda image, kernel, stride=1, padding=0: correlate(image, np.asarray(kernel)[::-1, ::-1],
                                                                        stride, padding),
        "no_stride": lambda image, kernel, stride=1, padding=0: _cropped(
            correlate(image, kernel, 1, padding), correlate(image, kernel, stride, padding)),
        "unpadded": lambda image, kernel, stride=1, padding=0: _cropped(
            correlate(image, kernel, 1, 0), correlate(image, kernel, stride, padding)),
    },
}
MISTAKES["conv2d_multi_loops"] = MISTAKES["conv2d_multi"] = {
    "no_bias": _small(lambda x, w, b, stride=1, padding=0: correlate_multi(x, w, np.zeros_like(b), stride, padding)),
    "flipped": _small(lambda x, w, b, stride=1, padding=0: correlate_multi(x, w[::-1, ::-1], b, stride, padding)),
    "first_channel": _first_channel,
    "transposed_window": _small(lambda x, w, b, stride=1, padding=0: correlate_multi(x, w.transpose(1, 0, 2, 3), b,
                                                                                     stride, padding)),
    "no_stride": _multi_no_stride,
}
