"""Notebook 3's usual mistakes, for the hints that name them (instructors only, never shipped).

``python -m cnnlab.grade.expected 03_conv_arithmetic`` runs each wrong version on the
visible cases and stores what it returns next to the correct results in
``cnnlab/checks/expected/conv_arithmetic.json``; a student whose result equals one of
them gets that mistake's hint (``SIZE_MISTAKES``, ``SAME_MISTAKES``, ``RF_MISTAKES`` in
``cnnlab/checks/conv_arithmetic.py``, by label). The correct answers are the solution
notebook's own; the helpers below compute them only to build each wrong version around
one mistake.
"""

from __future__ import annotations

import numpy as np

from cnnlab.checks.conv_arithmetic import ALEXNET_LAYERS, MNIST_LAYERS, QUIZ_LAYERS


def _out(n, f, s=1, p=0):
    return (n - f + 2 * p) // s + 1


# Each output-size mistake, as (n, f, stride, padding) -> size; labels as in SIZE_MISTAKES.
SIZES = {
    "true_division": lambda n, f, s, p: (n - f + 2 * p) / s + 1,
    "ceil": lambda n, f, s, p: -(-(n - f + 2 * p) // s) + 1,
    "round": lambda n, f, s, p: round((n - f + 2 * p) / s) + 1,
    "no_plus_one": lambda n, f, s, p: (n - f + 2 * p) // s,
    "pad_once": lambda n, f, s, p: (n - f + p) // s + 1,
    "no_padding": lambda n, f, s, p: (n - f) // s + 1,
    "no_stride": lambda n, f, s, p: (n + 2 * p - f) + 1,
    "minus_padding": lambda n, f, s, p: (n - f - 2 * p) // s + 1,
    "plus_filter": lambda n, f, s, p: (n + f + 2 * p) // s + 1,
    "same_size": lambda n, f, s, p: -(-n // s),
}


def _size_mistake(wrong):
    def conv_output_size(n, f, stride=1, padding=0):
        return wrong(n, f, stride, padding)
    return conv_output_size


def _quiz_mistake(wrong):
    def quiz_output_volumes(input_shape=(32, 32, 3)):
        h, w, _ = input_shape
        return [(wrong(h, f, s, p), wrong(w, f, s, p), k) for k, f, s, p in QUIZ_LAYERS]
    return quiz_output_volumes


def _table_mistake(layers, default_shape, default_classes, wrong):
    """A table whose every conv/pool row applies ``wrong`` to that row's correct input (so each row's
    value is what the mistake gives there, whatever the rows before it)."""
    def table(input_shape=default_shape, n_classes=default_classes):
        h, w, c = input_shape
        rows, flat = [], None
        for layer in layers:
            kind = layer[0]
            if kind in ("conv", "pool"):
                k, f, s, p = (layer[1:] if kind == "conv" else (c, *layer[1:], 0))
                rows.append(((wrong(h, f, s, p), wrong(w, f, s, p), k),
                             (f * f * c + 1) * k if kind == "conv" else 0))
                h, w, c = _out(h, f, s, p), _out(w, f, s, p), k
            elif kind == "flatten":
                flat = h * w * c
                rows.append(((flat,), 0))
            else:
                units = layer[1] or n_classes
                n_in = flat if flat is not None else h * w * c
                rows.append(((units,), (n_in + 1) * units))
                flat = units
        return rows
    return table


def _same_floor(n, f, stride):
    total = max((n // stride - 1) * stride + f - n, 0)
    return total, total // 2, total - total // 2


def _rf(layers, own_stride=False, start=1):
    field, jump = start, 1
    for k, s in layers:
        if own_stride:
            jump *= s
        field += (k - 1) * jump
        if not own_stride:
            jump *= s
    return field


MISTAKES = {
    "conv_output_size": {label: _size_mistake(wrong) for label, wrong in SIZES.items()},
    "same_padding": {"floor_outputs": _same_floor},
    "quiz_output_volumes": {label: _quiz_mistake(wrong) for label, wrong in SIZES.items() if label != "same_size"},
    "mnist_table": {label: _table_mistake(MNIST_LAYERS, (28, 28, 1), 10, wrong)
                    for label, wrong in SIZES.items() if label != "same_size"},
    "alexnet_table": {label: _table_mistake(ALEXNET_LAYERS, (227, 227, 3), 1000, wrong)
                      for label, wrong in SIZES.items() if label != "same_size"},
    "receptive_field": {
        "no_jump": lambda layers: 1 + sum(k - 1 for k, _ in layers),
        "sum_kernels": lambda layers: sum(k for k, _ in layers),
        "product": lambda layers: int(np.prod([k for k, _ in layers])),
        "own_stride": lambda layers: _rf(layers, own_stride=True),
        "no_start": lambda layers: _rf(layers, start=0),
    },
}
