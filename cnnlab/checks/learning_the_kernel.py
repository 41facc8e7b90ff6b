"""Checks for notebook 5, "Learning the kernel": a convolution's backward pass and gradient checks.

Arrays follow notebook 2: one image ``x`` of shape (H, W, C), filters ``w`` of
shape (F, F, C, K), biases ``b`` of shape (K,), outputs (H_out, W_out, K).

Nothing here computes an answer. Each exercise has three parts (see
:func:`cnnlab.checks.core.run_check`):

* ``collect_<exercise>(func, suite)`` runs the student's function on the cases of
  :func:`backward_cases` / :func:`numeric_cases` / :func:`relative_cases` (the
  lecture's numbers first; ``suite="hidden"``: the grader's own cases) and returns
  what came back, as plain data;
* ``judge_<exercise>(data, expected)`` compares that data with what the course's
  solutions give (stored in ``expected/learning_the_kernel.json`` for the visible
  cases, together with what the usual mistakes give, so that a message can name the
  mistake; computed by the grader for the hidden ones), and with properties
  (shapes, symmetry, agreement with the student's own loop version);
* ``<exercise>(func)`` does both, for the self-check.

The grader (:mod:`cnnlab.grade.judge`) runs the judge in its own process and
enforces ``RULES`` from the submitted source.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .convolution import LECTURE_IMAGE, LECTURE_KERNEL, TOY_IMAGE
from .core import (CheckError, NotDoneError, _fmt, attempt, count_loops, expect_array, fail, number, reraise,
                   returned, run_check, per_case)

JUDGED = True  # the grader judges what these checks collect (cnnlab.grade.judge)
RULES = {"conv2d_backward": ("no_loops",)}  # enforced by the grader from the submitted source

GRADIENTS = ("dx", "dw", "db")
_WITH_RESPECT_TO = {"dx": "the gradient with respect to the input x", "dw": "the gradient with respect to the weights w",
                    "db": "the gradient with respect to the biases b"}


# Functions whose numerical gradient the numerical_gradient check asks for (test functions, not answers).
def f_sum_of_squares(x):
    """sum(x²): its gradient is 2x."""
    return float(np.sum(x ** 2))


def f_cubic(x):
    """sum(x³): its gradient is 3x²; centred differences give 3x² + h², forward ones 3x² + 3xh + h²."""
    return float(np.sum(x ** 3))


def f_mixed(x):
    """A function of a 3-D array in which every element interacts with another one."""
    return float(np.sum(np.tanh(x) * x[::-1, ::-1, ::-1]) + x[0, 0, 0] * x[-1, -1, -1])


def f_sum_of_sines(x):
    """sum(sin(x)): its gradient is cos(x)."""
    return float(np.sum(np.sin(x)))


NUMERIC_FUNCTIONS = {f.__name__: f for f in (f_sum_of_squares, f_cubic, f_mixed, f_sum_of_sines)}


# --------------------------------------------------------------------------- cases


def backward_cases(suite: str = "visible") -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray, int, int]]:
    """(case, dout, x, w, stride, padding): from the lecture's toy example to strides with padding."""
    if suite == "hidden":
        rng = np.random.default_rng(501)
        r = rng.normal
        return [
            ("hidden: 9×10×2 input, three 4×4×2 filters, stride 2, padding 2",
             r(size=(5, 6, 3)), r(size=(9, 10, 2)), r(size=(4, 4, 2, 3)), 2, 2),
            ("hidden: 6×6×1 input, 2×2 filters at stride 2 (the windows tile the input)",
             r(size=(3, 3, 2)), r(size=(6, 6, 1)), r(size=(2, 2, 1, 2)), 2, 0),
            ("hidden: 11×9×3 input, two 5×5×3 filters, stride 3, padding 2",
             r(size=(4, 3, 2)), r(size=(11, 9, 3)), r(size=(5, 5, 3, 2)), 3, 2),
            ("hidden: 7×7×4 input, six 3×3×4 filters, 'same' padding",
             r(size=(7, 7, 6)), r(size=(7, 7, 4)), r(size=(3, 3, 4, 6)), 1, 1),
        ]
    rng = np.random.default_rng(14)
    r = lambda *shape: np.round(rng.normal(size=shape), 2)  # noqa: E731  (two decimals: readable in messages)
    kernel = LECTURE_KERNEL[:, :, None, None].astype(np.float64)
    cases = [
        ("lecture 002's 4×4 toy image and 3×3 kernel, dout = [[1, 2], [3, 4]], stride 1, no padding",
         np.array([[1.0, 2.0], [3.0, 4.0]])[..., None], TOY_IMAGE[..., None].astype(np.float64), kernel, 1, 0),
        ("lecture 000's 5×5 image and 3×3 kernel, dout of ones (3×3), stride 1, no padding",
         np.ones((3, 3, 1)), LECTURE_IMAGE[..., None].astype(np.float64), kernel, 1, 0),
    ]
    for case, x_shape, w_shape, dout_shape, stride, padding in [
        ("a 5×5×3 input, two 3×3×3 filters, random dout, stride 1, no padding", (5, 5, 3), (3, 3, 3, 2), (3, 3, 2), 1, 0),
        ("lecture 003's 7×7 input (2 channels) with three 3×3 filters at stride 2: windows overlap by one pixel",
         (7, 7, 2), (3, 3, 2, 3), (3, 3, 3), 2, 0),
        ("a 5×6×2 input, two 3×3×2 filters, stride 1, padding 1 (the output keeps the size)",
         (5, 6, 2), (3, 3, 2, 2), (5, 6, 2), 1, 1),
        ("an 8×7×3 input, four 3×3×3 filters, stride 2, padding 1 (not square)", (8, 7, 3), (3, 3, 3, 4), (4, 4, 4), 2, 1),
        ("a 7×8×1 input, two 2×2 filters, stride 3 (gaps between windows: some pixels get no gradient)",
         (7, 8, 1), (2, 2, 1, 2), (2, 3, 2), 3, 0),
        ("a 6×5×3 input, four 1×1×3 filters (a 1×1 convolution), stride 1", (6, 5, 3), (1, 1, 3, 4), (6, 5, 4), 1, 0),
    ]:
        x, w = r(*x_shape), r(*w_shape)
        cases.append((case, r(*dout_shape), x, w, stride, padding))
    return cases


def numeric_cases(suite: str = "visible") -> list[tuple[str, str, np.ndarray, float]]:
    """(case, name of a function in :data:`NUMERIC_FUNCTIONS`, x, h)."""
    if suite == "hidden":
        return [
            ("hidden: f(x) = sum(sin(x)) on a 3×4 x: the gradient is cos(x)",
             "f_sum_of_sines", np.random.default_rng(503).normal(size=(3, 4)), 1e-5),
            ("hidden: f(x) = sum(x**2) with h = 0.5: centred differences are exact for a parabola",
             "f_sum_of_squares", np.array([1.0, -2.0, 4.0]), 0.5),
        ]
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


def relative_cases(suite: str = "visible") -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(case, a, b): numbers, arrays, signs, zeros."""
    if suite == "hidden":
        values = np.random.default_rng(504).normal(size=(4, 5))
        return [
            ("hidden: 1000 against 1001", np.array(1000.0), np.array(1001.0)),
            ("hidden: an array against itself", values, values.copy()),
            ("hidden: [0, 2] against [1e-9, 2]: the floor 1e-8 keeps tiny values from looking wrong",
             np.array([0.0, 2.0]), np.array([1e-9, 2.0])),
        ]
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


# --------------------------------------------------------------------------- collected data


def _gradients(result: Any) -> dict:
    """A returned (dx, dw, db) as plain data, or a description of whatever came back instead."""
    if isinstance(result, (tuple, list)) and len(result) == 3:
        data = [returned(g) for g in result]
        if all(isinstance(g, np.ndarray) for g in data):
            return dict(zip(GRADIENTS, data))
        bad = [(n, g) for n, g in zip(GRADIENTS, result) if not isinstance(returned(g), np.ndarray)]
        return {"returned": f"a tuple whose {', '.join(n for n, _ in bad)} is not a NumPy array of numbers "
                            f"({', '.join(f'{type(g).__name__}: {_fmt(g)}' for _, g in bad)})"}
    if isinstance(result, (tuple, list)):
        return {"returned": f"a {type(result).__name__} of {len(result)} values"}
    return returned(result)




def _mistake(wrong: dict, label: str, i: int, *keys: str) -> Any:
    """The stored result of mistake ``label`` on case ``i`` (None when it is not stored)."""
    try:
        value = wrong[label]["outputs"][i]
        for key in keys:
            value = value[key]
        return value
    except (KeyError, IndexError, TypeError):
        return None


def _is_mistake(got, wrong, expected, rtol: float, atol: float) -> bool:
    """``got`` equals a stored wrong answer that differs from the right one (at the check's tolerance)."""
    if wrong is None or isinstance(wrong, dict):
        return False
    wrong, expected = np.asarray(wrong, np.float64), np.asarray(expected, np.float64)
    return (wrong.shape != expected.shape or not np.allclose(wrong, expected, rtol=rtol, atol=atol)) \
        and np.shape(got) == wrong.shape and bool(np.allclose(got, wrong, rtol=rtol, atol=atol))


# --------------------------------------------------------------------------- the backward pass

_MISTAKE_HINTS = {
    "assign": ("windows overlap, so an input pixel (and each weight) collects a gradient from every output "
               "it took part in: add with `+=`, do not assign with `=`."),
    "no_stride": ("the window of output (i, j) starts at row i*stride and column j*stride of the padded "
                  "input, as in the forward pass."),
    "flip": ("you flipped the kernel: in the loops, dout[i, j, k] * w[:, :, :, k] goes back onto the same "
             "window the forward pass read, unflipped (the flip appears only if you write dx as a full "
             "convolution)."),
    "db_mean": "db[k] is the sum of dout[:, :, k] over all output positions, not their mean.",
}
_GENERIC_HINTS = {
    "db": "the bias b[k] is added to every output of filter k, so db[k] = sum of dout[:, :, k].",
    "dw": ("dw[:, :, :, k] is the sum over output positions (i, j) of dout[i, j, k] times the window of the "
           "padded input that output (i, j) read."),
    "dx": ("each output (i, j, k) sends dout[i, j, k] * w[:, :, :, k] back onto the window it read, in a "
           "padded array, and the shares add up where windows overlap; then cut the padding off. (Fancy "
           "indexing, `dx_padded[rows, cols] += shares`, adds a repeated index only once: use `np.add.at`.)"),
}
_FANCY_INDEX_HINT = (" Vectorised, `dx_padded[rows, cols] += shares` acts like `=` where an index repeats: "
                     "use `np.add.at(dx_padded, (rows, cols), shares)`.")


def _shape_hint(grad: str, got: np.ndarray, x: np.ndarray, w: np.ndarray, padding: int) -> str:
    p = padding
    if grad == "dx" and got.shape == (x.shape[0] + 2 * p, x.shape[1] + 2 * p, x.shape[2]) and p:
        return (f"that is the shape of the padded input: cut the padding off, "
                f"`dx = dx_padded[{p}:{p}+H, {p}:{p}+W]` (padding {p}).")
    if grad == "dx":
        return "dx holds one gradient per input value: it has the shape of x, (H, W, C)."
    if grad == "dw":
        return "dw holds one gradient per weight: it has the shape of w, (F, F, C, K)."
    if got.size == w.shape[3]:
        return "db holds one number per filter: shape (K,), not (1, 1, K); sum dout over axes (0, 1)."
    return "db holds one number per filter: shape (K,), the sum of dout over its rows and columns (axes 0 and 1)."


def _judge_gradients(name: str, got: Any, want: Any, case: tuple, wrong: dict, i: int) -> None:
    """One case: a tuple of three arrays, the shapes of x, w and (K,), then db, dw, dx against the expected values."""
    label, _, x, w, _, padding = case
    reraise(got)
    if not isinstance(got, dict) or not all(isinstance(got.get(g), np.ndarray) for g in GRADIENTS):
        what = got.get("returned") if isinstance(got, dict) else None
        fail(name, label, f"expected a tuple (dx, dw, db) of three NumPy arrays, got {what or 'something else'}",
             "end with `return dx, dw, db`.")
    shapes = {"dx": x.shape, "dw": w.shape, "db": (w.shape[3],)}
    for grad in GRADIENTS:
        if got[grad].shape != shapes[grad]:
            fail(name, f"{label} — {grad}", f"expected shape {shapes[grad]}\ngot shape      {got[grad].shape}",
                 _shape_hint(grad, got[grad], x, w, padding))
    for grad in ("db", "dw", "dx"):
        value = got[grad]
        if not np.issubdtype(value.dtype, np.floating):
            fail(name, f"{label} — {grad}", f"expected a float array, got dtype {value.dtype}",
                 "gradients are real numbers: create them with `np.zeros(shape)` (float64).")
        hint = _GENERIC_HINTS[grad]
        for mistake, text in _MISTAKE_HINTS.items():
            if _is_mistake(value, _mistake(wrong, mistake, i, grad), want[grad], 1e-7, 1e-9):
                hint = text + (_FANCY_INDEX_HINT if mistake == "assign" and name == "conv2d_backward" else "")
                break
        expect_array(name, value, want[grad], case=f"{label} — {grad}, {_WITH_RESPECT_TO[grad]}",
                     rtol=1e-7, atol=1e-9, hint=hint)


def _collect_backward(name: str, func: Callable, suite: str) -> list:
    return [attempt(name, func, dout, x, w, stride, padding, case=case, to_data=_gradients)
            for case, dout, x, w, stride, padding in backward_cases(suite)]


def _judge_backward(name: str, got: Any, expected: dict) -> int:
    cases = backward_cases(expected["suite"])
    got = per_case(name, got, len(cases))
    for i, case in enumerate(cases):
        _judge_gradients(name, got[i], expected["expected"]["outputs"][i], case, expected["mistakes"], i)
    return len(cases)


def collect_conv2d_backward_loops(func: Callable, suite: str = "visible") -> dict:
    """``func(dout, x, w, stride, padding)`` on every case: {"outputs": [{"dx", "dw", "db"} or description, ...]}."""
    return {"outputs": _collect_backward("conv2d_backward_loops", func, suite)}


def judge_conv2d_backward_loops(data: dict, expected: dict) -> int:
    """Compare every case with the expected dx, dw, db; return the number of cases checked."""
    return _judge_backward("conv2d_backward_loops", data.get("outputs"), expected)


def conv2d_backward_loops(func: Callable, suite: str = "visible") -> None:
    """Check ``conv2d_backward_loops(dout, x, w, stride=1, padding=0) -> (dx, dw, db)``."""
    run_check("conv2d_backward_loops", __name__, suite, lambda: collect_conv2d_backward_loops(func, suite),
              judge_conv2d_backward_loops)


# The agreement case: larger than the others, with stride 2 and padding 1; random but fixed.
AGREEMENT_CASE = "a 12×11×3 input, five 3×3×3 filters, stride 2, padding 1, random dout"


def _agreement_inputs():
    rng = np.random.default_rng(2024)
    x, w = rng.normal(size=(12, 11, 3)), rng.normal(size=(3, 3, 3, 5))
    return rng.normal(size=(6, 6, 5)), x, w, 2, 1


def collect_conv2d_backward(func: Callable, loops: Callable | None = None, suite: str = "visible") -> dict:
    """The cases, the loop count and, when ``loops`` is written, both versions on a larger case."""
    name = "conv2d_backward"
    data = {"outputs": _collect_backward(name, func, suite), "loops": count_loops(func), "agreement": None}
    if loops is None:
        return data
    try:
        loops_outputs = _collect_backward("conv2d_backward_loops", loops, suite)
    except NotDoneError:  # the loop version is not written: nothing to agree with (its own check says so)
        return data
    args = _agreement_inputs()
    data["agreement"] = {"loops_outputs": loops_outputs,
                         "loops": attempt("conv2d_backward_loops", loops, *args, case=AGREEMENT_CASE, to_data=_gradients),
                         "vectorised": attempt(name, func, *args, case=AGREEMENT_CASE, to_data=_gradients)}
    return data


def judge_conv2d_backward(data: dict, expected: dict) -> int:
    """The cases, then no Python loop, then agreement with the student's loop version (when that one is right)."""
    name = "conv2d_backward"
    n = _judge_backward(name, data.get("outputs"), expected)
    loops = data.get("loops")
    if loops:
        fail(name, "loop count", f"expected no Python loop; your function has {loops} "
             "(for/while loops and comprehensions count).",
             "dw is one `np.tensordot` of the windows (`sliding_window_view(...)[::stride, ::stride]`) "
             "with dout; for dx, `np.tensordot(dout, w, axes=([2], [3]))` gives every window's share "
             "at once, and `np.add.at(dx_padded, (rows, cols), shares)` adds them where they belong, "
             "with rows and columns as broadcast index arrays i*stride + a and j*stride + b.")
    n += loops is not None
    agreement = data.get("agreement")
    if not isinstance(agreement, dict):
        return n
    try:  # compare only with a loop version that is itself right
        _judge_backward("conv2d_backward_loops", agreement.get("loops_outputs"), {**expected, "mistakes": {}})
    except CheckError:
        return n
    mine, theirs = agreement.get("vectorised"), agreement.get("loops")
    if isinstance(theirs, dict) and isinstance(theirs.get("raised"), str):
        return n  # the loop version crashes on the larger case: its own check reports it
    for what, got in (("conv2d_backward", mine), ("conv2d_backward_loops", theirs)):
        reraise(got)
        if not isinstance(got, dict) or not all(isinstance(got.get(g), np.ndarray) for g in GRADIENTS):
            what_came = got.get("returned") if isinstance(got, dict) else None
            fail(name, AGREEMENT_CASE, f"{what} returned {what_came or 'something else'}", "end with `return dx, dw, db`.")
    for grad in GRADIENTS:
        expect_array(name, mine[grad], theirs[grad],
                     case=f"{AGREEMENT_CASE} — {grad}, compared with your conv2d_backward_loops",
                     rtol=1e-7, atol=1e-9,
                     hint="both versions must give the same numbers; your loop version passed its check, "
                          "so look for a case the others miss: stride and padding together, "
                          "non-square outputs, several filters.")
    return n + 1


def conv2d_backward(func: Callable, loops: Callable | None = None, suite: str = "visible") -> None:
    """Check the vectorised ``conv2d_backward(dout, x, w, stride=1, padding=0)``; ``loops``: the loop version."""
    run_check("conv2d_backward", __name__, suite, lambda: collect_conv2d_backward(func, loops, suite),
              judge_conv2d_backward)


# --------------------------------------------------------------------------- numerical gradient


def collect_numerical_gradient(func: Callable, suite: str = "visible") -> dict:
    """``func(f, x, h)`` on every case (the functions are :data:`NUMERIC_FUNCTIONS`): {"outputs": [...]}."""
    name = "numerical_gradient"
    return {"outputs": [attempt(name, func, NUMERIC_FUNCTIONS[f], x, h, case=case)
                        for case, f, x, h in numeric_cases(suite)]}


def judge_numerical_gradient(data: dict, expected: dict) -> int:
    name = "numerical_gradient"
    cases = numeric_cases(expected["suite"])
    outputs = per_case(name, data.get("outputs"), len(cases))
    for i, (label, _, x, h) in enumerate(cases):
        got, want = outputs[i], expected["expected"]["outputs"][i]
        reraise(got)
        if not isinstance(got, np.ndarray):
            what = got.get("returned") if isinstance(got, dict) else None
            fail(name, label, f"expected a NumPy array of x's shape {x.shape}, got {what or 'something else'}",
                 "return an array `grad` with one partial derivative per element of x "
                 "(`grad = np.zeros(x.shape)`), and `return grad`.")
        if got.shape != x.shape:
            fail(name, label, f"expected shape {x.shape} (the shape of x)\ngot shape      {got.shape}",
                 "one partial derivative per element of x: loop over every index of x "
                 "(`for idx in np.ndindex(x.shape):`), whatever its number of axes.")
        hint = ("for each element x[idx]: evaluate f with x[idx] + h and with x[idx] - h (changing only that "
                "element), and store (f(x + h) - f(x - h)) / (2h) in grad[idx].")
        for mistake, text in (("forward", "that is a forward difference, (f(x + h) - f(x)) / h: use centred "
                               "differences, (f(x + h) - f(x - h)) / (2h), whose error shrinks like h² instead "
                               "of h."),
                              ("no_half", f"divide by 2h = {2 * h:g}: the two points x - h and x + h are 2h apart.")):
            if _is_mistake(got, _mistake(expected["mistakes"], mistake, i), want, 1e-6, 1e-8):
                hint = text
        if got.size > 1 and np.allclose(got, got.flat[0]) and not np.allclose(want, want.flat[0]):
            hint = ("every element got the same value: change one element at a time (`x[idx] += h`), "
                    "not the whole array (`x + h`).")
        expect_array(name, got.astype(np.float64), want, case=label, rtol=1e-6, atol=1e-8, hint=hint)
    return len(cases)


def numerical_gradient(func: Callable, suite: str = "visible") -> None:
    """Check ``numerical_gradient(f, x, h=1e-5) -> grad`` (centred differences, x's shape, x unchanged)."""
    run_check("numerical_gradient", __name__, suite, lambda: collect_numerical_gradient(func, suite),
              judge_numerical_gradient)


# --------------------------------------------------------------------------- relative error


def collect_relative_error(func: Callable, suite: str = "visible") -> dict:
    """``func(a, b)`` and ``func(b, a)`` on every pair: {"outputs": [{"ab": number, "ba": number}, ...]}."""
    name = "relative_error"
    return {"outputs": [{"ab": attempt(name, func, a, b, case=case, to_data=number),
                         "ba": attempt(name, func, b, a, case=case + ", a and b swapped", to_data=number)}
                        for case, a, b in relative_cases(suite)]}


def _one_number(name: str, label: str, got: Any) -> float:
    reraise(got)
    if isinstance(got, dict) and got.get("returned") == "None":
        fail(name, label, "your function returned None.", "did you forget the `return` statement?")
    if not isinstance(got, float):
        what = got.get("returned") if isinstance(got, dict) else None
        fail(name, label, f"expected a single number, got {what or 'something else'}",
             "the relative error of two arrays is one number: the largest element-wise error, `np.max(...)`.")
    return got


def judge_relative_error(data: dict, expected: dict) -> int:
    name = "relative_error"
    cases = relative_cases(expected["suite"])
    outputs = per_case(name, data.get("outputs"), len(cases))
    for i, (label, _, _) in enumerate(cases):
        record = outputs[i] if isinstance(outputs[i], dict) else {}
        got = _one_number(name, label, record.get("ab"))
        swapped = _one_number(name, label + ", a and b swapped", record.get("ba"))
        want = float(expected["expected"]["outputs"][i]["ab"])
        hint = "max over all elements of |a - b| / max(|a| + |b|, 1e-8)."
        if np.isnan(got):
            hint = ("where a and b are both 0 the denominator is 0: divide by `np.maximum(np.abs(a) + "
                    "np.abs(b), 1e-8)` so that it never is.")
        elif np.isinf(got):
            hint = "divide by |a| + |b|, not |a + b|: the latter is 0 when a = -b."
        elif got < 0:
            hint = "take the absolute value of the difference, |a - b|."
        else:
            for mistake, text in (("by_a", "divide by |a| + |b|, not by |a|: the error must not depend on "
                                   "which of the two comes first."),
                                  ("mean", "take the largest element-wise error (`np.max`), not the mean: "
                                   "one wrong element must show.")):
                if _is_mistake(got, _mistake(expected["mistakes"], mistake, i, "ab"), want, 1e-7, 1e-12):
                    hint = text
        if not np.isclose(got, want, rtol=1e-7, atol=1e-12):
            fail(name, label, f"expected {want:.6g}\ngot      {got:.6g}", hint)
        if not np.isclose(swapped, got, rtol=1e-12, atol=0):
            fail(name, label, f"relative_error(a, b) = {got:.6g} but relative_error(b, a) = {swapped:.6g}",
                 "divide by |a| + |b|, which is the same in both orders.")
    return 2 * len(cases)


def relative_error(func: Callable, suite: str = "visible") -> None:
    """Check ``relative_error(a, b) -> float``: max |a - b| / max(|a| + |b|, 1e-8), symmetric."""
    run_check("relative_error", __name__, suite, lambda: collect_relative_error(func, suite), judge_relative_error)
