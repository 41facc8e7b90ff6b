"""Checks for notebook 2: convolution and hand-crafted kernels.

The lecture's examples are here as constants (the notebook prints and uses
them); each check runs the student's function or kernel on small cases, the
lecture's numbers first, and raises :class:`~cnnlab.checks.CheckError` with a
hint on the first failure. Functions are compared with
``scipy.signal.correlate2d``: the cross-correlation that deep-learning
frameworks call convolution (``tf.nn.conv2d`` gives the same numbers).
Kernels are graded by what they do to test images, not by comparison with one
array, so every kernel with the right effect passes.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np
from scipy.signal import correlate2d

from .core import CheckError, NotDoneError, call, count_loops, expect_array, fail, passed

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


# --------------------------------------------------------------------------- references


def correlate(image, kernel, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Reference single-channel cross-correlation (zero padding, then stride), float64."""
    padded = np.pad(np.asarray(image, dtype=np.float64), padding)
    return correlate2d(padded, np.asarray(kernel, dtype=np.float64), mode="valid")[::stride, ::stride]


def correlate_multi(x, w, b, stride: int = 1, padding: int = 0) -> np.ndarray:
    """Reference multi-channel, multi-filter cross-correlation: (H, W, C) → (H', W', K)."""
    x, w = np.asarray(x, dtype=np.float64), np.asarray(w, dtype=np.float64)
    maps = [sum(correlate(x[..., c], w[:, :, c, k], stride, padding) for c in range(x.shape[2])) + b[k]
            for k in range(w.shape[3])]
    return np.stack(maps, axis=-1)


def apply_kernel(kernel, image) -> np.ndarray:
    """A kernel applied to a 2-D image with zero padding that keeps the size ("same")."""
    return correlate2d(np.asarray(image, dtype=np.float64), np.asarray(kernel, dtype=np.float64),
                       mode="same")


def _same(got: np.ndarray, expected: np.ndarray) -> bool:
    """``got`` has ``expected``'s shape and values (no error when the shapes differ)."""
    return got.shape == expected.shape and bool(np.allclose(got, expected))


def _random(seed: int, shape) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=shape).round(2)


# --------------------------------------------------------------------------- the 4×4 quiz


def _value(name: str, value: Any, what: str) -> Any:
    """The student's answer value; NotDoneError while it is still the blank stub."""
    if callable(value):  # the blank stub of a function, or an answer written as a function
        value = call(name, value, case="calling it")
    if value is None:
        raise NotDoneError(f"{name} is not written yet: replace `{name} = None` with {what}, "
                           "run that cell, then run this check again.")
    return value


def answer_toy_4x4(value: Any) -> None:
    """Check the hand-computed output of lecture 002's 4×4 toy example."""
    name = "answer_toy_4x4"
    value = _value(name, value, "the 2×2 output as a NumPy array, e.g. `np.array([[a, b], [c, d]])`")
    case = "lecture 002's 4×4 image with the 3×3 kernel"
    try:
        got = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        fail(name, case, f"expected a 2×2 array of numbers, got {value!r}",
             "write the four numbers as `np.array([[a, b], [c, d]])`.")
    expected = correlate(TOY_IMAGE, LECTURE_KERNEL)
    if got.shape != expected.shape:
        fail(name, case, f"expected shape (2, 2), got shape {got.shape}",
             "a 4×4 image has (4 − 3 + 1) × (4 − 3 + 1) = 2 × 2 positions for a 3×3 kernel, "
             "so the output is 2×2.")
    hint = "multiply each patch by the kernel element by element and add the nine products."
    if np.array_equal(got, expected.T):
        hint = ("you have the right numbers in the wrong places: patch 2 is one step to the RIGHT of "
                "patch 1 (top-right output), patch 3 is one step DOWN (bottom-left output).")
    elif np.array_equal(got, np.array([[4, 3], [2, 4]])):
        hint = "those are the first outputs of lecture 000's 5×5 example; here the image is lecture 002's 4×4."
    expect_array(name, got, expected, case=case, hint=hint)
    passed(name, 1)


# --------------------------------------------------------------------------- conv2d


def _call(name: str, func: Callable, *args, case: str, hint: str, **kwargs):
    """``call`` with this notebook's hint when the student's function raises an error."""
    try:
        return call(name, func, *args, case=case, **kwargs)
    except NotDoneError:
        raise
    except CheckError as err:
        lines = str(err).splitlines()
        if len(lines) < 2 or not re.search(r" raised \w+$", lines[0]):
            raise
        fail(name, f"{case} raised an error", lines[1].strip(), hint)


def _conv2d_hint(got, image, kernel, stride, padding) -> str:
    """Name the common mistake that produces ``got``, if we recognise it."""
    expected = correlate(image, kernel, stride, padding)
    if not isinstance(got, np.ndarray):
        return ""
    if got.shape != expected.shape:
        h, w = image.shape[0] + 2 * padding - kernel.shape[0], image.shape[1] + 2 * padding - kernel.shape[1]
        if got.shape == (-(-h // stride) + 1, -(-w // stride) + 1) != expected.shape:
            return "round DOWN: positions where the kernel would stick out of the image do not count; " + SIZE_HINT
        if padding and got.shape == correlate(image, kernel, stride, 0).shape:
            return ("add `padding` rows and columns of zeros on all four sides first, "
                    "`np.pad(image, padding)`; " + SIZE_HINT)
        return SIZE_HINT
    if _same(got, correlate(image, kernel[::-1, ::-1], stride, padding)):
        return FLIP_HINT
    if stride > 1 and _same(got, correlate(image, kernel, 1, padding)[:got.shape[0], :got.shape[1]]):
        return ("the window must move by `stride` pixels: output (i, j) uses the patch that starts at "
                "row i * stride and column j * stride.")
    if padding and _same(got, correlate(image, kernel, 1, 0)[:got.shape[0], :got.shape[1]]):
        return "pad the image with zeros before sliding the kernel: `np.pad(image, padding)`."
    return "output (i, j) is the sum of the kernel times the patch that starts at row i·stride, column j·stride."


def conv2d(func: Callable) -> None:
    """Check ``conv2d(image, kernel, stride=1, padding=0) -> (H', W') float64``."""
    name = "conv2d"
    asymmetric = np.array([[1.0, 2.0, 0.0], [0.0, 0.0, -1.0], [3.0, 0.0, 0.0]])
    edge = np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]])
    cases = [  # (case, image, kernel, stride, padding)
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
    for case, image, kernel, stride, padding in cases:
        got = _call(name, func, image, kernel, case=case, stride=stride, padding=padding,
                    hint="slice the patch `padded[r:r + kh, c:c + kw]` with `kh, kw = kernel.shape` (the "
                         "kernel may be rectangular) and multiply it by the kernel; the traceback above "
                         "shows which line failed.")
        expected = correlate(image, kernel, stride, padding)
        if isinstance(got, np.ndarray) and got.shape == expected.shape and got.dtype != np.float64:
            fail(name, case, f"expected dtype float64\ngot dtype      {got.dtype}", DTYPE_HINT)
        expect_array(name, got, expected, case=case, dtype=np.float64,
                     hint=_conv2d_hint(got, image, kernel, stride, padding))
    passed(name, len(cases))


# --------------------------------------------------------------------------- conv2d_multi


def _multi_cases():
    rng = np.random.default_rng(10)
    identity = np.zeros((3, 3))
    identity[1, 1] = 1
    one_channel = LECTURE_IMAGE[:, :, None]
    return [  # (case, x, w, b, stride, padding)
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


def _multi_hint(got, x, w, b, stride, padding) -> str:
    """Name the common mistake that produces ``got``, if we recognise it."""
    expected = correlate_multi(x, w, b, stride, padding)
    if not isinstance(got, np.ndarray):
        return ""
    if got.shape != expected.shape:
        if got.shape == expected.shape[:2]:
            return "return all K feature maps stacked along the last axis: shape (H', W', K)."
        if got.shape == expected.shape[::-1] or got.shape == (expected.shape[2], *expected.shape[:2]):
            return "the feature maps go along the LAST axis: shape (H', W', K), channels last like x."
        return SIZE_HINT + " The depth of the output is K, the number of filters."
    if _same(got, expected - b):
        return "add the bias: every value of feature map k gets `b[k]` added once."
    if _same(got, correlate_multi(x, w[::-1, ::-1], b, stride, padding)):
        return FLIP_HINT
    per_channel = np.stack([correlate(x[..., 0], w[:, :, 0, k], stride, padding) + b[k]
                            for k in range(w.shape[3])], axis=-1)
    if x.shape[2] > 1 and _same(got, per_channel):
        return ("sum over all C input channels too: each output value is "
                "`np.sum(patch * w[:, :, :, k]) + b[k]` with the (F, F, C) patch.")
    if _same(got, correlate_multi(x, w.transpose(1, 0, 2, 3), b, stride, padding)):
        return ("you paired the window's rows with the kernel's columns: `sliding_window_view` puts the "
                "two window axes LAST, (H', W', C, F, F), so window axis 3 (rows) goes with w's axis 0 "
                "and window axis 4 (columns) with w's axis 1.")
    if stride > 1 and _same(got, correlate_multi(x, w, b, 1, padding)[:got.shape[0], :got.shape[1]]):
        return ("the window must move by `stride` pixels: output (i, j) uses the patch that starts at "
                "row i * stride and column j * stride.")
    return ("output (i, j, k) = the sum over the F×F window and all C channels of the patch times "
            "filter k, plus b[k]; filter k is `w[:, :, :, k]`.")


def _check_multi(name: str, func: Callable, loops: int | None) -> None:
    cases = _multi_cases()
    for case, x, w, b, stride, padding in cases:
        got = _call(name, func, x, w, b, case=case, stride=stride, padding=padding, hint=LAYOUT_HINT)
        expected = correlate_multi(x, w, b, stride, padding)
        if isinstance(got, np.ndarray) and got.shape == expected.shape and got.dtype != np.float64:
            fail(name, case, f"expected dtype float64\ngot dtype      {got.dtype}", DTYPE_HINT)
        expect_array(name, got, expected, case=case, dtype=np.float64, rtol=1e-7, atol=1e-7,
                     hint=_multi_hint(got, x, w, b, stride, padding))
    n_loops = count_loops(func)
    if loops is not None and n_loops is not None and n_loops > loops:
        fail(name, "loop count", f"expected no Python loop; your function has {n_loops} "
             "(for/while loops and comprehensions count).",
             "let NumPy do the looping: `sliding_window_view` gives every window at once, then one "
             "`np.tensordot` (or `@`) multiplies all windows with all filters.")
    passed(name, len(cases) + (loops is not None and n_loops is not None))


def conv2d_multi_loops(func: Callable) -> None:
    """Check ``conv2d_multi_loops(x, w, b, stride=1, padding=0) -> (H', W', K) float64``."""
    _check_multi("conv2d_multi_loops", func, loops=None)


def conv2d_multi(func: Callable) -> None:
    """Check ``conv2d_multi``: the same results as the loop version, without Python loops."""
    _check_multi("conv2d_multi", func, loops=0)


# --------------------------------------------------------------------------- kernels


def _kernel(name: str, value: Any) -> np.ndarray:
    """The student's kernel as a float array, after the type and shape checks."""
    value = _value(name, value, "your kernel, a NumPy array such as `np.array([[...], [...], [...]])`")
    case = "is it a kernel?"
    try:
        kernel = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        fail(name, case, f"expected a 2-D array of numbers, got {type(value).__name__}: {value!r}",
             "write the kernel as `np.array([[a, b, c], [d, e, f], [g, h, i]])`.")
    if kernel.ndim != 2 or kernel.shape[0] != kernel.shape[1] or kernel.shape[0] % 2 == 0:
        fail(name, case, f"expected a square kernel of odd size (3×3, 5×5, …), got shape {kernel.shape}",
             "an odd size gives the kernel a centre pixel, the one the output is written to.")
    if not np.isfinite(kernel).all():
        fail(name, case, "your kernel contains NaN or infinity.", "use finite numbers only.")
    return kernel


def _inner(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """The part of a "same" result that the zero padding does not touch."""
    m = kernel.shape[0] // 2
    return image[m:image.shape[0] - m, m:image.shape[1] - m]


def _flat_case(name: str, kernel: np.ndarray, value: float, expected: float, hint: str) -> None:
    flat = np.full((12, 12), value)
    out = _inner(apply_kernel(kernel, flat), kernel)
    case = f"a flat image (every pixel {value:g}) must come out {expected:g} everywhere"
    if not np.allclose(out, expected, atol=1e-9):
        fail(name, case, f"expected {expected:g}\ngot      {out.flat[0]:.6g}  (the kernel's weights sum to "
             f"{kernel.sum():.6g})", hint)


_DIRECTIONS = {(1, 0): "down", (-1, 0): "up", (0, 1): "right", (0, -1): "left",
               (1, 1): "down and right", (1, -1): "down and left", (-1, 1): "up and right",
               (-1, -1): "up and left", (0, 0): "nowhere (that is the identity)"}


def _moves(kernel: np.ndarray, image: np.ndarray) -> tuple[int, int] | None:
    """The one-pixel move (rows, cols) the kernel performs on ``image``, or None."""
    out = apply_kernel(kernel, image)
    m = kernel.shape[0] // 2 + 1
    for (dr, dc) in _DIRECTIONS:
        moved = np.roll(image, (dr, dc), axis=(0, 1))
        if np.allclose(out[m:-m, m:-m], moved[m:-m, m:-m]):
            return dr, dc
    return None


def kernel_shift_down(value: Any) -> None:
    """Check a kernel that moves an image down by one pixel."""
    name = "kernel_shift_down"
    kernel = _kernel(name, value)
    image = _random(20, (16, 20))
    case = "a 16×20 test image must move down by one pixel"
    move = _moves(kernel, image)
    if move != (1, 0):
        if move is not None:
            hint = (f"your kernel moves the image {_DIRECTIONS[move]}. Output pixel (r, c) must read the "
                    "input pixel ABOVE it, (r − 1, c): put the 1 where the kernel looks at the pixel above "
                    "its centre. The 1 sits on the side the pixels come FROM, opposite to the direction "
                    "they move.")
        elif np.isclose(kernel.sum(), 0) or not np.isclose(kernel.sum(), 1):
            hint = (f"the weights sum to {kernel.sum():.3g}; a shift keeps every pixel's brightness, so it "
                    "has one weight of 1 and zeros elsewhere.")
        else:
            hint = "a shift copies one neighbour: one weight is 1, all the others are 0."
        out = _inner(apply_kernel(kernel, image), kernel)[1:]
        expected = _inner(image, kernel)[:-1]
        fail(name, case, f"output row r should equal input row r − 1; first rows of the output:\n"
             f"  {np.array2string(out[:2, :6], precision=2)}\nexpected\n"
             f"  {np.array2string(expected[:2, :6], precision=2)}", hint)
    passed(name, 1)


def _noise_ratio(kernel: np.ndarray, seed: int = 21) -> float:
    """Variance of the kernel's output on white noise, relative to the noise's variance."""
    noise = np.random.default_rng(seed).normal(size=(160, 160))
    return float(_inner(apply_kernel(kernel, noise), kernel).var() / noise.var())


def kernel_box_blur_5x5(value: Any) -> None:
    """Check a kernel that averages each 5×5 neighbourhood."""
    name = "kernel_box_blur_5x5"
    kernel = _kernel(name, value)
    s = kernel.sum()
    if np.isclose(s, 25):
        hint = "divide by 25, the number of weights, so that they sum to 1: `np.ones((5, 5)) / 25`."
    elif np.isclose(s, 0):
        hint = "all weights are 0: integer division `1 // 25` is 0; use `/`."
    else:
        hint = "an average leaves a flat region as it is: its weights sum to 1."
    _flat_case(name, kernel, 100.0, 100.0, hint)
    ratio = _noise_ratio(kernel)
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
    passed(name, 2)


def _step(horizontal: bool, low: float = 50.0, high: float = 150.0) -> np.ndarray:
    """A 14×14 image: a sharp step from ``low`` to ``high``, vertical edge unless ``horizontal``."""
    image = np.full((14, 14), low)
    image[:, 7:] = high
    return image.T.copy() if horizontal else image


def kernel_sharpen(value: Any) -> None:
    """Check a kernel that sharpens: flat stays flat, edges gain contrast, nothing moves."""
    name = "kernel_sharpen"
    kernel = _kernel(name, value)
    s = kernel.sum()
    if np.isclose(s, 0.2):
        hint = ("the weights sum to 1/5, so the image comes out 5× darker. Lecture 002 writes 1/5 in front "
                "of the kernel; leave that factor out: 5 − 1 − 1 − 1 − 1 = 1.")
    elif np.isclose(s, 0):
        hint = ("the weights sum to 0: that is an edge detector (flat regions become 0). A sharpen kernel is "
                "the identity plus an edge detector: its weights sum to 1.")
    else:
        hint = "sharpening keeps a flat region as it is: the weights must sum to 1."
    _flat_case(name, kernel, 80.0, 80.0, hint)
    rows, cols = np.mgrid[0:14, 0:14]
    ramp = 10.0 + 2.0 * rows + 3.0 * cols
    case = "a smooth ramp (no edges) must not change: the kernel may not move the image"
    out = _inner(apply_kernel(kernel, ramp), kernel)
    if not np.allclose(out, _inner(ramp, kernel)):
        fail(name, case, f"the ramp changed by up to {np.abs(out - _inner(ramp, kernel)).max():.3g}",
             "make the kernel symmetric around its centre (opposite neighbours get equal weights), so "
             "that it sharpens in place instead of shifting the image.")
    outs = {h: _inner(apply_kernel(kernel, _step(h)), kernel) for h in (False, True)}
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
        elif np.allclose(out, _inner(_step(horizontal), kernel)):
            hint = "your kernel leaves the edge as it is (the identity): subtract the neighbours."
        elif out.min() >= 50 - 1e-9 and out.max() <= 150 + 1e-9:
            hint = ("the edge got softer or stayed put: a sharpen kernel subtracts the neighbours, so "
                    "its centre weight is above 1 and the neighbours are negative.")
        else:
            hint = ("subtract the neighbours from a centre weight above 1, e.g. the centre minus its four "
                    "neighbours, added to the pixel itself.")
        fail(name, case, f"output values range from {out.min():.4g} to {out.max():.4g}; expected some "
             "below 45 and some above 155", hint)
    passed(name, 4)


def kernel_edge(value: Any) -> None:
    """Check an edge detector: 0 on flat regions, a response to edges in every direction."""
    name = "kernel_edge"
    kernel = _kernel(name, value)
    _flat_case(name, kernel, 120.0, 0.0,
               "a flat region has no edge, so the output must be 0 there: the weights must sum to 0 "
               "(in the lecture's kernel the centre's 8 balances the eight −1).")
    for horizontal in (False, True):
        image = _step(horizontal, 0.0, 100.0)
        out = _inner(apply_kernel(kernel, image), kernel)
        direction = "horizontal" if horizontal else "vertical"
        case = f"a {direction} edge from 0 to 100 must give a response next to the edge"
        if np.abs(out).max() < 1.0:
            hint = ("all weights are 0." if not kernel.any() else
                    "it only sees edges in one direction (like a Sobel kernel); an edge detector for "
                    "every direction compares the centre with ALL its neighbours.")
            fail(name, case, f"the largest |output| is {np.abs(out).max():.3g}; expected at least 1", hint)
    passed(name, 3)
