"""Notebook 8's checks and the Keras facts its text states.

* The checks accept other correct answers than the notebook's own: coins drawn
  another way, vectorised crops, Keras' order of clipping, truncation instead of
  rounding (they test properties, not one fixed output).
* The property the brightness-and-contrast check fits (``clip(m + c·(x − m) + d)``) is
  TensorFlow's formula (``tf.image.adjust_contrast`` then ``adjust_brightness``).
* The two phases run apart: collect's data survives the record format, and the judge
  decides from it alone.
* The Keras 3 behaviour the notebook describes (RandomCrop: one offset per
  batch and no crop when training=False; RandomContrast(f) draws c from 1 to
  1 + f only). If a Keras release changes it, these tests say which paragraph
  of notebook 8 to update.
"""

from __future__ import annotations

import numpy as np
import pytest

import nbtools
from cnnlab import runtime
from cnnlab.checks import CheckError
from cnnlab.checks import augmentation as check

NB_ID = "08_augmentation"


@pytest.fixture(scope="module")
def keras():
    runtime.quiet_tensorflow()
    import keras
    return keras


@pytest.fixture(scope="module")
def solution(keras):
    ns = {"np": np}
    exec(nbtools.prelude(NB_ID), ns)
    for source in nbtools.solution_cells(nbtools.read(nbtools.SOLUTIONS / f"{NB_ID}.ipynb")).values():
        exec(source, ns)
    return ns


# --------------------------------------------------------------------------- other correct answers pass


def flip_with_integers(images, rng):
    coins = rng.integers(0, 2, size=len(images)).astype(bool)
    return np.where(coins[:, None, None, None], images[:, :, ::-1], images)


def crop_vectorised(images, size, padding, rng):
    n, height, width, _ = images.shape
    padded = np.pad(images, ((0, 0), (padding, padding), (padding, padding), (0, 0)))
    offsets = rng.integers(0, [height + 2 * padding - size + 1, width + 2 * padding - size + 1], size=(n, 2))
    rows = offsets[:, 0, None] + np.arange(size)  # (n, size)
    cols = offsets[:, 1, None] + np.arange(size)
    return padded[np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]]


def brightness_contrast_keras_order(images, brightness, contrast, rng):
    """Contrast, clip, brightness, clip (two Keras layers in a row), uint8 truncated instead of rounded."""
    lo, hi = (0.0, 255.0) if images.dtype == np.uint8 else (0.0, 1.0)
    d = rng.uniform(-brightness, brightness, size=(len(images), 1, 1, 1)) * (hi - lo)  # drawn first
    c = rng.uniform(1 - contrast, 1 + contrast, size=(len(images), 1, 1, 1))
    x = images.astype(np.float32)
    m = x.mean(axis=(1, 2), keepdims=True)
    step = np.clip(m + c * (x - m), lo, hi)
    return np.clip(step + d, lo, hi).astype(images.dtype)


def test_other_correct_answers_pass(capsys):
    check.random_flip(flip_with_integers)
    check.random_crop(crop_vectorised)
    check.adjust_brightness_contrast(brightness_contrast_keras_order)
    out = capsys.readouterr().out
    assert out.count("✔") == 3, out


def _judge_on(monkeypatch, exercise, cases_name, cases, func):
    """Collect and judge ``exercise`` on other cases than the notebook's (the judge reads the cases again)."""
    monkeypatch.setattr(check, cases_name, lambda suite="visible": cases)
    data = getattr(check, f"collect_{exercise}")(func, suite="extra")
    return getattr(check, f"judge_{exercise}")(data, {"suite": "extra", "expected": {}, "mistakes": {}})


def test_solutions_pass_bigger_and_odd_cases(solution, monkeypatch):
    """Cases beyond the notebook's: big images, odd shapes, heavy clipping."""
    _judge_on(monkeypatch, "random_flip", "flip_cases", [((300, 32, 32, 3), np.uint8, 5, "CIFAR-sized")],
              solution["random_flip"])
    _judge_on(monkeypatch, "random_crop", "crop_cases",
              [((200, 32, 32, 3), 32, 4, np.uint8, 6, "pad 4, crop 32"),
               ((400, 3, 7, 1), 3, 1, np.float32, 7, "3×7, size 3")], solution["random_crop"])
    cases = [{"case": f"b={b}, c={c}", "shape": (150, 6, 6, 3), "dtype": np.uint8, "brightness": b, "contrast": c,
              "seed": seed, "levels": (0.2, 0.5, 0.8)} for seed, (b, c) in enumerate([(0.5, 0.0), (0.05, 0.6), (0.4, 0.4)])]
    _judge_on(monkeypatch, "adjust_brightness_contrast", "brightness_contrast_cases", cases,
              solution["adjust_brightness_contrast"])


@pytest.mark.parametrize("exercise", ["random_flip", "random_crop", "adjust_brightness_contrast", "build_augmenter",
                                      "build_augmented_cnn"])
def test_collect_gives_plain_data_that_judge_accepts_in_another_process(solution, exercise):
    """What collect measures survives the record format, and the judge passes the solution on both suites."""
    import json

    from cnnlab.checks import core, record

    collect, judge = getattr(check, f"collect_{exercise}"), getattr(check, f"judge_{exercise}")
    for suite in ("visible", "hidden"):
        data = record.decode(json.loads(json.dumps(record.encode(collect(solution[exercise], suite=suite)))))
        expected = ({**core.stored(check)[exercise], "suite": "visible"} if suite == "visible"
                    else {"expected": collect(solution[exercise], suite=suite), "mistakes": {}, "suite": suite})
        assert judge(data, expected) > 0


def test_judge_decides_from_the_data_alone(solution):
    """A forged flip (every image flipped) fails in the judge, whatever the kernel said."""
    from cnnlab.checks import core

    data = check.collect_random_flip(solution["random_flip"])
    shape, dtype, seed, _ = check.flip_cases("visible")[0]
    data["runs"][0]["out"] = check.test_images(np.random.default_rng(seed + 7), shape, dtype)[:, :, ::-1].copy()
    with pytest.raises(CheckError, match="probability 0.5"):
        check.judge_random_flip(data, {**core.stored(check)["random_flip"], "suite": "visible"})


def test_checks_reject_a_function_that_ignores_its_draws():
    def no_change(images, brightness, contrast, rng):
        rng.random(len(images))
        return images.copy()

    with pytest.raises(CheckError, match="same shift|fraction of the value range"):
        check.adjust_brightness_contrast(no_change)


# --------------------------------------------------------------------------- the reference is TensorFlow's


def test_reference_formula_is_tensorflows():
    runtime.quiet_tensorflow()
    import tensorflow as tf

    rng = np.random.default_rng(0)
    images = rng.uniform(0.2, 0.8, size=(5, 6, 7, 3)).astype(np.float32)
    c = rng.uniform(0.6, 1.4, size=5)
    d = rng.uniform(-0.3, 0.3, size=5)
    ours = check._clip_formula(images, c, d)
    for i in range(5):
        tf_out = tf.clip_by_value(tf.image.adjust_brightness(tf.image.adjust_contrast(images[i], c[i]), d[i]), 0, 1)
        np.testing.assert_allclose(ours[i], tf_out.numpy(), atol=1e-5)


# --------------------------------------------------------------------------- Keras facts stated in the notebook


def test_keras_random_crop_one_offset_per_batch_and_no_crop_at_inference(keras):
    x = np.random.default_rng(0).random((1, 40, 40, 3)).astype(np.float32).repeat(4, axis=0)
    crop = keras.layers.RandomCrop(32, 32, seed=0)
    train = keras.ops.convert_to_numpy(crop(x, training=True))
    assert all(np.array_equal(t, train[0]) for t in train), "notebook 8: RandomCrop now crops per image"
    assert tuple(crop(x, training=False).shape) == (4, 40, 40, 3), (
        "notebook 8: RandomCrop now crops at inference (keras#21868 fixed): update part 2's text; "
        "the CenterCrop after it is then harmless")


def test_keras_random_contrast_single_factor_only_raises_contrast(keras):
    assert keras.layers.RandomContrast(0.2).factor == (0, 0.2), "notebook 8: RandomContrast's factor changed"
    assert keras.layers.RandomContrast((0.2, 0.2)).factor == (0.2, 0.2)


def test_augmenter_is_identity_at_inference_on_real_sized_batches(solution):
    augmenter = solution["build_augmenter"]()
    x = np.random.default_rng(1).random((64, 32, 32, 3)).astype(np.float32)
    out = np.asarray(augmenter(x, training=False))
    np.testing.assert_array_equal(out, x)
