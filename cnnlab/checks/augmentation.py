"""Checks for notebook 8: data augmentation in NumPy and with Keras preprocessing layers.

The NumPy exercises draw random numbers, and a correct answer may draw them in
any order (``rng.random(n) < 0.5`` or ``rng.integers(0, 2, n)``), so these
checks never compare with one fixed output. They test what every correct
answer has in common instead: each output image is the input, its mirror, a
window of its zero-padded version, or ``clip(mean + c·(x − mean) + d)`` with
``c`` and ``d`` fitted back from the output; the draws differ from image to
image and cover their whole range; the same generator seed gives the same
output; NumPy's global generator is left alone; and the input is not changed.

Each exercise has three parts (see :func:`cnnlab.checks.core.run_check`):

* ``collect_<exercise>(func, suite)`` runs the experiments with fixed seeds (the
  cases of ``<exercise>_cases(suite)``; ``suite="hidden"``: the grader's own) and
  records what they measured: the output images, whether NumPy's global generator
  moved, whether the same seed gave the same output again and another seed another
  one; for the Keras builders, the layers' types and settings and what the model
  does to a batch with training on and off;
* ``judge_<exercise>(data, expected)`` decides from that data alone (the Keras
  builders' layer tables come from the course's solutions: ``expected/augmentation.json``
  for the visible cases, computed by the grader for the hidden ones) and raises
  :class:`~cnnlab.checks.CheckError` with a hint;
* ``<exercise>(func)`` does both, for the self-check.

Keras is imported only when a check needs it, after
:func:`cnnlab.runtime.quiet_tensorflow`, so importing this module writes
nothing to stderr.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from . import record
from .core import attempt, fail, reraise, run_check, per_case

JUDGED = True  # the grader judges what these checks collect (cnnlab.grade.judge)
RULES: dict = {}  # no exercise of this notebook restricts loops or libraries


def _keras():
    """Import Keras quietly (TensorFlow's start-up logs go to stderr otherwise)."""
    from cnnlab import runtime

    runtime.quiet_tensorflow()
    import keras

    return keras


def _numpy(tensor: Any) -> np.ndarray:
    return np.asarray(_keras().ops.convert_to_numpy(tensor))


def _plain(value: Any) -> Any:
    """``value`` as the grader reads it back (tuples become lists, NumPy numbers Python ones)."""
    return record.decode(record.encode(value))


def _shape(value: Any) -> tuple:
    return tuple(value) if isinstance(value, (list, tuple)) else (value,)


def value_range(dtype) -> tuple[float, float]:
    """The pixel range this notebook assumes: 0–255 for uint8 images, 0–1 for float images."""
    return (0.0, 255.0) if np.dtype(dtype) == np.uint8 else (0.0, 1.0)


def test_images(rng: np.random.Generator, shape: Sequence[int], dtype, low: float = 0.0,
                high: float = 1.0) -> np.ndarray:
    """Random images of ``shape`` with values in [low, high] of the dtype's range (uint8: 0–255)."""
    lo, hi = value_range(dtype)
    values = rng.uniform(low, high, size=tuple(shape)) * (hi - lo) + lo
    return np.rint(values).astype(np.uint8) if np.dtype(dtype) == np.uint8 else values.astype(dtype)






# --------------------------------------------------------------------------- the experiments (collect)


def _run(name: str, func: Callable, images: np.ndarray, args: tuple, seed: int, case: str) -> tuple[Any, bool]:
    """``func(images, *args, rng)`` with a fresh generator: (output as data, whether NumPy's global state moved)."""
    state = np.random.get_state()
    got = attempt(name, func, images, *args, np.random.default_rng(seed), case=case)
    after = np.random.get_state()
    moved = after[0] != state[0] or not np.array_equal(after[1], state[1]) or after[2:] != state[2:]
    if moved:
        np.random.set_state(state)  # leave the student's kernel as it was
    return got, bool(moved)


def _experiment(name: str, func: Callable, images: np.ndarray, args: tuple, seed: int, case: str) -> dict:
    """Run ``func`` with ``seed``, again with ``seed``, and with ``seed + 1000``; record what came back.

    {"out": output (or description), "moved": bool, "again": {"equal": bool, "moved": bool} or
    {"raised": message}, "other": likewise}.
    """
    out, moved = _run(name, func, images, args, seed, case)
    data = {"out": out, "moved": moved}
    if isinstance(out, np.ndarray):
        for key, s, label in (("again", seed, ", called again with the same seed"),
                              ("other", seed + 1000, ", with another seed")):
            rerun, rerun_moved = _run(name, func, images, args, s, case + label)
            data[key] = (rerun if isinstance(rerun, dict) and "raised" in rerun else
                         {"equal": isinstance(rerun, np.ndarray) and np.array_equal(rerun, out), "moved": rerun_moved})
    return data


# --------------------------------------------------------------------------- shared judging


def _global_state(name: str, moved: Any, case: str) -> None:
    if moved is not False:
        fail(name, case, "your function changed the state of NumPy's global generator (np.random.*).",
             "draw every random number from the generator passed in, e.g. `rng.random(n)` or "
             "`rng.integers(low, high, n)`: the global np.random.* functions make results depend on "
             "whatever ran before.")


def _first_run(name: str, got: Any, case: str) -> Any:
    """The first call's output, after its crash or its use of the global generator is reported."""
    if not isinstance(got, dict):
        fail(name, case, "the check's data is incomplete.", "run the check cell again, unchanged.")
    reraise(got.get("out"))
    _global_state(name, got.get("moved"), case)
    return got.get("out")


def _expect_batch(name: str, got: Any, shape: tuple, dtype, case: str, shape_hint: str = "") -> np.ndarray:
    """``got`` (collected) must be an array of ``shape`` and the input's ``dtype``."""
    reraise(got)
    if isinstance(got, dict) and got.get("returned") == "None":
        fail(name, case, "your function returned None.", "did you forget the `return` statement?")
    if not isinstance(got, np.ndarray):
        what = str(got.get("returned", "")).split(":")[0] if isinstance(got, dict) else type(got).__name__
        fail(name, case, f"expected a NumPy array, got {what}",
             "return a NumPy array of images, (batch, height, width, channels).")
    if got.shape != shape:
        fail(name, case, f"expected shape {shape}\ngot shape      {got.shape}",
             shape_hint or "the output has one image per input image, (batch, height, width, channels).")
    if got.dtype != np.dtype(dtype):
        hint = (f"return the input's dtype: the images came in as {np.dtype(dtype)}. "
                + ("Round and convert back after clipping: `np.rint(out).astype(np.uint8)`."
                   if np.dtype(dtype) == np.uint8 else "Convert back with `.astype(images.dtype)`."))
        fail(name, case, f"expected dtype {np.dtype(dtype)}\ngot dtype      {got.dtype}", hint)
    return got


def _deterministic(name: str, got: dict, case: str) -> None:
    """The same seed gave the same output; another seed gave another output."""
    for key, label in (("again", ", called again with the same seed"), ("other", ", with another seed")):
        rerun = got.get(key)
        reraise(rerun)
        if not isinstance(rerun, dict):
            fail(name, case, "the check's data is incomplete.", "run the check cell again, unchanged.")
        _global_state(name, rerun.get("moved"), case + label)
    if got["again"].get("equal") is not True:
        fail(name, case + ", called twice with generators of the same seed",
             "the two outputs differ.",
             "draw every random number from the `rng` argument; do not make a new generator "
             "(np.random.default_rng()) inside your function: the same seed must give the same output.")
    if got["other"].get("equal") is not False:
        fail(name, case + ", called with generators of two different seeds",
             "the two outputs are identical.",
             "use the `rng` argument for every random draw: your function seems to ignore it.")


# --------------------------------------------------------------------------- exercise 1: random_flip


def flip_cases(suite: str = "visible") -> list[tuple[tuple, Any, int, str]]:
    """(shape, dtype, seed, case) for ``random_flip``: batches of at least 100 random images."""
    if suite == "hidden":
        return [((150, 3, 8, 2), np.uint8, 21, "hidden: 150 uint8 images of 3×8×2, seed 21"),
                ((100, 5, 6, 3), np.float64, 22, "hidden: 100 float64 images of 5×6×3, seed 22")]
    return [((200, 4, 6, 3), np.uint8, 0, "200 random uint8 images of 4×6×3, seed 0"),
            ((120, 5, 3, 1), np.float32, 1, "120 random float32 images of 5×3×1 in 0..1, seed 1")]


def _flip_images(shape, dtype, seed) -> np.ndarray:
    return test_images(np.random.default_rng(seed + 7), shape, dtype)


def collect_random_flip(func: Callable, suite: str = "visible") -> dict:
    """The experiments of each case (see :func:`_experiment`): {"runs": [...]}."""
    return {"runs": [_experiment("random_flip", func, _flip_images(shape, dtype, seed), (), seed, case)
                     for shape, dtype, seed, case in flip_cases(suite)]}


def _judge_flip(name: str, run: dict, shape: tuple, dtype, seed: int, case: str) -> None:
    images = _flip_images(shape, dtype, seed)
    got = _expect_batch(name, _first_run(name, run, case), shape, dtype, case, "a flip keeps every image's shape.")
    same = np.all(got == images, axis=(1, 2, 3))
    mirrored = np.all(got == images[:, :, ::-1], axis=(1, 2, 3))
    bad = ~(same | mirrored)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        if np.array_equal(got[i], images[i, ::-1]):
            hint = ("image {i} is upside down: you flipped axis 1, the rows (height). A horizontal flip "
                    "reverses the columns, axis 2 of the batch: `images[i, :, ::-1]`. Cats are never "
                    "upside down in CIFAR-10, so a vertical flip makes unrealistic training images.")
        elif np.array_equal(got[i], images[i, :, :, ::-1]):
            hint = "you reversed the colour channels (RGB → BGR), axis 3: flip the columns, axis 2."
        elif np.array_equal(got[i], images[i, ::-1, ::-1]):
            hint = "image {i} is rotated by 180°: flip only the columns (axis 2), not the rows too."
        else:
            hint = ("each output image must be the input image itself or its mirror image, left ↔ right "
                    "(`image[:, ::-1]` for one (height, width, channels) image).")
        fail(name, case, f"{int(bad.sum())} of {len(images)} output images are neither the input image "
             f"nor its horizontal mirror; the first is image {i}.", hint.format(i=i))
    flipped = mirrored & ~same
    n = len(images)
    if flipped.all() or not flipped.any():
        fail(name, case, f"{'all' if flipped.all() else 'none'} of the {n} images were flipped.",
             "flip each image with probability 0.5, each with its own coin: draw one random number per "
             "image, e.g. `flip = rng.random(len(images)) < 0.5`, and flip the images where it is True.")
    share = flipped.mean()
    if not 0.35 <= share <= 0.65:
        fail(name, case, f"{share:.0%} of the {n} images were flipped; expected about 50 %.",
             "flip each image with probability 0.5: `rng.random(n) < 0.5`.")
    _deterministic(name, run, case)


def judge_random_flip(data: dict, expected: dict) -> int:
    """Each image is itself or its mirror, about half flipped, one coin per image, rng only, dtype kept."""
    name = "random_flip"
    cases = flip_cases(expected["suite"])
    runs = per_case(name, data.get("runs"), len(cases))
    for (shape, dtype, seed, case), run in zip(cases, runs):
        _judge_flip(name, run, shape, dtype, seed, case)
    return 6 * len(cases)


def random_flip(func: Callable, suite: str = "visible") -> None:
    """Check ``random_flip(images, rng)``: uint8 and float batches, non-square images."""
    run_check("random_flip", __name__, suite, lambda: collect_random_flip(func, suite), judge_random_flip)


# --------------------------------------------------------------------------- exercise 2: random_crop


def crop_cases(suite: str = "visible") -> list[tuple[tuple, int, int, Any, int, str]]:
    """(shape, size, padding, dtype, seed, case) for ``random_crop``."""
    if suite == "hidden":
        return [((500, 5, 5, 2), 3, 1, np.uint8, 31, "hidden: 500 uint8 images of 5×5×2, size=3, padding=1"),
                ((160, 4, 9, 3), 4, 3, np.float64, 32, "hidden: 160 float64 images of 4×9×3, size=4, padding=3")]
    return [((400, 4, 4, 3), 4, 1, np.uint8, 0, "400 uint8 images of 4×4×3, size=4, padding=1, seed 0"),
            ((300, 6, 8, 1), 6, 2, np.float32, 1, "300 float32 images of 6×8×1, size=6, padding=2, seed 1"),
            ((100, 5, 5, 3), 5, 0, np.uint8, 2, "100 uint8 images of 5×5×3, size=5, padding=0 (nothing to crop)")]


def _crop_images(shape, padding, dtype, seed) -> np.ndarray:
    if padding == 0:  # one window only: the output is the input
        return test_images(np.random.default_rng(seed), shape, dtype)
    return test_images(np.random.default_rng(seed + 11), shape, dtype, low=0.02, high=1.0)  # 0 = padding only


def collect_random_crop(func: Callable, suite: str = "visible") -> dict:
    """The experiments of each case (see :func:`_experiment`): {"runs": [...]}."""
    return {"runs": [_experiment("random_crop", func, _crop_images(shape, padding, dtype, seed), (size, padding),
                                 seed, case)
                     for shape, size, padding, dtype, seed, case in crop_cases(suite)]}


def _windows(padded: np.ndarray, size: int) -> np.ndarray:
    """All size×size windows: (n, rows, cols, size, size, C) for padded images (n, H, W, C)."""
    view = np.lib.stride_tricks.sliding_window_view(padded, (size, size), axis=(1, 2))
    return np.moveaxis(view, 3, -1)  # (n, rows, cols, C, size, size) → (n, rows, cols, size, size, C)


def _matches(got: np.ndarray, images: np.ndarray, size: int, padding: int, mode: str = "constant") -> np.ndarray:
    """match[i, r, c]: output i is the window at row offset r and column offset c."""
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)), mode=mode)
    return np.all(_windows(padded, size) == got[:, None, None], axis=(3, 4, 5))


def _judge_crop(name: str, run: dict, shape: tuple, size: int, padding: int, dtype, seed: int, case: str) -> None:
    n, height, width, channels = shape
    images = _crop_images(shape, padding, dtype, seed)
    out = _first_run(name, run, case)
    if padding == 0:
        got = _expect_batch(name, out, shape, dtype, case)
        if not np.array_equal(got, images):
            fail(name, case, "the output differs from the input.",
                 "with padding=0 and size equal to the image size, the only window is the image itself; "
                 "`rng.integers(0, last + 1)` with last = 0 always gives 0.")
        return
    got = _expect_batch(name, out, (n, size, size, channels), dtype, case,
                        f"pad each image by {padding} pixels on every side (height and width only, not the batch "
                        f"or the channels), then cut a size×size = {size}×{size} window out of it.")
    match = _matches(got, images, size, padding)
    found = match.any(axis=(1, 2))
    if not found.all():
        i = int(np.flatnonzero(~found)[0])
        if padding and _matches(got[i:i + 1], images[i:i + 1], size, padding, mode="reflect").any():
            hint = "pad with zeros, np.pad's default mode='constant'; you padded with a mirror image (reflect)."
        elif padding and _matches(got[i:i + 1], images[i:i + 1], size, padding, mode="edge").any():
            hint = "pad with zeros, np.pad's default mode='constant'; you repeated the edge pixels."
        elif size == height == width and any(
                np.array_equal(got[i], np.roll(images[i], (a, b), axis=(0, 1)))
                for a in range(-padding, padding + 1) for b in range(-padding, padding + 1)):
            hint = ("np.roll wraps the pixels that leave one side around to the other; pad with zeros "
                    "and cut a window instead, so that the new border is black.")
        else:
            hint = (f"each output image must be a {size}×{size} window of the input image after zero-padding "
                    f"it by {padding} pixels on every side: `np.pad(image, (({padding}, {padding}), "
                    f"({padding}, {padding}), (0, 0)))`, then `padded[r:r + size, c:c + size]`.")
        fail(name, case, f"{int((~found).sum())} of {n} output images are no window of the zero-padded "
             f"input; the first is image {i}.", hint)
    first = match.reshape(n, -1).argmax(axis=1)  # the first matching window of each image
    rows, cols = np.unravel_index(first, match.shape[1:])
    last_row, last_col = height + 2 * padding - size, width + 2 * padding - size
    if len(set(zip(rows.tolist(), cols.tolist()))) == 1:
        fail(name, case, f"all {n} images were cropped at the same offset, row {rows[0]}, column {cols[0]}.",
             "draw an offset for each image, not one for the whole batch: "
             "`rows = rng.integers(0, last + 1, size=n)`.")
    if last_row == last_col and np.array_equal(rows, cols):
        fail(name, case, "every image was cropped with the same row and column offset (on the diagonal).",
             "draw the row offset and the column offset separately: two random numbers per image.")
    for axis, offsets, last in (("row", rows, last_row), ("column", cols, last_col)):
        if offsets.min() != 0 or offsets.max() != last:
            hint = (f"offsets go from 0 to {last} = height + 2·padding − size, both included. "
                    "`rng.integers(low, high)` never returns `high`: use `rng.integers(0, last + 1, n)`."
                    if offsets.max() == last - 1 else
                    f"draw each offset uniformly from 0, 1, …, {last}.")
            fail(name, case, f"the {axis} offsets of {n} images range from {offsets.min()} to {offsets.max()}; "
                 f"expected every value from 0 to {last} (the window can start anywhere from the top-left "
                 "corner of the padded image to its bottom-right one).", hint)
    _deterministic(name, run, case)


def judge_random_crop(data: dict, expected: dict) -> int:
    """Windows of the zero-padded images, an offset per image and per axis, every offset possible, rng only."""
    name = "random_crop"
    cases = crop_cases(expected["suite"])
    runs = per_case(name, data.get("runs"), len(cases))
    for (shape, size, padding, dtype, seed, case), run in zip(cases, runs):
        _judge_crop(name, run, shape, size, padding, dtype, seed, case)
    return 5 * len(cases)


def random_crop(func: Callable, suite: str = "visible") -> None:
    """Check ``random_crop(images, size, padding, rng)``: the "pad, then crop" recipe, per image."""
    run_check("random_crop", __name__, suite, lambda: collect_random_crop(func, suite), judge_random_crop)


# --------------------------------------------------------------------------- exercise 3: brightness and contrast

# (n, level, brightness): the constant uint8 images of the brightness-only case.
CONSTANT_CASE = (300, 200, 0.25)


def brightness_contrast_cases(suite: str = "visible") -> list[dict]:
    """The cases of ``adjust_brightness_contrast``: {"case", "shape", "dtype", "brightness", "contrast",
    "seed", "levels"} (levels: each channel's mean as a fraction of the range), or the constant images."""
    def case(text, shape, dtype, brightness, contrast, seed, levels=None):
        return {"case": text, "shape": shape, "dtype": dtype, "brightness": brightness, "contrast": contrast,
                "seed": seed, "levels": levels if levels is not None else (0.5,) * shape[-1]}

    if suite == "hidden":
        return [case("hidden: 150 uint8 images of 6×5×3, brightness=0.15, contrast=0.25", (150, 6, 5, 3), np.uint8,
                     0.15, 0.25, 41, (0.35, 0.55, 0.7)),
                case("hidden: 120 float64 grey images, brightness=0.3 only", (120, 4, 4, 1), np.float64, 0.3, 0.0, 42,
                     (0.7,))]
    n, level, brightness = CONSTANT_CASE
    return [{"case": f"{n} constant uint8 images of {level}, brightness={brightness}, contrast=0", "constant": True,
             "shape": (n, 2, 2, 3), "dtype": np.uint8, "brightness": brightness, "contrast": 0.0, "seed": 0},
            case("200 uint8 images of 4×4×3 with different channel means, contrast=0.3 only", (200, 4, 4, 3), np.uint8,
                 0.0, 0.3, 1, (0.6, 0.3, 0.75)),
            case("200 float32 images of 5×3×3 in 0..1, brightness=0.35, contrast=0.2", (200, 5, 3, 3), np.float32,
                 0.35, 0.2, 2, (0.6, 0.6, 0.6)),
            case("10 uint8 images, brightness=0 and contrast=0 (nothing to change)", (10, 3, 3, 3), np.uint8,
                 0.0, 0.0, 3)]


def _bc_images(spec: dict) -> np.ndarray:
    if spec.get("constant"):
        return np.full(spec["shape"], CONSTANT_CASE[1], dtype=np.uint8)
    lo, hi = value_range(spec["dtype"])
    images = test_images(np.random.default_rng(spec["seed"] + 13), spec["shape"], spec["dtype"], low=0.0, high=0.3)
    return (images.astype(np.float64) + (np.asarray(spec["levels"]) - 0.15) * (hi - lo)).astype(spec["dtype"])


def collect_adjust_brightness_contrast(func: Callable, suite: str = "visible") -> dict:
    """The experiments of each case (see :func:`_experiment`): {"runs": [...]}."""
    name = "adjust_brightness_contrast"
    return {"runs": [_experiment(name, func, _bc_images(spec), (spec["brightness"], spec["contrast"]), spec["seed"],
                                 spec["case"])
                     for spec in brightness_contrast_cases(suite)]}


def _tolerance(dtype) -> float:
    return 1.5 if np.dtype(dtype) == np.uint8 else 1e-4  # uint8: rounding or truncation


def _fit(x: np.ndarray, y: np.ndarray, lo: float, hi: float, margin: float,
         unit_contrast: bool) -> tuple[float, float]:
    """Fit y − m = c·(x − m) + d on the pixels of one image inside (lo + margin, hi − margin).

    m: the image's channel means. unit_contrast: c is known to be 1, fit d only.
    Returns (c, d), or (nan, nan) when too few pixels are left (the image is clipped almost everywhere).
    """
    m = x.mean(axis=(0, 1))
    u, v = (x - m).ravel(), (y - m).ravel()
    keep = ((y > lo + margin) & (y < hi - margin)).ravel()
    if unit_contrast:
        return (1.0, float(np.mean(v[keep] - u[keep]))) if keep.any() else (np.nan, np.nan)
    if keep.sum() < 3 or np.ptp(u[keep]) == 0:
        return np.nan, np.nan
    c, d = np.polyfit(u[keep], v[keep], 1)
    return float(c), float(d)


def _clip_formula(images: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """clip(m + c·(x − m) + d) per image, in float64, unrounded, for the c and d fitted from an output.

    images: (n, H, W, C); c, d: (n,); m: each image's mean per channel, as in ``tf.image.adjust_contrast``
    and ``keras.layers.RandomContrast``. The property every answer's output must have.
    """
    x = images.astype(np.float64)
    m = x.mean(axis=(1, 2), keepdims=True)
    lo, hi = value_range(images.dtype)
    return np.clip(m + c[:, None, None, None] * (x - m) + d[:, None, None, None], lo, hi)


def _keras_order(images: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Contrast, clip, then brightness, clip: what Keras' two layers in a row compute (also accepted)."""
    lo, hi = value_range(images.dtype)
    step = _clip_formula(images, c, np.zeros_like(d))
    return np.clip(step + d[:, None, None, None], lo, hi)


def _judge_constant(name: str, run: dict, spec: dict) -> None:
    """Brightness only, on constant uint8 images of 200: each output must be a constant 200 + d, clipped."""
    case = spec["case"]
    n, level, brightness = CONSTANT_CASE
    got = _expect_batch(name, _first_run(name, run, case), spec["shape"], np.uint8, case)
    span = brightness * 255
    values = got.reshape(n, -1)
    if not (values == values[:, :1]).all():
        i = int(np.flatnonzero(~(values == values[:, :1]).all(axis=1))[0])
        channels = got[i].reshape(-1, 3)
        hint = ("the brightness shift of an image is one number, the same for all its pixels and all its "
                "channels: draw one shift per image, `rng.uniform(-brightness, brightness, size=n)`."
                if (channels == channels[:1]).all() else
                "a constant image must stay constant: with contrast=0 every pixel gets the same shift.")
        fail(name, case, f"output image {i} is not constant: {sorted(set(got[i].ravel().tolist()))}.", hint)
    v = values[:, 0].astype(np.int64)
    low = int(np.floor(level - span - 1))
    if v.min() < low:
        i = int(np.argmin(v))
        wrapped = v[i] + 256
        hint = (f"{level} + {wrapped - level} = {wrapped} wrapped around to {v[i]}: uint8 arithmetic works "
                f"modulo 256. Compute in float (`images.astype(np.float64)`), clip to 0..255 with np.clip, "
                f"then round and convert back (`np.rint(out).astype(np.uint8)`)."
                if level <= wrapped <= level + span + 1 else
                f"the shift may not exceed ±brightness·255 = ±{span:.2f}.")
        fail(name, case, f"image {i} became {v[i]}; with brightness={brightness} a pixel of {level} may only "
             f"become {level - span:.0f}..255.", hint)
    shifts = v[v < 255] - level
    if np.abs(shifts).max(initial=0) <= 1:
        fail(name, case, f"the shifts range from {shifts.min(initial=0):+d} to {shifts.max(initial=0):+d} "
             "pixel levels only.",
             f"brightness is a fraction of the value range: for uint8 images a brightness of {brightness} "
             f"means shifts up to ±{brightness}·255 ≈ ±{span:.0f}.")
    if len(set(shifts.tolist())) == 1:
        fail(name, case, f"all {n} images got the same shift, {shifts[0]:+d}.",
             "draw one shift per image, `rng.uniform(-brightness, brightness, size=n)`, not one for the batch.")
    if v.max() < 250:
        fail(name, case, f"no image got brighter than {v.max()}; shifts up to +{span:.0f} were expected, "
             "which take 200 to 255 (clipped).",
             "draw the shift from −brightness·255 to +brightness·255 for uint8 images: "
             "brightness is a fraction of the value range, as in keras.layers.RandomBrightness.")
    if shifts.min() > -span / 2 or shifts.max() < span / 2:
        fail(name, case, f"the shifts range from {shifts.min():+d} to {shifts.max():+d}; expected them spread "
             f"over −{span:.0f}..+{span:.0f}.",
             "draw each shift uniformly from −brightness·255 to +brightness·255 (uint8): darker and brighter.")


def _judge_brightness_contrast(name: str, run: dict, spec: dict) -> None:
    """clip(m + c·(x − m) + d) per image, with c and d fitted back from the output and spread over their ranges."""
    case, shape, dtype = spec["case"], tuple(spec["shape"]), spec["dtype"]
    brightness, contrast = spec["brightness"], spec["contrast"]
    n = shape[0]
    lo, hi = value_range(dtype)
    images = _bc_images(spec)
    got = _expect_batch(name, _first_run(name, run, case), shape, dtype, case)
    if np.isnan(got).any() or got.min() < lo or got.max() > hi:
        fail(name, case, f"the output ranges from {np.nanmin(got):.4g} to {np.nanmax(got):.4g}, outside the "
             f"value range {lo:g}..{hi:g}.", f"clip the result: `np.clip(out, {lo:g}, {hi:g})`.")
    tol = _tolerance(dtype)
    span = brightness * (hi - lo)
    if brightness == 0 and contrast == 0:
        if np.abs(got.astype(np.float64) - images).max() > (0 if dtype == np.uint8 else 1e-6):
            fail(name, case, "with brightness=0 and contrast=0 the output must equal the input; it differs.",
                 "c = 1 and d = 0 leave every pixel as it is; round uint8 results with np.rint, do not truncate.")
        return
    x = images.astype(np.float64)
    y = got.astype(np.float64)
    inside = 0.5 if np.dtype(dtype) == np.uint8 else 1e-7  # pixels not at a limit were not clipped (one clip)
    c, d = np.array([_fit(x[i], y[i], lo, hi, inside, contrast == 0) for i in range(n)]).T
    ok = ~np.isnan(c)
    if ok.mean() < 0.8:
        fail(name, case, f"{int((~ok).sum())} of {n} output images are clipped (0 or the maximum) almost "
             "everywhere.", "check the size of the shifts: d is brightness × the value range (255 for "
             "uint8, 1 for float images), and c stays near 1.")

    def errors(c, d):
        err = np.minimum(np.abs(y - _clip_formula(images, c, d)), np.abs(y - _keras_order(images, c, d)))
        return err.reshape(n, -1).max(axis=1)

    err = errors(np.where(ok, c, 1.0), np.where(ok, d, 0.0))
    err[~ok] = 0
    for i in np.flatnonzero(err > tol):  # clipped twice (Keras' order)? Refit far from the limits.
        c2, d2 = _fit(x[i], y[i], lo, hi, 0.15 * (hi - lo), contrast == 0)
        if not np.isnan(c2):
            c_i, d_i = c.copy(), d.copy()
            c_i[i], d_i[i] = c2, d2
            if errors(np.where(ok, c_i, 1.0), np.where(ok, d_i, 0.0))[i] <= tol:
                c[i], d[i], err[i] = c2, d2, 0
    if (err > tol).any():
        i = int(np.argmax(err > tol))
        free = (y[i] > lo + inside) & (y[i] < hi - inside)  # not clipped
        scaled = x[i] * (np.sum(x[i][free] * y[i][free]) / np.sum(x[i][free] ** 2))
        mean = x[i].mean()
        overall = mean + (x[i] - mean) * np.polyfit(x[i][free] - mean, y[i][free] - mean, 1)[0]
        if np.abs(np.clip(scaled, lo, hi) - y[i]).max() <= tol and brightness == 0:
            hint = ("you scaled the pixels around 0 (x·c): that darkens or brightens the whole image. "
                    "Contrast scales the differences from the image's mean: m + c·(x − m).")
        elif np.abs(np.clip(overall, lo, hi) - y[i]).max() <= tol and shape[-1] > 1:
            hint = ("you used one mean for the whole image; use the mean of each channel of each image, "
                    "`images.mean(axis=(1, 2), keepdims=True)`, as Keras' RandomContrast does.")
        elif np.dtype(dtype) == np.uint8 and (np.abs(y[i] - x[i]) > 128).any():
            hint = ("some pixels jumped by more than 128 levels: uint8 arithmetic wraps around at 256. "
                    "Compute in float, clip, then convert back.")
        else:
            hint = ("each image must become clip(m + c·(x − m) + d): m its mean per channel, c one contrast "
                    "factor and d one brightness shift per image, the same for all its pixels and channels; "
                    "clip once, at the end.")
        fail(name, case, f"output image {i} is not clip(m + c·(x − m) + d) for any contrast factor c and "
             f"brightness shift d (largest difference {err[i]:.3g}).", hint)
    c, d = c[ok], d[ok]
    if contrast > 0:
        if c.min() < 1 - contrast - 0.02 or c.max() > 1 + contrast + 0.02:
            fail(name, case, f"the contrast factors range from {c.min():.3f} to {c.max():.3f}; with "
                 f"contrast={contrast} they must lie in {1 - contrast:.2f}..{1 + contrast:.2f}.",
                 "draw c uniformly from 1 − contrast to 1 + contrast.")
        if np.ptp(c) < 1e-3:
            fail(name, case, f"all {n} images got the same contrast factor, {c[0]:.3f}.",
                 "draw one factor per image: `rng.uniform(1 - contrast, 1 + contrast, size=n)`.")
        if c.min() > 1 - contrast / 2 or c.max() < 1 + contrast / 2:
            fail(name, case, f"the contrast factors range from {c.min():.3f} to {c.max():.3f}; expected them "
                 f"spread over {1 - contrast:.2f}..{1 + contrast:.2f}.",
                 "draw c uniformly from 1 − contrast to 1 + contrast: some images get less contrast, some more.")
    elif np.abs(c - 1).max() > 0.02:
        fail(name, case, f"with contrast=0 the contrast factors must all be 1; got {c.min():.3f}..{c.max():.3f}.",
             "contrast=0 means c is drawn from 1 − 0 .. 1 + 0.")
    if brightness > 0:
        if np.abs(d).max() > span + tol:
            fail(name, case, f"the brightness shifts range from {d.min():+.4g} to {d.max():+.4g}; with "
                 f"brightness={brightness} they must lie in ±{span:.4g}.",
                 "draw d uniformly from −brightness to +brightness times the value range (255 or 1).")
        if np.ptp(d) < tol:
            fail(name, case, f"all {n} images got the same brightness shift, {d[0]:+.4g}.",
                 "draw one shift per image, not one for the batch.")
        if d.min() > -span / 2 or d.max() < span / 2:
            fail(name, case, f"the brightness shifts range from {d.min():+.4g} to {d.max():+.4g}; expected them "
                 f"spread over ±{span:.4g}.",
                 "draw d uniformly from −brightness·range to +brightness·range (range: 255 for uint8, 1 for float).")
    elif np.abs(d).max() > tol:
        fail(name, case, f"with brightness=0 nothing may be added; got shifts {d.min():+.4g}..{d.max():+.4g}.",
             "brightness=0 means d is drawn from −0 .. +0.")
    _deterministic(name, run, case)


def judge_adjust_brightness_contrast(data: dict, expected: dict) -> int:
    """clip(m + c·(x − m) + d) per image, c and d spread over their ranges, no wrap-around, dtype kept, rng only."""
    name = "adjust_brightness_contrast"
    cases = brightness_contrast_cases(expected["suite"])
    runs = per_case(name, data.get("runs"), len(cases))
    for spec, run in zip(cases, runs):
        if spec.get("constant"):
            _judge_constant(name, run, spec)
        else:
            _judge_brightness_contrast(name, run, spec)
    return 4 * len(cases) + 2


def adjust_brightness_contrast(func: Callable, suite: str = "visible") -> None:
    """Check ``adjust_brightness_contrast(images, brightness, contrast, rng)``."""
    run_check("adjust_brightness_contrast", __name__, suite,
              lambda: collect_adjust_brightness_contrast(func, suite), judge_adjust_brightness_contrast)


# --------------------------------------------------------------------------- Keras models as data


def _kind(layer) -> str:
    return type(layer).__name__


def _model_status(got: Any) -> dict | None:
    """A returned object as the first facts about it: None / not a model / no input; None when it is a built model."""
    keras = _keras()
    if got is None:
        return {"returned": "None"}
    if not isinstance(got, keras.Model):
        return {"returned": type(got).__name__}
    try:
        inputs = got.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not got.built or not inputs:
        return {"no_input": True}
    return None


def _expect_model(name: str, got: Any, case: str, what: str) -> dict:
    """The collected model data must describe a built keras.Model; return it."""
    reraise(got)
    if not isinstance(got, dict):
        fail(name, case, "the check's data is incomplete.", "run the check cell again, unchanged.")
    if got.get("returned") == "None":
        fail(name, case, "your function returned None.", f"did you forget `return {what}`?")
    if "returned" in got:
        fail(name, case, f"expected a keras.Model (e.g. a keras.Sequential), got {got['returned']}",
             "build a `keras.Sequential([keras.Input(shape=input_shape), ...])` and return it.")
    if got.get("no_input"):
        fail(name, case, "the model does not know its input shape.",
             "start the Sequential list with `keras.Input(shape=input_shape)`.")
    return got


def _factor(value) -> tuple[float, float]:
    """A Keras random layer's factor as (lower, upper); a number f means (−f, f)."""
    if isinstance(value, (int, float)):
        return (-float(value), float(value))
    return tuple(float(v) for v in value)


def _test_batch(input_shape) -> np.ndarray:
    return np.random.default_rng(3).random((6, *input_shape)).astype(np.float32)


# --------------------------------------------------------------------------- exercise 4: build_augmenter


def augmenter_cases(suite: str = "visible") -> list[tuple[tuple, int, float, float, float, str]]:
    """(input_shape, padding, rotation, contrast, brightness, case) for ``build_augmenter``."""
    if suite == "hidden":
        return [((24, 20, 1), 2, 0.1, 0.3, 0.2,
                 "hidden: input_shape=(24, 20, 1), padding=2, rotation=0.1, contrast=0.3, brightness=0.2")]
    return [((32, 32, 3), 4, 0.05, 0.2, 0.1,
             "input_shape=(32, 32, 3), padding=4, rotation=0.05, contrast=0.2, brightness=0.1")]


def _augmenter_data(model, input_shape) -> dict:
    """The augmenter's layers and settings, and what it does to a batch with training off and on."""
    status = _model_status(model)
    if status is not None:
        return status
    kinds = [_kind(layer) for layer in model.layers]
    data: dict = {"input_shape": list(model.inputs[0].shape), "kinds": kinds, "settings": {}}
    for layer in model.layers:
        kind = _kind(layer)
        if kind in data["settings"]:
            continue
        if kind == "RandomFlip":
            data["settings"][kind] = {"mode": str(layer.mode)}
        elif kind == "ZeroPadding2D":
            data["settings"][kind] = {"padding": [list(p) for p in layer.padding]}
        elif kind in ("RandomCrop", "CenterCrop"):
            data["settings"][kind] = {"size": [int(layer.height), int(layer.width)]}
        elif kind in ("RandomRotation", "RandomContrast", "RandomBrightness"):
            config = layer.get_config()
            factor = config.get("factor")
            data["settings"][kind] = {"factor": list(_factor(factor)) if factor is not None else [],
                                      "value_range": list(config.get("value_range", (0, 255)))}
    x = _test_batch(input_shape)
    try:
        test = _numpy(model(x, training=False))
        train = _numpy(model(x, training=True))
    except Exception as err:  # layers that cannot run on the input: reported after the table's checks
        data["run_error"] = f"{type(err).__name__}: {str(err).strip()[:200]}"
        return _plain(data)
    data["test"] = {"shape": list(test.shape),
                    "max_diff": float(np.abs(test - x).max()) if test.shape == x.shape else None}
    data["train"] = {"shape": list(train.shape), "equal": bool(train.shape == x.shape and np.allclose(train, x)),
                     "min": float(train.min()), "max": float(train.max())}
    return _plain(data)


def collect_build_augmenter(func: Callable, suite: str = "visible") -> dict:
    """Each case's augmenter as data (see :func:`_augmenter_data`): {"augmenters": [...]}; Keras seeded."""
    name = "build_augmenter"
    out = []
    for input_shape, padding, rotation, contrast, brightness, case in augmenter_cases(suite):
        _keras().utils.set_random_seed(0)
        out.append(attempt(name, func, input_shape, padding, rotation, contrast, brightness, case=case,
                           to_data=lambda model, shape=input_shape: _augmenter_data(model, shape)))
    return {"augmenters": out}


def _judge_augmenter(name: str, got: Any, want: dict, input_shape, padding, rotation, contrast, brightness,
                     case: str) -> None:
    got = _expect_model(name, got, case, "the Sequential model")
    got_input = _shape(got.get("input_shape"))
    if got_input != (None, *input_shape):
        fail(name, case, f"expected input shape {(None, *input_shape)}\ngot input shape      {got_input}",
             "use the input_shape argument: `keras.Input(shape=input_shape)`.")
    kinds, table = list(got.get("kinds", [])), list(want["kinds"])
    missing = [k for k in table if k not in kinds]
    if missing:
        hint = ("RandomCrop in Keras 3 returns its input unchanged when training=False (a known bug), "
                "so the padded 40×40 image would reach the network at test time: put "
                "`CenterCrop(height, width)` right after RandomCrop, which cuts the original image back out."
                if missing == ["CenterCrop"] else "one layer per row of the table, in that order.")
        fail(name, case, f"expected the layers {table}\ngot the layers      {kinds}\nmissing: {missing}", hint)
    if len(kinds) != len(table):
        fail(name, case, f"expected the layers {table}\ngot the layers      {kinds}",
             "one layer per row of the table, each once.")
    order = [kinds.index(k) for k in ("ZeroPadding2D", "RandomCrop", "CenterCrop")]
    if order != sorted(order):
        fail(name, case, f"the layers come in the order {kinds}.",
             "pad first, then crop at random, then CenterCrop: ZeroPadding2D → RandomCrop → CenterCrop.")
    settings = got.get("settings", {})
    height, width = input_shape[:2]
    mode = settings["RandomFlip"]["mode"]
    if mode != "horizontal":
        fail(name, case, f"RandomFlip has mode={mode!r}.",
             "use `RandomFlip(\"horizontal\")`: the default also flips upside down, and CIFAR-10's cats, "
             "ships and trucks never stand on their heads.")
    pad = tuple(tuple(p) for p in settings["ZeroPadding2D"]["padding"])
    if pad != ((padding, padding), (padding, padding)):
        fail(name, case, f"ZeroPadding2D pads by {pad}; expected {padding} pixels on every side.",
             "use the padding argument: `ZeroPadding2D(padding)`.")
    for kind in ("RandomCrop", "CenterCrop"):
        got_size = tuple(settings[kind]["size"])
        if got_size != (height, width):
            fail(name, case, f"{kind} outputs {got_size[0]}×{got_size[1]}; expected the input's size, "
                 f"{height}×{width}.", f"`{kind}(height, width)` with the input's height and width, "
                 "`input_shape[0]` and `input_shape[1]`.")
    factors = {"RandomRotation": ((-rotation, rotation), "RandomRotation(rotation)"),
               "RandomContrast": ((contrast, contrast), "RandomContrast((contrast, contrast), value_range=(0, 1))"),
               "RandomBrightness": ((-brightness, brightness), "RandomBrightness(brightness, value_range=(0, 1))")}
    for kind, (want_factor, how) in factors.items():
        got_factor = tuple(settings[kind]["factor"])
        if len(got_factor) != 2 or not np.allclose(got_factor, want_factor):
            hint = f"use the function's argument: `{how}`."
            if kind == "RandomContrast" and np.allclose(got_factor, (0, contrast)):
                hint = (f"Keras 3's RandomContrast({contrast}) draws c from 1 to {1 + contrast:g} only: it never "
                        f"lowers the contrast. Pass the factor twice, `{how}`, for c from {1 - contrast:g} "
                        f"to {1 + contrast:g}.")
            fail(name, case, f"{kind} has factor {got_factor} (Keras' lower and upper bounds); "
                 f"expected {want_factor}.", hint)
        value_range_ = tuple(settings[kind]["value_range"])
        if kind != "RandomRotation" and value_range_ != (0, 1):
            fail(name, case, f"{kind} has value_range={value_range_}.",
                 "our images are in 0..1: pass `value_range=(0, 1)`. With the default (0, 255) a brightness "
                 f"of {brightness} shifts by up to {brightness * 255:g}, which turns every image white or black.")
    shape = (6, *input_shape)
    if "run_error" in got:
        fail(name, case, f"the augmenter could not run on a batch of shape {shape}: {got['run_error']}",
             "the augmenter must take and give back images of the input's size.")
    test, train = got["test"], got["train"]
    if _shape(test["shape"]) != shape:
        fail(name, case, f"with training=False the augmenter outputs shape {_shape(test['shape'])}; expected {shape}.",
             "the augmenter must output images of the input's size.")
    if not test["max_diff"] <= 1e-6:
        fail(name, case, "with training=False the output differs from the input.",
             "at test time an augmenter must do nothing: use only Keras' Random… layers, ZeroPadding2D and "
             "CenterCrop, which together give back the input when training=False.")
    if _shape(train["shape"]) != shape:
        fail(name, case, f"with training=True the augmenter outputs shape {_shape(train['shape'])}; expected {shape}.",
             "RandomCrop and CenterCrop must cut out the input's height and width.")
    if train["equal"] is not False:
        fail(name, case, "with training=True the output equals the input: nothing was augmented.",
             "use Keras' Random… layers; they change the images only when training=True.")
    if not (train["min"] >= -1e-6 and train["max"] <= 1 + 1e-6):
        fail(name, case, f"with training=True the output ranges from {train['min']:.3g} to {train['max']:.3g}.",
             "pass `value_range=(0, 1)` to RandomContrast and RandomBrightness so that they clip to 0..1.")


def judge_build_augmenter(data: dict, expected: dict) -> int:
    """The table's layers (the solution's) and settings; the identity when training=False, augmenting when True."""
    name = "build_augmenter"
    cases = augmenter_cases(expected["suite"])
    got_all = per_case(name, data.get("augmenters"), len(cases))
    for (shape, padding, rotation, contrast, brightness, case), got, want in zip(
            cases, got_all, expected["expected"]["augmenters"]):
        _judge_augmenter(name, got, want, shape, padding, rotation, contrast, brightness, case)
    return 12 * len(cases)


def build_augmenter(func: Callable, suite: str = "visible") -> None:
    """Check ``build_augmenter(input_shape=(32, 32, 3), padding=4, rotation=0.05, contrast=0.2, brightness=0.1)``."""
    run_check("build_augmenter", __name__, suite, lambda: collect_build_augmenter(func, suite), judge_build_augmenter)


# --------------------------------------------------------------------------- exercise 5: build_augmented_cnn


def cnn_cases(suite: str = "visible") -> list[tuple[tuple, int, str]]:
    """(input_shape, num_classes, case) for ``build_augmented_cnn``."""
    if suite == "hidden":
        return [((24, 16, 1), 5, "hidden: input_shape=(24, 16, 1), num_classes=5")]
    return [((32, 32, 3), 10, "input_shape=(32, 32, 3), num_classes=10"),
            ((16, 16, 1), 4, "input_shape=(16, 16, 1), num_classes=4 (grey images, four classes)")]


def _cnn_data(model) -> dict:
    """A network as data: input shape, layers (type, output shape, activation, Rescaling's numbers), weights."""
    status = _model_status(model)
    if status is not None:
        return status
    layers = []
    for layer in model.layers:
        row = {"type": _kind(layer), "shape": list(layer.output.shape),
               "activation": str(getattr(getattr(layer, "activation", None), "__name__", ""))}
        if row["type"] == "Rescaling":
            row.update(scale=float(np.asarray(layer.scale)), offset=float(np.asarray(layer.offset)))
        layers.append(row)
    return _plain({"input_shape": list(model.inputs[0].shape), "layers": layers, "params": int(model.count_params())})


def _with_augmenter(func: Callable, plain: Any, input_shape, num_classes: int, case: str) -> dict:
    """Build the network with a small augmenter; measure where it sits and what it changes."""
    keras = _keras()
    augmenter = keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomBrightness(
        0.5, value_range=(0, 1))], name="check_augmenter")
    data = {}

    def measure(model):
        status = _model_status(model)
        if status is not None:
            return status
        found = [i for i, layer in enumerate(model.layers) if layer is augmenter]
        out = {"augmenter_at": found[0] if found else None, "kinds": [_kind(layer) for layer in model.layers],
               "params": int(model.count_params())}
        if out["augmenter_at"] is None or out["augmenter_at"] != 0 or plain is None:
            return out
        try:
            plain.set_weights(model.get_weights())
        except ValueError as err:
            out["set_weights"] = str(err)[:300]
            return out
        x = np.random.default_rng(4).random((8, *input_shape)).astype(np.float32)
        with_aug = _numpy(model(x, training=False))
        out["same_at_test"] = bool(np.allclose(with_aug, _numpy(plain(x, training=False)), rtol=1e-5, atol=1e-5))
        out["same_in_training"] = bool(np.allclose(_numpy(model(x, training=True)), with_aug, rtol=1e-5, atol=1e-5))
        return out

    data = attempt("build_augmented_cnn", func, augmenter, input_shape, num_classes, case=case, to_data=measure)
    return _plain(data)


def collect_build_augmented_cnn(func: Callable, suite: str = "visible") -> dict:
    """Each case's network without an augmenter (as data) and what an augmenter changes: {"networks": [...]}."""
    name = "build_augmented_cnn"
    out = []
    for input_shape, num_classes, case in cnn_cases(suite):
        _keras().utils.set_random_seed(0)
        built = {}

        def keep(model):
            built["model"] = model
            return _cnn_data(model)

        plain = attempt(name, func, None, input_shape, num_classes, case=case + ", augmenter=None", to_data=keep)
        model = built.get("model") if isinstance(plain, dict) and "layers" in plain else None
        out.append({"plain": plain,
                    "augmented": _with_augmenter(func, model, input_shape, num_classes, case + ", with an augmenter")})
    return {"networks": out}


def _judge_cnn(name: str, got: Any, want: dict, input_shape, case: str) -> None:
    case_none = case + ", augmenter=None"
    if not isinstance(got, dict):
        fail(name, case, "the check's data is incomplete.", "run the check cell again, unchanged.")
    plain = _expect_model(name, got.get("plain"), case_none, "the model")
    got_input = _shape(plain.get("input_shape"))
    if got_input != (None, *input_shape):
        fail(name, case, f"expected input shape {(None, *input_shape)}\ngot input shape      {got_input}",
             "use the input_shape argument: `keras.Input(shape=input_shape)`.")
    table = want["plain"]["layers"]
    layers = plain.get("layers", [])
    kinds, wanted = [layer["type"] for layer in layers], [row["type"] for row in table]
    if kinds != wanted:
        fail(name, case_none, f"expected the layers {wanted}\ngot the layers      {kinds}",
             "follow the table, one layer per row (keras.Input is not a layer here); with augmenter=None "
             "the model has no augmentation layer.")
    for i, (layer, row) in enumerate(zip(layers, table)):
        kind = row["type"]
        if _shape(layer["shape"]) != _shape(row["shape"]):
            fail(name, f"{case_none}, layer {i + 1} ({kind})",
                 f"expected output shape {_shape(row['shape'])}\ngot output shape      {_shape(layer['shape'])}",
                 "use the arguments (input_shape, num_classes) and the table's filters, padding=\"same\" and 2×2 pooling.")
        if kind == "Conv2D" and layer["activation"] != "relu":
            fail(name, case_none, f"layer {i + 1} (Conv2D) has no ReLU.", "`Conv2D(..., activation=\"relu\")`.")
        if kind == "Dense" and layer["activation"] != "linear":
            fail(name, case_none, "the last Dense layer has an activation.",
                 "the network outputs logits: `Dense(num_classes)` without activation, as in notebook 6.")
        if kind == "Rescaling" and not (np.isclose(layer.get("scale"), row["scale"])
                                        and np.isclose(layer.get("offset"), row["offset"])):
            fail(name, case_none, f"Rescaling has scale={layer.get('scale')}, offset={layer.get('offset')}.",
                 "map 0..1 to −1..1: `Rescaling(2.0, offset=-1.0)`.")
    if plain["params"] != want["plain"]["params"]:
        fail(name, case_none + ": parameters", f"expected {want['plain']['params']:,}\ngot      {plain['params']:,}",
             "(3·3·in_channels + 1)·filters per Conv2D, (inputs + 1)·num_classes for the Dense layer.")
    case_aug = case + ", with an augmenter"
    model = _expect_model(name, got.get("augmented"), case_aug, "the model")
    where = model.get("augmenter_at")
    if where is None:
        fail(name, case_aug, f"the augmenter passed in is not one of the model's layers: {model.get('kinds')}.",
             "put the `augmenter` argument into the layer list, right after keras.Input, when it is not None.")
    if where != 0:
        fail(name, case_aug, f"the augmenter is layer {where + 1}; expected it first, right after keras.Input.",
             "augment the raw 0..1 images, before Rescaling: RandomBrightness and RandomContrast clip to "
             "their value_range (0, 1).")
    if model.get("params") != plain["params"]:
        fail(name, case_aug, f"with an augmenter the model has {model.get('params'):,} parameters, without "
             f"{plain['params']:,}.", "the augmenter adds no weights; change nothing else in the network.")
    if "set_weights" in model:
        fail(name, case_aug, f"the models with and without the augmenter have different weights: {model['set_weights']}",
             "the augmenter must be the only difference between the two models.")
    if model.get("same_at_test") is not True:
        fail(name, case_aug, "with the same weights and training=False, the model with the augmenter predicts "
             "differently from the one without.",
             "the augmenter must be the only difference, and it does nothing when training=False.")
    if model.get("same_in_training") is not False:
        fail(name, case_aug, "with training=True the outputs equal those with training=False: the augmenter "
             "does not act.", "pass the images through the augmenter first.")


def judge_build_augmented_cnn(data: dict, expected: dict) -> int:
    """The table's layers and weights (the solution's); the augmenter first, and the only difference."""
    name = "build_augmented_cnn"
    cases = cnn_cases(expected["suite"])
    got_all = per_case(name, data.get("networks"), len(cases))
    for (shape, _, case), got, want in zip(cases, got_all, expected["expected"]["networks"]):
        _judge_cnn(name, got, want, shape, case)
    return 8 * len(cases)


def build_augmented_cnn(func: Callable, suite: str = "visible") -> None:
    """Check ``build_augmented_cnn(augmenter, input_shape=(32, 32, 3), num_classes=10)``."""
    run_check("build_augmented_cnn", __name__, suite, lambda: collect_build_augmented_cnn(func, suite),
              judge_build_augmented_cnn)
