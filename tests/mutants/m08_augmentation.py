"""Plausible wrong answers for notebook 8, each with a fragment its message must contain.

MUTANTS maps the grade_id of an answer cell to a list of wrong versions; the
test cell ``<grade_id>_test`` must fail on each, with a message that helps.
PRELUDE is run before the answer cells outside the notebook (two of them use Keras).
"""

PRELUDE = """\
from cnnlab import runtime
runtime.quiet_tensorflow()
import keras
from keras import layers
"""

_FLIP = """\
def random_flip(images, rng):
    {draw}
    out = images{copy}
    out[flip] = images[flip{axes}]
    return out
"""
_FLIP_OK = dict(draw="flip = rng.random(len(images)) < 0.5", copy=".copy()", axes=", :, ::-1")

_CROP = """\
def random_crop(images, size, padding, rng):
    n, height, width, _ = images.shape
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)){mode})
    rows = {rows}
    cols = {cols}
    out = np.empty((n, size, size, images.shape[3]), dtype=images.dtype)
    for i in range(n):
        out[i] = padded[i, rows[i]:rows[i] + size, cols[i]:cols[i] + size]
    return out
"""
_CROP_OK = dict(mode="", rows="rng.integers(0, height + 2 * padding - size + 1, size=n)",
                cols="rng.integers(0, width + 2 * padding - size + 1, size=n)")

_BC = """\
def adjust_brightness_contrast(images, brightness, contrast, rng):
    n = len(images)
    lo, hi = (0.0, 255.0) if images.dtype == np.uint8 else (0.0, 1.0)
    c = {c}
    d = {d}
    x = images.astype(np.float64)
    m = {m}
    out = {out}
    {round}
    return out.astype(images.dtype)
"""
_BC_OK = dict(c="rng.uniform(1 - contrast, 1 + contrast, size=(n, 1, 1, 1))",
              d="rng.uniform(-brightness, brightness, size=(n, 1, 1, 1)) * (hi - lo)",
              m="x.mean(axis=(1, 2), keepdims=True)", out="np.clip(m + c * (x - m) + d, lo, hi)",
              round="out = np.rint(out) if images.dtype == np.uint8 else out")

_AUG = """\
def build_augmenter(input_shape=(32, 32, 3), padding=4, rotation=0.05, contrast=0.2, brightness=0.1):
    height, width = input_shape[0], input_shape[1]
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.RandomFlip({flip}),
        layers.ZeroPadding2D(padding),
        layers.RandomCrop(height, width),
        {center}
        layers.RandomRotation(rotation),
        layers.RandomContrast({contrast}{range}),
        layers.RandomBrightness(brightness{range}),
    ])
"""
_AUG_OK = dict(flip='"horizontal"', center="layers.CenterCrop(height, width),", range=", value_range=(0, 1)",
               contrast="(contrast, contrast)")

_CNN = """\
def build_augmented_cnn(augmenter=None, input_shape=(32, 32, 3), num_classes=10):
    net = [keras.Input(shape=input_shape)]
    {before}
    net.append(layers.Rescaling(2.0, offset=-1.0))
    {after}
    net += [layers.Conv2D(16, 3, padding="same", activation="relu"), layers.MaxPool2D(2),
            layers.Conv2D(32, 3, padding="same", activation="relu"), layers.MaxPool2D(2),
            layers.Conv2D(64, 3, padding="same", activation="relu"), layers.MaxPool2D(2),
            layers.Flatten(), layers.Dense({classes})]
    return keras.Sequential(net)
"""
_ADD = "if augmenter is not None:\n        net.append(augmenter)"

MUTANTS = {
    "random_flip": [
        {"why": "flips axis 1 (upside down) instead of axis 2", "expect": "upside down",
         "source": _FLIP.format(**{**_FLIP_OK, "axes": ", ::-1"})},
        {"why": "one coin for the whole batch", "expect": "its own coin",
         "source": ("def random_flip(images, rng):\n"
                    "    if rng.random() < 0.5:\n"
                    "        return images[:, :, ::-1].copy()\n"
                    "    return images.copy()\n")},
        {"why": "draws from NumPy's global generator", "expect": "global generator",
         "source": _FLIP.format(**{**_FLIP_OK, "draw": "flip = np.random.rand(len(images)) < 0.5"})},
        {"why": "flips in place, in the caller's array", "expect": "in place",
         "source": _FLIP.format(**{**_FLIP_OK, "copy": ""})},
        {"why": "makes a new unseeded generator", "expect": "same seed must give the same output",
         "source": _FLIP.format(**{**_FLIP_OK, "draw": "flip = np.random.default_rng().random(len(images)) < 0.5"})},
        {"why": "flips every image", "expect": "probability 0.5",
         "source": "def random_flip(images, rng):\n    return images[:, :, ::-1].copy()\n"},
        {"why": "reverses the colour channels", "expect": "colour channels",
         "source": _FLIP.format(**{**_FLIP_OK, "axes": ", :, :, ::-1"})},
    ],
    "random_crop": [
        {"why": "rng.integers excludes its upper end: the last offset never comes", "expect": "never returns `high`",
         "source": _CROP.format(**{**_CROP_OK, "rows": "rng.integers(0, height + 2 * padding - size, size=n)",
                                   "cols": "rng.integers(0, width + 2 * padding - size, size=n)"})},
        {"why": "one offset for the whole batch", "expect": "not one for the whole batch",
         "source": _CROP.format(**{**_CROP_OK, "rows": "np.full(n, rng.integers(0, height + 2 * padding - size + 1))",
                                   "cols": "np.full(n, rng.integers(0, width + 2 * padding - size + 1))"})},
        {"why": "pads with a mirror image", "expect": "pad with zeros",
         "source": _CROP.format(**{**_CROP_OK, "mode": ', mode="reflect"'})},
        {"why": "the same offset for rows and columns", "expect": "separately",
         "source": _CROP.format(**{**_CROP_OK, "cols": "rows"})},
        {"why": "draws from NumPy's global generator", "expect": "global generator",
         "source": _CROP.format(**{**_CROP_OK, "rows": "np.random.randint(0, height + 2 * padding - size + 1, size=n)"})},
        {"why": "shifts with np.roll instead of padding and cropping", "expect": "np.roll",
         "source": ("def random_crop(images, size, padding, rng):\n"
                    "    out = images.copy()\n"
                    "    for i in range(len(images)):\n"
                    "        shift = rng.integers(-padding, padding + 1, size=2)\n"
                    "        out[i] = np.roll(images[i], tuple(shift), axis=(0, 1))\n"
                    "    return out\n")},
    ],
    "adjust_brightness_contrast": [
        {"why": "converts back without clipping: uint8 wraps around", "expect": "wrapped around",
         "source": _BC.format(**{**_BC_OK, "out": "m + c * (x - m) + d"})},
        {"why": "returns float64 for uint8 images", "expect": "expected dtype uint8",
         "source": _BC.format(**{**_BC_OK, "round": "return np.rint(out) if images.dtype == np.uint8 else out.astype(images.dtype)"})},
        {"why": "one draw for the whole batch", "expect": "same shift",
         "source": _BC.format(**{**_BC_OK, "c": "rng.uniform(1 - contrast, 1 + contrast)",
                                 "d": "rng.uniform(-brightness, brightness) * (hi - lo)"})},
        {"why": "draws from NumPy's global generator", "expect": "global generator",
         "source": _BC.format(**{**_BC_OK, "c": "np.random.uniform(1 - contrast, 1 + contrast, size=(n, 1, 1, 1))"})},
        {"why": "brightness not scaled to the value range", "expect": "fraction of the value range",
         "source": _BC.format(**{**_BC_OK, "d": "rng.uniform(-brightness, brightness, size=(n, 1, 1, 1))"})},
        {"why": "scales around 0 instead of the mean", "expect": "around 0",
         "source": _BC.format(**{**_BC_OK, "out": "np.clip(c * x + d, lo, hi)"})},
        {"why": "one mean for all channels", "expect": "mean of each channel",
         "source": _BC.format(**{**_BC_OK, "m": "x.mean(axis=(1, 2, 3), keepdims=True)"})},
        {"why": "only brightens", "expect": "darker and brighter",
         "source": _BC.format(**{**_BC_OK, "d": "rng.uniform(0, brightness, size=(n, 1, 1, 1)) * (hi - lo)"})},
        {"why": "a brightness shift per channel", "expect": "all its channels",
         "source": _BC.format(**{**_BC_OK, "d": "rng.uniform(-brightness, brightness, size=(n, 1, 1, 3)) * (hi - lo)"})},
    ],
    "build_augmenter": [
        {"why": "RandomFlip's default also flips upside down", "expect": "RandomFlip(\"horizontal\")",
         "source": _AUG.format(**{**_AUG_OK, "flip": ""})},
        {"why": "no value_range: brightness in 0..255 units on 0..1 images", "expect": "value_range=(0, 1)",
         "source": _AUG.format(**{**_AUG_OK, "range": ""})},
        {"why": "no CenterCrop: 40×40 images at test time", "expect": "CenterCrop",
         "source": _AUG.format(**{**_AUG_OK, "center": ""})},
        {"why": "RandomContrast(contrast): Keras 3 then only raises the contrast", "expect": "never lowers the contrast",
         "source": _AUG.format(**{**_AUG_OK, "contrast": "contrast"})},
    ],
    "build_augmented_cnn": [
        {"why": "ignores the augmenter", "expect": "not one of the model's layers",
         "source": _CNN.format(before="", after="", classes="num_classes")},
        {"why": "augments after Rescaling", "expect": "before Rescaling",
         "source": _CNN.format(before="", after=_ADD, classes="num_classes")},
        {"why": "hard-codes 10 classes", "expect": "num_classes",
         "source": _CNN.format(before=_ADD, after="", classes="10")},
    ],
}
