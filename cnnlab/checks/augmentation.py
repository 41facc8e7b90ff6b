"""Checks for notebook 8: data augmentation in NumPy and with Keras preprocessing layers.

The NumPy exercises draw random numbers, and a correct answer may draw them in
any order (``rng.random(n) < 0.5`` or ``rng.integers(0, 2, n)``), so these
checks never compare with one fixed output. They test what every correct
answer has in common instead: each output image is the input, its mirror, a
window of its zero-padded version, or ``clip(mean + c·(x − mean) + d)`` with
``c`` and ``d`` fitted back from the output; the draws differ from image to
image and cover their whole range; the same generator seed gives the same
output; NumPy's global generator is left alone; and the input is not changed.

Keras is imported only when a check needs it, after
:func:`cnnlab.runtime.quiet_tensorflow`, so importing this module writes
nothing to stderr.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .core import call, expect_equal, fail, passed, require_function

# The augmenter of exercise 4 for 32×32×3 images with its default arguments: (layer type, settings).
AUGMENTER_LAYERS = ("RandomFlip", "ZeroPadding2D", "RandomCrop", "CenterCrop",
                    "RandomRotation", "RandomContrast", "RandomBrightness")

# The CNN of exercise 5 for 32×32×3 images and 10 classes, without an augmenter: (layer type, output shape).
CNN_LAYERS = [
    ("Rescaling", (None, 32, 32, 3)),
    ("Conv2D", (None, 32, 32, 16)),
    ("MaxPooling2D", (None, 16, 16, 16)),
    ("Conv2D", (None, 16, 16, 32)),
    ("MaxPooling2D", (None, 8, 8, 32)),
    ("Conv2D", (None, 8, 8, 64)),
    ("MaxPooling2D", (None, 4, 4, 64)),
    ("Flatten", (None, 1024)),
    ("Dense", (None, 10)),
]
CNN_PARAMS = 448 + 4_640 + 18_496 + 10_250


def _keras():
    """Import Keras quietly (TensorFlow's start-up logs go to stderr otherwise)."""
    from cnnlab import runtime

    runtime.quiet_tensorflow()
    import keras

    return keras


def _numpy(tensor: Any) -> np.ndarray:
    return np.asarray(_keras().ops.convert_to_numpy(tensor))


def value_range(dtype) -> tuple[float, float]:
    """The pixel range this notebook assumes: 0–255 for uint8 images, 0–1 for float images."""
    return (0.0, 255.0) if np.dtype(dtype) == np.uint8 else (0.0, 1.0)


def test_images(rng: np.random.Generator, shape: Sequence[int], dtype, low: float = 0.0,
                high: float = 1.0) -> np.ndarray:
    """Random images of ``shape`` with values in [low, high] of the dtype's range (uint8: 0–255)."""
    lo, hi = value_range(dtype)
    values = rng.uniform(low, high, size=tuple(shape)) * (hi - lo) + lo
    return np.rint(values).astype(np.uint8) if np.dtype(dtype) == np.uint8 else values.astype(dtype)


# --------------------------------------------------------------------------- shared machinery


def _run(name: str, func: Callable, images: np.ndarray, args: tuple, seed: int, case: str) -> np.ndarray:
    """Call ``func(images, *args, rng)`` with a fresh generator; NumPy's global state must stay put."""
    state = np.random.get_state()
    got = call(name, func, images, *args, np.random.default_rng(seed), case=case)
    after = np.random.get_state()
    if after[0] != state[0] or not np.array_equal(after[1], state[1]) or after[2:] != state[2:]:
        np.random.set_state(state)
        fail(name, case, "your function changed the state of NumPy's global generator (np.random.*).",
             "draw every random number from the generator passed in, e.g. `rng.random(n)` or "
             "`rng.integers(low, high, n)`: the global np.random.* functions make results depend on "
             "whatever ran before.")
    return got


def _expect_batch(name: str, got: Any, shape: tuple, dtype, case: str, shape_hint: str = "") -> None:
    """``got`` must be an array of ``shape`` and the input's ``dtype``."""
    if got is None:
        fail(name, case, "your function returned None.", "did you forget the `return` statement?")
    if not isinstance(got, np.ndarray):
        fail(name, case, f"expected a NumPy array, got {type(got).__name__}",
             "return a NumPy array of images, (batch, height, width, channels).")
    if got.shape != shape:
        fail(name, case, f"expected shape {shape}\ngot shape      {got.shape}",
             shape_hint or "the output has one image per input image, (batch, height, width, channels).")
    if got.dtype != np.dtype(dtype):
        hint = (f"return the input's dtype: the images came in as {np.dtype(dtype)}. "
                + ("Round and convert back after clipping: `np.rint(out).astype(np.uint8)`."
                   if np.dtype(dtype) == np.uint8 else "Convert back with `.astype(images.dtype)`."))
        fail(name, case, f"expected dtype {np.dtype(dtype)}\ngot dtype      {got.dtype}", hint)


def _deterministic(name: str, func: Callable, images: np.ndarray, args: tuple, seed: int, first: np.ndarray,
                   case: str) -> None:
    """The same seed gives the same output; another seed gives another output."""
    again = _run(name, func, images, args, seed, case=case + ", called again with the same seed")
    if not np.array_equal(again, first):
        fail(name, case + ", called twice with generators of the same seed",
             "the two outputs differ.",
             "draw every random number from the `rng` argument; do not make a new generator "
             "(np.random.default_rng()) inside your function: the same seed must give the same output.")
    other = _run(name, func, images, args, seed + 1000, case=case + ", with another seed")
    if np.array_equal(other, first):
        fail(name, case + ", called with generators of two different seeds",
             "the two outputs are identical.",
             "use the `rng` argument for every random draw: your function seems to ignore it.")


# --------------------------------------------------------------------------- exercise 1: random_flip


def random_flip_case(func: Callable, shape: Sequence[int], dtype, seed: int, *, case: str) -> None:
    """Check ``random_flip(images, rng)`` on random images of ``shape`` (batch of at least 100)."""
    name = "random_flip"
    shape = tuple(shape)
    images = test_images(np.random.default_rng(seed + 7), shape, dtype)
    got = _run(name, func, images, (), seed, case)
    _expect_batch(name, got, shape, dtype, case, "a flip keeps every image's shape.")
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
    _deterministic(name, func, images, (), seed, got, case)


def random_flip(func: Callable) -> None:
    """Check ``random_flip(images, rng)``: uint8 and float batches, non-square images."""
    require_function("random_flip", func)
    cases = [((200, 4, 6, 3), np.uint8, 0, "200 random uint8 images of 4×6×3, seed 0"),
             ((120, 5, 3, 1), np.float32, 1, "120 random float32 images of 5×3×1 in 0..1, seed 1")]
    for shape, dtype, seed, case in cases:
        random_flip_case(func, shape, dtype, seed, case=case)
    passed("random_flip", 6 * len(cases))


# --------------------------------------------------------------------------- exercise 2: random_crop


def _windows(padded: np.ndarray, size: int) -> np.ndarray:
    """All size×size windows: (n, rows, cols, size, size, C) for padded images (n, H, W, C)."""
    view = np.lib.stride_tricks.sliding_window_view(padded, (size, size), axis=(1, 2))
    return np.moveaxis(view, 3, -1)  # (n, rows, cols, C, size, size) → (n, rows, cols, size, size, C)


def _matches(got: np.ndarray, images: np.ndarray, size: int, padding: int, mode: str = "constant") -> np.ndarray:
    """match[i, r, c]: output i is the window at row offset r and column offset c."""
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)), mode=mode)
    return np.all(_windows(padded, size) == got[:, None, None], axis=(3, 4, 5))


def random_crop_case(func: Callable, shape: Sequence[int], size: int, padding: int, dtype, seed: int, *,
                     case: str) -> None:
    """Check ``random_crop(images, size, padding, rng)`` on random images (no zero pixels) of ``shape``."""
    name = "random_crop"
    shape = tuple(shape)
    n, height, width, channels = shape
    images = test_images(np.random.default_rng(seed + 11), shape, dtype, low=0.02, high=1.0)  # 0 = padding only
    got = _run(name, func, images, (size, padding), seed, case)
    _expect_batch(name, got, (n, size, size, channels), dtype, case,
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
    _deterministic(name, func, images, (size, padding), seed, got, case)


def random_crop(func: Callable) -> None:
    """Check ``random_crop(images, size, padding, rng)``: the "pad, then crop" recipe, per image."""
    require_function("random_crop", func)
    cases = [((400, 4, 4, 3), 4, 1, np.uint8, 0, "400 uint8 images of 4×4×3, size=4, padding=1, seed 0"),
             ((300, 6, 8, 1), 6, 2, np.float32, 1, "300 float32 images of 6×8×1, size=6, padding=2, seed 1"),
             ((100, 5, 5, 3), 5, 0, np.uint8, 2, "100 uint8 images of 5×5×3, size=5, padding=0 (nothing to crop)")]
    for shape, size, padding, dtype, seed, case in cases:
        if padding == 0:  # one window only: the output is the input
            images = test_images(np.random.default_rng(seed), shape, dtype)
            got = _run("random_crop", func, images, (size, padding), seed, case)
            _expect_batch("random_crop", got, shape, dtype, case)
            if not np.array_equal(got, images):
                fail("random_crop", case, "the output differs from the input.",
                     "with padding=0 and size equal to the image size, the only window is the image itself; "
                     "`rng.integers(0, last + 1)` with last = 0 always gives 0.")
            continue
        random_crop_case(func, shape, size, padding, dtype, seed, case=case)
    passed("random_crop", 15)


# --------------------------------------------------------------------------- exercise 3: brightness and contrast


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


def reference_brightness_contrast(images: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """clip(m + c·(x − m) + d) per image, in float64, unrounded.

    images: (n, H, W, C); c, d: (n,) contrast factors and brightness shifts (in pixel units);
    m: each image's mean per channel, as in ``tf.image.adjust_contrast`` and ``keras.layers.RandomContrast``.
    """
    x = images.astype(np.float64)
    m = x.mean(axis=(1, 2), keepdims=True)
    lo, hi = value_range(images.dtype)
    return np.clip(m + c[:, None, None, None] * (x - m) + d[:, None, None, None], lo, hi)


def _keras_order(images: np.ndarray, c: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Contrast, clip, then brightness, clip: what Keras' two layers in a row compute (also accepted)."""
    lo, hi = value_range(images.dtype)
    step = reference_brightness_contrast(images, c, np.zeros_like(d))
    return np.clip(step + d[:, None, None, None], lo, hi)


def _constant_images_case(name: str, func: Callable, case: str) -> None:
    """Brightness only, on constant uint8 images of 200: each output must be a constant 200 + d, clipped."""
    n, level, brightness = 300, 200, 0.25
    images = np.full((n, 2, 2, 3), level, dtype=np.uint8)
    got = _run(name, func, images, (brightness, 0.0), 0, case)
    _expect_batch(name, got, images.shape, np.uint8, case)
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
        fail(name, case, f"the shifts range from {shifts.min():+d} to {shifts.max():+d} pixel levels only.",
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


def brightness_contrast_case(func: Callable, shape: Sequence[int], dtype, brightness: float, contrast: float,
                             seed: int, *, case: str, channel_levels: Sequence[float] | None = None) -> None:
    """Check ``adjust_brightness_contrast(images, brightness, contrast, rng)`` on random images of ``shape``.

    channel_levels: the mean of each channel as a fraction of the range (distinct means tell the
    per-channel mean apart from the image's overall mean); by default all 0.5.
    """
    name = "adjust_brightness_contrast"
    shape = tuple(shape)
    n = shape[0]
    rng = np.random.default_rng(seed + 13)
    levels = np.asarray(channel_levels if channel_levels is not None else [0.5] * shape[-1])
    lo, hi = value_range(dtype)
    images = test_images(rng, shape, dtype, low=0.0, high=0.3)
    images = (images.astype(np.float64) + (levels - 0.15) * (hi - lo)).astype(dtype)
    got = _run(name, func, images, (brightness, contrast), seed, case)
    _expect_batch(name, got, shape, dtype, case)
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
        err = np.minimum(np.abs(y - reference_brightness_contrast(images, c, d)),
                         np.abs(y - _keras_order(images, c, d)))
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
    _deterministic(name, func, images, (brightness, contrast), seed, got, case)


def adjust_brightness_contrast(func: Callable) -> None:
    """Check ``adjust_brightness_contrast(images, brightness, contrast, rng)``."""
    name = "adjust_brightness_contrast"
    require_function(name, func)
    _constant_images_case(name, func, "300 constant uint8 images of 200, brightness=0.25, contrast=0")
    brightness_contrast_case(func, (200, 4, 4, 3), np.uint8, 0.0, 0.3, 1, channel_levels=(0.6, 0.3, 0.75),
                             case="200 uint8 images of 4×4×3 with different channel means, contrast=0.3 only")
    brightness_contrast_case(func, (200, 5, 3, 3), np.float32, 0.35, 0.2, 2, channel_levels=(0.6, 0.6, 0.6),
                             case="200 float32 images of 5×3×3 in 0..1, brightness=0.35, contrast=0.2")
    brightness_contrast_case(func, (10, 3, 3, 3), np.uint8, 0.0, 0.0, 3,
                             case="10 uint8 images, brightness=0 and contrast=0 (nothing to change)")
    passed(name, 18)


# --------------------------------------------------------------------------- exercise 4: build_augmenter


def _kind(layer) -> str:
    return type(layer).__name__


def _model(name: str, got: Any, case: str, what: str):
    keras = _keras()
    if got is None:
        fail(name, case, "your function returned None.", f"did you forget `return {what}`?")
    if not isinstance(got, keras.Model):
        fail(name, case, f"expected a keras.Model (e.g. a keras.Sequential), got {type(got).__name__}",
             "build a `keras.Sequential([keras.Input(shape=input_shape), ...])` and return it.")
    if not got.built or not got.inputs:
        fail(name, case, "the model does not know its input shape.",
             "start the Sequential list with `keras.Input(shape=input_shape)`.")
    return got


def _factor(value) -> tuple[float, float]:
    """A Keras random layer's factor as (lower, upper); a number f means (−f, f)."""
    if isinstance(value, (int, float)):
        return (-float(value), float(value))
    return tuple(float(v) for v in value)


def build_augmenter_case(func: Callable, input_shape: Sequence[int], padding: int, rotation: float,
                         contrast: float, brightness: float, *, case: str) -> None:
    """Check ``build_augmenter(input_shape, padding, rotation, contrast, brightness)``: layers and behaviour."""
    name = "build_augmenter"
    input_shape = tuple(input_shape)
    model = _model(name, call(name, func, input_shape, padding, rotation, contrast, brightness, case=case),
                   case, "the Sequential model")
    got_input = tuple(model.inputs[0].shape)
    if got_input != (None, *input_shape):
        fail(name, case, f"expected input shape {(None, *input_shape)}\ngot input shape      {got_input}",
             "use the input_shape argument: `keras.Input(shape=input_shape)`.")
    kinds = [_kind(layer) for layer in model.layers]
    missing = [k for k in AUGMENTER_LAYERS if k not in kinds]
    if missing:
        hint = ("RandomCrop in Keras 3 returns its input unchanged when training=False (a known bug), "
                "so the padded 40×40 image would reach the network at test time: put "
                "`CenterCrop(height, width)` right after RandomCrop, which cuts the original image back out."
                if missing == ["CenterCrop"] else "one layer per row of the table, in that order.")
        fail(name, case, f"expected the layers {list(AUGMENTER_LAYERS)}\ngot the layers      {kinds}\n"
             f"missing: {missing}", hint)
    if len(kinds) != len(AUGMENTER_LAYERS):
        fail(name, case, f"expected the layers {list(AUGMENTER_LAYERS)}\ngot the layers      {kinds}",
             "one layer per row of the table, each once.")
    order = [kinds.index(k) for k in ("ZeroPadding2D", "RandomCrop", "CenterCrop")]
    if order != sorted(order):
        fail(name, case, f"the layers come in the order {kinds}.",
             "pad first, then crop at random, then CenterCrop: ZeroPadding2D → RandomCrop → CenterCrop.")
    layer = {k: model.layers[kinds.index(k)] for k in AUGMENTER_LAYERS}
    height, width = input_shape[:2]
    if layer["RandomFlip"].mode != "horizontal":
        fail(name, case, f"RandomFlip has mode={layer['RandomFlip'].mode!r}.",
             "use `RandomFlip(\"horizontal\")`: the default also flips upside down, and CIFAR-10's cats, "
             "ships and trucks never stand on their heads.")
    pad = tuple(tuple(p) for p in layer["ZeroPadding2D"].padding)
    if pad != ((padding, padding), (padding, padding)):
        fail(name, case, f"ZeroPadding2D pads by {pad}; expected {padding} pixels on every side.",
             "use the padding argument: `ZeroPadding2D(padding)`.")
    for kind in ("RandomCrop", "CenterCrop"):
        got_size = (layer[kind].height, layer[kind].width)
        if got_size != (height, width):
            fail(name, case, f"{kind} outputs {got_size[0]}×{got_size[1]}; expected the input's size, "
                 f"{height}×{width}.", f"`{kind}(height, width)` with the input's height and width, "
                 "`input_shape[0]` and `input_shape[1]`.")
    expected = {"RandomRotation": ((-rotation, rotation), "RandomRotation(rotation)"),
                "RandomContrast": ((contrast, contrast), "RandomContrast((contrast, contrast), value_range=(0, 1))"),
                "RandomBrightness": ((-brightness, brightness), "RandomBrightness(brightness, value_range=(0, 1))")}
    for kind, (want, how) in expected.items():
        config = layer[kind].get_config()
        got_factor = _factor(config.get("factor"))
        if not np.allclose(got_factor, want):
            hint = f"use the function's argument: `{how}`."
            if kind == "RandomContrast" and np.allclose(got_factor, (0, contrast)):
                hint = (f"Keras 3's RandomContrast({contrast}) draws c from 1 to {1 + contrast:g} only: it never "
                        f"lowers the contrast. Pass the factor twice, `{how}`, for c from {1 - contrast:g} "
                        f"to {1 + contrast:g}.")
            fail(name, case, f"{kind} has factor {config.get('factor')} (Keras' lower and upper bounds); "
                 f"expected {want}.", hint)
        if kind != "RandomRotation" and tuple(config.get("value_range", (0, 255))) != (0, 1):
            fail(name, case, f"{kind} has value_range={tuple(config.get('value_range', (0, 255)))}.",
                 "our images are in 0..1: pass `value_range=(0, 1)`. With the default (0, 255) a brightness "
                 f"of {brightness} shifts by up to {brightness * 255:g}, which turns every image white or black.")
    x = np.random.default_rng(3).random((6, *input_shape)).astype(np.float32)
    test = _numpy(model(x, training=False))
    if test.shape != x.shape:
        fail(name, case, f"with training=False the augmenter outputs shape {test.shape}; expected {x.shape}.",
             "the augmenter must output images of the input's size.")
    if not np.allclose(test, x, atol=1e-6):
        fail(name, case, "with training=False the output differs from the input.",
             "at test time an augmenter must do nothing: use only Keras' Random… layers, ZeroPadding2D and "
             "CenterCrop, which together give back the input when training=False.")
    train = _numpy(model(x, training=True))
    if train.shape != x.shape:
        fail(name, case, f"with training=True the augmenter outputs shape {train.shape}; expected {x.shape}.",
             "RandomCrop and CenterCrop must cut out the input's height and width.")
    if np.allclose(train, x):
        fail(name, case, "with training=True the output equals the input: nothing was augmented.",
             "use Keras' Random… layers; they change the images only when training=True.")
    if train.min() < -1e-6 or train.max() > 1 + 1e-6:
        fail(name, case, f"with training=True the output ranges from {train.min():.3g} to {train.max():.3g}.",
             "pass `value_range=(0, 1)` to RandomContrast and RandomBrightness so that they clip to 0..1.")


def build_augmenter(func: Callable) -> None:
    """Check ``build_augmenter(input_shape=(32, 32, 3), padding=4, rotation=0.05, contrast=0.2, brightness=0.1)``."""
    require_function("build_augmenter", func)
    build_augmenter_case(func, (32, 32, 3), 4, 0.05, 0.2, 0.1,
                         case="input_shape=(32, 32, 3), padding=4, rotation=0.05, contrast=0.2, brightness=0.1")
    passed("build_augmenter", 12)


# --------------------------------------------------------------------------- exercise 5: build_augmented_cnn


def build_augmented_cnn_case(func: Callable, input_shape: Sequence[int], num_classes: int,
                             layers: Sequence[tuple[str, tuple]], params: int, *, case: str) -> None:
    """Check ``build_augmented_cnn(augmenter, input_shape, num_classes)`` without and with an augmenter.

    layers: (layer type, output shape) of the network without an augmenter; params: its parameter count.
    """
    name = "build_augmented_cnn"
    keras = _keras()
    input_shape = tuple(input_shape)
    plain = _model(name, call(name, func, None, input_shape, num_classes, case=case + ", augmenter=None"),
                   case + ", augmenter=None", "the model")
    got_input = tuple(plain.inputs[0].shape)
    if got_input != (None, *input_shape):
        fail(name, case, f"expected input shape {(None, *input_shape)}\ngot input shape      {got_input}",
             "use the input_shape argument: `keras.Input(shape=input_shape)`.")
    kinds = [_kind(layer) for layer in plain.layers]
    want = [kind for kind, _ in layers]
    case_none = case + ", augmenter=None"
    if kinds != want:
        fail(name, case_none, f"expected the layers {want}\ngot the layers      {kinds}",
             "follow the table, one layer per row (keras.Input is not a layer here); with augmenter=None "
             "the model has no augmentation layer.")
    for i, (layer, (kind, shape)) in enumerate(zip(plain.layers, layers)):
        got_shape = tuple(layer.output.shape)
        if got_shape != shape:
            fail(name, f"{case_none}, layer {i + 1} ({kind})",
                 f"expected output shape {shape}\ngot output shape      {got_shape}",
                 "use the arguments (input_shape, num_classes) and the table's filters, padding=\"same\" and 2×2 pooling.")
        if kind == "Conv2D" and getattr(layer.activation, "__name__", "") != "relu":
            fail(name, case_none, f"layer {i + 1} (Conv2D) has no ReLU.", "`Conv2D(..., activation=\"relu\")`.")
        if kind == "Dense" and getattr(layer.activation, "__name__", "") != "linear":
            fail(name, case_none, "the last Dense layer has an activation.",
                 "the network outputs logits: `Dense(num_classes)` without activation, as in notebook 6.")
        if kind == "Rescaling" and not (np.isclose(layer.scale, 2) and np.isclose(layer.offset, -1)):
            fail(name, case_none, f"Rescaling has scale={layer.scale}, offset={layer.offset}.",
                 "map 0..1 to −1..1: `Rescaling(2.0, offset=-1.0)`.")
    expect_equal(name, plain.count_params(), params, case=case_none + ": parameters",
                 hint="(3·3·in_channels + 1)·filters per Conv2D, (inputs + 1)·num_classes for the Dense layer.")
    augmenter = keras.Sequential([keras.layers.RandomFlip("horizontal"), keras.layers.RandomBrightness(
        0.5, value_range=(0, 1))], name="check_augmenter")
    case_aug = case + ", with an augmenter"
    model = _model(name, call(name, func, augmenter, input_shape, num_classes, case=case_aug), case_aug, "the model")
    found = [i for i, layer in enumerate(model.layers) if layer is augmenter]
    if not found:
        fail(name, case_aug, f"the augmenter passed in is not one of the model's layers: {[_kind(l) for l in model.layers]}.",
             "put the `augmenter` argument into the layer list, right after keras.Input, when it is not None.")
    if found[0] != 0:
        fail(name, case_aug, f"the augmenter is layer {found[0] + 1}; expected it first, right after keras.Input.",
             "augment the raw 0..1 images, before Rescaling: RandomBrightness and RandomContrast clip to "
             "their value_range (0, 1).")
    if model.count_params() != plain.count_params():
        fail(name, case_aug, f"with an augmenter the model has {model.count_params():,} parameters, without "
             f"{plain.count_params():,}.", "the augmenter adds no weights; change nothing else in the network.")
    try:
        plain.set_weights(model.get_weights())
    except ValueError as err:
        fail(name, case_aug, f"the models with and without the augmenter have different weights: {err}",
             "the augmenter must be the only difference between the two models.")
    x = np.random.default_rng(4).random((8, *input_shape)).astype(np.float32)
    with_aug = _numpy(model(x, training=False))
    without = _numpy(plain(x, training=False))
    if not np.allclose(with_aug, without, rtol=1e-5, atol=1e-5):
        fail(name, case_aug, "with the same weights and training=False, the model with the augmenter predicts "
             "differently from the one without.",
             "the augmenter must be the only difference, and it does nothing when training=False.")
    if np.allclose(_numpy(model(x, training=True)), with_aug, rtol=1e-5, atol=1e-5):
        fail(name, case_aug, "with training=True the outputs equal those with training=False: the augmenter "
             "does not act.", "pass the images through the augmenter first.")


def build_augmented_cnn(func: Callable) -> None:
    """Check ``build_augmented_cnn(augmenter, input_shape=(32, 32, 3), num_classes=10)``."""
    require_function("build_augmented_cnn", func)
    build_augmented_cnn_case(func, (32, 32, 3), 10, CNN_LAYERS, CNN_PARAMS,
                             case="input_shape=(32, 32, 3), num_classes=10")
    passed("build_augmented_cnn", 8)
