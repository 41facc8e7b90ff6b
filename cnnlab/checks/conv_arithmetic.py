"""Checks for notebook 3: conv arithmetic (output sizes, SAME padding, parameters, receptive fields).

Every check runs the student's function on the lectures' own numbers first (the 7×7
input of lecture 001, the quiz of lecture 000, the MNIST network of lecture 002,
AlexNet from lecture 001). Nothing here computes an answer. Each exercise has three
parts (see :func:`cnnlab.checks.core.run_check`):

* ``collect_<exercise>(func, suite)`` runs the student's function on the suite's cases
  (``suite="hidden"``: the grader's own cases) and returns what came back, as plain data
  (numbers, lists, and for ``build_mnist_model`` what Keras reports about the model:
  each layer's output shape and ``count_params()``);
* ``judge_<exercise>(data, expected)`` compares that data with what the course's
  solutions give (stored in ``expected/conv_arithmetic.json`` for the visible cases;
  computed by the grader for the hidden ones) and raises
  :class:`~cnnlab.checks.CheckError` on the first wrong case;
* ``<exercise>(func)`` does both, for the self-check.

A hint names the mistake when the wrong value is one we recognise: a forgotten +1,
padding counted once instead of twice, ceil instead of floor, a forgotten bias, a
wrong input depth, … Either the wrong value equals what a stored usual mistake gives
on that case (``solutions/references/conv_arithmetic.py`` makes them, instructors
only), or it stands in a telltale relation to the expected value (one less: the
+1; the expected weights divided by the input depth: the depth left out).

``build_mnist_model`` is judged with Keras itself, an independent library the
exercise does not reimplement: each layer's output shape and ``count_params()``.
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from .core import NotDoneError, _fmt, attempt, expect_equal, fail, per_case_at, reraise, run_check

JUDGED = True  # the grader judges what these checks collect (cnnlab.grade.judge)
RULES: dict[str, tuple[str, ...]] = {}  # no exercise of notebook 3 restricts loops or libraries

# --------------------------------------------------------------------------- the lectures' numbers

#: Lecture 000's quiz: 10 filters on a 32×32×3 input, as (filters K, size F, stride S, padding P).
QUIZ_LAYERS = [(10, 5, 1, 0), (10, 5, 1, 2), (10, 3, 2, 1)]
#: The quiz's answers in the lecture (32×32×3 input): output volumes and parameters.
LECTURE_QUIZ_VOLUMES = [(28, 28, 10), (32, 32, 10), (16, 16, 10)]
LECTURE_QUIZ_PARAMS = [760, 760, 280]

#: Row names of the tables, as on the slides.
MNIST_ROWS = ["Conv 1", "MaxPool 1", "Conv 2", "MaxPool 2", "Flatten", "Dense", "Output"]
ALEXNET_ROWS = ["CONV1", "MAX POOL1", "CONV2", "MAX POOL2", "CONV3", "CONV4", "CONV5", "MAX POOL3",
                "FC6", "FC7", "FC8"]

# The networks as the exercises describe them (for the hints, which name a row's filter, stride, padding):
# ("conv", K, F, S, P), ("pool", F, S), ("flatten",), ("dense", units); None = n_classes.
MNIST_LAYERS = [("conv", 10, 5, 1, 0), ("pool", 2, 2), ("conv", 20, 5, 1, 0), ("pool", 2, 2),
                ("flatten",), ("dense", 100), ("dense", None)]
ALEXNET_LAYERS = [("conv", 96, 11, 4, 0), ("pool", 3, 2), ("conv", 256, 5, 1, 2), ("pool", 3, 2),
                  ("conv", 384, 3, 1, 1), ("conv", 384, 3, 1, 1), ("conv", 256, 3, 1, 1), ("pool", 3, 2),
                  ("dense", 4096), ("dense", 4096), ("dense", None)]

#: The tables as printed in the lectures (default arguments).
LECTURE_MNIST_TABLE = [((24, 24, 10), 260), ((12, 12, 10), 0), ((8, 8, 20), 5020), ((4, 4, 20), 0),
                       ((320,), 0), ((100,), 32100), ((10,), 1010)]
LECTURE_ALEXNET_TABLE = [((55, 55, 96), 34944), ((27, 27, 96), 0), ((27, 27, 256), 614656),
                         ((13, 13, 256), 0), ((13, 13, 384), 885120), ((13, 13, 384), 1327488),
                         ((13, 13, 256), 884992), ((6, 6, 256), 0), ((4096,), 37752832),
                         ((4096,), 16781312), ((1000,), 4097000)]

# --------------------------------------------------------------------------- results as plain data

_MAX_ITEMS = 64  # longer sequences are described, not copied (no table here has more than 11 rows)


def _plain(value: Any, depth: int = 0) -> Any:
    """What the student's function returned, as plain data: an int, a float, a list, or a description.

    Tuples and integer arrays become lists (the grader reads JSON); ``{"returned": "..."}``
    describes anything else (None, a string, a bool, …), with ``"length"`` for a long sequence.
    """
    if isinstance(value, (bool, np.bool_)):
        return {"returned": f"bool: {value!r}"}
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None:
        return {"returned": "None"}
    if isinstance(value, np.ndarray) and value.ndim and len(value) <= _MAX_ITEMS and value.dtype.kind in "iuf" \
            and depth < 4:
        return [_plain(v, depth + 1) for v in value]
    if isinstance(value, (list, tuple)) and len(value) <= _MAX_ITEMS and depth < 4:
        return [_plain(v, depth + 1) for v in value]
    described = {"returned": f"{type(value).__name__}: {_fmt(value)}"}
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim):
        described["length"] = len(value)
    return described


def _is_int(x: Any) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def _is_number(x: Any) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _shown(got: Any) -> str:
    """A collected value as the student would recognise it (lists shown as tuples where they are shapes)."""
    if isinstance(got, dict) and isinstance(got.get("returned"), str):
        return got["returned"]
    return repr(_volume(got)) if isinstance(got, list) else repr(got)


def _type_and_value(got: Any) -> str:
    if isinstance(got, dict) and isinstance(got.get("returned"), str):
        return got["returned"]
    return f"{type(got).__name__}: {got!r}"


def _volume(got: Any) -> Any:
    """A shape as a tuple of ints if it looks like one (a list of ints), else unchanged."""
    if isinstance(got, (list, tuple)) and all(_is_int(v) for v in got):
        return tuple(got)
    return got


def _equal(a: Any, b: Any) -> bool:
    """Equal plain data (numbers compared with a tolerance)."""
    if _is_number(a) and _is_number(b):
        return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def _at(data: Any, *path: Any) -> Any:
    """``data[path[0]][path[1]]…``, or None where it has no such item (stored mistakes may lack some)."""
    for key in path:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _mistakes(expected: dict, *path: Any) -> dict[str, Any]:
    """``{label: what that usual mistake gives}`` at ``path`` of the stored mistakes (visible cases only)."""
    found = expected.get("mistakes") if isinstance(expected, dict) else None
    return {label: _at(m, *path) for label, m in (found or {}).items()}


def _attempt(name: str, func: Callable, *args: Any, case: str = "", quiz: bool = False,
             to_data: Callable[[Any], Any] = _plain, **kwargs: Any) -> Any:
    """:func:`~cnnlab.checks.core.attempt`; for a quiz that uses an earlier function, says which is unwritten."""
    try:
        return attempt(name, func, *args, case=case, to_data=to_data, **kwargs)
    except NotDoneError as err:
        if not quiz:
            raise
        tb, culprit = err.__context__.__traceback__ if err.__context__ else None, None
        while tb is not None:  # the innermost frame is the function that raised NotImplementedError
            culprit, tb = tb.tb_frame.f_code.co_name, tb.tb_next
        if culprit and culprit != name and culprit.isidentifier():
            raise NotDoneError(f"{name} calls {culprit}, which is not written yet: finish {culprit} "
                               f"(and its check) first, then run this check again.") from None
        raise


def _expect_int(name: str, got: Any, expected: int, *, case: str, hint: str) -> None:
    """``got`` (collected) must be the int ``expected``."""
    reraise(got)
    if isinstance(got, dict) and got.get("returned") == "None":
        fail(name, case, "your function returned None.", "did you forget the `return` statement?")
    if not _is_int(got):
        if isinstance(got, float) and got.is_integer() and int(got) == expected:
            fail(name, case, f"expected the int {expected}, got the float {got!r}",
                 "a size or a count is a whole number: use `//` (floor division) rather than `/`, "
                 "or convert with int().")
        fail(name, case, f"expected the int {expected}, got {_type_and_value(got)}", hint)
    expect_equal(name, got, expected, case=case, hint=hint)


def _returned_none(got: Any) -> bool:
    return isinstance(got, dict) and got.get("returned") == "None"


# --------------------------------------------------------------------------- hints for common mistakes

FLOOR_HINT = ("Frameworks round DOWN: a window that would stick out past the (padded) input is dropped, "
              "so output = (n - f + 2·p) // s + 1 (Keras gives 2 for the lecture's 7, 3, stride 3).")

#: The usual output-size mistakes: label → (hint, is it a rounding mistake?). The stored mistakes
#: (solutions/references/conv_arithmetic.py) use these labels.
SIZE_MISTAKES = {
    "true_division": ("use floor division `//`: (n - f + 2·p) / s + 1 is not always a whole number "
                      "(the lecture's 2.33).", True),
    "ceil": ("you rounded up (ceil).", True),
    "round": ("round() goes to the nearest whole number.", True),
    "no_plus_one": ("you forgot the +1: the first window position counts too ((7 - 3) / 1 + 1 = 5).", False),
    "pad_once": ("padding is added on BOTH sides: use 2·p, not p.", False),
    "no_padding": ("you ignored the padding: the padded input is n + 2·p wide.", False),
    "no_stride": ("you ignored the stride: divide (n - f + 2·p) by s.", False),
    "minus_padding": ("padding makes the input bigger: + 2·p, not - 2·p.", False),
    "plus_filter": ("subtract the filter size: (n - f + 2·p).", False),
}
SAME_SIZE_HINT = "that is the SAME-padding output size ⌈n / s⌉; here the padding is p, as given."


def _size_labels(got: float, want: int, n: int, f: int, s: int, p: int) -> list[str]:
    """Mistakes recognisable from how ``got`` relates to the expected ``want`` (no stored mistake needed)."""
    labels = []
    if isinstance(got, float) and not got.is_integer() and math.floor(got) == want:
        labels.append("true_division")
    if s > 1 and got == want + 1:
        labels.append("ceil")
    if got == want - 1:
        labels.append("no_plus_one")
    if s == 1 and p and got == want - p:  # at stride 1 nothing is rounded: each padding pixel is one output
        labels.append("pad_once")
    if s == 1 and p and got == want - 2 * p:
        labels.append("no_padding")
    if s > 1 and _is_int(got) and got != want and (got - 1) // s == want - 1:
        labels.append("no_stride")  # (n - f + 2·p) + 1 where (n - f + 2·p) // s + 1 was due
    if s > 1 and p and got < want:  # past a stride the floor hides how much padding went missing
        labels += [label for label in ("pad_once", "no_padding") if label not in labels]
    return labels


def _size_hint(got: Any, want: int, n: int, f: int, s: int, p: int, wrong: dict[str, Any]) -> str:
    """Name the mistake that gives ``got`` where ``want`` was due, if we recognise it.

    ``wrong``: {label: what that usual mistake gives on this case} (stored; may be empty).
    """
    if not _is_number(got):
        return "the output size is one whole number: (n - f + 2·p) // s + 1."
    matches = [label for label in SIZE_MISTAKES if _is_number(wrong.get(label))
               and not _equal(wrong[label], want) and _equal(got, wrong[label])]
    for label in _size_labels(got, want, n, f, s, p):
        if label not in matches:
            matches.append(label)
    if matches:  # e.g. with p = 1 and s = 1 a forgotten +1 and padding counted once give the same number
        text = " Or: ".join(SIZE_MISTAKES[label][0] for label in matches[:2])
        return text + (" " + FLOOR_HINT if any(SIZE_MISTAKES[label][1] for label in matches[:2]) else "")
    if _is_number(wrong.get("same_size")) and _equal(got, wrong["same_size"]) and not _equal(got, want):
        return SAME_SIZE_HINT
    return "output = (n - f + 2·p) // s + 1, e.g. (32 - 5 + 2·0) // 1 + 1 = 28."


def _param_hint(got: Any, want: int, f: int, c_in: int, k: int, bias: bool = True) -> str:
    """Name the mistake behind a wrong parameter count, from how it relates to the expected ``want``."""
    b = k if bias else 0
    weights = want - b                      # F·F·C_in·K
    candidates = [
        (bias and weights, "you forgot the biases: one per filter, + K (the lecture's 5·5·3 + 1 = 76 per filter)."),
        (bias and weights + 1, "each filter has its own bias: + K biases, not + 1."),
        (not bias and weights + k, "bias=False: the layer has no biases, only F·F·C_in·K weights."),
        (weights // c_in + k, "you left out the input depth: each filter spans all C_in input channels "
                              "(a 5×5 filter on a 32×32×3 input is 5×5×3)."),
        (weights // c_in, "you left out the input depth: each filter spans all C_in input channels."),
        (weights + c_in * k, "the bias belongs to the filter, not to each input channel: (F·F·C_in + 1)·K."),
        (weights // f + b, "a filter is F×F: square the filter size (F·F·C_in)."),
        (weights // k + b, "there are K filters: multiply the weights of one filter by K."),
        (weights // k + 1, "that is one filter; the layer has K of them: × K."),
    ]
    for value, hint in candidates:
        if value is not False and value != want and got == value:
            return hint
    return "parameters = (F·F·C_in + 1)·K with a bias, F·F·C_in·K without; e.g. (5·5·3 + 1)·10 = 760."


# --------------------------------------------------------------------------- 1. output size


def output_size_cases(suite: str = "visible") -> list[tuple[str, tuple, dict]]:
    """(case, positional arguments, keyword arguments) of ``conv_output_size``; the lectures' numbers first."""
    if suite == "hidden":
        return [(f"hidden: n={n}, f={f}, stride={s}, padding={p}", (n, f), {"stride": s, "padding": p})
                for n, f, s, p in [(224, 11, 4, 0), (27, 3, 2, 0), (10, 4, 3, 1), (100, 7, 2, 3), (8, 2, 3, 0),
                                   (1, 1, 1, 0), (13, 3, 2, 1), (6, 5, 5, 2), (9, 3, 1, 2)]]
    lectures = [
        (7, 3, 1, 0, "lecture 001: 7×7 input, 3×3 filter, stride 1 → 5"),
        (7, 3, 2, 0, "lecture 001: 7×7 input, 3×3 filter, stride 2 → 3"),
        (7, 3, 3, 0, "lecture 001: 7×7 input, 3×3 filter, stride 3 → (7 - 3)/3 + 1 = 2.33"),
        (7, 3, 4, 0, "lecture 001: 7×7 input, 3×3 filter, stride 4 → 2"),
        (7, 3, 1, 1, "lecture 001: 7×7 input, 3×3 filter, stride 1, pad 1 → 7"),
        (32, 5, 1, 0, "lecture 000 quiz 1: 32×32 input, 5×5 filter, stride 1, pad 0"),
        (32, 5, 1, 2, "lecture 000 quiz 2: 32×32 input, 5×5 filter, stride 1, pad 2"),
        (32, 3, 2, 1, "lecture 000 quiz 3: 32×32 input, 3×3 filter, stride 2, pad 1"),
        (28, 5, 1, 0, "lecture 002: MNIST 28×28, 5×5 filter"),
        (5, 4, 1, 2, "lecture 002: 5×5 input, 4×4 filter, 2 zero padding → 6"),
        (227, 11, 4, 0, "lecture 001: AlexNet CONV1, 227×227, 11×11 filter, stride 4"),
        (3, 3, 1, 0, "a 3×3 filter on a 3×3 input (one position)"),
        (3, 5, 1, 1, "a 5×5 filter on a 3×3 input padded by 1: it fits, once"),
    ]
    return ([(case, (n, f), {"stride": s, "padding": p}) for n, f, s, p, case in lectures]
            + [("defaults: conv_output_size(7, 3) means stride 1, no padding", (7, 3), {})])


def too_small_cases(suite: str = "visible") -> list[tuple[int, int, int, int]]:
    """(n, f, stride, padding) where the filter does not fit in the padded input."""
    return [(4, 9, 1, 2), (1, 2, 1, 0)] if suite == "hidden" else [(5, 7, 1, 0), (3, 5, 2, 0)]


def _outcome(name: str, func: Callable, *args: Any, **kwargs: Any) -> dict:
    """What ``func(*args, **kwargs)`` did, as data: {"outcome": "ValueError" | "raised" | "returned", ...}."""
    if not callable(func):
        fail(name, "is it defined?", f"expected a function, got {type(func).__name__}",
             f"pass the function itself, `check.{name}({name})`, not the result of calling it.")
    try:
        got = func(*args, **kwargs)
    except ValueError:
        return {"outcome": "ValueError"}
    except NotImplementedError:
        raise NotDoneError(f"{name} is not written yet: replace `raise NotImplementedError()` in its cell "
                           f"with your code, run that cell, then run this check again.") from None
    except Exception as err:
        return {"outcome": "raised", "error": f"{type(err).__name__}: {err}"}
    return {"outcome": "returned", "value": _plain(got)}


def collect_conv_output_size(func: Callable, suite: str = "visible") -> dict:
    """{"sizes": [what ``func`` returned per case], "too_small": [what it did where the filter does not fit]}."""
    name = "conv_output_size"
    sizes = [_attempt(name, func, *args, case=case, **kwargs) for case, args, kwargs in output_size_cases(suite)]
    too_small = [_outcome(name, func, n, f, stride=s, padding=p) for n, f, s, p in too_small_cases(suite)]
    return {"sizes": sizes, "too_small": too_small}


def judge_conv_output_size(data: dict, expected: dict) -> int:
    name, suite = "conv_output_size", expected["suite"]
    cases, small = output_size_cases(suite), too_small_cases(suite)
    got_sizes = per_case_at(name, data, "sizes", len(cases))
    got_small = per_case_at(name, data, "too_small", len(small))
    want = expected["expected"]
    for i, (case, args, kwargs) in enumerate(cases):
        n, f = args
        s, p = kwargs.get("stride", 1), kwargs.get("padding", 0)
        hint = (_size_hint(got_sizes[i], want["sizes"][i], n, f, s, p, _mistakes(expected, "sizes", i))
                if kwargs else "give stride and padding the defaults 1 and 0.")
        _expect_int(name, got_sizes[i], want["sizes"][i], case=case, hint=hint)
    for (n, f, s, p), got, expect in zip(small, got_small, want["too_small"]):
        case = f"a {f}×{f} filter on a {n}×{n} input with padding {p} does not fit"
        case = f"hidden: {case}" if suite == "hidden" else case
        if not isinstance(got, dict):
            fail(name, case, "the check did not get your function's result.", "run the check cell again, unchanged.")
        if got.get("outcome") == expect.get("outcome") == "ValueError":
            continue
        if got.get("outcome") == "raised":
            fail(name, case, f"raised {got.get('error')}",
                 "raise ValueError (with a message that says the filter is larger than the padded input).")
        fail(name, case, f"expected ValueError, got {_shown(got.get('value'))}",
             "when n + 2·p < f there is no valid position: raise ValueError, as Keras does when it builds a layer "
             "(\"Computed output size would be zero or negative\"), instead of returning a size ≤ 0.")
    return len(cases) + len(small)


def conv_output_size(func: Callable, suite: str = "visible") -> None:
    """Check ``conv_output_size(n, f, stride=1, padding=0) -> int`` (floor, ValueError if the filter does not fit)."""
    run_check("conv_output_size", __name__, suite, lambda: collect_conv_output_size(func, suite),
              judge_conv_output_size)


# --------------------------------------------------------------------------- 2. SAME padding


def same_padding_cases(suite: str = "visible") -> list[tuple[str, int, int, int]]:
    """(case, n, f, stride)."""
    if suite == "hidden":
        return [(f"hidden: n={n}, f={f}, stride={s}", n, f, s)
                for n, f, s in [(13, 3, 2), (10, 4, 3), (9, 2, 4), (5, 1, 3), (64, 7, 2), (1, 3, 1), (100, 6, 1),
                                (15, 2, 2)]]
    return [(case, n, f, s) for n, f, s, case in [
        (7, 3, 1, "7×7 input, 3×3 filter, stride 1: (F - 1)/2 = 1 pixel on each side"),
        (32, 5, 1, "32×32 input, 5×5 filter, stride 1: 2 on each side, as in the lecture's pad 2"),
        (28, 4, 1, "an even 4×4 filter: 3 pixels in total, the odd one at the end"),
        (32, 3, 2, "32×32 input, 3×3 filter, stride 2: ⌈32/2⌉ = 16 outputs need only 1 pixel"),
        (7, 3, 3, "7×7 input, 3×3 filter, stride 3: ⌈7/3⌉ = 3 outputs"),
        (227, 11, 4, "AlexNet CONV1 with padding='same': 227×227, 11×11, stride 4"),
        (224, 11, 4, "224×224 input, 11×11 filter, stride 4: an odd total"),
        (6, 1, 2, "1×1 filter with stride 2: no padding needed at all"),
    ]]


SAME_MISTAKES = {
    "floor_outputs": "the SAME output size is ⌈n / S⌉ (round UP, `-(-n // s)` or math.ceil), not n // S.",
}


def _same_hint(got: tuple, want: tuple, f: int, wrong: dict[str, Any]) -> str:
    total, start, end = want
    g_total, g_start, g_end = got
    if g_total == total and g_start == g_end == -(-total // 2) and total % 2:
        return ("split the total: pad_start = total // 2, pad_end = total - pad_start (when the total is odd "
                "they differ by one, the extra pixel at the end; rounding both up pads one pixel too many).")
    if g_start + g_end != g_total:
        return "pad_start + pad_end must add up to pad_total."
    if (g_total, g_start, g_end) == (total, end, start):
        return ("TensorFlow puts the extra pixel of an odd total at the END (bottom/right): "
                "pad_start = pad_total // 2, pad_end = pad_total - pad_start.")
    if g_total < 0:
        return "clamp at zero: when the stride is bigger than the filter no padding is needed, max(..., 0)."
    if g_total == f - 1 and total != f - 1:
        return ("(F - 1) in total is right only for stride 1. SAME keeps ⌈n/S⌉ outputs: "
                "pad_total = max((⌈n/S⌉ - 1)·S + F - n, 0).")
    for label, hint in SAME_MISTAKES.items():
        value = wrong.get(label)
        if isinstance(value, list) and value and _equal(value[0], g_total) and not _equal(value[0], total):
            return hint
    return "pad_total = max((⌈n/S⌉ - 1)·S + F - n, 0); pad_start = pad_total // 2; pad_end = the rest."


def collect_same_padding(func: Callable, suite: str = "visible") -> dict:
    """{"paddings": [what ``func`` returned per case]}."""
    return {"paddings": [_attempt("same_padding", func, n, f, s, case=case)
                         for case, n, f, s in same_padding_cases(suite)]}


def judge_same_padding(data: dict, expected: dict) -> int:
    name = "same_padding"
    cases = same_padding_cases(expected["suite"])
    got_all = per_case_at(name, data, "paddings", len(cases))
    for i, (case, n, f, s) in enumerate(cases):
        got = got_all[i]
        reraise(got)
        if _returned_none(got):
            fail(name, case, "your function returned None.", "did you forget the `return` statement?")
        if not isinstance(got, list) or len(got) != 3:
            fail(name, case, f"expected a tuple (pad_total, pad_start, pad_end), got {_shown(got)}",
                 "return three whole numbers: `return total, start, end`.")
        if not all(_is_int(v) for v in got):
            fail(name, case, f"expected three ints, got {tuple(got)!r}",
                 "paddings are whole numbers of pixels: use `//`, math.ceil or int().")
        want = tuple(expected["expected"]["paddings"][i])
        expect_equal(name, tuple(got), want, case=case,
                     hint=_same_hint(tuple(got), want, f, _mistakes(expected, "paddings", i)))
    return len(cases)


def same_padding(func: Callable, suite: str = "visible") -> None:
    """Check ``same_padding(n, f, stride) -> (pad_total, pad_start, pad_end)``: TensorFlow's SAME rule."""
    run_check("same_padding", __name__, suite, lambda: collect_same_padding(func, suite), judge_same_padding)


# --------------------------------------------------------------------------- shapes of layers (quiz and tables)


def _row_info(layer: tuple, previous: tuple, shape: tuple) -> dict:
    """What a hint needs about one layer: its kind, input shape, filter, stride, padding, units."""
    kind = layer[0]
    row = {"kind": kind, "in": previous}
    if kind == "conv":
        _, k, f, s, p = layer
        row.update(k=k, f=f, s=s, p=p, c_in=previous[-1])
    elif kind == "pool":
        _, f, s = layer
        row.update(f=f, s=s, p=0, k=previous[-1], c_in=previous[-1])
    elif kind == "dense":
        row.update(k=shape[0] if shape else layer[1], n_in=int(np.prod(previous)))
    return row


def _rows_info(layers: Sequence[tuple], input_shape: tuple, shapes: Sequence[tuple]) -> list[dict]:
    """One :func:`_row_info` per layer; each layer's input is the previous layer's expected output."""
    rows, previous = [], tuple(input_shape)
    for layer, shape in zip(layers, shapes):
        rows.append(_row_info(layer, previous, shape))
        previous = shape
    return rows


def _shape_hint(got: Any, expected: tuple, row: dict, wrong: Sequence[dict] = ({}, {})) -> str:
    """Why a layer's output shape is wrong: its length, depth, or spatial size (with the size hint).

    ``wrong``: per spatial axis, {label: the size that usual mistake gives} (stored; may be empty).
    """
    if not isinstance(got, tuple):
        return f"give the shape as a tuple of ints, like {expected!r}."
    if len(got) != len(expected) or len(expected) == 1:
        if row["kind"] == "flatten":
            return "Flatten turns an H×W×C volume into a vector of H·W·C numbers (4·4·20 = 320): (320,)."
        if len(expected) == 1 and len(row["in"]) == 3:
            return (f"this Dense layer first flattens the {'×'.join(map(str, row['in']))} volume; "
                    f"its output is one number per unit: ({row['k']},).")
        if len(expected) == 1:
            return f"a Dense layer outputs one number per unit: ({row['k']},)."
        return "a conv or pooling layer outputs a volume (H, W, C)."
    _, _, c_in = row["in"]
    if got[2] != expected[2]:
        if row["kind"] == "conv" and got[2] == c_in:
            return "the output depth of a conv layer is the number of filters K, not the input depth."
        if row["kind"] == "pool":
            return "pooling works on each channel separately: the depth stays the same."
        return "the output depth of a conv layer is the number of filters K."
    if got[:2] == expected[1::-1] and got[0] != got[1]:
        return "height and width are swapped: (H, W, C)."
    for axis in (0, 1):
        if got[axis] != expected[axis]:
            return _size_hint(got[axis], expected[axis], row["in"][axis], row["f"], row["s"], row["p"],
                              wrong[axis] if axis < len(wrong) else {})
    return "apply the output-size formula to height and width separately."


def _row_param_hint(got: Any, want: int, row: dict) -> str:
    if row["kind"] in ("pool", "flatten"):
        return f"a {'pooling' if row['kind'] == 'pool' else 'Flatten'} layer has nothing to learn: 0 parameters."
    k = row["k"]
    if row["kind"] == "conv":
        f, c_in = row["f"], row["c_in"]
        per_channel = (want - k) // c_in  # F·F·K: the weights of filters one channel deep
        hint = _param_hint(got, want, f, c_in, k)
        if got == want - k and (f, k) == (11, 96):
            hint = ("you forgot the biases. The lecture's 35K is the weights only, (11·11·3)·96 = 34,848; "
                    "the layer also has 96 biases, which Keras counts: 34,944.")
        if got != want and got in (per_channel + k, 3 * per_channel + k):
            hint = (f"this layer's input has depth {c_in} (the previous layer's output), "
                    f"so each filter is {f}×{f}×{c_in}.")
        return hint
    n_in = row["n_in"]
    if got == n_in * k:
        return f"you forgot the biases: ({n_in} + 1)·{k}, one bias per unit."
    if got == (n_in + 1) * 100 and k != 100:
        return (f"this layer has {k} units: ({n_in} + 1)·{k}. (The MNIST slide writes (100 + 1) × 100 "
                "for the last layer: a typo, the output layer has 10 units.)")
    if _is_int(got) and k and got % k == 0 and got // k - 1 != n_in:
        return (f"a Dense layer connects every one of its {n_in} inputs (the flattened previous output) "
                f"to each of its {k} units: ({n_in} + 1)·{k}.")
    return f"a Dense layer has (inputs + 1)·units parameters: ({n_in} + 1)·{k}."


def _axis_mistakes(wrong: dict[str, Any], *path: Any) -> list[dict]:
    """Per spatial axis, {label: that mistake's size} from stored mistakes holding shapes at ``path``."""
    return [{label: _at(value, *path, axis) for label, value in wrong.items()} for axis in (0, 1)]


# --------------------------------------------------------------------------- 3. quiz: output volumes


def quiz_cases(suite: str = "visible") -> list[tuple[str, tuple, tuple, bool]]:
    """(case, positional arguments, input shape, whether the lecture's answers would be wrong here)."""
    if suite == "hidden":
        return [(f"hidden: {what}", (shape,), shape, True) for shape, what in [
            ((227, 227, 3), "a 227×227×3 input"), ((15, 9, 7), "a 15×9×7 input"),
            ((64, 64, 1), "a 64×64×1 input"),
            ((64, 64, 16), "a 64×64×16 input")]]
    return [("default input_shape (the lecture's 32×32×3)", (), (32, 32, 3), False),
            ("lecture 000's quiz on a 32×32×3 input", ((32, 32, 3),), (32, 32, 3), False),
            ("the same three layers on a 28×20×1 input", ((28, 20, 1),), (28, 20, 1), True)]


def collect_quiz_output_volumes(func: Callable, suite: str = "visible") -> dict:
    """{"volumes": [what ``func`` returned per input shape]}."""
    return {"volumes": [_attempt("quiz_output_volumes", func, *args, case=case, quiz=True)
                        for case, args, _, _ in quiz_cases(suite)]}


def judge_quiz_output_volumes(data: dict, expected: dict) -> int:
    name = "quiz_output_volumes"
    cases = quiz_cases(expected["suite"])
    got_all = per_case_at(name, data, "volumes", len(cases))
    for i, (case, _, input_shape, other_than_lecture) in enumerate(cases):
        got = got_all[i]
        reraise(got)
        want = [tuple(v) for v in expected["expected"]["volumes"][i]]
        if _returned_none(got):
            fail(name, case, "your function returned None.", "did you forget the `return` statement?")
        if not isinstance(got, list) or len(got) != 3:
            fail(name, case, f"expected a list of three (H, W, C) tuples, got {_shown(got)}",
                 "one output volume per quiz case: `return [case1, case2, case3]`.")
        volumes = [_volume(g) for g in got]
        if other_than_lecture and volumes == LECTURE_QUIZ_VOLUMES != want:
            fail(name, case, f"expected {want}\ngot      {volumes}",
                 "those are the lecture's numbers: compute the answers from input_shape with conv_output_size.")
        wrong = _mistakes(expected, "volumes", i)
        for j, (shape, expect) in enumerate(zip(volumes, want)):
            if shape != expect:
                k, f, s, p = QUIZ_LAYERS[j]
                row = _row_info(("conv", k, f, s, p), tuple(input_shape), expect)
                fail(name, f"{case}, case {j + 1} ({k} {f}×{f} filters, stride {s}, pad {p})",
                     f"expected {expect!r}\ngot      {shape!r}",
                     _shape_hint(shape, expect, row, _axis_mistakes(wrong, j)))
    return len(cases)


def quiz_output_volumes(func: Callable, suite: str = "visible") -> None:
    """Check ``quiz_output_volumes(input_shape=(32, 32, 3)) -> [(H, W, C)] * 3`` (lecture 000's quiz)."""
    run_check("quiz_output_volumes", __name__, suite, lambda: collect_quiz_output_volumes(func, suite),
              judge_quiz_output_volumes)


# --------------------------------------------------------------------------- 4. parameters


def param_cases(suite: str = "visible") -> list[tuple[str, tuple, dict]]:
    """(case, (f, c_in, k), keyword arguments) of ``conv_param_count``."""
    if suite == "hidden":
        return [(f"hidden: f={f}, c_in={c}, k={k}, bias={b}", (f, c, k), {"bias": b})
                for f, c, k, b in [(3, 256, 384, True), (7, 3, 64, False), (3, 512, 512, True), (2, 5, 1, True),
                                   (1, 1, 1, False), (4, 6, 8, True)]]
    return [("default bias=True: conv_param_count(5, 3, 10)", (5, 3, 10), {})] + [
        (case, (f, c, k), {"bias": b}) for f, c, k, b, case in [
            (5, 3, 10, True, "lecture 001: ten 5×5 filters on a 32×32×3 input → 760"),
            (5, 1, 10, True, "lecture 002: ten 5×5 filters on MNIST (28×28×1) → 260"),
            (5, 10, 20, True, "lecture 002: twenty 5×5 filters on a 12×12×10 input"),
            (11, 3, 96, False, "lecture 001: AlexNet CONV1 weights only (11×11×3)×96 ≈ 35K"),
            (11, 3, 96, True, "AlexNet CONV1 with its 96 biases"),
            (1, 64, 32, True, "a 1×1 convolution from 64 to 32 channels"),
        ]]


def collect_conv_param_count(func: Callable, suite: str = "visible") -> dict:
    """{"counts": [what ``func`` returned per case]}."""
    return {"counts": [_attempt("conv_param_count", func, *args, case=case, **kwargs)
                       for case, args, kwargs in param_cases(suite)]}


def judge_conv_param_count(data: dict, expected: dict) -> int:
    name = "conv_param_count"
    cases = param_cases(expected["suite"])
    got_all = per_case_at(name, data, "counts", len(cases))
    for i, (case, (f, c_in, k), kwargs) in enumerate(cases):
        want = expected["expected"]["counts"][i]
        _expect_int(name, got_all[i], want, case=case,
                    hint=_param_hint(got_all[i], want, f, c_in, k, kwargs.get("bias", True)))
    return len(cases)


def conv_param_count(func: Callable, suite: str = "visible") -> None:
    """Check ``conv_param_count(f, c_in, k, bias=True) -> int``."""
    run_check("conv_param_count", __name__, suite, lambda: collect_conv_param_count(func, suite),
              judge_conv_param_count)


def param_quiz_cases(suite: str = "visible") -> list[tuple[str, tuple, tuple, bool]]:
    """(case, positional arguments, input shape, whether the lecture's answers would be wrong here)."""
    if suite == "hidden":
        return [(f"hidden: {what}", (shape,), shape, True) for shape, what in [
            ((64, 64, 16), "a 64×64×16 input"), ((7, 7, 2), "a 7×7×2 input"),
            ((227, 227, 3), "a 227×227×3 input")]]
    return [("default input_shape (the lecture's 32×32×3)", (), (32, 32, 3), False),
            ("lecture 000's quiz layers on 32×32×3 (case 2 is lecture 001's 760)", ((32, 32, 3),), (32, 32, 3),
             False),
            ("the same three layers on a 28×20×1 input", ((28, 20, 1),), (28, 20, 1), True)]


def collect_quiz_layer_params(func: Callable, suite: str = "visible") -> dict:
    """{"counts": [what ``func`` returned per input shape]}."""
    return {"counts": [_attempt("quiz_layer_params", func, *args, case=case, quiz=True)
                       for case, args, _, _ in param_quiz_cases(suite)]}


def judge_quiz_layer_params(data: dict, expected: dict) -> int:
    name = "quiz_layer_params"
    cases = param_quiz_cases(expected["suite"])
    got_all = per_case_at(name, data, "counts", len(cases))
    for i, (case, _, input_shape, other_than_lecture) in enumerate(cases):
        got = got_all[i]
        reraise(got)
        want = expected["expected"]["counts"][i]
        if _returned_none(got):
            fail(name, case, "your function returned None.", "did you forget the `return` statement?")
        if not isinstance(got, list) or len(got) != 3:
            fail(name, case, f"expected a list of three parameter counts, got {_shown(got)}",
                 "one count per quiz case: `return [p1, p2, p3]`.")
        if other_than_lecture and got == LECTURE_QUIZ_PARAMS != want:
            fail(name, case, f"expected {want}\ngot      {got}",
                 "those are the lecture's numbers: use the depth of input_shape (with conv_param_count).")
        for j, g in enumerate(got):
            k, f, s, p = QUIZ_LAYERS[j]
            where = f"{case}, case {j + 1} ({k} {f}×{f} filters, stride {s}, pad {p})"
            hint = _param_hint(g, want[j], f, input_shape[2], k)
            if _is_int(g) and g != want[j] and want[j] and g % want[j] == 0 and g // want[j] > 1:
                hint = ("that counts every output position separately: a conv layer SHARES its filters "
                        "over all positions, so the count does not depend on H, W, stride or padding.")
            elif j == 2 and g == want[1] != want[2]:  # the 5×5 count of case 2, on the same input
                hint = "case 3 uses 3×3 filters."
            _expect_int(name, g, want[j], case=where, hint=hint)
    return len(cases)


def quiz_layer_params(func: Callable, suite: str = "visible") -> None:
    """Check ``quiz_layer_params(input_shape=(32, 32, 3)) -> [int] * 3``: parameters of the quiz's layers."""
    run_check("quiz_layer_params", __name__, suite, lambda: collect_quiz_layer_params(func, suite),
              judge_quiz_layer_params)


# --------------------------------------------------------------------------- 5./6. the network tables


def mnist_cases(suite: str = "visible") -> list[tuple[str, tuple, tuple, bool]]:
    """(case, positional arguments, input shape, whether the lecture's table would be wrong here)."""
    if suite == "hidden":
        return [(f"hidden: {what}", (shape, classes), shape, True) for shape, classes, what in [
            ((30, 30, 1), 5, "a 30×30×1 input, 5 classes"), ((64, 48, 3), 26, "a 64×48×3 input, 26 classes"),
            ((40, 36, 2), 7, "a 40×36×2 input, 7 classes")]]
    return [("default arguments (28×28×1, 10 classes)", (), (28, 28, 1), False),
            ("lecture 002's MNIST network, 28×28×1 → 10", ((28, 28, 1), 10), (28, 28, 1), False),
            ("the same network on 32×32×3 colour images", ((32, 32, 3), 10), (32, 32, 3), True)]


def alexnet_cases(suite: str = "visible") -> list[tuple[str, tuple, tuple, bool]]:
    """(case, positional arguments, input shape, whether the lecture's table would be wrong here)."""
    if suite == "hidden":
        return [(f"hidden: {what}", (shape, classes), shape, True) for shape, classes, what in [
            ((259, 259, 3), 1000, "a 259×259×3 input"), ((227, 227, 1), 10, "grayscale 227×227, 10 classes"),
            ((195, 211, 3), 100, "a 195×211×3 input, 100 classes")]]
    return [("default arguments (227×227×3, 1000 classes)", (), (227, 227, 3), False),
            ("lecture 001's AlexNet, 227×227×3 → 1000", ((227, 227, 3), 1000), (227, 227, 3), False),
            ("the 224×224 of the AlexNet paper (watch the floors)", ((224, 224, 3), 1000), (224, 224, 3), True)]


def _table(got: Any) -> list | None:
    """A collected table as a list of (shape tuple, params), or None if it is not one."""
    if not isinstance(got, list) or not all(isinstance(e, list) and len(e) == 2 for e in got):
        return None
    return [(_volume(shape), params) for shape, params in got]


def _judge_table(name: str, data: dict, expected: dict, cases: list, layers: list, row_names: list,
                 lecture: list) -> int:
    got_all = per_case_at(name, data, "tables", len(cases))
    for i, (case, _, input_shape, other_than_lecture) in enumerate(cases):
        got = got_all[i]
        reraise(got)
        want = _table(expected["expected"]["tables"][i])
        rows = _rows_info(layers, input_shape, [shape for shape, _ in want])
        if _returned_none(got):
            fail(name, case, "your function returned None.", "did you forget the `return` statement?")
        if not isinstance(got, list):
            length = got.get("length") if isinstance(got, dict) else None
            if not _is_int(length):
                fail(name, case, f"expected a list of {len(want)} (output_shape, n_params) pairs, "
                     f"got {_type_and_value(got).split(':')[0]}", "return a list with one entry per row of the table.")
            got = [None] * length  # a long sequence: report its length below
        if len(got) != len(want):
            fail(name, case, f"expected {len(want)} rows ({', '.join(row_names)}), got {len(got)}",
                 "one entry per row of the table, in order.")
        if other_than_lecture and _table(got) == lecture != want:
            fail(name, case, "your function returned the lecture's table for a different input.",
                 "compute every row from the arguments (input_shape, n_classes) with your functions, "
                 "instead of typing the lecture's numbers.")
        wrong = _mistakes(expected, "tables", i)
        for j, (entry, (shape_want, params_want), row, row_name) in enumerate(zip(got, want, rows, row_names)):
            where = f"{case}, row {j} ({row_name})"
            if not isinstance(entry, list) or len(entry) != 2:
                fail(name, where, f"expected a pair (output_shape, n_params), got {_shown(entry)}",
                     f"each row is a pair, e.g. {(shape_want, params_want)!r}.")
            shape, params = _volume(entry[0]), entry[1]
            if shape != shape_want:
                fail(name, where, f"expected output shape {shape_want!r}\ngot                   {_shown(shape)}",
                     _shape_hint(shape, shape_want, row, _axis_mistakes(wrong, j, 0)))
            _expect_int(name, params, params_want, case=where + ": parameters",
                        hint=_row_param_hint(params, params_want, row))
    return len(cases)


def collect_mnist_table(func: Callable, suite: str = "visible") -> dict:
    """{"tables": [what ``func`` returned per (input_shape, n_classes)]}."""
    return {"tables": [_attempt("mnist_table", func, *args, case=case, quiz=True)
                       for case, args, _, _ in mnist_cases(suite)]}


def judge_mnist_table(data: dict, expected: dict) -> int:
    return _judge_table("mnist_table", data, expected, mnist_cases(expected["suite"]), MNIST_LAYERS, MNIST_ROWS,
                        LECTURE_MNIST_TABLE)


def mnist_table(func: Callable, suite: str = "visible") -> None:
    """Check ``mnist_table(input_shape=(28, 28, 1), n_classes=10)``: 7 rows of (output shape, parameters)."""
    run_check("mnist_table", __name__, suite, lambda: collect_mnist_table(func, suite), judge_mnist_table)


def collect_alexnet_table(func: Callable, suite: str = "visible") -> dict:
    """{"tables": [what ``func`` returned per (input_shape, n_classes)]}."""
    return {"tables": [_attempt("alexnet_table", func, *args, case=case, quiz=True)
                       for case, args, _, _ in alexnet_cases(suite)]}


def judge_alexnet_table(data: dict, expected: dict) -> int:
    return _judge_table("alexnet_table", data, expected, alexnet_cases(expected["suite"]), ALEXNET_LAYERS,
                        ALEXNET_ROWS, LECTURE_ALEXNET_TABLE)


def alexnet_table(func: Callable, suite: str = "visible") -> None:
    """Check ``alexnet_table(input_shape=(227, 227, 3), n_classes=1000)``: 11 rows of (output shape, parameters)."""
    run_check("alexnet_table", __name__, suite, lambda: collect_alexnet_table(func, suite), judge_alexnet_table)


# --------------------------------------------------------------------------- 5b. the MNIST network in Keras


def mnist_model_cases(suite: str = "visible") -> list[tuple[str, tuple, tuple]]:
    """(case, positional arguments, input shape)."""
    if suite == "hidden":
        return [(f"hidden: {what}", (shape, classes), shape) for shape, classes, what in [
            ((30, 30, 1), 5, "a 30×30×1 input, 5 classes"), ((36, 36, 3), 26, "a 36×36×3 input, 26 classes")]]
    return [("default arguments (28×28×1, 10 classes)", (), (28, 28, 1)),
            ("the same network on 32×32×3 colour images", ((32, 32, 3), 10), (32, 32, 3))]


def _keras_rows(model) -> list[list]:
    """[output shape without the batch axis, count_params()] of each layer that changes the shape or learns."""
    rows, previous = [], list(model.inputs[0].shape[1:])
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        shape, params = [int(n) for n in layer.output.shape[1:]], int(layer.count_params())
        if params or shape != previous:
            rows.append([shape, params])
        previous = shape
    return rows


def _model_data(name: str, func: Callable, args: tuple, case: str, keras) -> dict:
    """What Keras says about the model ``func(*args)`` builds: layers, input shape, warnings, outputs."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        got = _attempt(name, func, *args, case=case, quiz=True, to_data=lambda model: {"model": model})
    if "model" not in got:
        return got  # the function raised
    model = got["model"]
    if not isinstance(model, keras.Model):
        return {"not_a_model": _plain(model)}
    data = {"warned_input_shape": any("input_shape" in str(w.message) for w in caught),
            "input_shape": [int(n) for n in model.inputs[0].shape[1:]] if model.inputs else None}
    if data["input_shape"] is None:
        return data
    try:
        data["rows"] = _keras_rows(model)
        x = np.linspace(0, 1, int(np.prod(data["input_shape"])), dtype="float32").reshape((1, *data["input_shape"]))
        probs = np.asarray(model(x), dtype=np.float64)
        data["prob_sum"] = round(float(probs.sum()), 4)  # rounded: the weights are random
        data["prob_negative"] = bool((probs < 0).any())
    except Exception as err:  # a model Keras cannot run
        data["error"] = f"{type(err).__name__}: {err}"
    return data


def collect_build_mnist_model(func: Callable, suite: str = "visible") -> dict:
    """{"models": [what Keras reports about each model ``func`` builds]}: plain data, no model."""
    from .. import runtime
    runtime.quiet_tensorflow()
    import keras

    return {"models": [_model_data("build_mnist_model", func, args, case, keras)
                       for case, args, _ in mnist_model_cases(suite)]}


def judge_build_mnist_model(data: dict, expected: dict) -> int:
    name = "build_mnist_model"
    cases = mnist_model_cases(expected["suite"])
    got_all = per_case_at(name, data, "models", len(cases))
    for i, (case, _, input_shape) in enumerate(cases):
        got = got_all[i]
        reraise(got)
        if not isinstance(got, dict):
            fail(name, case, "the check did not get your model's description.", "run the check cell again, unchanged.")
        if "not_a_model" in got:
            if _returned_none(got["not_a_model"]):
                fail(name, case, "your function returned None.", "did you forget `return model`?")
            fail(name, case, f"expected a keras.Model, got {_type_and_value(got['not_a_model']).split(':')[0]}",
                 "build a `keras.Sequential([...])` and return it.")
        if got.get("warned_input_shape"):
            fail(name, case, "Keras warned: \"Do not pass an `input_shape`/`input_dim` argument to a layer\".",
                 "start the model with `keras.Input(shape=input_shape)` instead of passing input_shape= "
                 "to Conv2D: the warning goes to stderr, and the autograder gives 0 to a cell that writes there.")
        if got.get("input_shape") is None:
            fail(name, case, "the model has no input shape, so Keras cannot tell its output shapes.",
                 "start the model with `keras.Input(shape=input_shape)`.")
        if _volume(got["input_shape"]) != tuple(input_shape):
            fail(name, case, f"expected input shape {tuple(input_shape)}, got {_shown(got['input_shape'])}",
                 "use the function's input_shape argument: `keras.Input(shape=input_shape)`.")
        if "error" in got:
            fail(name, case, f"Keras could not run your model: {got['error']}",
                 "build the lecture's seven layers in order, starting from `keras.Input(shape=input_shape)`.")
        rows_got = _table(got.get("rows"))
        if rows_got is None:
            fail(name, case, "the check did not get your model's layers.", "run the check cell again, unchanged.")
        want = _table(expected["expected"]["models"][i]["rows"])
        rows = _rows_info(MNIST_LAYERS, input_shape, [shape for shape, _ in want])
        if len(rows_got) > 4 and isinstance(rows_got[4][0], tuple) and len(rows_got[4][0]) == 3 and rows_got[4][1]:
            fail(name, case, "the Dense layers get a 4×4×20 volume instead of a vector.",
                 "add `keras.layers.Flatten()` between the last MaxPool2D and the first Dense layer.")
        for j, ((shape_want, params_want), row, row_name) in enumerate(zip(want, rows, MNIST_ROWS)):
            if j >= len(rows_got):
                fail(name, case, f"the model stops after {len(rows_got)} layers; row {j} ({row_name}) is missing.",
                     "seven layers: Conv2D, MaxPool2D, Conv2D, MaxPool2D, Flatten, Dense, Dense.")
            shape, params = rows_got[j]
            where = f"{case}, layer {j} ({row_name})"
            if shape != shape_want:
                hint = _shape_hint(shape, shape_want, row)
                spatial = isinstance(shape, tuple) and len(shape) == 3 and len(shape_want) == 3
                if spatial and row["kind"] == "conv" and shape[:2] == row["in"][:2]:
                    hint = ("that output keeps the input's size, as padding='same' does; the lecture's "
                            "network uses no padding (Keras' default padding='valid').")
                elif (spatial and row["kind"] == "pool" and shape[2] == shape_want[2]
                      and shape[0] > shape_want[0] and shape[1] > shape_want[1]):
                    hint = "pool with 2×2 windows at stride 2: `MaxPool2D(2)` (strides default to the pool size)."
                fail(name, where, f"expected output shape {shape_want!r}\ngot                   {_shown(shape)}", hint)
            if row["kind"] == "conv" and params == params_want - row["k"]:
                hint = "Conv2D has use_bias=True by default: keep the biases, the lecture counts them."
            else:
                hint = _row_param_hint(params, params_want, row)
            expect_equal(name, params, params_want, case=where + ": parameters (count_params)", hint=hint)
        if len(rows_got) > len(want):
            fail(name, case, f"the model has {len(rows_got)} shape-changing or learning layers, expected {len(want)}.",
                 "exactly the lecture's seven: Conv2D, MaxPool2D, Conv2D, MaxPool2D, Flatten, Dense, Dense.")
        total = got.get("prob_sum")
        if not _is_number(total) or not math.isclose(total, 1.0, abs_tol=1e-3) or got.get("prob_negative") is not False:
            fail(name, case, f"the outputs of one image sum to {_shown(total)}, not 1.",
                 "the output layer turns scores into class probabilities: `Dense(n_classes, activation=\"softmax\")`.")
    return len(cases)


def build_mnist_model(func: Callable, suite: str = "visible") -> None:
    """Check ``build_mnist_model(input_shape=(28, 28, 1), n_classes=10) -> keras.Model``.

    The model's layers must give lecture 002's table (each layer's output shape and
    ``count_params()``, as Keras reports them), the output must be softmax probabilities,
    and building it must not warn (stderr).
    """
    run_check("build_mnist_model", __name__, suite, lambda: collect_build_mnist_model(func, suite),
              judge_build_mnist_model)


# --------------------------------------------------------------------------- 7. receptive field


def receptive_field_cases(suite: str = "visible") -> list[tuple[str, list]]:
    """(case, layers as (kernel, stride) pairs)."""
    if suite == "hidden":
        return [(f"hidden: {what}", layers) for layers, what in [
            ([(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)], "AlexNet up to POOL3"),
            ([(7, 2), (3, 2)], "a 7×7 conv at stride 2, then a 3×3 pool at stride 2"),
            ([(1, 1), (1, 1)], "two 1×1 convs"), ([(3, 2)] * 4, "four 3×3 convs at stride 2"),
            ([(5, 3), (4, 1)], "a 5×5 conv at stride 3, then a 4×4 conv"), ([], "no layers")]]
    return [(case, layers) for layers, case in [
        ([], "no layers: every output is one input pixel"),
        ([(3, 1)], "one 3×3 conv"),
        ([(3, 1), (3, 1)], "two 3×3 convs (as much as one 5×5)"),
        ([(3, 1), (3, 1), (3, 1)], "three 3×3 convs (as much as one 7×7)"),
        ([(2, 2), (2, 2)], "two 2×2 max pools at stride 2"),
        ([(5, 1), (2, 2), (5, 1), (2, 2)], "lecture 002's MNIST network: conv 5, pool 2, conv 5, pool 2"),
        ([(3, 1), (3, 2), (2, 2)], "lecture 004's CNN block: 3×3 conv, 3×3 conv at stride 2, 2×2 max pool"),
    ]]


RF_MISTAKES = {
    "no_jump": "a layer after a stride-s layer sees its input s pixels apart: multiply (k - 1) by the "
               "product of the strides of the layers BEFORE it (the 'jump').",
    "sum_kernels": "kernels do not simply add up: each layer adds (k - 1)·jump to the field.",
    "product": "kernels do not multiply: each layer adds (k - 1)·jump to the field.",
    "own_stride": "a layer's own stride does not widen its own window: its (k - 1) is multiplied by the strides "
                  "of the layers before it only.",
    "no_start": "start from 1 (one output pixel sees itself), then add (k - 1)·jump per layer.",
}


def _rf_hint(got: Any, want: int, layers: list, wrong: dict[str, Any]) -> str:
    if not layers:
        return "with no layers each output is a single input pixel: return 1."
    for label, hint in RF_MISTAKES.items():
        value = wrong.get(label)
        if _is_number(value) and value != want and _equal(got, value):
            return hint
    if _is_int(got) and got == want - 1:
        return RF_MISTAKES["no_start"]
    return "start with r = 1 and jump = 1; for each (k, s): r += (k - 1)·jump, then jump *= s."


def collect_receptive_field(func: Callable, suite: str = "visible") -> dict:
    """{"fields": [what ``func`` returned per stack of layers]}."""
    return {"fields": [_attempt("receptive_field", func, [tuple(layer) for layer in layers], case=case)
                       for case, layers in receptive_field_cases(suite)]}


def judge_receptive_field(data: dict, expected: dict) -> int:
    name = "receptive_field"
    cases = receptive_field_cases(expected["suite"])
    got_all = per_case_at(name, data, "fields", len(cases))
    for i, (case, layers) in enumerate(cases):
        want = expected["expected"]["fields"][i]
        _expect_int(name, got_all[i], want, case=case,
                    hint=_rf_hint(got_all[i], want, layers, _mistakes(expected, "fields", i)))
    return len(cases)


def receptive_field(func: Callable, suite: str = "visible") -> None:
    """Check ``receptive_field(layers) -> int`` for a list of (kernel, stride) pairs."""
    run_check("receptive_field", __name__, suite, lambda: collect_receptive_field(func, suite),
              judge_receptive_field)
