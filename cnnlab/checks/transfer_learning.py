"""Checks for notebook 9: transfer learning (a frozen base, a new head, fine-tuning, features).

The checks build small bases of their own (:func:`tiny_base`: convolution →
BatchNormalization → ReLU blocks whose weights and BatchNorm statistics are drawn from a
seeded NumPy generator, so that training mode and inference mode give different numbers,
and every process builds the same base), hand them to the student's functions, and look
at what came back. Nothing here computes an answer. Each exercise has three parts (see
:func:`cnnlab.checks.core.run_check`):

* ``collect_<exercise>(func, suite)`` builds the cases' bases (``*_cases(suite)``: the
  visible ones, or ``suite="hidden"``: the grader's own, one of them an untrained
  MobileNetV2), runs the student's function on them and records what it did, as data:
  layer shapes, which layers are trainable, weight counts, the features, and measured
  properties (how much a training-mode call changed the frozen base's weights and
  BatchNorm statistics, whether the outputs are probabilities, what was printed);
* ``judge_<exercise>(data, expected)`` compares that data with what the course's solution
  gives (stored in ``expected/transfer_learning.json`` for the visible cases; computed by
  the grader for the hidden ones) and checks the measured properties; every hint comes
  from the data (a head with (h·w·c + 1)·k weights is a Flatten head; features that change
  with the batch were computed in training mode);
* ``<exercise>(func)`` does both, for the self-check.

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

from .core import attempt, expect_array, expect_returned_array, fail, reraise, run_check, per_case_at

JUDGED = True  # the grader judges what these checks collect (cnnlab.grade.judge)
TOLERANCE = {"rtol": 1e-3, "atol": 1e-4}  # float32 features, computed in batches
UNCHANGED = 1e-6  # largest change of a frozen weight or statistic that still counts as "unchanged"


def _keras():
    """Import Keras quietly (TensorFlow's start-up logs go to stderr otherwise)."""
    from cnnlab import runtime

    runtime.quiet_tensorflow()
    import keras

    return keras


def _numpy(tensor: Any) -> np.ndarray:
    return np.asarray(_keras().ops.convert_to_numpy(tensor))


def _shape(shape) -> list:
    """A Keras shape as plain data: ``[None, 6, 6, 8]``."""
    return [None if n is None else int(n) for n in shape]


def _error(err: BaseException) -> str:
    return f"{type(err).__name__}: {str(err)[:300]}"


def tiny_base(input_shape=(12, 12, 3), widths=(4, 6), seed: int = 0, dense: int = 0):
    """A small random base for the checks: pixels → feature map (batch, h, w, widths[-1]).

    Rescaling(1/127.5, offset=−1), then per width: Conv2D 3×3 'same' (no bias) → BatchNormalization →
    ReLU → MaxPool2D(2) (no pooling after the last block). ``dense`` > 0 adds a 1×1 Conv2D of that many
    filters on top (a weighted layer with a bias). Weights and BatchNorm statistics come from
    ``np.random.default_rng(seed)``, so training mode and inference mode differ and every process builds
    the same base; the layers have fixed names (``conv1``, ``bn1``, …). Flat functional keras.Model.
    """
    keras = _keras()
    layers = keras.layers
    inputs = keras.Input(shape=input_shape, name="pixels")
    x = layers.Rescaling(1 / 127.5, offset=-1, name="rescaling")(inputs)
    for i, width in enumerate(widths, start=1):
        x = layers.Conv2D(width, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.Activation("relu", name=f"relu{i}")(x)
        if i < len(widths):
            x = layers.MaxPool2D(2, name=f"pool{i}")(x)
    if dense:
        x = layers.Conv2D(dense, 1, activation="relu", name="top_conv")(x)
    base = keras.Model(inputs, x, name=f"tiny_base_{seed}")
    rng = np.random.default_rng(seed)
    for layer in base.layers:
        if isinstance(layer, layers.BatchNormalization):
            gamma, beta, mean, var = layer.get_weights()
            layer.set_weights([rng.uniform(0.5, 1.5, gamma.shape), rng.normal(0, 0.3, beta.shape),
                               rng.normal(0, 0.5, mean.shape), rng.uniform(0.5, 2.0, var.shape)])
        elif layer.weights:  # He-uniform kernels, small biases
            kernel, *bias = layer.get_weights()
            limit = np.sqrt(6 / np.prod(kernel.shape[:-1]))
            layer.set_weights([rng.uniform(-limit, limit, kernel.shape)] + [rng.normal(0, 0.1, b.shape) for b in bias])
    return base


def mobilenet_base():
    """An untrained MobileNetV2 (alpha 0.35) on 32×32×3, 1×1×1280 output: the hidden cases' real-world base."""
    keras = _keras()
    keras.utils.set_random_seed(0)
    return keras.applications.MobileNetV2(input_shape=(32, 32, 3), include_top=False, weights=None, alpha=0.35)


def _base(spec: dict):
    """The base a case describes: ``{"mobilenet": True}`` or tiny_base's keyword arguments."""
    return mobilenet_base() if spec.get("mobilenet") else tiny_base(**spec)


def _count(weights) -> int:
    return int(sum(int(np.prod(w.shape)) for w in weights))


def _changed(before: list[np.ndarray], variables) -> float:
    """The largest absolute change of ``variables`` since ``before`` (0.0: unchanged)."""
    return float(max([np.max(np.abs(a - np.asarray(b.numpy())), initial=0.0) for a, b in zip(before, variables)],
                     default=0.0))




def _entry(name: str, value: Any, case: str) -> dict:
    """One case's collected dict (a crash re-raised with its message)."""
    reraise(value)
    if not isinstance(value, dict):
        fail(name, case, "the check did not get this case's result.", "run the check cell again, unchanged.")
    return value


# --------------------------------------------------------------------------- exercise 1: build_transfer_model


def transfer_cases(suite: str = "visible") -> list[tuple[str, dict, int]]:
    """(case, base, num_classes): ``base`` is :func:`tiny_base`'s arguments, or ``{"mobilenet": True}``."""
    if suite == "hidden":
        return [("hidden: tiny base with a 1×1 conv on top, 3×3×11 output, 4 classes",
                 {"input_shape": (10, 10, 3), "widths": (5, 7, 9), "seed": 7, "dense": 11}, 4),
                ("hidden: MobileNetV2 (alpha 0.35, untrained) on 32×32, 1×1×1280 output, 3 classes",
                 {"mobilenet": True}, 3)]
    return [("tiny base 12×12×3 → 6×6×6, 2 classes",
             {"input_shape": (12, 12, 3), "widths": (4, 6), "seed": 0}, 2),
            ("tiny base 16×16×3 → 4×4×8, 10 classes",
             {"input_shape": (16, 16, 3), "widths": (3, 5, 8), "seed": 1}, 10)]


def _transfer_data(model, base, x: np.ndarray, base_weights: list[np.ndarray]) -> dict:
    """What the model returned by build_transfer_model is, as data (see collect_build_transfer_model)."""
    keras = _keras()
    if model is None:
        return {"returned": "None"}
    if not isinstance(model, keras.Model):
        return {"returned": type(model).__name__}
    try:
        data = {"input": _shape(model.inputs[0].shape[1:]), "output": _shape(model.outputs[0].shape),
                "base_trainable": bool(base.trainable), "trainable": _count(model.trainable_weights),
                "total": int(model.count_params()), "base_params": int(base.count_params())}
    except Exception as err:  # a model Keras cannot describe (no inputs, not built)
        return {"broken": _error(err)}
    try:
        probs = _numpy(model(x, training=False)).astype(np.float64)
        data["prob_min"] = float(probs.min())
        data["row_sums"] = probs.reshape(len(x), -1).sum(axis=1)
        # Frozen means frozen: a training-mode call must change neither the weights nor BatchNorm's statistics.
        model(x, training=True)
        data["base_change"] = _changed(base_weights, base.weights)
    except Exception as err:  # a model that cannot run on the base's images
        data["call_error"] = _error(err)
    return data


def collect_build_transfer_model(func: Callable, suite: str = "visible") -> dict:
    """Per case: the model's input and output shapes, trainable and total weights, whether the base is still
    trainable, the outputs' row sums and minimum on 4 images, and the largest change of the base's weights
    and BatchNorm statistics after a training-mode call; the base's output shape (h, w, c) for the hints."""
    keras = _keras()
    results = []
    for case, spec, k in transfer_cases(suite):
        base = _base(spec)
        base.trainable = True  # as it comes out of pre-training; the student's function must freeze it
        in_shape = tuple(int(n) for n in base.inputs[0].shape[1:])
        x = np.random.default_rng(1).uniform(0, 255, (4, *in_shape)).astype(np.float32)
        before = [np.array(v.numpy()) for v in base.weights]
        keras.utils.set_random_seed(0)  # the new head's initial weights: the same in every process
        got = attempt("build_transfer_model", func, base, k, case=case,
                      to_data=lambda model: _transfer_data(model, base, x, before))
        if isinstance(got, dict) and "raised" not in got:
            got["base_output"] = _shape(base.outputs[0].shape[1:])
        results.append(got)
    return {"cases": results}


def judge_build_transfer_model(data: dict, expected: dict) -> int:
    name = "build_transfer_model"
    cases = transfer_cases(expected["suite"])
    got_all = per_case_at(name, data, "cases", len(cases))
    want_all = expected["expected"]["cases"]
    for (case, _, k), got, want in zip(cases, got_all, want_all):
        got = _entry(name, got, case)
        if got.get("returned") == "None":
            fail(name, case, "your function returned None.", "did you forget `return model`?")
        if "returned" in got:
            fail(name, case, f"expected a keras.Model, got {got['returned']}",
                 "return `keras.Model(inputs, outputs)`, built with the functional API.")
        if "broken" in got:
            fail(name, case, f"Keras could not read your model's inputs and outputs:\n{got['broken']}",
                 "return `keras.Model(inputs, outputs)`, built with the functional API from `keras.Input`.")
        h, w, c = want["base_output"]
        if got.get("input") != want["input"]:
            fail(name, case, f"expected input shape {tuple(want['input'])} (the base's)\n"
                 f"got input shape      {_tuple(got.get('input'))}",
                 "start with `inputs = keras.Input(shape=base.inputs[0].shape[1:])`: the base's own input shape.")
        if got.get("output") != want["output"]:
            out = got.get("output")
            hint = ("the base outputs a feature map (batch, h, w, channels): add "
                    "`layers.GlobalAveragePooling2D()` before the Dense layer."
                    if not isinstance(out, list) or len(out) != 2 else
                    "the new head's Dense layer has one unit per class of task B: `Dense(num_classes, ...)`.")
            fail(name, case, f"expected output shape {_tuple(want['output'])}\ngot output shape      {_tuple(out)}",
                 hint)
        if got.get("base_trainable") is not False:
            fail(name, case, "the base is still trainable (base.trainable is True).",
                 "freeze it before building the model: `base.trainable = False`. Otherwise the first "
                 "steps of training, driven by the random new head, wreck the pre-trained features.")
        trainable, head = got.get("trainable"), want["trainable"]
        if trainable != head:
            if trainable == (h * w * c + 1) * k and h * w > 1:
                hint = (f"you used Flatten: the head then has (h·w·c + 1)·k = ({h}·{w}·{c} + 1)·{k} "
                        f"weights. Use GlobalAveragePooling2D: one number per channel, (c + 1)·k weights, "
                        "fewer to fit with little data.")
            elif isinstance(trainable, int) and trainable > head:
                hint = ("more than the new head is trainable: only GlobalAveragePooling2D (no weights) and "
                        "Dense(num_classes) may be added, and the base must stay frozen.")
            else:
                hint = "the head is GlobalAveragePooling2D() then Dense(num_classes, activation=\"softmax\")."
            fail(name, case, f"expected {head:,} trainable weights: the new Dense layer's "
                 f"(channels + 1) × classes = ({c} + 1) × {k}\ngot      {_count_text(trainable)} "
                 f"(the whole network has {_count_text(got.get('total'))}; the frozen base's "
                 f"{want['base_params']:,} must not train)", hint)
        if "call_error" in got:
            fail(name, case, f"calling your model on 4 images of the base's input shape raised\n{got['call_error']}",
                 "build the model as inputs → base → GlobalAveragePooling2D → Dense, with the functional API.")
        sums = got.get("row_sums")
        prob_min = got.get("prob_min")
        if (not isinstance(sums, np.ndarray) or sums.shape != (4,) or not isinstance(prob_min, float)
                or not np.isfinite(prob_min) or prob_min < -1e-6 or not np.allclose(sums, 1, atol=1e-4)):
            shown = np.round(sums, 3) if isinstance(sums, np.ndarray) else sums
            fail(name, case, f"the outputs are not probabilities: rows sum to {shown}",
                 "the output layer is `Dense(num_classes, activation=\"softmax\")`: the notebook trains with "
                 "sparse_categorical_crossentropy on probabilities.")
        change = got.get("base_change")
        if not isinstance(change, float) or not change <= UNCHANGED:
            fail(name, case, "a training-mode call of your model changed the base's weights or BatchNorm statistics.",
                 "freeze the whole base with `base.trainable = False`: a frozen BatchNormalization layer "
                 "runs in inference mode.")
    return 7 * len(cases)


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _count_text(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else repr(value)


def build_transfer_model(func: Callable, suite: str = "visible") -> None:
    """Check ``build_transfer_model(base, num_classes)``: frozen base, new head, trainable count, probabilities."""
    run_check("build_transfer_model", __name__, suite, lambda: collect_build_transfer_model(func, suite),
              judge_build_transfer_model)


# --------------------------------------------------------------------------- exercise 2: extract_features


def features_cases(suite: str = "visible") -> tuple[dict, list[tuple[str, int, int]]]:
    """(the base and images, [(case, number of images from the start, batch_size), ...]).

    The later cases take the first images of the first case's batch again: an image's features must not
    depend on the other images it is computed with.
    """
    if suite == "hidden":
        return ({"base": {"input_shape": (10, 10, 3), "widths": (3, 4, 7), "seed": 5}, "images": 7, "seed": 9},
                [("hidden: 7 images in batches of 3, 3×3×7 feature map", 7, 3),
                 ("hidden: the first 2 images, batch_size=1", 2, 1)])
    return ({"base": {"input_shape": (8, 8, 3), "widths": (4, 5), "seed": 2}, "images": 10, "seed": 0},
            [("tiny base 8×8×3 → 4×4×5, 10 images in batches of 4", 10, 4),
             ("the first 3 images alone, batch_size=3", 3, 3)])


def collect_extract_features(func: Callable, suite: str = "visible") -> dict:
    """Per case: the features (array or description) and the first line the function printed ("" if none);
    the base's output shape (h, w, c) for the hints."""
    setup, cases = features_cases(suite)
    base = tiny_base(**setup["base"])
    in_shape = tuple(int(n) for n in base.inputs[0].shape[1:])
    images = np.random.default_rng(setup["seed"]).uniform(0, 255, (setup["images"], *in_shape)).astype(np.float32)
    results = []
    for case, n, batch_size in cases:
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            got = attempt("extract_features", func, base, images[:n], batch_size, case=case)
        printed = (out.getvalue() + err.getvalue()).strip()
        results.append({"features": got, "printed": printed.splitlines()[0][:120] if printed else ""})
    return {"cases": results, "map_shape": _shape(base.outputs[0].shape[1:])}


def judge_extract_features(data: dict, expected: dict) -> int:
    name = "extract_features"
    _, cases = features_cases(expected["suite"])
    got_all = per_case_at(name, data, "cases", len(cases))
    want_all = expected["expected"]["cases"]
    h, w, c = expected["expected"]["map_shape"]
    first = got_all[0].get("features") if isinstance(got_all[0], dict) else None
    later = [g.get("features") if isinstance(g, dict) else None for g in got_all[1:]]
    # Features that change with the batch they are computed in: BatchNorm used the batch's statistics.
    batch_dependent = isinstance(first, np.ndarray) and any(
        isinstance(g, np.ndarray) and g.shape[1:] == first.shape[1:] and len(g) <= len(first) and g.dtype.kind == "f"
        and first.dtype.kind == "f" and not np.allclose(g, first[:len(g)], **TOLERANCE) for g in later)
    for i, ((case, n, _), got, want) in enumerate(zip(cases, got_all, want_all)):
        got = _entry(name, got, case)
        feats = expect_returned_array(name, got.get("features"), case=case,
                                      hint="`base.predict(images, batch_size=batch_size, verbose=0)` returns a "
                                           "NumPy array.")
        if feats.ndim == 4:
            fail(name, case, f"expected one vector per image, shape ({n}, {c})\ngot a feature map of shape "
                 f"{feats.shape}", "average each channel over the positions: `maps.mean(axis=(1, 2))` "
                                   "(global average pooling).")
        if feats.shape == (n, h * w * c) and h * w > 1:
            fail(name, case, f"expected shape ({n}, {c})\ngot shape      {feats.shape}",
                 "you flattened the feature map; average each channel over the positions instead: "
                 "`maps.mean(axis=(1, 2))`, one number per channel.")
        if feats.shape != (n, c):
            fail(name, case, f"expected shape ({n}, {c}): (images, channels)\ngot shape      {feats.shape}",
                 "one row per image, one column per channel of the base's output.")
        if feats.dtype != np.float32:
            fail(name, case, f"expected dtype float32\ngot dtype      {feats.dtype}",
                 "return float32 features, as the model computes them (`.astype(np.float32)`).")
        target = want["features"]
        if not np.allclose(feats, target, **TOLERANCE):
            if batch_dependent:
                hint = ("these are the features in training mode: BatchNormalization used the batch's own "
                        "statistics, so an image's features change with the other images in its batch. "
                        "Use `base.predict(...)` or `base(x, training=False)`.")
            else:
                hint = ("global-average-pool the base's output in inference mode: "
                        "`base.predict(images, batch_size=batch_size, verbose=0).mean(axis=(1, 2))`.")
            expect_array(name, feats, target, case=case, hint=hint, **TOLERANCE)
        if i and batch_dependent:
            fail(name, case, f"the features of the first {n} images change with the batch they are computed in.",
                 "compute the features in inference mode (`predict`, or `training=False`), where "
                 "BatchNormalization uses its stored statistics, not the batch's.")
        printed = got.get("printed")
        if printed:
            fail(name, case, f"your function printed something (a progress bar?):\n{printed!r}",
                 "pass `verbose=0` to `predict`: its progress bar fills the notebook, and nbgrader gives 0 points "
                 "to a cell that writes to stderr.")
    return 4 * len(cases)


def extract_features(func: Callable, suite: str = "visible") -> None:
    """Check ``extract_features(base, images, batch_size)``: (N, C) float32, inference mode, batched, quiet."""
    run_check("extract_features", __name__, suite, lambda: collect_extract_features(func, suite),
              judge_extract_features)


# --------------------------------------------------------------------------- exercise 3: unfreeze_top


def unfreeze_cases(suite: str = "visible") -> list[tuple[str, dict, int]]:
    """(case, base, n_layers): ``base`` is :func:`tiny_base`'s arguments, or ``{"mobilenet": True}``."""
    if suite == "hidden":
        return [("hidden: 4 blocks and a 1×1 conv on top, n_layers=4",
                 {"input_shape": (12, 12, 3), "widths": (4, 6, 8, 10), "seed": 8, "dense": 3}, 4),
                ("hidden: MobileNetV2 (alpha 0.35, untrained), n_layers=3 (Conv_1, block_16_project, "
                 "block_16_depthwise)", {"mobilenet": True}, 3)]
    blocks = {"input_shape": (12, 12, 3), "widths": (4, 6, 8)}
    return [("tiny base with 3 conv → BN → ReLU blocks, n_layers=1", {**blocks, "seed": 3}, 1),
            ("the same with a 1×1 Conv2D on top, n_layers=2", {**blocks, "seed": 3, "dense": 5}, 2),
            ("3 blocks, n_layers=3 (every convolution)", {**blocks, "seed": 4}, 3)]


def _unfreeze_data(base, x: np.ndarray) -> dict:
    """The base after unfreeze_top, as data (see collect_unfreeze_top)."""
    keras = _keras()
    bn = [isinstance(layer, keras.layers.BatchNormalization) for layer in base.layers]
    data = {"base_trainable": bool(base.trainable),
            "names": [layer.name for layer in base.layers],
            "weighted": [bool(layer.weights) for layer in base.layers],
            "bn": bn,
            "trainable": [bool(layer.trainable) for layer in base.layers],
            "trainable_count": _count(base.trainable_weights)}
    # What keeps BatchNorm in inference mode during fine-tuning (Keras 3): its layers are frozen, so a
    # training step leaves their statistics alone. Measure it with one training-mode call.
    stats = [v for layer, is_bn in zip(base.layers, bn) if is_bn for v in layer.non_trainable_weights]
    before = [np.array(v.numpy()) for v in stats]
    try:
        base(x, training=True)
        data["bn_change"] = _changed(before, stats)
    except Exception as err:
        data["call_error"] = _error(err)
    return data


def collect_unfreeze_top(func: Callable, suite: str = "visible") -> dict:
    """Per case, the base after ``func(base, n_layers)``: base.trainable, each layer's name, whether it has
    weights, is BatchNormalization, is trainable; the base's trainable weight count; the largest change of the
    BatchNorm statistics after a training-mode call."""
    results = []
    for case, spec, n in unfreeze_cases(suite):
        base = _base(spec)
        base.trainable = False  # as build_transfer_model left it
        x = np.random.default_rng(2).uniform(0, 255, (4, *base.inputs[0].shape[1:])).astype(np.float32)
        got = attempt("unfreeze_top", func, base, n, case=case, to_data=lambda _: _unfreeze_data(base, x))
        results.append(got)
    return {"cases": results}


def judge_unfreeze_top(data: dict, expected: dict) -> int:
    name = "unfreeze_top"
    cases = unfreeze_cases(expected["suite"])
    got_all = per_case_at(name, data, "cases", len(cases))
    for (case, _, n), got, want in zip(cases, got_all, expected["expected"]["cases"]):
        got = _entry(name, got, case)
        if got.get("base_trainable") is not True:
            fail(name, case, "base.trainable is still False, so no weight of the base can train, whatever the "
                 "layers' own flags say.",
                 "first `base.trainable = True`, then set `layer.trainable = False` on every layer except the "
                 "top ones.")
        names, flags = want["names"], got.get("trainable")
        weighted = [i for i, has in enumerate(want["weighted"]) if has]
        got_names = got.get("names")
        if (not isinstance(flags, list) or len(flags) != len(names) or not isinstance(got_names, list)
                or len(got_names) != len(names) or any(got_names[i] != names[i] for i in weighted)):
            fail(name, case, "the base's layers changed.", "unfreeze_top only sets `trainable` flags: it must not "
                 "add, remove or rename layers.")
        candidates = [names[i] for i in weighted if not want["bn"][i]]
        expected_names = [names[i] for i in weighted if want["trainable"][i]]
        trainable = [names[i] for i in weighted if flags[i] is True]
        bn = [names[i] for i in weighted if flags[i] is True and want["bn"][i]]
        top = [names[i] for i in weighted if flags[i] is True and not want["bn"][i]]
        shown = f"expected trainable: {expected_names}\ngot trainable:      {trainable}"
        if len(top) == len(candidates) > n:
            fail(name, case, shown, "every layer is trainable: after `base.trainable = True` set `trainable = False` "
                 "on all layers but the top n_layers.")
        if bn:
            fail(name, case, f"BatchNormalization layers are trainable: {bn}\n" + shown,
                 "keep every BatchNormalization layer frozen (`trainable = False`) and do not count them: a frozen "
                 "BatchNormalization layer runs in inference mode, with the statistics of pre-training; re-fitting "
                 "them on tiny batches of task B would shift every feature after them at once (Keras' advice).")
        if top != expected_names:
            if top == candidates[:n]:
                hint = ("you unfroze the bottom layers: fine-tuning adapts the TOP ones (the most task-specific "
                        "features).")
            elif len(top) < n and set(top) <= set(names[-n:]):
                hint = ("you counted layers without weights (Activation, pooling …): count only the layers "
                        "that have weights (`layer.weights` not empty), leaving out BatchNormalization.")
            else:
                hint = (f"unfreeze the top {n} layers that have weights, not counting "
                        "BatchNormalization; freeze all the others.")
            fail(name, case, shown, hint)
        count = got.get("trainable_count")
        if count != want["trainable_count"]:
            fail(name, case, f"expected {want['trainable_count']:,} trainable weights in the base\n"
                 f"got      {_count_text(count)}", "only the top layers' weights may train.")
        if "call_error" in got:
            fail(name, case, f"calling the base on 4 images after your function raised\n{got['call_error']}",
                 "unfreeze_top only sets `trainable` flags: leave the layers themselves as they are.")
        change = got.get("bn_change")
        if not isinstance(change, float) or not change <= UNCHANGED:
            fail(name, case, "a training step changed the BatchNormalization layers' moving mean and variance.",
                 "keep every BatchNormalization layer frozen: a frozen BatchNormalization layer runs in "
                 "inference mode.")
    return 5 * len(cases)


def unfreeze_top(func: Callable, suite: str = "visible") -> None:
    """Check ``unfreeze_top(base, n_layers)``: the top n weighted layers trainable, BN frozen, the rest frozen."""
    run_check("unfreeze_top", __name__, suite, lambda: collect_unfreeze_top(func, suite), judge_unfreeze_top)

