"""Checks for notebook 3: conv arithmetic (output sizes, SAME padding, parameters, receptive fields).

Every check runs the student's function on the lectures' own numbers first
(the 7×7 input of lecture 001, the quiz of lecture 000, the MNIST network of
lecture 002, AlexNet from lecture 001), and raises
:class:`~cnnlab.checks.CheckError` with a hint on the first failure. The hint
names the mistake when the wrong value is one we recognise: a forgotten +1,
padding counted once instead of twice, ceil instead of floor, a forgotten bias,
a wrong input depth, …

Each check takes ``cases=`` so that the autograder's hidden tests can run the
same diagnosis on other numbers (``hidden=True`` labels them and prints
nothing on success). The references below were verified against Keras layers
(``tests/test_conv_arithmetic.py``).
"""

from __future__ import annotations

import math
import warnings
from typing import Any, Callable, Sequence

import numpy as np

from .core import NotDoneError, call, expect_equal, fail, passed, require_function

# --------------------------------------------------------------------------- the lectures' numbers

#: Lecture 000's quiz: 10 filters on a 32×32×3 input, as (filters K, size F, stride S, padding P).
QUIZ_LAYERS = [(10, 5, 1, 0), (10, 5, 1, 2), (10, 3, 2, 1)]

#: Row names of the tables, as on the slides.
MNIST_ROWS = ["Conv 1", "MaxPool 1", "Conv 2", "MaxPool 2", "Flatten", "Dense", "Output"]
ALEXNET_ROWS = ["CONV1", "MAX POOL1", "CONV2", "MAX POOL2", "CONV3", "CONV4", "CONV5", "MAX POOL3",
                "FC6", "FC7", "FC8"]

# Layer specs: ("conv", K, F, S, P), ("pool", F, S), ("flatten",), ("dense", units); None = n_classes.
_MNIST_SPEC = [("conv", 10, 5, 1, 0), ("pool", 2, 2), ("conv", 20, 5, 1, 0), ("pool", 2, 2),
               ("flatten",), ("dense", 100), ("dense", None)]
_ALEXNET_SPEC = [("conv", 96, 11, 4, 0), ("pool", 3, 2), ("conv", 256, 5, 1, 2), ("pool", 3, 2),
                 ("conv", 384, 3, 1, 1), ("conv", 384, 3, 1, 1), ("conv", 256, 3, 1, 1), ("pool", 3, 2),
                 ("dense", 4096), ("dense", 4096), ("dense", None)]


# --------------------------------------------------------------------------- references

def _out(n: int, f: int, s: int = 1, p: int = 0) -> int:
    """floor((n - f + 2p) / s) + 1, or ValueError when the filter does not fit (as Keras)."""
    if n + 2 * p < f:
        raise ValueError(f"a {f}-wide filter does not fit in {n} + 2·{p} pixels")
    return (n - f + 2 * p) // s + 1


def _same(n: int, f: int, s: int) -> tuple[int, int, int]:
    total = max((math.ceil(n / s) - 1) * s + f - n, 0)
    return total, total // 2, total - total // 2


def _params(f: int, c_in: int, k: int, bias: bool = True) -> int:
    return f * f * c_in * k + (k if bias else 0)


def _rf(layers) -> int:
    r, jump = 1, 1
    for k, s in layers:
        r += (k - 1) * jump
        jump *= s
    return r


def _walk(spec, input_shape, n_classes) -> list[dict]:
    """Rows of a network table: output shape, parameters, and what each row was computed from."""
    h, w, c = input_shape
    rows, flat = [], None
    for layer in spec:
        kind = layer[0]
        row = {"kind": kind, "in": (h, w, c) if flat is None else (flat,)}
        if kind == "conv":
            _, k, f, s, p = layer
            h, w = _out(h, f, s, p), _out(w, f, s, p)
            row.update(f=f, s=s, p=p, k=k, c_in=c, shape=(h, w, k), params=_params(f, c, k))
            c = k
        elif kind == "pool":
            _, f, s = layer
            h, w = _out(h, f, s), _out(w, f, s)
            row.update(f=f, s=s, p=0, k=c, c_in=c, shape=(h, w, c), params=0)
        elif kind == "flatten":
            flat = h * w * c
            row.update(shape=(flat,), params=0)
        else:  # dense: flattens first when it follows a volume (AlexNet's FC6)
            units = layer[1] or n_classes
            n_in = flat if flat is not None else h * w * c
            row.update(n_in=n_in, k=units, shape=(units,), params=(n_in + 1) * units)
            flat = units
        rows.append(row)
    return rows


def mnist_reference(input_shape=(28, 28, 1), n_classes=10) -> list[tuple[tuple, int]]:
    """Lecture 002's MNIST network: (output shape, parameters) of each row of :data:`MNIST_ROWS`."""
    return [(r["shape"], r["params"]) for r in _walk(_MNIST_SPEC, input_shape, n_classes)]


def alexnet_reference(input_shape=(227, 227, 3), n_classes=1000) -> list[tuple[tuple, int]]:
    """Lecture 001's simplified AlexNet: (output shape, parameters) of each row of :data:`ALEXNET_ROWS`."""
    return [(r["shape"], r["params"]) for r in _walk(_ALEXNET_SPEC, input_shape, n_classes)]


# --------------------------------------------------------------------------- hints for common mistakes

FLOOR_HINT = ("Frameworks round DOWN: a window that would stick out past the (padded) input is dropped, "
              "so output = (n - f + 2·p) // s + 1 (Keras gives 2 for the lecture's 7, 3, stride 3).")


def _size_hint(got: Any, n: int, f: int, s: int, p: int) -> str:
    """Name the mistake that turns (n, f, s, p) into ``got``, if we recognise it."""
    expected = _out(n, f, s, p)
    try:
        g = float(got)
    except (TypeError, ValueError):
        return "the output size is one whole number: (n - f + 2·p) // s + 1."
    span = n - f + 2 * p
    candidates = [  # (value the mistake gives, hint, is it a rounding mistake?)
        (span / s + 1, "use floor division `//`: (n - f + 2·p) / s + 1 is not always a whole number "
                       "(the lecture's 2.33).", True),
        (-(-span // s) + 1, "you rounded up (ceil).", True),
        (round(span / s) + 1, "round() goes to the nearest whole number.", True),
        (span // s, "you forgot the +1: the first window position counts too ((7 - 3) / 1 + 1 = 5).", False),
        ((n - f + p) // s + 1, "padding is added on BOTH sides: use 2·p, not p.", False),
        ((n - f) // s + 1, "you ignored the padding: the padded input is n + 2·p wide.", False),
        ((n + 2 * p - f) + 1, "you ignored the stride: divide (n - f + 2·p) by s.", False),
        ((n - f - 2 * p) // s + 1, "padding makes the input bigger: + 2·p, not - 2·p.", False),
        ((n + f + 2 * p) // s + 1, "subtract the filter size: (n - f + 2·p).", False),
    ]
    matches = [(hint, rounding) for value, hint, rounding in candidates
               if value != expected and math.isclose(g, value, rel_tol=1e-6)]
    if matches:  # e.g. with p = 1 and s = 1 a forgotten +1 and padding counted once give the same number
        text = " Or: ".join(hint for hint, _ in matches[:2])
        return text + (" " + FLOOR_HINT if any(rounding for _, rounding in matches[:2]) else "")
    if g == -(-n // s):
        return "that is the SAME-padding output size ⌈n / s⌉; here the padding is p, as given."
    return "output = (n - f + 2·p) // s + 1, e.g. (32 - 5 + 2·0) // 1 + 1 = 28."


def _param_hint(got: Any, f: int, c_in: int, k: int, bias: bool = True) -> str:
    """Name the mistake behind a wrong parameter count, if we recognise it."""
    expected = _params(f, c_in, k, bias)
    b = k if bias else 0
    candidates = [
        (f * f * c_in * k, "you forgot the biases: one per filter, + K (the lecture's 5·5·3 + 1 = 76 per filter)."),
        (f * f * c_in * k + 1, "each filter has its own bias: + K biases, not + 1."),
        ((f * f * c_in + 1) * k, "bias=False: the layer has no biases, only F·F·C_in·K weights."),
        ((f * f + 1) * k, "you left out the input depth: each filter spans all C_in input channels "
                          "(a 5×5 filter on a 32×32×3 input is 5×5×3)."),
        (f * f * k, "you left out the input depth: each filter spans all C_in input channels."),
        ((f * f + 1) * c_in * k, "the bias belongs to the filter, not to each input channel: (F·F·C_in + 1)·K."),
        (f * c_in * k + b, "a filter is F×F: square the filter size (F·F·C_in)."),
        (f * f * c_in + b, "there are K filters: multiply the weights of one filter by K."),
        ((f * f * c_in + 1), "that is one filter; the layer has K of them: × K."),
    ]
    for value, hint in candidates:
        if value != expected and got == value:
            return hint
    return "parameters = (F·F·C_in + 1)·K with a bias, F·F·C_in·K without; e.g. (5·5·3 + 1)·10 = 760."


def _is_int(x: Any) -> bool:
    return isinstance(x, (int, np.integer)) and not isinstance(x, (bool, np.bool_))


def _expect_int(name: str, got: Any, expected: int, *, case: str, hint: str) -> None:
    if got is None:
        fail(name, case, "your function returned None.", "did you forget the `return` statement?")
    if not _is_int(got):
        if isinstance(got, (float, np.floating)) and float(got).is_integer() and int(got) == expected:
            fail(name, case, f"expected the int {expected}, got the float {got!r}",
                 "a size or a count is a whole number: use `//` (floor division) rather than `/`, "
                 "or convert with int().")
        fail(name, case, f"expected the int {expected}, got {type(got).__name__}: {got!r}", hint)
    expect_equal(name, int(got), expected, case=case, hint=hint)


def _label(case: str, hidden: bool) -> str:
    return f"hidden: {case}" if hidden else case


def _done(name: str, n: int, hidden: bool) -> None:
    if not hidden:
        passed(name, n)


def _call_quiz(name: str, func: Callable, *args, case: str = "", **kwargs):
    """Like :func:`call`, but says so when the quiz fails because a function it uses is not written yet."""
    require_function(name, func)
    try:
        return call(name, func, *args, case=case, **kwargs)
    except NotDoneError as err:
        tb, culprit = err.__context__.__traceback__ if err.__context__ else None, None
        while tb is not None:  # the innermost frame is the function that raised NotImplementedError
            culprit, tb = tb.tb_frame.f_code.co_name, tb.tb_next
        if culprit and culprit != name and culprit.isidentifier():
            raise NotDoneError(f"{name} calls {culprit}, which is not written yet: finish {culprit} "
                               f"(and its check) first, then run this check again.") from None
        raise


# --------------------------------------------------------------------------- 1. output size

CONV_OUTPUT_CASES = [  # (n, f, stride, padding, where it comes from)
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
CONV_OUTPUT_TOO_SMALL = [(5, 7, 1, 0), (3, 5, 2, 0)]


def conv_output_size(func: Callable, cases=None, too_small=None, hidden: bool = False) -> None:
    """Check ``conv_output_size(n, f, stride=1, padding=0) -> int`` (floor, ValueError if the filter does not fit)."""
    name = "conv_output_size"
    cases = CONV_OUTPUT_CASES if cases is None else cases
    too_small = CONV_OUTPUT_TOO_SMALL if too_small is None else too_small
    count = 0
    for n, f, s, p, *where in cases:
        case = _label(where[0] if where else f"n={n}, f={f}, stride={s}, padding={p}", hidden)
        got = call(name, func, n, f, stride=s, padding=p, case=case)
        _expect_int(name, got, _out(n, f, s, p), case=case, hint=_size_hint(got, n, f, s, p))
        count += 1
    if not hidden:
        case = "defaults: conv_output_size(7, 3) means stride 1, no padding"
        got = call(name, func, 7, 3, case=case)
        _expect_int(name, got, 5, case=case, hint="give stride and padding the defaults 1 and 0.")
        count += 1
    for n, f, s, p in too_small:
        case = _label(f"a {f}×{f} filter on a {n}×{n} input with padding {p} does not fit", hidden)
        require_function(name, func)
        try:
            got = func(n, f, stride=s, padding=p)
        except ValueError:
            count += 1
            continue
        except NotImplementedError:
            raise NotDoneError(f"{name} is not written yet.") from None
        except Exception as err:
            fail(name, case, f"raised {type(err).__name__}: {err}",
                 "raise ValueError (with a message that says the filter is larger than the padded input).")
        fail(name, case, f"expected ValueError, got {got!r}",
             "when n + 2·p < f there is no valid position: raise ValueError, as Keras does when it builds a layer "
             "(\"Computed output size would be zero or negative\"), instead of returning a size ≤ 0.")
    _done(name, count, hidden)


# --------------------------------------------------------------------------- 2. SAME padding

SAME_CASES = [  # (n, f, stride, where it comes from)
    (7, 3, 1, "7×7 input, 3×3 filter, stride 1: (F - 1)/2 = 1 pixel on each side"),
    (32, 5, 1, "32×32 input, 5×5 filter, stride 1: 2 on each side, as in the lecture's pad 2"),
    (28, 4, 1, "an even 4×4 filter: 3 pixels in total, the odd one at the end"),
    (32, 3, 2, "32×32 input, 3×3 filter, stride 2: ⌈32/2⌉ = 16 outputs need only 1 pixel"),
    (7, 3, 3, "7×7 input, 3×3 filter, stride 3: ⌈7/3⌉ = 3 outputs"),
    (227, 11, 4, "AlexNet CONV1 with padding='same': 227×227, 11×11, stride 4"),
    (224, 11, 4, "224×224 input, 11×11 filter, stride 4: an odd total"),
    (6, 1, 2, "1×1 filter with stride 2: no padding needed at all"),
]


def _same_hint(got: tuple, n: int, f: int, s: int) -> str:
    total, start, end = _same(n, f, s)
    g_total, g_start, g_end = got
    if g_total == total and g_start == g_end == math.ceil(total / 2) and total % 2:
        return ("split the total: pad_start = total // 2, pad_end = total - pad_start (when the total is odd "
                "they differ by one, the extra pixel at the end; rounding both up pads one pixel too many).")
    if g_start + g_end != g_total:
        return "pad_start + pad_end must add up to pad_total."
    if (g_total, g_start, g_end) == (total, end, start):
        return ("TensorFlow puts the extra pixel of an odd total at the END (bottom/right): "
                "pad_start = pad_total // 2, pad_end = pad_total - pad_start.")
    raw = (math.ceil(n / s) - 1) * s + f - n
    if g_total == raw < 0:
        return "clamp at zero: when the stride is bigger than the filter no padding is needed, max(..., 0)."
    if g_total == f - 1 and total != f - 1:
        return ("(F - 1) in total is right only for stride 1. SAME keeps ⌈n/S⌉ outputs: "
                "pad_total = max((⌈n/S⌉ - 1)·S + F - n, 0).")
    if g_total == max((n // s - 1) * s + f - n, 0):
        return "the SAME output size is ⌈n / S⌉ (round UP, `-(-n // s)` or math.ceil), not n // S."
    return "pad_total = max((⌈n/S⌉ - 1)·S + F - n, 0); pad_start = pad_total // 2; pad_end = the rest."


def same_padding(func: Callable, cases=None, hidden: bool = False) -> None:
    """Check ``same_padding(n, f, stride) -> (pad_total, pad_start, pad_end)``: TensorFlow's SAME rule."""
    name = "same_padding"
    cases = SAME_CASES if cases is None else cases
    for n, f, s, *where in cases:
        case = _label(where[0] if where else f"n={n}, f={f}, stride={s}", hidden)
        got = call(name, func, n, f, s, case=case)
        got = tuple(got.tolist()) if isinstance(got, np.ndarray) else got
        if got is None:
            fail(name, case, "your function returned None.", "did you forget the `return` statement?")
        if not isinstance(got, (tuple, list)) or len(got) != 3:
            fail(name, case, f"expected a tuple (pad_total, pad_start, pad_end), got {got!r}",
                 "return three whole numbers: `return total, start, end`.")
        if not all(_is_int(v) for v in got):
            fail(name, case, f"expected three ints, got {tuple(got)!r}",
                 "paddings are whole numbers of pixels: use `//`, math.ceil or int().")
        got = tuple(int(v) for v in got)
        expect_equal(name, got, _same(n, f, s), case=case, hint=_same_hint(got, n, f, s))
    _done(name, len(cases), hidden)


# --------------------------------------------------------------------------- 3. quiz: output volumes

def _volume(got: Any) -> Any:
    """A shape as a tuple of ints if it looks like one, else unchanged."""
    try:
        if isinstance(got, (tuple, list, np.ndarray)) and all(_is_int(v) for v in np.asarray(got).ravel()):
            return tuple(int(v) for v in np.asarray(got).ravel())
    except ValueError:  # ragged
        pass
    return got


def _shape_hint(got: Any, expected: tuple, row: dict) -> str:
    """Why a layer's output shape is wrong: its length, depth, or spatial size (with the size hint)."""
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
    h_in, w_in, c_in = row["in"]
    if got[2] != expected[2]:
        if row["kind"] == "conv" and got[2] == c_in:
            return "the output depth of a conv layer is the number of filters K, not the input depth."
        if row["kind"] == "pool":
            return "pooling works on each channel separately: the depth stays the same."
        return "the output depth of a conv layer is the number of filters K."
    if got[:2] == expected[1::-1] and got[0] != got[1]:
        return "height and width are swapped: (H, W, C)."
    for g, n in ((got[0], h_in), (got[1], w_in)):
        if g != _out(n, row["f"], row["s"], row["p"]):
            return _size_hint(g, n, row["f"], row["s"], row["p"])
    return "apply the output-size formula to height and width separately."


def _check_rows(name: str, got: Any, rows: list[dict], names: Sequence[str], case: str,
                lecture: list | None = None, what: str = "(output_shape, n_params)") -> None:
    """A table of (shape, params) per row; the first wrong row is reported with its hint."""
    if got is None:
        fail(name, case, "your function returned None.", "did you forget the `return` statement?")
    if not isinstance(got, (list, tuple)):
        fail(name, case, f"expected a list of {len(rows)} {what} pairs, got {type(got).__name__}",
             "return a list with one entry per row of the table.")
    if len(got) != len(rows):
        fail(name, case, f"expected {len(rows)} rows ({', '.join(names)}), got {len(got)}",
             "one entry per row of the table, in order.")
    if lecture is not None and _table(got) == [tuple(r) for r in lecture] != [(r["shape"], r["params"]) for r in rows]:
        fail(name, case, "your function returned the lecture's table for a different input.",
             "compute every row from the arguments (input_shape, n_classes) with your functions, "
             "instead of typing the lecture's numbers.")
    for i, (entry, row, row_name) in enumerate(zip(got, rows, names)):
        where = f"{case}, row {i} ({row_name})"
        if not isinstance(entry, (tuple, list)) or len(entry) != 2:
            fail(name, where, f"expected a pair {what}, got {entry!r}",
                 f"each row is a pair, e.g. {(row['shape'], row['params'])!r}.")
        shape, params = _volume(entry[0]), entry[1]
        if shape != row["shape"]:
            fail(name, where, f"expected output shape {row['shape']!r}\ngot                   {shape!r}",
                 _shape_hint(shape, row["shape"], row))
        _expect_int(name, params, row["params"], case=where + ": parameters", hint=_row_param_hint(params, row))


def _table(got: Any) -> Any:
    """A table as a list of (shape tuple, params) if it looks like one, for comparing with a reference."""
    try:
        return [(_volume(shape), params) for shape, params in got]
    except (TypeError, ValueError):
        return None


def _row_param_hint(got: Any, row: dict) -> str:
    if row["kind"] in ("pool", "flatten"):
        return f"a {'pooling' if row['kind'] == 'pool' else 'Flatten'} layer has nothing to learn: 0 parameters."
    if row["kind"] == "conv":
        hint = _param_hint(got, row["f"], row["c_in"], row["k"])
        if got == row["f"] ** 2 * row["c_in"] * row["k"] and (row["f"], row["k"]) == (11, 96):
            hint = ("you forgot the biases. The lecture's 35K is the weights only, (11·11·3)·96 = 34,848; "
                    "the layer also has 96 biases, which Keras counts: 34,944.")
        if got == _params(row["f"], 1, row["k"]) or got == _params(row["f"], 3, row["k"]):
            hint = (f"this layer's input has depth {row['c_in']} (the previous layer's output), "
                    f"so each filter is {row['f']}×{row['f']}×{row['c_in']}.")
        return hint
    n_in, k = row["n_in"], row["k"]
    if got == n_in * k:
        return f"you forgot the biases: ({n_in} + 1)·{k}, one bias per unit."
    if got == (n_in + 1) * 100 and k != 100:
        return (f"this layer has {k} units: ({n_in} + 1)·{k}. (The MNIST slide writes (100 + 1) × 100 "
                "for the last layer: a typo, the output layer has 10 units.)")
    if isinstance(got, (int, np.integer)) and got % (k) == 0 and got // k - 1 != n_in:
        return (f"a Dense layer connects every one of its {n_in} inputs (the flattened previous output) "
                f"to each of its {k} units: ({n_in} + 1)·{k}.")
    return f"a Dense layer has (inputs + 1)·units parameters: ({n_in} + 1)·{k}."


def _quiz_rows(input_shape) -> list[dict]:
    return [_walk([("conv", k, f, s, p)], input_shape, 0)[0] for k, f, s, p in QUIZ_LAYERS]


QUIZ_VISIBLE = [((32, 32, 3), "lecture 000's quiz on a 32×32×3 input"),
                ((28, 20, 1), "the same three layers on a 28×20×1 input")]


def quiz_output_volumes(func: Callable, cases=None, hidden: bool = False) -> None:
    """Check ``quiz_output_volumes(input_shape=(32, 32, 3)) -> [(H, W, C)] * 3`` (lecture 000's quiz)."""
    name = "quiz_output_volumes"
    lecture = [r["shape"] for r in _quiz_rows((32, 32, 3))]
    count = 0
    if not hidden:
        case = "default input_shape (the lecture's 32×32×3)"
        got = _call_quiz(name, func, case=case)
        _check_volumes(name, got, _quiz_rows((32, 32, 3)), case, None)
        count += 1
    for input_shape, *where in (QUIZ_VISIBLE if cases is None else cases):
        case = _label(where[0] if where else f"input_shape={input_shape}", hidden)
        got = _call_quiz(name, func, input_shape, case=case)
        _check_volumes(name, got, _quiz_rows(input_shape), case, lecture)
        count += 1
    _done(name, count, hidden)


def _check_volumes(name, got, rows, case, lecture) -> None:
    if got is None:
        fail(name, case, "your function returned None.", "did you forget the `return` statement?")
    if not isinstance(got, (list, tuple)) or len(got) != 3:
        fail(name, case, f"expected a list of three (H, W, C) tuples, got {got!r}",
             "one output volume per quiz case: `return [case1, case2, case3]`.")
    volumes = [_volume(g) for g in got]
    if lecture is not None and volumes == lecture != [row["shape"] for row in rows]:
        fail(name, case, f"expected {[row['shape'] for row in rows]}\ngot      {volumes}",
             "those are the lecture's numbers: compute the answers from input_shape with conv_output_size.")
    for i, (shape, row) in enumerate(zip(volumes, rows)):
        if shape != row["shape"]:
            k, f, s, p = QUIZ_LAYERS[i]
            fail(name, f"{case}, case {i + 1} ({k} {f}×{f} filters, stride {s}, pad {p})",
                 f"expected {row['shape']!r}\ngot      {shape!r}", _shape_hint(shape, row["shape"], row))


# --------------------------------------------------------------------------- 4. parameters

PARAM_CASES = [  # (f, c_in, k, bias, where it comes from)
    (5, 3, 10, True, "lecture 001: ten 5×5 filters on a 32×32×3 input → 760"),
    (5, 1, 10, True, "lecture 002: ten 5×5 filters on MNIST (28×28×1) → 260"),
    (5, 10, 20, True, "lecture 002: twenty 5×5 filters on a 12×12×10 input"),
    (11, 3, 96, False, "lecture 001: AlexNet CONV1 weights only (11×11×3)×96 ≈ 35K"),
    (11, 3, 96, True, "AlexNet CONV1 with its 96 biases"),
    (1, 64, 32, True, "a 1×1 convolution from 64 to 32 channels"),
]


def conv_param_count(func: Callable, cases=None, hidden: bool = False) -> None:
    """Check ``conv_param_count(f, c_in, k, bias=True) -> int``."""
    name = "conv_param_count"
    cases = PARAM_CASES if cases is None else cases
    count = 0
    if not hidden:
        case = "default bias=True: conv_param_count(5, 3, 10)"
        got = call(name, func, 5, 3, 10, case=case)
        _expect_int(name, got, 760, case=case, hint=_param_hint(got, 5, 3, 10))
        count += 1
    for f, c_in, k, bias, *where in cases:
        case = _label(where[0] if where else f"f={f}, c_in={c_in}, k={k}, bias={bias}", hidden)
        got = call(name, func, f, c_in, k, bias=bias, case=case)
        _expect_int(name, got, _params(f, c_in, k, bias), case=case, hint=_param_hint(got, f, c_in, k, bias))
        count += 1
    _done(name, count, hidden)


PARAM_QUIZ_VISIBLE = [((32, 32, 3), "lecture 000's quiz layers on 32×32×3 (case 2 is lecture 001's 760)"),
                      ((28, 20, 1), "the same three layers on a 28×20×1 input")]


def quiz_layer_params(func: Callable, cases=None, hidden: bool = False) -> None:
    """Check ``quiz_layer_params(input_shape=(32, 32, 3)) -> [int] * 3``: parameters of the quiz's layers."""
    name = "quiz_layer_params"
    lecture = [r["params"] for r in _quiz_rows((32, 32, 3))]
    count = 0
    runs = [] if hidden else [(None, "default input_shape (the lecture's 32×32×3)")]
    runs += list(PARAM_QUIZ_VISIBLE if cases is None else cases)
    for input_shape, *where in runs:
        case = _label(where[0] if where else f"input_shape={input_shape}", hidden)
        args = () if input_shape is None else (input_shape,)
        got = _call_quiz(name, func, *args, case=case)
        got = got.tolist() if isinstance(got, np.ndarray) else got
        rows = _quiz_rows(input_shape or (32, 32, 3))
        if got is None:
            fail(name, case, "your function returned None.", "did you forget the `return` statement?")
        if not isinstance(got, (list, tuple)) or len(got) != 3:
            fail(name, case, f"expected a list of three parameter counts, got {got!r}",
                 "one count per quiz case: `return [p1, p2, p3]`.")
        if input_shape is not None and list(got) == lecture != [row["params"] for row in rows]:
            fail(name, case, f"expected {[row['params'] for row in rows]}\ngot      {list(got)}",
                 "those are the lecture's numbers: use the depth of input_shape (with conv_param_count).")
        for i, (g, row) in enumerate(zip(got, rows)):
            k, f, s, p = QUIZ_LAYERS[i]
            where_i = f"{case}, case {i + 1} ({k} {f}×{f} filters, stride {s}, pad {p})"
            hint = _param_hint(g, f, row["c_in"], k)
            if _is_int(g) and g != row["params"] and g % (row["shape"][0] * row["shape"][1]) == 0 \
                    and g // (row["shape"][0] * row["shape"][1]) in (row["params"], row["params"] - k):
                hint = ("that counts every output position separately: a conv layer SHARES its filters "
                        "over all positions, so the count does not depend on H, W, stride or padding.")
            elif i == 2 and g == _params(5, row["c_in"], k):
                hint = "case 3 uses 3×3 filters."
            _expect_int(name, g, row["params"], case=where_i, hint=hint)
        count += 1
    _done(name, count, hidden)


# --------------------------------------------------------------------------- 5. the MNIST network

MNIST_VISIBLE = [((28, 28, 1), 10, "lecture 002's MNIST network, 28×28×1 → 10"),
                 ((32, 32, 3), 10, "the same network on 32×32×3 colour images")]


def mnist_table(func: Callable, cases=None, hidden: bool = False) -> None:
    """Check ``mnist_table(input_shape=(28, 28, 1), n_classes=10)``: 7 rows of (output shape, parameters)."""
    _check_table("mnist_table", func, _MNIST_SPEC, MNIST_ROWS, mnist_reference(),
                 "default arguments (28×28×1, 10 classes)", (28, 28, 1), 10,
                 MNIST_VISIBLE if cases is None else cases, hidden)


def _check_table(name: str, func: Callable, spec, rows, lecture, default_case: str,
                 default_shape: tuple, default_classes: int, cases, hidden: bool) -> None:
    """The table quizzes: default arguments first (visible only), then each (shape, classes) case."""
    count = 0
    if not hidden:
        got = _call_quiz(name, func, case=default_case)
        _check_rows(name, got, _walk(spec, default_shape, default_classes), rows, default_case)
        count += 1
    for input_shape, n_classes, *where in cases:
        case = _label(where[0] if where else f"input_shape={input_shape}, n_classes={n_classes}", hidden)
        got = _call_quiz(name, func, input_shape, n_classes, case=case)
        _check_rows(name, got, _walk(spec, input_shape, n_classes), rows, case, lecture)
        count += 1
    _done(name, count, hidden)


def _keras_rows(model) -> list[tuple[tuple, int]]:
    """(output shape without the batch axis, parameters) of each layer that changes the shape or learns."""
    rows, previous = [], tuple(model.inputs[0].shape[1:])
    for layer in model.layers:
        if type(layer).__name__ == "InputLayer":
            continue
        shape, params = tuple(layer.output.shape[1:]), layer.count_params()
        if params or shape != previous:
            rows.append((shape, params))
        previous = shape
    return rows


def build_mnist_model(func: Callable, cases=None, hidden: bool = False) -> None:
    """Check ``build_mnist_model(input_shape=(28, 28, 1), n_classes=10) -> keras.Model``.

    The model's layers must give lecture 002's table (shapes and parameter counts), the
    output must be softmax probabilities, and building it must not warn (stderr).
    """
    from .. import runtime
    runtime.quiet_tensorflow()
    import keras

    name = "build_mnist_model"
    runs = [] if hidden else [(None, None, "default arguments (28×28×1, 10 classes)")]
    runs += list(MNIST_VISIBLE[1:] if cases is None else cases)
    for input_shape, n_classes, *where in runs:
        case = _label(where[0] if where else f"input_shape={input_shape}, n_classes={n_classes}", hidden)
        args = () if input_shape is None else (input_shape, n_classes)
        input_shape, n_classes = input_shape or (28, 28, 1), n_classes or 10
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model = _call_quiz(name, func, *args, case=case)
        if model is None:
            fail(name, case, "your function returned None.", "did you forget `return model`?")
        if not isinstance(model, keras.Model):
            fail(name, case, f"expected a keras.Model, got {type(model).__name__}",
                 "build a `keras.Sequential([...])` and return it.")
        if any("input_shape" in str(w.message) for w in caught):
            fail(name, case, "Keras warned: \"Do not pass an `input_shape`/`input_dim` argument to a layer\".",
                 "start the model with `keras.Input(shape=input_shape)` instead of passing input_shape= "
                 "to Conv2D: the warning goes to stderr, and the autograder gives 0 to a cell that writes there.")
        if not model.inputs:
            fail(name, case, "the model has no input shape, so Keras cannot tell its output shapes.",
                 "start the model with `keras.Input(shape=input_shape)`.")
        if tuple(model.inputs[0].shape[1:]) != tuple(input_shape):
            fail(name, case, f"expected input shape {tuple(input_shape)}, got {tuple(model.inputs[0].shape[1:])}",
                 "use the function's input_shape argument: `keras.Input(shape=input_shape)`.")
        rows = _walk(_MNIST_SPEC, input_shape, n_classes)
        got = _keras_rows(model)
        if len(got) > 4 and len(got[4][0]) == 3 and got[4][1] > 0:
            fail(name, case, "the Dense layers get a 4×4×20 volume instead of a vector.",
                 "add `keras.layers.Flatten()` between the last MaxPool2D and the first Dense layer.")
        for i, (row, row_name) in enumerate(zip(rows, MNIST_ROWS)):
            if i >= len(got):
                fail(name, case, f"the model stops after {len(got)} layers; row {i} ({row_name}) is missing.",
                     "seven layers: Conv2D, MaxPool2D, Conv2D, MaxPool2D, Flatten, Dense, Dense.")
            shape, params = got[i]
            where_i = f"{case}, layer {i} ({row_name})"
            if shape != row["shape"]:
                hint = _shape_hint(shape, row["shape"], row)
                if row["kind"] == "conv" and shape[:2] == row["in"][:2]:
                    hint = ("that output keeps the input's size, as padding='same' does; the lecture's "
                            "network uses no padding (Keras' default padding='valid').")
                elif row["kind"] == "pool" and shape[:2] == tuple(_out(n, row["f"], 1) for n in row["in"][:2]):
                    hint = "pool with 2×2 windows at stride 2: `MaxPool2D(2)` (strides default to the pool size)."
                fail(name, where_i, f"expected output shape {row['shape']!r}\ngot                   {shape!r}", hint)
            if row["kind"] == "conv" and params == _params(row["f"], row["c_in"], row["k"], bias=False):
                hint = "Conv2D has use_bias=True by default: keep the biases, the lecture counts them."
            else:
                hint = _row_param_hint(params, row)
            expect_equal(name, params, row["params"], case=where_i + ": parameters (count_params)", hint=hint)
        if len(got) > len(rows):
            fail(name, case, f"the model has {len(got)} shape-changing or learning layers, expected {len(rows)}.",
                 "exactly the lecture's seven: Conv2D, MaxPool2D, Conv2D, MaxPool2D, Flatten, Dense, Dense.")
        probs = np.asarray(model(np.linspace(0, 1, int(np.prod(input_shape)), dtype="float32")
                                 .reshape((1, *input_shape))))
        if not np.isclose(probs.sum(), 1.0, atol=1e-4) or (probs < 0).any():
            fail(name, case, f"the outputs of one image sum to {probs.sum():.4g}, not 1.",
                 "the output layer turns scores into class probabilities: `Dense(n_classes, activation=\"softmax\")`.")
    _done(name, len(runs), hidden)


# --------------------------------------------------------------------------- 6. AlexNet

ALEXNET_VISIBLE = [((227, 227, 3), 1000, "lecture 001's AlexNet, 227×227×3 → 1000"),
                   ((224, 224, 3), 1000, "the 224×224 of the AlexNet paper (watch the floors)")]


def alexnet_table(func: Callable, cases=None, hidden: bool = False) -> None:
    """Check ``alexnet_table(input_shape=(227, 227, 3), n_classes=1000)``: 11 rows of (output shape, parameters)."""
    _check_table("alexnet_table", func, _ALEXNET_SPEC, ALEXNET_ROWS, alexnet_reference(),
                 "default arguments (227×227×3, 1000 classes)", (227, 227, 3), 1000,
                 ALEXNET_VISIBLE if cases is None else cases, hidden)


# --------------------------------------------------------------------------- 7. receptive field

RF_CASES = [  # (layers, where it comes from)
    ([], "no layers: every output is one input pixel"),
    ([(3, 1)], "one 3×3 conv"),
    ([(3, 1), (3, 1)], "two 3×3 convs (as much as one 5×5)"),
    ([(3, 1), (3, 1), (3, 1)], "three 3×3 convs (as much as one 7×7)"),
    ([(2, 2), (2, 2)], "two 2×2 max pools at stride 2"),
    ([(5, 1), (2, 2), (5, 1), (2, 2)], "lecture 002's MNIST network: conv 5, pool 2, conv 5, pool 2"),
    ([(3, 1), (3, 2), (2, 2)], "lecture 004's CNN block: 3×3 conv, 3×3 conv at stride 2, 2×2 max pool"),
]


def _rf_hint(got: Any, layers) -> str:
    expected = _rf(layers)
    if not layers:
        return "with no layers each output is a single input pixel: return 1."
    strides = [s for _, s in layers]
    alternatives = [
        (1 + sum(k - 1 for k, _ in layers),
         "a layer after a stride-s layer sees its input s pixels apart: multiply (k - 1) by the "
         "product of the strides of the layers BEFORE it (the 'jump')."),
        (sum(k for k, _ in layers), "kernels do not simply add up: each layer adds (k - 1)·jump to the field."),
        (int(np.prod([k for k, _ in layers])), "kernels do not multiply: each layer adds (k - 1)·jump to the field."),
        (1 + sum((k - 1) * int(np.prod(strides[:i + 1])) for i, (k, _) in enumerate(layers)),
         "a layer's own stride does not widen its own window: its (k - 1) is multiplied by the strides "
         "of the layers before it only."),
        (sum((k - 1) * int(np.prod(strides[:i])) for i, (k, _) in enumerate(layers)),
         "start from 1 (one output pixel sees itself), then add (k - 1)·jump per layer."),
    ]
    for value, hint in alternatives:
        if value != expected and got == value:
            return hint
    return "start with r = 1 and jump = 1; for each (k, s): r += (k - 1)·jump, then jump *= s."


def receptive_field(func: Callable, cases=None, hidden: bool = False) -> None:
    """Check ``receptive_field(layers) -> int`` for a list of (kernel, stride) pairs."""
    name = "receptive_field"
    cases = RF_CASES if cases is None else cases
    for layers, *where in cases:
        case = _label(where[0] if where else f"layers={layers}", hidden)
        got = call(name, func, list(layers), case=case)
        _expect_int(name, got, _rf(layers), case=case, hint=_rf_hint(got, layers))
    _done(name, len(cases), hidden)
