"""Checks for notebook 5, "Learning the kernel": a convolution's backward pass and gradient checks.

Arrays follow notebook 2: one image ``x`` of shape (H, W, C), filters ``w`` of
shape (F, F, C, K), biases ``b`` of shape (K,), outputs (H_out, W_out, K).

Nothing here computes an answer. A check compares the student's results with
values stored in ``expected/learning_the_kernel.npz`` (made by the course staff
from their own solutions, together with the results of the usual mistakes, so
that a message can name the mistake), with properties (shapes, symmetry, no
Python loop), and with the student's own slower version (the vectorised
backward pass must agree with the loops).

Each check has two phases, so that a grader can run them in different
processes: ``collect_<exercise>(func)`` runs the student's function on the
fixed cases and returns plain data (arrays, numbers, strings), or raises the
CheckError of a crash in the student's code (with its traceback);
``judge_<exercise>(collected)`` compares that data with the expected values
and raises :class:`~cnnlab.checks.CheckError` with a hint on the first failure.
``<exercise>(func)`` does both and prints one line when everything passes.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import numpy as np

from .core import CheckError, _fmt, call, count_loops, expect_array, fail, passed

EXPECTED = Path(__file__).resolve().parent / "expected" / "learning_the_kernel.npz"
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


NUMERIC_FUNCTIONS = {f.__name__: f for f in (f_sum_of_squares, f_cubic, f_mixed)}


# --------------------------------------------------------------------------- stored values


@lru_cache(maxsize=1)
def _stored() -> dict[str, list[dict]]:
    """The stored cases, grouped: {"backward": [case, ...], "numeric": [...], "relative": [...]}."""
    groups: dict[str, dict[int, dict]] = {}
    with np.load(EXPECTED, allow_pickle=False) as data:
        for key in data.files:
            group, n, *rest = key.split("/")
            case = groups.setdefault(group, {}).setdefault(int(n), {})
            value = data[key]
            if value.dtype.kind == "U":
                value = str(value)
            node = case
            for part in rest[:-1]:
                node = node.setdefault(part, {})
            node[rest[-1]] = value
    return {group: [cases[n] for n in sorted(cases)] for group, cases in groups.items()}


def backward_cases() -> list[dict]:
    """The stored cases of the backward checks: x, w, dout, stride, padding and the expected dx, dw, db."""
    return _stored()["backward"]


# --------------------------------------------------------------------------- collected data


def _describe(value: Any) -> str:
    return f"{type(value).__name__}: {_fmt(value)}"


def _gradients(result: Any) -> dict:
    """A returned (dx, dw, db) as plain data, or a description of whatever came back instead."""
    if isinstance(result, (tuple, list)) and len(result) == 3:
        if all(isinstance(g, np.ndarray) for g in result):
            return dict(zip(GRADIENTS, result))
        bad = [n for n, g in zip(GRADIENTS, result) if not isinstance(g, np.ndarray)]
        return {"returned": f"a tuple whose {', '.join(bad)} is not a NumPy array "
                            f"({', '.join(_describe(g) for n, g in zip(GRADIENTS, result) if n in bad)})"}
    if isinstance(result, (tuple, list)):
        return {"returned": f"a {type(result).__name__} of {len(result)} values"}
    return {"returned": "None" if result is None else _describe(result)}


def _array_data(result: Any) -> Any:
    """A returned array as it is; anything else as a description."""
    if isinstance(result, np.ndarray):
        return result
    return {"returned": "None" if result is None else _describe(result)}


def _number_data(result: Any) -> Any:
    """A returned single number as a float; anything else as a description."""
    if result is None:
        return {"returned": "None"}
    arr = np.asarray(result)
    if arr.shape == () and np.issubdtype(arr.dtype, np.number):
        return float(arr)
    return {"returned": _describe(result)}


def _run(name: str, func: Callable, *args, case: str, to_data: Callable[[Any], Any]) -> Any:
    """Call the student's function (see :func:`~cnnlab.checks.core.call`); its result as plain data.

    An error in the student's code is raised at once, as a CheckError that keeps the student's
    traceback: the verdict is then already known, and a grader records that message.
    """
    return to_data(call(name, func, *args, case=case))


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


def _shape_hint(grad: str, got: np.ndarray, case: dict) -> str:
    x, w = case["x"], case["w"]
    p = int(case["padding"])
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


def _is_mistake(got, wrong, expected, rtol: float, atol: float) -> bool:
    """``got`` equals a stored wrong answer that differs from the right one (at the check's tolerance)."""
    wrong, expected = np.asarray(wrong), np.asarray(expected)
    return (not np.allclose(wrong, expected, rtol=rtol, atol=atol)) and np.shape(got) == wrong.shape \
        and bool(np.allclose(got, wrong, rtol=rtol, atol=atol))


_FANCY_INDEX_HINT = (" Vectorised, `dx_padded[rows, cols] += shares` acts like `=` where an index repeats: "
                     "use `np.add.at(dx_padded, (rows, cols), shares)`.")


def _value_hint(name: str, grad: str, got: np.ndarray, case: dict) -> str:
    expected = case[grad]
    for mistake, hint in _MISTAKE_HINTS.items():
        if _is_mistake(got, case["mistake"][mistake][grad], expected, 1e-7, 1e-9):
            return hint + (_FANCY_INDEX_HINT if mistake == "assign" and name == "conv2d_backward" else "")
    return _GENERIC_HINTS[grad]


def _judge_gradients(name: str, got: dict, case: dict) -> None:
    """One case: a tuple of three arrays, the shapes of x, w and (K,), then db, dw, dx against the stored values."""
    label = case["case"]
    if "returned" in got:
        fail(name, label, f"expected a tuple (dx, dw, db) of three NumPy arrays, got {got['returned']}",
             "end with `return dx, dw, db`.")
    shapes = {"dx": case["x"].shape, "dw": case["w"].shape, "db": (case["w"].shape[3],)}
    for grad in GRADIENTS:
        if got[grad].shape != shapes[grad]:
            fail(name, f"{label} — {grad}", f"expected shape {shapes[grad]}\ngot shape      {got[grad].shape}",
                 _shape_hint(grad, got[grad], case))
    for grad in ("db", "dw", "dx"):
        value = got[grad]
        if not np.issubdtype(value.dtype, np.floating):
            fail(name, f"{label} — {grad}", f"expected a float array, got dtype {value.dtype}",
                 "gradients are real numbers: create them with `np.zeros(shape)` (float64).")
        expect_array(name, value, case[grad], case=f"{label} — {grad}, {_WITH_RESPECT_TO[grad]}",
                     rtol=1e-7, atol=1e-9, hint=_value_hint(name, grad, value, case))


def collect_conv2d_backward_loops(func: Callable, name: str = "conv2d_backward_loops") -> dict:
    """Run ``func(dout, x, w, stride, padding)`` on every stored case; its results as plain data."""
    return {"name": name,
            "cases": [_run(name, func, c["dout"], c["x"], c["w"], int(c["stride"]), int(c["padding"]),
                           case=c["case"], to_data=_gradients) for c in backward_cases()]}


def judge_conv2d_backward_loops(collected: dict) -> int:
    """Compare every case with the stored dx, dw, db; return the number of checks passed."""
    for got, case in zip(collected["cases"], backward_cases()):
        _judge_gradients(collected["name"], got, case)
    return len(collected["cases"])


def conv2d_backward_loops(func: Callable) -> None:
    """Check ``conv2d_backward_loops(dout, x, w, stride=1, padding=0) -> (dx, dw, db)``."""
    passed("conv2d_backward_loops", judge_conv2d_backward_loops(collect_conv2d_backward_loops(func)))


# The agreement case: larger than the stored ones, with stride 2 and padding 1; random but fixed.
AGREEMENT_CASE = "a 12×11×3 input, five 3×3×3 filters, stride 2, padding 1, random dout"


def _agreement_inputs():
    rng = np.random.default_rng(2024)
    x, w = rng.normal(size=(12, 11, 3)), rng.normal(size=(3, 3, 3, 5))
    return rng.normal(size=(6, 6, 5)), x, w, 2, 1


def collect_conv2d_backward(func: Callable, loops: Callable | None = None) -> dict:
    """The stored cases, the loop count and, when ``loops`` is written, both versions on a larger case."""
    name = "conv2d_backward"
    collected = collect_conv2d_backward_loops(func, name)
    collected["loops"] = count_loops(func)
    collected["agreement"] = None
    if loops is None:
        return collected
    args = _agreement_inputs()
    try:
        loops_cases = collect_conv2d_backward_loops(loops)
        loops_result = _run("conv2d_backward_loops", loops, *args, case=AGREEMENT_CASE, to_data=_gradients)
    except CheckError:  # the loop version is not written or fails: nothing to agree with (its own check says why)
        return collected
    collected["agreement"] = {"loops_cases": loops_cases, "loops": loops_result,
                              "vectorised": _run(name, func, *args, case=AGREEMENT_CASE, to_data=_gradients)}
    return collected


def judge_conv2d_backward(collected: dict) -> int:
    """Stored cases, then no Python loop, then agreement with a correct loop version."""
    name = "conv2d_backward"
    n = judge_conv2d_backward_loops(collected)
    if collected["loops"] is not None:
        if collected["loops"]:
            fail(name, "loop count", f"expected no Python loop; your function has {collected['loops']} "
                 "(for/while loops and comprehensions count).",
                 "dw is one `np.tensordot` of the windows (`sliding_window_view(...)[::stride, ::stride]`) "
                 "with dout; for dx, `np.tensordot(dout, w, axes=([2], [3]))` gives every window's share "
                 "at once, and `np.add.at(dx_padded, (rows, cols), shares)` adds them where they belong, "
                 "with rows and columns as broadcast index arrays i*stride + a and j*stride + b.")
        n += 1
    agreement = collected["agreement"]
    if agreement is not None:
        try:  # compare only with a loop version that is itself right
            judge_conv2d_backward_loops(agreement["loops_cases"])
        except CheckError:
            return n
        mine, theirs = agreement["vectorised"], agreement["loops"]
        for what, got in (("conv2d_backward", mine), ("conv2d_backward_loops", theirs)):
            if "returned" in got:
                fail(name, AGREEMENT_CASE, f"{what} returned {got['returned']}", "end with `return dx, dw, db`.")
        for grad in GRADIENTS:
            expect_array(name, mine[grad], theirs[grad],
                         case=f"{AGREEMENT_CASE} — {grad}, compared with your conv2d_backward_loops",
                         rtol=1e-7, atol=1e-9,
                         hint="both versions must give the same numbers; your loop version passed its check, "
                              "so look for a case the stored ones miss: stride and padding together, "
                              "non-square outputs, several filters.")
        n += 1
    return n


def conv2d_backward(func: Callable, loops: Callable | None = None) -> None:
    """Check the vectorised ``conv2d_backward(dout, x, w, stride=1, padding=0)``; ``loops``: the loop version."""
    passed("conv2d_backward", judge_conv2d_backward(collect_conv2d_backward(func, loops)))


# --------------------------------------------------------------------------- numerical gradient


def collect_numerical_gradient(func: Callable) -> dict:
    """Run ``func(f, x, h)`` on every stored case (the functions are :data:`NUMERIC_FUNCTIONS`)."""
    name = "numerical_gradient"
    return {"cases": [_run(name, func, NUMERIC_FUNCTIONS[c["f"]], c["x"], float(c["h"]), case=c["case"],
                           to_data=_array_data) for c in _stored()["numeric"]]}


def judge_numerical_gradient(collected: dict) -> int:
    name = "numerical_gradient"
    cases = _stored()["numeric"]
    for got, case in zip(collected["cases"], cases):
        label = case["case"]
        expected, h = case["grad"], float(case["h"])
        if not isinstance(got, np.ndarray):
            fail(name, label, f"expected a NumPy array of x's shape {expected.shape}, got {got['returned']}",
                 "return an array `grad` with one partial derivative per element of x "
                 "(`grad = np.zeros(x.shape)`), and `return grad`.")
        if got.shape != expected.shape:
            fail(name, label, f"expected shape {expected.shape} (the shape of x)\ngot shape      {got.shape}",
                 "one partial derivative per element of x: loop over every index of x "
                 "(`for idx in np.ndindex(x.shape):`), whatever its number of axes.")
        hint = ("for each element x[idx]: evaluate f with x[idx] + h and with x[idx] - h (changing only that "
                "element), and store (f(x + h) - f(x - h)) / (2h) in grad[idx].")
        for mistake, text in (("forward", "that is a forward difference, (f(x + h) - f(x)) / h: use centred "
                               "differences, (f(x + h) - f(x - h)) / (2h), whose error shrinks like h² instead "
                               "of h."),
                              ("no_half", f"divide by 2h = {2 * h:g}: the two points x - h and x + h are 2h apart.")):
            if _is_mistake(got, case["mistake"][mistake], expected, 1e-6, 1e-8):
                hint = text
        if got.size > 1 and np.allclose(got, got.flat[0]) and not np.allclose(expected, expected.flat[0]):
            hint = ("every element got the same value: change one element at a time (`x[idx] += h`), "
                    "not the whole array (`x + h`).")
        expect_array(name, got.astype(np.float64) if np.issubdtype(got.dtype, np.number) else got, expected,
                     case=label, rtol=1e-6, atol=1e-8, hint=hint)
    return len(cases)


def numerical_gradient(func: Callable) -> None:
    """Check ``numerical_gradient(f, x, h=1e-5) -> grad`` (centred differences, x's shape, x unchanged)."""
    passed("numerical_gradient", judge_numerical_gradient(collect_numerical_gradient(func)))


# --------------------------------------------------------------------------- relative error


def collect_relative_error(func: Callable) -> dict:
    """Run ``func(a, b)`` and ``func(b, a)`` on every stored pair."""
    name = "relative_error"
    return {"cases": [{"ab": _run(name, func, c["a"], c["b"], case=c["case"], to_data=_number_data),
                       "ba": _run(name, func, c["b"], c["a"], case=c["case"] + ", a and b swapped",
                                  to_data=_number_data)}
                      for c in _stored()["relative"]]}


def _one_number(name: str, label: str, got: Any) -> float:
    if got == {"returned": "None"}:
        fail(name, label, "your function returned None.", "did you forget the `return` statement?")
    if isinstance(got, dict):
        fail(name, label, f"expected a single number, got {got['returned']}",
             "the relative error of two arrays is one number: the largest element-wise error, `np.max(...)`.")
    return got


def judge_relative_error(collected: dict) -> int:
    name = "relative_error"
    cases = _stored()["relative"]
    for record, case in zip(collected["cases"], cases):
        label = case["case"]
        got = _one_number(name, label, record["ab"])
        swapped = _one_number(name, label + ", a and b swapped", record["ba"])
        expected = float(case["error"])
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
                if _is_mistake(got, case["mistake"][mistake], expected, 1e-7, 1e-12):
                    hint = text
        if not np.isclose(got, expected, rtol=1e-7, atol=1e-12):
            fail(name, label, f"expected {expected:.6g}\ngot      {got:.6g}", hint)
        if not np.isclose(swapped, got, rtol=1e-12, atol=0):
            fail(name, label, f"relative_error(a, b) = {got:.6g} but relative_error(b, a) = {swapped:.6g}",
                 "divide by |a| + |b|, which is the same in both orders.")
    return 2 * len(cases)


def relative_error(func: Callable) -> None:
    """Check ``relative_error(a, b) -> float``: max |a - b| / max(|a| + |b|, 1e-8), symmetric."""
    passed("relative_error", judge_relative_error(collect_relative_error(func)))


# --------------------------------------------------------------------------- a property of every right answer


def expect_adjoint(name: str, backward: Callable, forward: Callable, x, w, stride: int = 1,
                   padding: int = 0, *, case: str, seed: int = 0) -> None:
    """The gradients of ``backward`` must satisfy the identities of a convolution's gradient.

    A convolution is linear in x (with w fixed), in w (with x fixed) and in b, so for any
    directions v, u, beta of the shapes of x, w, b:
    sum(dx * v) = sum(dout * forward(v, w, 0)), sum(dw * u) = sum(dout * forward(x, u, 0)) and
    sum(db * beta) = sum(dout * forward(0, 0, beta)). ``forward(x, w, b, stride, padding)`` is the
    notebook's forward pass; dout and the directions are random (``seed``), so each identity
    involves every element.
    """
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    rng = np.random.default_rng(seed)
    k = w.shape[3]
    zeros_b = np.zeros(k)
    dout = rng.normal(size=np.shape(forward(x, w, zeros_b, stride, padding)))
    got = _run(name, backward, dout, x, w, stride, padding, case=case, to_data=_gradients)
    if "returned" in got:
        fail(name, case, f"expected a tuple (dx, dw, db) of three NumPy arrays, got {got['returned']}",
             "end with `return dx, dw, db`.")
    directions = {"dx": rng.normal(size=x.shape), "dw": rng.normal(size=w.shape), "db": rng.normal(size=k)}
    outputs = {"dx": forward(directions["dx"], w, zeros_b, stride, padding),
               "dw": forward(x, directions["dw"], zeros_b, stride, padding),
               "db": forward(np.zeros(x.shape), np.zeros(w.shape), directions["db"], stride, padding)}
    for grad in ("db", "dw", "dx"):
        if got[grad].shape != directions[grad].shape:
            fail(name, f"{case} — {grad}", f"expected shape {directions[grad].shape}\ngot shape      "
                 f"{got[grad].shape}", _GENERIC_HINTS[grad])
        lhs, rhs = float(np.sum(got[grad] * directions[grad])), float(np.sum(dout * outputs[grad]))
        if not np.isclose(lhs, rhs, rtol=1e-7, atol=1e-9):
            fail(name, f"{case} — {grad}",
                 f"{grad} is wrong: for a random direction d, sum({grad} * d) should equal the change of the "
                 f"loss sum(dout * out) along d, {rhs:.6g}; yours gives {lhs:.6g}.", _GENERIC_HINTS[grad])
