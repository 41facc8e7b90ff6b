"""Checks for notebook 9: transfer learning (a frozen base, a new head, fine-tuning, features).

The checks build small bases of their own (:func:`tiny_base`: convolution →
BatchNormalization → ReLU blocks with random weights and random BatchNorm
statistics, so that training mode and inference mode give different numbers),
hand them to the student's functions, and look at what came back: which
layers are trainable, how many weights the new head has (computed from the
base's output shape), whether a training step leaves BatchNormalization's
statistics alone, and the features against a NumPy reference.

Note on Keras 3 (measured with 3.15): inside a functional model, the
``training=False`` of ``base(inputs, training=False)`` is overridden by the
outer model's ``training=True`` during ``fit`` (keras-team/keras#20285). What
keeps a BatchNormalization layer in inference mode is that it is frozen
(``trainable = False``), so that is what the checks test.

Keras is imported only when a check needs it, after
:func:`cnnlab.runtime.quiet_tensorflow`, so that importing this module writes
nothing to stderr.
"""

from __future__ import annotations

import contextlib
import io
from typing import Any, Callable

import numpy as np

from .core import call, expect_array, fail, passed, require_function


def _keras():
    """Import Keras quietly (TensorFlow's start-up logs go to stderr otherwise)."""
    from cnnlab import runtime

    runtime.quiet_tensorflow()
    import keras

    return keras


def _numpy(tensor: Any) -> np.ndarray:
    return np.asarray(_keras().ops.convert_to_numpy(tensor))


def tiny_base(input_shape=(12, 12, 3), widths=(4, 6), seed: int = 0, dense: int = 0):
    """A small random base for the checks: pixels → feature map (batch, h, w, widths[-1]).

    Rescaling(1/127.5, offset=−1), then per width: Conv2D 3×3 'same' (no bias) → BatchNormalization →
    ReLU → MaxPool2D(2) (no pooling after the last block). ``dense`` > 0 adds a 1×1 Conv2D of that many
    filters on top (a weighted layer with a bias). Weights and BatchNorm statistics are random
    (fixed by ``seed``), so training mode and inference mode differ. Flat functional keras.Model.
    """
    keras = _keras()
    layers = keras.layers
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(1 / 127.5, offset=-1)(inputs)
    for i, width in enumerate(widths):
        x = layers.Conv2D(width, 3, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization()(x)
        x = layers.Activation("relu")(x)
        if i < len(widths) - 1:
            x = layers.MaxPool2D(2)(x)
    if dense:
        x = layers.Conv2D(dense, 1, activation="relu")(x)
    base = keras.Model(inputs, x, name=f"tiny_base_{seed}")
    rng = np.random.default_rng(seed)
    for layer in base.layers:
        if isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 1.5, gamma.shape), rng.normal(0, 0.3, beta.shape),
                               rng.normal(0, 0.5, mean.shape), rng.uniform(0.5, 2.0, var.shape)])
    return base


def weighted_layers(base) -> list:
    """The layers of ``base`` that hold weights (Conv2D, Dense, BatchNormalization, …), bottom to top."""
    return [layer for layer in base.layers if layer.weights]


def _count(weights) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _is_bn(layer) -> bool:
    return isinstance(layer, _keras().layers.BatchNormalization)


def _names(layers) -> list[str]:
    return [layer.name for layer in layers]


# --------------------------------------------------------------------------- exercise 1: build_transfer_model


def transfer_case(func: Callable, base, num_classes: int, *, case: str) -> None:
    """Check ``build_transfer_model(base, num_classes)`` on one base."""
    name = "build_transfer_model"
    keras = _keras()
    base.trainable = True  # as it comes out of pre-training; the student's function must freeze it
    in_shape = tuple(base.inputs[0].shape[1:])
    h, w, c = (int(n) for n in base.outputs[0].shape[1:])
    model = call(name, func, base, num_classes, case=case)
    if model is None:
        fail(name, case, "your function returned None.", "did you forget `return model`?")
    if not isinstance(model, keras.Model):
        fail(name, case, f"expected a keras.Model, got {type(model).__name__}",
             "return `keras.Model(inputs, outputs)`, built with the functional API.")
    got_in = tuple(model.inputs[0].shape[1:])
    if got_in != in_shape:
        fail(name, case, f"expected input shape {in_shape} (the base's)\ngot input shape      {got_in}",
             "start with `inputs = keras.Input(shape=base.inputs[0].shape[1:])`: the base's own input shape.")
    got_out = tuple(model.outputs[0].shape)
    if got_out != (None, num_classes):
        hint = ("the base outputs a feature map (batch, h, w, channels): add "
                "`layers.GlobalAveragePooling2D()` before the Dense layer." if len(got_out) != 2 else
                "the new head's Dense layer has one unit per class of task B: `Dense(num_classes, ...)`.")
        fail(name, case, f"expected output shape (None, {num_classes})\ngot output shape      {got_out}", hint)
    if base.trainable:
        fail(name, case, "the base is still trainable (base.trainable is True).",
             "freeze it before building the model: `base.trainable = False`. Otherwise the first "
             "steps of training, driven by the random new head, wreck the pre-trained features.")
    head = (c + 1) * num_classes
    got = _count(model.trainable_weights)
    if got != head:
        total = model.count_params()
        if got == (h * w * c + 1) * num_classes and h * w > 1:
            hint = (f"you used Flatten: the head then has (h·w·c + 1)·k = ({h}·{w}·{c} + 1)·{num_classes} "
                    f"weights. Use GlobalAveragePooling2D: one number per channel, (c + 1)·k weights, "
                    "fewer to fit with little data.")
        elif got > head:
            hint = ("more than the new head is trainable: only GlobalAveragePooling2D (no weights) and "
                    "Dense(num_classes) may be added, and the base must stay frozen.")
        else:
            hint = "the head is GlobalAveragePooling2D() then Dense(num_classes, activation=\"softmax\")."
        fail(name, case, f"expected {head:,} trainable weights: the new Dense layer's "
             f"(channels + 1) × classes = ({c} + 1) × {num_classes}\ngot      {got:,} "
             f"(the whole network has {total:,}; the frozen base's {base.count_params():,} must not train)", hint)
    x = np.random.default_rng(1).uniform(0, 255, (4, *in_shape)).astype(np.float32)
    probs = _numpy(model(x, training=False)).astype(np.float64)
    if probs.min() < -1e-6 or not np.allclose(probs.sum(axis=1), 1, atol=1e-4):
        fail(name, case, f"the outputs are not probabilities: rows sum to {np.round(probs.sum(axis=1), 3)}",
             "the output layer is `Dense(num_classes, activation=\"softmax\")`: the notebook trains with "
             "sparse_categorical_crossentropy on probabilities.")
    # Frozen means frozen: a training step must change neither the weights nor BatchNorm's statistics.
    before = [np.array(v.numpy()) for v in base.weights]
    model(x, training=True)
    if any(not np.allclose(a, b.numpy()) for a, b in zip(before, base.weights)):
        fail(name, case, "a training-mode call of your model changed the base's weights or BatchNorm statistics.",
             "freeze the whole base with `base.trainable = False`: a frozen BatchNormalization layer "
             "runs in inference mode.")


def build_transfer_model(func: Callable) -> None:
    """Check ``build_transfer_model(base, num_classes)``: frozen base, new head, trainable count, probabilities."""
    require_function("build_transfer_model", func)
    cases = [(tiny_base((12, 12, 3), (4, 6), seed=0), 2, "tiny base 12×12×3 → 6×6×6, 2 classes"),
             (tiny_base((16, 16, 3), (3, 5, 8), seed=1), 10, "tiny base 16×16×3 → 4×4×8, 10 classes")]
    for base, k, case in cases:
        transfer_case(func, base, k, case=case)
    passed("build_transfer_model", 7 * len(cases))


# --------------------------------------------------------------------------- exercise 2: extract_features


def _reference_features(base, images) -> np.ndarray:
    maps = _numpy(base(images, training=False)).astype(np.float64)
    return maps.mean(axis=(1, 2))


def features_case(func: Callable, base, images: np.ndarray, batch_size: int, *, case: str) -> None:
    """Check ``extract_features(base, images, batch_size)`` on one base and batch."""
    name = "extract_features"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        got = call(name, func, base, images, batch_size, case=case)
    printed = (out.getvalue() + err.getvalue()).strip()
    expected = _reference_features(base, images)
    n, c = expected.shape
    if got is None:
        fail(name, case, "your function returned None.", "did you forget `return features`?")
    if not isinstance(got, np.ndarray):
        fail(name, case, f"expected a NumPy array, got {type(got).__name__}",
             "`base.predict(images, batch_size=batch_size, verbose=0)` returns a NumPy array.")
    if got.ndim == 4:
        fail(name, case, f"expected one vector per image, shape ({n}, {c})\ngot a feature map of shape {got.shape}",
             "average each channel over the positions: `maps.mean(axis=(1, 2))` (global average pooling).")
    if got.shape == (n, int(np.prod(base.outputs[0].shape[1:]))) and got.shape != (n, c):
        fail(name, case, f"expected shape ({n}, {c})\ngot shape      {got.shape}",
             "you flattened the feature map; average each channel over the positions instead: "
             "`maps.mean(axis=(1, 2))`, one number per channel.")
    if got.shape != (n, c):
        fail(name, case, f"expected shape ({n}, {c}): (images, channels)\ngot shape      {got.shape}",
             "one row per image, one column per channel of the base's output.")
    if got.dtype != np.float32:
        fail(name, case, f"expected dtype float32\ngot dtype      {got.dtype}",
             "return float32 features, as the model computes them (`.astype(np.float32)`).")
    if not np.allclose(got, expected, rtol=1e-3, atol=1e-4):
        train_mode = _numpy(base(images, training=True)).astype(np.float64).mean(axis=(1, 2))
        hint = ("these are the features in training mode: BatchNormalization used the batch's own statistics. "
                "Use `base.predict(...)` or `base(x, training=False)`." if np.allclose(got, train_mode, rtol=1e-3, atol=1e-4)
                else "global-average-pool the base's output in inference mode: "
                     "`base.predict(images, batch_size=batch_size, verbose=0).mean(axis=(1, 2))`.")
        expect_array(name, got, expected.astype(np.float32), case=case, hint=hint, rtol=1e-3, atol=1e-4)
    if printed:
        first = printed.splitlines()[0][:120]
        fail(name, case, f"your function printed something (a progress bar?):\n{first!r}",
             "pass `verbose=0` to `predict`: its progress bar fills the notebook, and nbgrader gives 0 points "
             "to a cell that writes to stderr.")


def extract_features(func: Callable) -> None:
    """Check ``extract_features(base, images, batch_size)``: (N, C) float32, inference mode, batched, quiet."""
    name = "extract_features"
    require_function(name, func)
    rng = np.random.default_rng(0)
    base = tiny_base((8, 8, 3), (4, 5), seed=2)
    images = rng.uniform(0, 255, (10, 8, 8, 3)).astype(np.float32)
    features_case(func, base, images, 4, case="tiny base 8×8×3 → 4×4×5, 10 images in batches of 4")
    # The features of an image must not depend on the other images in its batch.
    case = "the first 3 images alone, batch_size=3"
    alone = call(name, func, base, images[:3], 3, case=case)
    together = call(name, func, base, images, 4, case="10 images again")
    if not np.allclose(np.asarray(alone), np.asarray(together)[:3], rtol=1e-3, atol=1e-4):
        fail(name, case, "the features of the first 3 images change with the batch they are computed in.",
             "compute the features in inference mode (`predict`, or `training=False`), where "
             "BatchNormalization uses its stored statistics, not the batch's.")
    passed(name, 8)


# --------------------------------------------------------------------------- exercise 3: unfreeze_top


def unfreeze_case(func: Callable, base, n_layers: int, *, case: str) -> None:
    """Check ``unfreeze_top(base, n_layers)`` on one frozen base."""
    name = "unfreeze_top"
    base.trainable = False  # as build_transfer_model left it
    weighted = weighted_layers(base)
    candidates = [layer for layer in weighted if not _is_bn(layer)]
    want = candidates[len(candidates) - n_layers:]
    call(name, func, base, n_layers, case=case)
    if not base.trainable:
        fail(name, case, "base.trainable is still False, so no weight of the base can train, whatever the "
             "layers' own flags say.",
             "first `base.trainable = True`, then set `layer.trainable = False` on every layer except the "
             "top ones.")
    trainable = [layer for layer in weighted if layer.trainable]
    bn = [layer for layer in trainable if _is_bn(layer)]
    got = [layer for layer in trainable if not _is_bn(layer)]
    shown = (f"expected trainable: {_names(want)}\ngot trainable:      {_names(trainable)}")
    if len(got) == len(candidates) > n_layers:
        fail(name, case, shown, "every layer is trainable: after `base.trainable = True` set `trainable = False` "
             "on all layers but the top n_layers.")
    if bn:
        fail(name, case, f"BatchNormalization layers are trainable: {_names(bn)}\n" + shown,
             "keep every BatchNormalization layer frozen (`trainable = False`) and do not count them: a frozen "
             "BatchNormalization layer runs in inference mode, with the statistics of pre-training; re-fitting "
             "them on tiny batches of task B would shift every feature after them at once (Keras' advice).")
    if got != want:
        if got == candidates[:n_layers]:
            hint = "you unfroze the bottom layers: fine-tuning adapts the TOP ones (the most task-specific features)."
        elif len(got) < n_layers and set(_names(got)) <= set(_names(base.layers[-n_layers:])):
            hint = ("you counted layers without weights (Activation, pooling …): count only the layers "
                    "that have weights (`layer.weights` not empty), leaving out BatchNormalization.")
        else:
            hint = (f"unfreeze the top {n_layers} layers that have weights, not counting "
                    "BatchNormalization; freeze all the others.")
        fail(name, case, shown, hint)
    expected_count = _count([w for layer in want for w in layer.trainable_weights])
    if _count(base.trainable_weights) != expected_count:
        fail(name, case, f"expected {expected_count:,} trainable weights in the base\n"
             f"got      {_count(base.trainable_weights):,}", "only the top layers' weights may train.")
    # What keeps BatchNorm in inference mode during fine-tuning (Keras 3): its layers are frozen, so a
    # training step leaves their statistics alone. Check it with one training-mode call.
    bns = [layer for layer in base.layers if _is_bn(layer)]
    if bns:
        x = np.random.default_rng(2).uniform(0, 255, (4, *base.inputs[0].shape[1:])).astype(np.float32)
        before = [np.array(v.numpy()) for layer in bns for v in layer.non_trainable_weights]
        base(x, training=True)
        after = [v.numpy() for layer in bns for v in layer.non_trainable_weights]
        if any(not np.allclose(a, b) for a, b in zip(before, after)):
            fail(name, case, "a training step changed the BatchNormalization layers' moving mean and variance.",
                 "keep every BatchNormalization layer frozen: a frozen BatchNormalization layer runs in "
                 "inference mode.")


def unfreeze_top(func: Callable) -> None:
    """Check ``unfreeze_top(base, n_layers)``: the top n weighted layers trainable, BN frozen, the rest frozen."""
    require_function("unfreeze_top", func)
    cases = [(tiny_base((12, 12, 3), (4, 6, 8), seed=3), 1, "tiny base with 3 conv → BN → ReLU blocks, n_layers=1"),
             (tiny_base((12, 12, 3), (4, 6, 8), seed=3, dense=5), 2,
              "the same with a 1×1 Conv2D on top, n_layers=2"),
             (tiny_base((12, 12, 3), (4, 6, 8), seed=4), 3, "3 blocks, n_layers=3 (every convolution)")]
    for base, n, case in cases:
        unfreeze_case(func, base, n, case=case)
    passed("unfreeze_top", 5 * len(cases))
