"""Checks for notebook 4: max and average pooling, vectorized, and max pooling's backward pass.

Every array here is channels last, ``(H, W, C)``, as in Keras. Nothing here computes an
answer. Each exercise has three parts (see :func:`cnnlab.checks.core.run_check`):

* ``collect_<exercise>(func, suite)`` runs the student's function on the cases of
  :func:`forward_cases` / :func:`backward_cases` (the lecture's maps first, then cases
  that catch the usual mistakes; ``suite="hidden"``: the grader's own cases) and returns
  what came back, as data;
* ``judge_<exercise>(data, expected)`` compares that data with what the course's
  solutions give (stored in ``expected/pooling.json`` for the visible cases; computed by
  the grader for the hidden ones) and raises :class:`~cnnlab.checks.CheckError` on the
  first wrong case, with the hint of the mistake whose stored result it matches;
* ``<exercise>(func)`` does both, for the self-check.

The grader (:mod:`cnnlab.grade.judge`) runs the judge in its own process, and enforces
``RULES`` from the submitted source.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from .core import (CheckError, NotDoneError, attempt, count_loops, expect_array, expect_returned_array, fail,
                   matching_mistake, random_images, run_check, per_case)

# Lecture 002, "Pooling": the 4×4 feature map holding 1 … 16, row by row.
LECTURE_1_TO_16 = np.arange(1, 17).reshape(4, 4, 1)
# Lecture 001, "Max Pooling" (the single depth slice of CS231n's slide): 2×2 windows at stride 2
# give [[6, 8], [3, 4]].
LECTURE_DEPTH_SLICE = np.array([[1, 1, 2, 4],
                                [5, 6, 7, 8],
                                [3, 2, 1, 0],
                                [1, 2, 3, 4]]).reshape(4, 4, 1)



JUDGED = True  # the grader judges what these checks collect (cnnlab.grade.judge)
RULES = {"pool2d": ("no_loops", "numpy_only")}  # enforced by the grader from the submitted source

# Hints for the stored results of the usual mistakes (solutions/references/pooling.py makes them).
FORWARD_MISTAKES = {
    "channels_mixed": "you pooled across the channels too: each channel is pooled on its own, so reduce over "
                      "the window's rows and columns only.",
    "channels_summed": "you pooled across the channels too: each channel is pooled on its own, so reduce over "
                       "the window's rows and columns only.",
    "other_mode": "that is the other kind of pooling: max pooling takes the largest value of each window, "
                  "average pooling its mean.",
    "zero_start": "every value of a window can be negative: start from the window's own values (`window.max(...)`) "
                  "or from -inf, not from 0.",
    "swapped": "size and stride are swapped: `size` is the side of the window, `stride` is how far it moves.",
    "stride_is_size": "the window must move by `stride`, not by `size`.",
    "sum": "you summed the window: divide by the number of values it holds, size*size.",
    "by_size": "you divided by size: a size×size window has size*size values.",
    "by_4": "you divided by 4, which is right only for 2×2 windows: divide by size*size.",
    "floor_division": "the averages were rounded down: use `/`, not `//`, and a float output array.",
}
RESHAPE_HINT = ("reshaping into (H', size, W', size, C) blocks works only when stride == size; for "
                "overlapping windows (stride < size) or gaps (stride > size) take the windows with "
                "`sliding_window_view(x, (size, size), axis=(0, 1))[::stride, ::stride]`.")


# --------------------------------------------------------------------------- cases


def forward_cases(mode: str, suite: str = "visible") -> list[tuple[str, np.ndarray, dict]]:
    """(case, x, keyword arguments), the lecture's maps first; ``suite="hidden"``: the grader's own cases."""
    if suite == "hidden":
        grid, five = np.arange(36).reshape(6, 6, 1), np.arange(25).reshape(5, 5, 1)
        if mode == "max":
            return [
                ("hidden: 0…35 as 6×6, size=3, stride=3", grid, {"size": 3, "stride": 3}),
                ("hidden: -1…-16, all negative", -np.arange(1, 17).reshape(4, 4, 1), {}),
                ("hidden: two channels running in opposite directions",
                 np.stack([np.arange(16).reshape(4, 4), 15 - np.arange(16).reshape(4, 4)], axis=2), {}),
                ("hidden: 0…48 as 7×7, size=2, stride=3", np.arange(49).reshape(7, 7, 1), {"size": 2, "stride": 3}),
                ("hidden: 0…24 as 5×5, size=3, stride=1", five, {"size": 3, "stride": 1}),
            ]
        return [
            ("hidden: 0…35 as 6×6, size=3, stride=3", grid, {"size": 3, "stride": 3}),
            ("hidden: a uint8 map of 200s (the sum 800 does not fit in uint8)", np.full((4, 4, 2), 200, np.uint8), {}),
            ("hidden: 0…24 as 5×5, size=3, stride=2", five, {"size": 3, "stride": 2}),
            ("hidden: 0…24 as 5×5, size=3, stride=1", five, {"size": 3, "stride": 1}),
        ]
    rng = np.random.default_rng(4)
    two = rng.normal(size=(6, 6, 1))
    two_channels = np.concatenate([two, -np.abs(two[::-1]) - 0.1], axis=2)  # different content; channel 1 < 0
    lecture_16 = [[6, 8], [14, 16]] if mode == "max" else [[3.5, 5.5], [11.5, 13.5]]
    slice_ = [[6, 8], [3, 4]] if mode == "max" else [[3.25, 5.25], [2.0, 2.0]]
    return [
        (f"the lecture's 4×4 map of 1…16, default size=2, stride=2 (→ {lecture_16})", LECTURE_1_TO_16, {}),
        (f"the lecture's depth slice [[1,1,2,4],[5,6,7,8],[3,2,1,0],[1,2,3,4]], size=2, stride=2 (→ {slice_})",
         LECTURE_DEPTH_SLICE, {"size": 2, "stride": 2}),
        ("the lecture's 2×2 pooling with stride=1 on 1…16 (overlapping windows, 3×3 output)",
         LECTURE_1_TO_16, {"size": 2, "stride": 1}),
        ("a 6×6×2 map whose two channels differ (the second is negative everywhere)",
         two_channels, {"size": 2, "stride": 2}),
        ("a 32×32×3 uint8 image (→ 16×16×3: the depth stays)", random_images(rng, (32, 32, 3)), {"size": 2, "stride": 2}),
        ("a 7×7×2 map, size=3, stride=2 (overlapping, like AlexNet's POOL1)",
         rng.normal(size=(7, 7, 2)), {"size": 3, "stride": 2}),
        ("a 5×5×1 map, size=2, stride=2 (5 is odd: the last row and column are dropped → 2×2)",
         np.arange(25.0).reshape(5, 5, 1), {"size": 2, "stride": 2}),
        ("a 6×9×4 float32 map, size=3, stride=3 (not square)",
         rng.normal(size=(6, 9, 4)).astype(np.float32), {"size": 3, "stride": 3}),
        ("a 9×8×3 map, size=2, stride=3 (gaps between windows)", rng.normal(size=(9, 8, 3)), {"size": 2, "stride": 3}),
    ]


# --------------------------------------------------------------------------- hints


def _shape_hint(shape: tuple, expected: tuple, x: np.ndarray, size: int, stride: int) -> str:
    """Name the mistake that gives an output of ``shape`` where ``expected`` was due."""
    h, w, c = x.shape
    ho, wo, _ = expected
    rule = (f"Count the windows that fit: {ho} down and {wo} across for a {h}×{w} input, size={size}, "
            f"stride={stride}, and keep the input's {c} channel(s).")
    if shape == (c, ho, wo) and c != ho:
        return "arrays are channels last: return (H', W', C), not (C, H', W'); pool over axes 0 and 1 of x."
    if shape == (ho, wo):
        return "keep the channel axis: return (H', W', C), even when C is 1. " + rule
    if c > 1 and shape == (ho, wo, 1):
        return (f"pooling keeps the depth: pool each of the {c} channels on its own, so the output has "
                f"{c} channels too (32×32×3 → 16×16×3).")
    if stride > 1 and shape == (h - size + 1, w - size + 1, c):
        return f"move the window by `stride` = {stride} pixels, not by 1. " + rule
    if len(shape) == 3 and shape[2] == c and shape[0] > ho and shape[1] > wo:
        return ("a window that does not fit entirely inside the input is dropped (floor, like Keras' "
                "padding='valid'), and the window moves by `stride`. " + rule)
    if len(shape) >= 3 and shape[:2] == (ho, wo) and shape != expected:
        return ("reduce over the window's rows and columns only: windows from `sliding_window_view` have shape "
                "(H', W', C, size, size), so take `.max(axis=(-2, -1))` / `.mean(axis=(-2, -1))`.")
    if shape == (h, w, c):
        return "pooling makes the map smaller. " + rule
    return rule


def _dtype_hint(got: np.ndarray, x: np.ndarray, mode: str) -> str | None:
    if mode == "max" and got.dtype != x.dtype:
        return (f"max pooling picks values of x, so the output keeps x's dtype ({x.dtype}), as Keras does; "
                f"got {got.dtype}. Create the output with `np.zeros(shape, dtype=x.dtype)` "
                "(plain `np.zeros` makes float64).")
    if mode == "avg" and not np.issubdtype(got.dtype, np.floating):
        return (f"an average of integers is not an integer: the output must be a float array, got {got.dtype}. "
                "`np.zeros_like(x)` copies x's integer dtype and turns 3.25 into 3; use "
                "`np.zeros((H_out, W_out, C))`, which is float64.")
    return None


def expect_pooled(name: str, got, expected: np.ndarray, x: np.ndarray, kwargs: dict, mode: str, *,
                  case: str, mistakes: dict) -> None:
    """``got`` must equal ``expected`` (the ``mode`` pooling of ``x``): shape, dtype, values, each with its hint."""
    size, stride = kwargs.get("size", 2), kwargs.get("stride", 2)
    got = expect_returned_array(name, got, case=case,
                                hint="return a NumPy array (build the output with `np.zeros`, fill it, return it).")
    if got.shape != expected.shape:
        fail(name, case, f"expected shape {expected.shape}\ngot shape      {got.shape}",
             matching_mistake(got, mistakes, FORWARD_MISTAKES) or _shape_hint(got.shape, expected.shape, x, size, stride))
    hint = _dtype_hint(got, x, mode)
    if hint:
        fail(name, case, f"expected dtype {x.dtype if mode == 'max' else 'float'}\ngot dtype      {got.dtype}", hint)
    rtol = 1e-5 if got.dtype == np.float32 or x.dtype == np.float32 else 1e-7
    default = ("each output value is the largest value of its size×size window, channel by channel."
               if mode == "max" else "each output value is the mean of the size×size values of its window, "
                                     "channel by channel.")
    expect_array(name, got, expected, case=case, rtol=rtol, atol=1e-6,
                 hint=matching_mistake(got, mistakes, FORWARD_MISTAKES) or default)


# --------------------------------------------------------------------------- collect and judge


def _collect_forward(name: str, func: Callable, mode: str, suite: str, extra: dict | None = None) -> list:
    return [attempt(name, func, x, case=case, **kwargs, **(extra or {})) for case, x, kwargs in forward_cases(mode, suite)]


def _judge_forward(name: str, got: list, expected: dict, mode: str, key: str = "outputs", extra_hint: str = "") -> int:
    cases = forward_cases(mode, expected["suite"])
    want = expected["expected"][key]
    per_case(name, got, len(cases))
    for i, (case, x, kwargs) in enumerate(cases):
        wrong = {label: m[key][i] for label, m in expected["mistakes"].items() if key in m}
        try:
            expect_pooled(name, got[i], want[i], x, kwargs, mode, case=case, mistakes=wrong)
        except CheckError as err:
            if extra_hint and kwargs.get("size", 2) != kwargs.get("stride", 2):
                raise CheckError(f"{err}\nAlso: {extra_hint}") from None
            raise
    return len(cases)


def collect_max_pool2d(func: Callable, suite: str = "visible") -> dict:
    """``func``'s outputs on the cases: {"outputs": [array or description, ...]}."""
    return {"outputs": _collect_forward("max_pool2d", func, "max", suite)}


def judge_max_pool2d(data: dict, expected: dict) -> int:
    return _judge_forward("max_pool2d", data.get("outputs"), expected, "max")


def max_pool2d(func: Callable, suite: str = "visible") -> None:
    """Check ``max_pool2d(x, size=2, stride=2) -> (H', W', C)``, x's dtype."""
    run_check("max_pool2d", __name__, suite, lambda: collect_max_pool2d(func, suite), judge_max_pool2d)


def collect_avg_pool2d(func: Callable, suite: str = "visible") -> dict:
    """``func``'s outputs on the cases: {"outputs": [array or description, ...]}."""
    return {"outputs": _collect_forward("avg_pool2d", func, "avg", suite)}


def judge_avg_pool2d(data: dict, expected: dict) -> int:
    return _judge_forward("avg_pool2d", data.get("outputs"), expected, "avg")


def avg_pool2d(func: Callable, suite: str = "visible") -> None:
    """Check ``avg_pool2d(x, size=2, stride=2) -> (H', W', C)`` float."""
    run_check("avg_pool2d", __name__, suite, lambda: collect_avg_pool2d(func, suite), judge_avg_pool2d)


def collect_pool2d(func: Callable, suite: str = "visible") -> dict:
    """Both modes' outputs, the number of loops (for the self-check's hint) and what mode='min' does."""
    data = {"max": _collect_forward("pool2d", func, "max", suite),
            "avg": _collect_forward("pool2d", func, "avg", suite, {"mode": "avg"}),
            "loops": count_loops(func)}
    try:
        func(LECTURE_1_TO_16.astype(np.float64), mode="min")
    except ValueError:
        data["bad_mode"] = "ValueError"
    except NotImplementedError:
        raise NotDoneError("pool2d is not written yet: replace `raise NotImplementedError()` in its cell "
                           "with your code, run that cell, then run this check again.") from None
    except Exception as err:
        data["bad_mode"] = f"{type(err).__name__}: {err}"
    else:
        data["bad_mode"] = "no error"
    return data


def judge_pool2d(data: dict, expected: dict) -> int:
    name = "pool2d"
    n = _judge_forward(name, data.get("max"), expected, "max", "max", RESHAPE_HINT)
    n += _judge_forward(name, data.get("avg"), expected, "avg", "avg", RESHAPE_HINT)
    if data.get("loops"):
        fail(name, "loop count", f"expected no Python loop; your function has {data['loops']} "
             "(for/while loops and comprehensions count).",
             "let NumPy do the looping: `sliding_window_view(x, (size, size), axis=(0, 1))` gives all "
             "windows at once, `[::stride, ::stride]` keeps those the stride visits, then reduce over "
             "the last two axes.")
    if data.get("bad_mode") != "ValueError":
        got = data.get("bad_mode")
        fail(name, "mode='min'", "no error was raised for an unknown mode." if got == "no error" else f"raised {got}",
             "raise ValueError for a mode other than 'max' or 'avg', with a message naming both.")
    return n + 2


def pool2d(func: Callable, suite: str = "visible") -> None:
    """Check ``pool2d(x, size=2, stride=2, mode="max")``: both modes, no Python loop, ValueError otherwise."""
    run_check("pool2d", __name__, suite, lambda: collect_pool2d(func, suite), judge_pool2d)


BACKWARD_MISTAKES = {
    "assign": "windows overlap when stride < size, and an input that is the maximum of several windows "
              "collects the gradient of each: add (`+=`), do not assign (`=`).",
    "ties_all": "when a window has several equal maxima, send the gradient to the first one only "
                "(row-major order, what `np.argmax` of the flattened window gives), as TensorFlow does.",
    "spread": "you spread the gradient evenly over the window, as average pooling's backward pass does; "
              "max pooling sends all of it to the position of the maximum.",
    "ones": "multiply by the gradient that arrives, dout[i, j, c]: the maximum receives dout, not 1.",
    "channels_mixed": "find the maximum of each channel separately: `window[:, :, ch]` or "
                      "`window.reshape(size * size, C).argmax(axis=0)` gives one position per channel.",
}
BACKWARD_DEFAULT = ("dx is zero everywhere except at the position of each window's maximum (per channel), "
                    "which receives dout[i, j, c]; where windows overlap, the gradients add up.")


def backward_cases(suite: str = "visible") -> list[tuple[str, np.ndarray, np.ndarray, dict]]:
    """(case, dout, x, keyword arguments), the lecture's maps first."""
    if suite == "hidden":
        peak = np.zeros((3, 3, 1))
        peak[1, 1] = 9
        return [
            ("hidden: 0…15, stride 1, dout of ones: every window's maximum is its bottom-right value",
             np.ones((3, 3, 1)), np.arange(16.0).reshape(4, 4, 1), {"size": 2, "stride": 1}),
            ("hidden: 0…35 as 6×6, size=3, stride=3", np.array([[1.0, 2.0], [3.0, 4.0]])[..., None],
             np.arange(36.0).reshape(6, 6, 1), {"size": 3, "stride": 3}),
            ("hidden: a single peak that is the maximum of all four windows (1 + 2 + 3 + 4)",
             np.array([[1.0, 2.0], [3.0, 4.0]])[..., None], peak, {"size": 2, "stride": 1}),
            ("hidden: a 7×6×2 map, size=3, stride=2, random dout",
             np.random.default_rng(61).normal(size=(3, 2, 2)), np.random.default_rng(62).normal(size=(7, 6, 2)),
             {"size": 3, "stride": 2}),
        ]
    rng = np.random.default_rng(6)
    dout_2x2 = np.array([[1.0, 2.0], [3.0, 4.0]])[..., None]
    ties = np.array([[5, 5, 1, 2], [5, 5, 2, 2], [0, 0, 3, 3], [0, 0, 3, 3]], np.float64)[..., None]
    a = rng.permutation(36).reshape(6, 6, 1).astype(np.float64)
    two = np.concatenate([a, 35 - a], axis=2)                     # maxima at different places per channel
    return [
        ("the lecture's 1…16, dout = [[1, 2], [3, 4]], default size=2, stride=2 (→ to 6, 8, 14, 16)",
         dout_2x2, LECTURE_1_TO_16, {}),
        ("the lecture's depth slice, dout = [[1, 2], [3, 4]] (→ to 6, 8, 3, 4)",
         dout_2x2, LECTURE_DEPTH_SLICE, {"size": 2, "stride": 2}),
        ("a 6×6×2 map whose channels have their maxima in different places, random dout",
         rng.normal(size=(3, 3, 2)), two, {"size": 2, "stride": 2}),
        ("the depth slice with stride=1, dout = ones((3, 3, 1)): 6, 7 and 8 are each the max of 2 windows",
         np.ones((3, 3, 1)), LECTURE_DEPTH_SLICE, {"size": 2, "stride": 1}),
        ("windows with ties ([[5, 5], [5, 5]]): the gradient goes to the first maximum only",
         np.ones((2, 2, 1)), ties, {"size": 2, "stride": 2}),
        ("a 5×5×1 map, size=2, stride=2: the last row and column were dropped, so their gradient is 0",
         rng.normal(size=(2, 2, 1)), rng.permutation(25).reshape(5, 5, 1) * 1.0, {"size": 2, "stride": 2}),
        ("a 9×8×3 map, size=3, stride=2, random dout (overlapping windows)",
         rng.normal(size=(4, 3, 3)), rng.normal(size=(9, 8, 3)), {"size": 3, "stride": 2}),
    ]


def collect_max_pool2d_backward(func: Callable, suite: str = "visible") -> dict:
    """``func``'s dx on the cases: {"outputs": [array or description, ...]}."""
    return {"outputs": [attempt("max_pool2d_backward", func, dout, x, case=case, **kwargs)
                        for case, dout, x, kwargs in backward_cases(suite)]}


def judge_max_pool2d_backward(data: dict, expected: dict) -> int:
    name = "max_pool2d_backward"
    cases = backward_cases(expected["suite"])
    got_all, want = data.get("outputs"), expected["expected"]["outputs"]
    per_case(name, got_all, len(cases))
    for i, (case, dout, x, kwargs) in enumerate(cases):
        got = expect_returned_array(name, got_all[i], case=case)
        if got.shape != x.shape:
            fail(name, case, f"expected shape {x.shape} (the shape of x)\ngot shape      {got.shape}",
                 "dx holds one gradient per input value: create it with `np.zeros(x.shape)`.")
        if not np.issubdtype(got.dtype, np.floating):
            fail(name, case, f"expected a float array\ngot dtype {got.dtype}",
                 "gradients are real numbers: `np.zeros(x.shape)` (float64), not `np.zeros_like(x)` of an "
                 "integer x.")
        wrong = {label: m["outputs"][i] for label, m in expected["mistakes"].items()}
        expect_array(name, got, want[i], case=case,
                     hint=matching_mistake(got, wrong, BACKWARD_MISTAKES) or BACKWARD_DEFAULT)
    return len(cases)


def max_pool2d_backward(func: Callable, suite: str = "visible") -> None:
    """Check ``max_pool2d_backward(dout, x, size=2, stride=2) -> dx``, float, shape of x."""
    run_check("max_pool2d_backward", __name__, suite, lambda: collect_max_pool2d_backward(func, suite),
              judge_max_pool2d_backward)
