"""Checks for notebook 2: convolution and hand-crafted kernels.

The lecture's examples are here as constants (the notebook prints and uses them).
Nothing here computes a convolution. Each exercise has three parts (see
:func:`cnnlab.checks.core.run_check`):

* ``collect_<exercise>(answer, suite)`` runs the student's function on small cases,
  the lecture's numbers first (``suite="hidden"``: the grader's own cases), and returns
  what came back, as data. A kernel is measured instead: what it does to a flat image,
  a ramp, a step edge, pixel noise, read off its weights (a flat image of value v comes
  out v × the sum of the weights, a step edge as partial sums of the weights, and so on);
* ``judge_<exercise>(data, expected)`` compares the data with what the course's solutions
  give (stored in ``expected/convolution.json`` for the visible cases; computed by the
  grader for the hidden ones), or for kernels with the effect the exercise asks for, and
  raises :class:`~cnnlab.checks.CheckError` on the first failure, with a hint;
* ``<exercise>(answer)`` does both, for the self-check.

Kernels are graded by what they do, not by comparison with one array, so every kernel
with the right effect passes. The grader (:mod:`cnnlab.grade.judge`) runs the judge in
its own process and enforces ``RULES`` from the submitted source.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np

from .core import (CheckError, NotDoneError, attempt, call, count_loops, expect_array, expect_returned_array,
                   expect_scalar, expected_per_case, fail, matching_mistake, mistakes_at, per_case_at, reraise,
                   run_check)

JUDGED = True  # the grader judges what these checks collect (cnnlab.grade.judge)
RULES = {"conv2d_multi": ("no_loops", "numpy_only")}  # enforced by the grader from the submitted source

# Lecture 000, "2D Convolution Layer – Computation": the 5×5 binary image, the
# 3×3 kernel and the 3×3 convolved feature that the nine sums build.
LECTURE_IMAGE = np.array([[1, 1, 1, 0, 0],
                          [0, 1, 1, 1, 0],
                          [0, 0, 1, 1, 1],
                          [0, 0, 1, 1, 0],
                          [0, 1, 1, 0, 0]])
LECTURE_KERNEL = np.array([[1, 0, 1],
                           [0, 1, 0],
                           [1, 0, 1]])
LECTURE_OUTPUT = np.array([[4, 3, 4],
                           [2, 4, 3],
                           [2, 3, 4]])

# Lecture 002, "Convolution: Toy Example": a 4×4 image and the same 3×3 kernel.
TOY_IMAGE = np.array([[1, 1, 1, 1],
                      [0, 0, 1, 0],
                      [0, 1, 0, 0],
                      [1, 0, 0, 0]])

# Lecture 000, "Feature Extractor": a 7×7 curve-detector filter, the receptive
# field on the mouse's back where it matches (6600) and one where it does not (0).
CURVE_FILTER = np.array([[0, 0, 0, 0, 0, 30, 0],
                         [0, 0, 0, 0, 30, 0, 0],
                         [0, 0, 0, 30, 0, 0, 0],
                         [0, 0, 0, 30, 0, 0, 0],
                         [0, 0, 0, 30, 0, 0, 0],
                         [0, 0, 0, 30, 0, 0, 0],
                         [0, 0, 0, 0, 0, 0, 0]])
CURVE_PATCH = np.array([[0, 0, 0, 0, 0, 0, 30],
                        [0, 0, 0, 0, 50, 50, 50],
                        [0, 0, 0, 20, 50, 0, 0],
                        [0, 0, 0, 50, 50, 0, 0],
                        [0, 0, 0, 50, 50, 0, 0],
                        [0, 0, 0, 50, 50, 0, 0],
                        [0, 0, 0, 50, 50, 0, 0]])
OTHER_PATCH = np.array([[0, 0, 0, 0, 0, 0, 0],
                        [0, 40, 0, 0, 0, 0, 0],
                        [40, 0, 40, 0, 0, 0, 0],
                        [40, 20, 0, 0, 0, 0, 0],
                        [0, 50, 0, 0, 0, 0, 0],
                        [0, 0, 50, 0, 0, 0, 0],
                        [25, 25, 0, 50, 0, 0, 0]])

FLIP_HINT = ("you flipped the kernel: that is convolution as mathematicians define it. Deep-learning "
             "frameworks compute cross-correlation: out[i, j] = sum(patch * kernel) with the kernel "
             "as it is, no flipping.")
DTYPE_HINT = ("create the output with `np.zeros((H_out, W_out))`, which is float64. "
              "`np.zeros_like(image)` copies the image's integer dtype and cuts off fractions "
              "(and negative values wrap around for uint8 images).")
SIZE_HINT = ("the output has floor((H + 2·padding − kernel height) / stride) + 1 rows, and the same "
             "with W and the kernel width for the columns: `(H + 2 * padding - kh) // stride + 1`.")
LAYOUT_HINT = ("x is (H, W, C) and w is (F, F, C, K): filter k is `w[:, :, :, k]`, bias k is `b[k]`. "
               "Pad only the two spatial axes: `np.pad(x, ((p, p), (p, p), (0, 0)))` "
               "(`np.pad(x, p)` pads the channel axis too).")
CONV2D_RAISE_HINT = ("slice the patch `padded[r:r + kh, c:c + kw]` with `kh, kw = kernel.shape` (the kernel may be "
                     "rectangular) and multiply it by the kernel; the traceback above shows which line failed.")
STRIDE_HINT = ("the window must move by `stride` pixels: output (i, j) uses the patch that starts at "
               "row i * stride and column j * stride.")
# Hints for the stored results of the usual mistakes (solutions/references/convolution.py makes them),
# in the order they are tried: first those recognised by the output's shape, then by its values.
CONV2D_SHAPE_MISTAKES = {
    "round_up": "round DOWN: positions where the kernel would stick out of the image do not count; " + SIZE_HINT,
    "no_padding": "add `padding` rows and columns of zeros on all four sides first, `np.pad(image, padding)`; "
                  + SIZE_HINT,
}
CONV2D_MISTAKES = {
    "flipped": FLIP_HINT,
    "no_stride": STRIDE_HINT,
    "unpadded": "pad the image with zeros before sliding the kernel: `np.pad(image, padding)`.",
}
CONV2D_DEFAULT = "output (i, j) is the sum of the kernel times the patch that starts at row i·stride, column j·stride."
MULTI_MISTAKES = {
    "no_bias": "add the bias: every value of feature map k gets `b[k]` added once.",
    "flipped": FLIP_HINT,
    "first_channel": ("sum over all C input channels too: each output value is "
                      "`np.sum(patch * w[:, :, :, k]) + b[k]` with the (F, F, C) patch."),
    "transposed_window": ("you paired the window's rows with the kernel's columns: `sliding_window_view` puts the "
                          "two window axes LAST, (H', W', C, F, F), so window axis 3 (rows) goes with w's axis 0 "
                          "and window axis 4 (columns) with w's axis 1."),
    "no_stride": STRIDE_HINT,
}
MULTI_DEFAULT = ("output (i, j, k) = the sum over the F×F window and all C channels of the patch times "
                 "filter k, plus b[k]; filter k is `w[:, :, :, k]`.")


def _random(seed: int, shape) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).round(2)


# --------------------------------------------------------------------------- shared helpers


def _shape_mistake(got: np.ndarray, wrong: dict, hints: dict) -> str:
    """The hint of the first stored mistake whose result has ``got``'s shape ("" if none)."""
    for label, result in wrong.items():
        if label in hints and isinstance(result, np.ndarray) and result.shape == got.shape:
            return hints[label]
    return ""


def _returned_array(name: str, got: Any, *, case: str, hint: str) -> np.ndarray:
    """``got`` as an array; a crash of the student's function fails with this notebook's ``hint``."""
    try:
        reraise(got)
    except NotDoneError:
        raise
    except CheckError as err:
        lines = str(err).splitlines()
        if len(lines) < 2 or not re.search(r" raised \w+$", lines[0]):
            raise
        fail(name, f"{case} raised an error", lines[1].strip(), hint, cause=err.__cause__)
    return expect_returned_array(name, got, case=case)


def _value(name: str, value: Any, what: str) -> Any:
    """The student's answer value; NotDoneError while it is still the blank stub."""
    if callable(value):  # the blank stub of a function, or an answer written as a function
        value = call(name, value, case="calling it")
    if value is None:
        raise NotDoneError(f"{name} is not written yet: replace `{name} = None` with {what}, "
                           "run that cell, then run this check again.")
    return value


def _describe(value: Any) -> str:
    text = f"{type(value).__name__}: {value!r}"
    return text if len(text) < 300 else text[:300] + " …"


# --------------------------------------------------------------------------- the 4×4 quiz


def collect_answer_toy_4x4(value: Any, suite: str = "visible") -> dict:
    """The student's 2×2 answer as a float array (or a description of what it is)."""
    value = _value("answer_toy_4x4", value, "the 2×2 output as a NumPy array, e.g. `np.array([[a, b], [c, d]])`")
    try:
        return {"answer": np.asarray(value, dtype=np.float64)}
    except (TypeError, ValueError):
        return {"answer": {"returned": _describe(value)}}


def judge_answer_toy_4x4(data: dict, expected: dict) -> int:
    name = "answer_toy_4x4"
    case = "lecture 002's 4×4 image with the 3×3 kernel"
    got = data.get("answer") if isinstance(data, dict) else None
    if not isinstance(got, np.ndarray):
        shown = got.get("returned") if isinstance(got, dict) else repr(got)
        fail(name, case, f"expected a 2×2 array of numbers, got {shown}",
             "write the four numbers as `np.array([[a, b], [c, d]])`.")
    want = np.asarray(expected["expected"]["answer"])
    if got.shape != want.shape:
        fail(name, case, f"expected shape {want.shape}, got shape {got.shape}",
             "a 4×4 image has (4 − 3 + 1) × (4 − 3 + 1) = 2 × 2 positions for a 3×3 kernel, "
             "so the output is 2×2.")
    hint = "multiply each patch by the kernel element by element and add the nine products."
    if np.array_equal(got, want.T):
        hint = ("you have the right numbers in the wrong places: patch 2 is one step to the RIGHT of "
                "patch 1 (top-right output), patch 3 is one step DOWN (bottom-left output).")
    elif np.array_equal(got, LECTURE_OUTPUT[:2, :2]):
        hint = "those are the first outputs of lecture 000's 5×5 example; here the image is lecture 002's 4×4."
    expect_array(name, got, want, case=case, hint=hint)
    return 1


def answer_toy_4x4(value: Any, suite: str = "visible") -> None:
    """Check the hand-computed output of lecture 002's 4×4 toy example."""
    run_check("answer_toy_4x4", __name__, suite, lambda: collect_answer_toy_4x4(value, suite), judge_answer_toy_4x4)


# --------------------------------------------------------------------------- conv2d


def conv2d_cases(suite: str = "visible") -> list[tuple[str, np.ndarray, np.ndarray, int, int]]:
    """(case, image, kernel, stride, padding), the lecture's examples first."""
    asymmetric = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, -1.0], [3.0, 0.0, 0.0]])
    if suite == "hidden":
        rng = np.random.default_rng(2024)
        img, ker = rng.integers(0, 10, (9, 10)), rng.integers(-2, 3, (3, 2))
        return [
            ("hidden: 9×10 image, 3×2 kernel, stride 2, padding 1", img, ker, 2, 1),
            ("hidden: a kernel as large as the image gives one number", img[:3, :2], ker, 1, 0),
            ("hidden: a 1×1 kernel with stride 2 keeps every other pixel, scaled", _random(30, (5, 6)),
             np.array([[3.0]]), 2, 0),
            ("hidden: a 6×5 uint8 image, a kernel of −1s, padding 2 (negative outputs)",
             np.random.default_rng(31).integers(0, 256, (6, 5)).astype(np.uint8), -np.ones((3, 3)), 1, 2),
        ]
    edge = np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    return [
        ("lecture 000's 5×5 image and 3×3 kernel", LECTURE_IMAGE, LECTURE_KERNEL, 1, 0),
        ("lecture 002's 4×4 toy image", TOY_IMAGE, LECTURE_KERNEL, 1, 0),
        ("a 6×7 float image and a kernel that is not symmetric", _random(0, (6, 7)), asymmetric, 1, 0),
        ("a 5×6 uint8 image and the edge kernel (negative outputs)",
         np.random.default_rng(1).integers(0, 256, (5, 6)).astype(np.uint8), edge, 1, 0),
        ("a 2×3 kernel (kh ≠ kw) on a 5×5 image", _random(2, (5, 5)), _random(3, (2, 3)), 1, 0),
        ("7×7 input, 3×3 kernel, stride 2 (lecture 000: a 3×3 output)", _random(4, (7, 7)), asymmetric, 2, 0),
        ("7×7 input, 3×3 kernel, stride 3: (7 − 3)/3 + 1 = 2.33 rounds down to 2", _random(5, (7, 7)),
         asymmetric, 3, 0),
        ("7×7 input, 3×3 kernel, padding 1 (lecture 000: a 7×7 output)", _random(6, (7, 7)), asymmetric, 1, 1),
        ("6×8 input, 3×3 kernel, stride 2 and padding 2", _random(7, (6, 8)), asymmetric, 2, 2),
    ]


def collect_conv2d(func: Callable, suite: str = "visible") -> dict:
    """``func``'s outputs on the cases: {"outputs": [array or description, ...]}."""
    return {"outputs": [attempt("conv2d", func, image, kernel, case=case, stride=stride, padding=padding)
                        for case, image, kernel, stride, padding in conv2d_cases(suite)]}


def judge_conv2d(data: dict, expected: dict) -> int:
    name = "conv2d"
    cases = conv2d_cases(expected["suite"])
    got_all, want_all = per_case_at(name, data, "outputs", len(cases)), expected_per_case(expected, "outputs", len(cases))
    for i, (case, _, _, _, _) in enumerate(cases):
        got = _returned_array(name, got_all[i], case=case, hint=CONV2D_RAISE_HINT)
        want = np.asarray(want_all[i])
        wrong = mistakes_at(expected, "outputs", i, {**CONV2D_SHAPE_MISTAKES, **CONV2D_MISTAKES})
        if got.shape != want.shape:
            fail(name, case, f"expected shape {want.shape}\ngot shape      {got.shape}",
                 _shape_mistake(got, wrong, CONV2D_SHAPE_MISTAKES) or SIZE_HINT)
        if got.dtype != np.float64:
            fail(name, case, f"expected dtype float64\ngot dtype      {got.dtype}", DTYPE_HINT)
        expect_array(name, got, want, case=case, dtype=np.float64,
                     hint=matching_mistake(got, wrong, CONV2D_MISTAKES) or CONV2D_DEFAULT)
    return len(cases)


def conv2d(func: Callable, suite: str = "visible") -> None:
    """Check ``conv2d(image, kernel, stride=1, padding=0) -> (H', W') float64``."""
    run_check("conv2d", __name__, suite, lambda: collect_conv2d(func, suite), judge_conv2d)


# --------------------------------------------------------------------------- conv2d_multi


def multi_cases(suite: str = "visible") -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, int, int]]:
    """(case, x, w, b, stride, padding), the lecture's examples first."""
    if suite == "hidden":
        rng = np.random.default_rng(77)
        loops_case = rng.normal(size=(7, 9, 4)), rng.normal(size=(3, 3, 4, 5)), rng.normal(size=5)
        rng = np.random.default_rng(99)
        one_by_one = rng.normal(size=(6, 5, 3)), rng.normal(size=(1, 1, 3, 4)), rng.normal(size=4)
        strided = rng.normal(size=(11, 8, 2)), rng.normal(size=(4, 4, 2, 3)), rng.normal(size=3)
        return [
            ("hidden: 7×9×4 input, five 3×3×4 filters, stride 2, padding 2", *loops_case, 2, 2),
            ("hidden: a 1×1 convolution mixes the channels at each pixel", *one_by_one, 1, 0),
            ("hidden: 11×8×2 input, three 4×4×2 filters, stride 3, padding 3", *strided, 3, 3),
        ]
    rng = np.random.default_rng(10)
    identity = np.zeros((3, 3))
    identity[1, 1] = 1
    one_channel = LECTURE_IMAGE[:, :, None]
    return [
        ("lecture 000's 5×5 image as (5, 5, 1), one filter (the lecture's kernel), b = [0]",
         one_channel, LECTURE_KERNEL[:, :, None, None], np.zeros(1), 1, 0),
        ("lecture 000's image, two filters (the lecture's kernel and the identity), b = [0, 10]",
         one_channel, np.stack([LECTURE_KERNEL, identity], axis=-1)[:, :, None, :], np.array([0.0, 10.0]), 1, 0),
        ("a 6×7×3 input, two 3×3×3 filters, b = [0.5, -1]",
         _random(11, (6, 7, 3)), _random(12, (3, 3, 3, 2)), np.array([0.5, -1.0]), 1, 0),
        ("a 9×8×2 uint8 input, three 2×2×2 filters, stride 3",
         rng.integers(0, 256, (9, 8, 2)).astype(np.uint8), _random(13, (2, 2, 2, 3)), _random(14, 3), 3, 0),
        ("lecture 000's quiz: 32×32×3 input, ten 3×3 filters, stride 2, padding 1 → 16×16×10",
         _random(15, (32, 32, 3)), _random(16, (3, 3, 3, 10)), _random(17, 10), 2, 1),
        ("lecture 003: six 5×5×3 filters on a 32×32×3 image → 28×28×6",
         rng.integers(0, 256, (32, 32, 3)).astype(np.uint8), _random(18, (5, 5, 3, 6)), _random(19, 6), 1, 0),
    ]


def _multi_shape_hint(shape: tuple, expected: tuple) -> str:
    """Name the common mistake that gives an output of ``shape`` where ``expected`` was due."""
    if shape == expected[:2]:
        return "return all K feature maps stacked along the last axis: shape (H', W', K)."
    if shape == expected[::-1] or shape == (expected[2], *expected[:2]):
        return "the feature maps go along the LAST axis: shape (H', W', K), channels last like x."
    return SIZE_HINT + " The depth of the output is K, the number of filters."


def _collect_multi(name: str, func: Callable, suite: str) -> dict:
    return {"outputs": [attempt(name, func, x, w, b, case=case, stride=stride, padding=padding)
                        for case, x, w, b, stride, padding in multi_cases(suite)],
            "loops": count_loops(func)}


def _judge_multi(name: str, data: Any, expected: dict, no_loops: bool) -> int:
    cases = multi_cases(expected["suite"])
    got_all, want_all = per_case_at(name, data, "outputs", len(cases)), expected_per_case(expected, "outputs", len(cases))
    for i, (case, *_) in enumerate(cases):
        got = _returned_array(name, got_all[i], case=case, hint=LAYOUT_HINT)
        want = np.asarray(want_all[i])
        if got.shape != want.shape:
            fail(name, case, f"expected shape {want.shape}\ngot shape      {got.shape}",
                 _multi_shape_hint(got.shape, want.shape))
        if got.dtype != np.float64:
            fail(name, case, f"expected dtype float64\ngot dtype      {got.dtype}", DTYPE_HINT)
        expect_array(name, got, want, case=case, dtype=np.float64, rtol=1e-7, atol=1e-7,
                     hint=matching_mistake(got, mistakes_at(expected, "outputs", i, MULTI_MISTAKES), MULTI_MISTAKES)
                     or MULTI_DEFAULT)
    n_loops = data.get("loops")
    if not no_loops or n_loops is None:  # no source and no bytecode: the grader reads the rule from the source
        return len(cases)
    if isinstance(n_loops, bool) or not isinstance(n_loops, int):
        fail(name, "loop count", "the check did not get the number of loops.", "run the check cell again, unchanged.")
    if n_loops > 0:
        fail(name, "loop count", f"expected no Python loop; your function has {n_loops} "
             "(for/while loops and comprehensions count).",
             "let NumPy do the looping: `sliding_window_view` gives every window at once, then one "
             "`np.tensordot` (or `@`) multiplies all windows with all filters.")
    return len(cases) + 1


def collect_conv2d_multi_loops(func: Callable, suite: str = "visible") -> dict:
    """``func``'s outputs on the cases and its number of loops: {"outputs": [...], "loops": n}."""
    return _collect_multi("conv2d_multi_loops", func, suite)


def judge_conv2d_multi_loops(data: dict, expected: dict) -> int:
    return _judge_multi("conv2d_multi_loops", data, expected, no_loops=False)


def conv2d_multi_loops(func: Callable, suite: str = "visible") -> None:
    """Check ``conv2d_multi_loops(x, w, b, stride=1, padding=0) -> (H', W', K) float64``."""
    run_check("conv2d_multi_loops", __name__, suite, lambda: collect_conv2d_multi_loops(func, suite),
              judge_conv2d_multi_loops)


def collect_conv2d_multi(func: Callable, suite: str = "visible") -> dict:
    """``func``'s outputs on the cases and its number of loops: {"outputs": [...], "loops": n}."""
    return _collect_multi("conv2d_multi", func, suite)


def judge_conv2d_multi(data: dict, expected: dict) -> int:
    return _judge_multi("conv2d_multi", data, expected, no_loops=True)


def conv2d_multi(func: Callable, suite: str = "visible") -> None:
    """Check ``conv2d_multi``: the same results as the loop version, without Python loops."""
    run_check("conv2d_multi", __name__, suite, lambda: collect_conv2d_multi(func, suite), judge_conv2d_multi)


# --------------------------------------------------------------------------- kernels: measurements
#
# A kernel's effect on the test images below is read off its weights, exactly (a test compares
# with SciPy's correlate2d). For output pixel (r, c) away from the border,
# out[r, c] = sum over a, b of kernel[a, b] * image[r + a - m, c + b - m], m = F // 2.

MAX_KERNEL = 13  # the 14×14 test images keep an inside part for kernels up to 13×13
EDGE_AT = 7      # the step images of side 14 switch from dark to bright at row/column 7


def _weights(name: str, value: Any) -> tuple[np.ndarray | None, dict]:
    """(the kernel as a float array, or None if it is not a usable kernel; data describing it)."""
    value = _value(name, value, "your kernel, a NumPy array such as `np.array([[...], [...], [...]])`")
    try:
        kernel = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None, {"not_numbers": _describe(value)}
    data = {"shape": list(kernel.shape)}
    if (kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1] or kernel.shape[0] % 2 == 0
            or kernel.shape[0] > MAX_KERNEL):
        return None, data
    data["finite"] = bool(np.isfinite(kernel).all())
    if not data["finite"]:
        return None, data
    data["sum"] = float(kernel.sum())
    data["all_zero"] = not kernel.any()
    return kernel, data


def _step_response(kernel: np.ndarray, horizontal: bool, low: float, high: float) -> np.ndarray:
    """The inside outputs across a 14×14 step from ``low`` to ``high`` (vertical edge unless ``horizontal``).

    Along the edge every output is the same, so one value per column (row) says it all:
    ``low`` × all weights + (high − low) × the weights of the columns (rows) that see the bright side.
    """
    m = kernel.shape[0] // 2
    weights = kernel.sum(axis=1 if horizontal else 0)
    tails = np.append(np.cumsum(weights[::-1])[::-1], 0.0)      # tails[j] = weights[j:].sum()
    first_bright = EDGE_AT - np.arange(m, 14 - m) + m            # first kernel column on the bright side
    return low * kernel.sum() + (high - low) * tails[np.clip(first_bright, 0, len(weights))]


def _ramp_response(kernel: np.ndarray) -> np.ndarray:
    """The inside of the 14×14 ramp 10 + 2·row + 3·column after the kernel."""
    m = kernel.shape[0] // 2
    offsets = np.arange(kernel.shape[0]) - m
    rows, cols = np.mgrid[m:14 - m, m:14 - m]
    return (kernel.sum() * (10.0 + 2.0 * rows + 3.0 * cols) + 2.0 * (kernel.sum(axis=1) @ offsets)
            + 3.0 * (kernel.sum(axis=0) @ offsets))


def _ramp(size: int) -> np.ndarray:
    """The inside of the 14×14 ramp itself, for a kernel of side ``size``."""
    m = size // 2
    rows, cols = np.mgrid[m:14 - m, m:14 - m]
    return 10.0 + 2.0 * rows + 3.0 * cols


_DIRECTIONS = {(1, 0): "down", (-1, 0): "up", (0, 1): "right", (0, -1): "left",
               (1, 1): "down and right", (1, -1): "down and left", (-1, 1): "up and right",
               (-1, -1): "up and left", (0, 0): "nowhere (that is the identity)"}


def _moves(kernel: np.ndarray) -> list[int] | None:
    """The one-pixel move [rows, cols] the kernel performs, or None.

    Output pixel (r, c) equals input pixel (r − dr, c − dc) for every image exactly when the
    only weight is a 1 at (m − dr, m − dc).
    """
    m = kernel.shape[0] // 2
    for dr, dc in _DIRECTIONS:
        a, b = m - dr, m - dc
        if not (0 <= a < kernel.shape[0] and 0 <= b < kernel.shape[1]):
            continue
        copy = np.zeros_like(kernel)
        copy[a, b] = 1.0
        if np.allclose(kernel, copy):
            return [dr, dc]
    return None


def _judge_weights(name: str, data: Any) -> dict:
    """Fail unless the collected data describes a usable kernel; return the data."""
    case = "is it a kernel?"
    if not isinstance(data, dict):
        fail(name, case, "the check did not get a description of your kernel.", "run the check cell again, unchanged.")
    if "not_numbers" in data:
        fail(name, case, f"expected a 2-D array of numbers, got {data['not_numbers']}",
             "write the kernel as `np.array([[a, b, c], [d, e, f], [g, h, i]])`.")
    shape = tuple(data.get("shape") or ())
    if len(shape) != 2 or shape[0] != shape[1] or shape[0] % 2 == 0 or shape[0] > MAX_KERNEL:
        fail(name, case, f"expected a square kernel of odd size (3×3, 5×5, … up to {MAX_KERNEL}×{MAX_KERNEL}), "
             f"got shape {shape}", "an odd size gives the kernel a centre pixel, the one the output is written to.")
    if data.get("finite") is not True:
        fail(name, case, "your kernel contains NaN or infinity.", "use finite numbers only.")
    if isinstance(data.get("sum"), bool) or not isinstance(data.get("sum"), (int, float)):
        fail(name, case, "the check did not get your kernel's measurements.", "run the check cell again, unchanged.")
    return data


def _flat_case(name: str, total: float, value: float, expected: float, hint: str) -> None:
    """A flat image of ``value`` comes out ``value`` × the sum of the weights."""
    out = value * total
    case = f"a flat image (every pixel {value:g}) must come out {expected:g} everywhere"
    if not np.isclose(out, expected, atol=1e-9):
        fail(name, case, f"expected {expected:g}\ngot      {out:.6g}  (the kernel's weights sum to "
             f"{total:.6g})", hint)


def _array(name: str, data: dict, key: str, shape: tuple | None = None) -> np.ndarray:
    value = data.get(key)
    if not isinstance(value, np.ndarray) or (shape is not None and value.shape != shape):
        fail(name, "measuring your kernel", "the check did not get your kernel's measurements.",
             "run the check cell again, unchanged.")
    return value


# --------------------------------------------------------------------------- kernel_shift_down


def collect_kernel_shift_down(value: Any, suite: str = "visible") -> dict:
    """The kernel's shape, weight sum and the one-pixel move it makes (or None)."""
    kernel, data = _weights("kernel_shift_down", value)
    if kernel is not None:
        data["move"] = _moves(kernel)
    return data


def judge_kernel_shift_down(data: dict, expected: dict) -> int:
    name = "kernel_shift_down"
    data = _judge_weights(name, data)
    move = data.get("move")
    if move == [1, 0]:
        return 1
    total = data["sum"]
    if isinstance(move, list) and tuple(move) in _DIRECTIONS:
        hint = (f"your kernel moves the image {_DIRECTIONS[tuple(move)]}. Output pixel (r, c) must read the "
                "input pixel ABOVE it, (r − 1, c): put the 1 where the kernel looks at the pixel above "
                "its centre. The 1 sits on the side the pixels come FROM, opposite to the direction "
                "they move.")
        what = ""
    else:
        if np.isclose(total, 0) or not np.isclose(total, 1):
            hint = (f"the weights sum to {total:.3g}; a shift keeps every pixel's brightness, so it "
                    "has one weight of 1 and zeros elsewhere.")
        else:
            hint = "a shift copies one neighbour: one weight is 1, all the others are 0."
        what = "your kernel does not copy any single neighbour: each output pixel mixes several input pixels."
    fail(name, "a test image must move down by one pixel",
         "output row r should equal input row r − 1: each output pixel (r, c) is a copy of the input pixel "
         "above it, (r − 1, c)." + (f"\n{what}" if what else ""), hint)
    return 1


def kernel_shift_down(value: Any, suite: str = "visible") -> None:
    """Check a kernel that moves an image down by one pixel."""
    run_check("kernel_shift_down", __name__, suite, lambda: collect_kernel_shift_down(value, suite),
              judge_kernel_shift_down)


# --------------------------------------------------------------------------- kernel_box_blur_5x5


def collect_kernel_box_blur_5x5(value: Any, suite: str = "visible") -> dict:
    """The kernel's shape and weight sum; the variance ratio of white noise after it (the sum of the
    squared weights); hidden: the largest output on a ±1 checkerboard."""
    kernel, data = _weights("kernel_box_blur_5x5", value)
    if kernel is not None:
        data["noise_ratio"] = float((kernel ** 2).sum())
        if suite == "hidden":
            signs = (-1.0) ** np.add.outer(np.arange(kernel.shape[0]), np.arange(kernel.shape[1]))
            data["checkerboard"] = float(abs((kernel * signs).sum()))
    return data


def judge_kernel_box_blur_5x5(data: dict, expected: dict) -> int:
    name = "kernel_box_blur_5x5"
    data = _judge_weights(name, data)
    s = data["sum"]
    if np.isclose(s, 25):
        hint = "divide by 25, the number of weights, so that they sum to 1: `np.ones((5, 5)) / 25`."
    elif np.isclose(s, 0):
        hint = "all weights are 0: integer division `1 // 25` is 0; use `/`."
    else:
        hint = "an average leaves a flat region as it is: its weights sum to 1."
    _flat_case(name, s, 100.0, 100.0, hint)
    ratio = data.get("noise_ratio")
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)):
        fail(name, "measuring your kernel", "the check did not get your kernel's measurements.",
             "run the check cell again, unchanged.")
    case = "pixel noise: a 5×5 average must divide its variance by about 25"
    if not 0.85 / 25 <= ratio <= 1.15 / 25:
        if np.isclose(ratio, 1 / 9, rtol=0.15):
            hint = ("your kernel averages 3×3 = 9 pixels (variance ÷ 9); a 5×5 box averages all 25 pixels "
                    "of the 5×5 window, with equal weights.")
        elif ratio > 1.15 / 25:
            hint = ("an average of n independent pixels divides the noise variance by n, and it does so "
                    "best with EQUAL weights: give all 25 pixels of the 5×5 window the weight 1/25.")
        else:
            hint = "your kernel averages more than 25 pixels; average a 5×5 window."
        fail(name, case, f"expected a variance ratio of about {1 / 25:.4f}\ngot                         "
             f"       {ratio:.4f}", hint)
    if expected.get("suite") != "hidden":
        return 2
    board = data.get("checkerboard")
    if isinstance(board, bool) or not isinstance(board, (int, float)):
        fail(name, "measuring your kernel", "the check did not get your kernel's measurements.",
             "run the check cell again, unchanged.")
    expect_scalar(name, board, 1 / 25, rtol=1e-6,
                  case="hidden: a ±1 checkerboard averages out to ±1/25 (13 against 12 squares)",
                  hint="give all 25 pixels of the 5×5 window the same weight, 1/25.")
    return 3


def kernel_box_blur_5x5(value: Any, suite: str = "visible") -> None:
    """Check a kernel that averages each 5×5 neighbourhood."""
    run_check("kernel_box_blur_5x5", __name__, suite, lambda: collect_kernel_box_blur_5x5(value, suite),
              judge_kernel_box_blur_5x5)


# --------------------------------------------------------------------------- kernel_sharpen


def _step(horizontal: bool, size: int, low: float = 50.0, high: float = 150.0) -> np.ndarray:
    """The inside values across a 14×14 step image, for a kernel of side ``size``."""
    m = size // 2
    return np.where(np.arange(m, 14 - m) >= EDGE_AT, high, low)


def collect_kernel_sharpen(value: Any, suite: str = "visible") -> dict:
    """The kernel's shape and weight sum, its outputs on a ramp and across two step edges from 50 to 150;
    hidden: on a bright dot, the dot and the darkest of its neighbours."""
    kernel, data = _weights("kernel_sharpen", value)
    if kernel is not None:
        data["ramp"] = _ramp_response(kernel)
        data["vertical"] = _step_response(kernel, False, 50.0, 150.0)
        data["horizontal"] = _step_response(kernel, True, 50.0, 150.0)
        if suite == "hidden":  # a dot of 100 at the centre of a 15×15 image of 50s
            m = kernel.shape[0] // 2
            near = np.pad(kernel, 1)[m:m + 3, m:m + 3]          # the weights that reach the dot's neighbours
            data["dot"] = float(50.0 * kernel.sum() + 50.0 * kernel[m, m])
            data["dot_min"] = float(50.0 * kernel.sum() + 50.0 * near.min())
    return data


def judge_kernel_sharpen(data: dict, expected: dict) -> int:
    name = "kernel_sharpen"
    data = _judge_weights(name, data)
    size = data["shape"][0]
    s = data["sum"]
    if np.isclose(s, 0.2):
        hint = ("the weights sum to 1/5, so the image comes out 5× darker. Lecture 002 writes 1/5 in front "
                "of the kernel; leave that factor out: 5 − 1 − 1 − 1 − 1 = 1.")
    elif np.isclose(s, 0):
        hint = ("the weights sum to 0: that is an edge detector (flat regions become 0). A sharpen kernel is "
                "the identity plus an edge detector: its weights sum to 1.")
    else:
        hint = "sharpening keeps a flat region as it is: the weights must sum to 1."
    _flat_case(name, s, 80.0, 80.0, hint)
    ramp = _ramp(size)
    out = _array(name, data, "ramp", ramp.shape)
    if not np.allclose(out, ramp):
        fail(name, "a smooth ramp (no edges) must not change: the kernel may not move the image",
             f"the ramp changed by up to {np.abs(out - ramp).max():.3g}",
             "make the kernel symmetric around its centre (opposite neighbours get equal weights), so "
             "that it sharpens in place instead of shifting the image.")
    n = 14 - 2 * (size // 2)
    outs = {h: _array(name, data, "horizontal" if h else "vertical", (n,)) for h in (False, True)}
    sharp = {h: out.min() < 45 and out.max() > 155 for h, out in outs.items()}
    for horizontal in (False, True):
        if sharp[horizontal]:
            continue
        out = outs[horizontal]
        direction = "horizontal" if horizontal else "vertical"
        case = f"a {direction} edge from 50 to 150 must get a darker and a brighter rim (overshoot)"
        if sharp[not horizontal]:
            hint = (f"only edges in one direction get sharper: subtract the neighbours "
                    f"{'above and below' if horizontal else 'left and right of'} the centre too.")
        elif np.allclose(out, _step(horizontal, size)):
            hint = "your kernel leaves the edge as it is (the identity): subtract the neighbours."
        elif out.min() >= 50 - 1e-9 and out.max() <= 150 + 1e-9:
            hint = ("the edge got softer or stayed put: a sharpen kernel subtracts the neighbours, so "
                    "its centre weight is above 1 and the neighbours are negative.")
        else:
            hint = ("subtract the neighbours from a centre weight above 1, e.g. the centre minus its four "
                    "neighbours, added to the pixel itself.")
        fail(name, case, f"output values range from {out.min():.4g} to {out.max():.4g}; expected some "
             "below 45 and some above 155", hint)
    if expected.get("suite") != "hidden":
        return 4
    dot, darkest = data.get("dot"), data.get("dot_min")
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in (dot, darkest)):
        fail(name, "measuring your kernel", "the check did not get your kernel's measurements.",
             "run the check cell again, unchanged.")
    if not (dot > 100 and darkest < 50):
        fail(name, "hidden: a bright dot (100 on 50) must get brighter and its surroundings darker",
             f"the dot became {dot:.4g}, the darkest neighbour {darkest:.4g}",
             "a sharpen kernel adds the pixel minus its neighbours to the pixel.")
    return 5


def kernel_sharpen(value: Any, suite: str = "visible") -> None:
    """Check a kernel that sharpens: flat stays flat, edges gain contrast, nothing moves."""
    run_check("kernel_sharpen", __name__, suite, lambda: collect_kernel_sharpen(value, suite), judge_kernel_sharpen)


# --------------------------------------------------------------------------- kernel_edge


def _diagonal_response(kernel: np.ndarray) -> float:
    """The largest |output| inside a 16×16 image that is 100 where row + column ≥ 16 and 0 elsewhere."""
    f = kernel.shape[0]
    m = f // 2
    anti = np.array([np.fliplr(kernel).trace(offset=f - 1 - s) for s in range(2 * f - 1)])  # a + b = s
    tails = np.append(np.cumsum(anti[::-1])[::-1], 0.0)          # tails[j]: weights with a + b ≥ j
    t = np.arange(2 * m, 31 - 2 * m)                             # row + column inside the image
    return float(np.abs(100.0 * tails[np.clip(16 - t + 2 * m, 0, 2 * f - 1)]).max())


def collect_kernel_edge(value: Any, suite: str = "visible") -> dict:
    """The kernel's shape and weight sum and its outputs across two step edges from 0 to 100; hidden:
    the largest output on a diagonal edge."""
    kernel, data = _weights("kernel_edge", value)
    if kernel is not None:
        data["vertical"] = _step_response(kernel, False, 0.0, 100.0)
        data["horizontal"] = _step_response(kernel, True, 0.0, 100.0)
        if suite == "hidden":
            data["diagonal"] = _diagonal_response(kernel)
    return data


def judge_kernel_edge(data: dict, expected: dict) -> int:
    name = "kernel_edge"
    data = _judge_weights(name, data)
    _flat_case(name, data["sum"], 120.0, 0.0,
               "a flat region has no edge, so the output must be 0 there: the weights must sum to 0 "
               "(in the lecture's kernel the centre's 8 balances the eight −1).")
    n = 14 - 2 * (data["shape"][0] // 2)
    for horizontal in (False, True):
        out = _array(name, data, "horizontal" if horizontal else "vertical", (n,))
        direction = "horizontal" if horizontal else "vertical"
        case = f"a {direction} edge from 0 to 100 must give a response next to the edge"
        if np.abs(out).max() < 1.0:
            hint = ("all weights are 0." if data.get("all_zero") is True else
                    "it only sees edges in one direction (like a Sobel kernel); an edge detector for "
                    "every direction compares the centre with ALL its neighbours.")
            fail(name, case, f"the largest |output| is {np.abs(out).max():.3g}; expected at least 1", hint)
    if expected.get("suite") != "hidden":
        return 3
    _flat_case(name, data["sum"], 200.0, 0.0, "the weights must sum to 0.")
    response = data.get("diagonal")
    if isinstance(response, bool) or not isinstance(response, (int, float)):
        fail(name, "measuring your kernel", "the check did not get your kernel's measurements.",
             "run the check cell again, unchanged.")
    if response < 1:
        fail(name, "hidden: a diagonal edge from 0 to 100 must give a response",
             f"the largest |output| is {response:.3g}", "compare the centre with all its neighbours.")
    return 5


def kernel_edge(value: Any, suite: str = "visible") -> None:
    """Check an edge detector: 0 on flat regions, a response to edges in every direction."""
    run_check("kernel_edge", __name__, suite, lambda: collect_kernel_edge(value, suite), judge_kernel_edge)
