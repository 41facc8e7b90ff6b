"""Checks for notebook 4: max and average pooling, vectorized, and max pooling's backward pass.

Every array here is channels last, ``(H, W, C)``, as in Keras. A check runs
the student's function on the lecture's examples first, then on cases that
catch the usual mistakes (pooling across channels, size and stride swapped,
ceil instead of floor, dividing by the wrong count, ``(C, H, W)`` results),
and raises :class:`~cnnlab.checks.CheckError` with a hint on the first failure.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .core import CheckError, NotDoneError, call, count_loops, expect_array, fail, passed, random_images

# Lecture 002, "Pooling": the 4×4 feature map holding 1 … 16, row by row.
LECTURE_1_TO_16 = np.arange(1, 17).reshape(4, 4, 1)
# Lecture 001, "Max Pooling" (the single depth slice of CS231n's slide): 2×2 windows at stride 2
# give [[6, 8], [3, 4]].
LECTURE_DEPTH_SLICE = np.array([[1, 1, 2, 4],
                                [5, 6, 7, 8],
                                [3, 2, 1, 0],
                                [1, 2, 3, 4]]).reshape(4, 4, 1)

MODES = ("max", "avg")


# --------------------------------------------------------------------------- references


def output_size(n: int, size: int, stride: int) -> int:
    """Windows that fit in a side of ``n`` pixels: (n - size) // stride + 1 (floor, Keras 'valid')."""
    return (n - size) // stride + 1


def _windows(x: np.ndarray, size: int, stride: int) -> np.ndarray:
    """(H', W', C, size, size): the windows a ``stride`` visits."""
    return sliding_window_view(x, (size, size), axis=(0, 1))[::stride, ::stride]


def reference_pool(x: np.ndarray, size: int = 2, stride: int = 2, mode: str = "max") -> np.ndarray:
    """Max or average pooling of an (H, W, C) array: (H', W', C)."""
    w = _windows(np.asarray(x), size, stride)
    if mode == "max":
        return w.max(axis=(-2, -1))
    return w.astype(np.float64).mean(axis=(-2, -1)) if w.dtype.kind in "biu" else w.mean(axis=(-2, -1))


def reference_max_pool_backward(dout, x, size=2, stride=2, *, accumulate=True, ties="first"):
    """dx of max pooling: each dout[i, j, c] goes to the maximum of window (i, j) in channel c.

    ``accumulate=False`` and ``ties="all"`` produce two common wrong answers (for the hints).
    """
    x = np.asarray(x)
    dx = np.zeros(x.shape, np.float64)
    h_out, w_out, channels = np.shape(dout)
    cols = np.arange(channels)
    for i in range(h_out):
        for j in range(w_out):
            r, c = i * stride, j * stride
            window = x[r:r + size, c:c + size]                     # (size, size, C)
            if ties == "all":
                mask = window == window.max(axis=(0, 1))
                dx[r:r + size, c:c + size] += mask * dout[i, j]
                continue
            k = window.reshape(size * size, channels).argmax(axis=0)  # first maximum per channel
            dr, dc = np.divmod(k, size)
            if accumulate:
                dx[r + dr, c + dc, cols] += dout[i, j]
            else:
                dx[r + dr, c + dc, cols] = dout[i, j]
    return dx


# --------------------------------------------------------------------------- hints


def _try_pool(x, size, stride, mode):
    """reference_pool, or None where those arguments make no valid window."""
    if min(size, stride) < 1 or size > min(x.shape[:2]):
        return None
    return reference_pool(x, size, stride, mode)


def _shape_hint(got, x, size, stride, mode) -> str:
    """Name the mistake that gives an output of ``got.shape``."""
    h, w, c = x.shape
    shape = got.shape
    ho, wo = output_size(h, size, stride), output_size(w, size, stride)
    ceil = (-(-(h - size) // stride) + 1, -(-(w - size) // stride) + 1, c)
    floor_rule = (f"The output has (H - size) // stride + 1 = ({h} - {size}) // {stride} + 1 = {ho} rows, "
                  f"({w} - {size}) // {stride} + 1 = {wo} columns and the input's {c} channel(s).")

    def same(alt):
        try:
            return alt is not None and alt.shape == shape and np.allclose(np.asarray(got, float), alt)
        except (TypeError, ValueError):  # e.g. an object array: no match
            return False

    if shape == (c, ho, wo) and c != ho:
        return ("arrays are channels last: return (H', W', C), not (C, H', W'). Pool over axes 0 and 1 "
                "of x (`window.max(axis=(0, 1))`) and do not transpose.")
    if shape == (ho, wo):
        return "keep the channel axis: return (H', W', C), even when C is 1. " + floor_rule
    if c > 1 and shape == (ho, wo, 1):
        return (f"pooling keeps the depth: pool each of the {c} channels on its own, so the output has "
                f"{c} channels too (32×32×3 → 16×16×3). Reduce over axes (0, 1) only.")
    if size != stride and same(_try_pool(x, stride, size, mode)):
        return (f"size and stride are swapped: `size` is the side of the window ({size}×{size}), "
                f"`stride` is how far the window moves ({stride}). " + floor_rule)
    if size != stride and same(_try_pool(x, size, size, mode)):
        return f"the window must move by `stride` = {stride}, not by `size` = {size}. " + floor_rule
    if shape == ceil:
        return ("a window that does not fit entirely inside the input is dropped (floor, like Keras' "
                "padding='valid'), not kept as a partial window (ceil). " + floor_rule)
    if stride > 1 and shape == (h - size + 1, w - size + 1, c):
        return f"move the window by `stride` = {stride} pixels, not by 1. " + floor_rule
    if shape == (h, w, c):
        return "pooling makes the map smaller. " + floor_rule
    if shape in ((ho, wo, size), (ho, wo, c, size), (ho, wo, size, size)) and shape != (ho, wo, c):
        return ("reduce over the window's rows and columns only: windows from `sliding_window_view` have shape "
                "(H', W', C, size, size), so take `.max(axis=(-2, -1))` / `.mean(axis=(-2, -1))`. " + floor_rule)
    return floor_rule


def _channel_mixed(x, size, stride, mode) -> np.ndarray:
    """Pooling over the window AND the channels, broadcast back to every channel."""
    w = _windows(np.asarray(x, np.float64), size, stride)
    pooled = w.max(axis=(-3, -2, -1)) if mode == "max" else w.mean(axis=(-3, -2, -1))
    return np.repeat(pooled[..., None], x.shape[2], axis=2)


def _value_hint(got, x, size, stride, mode) -> str:
    """Name the mistake that gives these values (the shape is right)."""
    got = np.asarray(got, np.float64)
    expected = reference_pool(x, size, stride, mode).astype(np.float64)
    other = reference_pool(x, size, stride, "avg" if mode == "max" else "max").astype(np.float64)
    close = lambda a: a.shape == got.shape and np.allclose(got, a)  # noqa: E731
    if x.shape[2] > 1:
        mixed = _channel_mixed(x, size, stride, mode)
        if close(mixed) or close(mixed * x.shape[2]):
            return ("you pooled across the channels too: each channel is pooled on its own, so reduce "
                    f"over the window's rows and columns only, `window.{'max' if mode == 'max' else 'mean'}(axis=(0, 1))`.")
    if close(other):
        return ("that is average pooling: max pooling takes the largest value of each window."
                if mode == "max" else
                "that is max pooling: average pooling takes the mean of each window.")
    if mode == "max":
        if (expected < 0).any() and close(np.maximum(expected, 0)):
            return ("every value of a window can be negative: start from the window's own values "
                    "(`window.max(...)`) or from -inf, not from 0.")
        return "each output value is the largest value of its size×size window, channel by channel."
    n = size * size
    for factor, hint in ((n, f"you summed the window: divide by the number of values, size*size = {n}."),
                         (size, f"you divided by size = {size}: a {size}×{size} window has size*size = {n} values."),
                         (n / 4, f"you divided by 4, which is right only for 2×2 windows: divide by size*size = {n}."),
                         (1 / x.shape[2], f"you divided by size*size*C: average each channel over its {n} values only.")):
        if factor != 1 and close(expected * factor):
            return hint
    if close(np.floor(expected)):
        return "the averages were rounded down: use `/`, not `//`, and a float output array."
    return f"each output value is the mean of the {n} values of its {size}×{size} window, channel by channel."


def _dtype_hint(got, x, mode) -> str | None:
    if mode == "max" and got.dtype != x.dtype:
        return (f"max pooling picks values of x, so the output keeps x's dtype ({x.dtype}), as Keras does; "
                f"got {got.dtype}. Create the output with `np.zeros(shape, dtype=x.dtype)` "
                "(plain `np.zeros` makes float64).")
    if mode == "avg" and not np.issubdtype(got.dtype, np.floating):
        return (f"an average of integers is not an integer: the output must be a float array, got {got.dtype}. "
                "`np.zeros_like(x)` copies x's integer dtype and turns 3.25 into 3; use "
                "`np.zeros((H_out, W_out, C))`, which is float64.")
    return None


def expect_pooled(name: str, got, x, size: int, stride: int, mode: str, *, case: str,
                  expected=None) -> None:
    """``got`` must be the ``mode`` pooling of ``x``: shape, then dtype, then values, each with its hint."""
    if expected is None:
        expected = reference_pool(x, size, stride, mode)
    expected = np.asarray(expected)
    if got is None:
        fail(name, case, "your function returned None.", "did you forget the `return` statement?")
    if not isinstance(got, np.ndarray):
        fail(name, case, f"expected a NumPy array, got {type(got).__name__}",
             "return a NumPy array (build the output with `np.zeros`, fill it, return it).")
    if got.shape != expected.shape:
        fail(name, case, f"expected shape {expected.shape}\ngot shape      {got.shape}",
             _shape_hint(got, x, size, stride, mode))
    hint = _dtype_hint(got, x, mode)
    if hint:
        fail(name, case, f"expected dtype {x.dtype if mode == 'max' else 'float'}\ngot dtype      {got.dtype}", hint)
    rtol = 1e-5 if got.dtype == np.float32 or x.dtype == np.float32 else 1e-7
    expect_array(name, got, expected, case=case, rtol=rtol, atol=1e-6,
                 hint=_value_hint(got, x, size, stride, mode))


# --------------------------------------------------------------------------- cases


def _forward_cases(mode: str) -> list[tuple[str, np.ndarray, dict, object]]:
    """(case, x, keyword arguments, expected or None) from simplest to edge cases."""
    rng = np.random.default_rng(4)
    two = rng.normal(size=(6, 6, 1))
    two_channels = np.concatenate([two, -np.abs(two[::-1]) - 0.1], axis=2)  # different content; channel 1 < 0
    lecture_16 = [[6, 8], [14, 16]] if mode == "max" else [[3.5, 5.5], [11.5, 13.5]]
    slice_ = [[6, 8], [3, 4]] if mode == "max" else [[3.25, 5.25], [2.0, 2.0]]
    stride_1 = [[6, 7, 8], [10, 11, 12], [14, 15, 16]] if mode == "max" else \
        [[3.5, 4.5, 5.5], [7.5, 8.5, 9.5], [11.5, 12.5, 13.5]]
    as_map = lambda a: np.array(a)[..., None]  # noqa: E731
    return [
        (f"the lecture's 4×4 map of 1…16, default size=2, stride=2 (→ {lecture_16})",
         LECTURE_1_TO_16, {}, as_map(lecture_16)),
        (f"the lecture's depth slice [[1,1,2,4],[5,6,7,8],[3,2,1,0],[1,2,3,4]], size=2, stride=2 (→ {slice_})",
         LECTURE_DEPTH_SLICE, {"size": 2, "stride": 2}, as_map(slice_)),
        ("the lecture's 2×2 pooling with stride=1 on 1…16 (overlapping windows, 3×3 output)",
         LECTURE_1_TO_16, {"size": 2, "stride": 1}, as_map(stride_1)),
        ("a 6×6×2 map whose two channels differ (the second is negative everywhere)",
         two_channels, {"size": 2, "stride": 2}, None),
        ("a 32×32×3 uint8 image (→ 16×16×3: the depth stays)",
         random_images(rng, (32, 32, 3)), {"size": 2, "stride": 2}, None),
        ("a 7×7×2 map, size=3, stride=2 (overlapping, like AlexNet's POOL1)",
         rng.normal(size=(7, 7, 2)), {"size": 3, "stride": 2}, None),
        ("a 5×5×1 map, size=2, stride=2 (5 is odd: the last row and column are dropped → 2×2)",
         np.arange(25.0).reshape(5, 5, 1), {"size": 2, "stride": 2}, None),
        ("a 6×9×4 float32 map, size=3, stride=3 (not square)",
         rng.normal(size=(6, 9, 4)).astype(np.float32), {"size": 3, "stride": 3}, None),
        ("a 9×8×3 map, size=2, stride=3 (gaps between windows)",
         rng.normal(size=(9, 8, 3)), {"size": 2, "stride": 3}, None),
    ]


def _check_forward(name: str, func: Callable, mode: str, extra_hint: str = "",
                   extra_args: dict | None = None) -> int:
    """Run every forward case (``extra_args`` go to every call); ``extra_hint`` is added where size != stride fails."""
    cases = _forward_cases(mode)
    for case, x, kwargs, expected in cases:
        size, stride = kwargs.get("size", 2), kwargs.get("stride", 2)
        try:
            got = call(name, func, x, case=case, **kwargs, **(extra_args or {}))
            expect_pooled(name, got, x, size, stride, mode, case=case, expected=expected)
        except NotDoneError:
            raise
        except CheckError as err:
            if extra_hint and size != stride:
                raise CheckError(f"{err}\nAlso: {extra_hint}") from None
            raise
    return len(cases)


def max_pool2d(func: Callable) -> None:
    """Check ``max_pool2d(x, size=2, stride=2) -> (H', W', C)``, x's dtype."""
    passed("max_pool2d", _check_forward("max_pool2d", func, "max"))


def avg_pool2d(func: Callable) -> None:
    """Check ``avg_pool2d(x, size=2, stride=2) -> (H', W', C)`` float."""
    passed("avg_pool2d", _check_forward("avg_pool2d", func, "avg"))


RESHAPE_HINT = ("reshaping into (H', size, W', size, C) blocks works only when stride == size; for "
                "overlapping windows (stride < size) or gaps (stride > size) take the windows with "
                "`sliding_window_view(x, (size, size), axis=(0, 1))[::stride, ::stride]`.")


def pool2d(func: Callable) -> None:
    """Check ``pool2d(x, size=2, stride=2, mode="max")``: both modes, no Python loop, ValueError otherwise."""
    name = "pool2d"
    n = 0
    for mode in MODES:
        n += _check_forward(name, func, mode, RESHAPE_HINT, {} if mode == "max" else {"mode": "avg"})
    n_loops = count_loops(func)
    if n_loops is not None:
        if n_loops:
            fail(name, "loop count", f"expected no Python loop; your function has {n_loops} "
                 "(for/while loops and comprehensions count).",
                 "let NumPy do the looping: `sliding_window_view(x, (size, size), axis=(0, 1))` gives all "
                 "windows at once, `[::stride, ::stride]` keeps those the stride visits, then reduce over "
                 "the last two axes.")
        n += 1
    x = LECTURE_1_TO_16.astype(np.float64)
    try:
        func(x, mode="min")
    except ValueError:
        pass
    except NotImplementedError:
        raise
    except Exception as err:
        fail(name, "mode='min'", f"raised {type(err).__name__}: {err}",
             "raise ValueError for a mode other than 'max' or 'avg', with a message naming both.")
    else:
        fail(name, "mode='min'", "no error was raised for an unknown mode.",
             "raise ValueError for a mode other than 'max' or 'avg', with a message naming both.")
    passed(name, n + 1)


def _backward_hint(got, dout, x, size, stride) -> str:
    got = np.asarray(got, np.float64)
    close = lambda a: a.shape == got.shape and np.allclose(got, a)  # noqa: E731
    h_out, w_out, c = np.shape(dout)
    if close(reference_max_pool_backward(dout, x, size, stride, accumulate=False)):
        return ("windows overlap when stride < size, and an input that is the maximum of several windows "
                "collects the gradient of each: add (`+=`), do not assign (`=`).")
    if close(reference_max_pool_backward(dout, x, size, stride, ties="all")):
        return ("when a window has several equal maxima, send the gradient to the first one only "
                "(row-major order, what `np.argmax` of the flattened window gives), as TensorFlow does.")
    spread = np.zeros(x.shape)
    for i in range(h_out):
        for j in range(w_out):
            spread[i * stride:i * stride + size, j * stride:j * stride + size] += dout[i, j] / (size * size)
    if close(spread):
        return ("you spread the gradient evenly over the window, as average pooling's backward pass does; "
                "max pooling sends all of it to the position of the maximum.")
    ones = reference_max_pool_backward(np.ones_like(dout), x, size, stride)
    if not np.allclose(dout, 1) and close(ones):
        return "multiply by the gradient that arrives, dout[i, j, c]: the maximum receives dout, not 1."
    if c > 1:
        mixed = np.zeros(x.shape)
        for i in range(h_out):
            for j in range(w_out):
                window = x[i * stride:i * stride + size, j * stride:j * stride + size]
                r, cc, ch = np.unravel_index(window.argmax(), window.shape)
                mixed[i * stride + r, j * stride + cc, ch] += dout[i, j, ch]
        if close(mixed) or (got[..., 1:] == 0).all():
            return ("find the maximum of each channel separately: `window[:, :, ch]` or "
                    "`window.reshape(size * size, C).argmax(axis=0)` gives one position per channel.")
    return ("dx is zero everywhere except at the position of each window's maximum (per channel), "
            "which receives dout[i, j, c]; where windows overlap, the gradients add up.")


def _backward_cases():
    rng = np.random.default_rng(6)
    dout_2x2 = np.array([[1.0, 2.0], [3.0, 4.0]])[..., None]
    expected_16 = np.zeros((4, 4, 1))
    expected_16[[1, 1, 3, 3], [1, 3, 1, 3], 0] = [1, 2, 3, 4]     # at 6, 8, 14 and 16
    expected_slice = np.zeros((4, 4, 1))
    expected_slice[[1, 1, 2, 3], [1, 3, 0, 3], 0] = [1, 2, 3, 4]  # at 6, 8, 3 and 4
    overlap = np.zeros((4, 4, 1))                                 # 6, 7 and 8 are each the max of 2 windows
    overlap[[1, 1, 1, 2, 3, 3], [1, 2, 3, 0, 2, 3], 0] = [2, 2, 2, 1, 1, 1]
    ties = np.array([[5, 5, 1, 2], [5, 5, 2, 2], [0, 0, 3, 3], [0, 0, 3, 3]], np.float64)[..., None]
    expected_ties = np.zeros((4, 4, 1))
    expected_ties[[0, 0, 2, 2], [0, 3, 0, 2], 0] = 1
    a = rng.permutation(36).reshape(6, 6, 1).astype(np.float64)
    two = np.concatenate([a, 35 - a], axis=2)                     # maxima at different places per channel
    return [
        ("the lecture's 1…16, dout = [[1, 2], [3, 4]], default size=2, stride=2 (→ to 6, 8, 14, 16)",
         dout_2x2, LECTURE_1_TO_16, {}, expected_16),
        ("the lecture's depth slice, dout = [[1, 2], [3, 4]] (→ to 6, 8, 3, 4)",
         dout_2x2, LECTURE_DEPTH_SLICE, {"size": 2, "stride": 2}, expected_slice),
        ("a 6×6×2 map whose channels have their maxima in different places, random dout",
         rng.normal(size=(3, 3, 2)), two, {"size": 2, "stride": 2}, None),
        ("the depth slice with stride=1, dout = ones((3, 3, 1)): 6, 7 and 8 are each the max of 2 windows",
         np.ones((3, 3, 1)), LECTURE_DEPTH_SLICE, {"size": 2, "stride": 1}, overlap),
        ("windows with ties ([[5, 5], [5, 5]]): the gradient goes to the first maximum only",
         np.ones((2, 2, 1)), ties, {"size": 2, "stride": 2}, expected_ties),
        ("a 5×5×1 map, size=2, stride=2: the last row and column were dropped, so their gradient is 0",
         rng.normal(size=(2, 2, 1)), rng.permutation(25).reshape(5, 5, 1) * 1.0, {"size": 2, "stride": 2}, None),
        ("a 9×8×3 map, size=3, stride=2, random dout (overlapping windows)",
         rng.normal(size=(4, 3, 3)), rng.normal(size=(9, 8, 3)), {"size": 3, "stride": 2}, None),
    ]


def max_pool2d_backward(func: Callable) -> None:
    """Check ``max_pool2d_backward(dout, x, size=2, stride=2) -> dx``, float, shape of x."""
    name = "max_pool2d_backward"
    cases = _backward_cases()
    for case, dout, x, kwargs, expected in cases:
        size, stride = kwargs.get("size", 2), kwargs.get("stride", 2)
        if expected is None:
            expected = reference_max_pool_backward(dout, x, size, stride)
        got = call(name, func, dout, x, case=case, **kwargs)
        if isinstance(got, np.ndarray) and got.shape != x.shape:
            fail(name, case, f"expected shape {x.shape} (the shape of x)\ngot shape      {got.shape}",
                 "dx holds one gradient per input value: create it with `np.zeros(x.shape)`.")
        if isinstance(got, np.ndarray) and not np.issubdtype(got.dtype, np.floating):
            fail(name, case, f"expected a float array\ngot dtype {got.dtype}",
                 "gradients are real numbers: `np.zeros(x.shape)` (float64), not `np.zeros_like(x)` of an "
                 "integer x.")
        expect_array(name, got, expected, case=case,
                     hint=_backward_hint(got, dout, x, size, stride) if isinstance(got, np.ndarray) else "")
    passed(name, len(cases))
