"""Checks for notebook 7: case studies, from LeNet-5 to Inception, batch normalisation and ResNet.

Nothing here computes an answer. Each exercise has three parts (see
:func:`cnnlab.checks.core.run_check`):

* ``collect_<exercise>(func, suite)`` runs the student's function on the cases of
  ``<exercise>_cases(suite)`` (``suite="hidden"``: the grader's own cases) and returns
  what came back as plain data: for a model builder, its layers (type, settings,
  output shape, weights, activation); for the NumPy exercises, the arrays and numbers;
  for the residual block, what the block measures (shape, layers, its output with the
  residual branch switched off);
* ``judge_<exercise>(data, expected)`` compares that data with what the course's
  solutions give (stored in ``expected/case_studies.json`` for the visible cases;
  computed by the grader for the hidden ones), or with properties (the residual
  block), and raises :class:`~cnnlab.checks.CheckError` on the first difference, with
  a hint for the mistake that usually causes it;
* ``<exercise>(func)`` does both, for the self-check.

The LeNet-5 comparison goes layer by layer, in the order students go wrong: the kind
of layer, its settings, its output shape, its weights. The solutions of
``inception_params`` and ``batchnorm_forward`` are verified against Keras'
``count_params()`` and ``keras.layers.BatchNormalization`` by the course's tests.

Keras is imported only when a check needs it, after
:func:`cnnlab.runtime.quiet_tensorflow`, so that importing this module writes
nothing to stderr.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import numpy as np

from . import record
from .core import (CheckError, NotDoneError, attempt, expect_array, expect_returned_array, fail, reraise,
                   require_function, returned, run_check, per_case)

JUDGED = True  # the grader judges what these checks collect (cnnlab.grade.judge)
RULES: dict = {}  # no exercise of this notebook restricts loops or libraries

# --------------------------------------------------------------------------- lecture numbers

# LeNet-5 as published (LeCun, Bottou, Bengio & Haffner 1998, "Gradient-based
# learning applied to document recognition"), on 32×32 inputs: trainable
# parameters per layer. The subsampling layers have one trainable coefficient
# and one bias per map; C3 connects each of its 16 maps to only some of S2's 6
# maps (60 connections instead of 96); the output is 10 RBF units whose 84×10
# codes were fixed by hand, not learned. Total: 60,000.
LENET5_PAPER = (
    ("C1: 6 convolutions 5×5", (28, 28, 6), 156),
    ("S2: 2×2 subsampling", (14, 14, 6), 12),
    ("C3: 16 convolutions 5×5 (partial connections)", (10, 10, 16), 1_516),
    ("S4: 2×2 subsampling", (5, 5, 16), 32),
    ("C5: 120 convolutions 5×5", (1, 1, 120), 48_120),
    ("F6: 84 units", (84,), 10_164),
    ("Output: 10 RBF units (fixed)", (10,), 0),
)
# The rows of the notebook's LeNet-5 table (activations and dropout left out), named as in the lecture.
LENET5_LABELS = ("C1: 6 filters 5×5", "S2: 2×2 subsampling", "C3: 16 filters 5×5", "S4: 2×2 subsampling",
                 "C5: 120 filters 5×5", "Flatten", "F6: 84 units", "output")

NOT_DONE = ("{name} is not written yet: replace `raise NotImplementedError()` in its cell "
            "with your code, run that cell, then run this check again.")


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


# --------------------------------------------------------------------------- layer tables

_KINDS = {"Conv2D": "conv", "MaxPooling2D": "pool", "AveragePooling2D": "pool",
          "BatchNormalization": "norm", "Flatten": "flatten", "Dense": "dense"}
# Layers that change neither shapes nor weights and are ignored by the table.
_TRANSPARENT = {"Activation", "ReLU", "Softmax", "LeakyReLU", "ELU", "PReLU", "Dropout",
                "SpatialDropout2D", "InputLayer"}
_ACTIVATION_LAYERS = {"Activation", "ReLU", "Softmax", "LeakyReLU", "ELU", "PReLU"}
# The settings a table row fixes, per kind of layer (which pooling is free).
_COMPARED = {"conv": ("filters", "kernel_size", "strides", "padding", "groups"),
             "pool": ("pool_size", "strides"), "dense": ("units",)}


def _pair(value) -> tuple:
    return tuple(value) if isinstance(value, (tuple, list)) else (value, value)


def _activation_name(layer) -> str:
    if type(layer).__name__ == "ReLU":
        return "relu"
    if type(layer).__name__ == "Softmax":
        return "softmax"
    if type(layer).__name__ in {"LeakyReLU", "ELU", "PReLU"}:
        return type(layer).__name__.lower()
    act = getattr(layer, "activation", None)
    return getattr(act, "__name__", str(act)) if act is not None else "linear"


def _layer_spec(layer, kind: str) -> dict:
    if kind == "conv":
        return {"filters": layer.filters, "kernel_size": _pair(layer.kernel_size),
                "strides": _pair(layer.strides), "padding": layer.padding,
                "groups": getattr(layer, "groups", 1)}
    if kind == "pool":
        return {"type": type(layer).__name__, "pool_size": _pair(layer.pool_size),
                "strides": _pair(layer.strides), "padding": layer.padding}
    if kind == "dense":
        return {"units": layer.units}
    return {}


def layer_table(model) -> list[dict]:
    """The layers of ``model`` that the tables compare, with kind, output shape and weights.

    Activation and Dropout layers are left out (they change no shape and hold
    no weight); any other layer type appears under its class name.
    """
    rows = []
    for index, layer in enumerate(model.layers):
        name = type(layer).__name__
        if name in _TRANSPARENT:
            continue
        kind = _KINDS.get(name, name)
        rows.append({"kind": kind, "type": name, "shape": tuple(layer.output.shape[1:]),
                     "params": layer.count_params(), "layer": layer, "index": index,
                     "spec": _layer_spec(layer, kind)})
    return rows


def _layer_data(layer) -> dict:
    """One layer as data: type, kind, settings, output shape (no batch axis), weights, activation."""
    name = type(layer).__name__
    kind = _KINDS.get(name, name)
    try:
        shape = [None if n is None else int(n) for n in layer.output.shape[1:]]
    except (AttributeError, ValueError, TypeError):
        shape = []
    return {"type": name, "kind": kind, "transparent": name in _TRANSPARENT, "shape": shape,
            "params": int(layer.count_params()), "spec": _layer_spec(layer, kind),
            "activation": str(_activation_name(layer))}


def _model_data(model) -> dict:
    """A returned model as data: {"input_shape", "params", "layers"}, or what came back instead."""
    keras = _keras()
    if model is None:
        return {"returned": "None"}
    if not isinstance(model, keras.Model):
        return {"returned": type(model).__name__}
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not model.built or not inputs:
        return {"no_input": True}
    return _plain({"input_shape": list(inputs[0].shape[1:]), "params": int(model.count_params()),
                   "layers": [_layer_data(layer) for layer in model.layers]})


def _expect_model(name: str, got: Any, input_shape, case: str) -> dict:
    """The collected model must be a built keras.Model with ``input_shape``; return its data."""
    reraise(got)
    if not isinstance(got, dict):
        fail(name, case, f"expected a keras.Model, got {got!r}", "build a keras.Sequential and return it.")
    if got.get("returned") == "None":
        fail(name, case, "your function returned None.", "did you forget `return model`?")
    if "returned" in got:
        fail(name, case, f"expected a keras.Model, got {got['returned']}",
             "build `keras.Sequential([keras.Input(shape=input_shape), ...])` and return it.")
    if got.get("no_input"):
        fail(name, case, "the model does not know its input shape.",
             "start the layer list with `keras.Input(shape=input_shape)`.")
    got_input = _shape(got.get("input_shape"))
    if got_input != tuple(input_shape):
        fail(name, case, f"expected input shape {tuple(input_shape)}\ngot input shape      {got_input}",
             "use the input_shape argument: `keras.Input(shape=input_shape)`, not a fixed shape.")
    return got


def _describe_spec(kind: str, spec: dict) -> str:
    if kind == "conv":
        ks, st = _pair(spec.get("kernel_size")), _pair(spec.get("strides"))
        text = (f"Conv2D(filters={spec.get('filters')}, kernel_size={ks[0] if ks[0] == ks[1] else tuple(ks)}, "
                f"strides={st[0] if st[0] == st[1] else tuple(st)}, padding={spec.get('padding')!r}")
        return text + (f", groups={spec['groups']})" if spec.get("groups", 1) != 1 else ")")
    if kind == "pool":
        ps, st = _pair(spec.get("pool_size")), _pair(spec.get("strides"))
        return (f"{spec.get('type', 'MaxPooling2D')}(pool_size={ps[0] if ps[0] == ps[1] else tuple(ps)}, "
                f"strides={st[0] if st[0] == st[1] else tuple(st)})")
    if kind == "dense":
        return f"Dense({spec.get('units')})"
    return {"flatten": "Flatten()", "norm": "BatchNormalization()"}.get(kind, kind)


def _show(rows: list[dict], upto: int | None = None) -> str:
    lines = [f"  {r['type']:<20} output {str(_shape(r['shape'])):<16} {r['params']:>12,} weights"
             for r in rows[:upto]]
    return "your model's layers (activations and dropout left out):\n" + "\n".join(lines)


def _want_spec(want: dict) -> dict:
    spec = want.get("spec", {})
    return {key: spec[key] for key in _COMPARED.get(want["kind"], ()) if key in spec}


def _spec_differences(want: dict, got: dict) -> list[str]:
    """'padding='same' instead of 'valid'' etc. for the settings the table fixes."""
    out = []
    show = (lambda v: v[0] if isinstance(v, (tuple, list)) and len(v) == 2 and v[0] == v[1] else v)
    for key, value in _want_spec(want).items():
        mine = got.get("spec", {}).get(key)
        if mine != value:
            out.append(f"{key}={show(mine)!r} instead of {show(value)!r}")
    return out


def _generic_hint(want: dict, got: dict) -> str:
    diffs = _spec_differences(want, got)
    if diffs:
        return f"this row is {_describe_spec(want['kind'], _want_spec(want))}; yours has " + ", ".join(diffs) + "."
    if want["kind"] == "flatten":
        return "put a Flatten() between the last convolution/pooling block and the first Dense layer."
    if want["kind"] == "norm":
        return "this row is a BatchNormalization() layer."
    return f"this row is {_describe_spec(want['kind'], _want_spec(want))}."


def compare_layers(name: str, got_layers: list[dict], want_layers: list[dict], labels, *, case: str,
                   hint: Callable[[dict, dict | None], str] | None = None) -> None:
    """The collected layers must match the expected ones row by row (activations and dropout left out).

    Per row, in the order students go wrong: the kind of layer, its settings, its output
    shape, its weights. ``hint(want, got)`` may return a hint for a mistake it recognises.
    """
    rows = [r for r in got_layers if not r.get("transparent")]
    expected = [r for r in want_layers if not r.get("transparent")]
    for i, want in enumerate(expected):
        want = {**want, "label": labels[i] if i < len(labels) else f"layer {i + 1}"}
        got = rows[i] if i < len(rows) else None
        special = hint(want, got) if hint else ""
        where = f"layer {i + 1} ({want['label']})"
        described = _describe_spec(want["kind"], _want_spec(want))
        if got is None:
            fail(name, case, f"{where}: missing; your model has only {len(rows)} such layers.\n" + _show(rows),
                 special or f"add {described}.")
        if got["kind"] != want["kind"]:
            fail(name, case, f"{where}: expected {described}\ngot {got['type']}\n" + _show(rows, i + 1),
                 special or _generic_hint(want, got))
        if _spec_differences(want, got):
            fail(name, case, f"{where}: expected {described}\n"
                 f"got      {_describe_spec(got['kind'], got.get('spec', {}))}\n" + _show(rows, i + 1),
                 special or _generic_hint(want, got))
        if _shape(got["shape"]) != _shape(want["shape"]):
            fail(name, case, f"{where}: expected output shape {_shape(want['shape'])}\ngot output shape      "
                 f"{_shape(got['shape'])}\n" + _show(rows, i + 1), special or _generic_hint(want, got))
        if got["params"] != want["params"]:
            fail(name, case, f"{where}: expected {want['params']:,} weights\ngot      {got['params']:,}\n"
                 + _show(rows, i + 1), special or "count the weights: (kernel height × width × input "
                 "channels + 1) × filters for a Conv2D, (inputs + 1) × units for a Dense layer. "
                 "Keep the biases (use_bias=True, the default).")
    if len(rows) > len(expected):
        extra = rows[len(expected)]
        fail(name, case, f"after the last layer of the table your model has another {extra['type']}.\n"
             + _show(rows), "remove the layers the table does not have.")


def _check_nonlinearities(name: str, layers: list[dict], case: str, output_activation: str = "softmax") -> None:
    """Every Conv2D/Dense but the last is followed by a nonlinearity; the last by ``output_activation``."""
    weighted = [i for i, layer in enumerate(layers) if layer["type"] in ("Conv2D", "Dense")]
    for i in weighted:
        acts = [layers[i]["activation"]]
        for later in layers[i + 1:]:  # Activation layers up to the next weighted layer count too
            if later["type"] in ("Conv2D", "Dense"):
                break
            if later["type"] in _ACTIVATION_LAYERS:
                acts.append(later["activation"])
        nonlinear = [a for a in acts if a != "linear"]
        label = f"layer {i + 1}, {layers[i]['type']},"
        if i == weighted[-1]:
            if output_activation not in nonlinear:
                fail(name, case, f"the output {label} ends with {nonlinear[-1] if nonlinear else 'no'} "
                     f"activation; expected {output_activation}.",
                     "the network's last layer gives class probabilities, as in the lecture's diagram: "
                     "`Dense(num_classes, activation=\"softmax\")`.")
        elif not nonlinear:
            fail(name, case, f"the {label} has no activation after it.",
                 "add a nonlinearity, e.g. `activation=\"relu\"`: without one, two stacked linear "
                 "layers are just one linear layer.")
        elif "softmax" in nonlinear:
            fail(name, case, f"the {label} uses softmax, but it is not the output layer.",
                 "softmax belongs to the output layer only; hidden layers use ReLU.")


# --------------------------------------------------------------------------- exercise: LeNet-5


def lenet5_cases(suite: str = "visible") -> list[tuple[tuple, int, str]]:
    """(input_shape, num_classes, case) for ``build_lenet5``; ``suite="hidden"``: the grader's own cases."""
    if suite == "hidden":
        return [((36, 36, 1), 5, "hidden: input (36, 36, 1), 5 classes: C5 outputs 2×2×120, so F6 sees 480 inputs"),
                ((40, 40, 3), 7, "hidden: input (40, 40, 3), 7 classes: C5 outputs 3×3×120")]
    return [((32, 32, 1), 10, "input (32, 32, 1) (MNIST padded to 32×32), 10 classes"),
            ((32, 32, 3), 10, "input (32, 32, 3) (CIFAR-10), 10 classes")]


def _lenet_hint(want: dict, got: dict | None) -> str:
    if got is None:
        return ""
    if want["label"].startswith("C5") and got["kind"] in ("flatten", "dense"):
        return ("C5 is a convolution: Conv2D(120, 5). On S4's 5×5×16 maps it gives 1×1×120 and has "
                "as many weights as a Dense(120) after Flatten, but the lecture's LeNet-5 is "
                "CONV-POOL-CONV-POOL-CONV-FC (and on larger inputs C5 still slides).")
    if want["kind"] == "conv" and got["kind"] == "conv" and got.get("spec", {}).get("padding") == "same":
        return ("LeNet-5's convolutions have no padding (padding='valid', the default): 32 − 5 + 1 = 28. "
                "MNIST's 28×28 digits are padded to 32×32 in the data, as LeCun did.")
    if want["kind"] == "pool" and got["kind"] == "pool":
        return "2×2 subsampling at stride 2 halves height and width: MaxPool2D(2)."
    return ""


def collect_build_lenet5(func: Callable, suite: str = "visible") -> dict:
    """The model ``func(input_shape, num_classes)`` builds on each case, as data: {"models": [...]}."""
    name = "build_lenet5"
    return {"models": [attempt(name, func, tuple(shape), n, case=case, to_data=_model_data)
                       for shape, n, case in lenet5_cases(suite)]}


def judge_build_lenet5(data: dict, expected: dict) -> int:
    name = "build_lenet5"
    cases = lenet5_cases(expected["suite"])
    got_all = per_case(name, data.get("models"), len(cases))
    for (shape, _, case), got, want in zip(cases, got_all, expected["expected"]["models"]):
        got = _expect_model(name, got, shape, case)
        compare_layers(name, got["layers"], want["layers"], LENET5_LABELS, case=case, hint=_lenet_hint)
        _check_nonlinearities(name, got["layers"], case)
        if got["params"] != want["params"]:
            fail(name, case, f"expected {want['params']:,} weights in all\ngot      {got['params']:,}",
                 "only the table's layers hold weights.")
    return 2 * len(cases)


def build_lenet5(func: Callable, suite: str = "visible") -> None:
    """Check ``build_lenet5(input_shape, num_classes)`` on 32×32 grey digits and 32×32 colour images."""
    run_check("build_lenet5", __name__, suite, lambda: collect_build_lenet5(func, suite), judge_build_lenet5)


# --------------------------------------------------------------------------- exercise: majority vote


def vote_cases(suite: str = "visible") -> list[tuple[str, np.ndarray]]:
    """(case, predictions of shape (n_models, n_images)) for ``majority_vote``."""
    if suite == "hidden":
        return [("hidden: 6 models, 3-3 and 2-2-2 ties",
                 np.array([[3, 0, 5], [1, 0, 5], [3, 7, 1], [1, 7, 1], [3, 2, 9], [1, 2, 9]])),
                ("hidden: 3 models, 1 image, labels 9, 9, 2", np.array([[9], [9], [2]])),
                ("hidden: 7 models, 50 images, 4 classes, random predictions",
                 np.random.default_rng(66).integers(0, 4, (7, 50)))]
    return [
        ("3 models, 4 images, a clear majority for each image (→ [0, 1, 2, 3])",
         np.array([[0, 1, 2, 3], [0, 1, 1, 3], [2, 1, 2, 0]])),
        ("3 models, 2 images, labels far apart (votes 1, 1, 9 and 9, 0, 9)", np.array([[1, 9], [1, 0], [9, 9]])),
        ("4 models, 3 images, each a 2–2 tie (4/1, 3/8, 5/2): ties go to the smallest label",
         np.array([[4, 3, 5], [1, 8, 5], [4, 8, 2], [1, 3, 2]])),
        ("one model: the vote is its own prediction", np.array([[7, 0, 3]])),
        ("5 models, 200 images, 10 classes, random predictions", np.random.default_rng(6).integers(0, 10, (5, 200))),
    ]


def _vote_hint(got: Any, predictions: np.ndarray) -> str:
    if not isinstance(got, np.ndarray):
        return ""
    if got.shape == (predictions.shape[0],) != (predictions.shape[1],):
        return ("one vote per image: rows are models, columns are images, so count along axis 0 "
                "(or loop over the columns, predictions[:, i]).")
    if np.issubdtype(got.dtype, np.floating):
        return "labels are class indices: return integers (`.astype(int)`)."
    if got.shape != (predictions.shape[1],):
        return "return one label per image: shape (n_images,)."
    mean = np.round(predictions.mean(axis=0))
    median = np.median(predictions, axis=0)
    if np.array_equal(got, mean) or np.array_equal(got, median):
        return ("labels are categories, not quantities: the mean or median of 1 (automobile) and 3 "
                "(cat) is not a vote for 2 (bird). Count the votes per class (np.bincount) and take "
                "the class with the most.")
    return "count how many models predict each class for an image; ties go to the smallest label."


def _array_or_list(value: Any) -> Any:
    return returned(np.asarray(value) if isinstance(value, list) else value)


def collect_majority_vote(func: Callable, suite: str = "visible") -> dict:
    """``func``'s votes on the cases: {"outputs": [array or description, ...]}."""
    return {"outputs": [attempt("majority_vote", func, predictions, case=case, to_data=_array_or_list)
                        for case, predictions in vote_cases(suite)]}


def judge_majority_vote(data: dict, expected: dict) -> int:
    name = "majority_vote"
    cases = vote_cases(expected["suite"])
    got_all = per_case(name, data.get("outputs"), len(cases))
    for (case, predictions), got, want in zip(cases, got_all, expected["expected"]["outputs"]):
        got = expect_returned_array(name, got, case=case)
        expect_array(name, got, want, case=case, hint=_vote_hint(got, predictions))
        if not np.issubdtype(got.dtype, np.integer):
            fail(name, case, f"expected integer labels, got dtype {got.dtype}",
                 "labels are class indices: return an integer array (`.astype(int)`).")
    return len(cases)


def majority_vote(func: Callable, suite: str = "visible") -> None:
    """Check ``majority_vote(predictions) -> (n_images,) int``, predictions of shape (n_models, n_images)."""
    run_check("majority_vote", __name__, suite, lambda: collect_majority_vote(func, suite), judge_majority_vote)


# --------------------------------------------------------------------------- exercise: residual block


def residual_cases(suite: str = "visible") -> list[dict]:
    """The blocks to build: {"shape", "filters", "case"}; a "stack" of filters builds blocks on blocks."""
    if suite == "hidden":
        return [{"shape": (4, 4, 32), "filters": 32, "case": "hidden: input (4, 4, 32), filters=32"},
                {"shape": (9, 5, 2), "filters": 6, "case": "hidden: input (9, 5, 2), filters=6 (projection)"},
                {"shape": (10, 10, 3), "stack": (12, 12, 24),
                 "case": "hidden: three blocks stacked, 3 → 12 → 12 → 24 channels"}]
    return [{"shape": (8, 8, 16), "filters": 16, "case": "input (8, 8, 16), filters=16 (identity shortcut)"},
            {"shape": (5, 7, 3), "filters": 3, "case": "input (5, 7, 3), filters=3 (not square)"},
            {"shape": (6, 6, 8), "filters": 16, "case": "input (6, 6, 8), filters=16 (projection shortcut)"}]


def _block_inputs(shape) -> np.ndarray:
    """The two images the block runs on, with its residual branch switched off."""
    return np.random.default_rng(5).normal(size=(2, *shape)).astype(np.float32)


def _build_block(func: Callable, inp, filters_list) -> Any:
    """Apply the student's block (or blocks) to ``inp``; the blank stub stops the check at once."""
    name = "residual_block"
    require_function(name, func)
    out = inp
    try:
        for filters in filters_list:
            out = func(out, filters)
    except NotImplementedError:
        raise NotDoneError(NOT_DONE.format(name=name)) from None
    return out


def _block_data(func: Callable, spec: dict) -> dict:
    """Build the student's block on ``keras.Input(shape)`` and measure it (see :func:`collect_residual_block`)."""
    keras = _keras()
    inp = keras.Input(spec["shape"])
    try:
        out = _build_block(func, inp, spec.get("stack", (spec.get("filters"),)))
    except CheckError:
        raise
    except Exception as err:  # most often: the two branches do not have the same shape
        text = str(err).strip().splitlines()[0][:300] if str(err).strip() else ""
        return {"build_error": type(err).__name__, "text": text}
    if out is None:
        return {"returned": "None"}
    if isinstance(out, (keras.Model, keras.layers.Layer)):
        return {"returned_object": type(out).__name__}
    if not isinstance(out, keras.KerasTensor):
        return {"not_tensor": type(out).__name__}
    data: dict = {"shape": [None if n is None else int(n) for n in out.shape[1:]]}
    if "stack" in spec:
        return data
    model = keras.Model(inp, out)
    convs = [layer for layer in model.layers if type(layer).__name__ == "Conv2D"]
    conv3 = [layer for layer in convs if _pair(layer.kernel_size) == (3, 3)]
    conv1 = [layer for layer in convs if _pair(layer.kernel_size) == (1, 1)]
    data.update(conv3=len(conv3), conv1=len(conv1),
                bn=sum(type(layer).__name__ == "BatchNormalization" for layer in model.layers))
    # With the 3×3 kernels and biases at zero the residual branch outputs 0 (fresh BatchNormalization:
    # mean 0, variance 1, γ = 1, β = 0), so the block must output ReLU(shortcut).
    for layer in conv3:
        layer.set_weights([np.zeros_like(w) for w in layer.get_weights()])
    data["y"] = _numpy(model(_block_inputs(spec["shape"]), training=False)).astype(np.float32)
    if conv1:
        weights = conv1[0].get_weights()
        data["projection"] = [np.asarray(weights[0], np.float64)[0, 0],
                              np.asarray(weights[1] if len(weights) > 1 else 0.0, np.float64)]
    return data


def collect_residual_block(func: Callable, suite: str = "visible") -> dict:
    """What the student's block measures on each case: {"blocks": [...]}.

    Per block: its output shape; its numbers of 3×3 and 1×1 convolutions and of
    BatchNormalization layers; its output ``y`` on two fixed images with the 3×3
    convolutions' weights set to zero; the 1×1 projection's kernel and bias, if any.
    Or, where building failed, the error. The weights are seeded, so the same function
    gives the same data in every process.
    """
    _keras().utils.set_random_seed(7)
    out = []
    for spec in residual_cases(suite):
        try:
            out.append(_block_data(func, spec))
        except NotDoneError:
            raise
        except CheckError as err:
            out.append({"raised": str(err)})
    return {"blocks": out}


def _build_error_hint(text: str) -> str:
    hint = ("the shortcut and the residual branch are added, so they must have the same shape: "
            "padding='same' keeps height and width, and when filters ≠ the input's channels the "
            "shortcut needs a projection, Conv2D(filters, 1).")
    shapes = [tuple(int(n) for n in re.findall(r"\d+", s)) for s in re.findall(r"\(([\d, ]+)\)", text)]
    if len(shapes) == 2 and len(shapes[0]) == len(shapes[1]) and shapes[0] != shapes[1]:
        if shapes[0][:-1] != shapes[1][:-1]:
            hint = ("the branch and the shortcut differ in height and width: the 3×3 convolutions "
                    "need padding='same' to keep the size.")
        else:
            hint = ("the branch has `filters` channels and x has a different number: when they "
                    "differ, the shortcut is a projection, `layers.Conv2D(filters, 1)(x)` followed "
                    "by BatchNormalization().")
    return hint


def _judge_block(name: str, got: Any, spec: dict) -> None:
    case = spec["case"]
    reraise(got)
    if not isinstance(got, dict):
        fail(name, case, f"expected the block's output tensor, got {got!r}",
             "build the block with the functional API on the input tensor x and return the output tensor.")
    if "build_error" in got:
        fail(name, f"{case} raised {got['build_error']}",
             f"building the block raised {got['build_error']}: {got.get('text', '')}",
             _build_error_hint(str(got.get("text", ""))))
    if got.get("returned") == "None":
        fail(name, case, "your function returned None.", "did you forget `return` the block's output?")
    if "returned_object" in got:
        fail(name, case, f"expected the block's output tensor, got a {got['returned_object']}",
             "apply the layers to x (functional API): `y = layers.Conv2D(...)(x)` ... `return y`.")
    if "not_tensor" in got:
        fail(name, case, f"expected a Keras tensor, got {got['not_tensor']}",
             "build the block with the functional API on the input tensor x and return the output tensor.")
    shape = tuple(spec["shape"])
    want = (*shape[:2], spec["stack"][-1] if "stack" in spec else spec["filters"])
    got_shape = _shape(got.get("shape"))
    if got_shape != want:
        hint = ("padding='same' keeps height and width." if got_shape[:2] != want[:2] else
                "the block's convolutions have `filters` filters, so the output has `filters` channels.")
        fail(name, case, f"expected output shape {want}\ngot output shape      {got_shape}", hint)
    if "stack" in spec:
        return
    if got.get("conv3") != 2:
        fail(name, case, f"expected two 3×3 Conv2D layers on the residual branch, found {got.get('conv3')}.",
             "the block of He et al. (2015) is conv 3×3 → BN → ReLU → conv 3×3 → BN, then + shortcut, ReLU.")
    if not isinstance(got.get("bn"), int) or got["bn"] < 2:
        fail(name, case, f"expected a BatchNormalization after each 3×3 convolution, found {got.get('bn')}.",
             "conv 3×3 → BatchNormalization → ReLU → conv 3×3 → BatchNormalization, then add the shortcut.")
    projection = shape[-1] != spec["filters"]
    if projection and not got.get("conv1"):
        fail(name, case, "the channels change but there is no 1×1 convolution on the shortcut.",
             "when filters ≠ the input's channels, project the shortcut: "
             "`shortcut = layers.Conv2D(filters, 1)(x)` (optionally followed by BatchNormalization).")
    if not projection and got.get("conv1"):
        fail(name, case, "the channels do not change, yet the shortcut has a 1×1 convolution.",
             "use the identity shortcut (x itself) when filters equals the input's channels: "
             "it costs no weights, and the block can pass x through unchanged.")
    x = _block_inputs(shape).astype(np.float64)
    if projection:
        kernel, bias = got.get("projection", [None, None])
        shortcut = x @ np.asarray(kernel, np.float64) + np.asarray(bias, np.float64)
    else:
        shortcut = x
    expected = np.maximum(shortcut, 0)
    y = expect_returned_array(name, got.get("y"), case=case)
    if y.shape != expected.shape:
        fail(name, case, f"with the residual branch switched off the block outputs shape {y.shape}; "
             f"expected {expected.shape}.", "return the block's output tensor, ReLU(F(x) + shortcut(x)).")
    y = y.astype(np.float64)
    if not np.allclose(y, expected, rtol=2e-3, atol=1e-4):
        if np.allclose(y, 0, atol=1e-6):
            hint = ("with the residual branch's convolutions set to zero your block outputs 0: the input "
                    "never reaches the output. Add the shortcut: `layers.Add()([y, shortcut])`.")
        elif np.allclose(y, shortcut, rtol=2e-3, atol=1e-4):
            hint = "apply ReLU after the addition: `layers.Activation(\"relu\")(layers.Add()([y, shortcut]))`."
        else:
            hint = ("the output must be ReLU(F(x) + shortcut(x)), where F is the residual branch: add "
                    "the branch and the shortcut, then apply ReLU (nothing else after the addition).")
        case_z = case + ", with the 3×3 convolutions' weights set to zero"
        expect_array(name, y.astype(np.float32), expected.astype(np.float32), case=case_z, hint=hint,
                     rtol=2e-3, atol=1e-4)


def judge_residual_block(data: dict, expected: dict) -> int:
    """Judge by properties only: the output shape, the layers, and ReLU(shortcut) with the branch off."""
    name = "residual_block"
    cases = residual_cases(expected["suite"])
    got_all = per_case(name, data.get("blocks"), len(cases))
    for spec, got in zip(cases, got_all):
        _judge_block(name, got, spec)
    return 4 * len(cases)


def residual_block(func: Callable, suite: str = "visible") -> None:
    """Check ``residual_block(x, filters)``: output shape, structure, and the shortcut at work."""
    run_check("residual_block", __name__, suite, lambda: collect_residual_block(func, suite), judge_residual_block)


# --------------------------------------------------------------------------- exercise: the Inception module

# GoogLeNet's first two Inception modules (Szegedy et al. 2015, "Going deeper with convolutions", table 1):
# input channels, then #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5, pool proj.
INCEPTION_ARGS = ("c_in", "n1x1", "n3x3_reduce", "n3x3", "n5x5_reduce", "n5x5", "pool_proj")
INCEPTION_3A = dict(zip(INCEPTION_ARGS, (192, 64, 96, 128, 16, 32, 32)))
INCEPTION_3B = dict(zip(INCEPTION_ARGS, (256, 128, 128, 192, 32, 96, 64)))
INCEPTION_4A = dict(zip(INCEPTION_ARGS, (480, 192, 96, 208, 16, 48, 64)))

INCEPTION_MISTAKES = {
    "no_bias": "every convolution filter also has a bias: (F·F·C_in + 1)·K weights, not F·F·C_in·K.",
    "pool_projection": ("without reductions the pooling branch has no 1×1 projection: max pooling has no weights, "
                        "and its c_in channels go straight to the concatenation."),
}


def inception_cases(suite: str = "visible") -> list[tuple[str, dict, bool]]:
    """(case, module widths, reductions) for ``inception_params``, each module both ways."""
    modules = ([("GoogLeNet's inception (3a)", INCEPTION_3A), ("GoogLeNet's inception (3b)", INCEPTION_3B),
                ("a small module, every branch a different width", dict(zip(INCEPTION_ARGS, (3, 2, 4, 5, 1, 6, 7))))]
               if suite != "hidden" else
               [("hidden: GoogLeNet's inception (4a)", INCEPTION_4A),
                ("hidden: a module on 1 channel", dict(zip(INCEPTION_ARGS, (1, 3, 2, 1, 5, 2, 4))))])
    return [(f"{label}, reductions={reductions}: {module}", module, reductions)
            for label, module in modules for reductions in (True, False)]


def _count(value: Any) -> Any:
    """A returned count as data: an int, a float, or a description."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    return returned(value)


def collect_inception_params(func: Callable, suite: str = "visible") -> dict:
    """``func(**module, reductions=...)`` on each case: {"counts": [int, float or description, ...]}."""
    return {"counts": [attempt("inception_params", func, case=case, to_data=_count, **module, reductions=reductions)
                       for case, module, reductions in inception_cases(suite)]}


def _inception_hint(i: int, got: int, want: int, reductions: bool, mistakes: dict) -> str:
    for label, hint in INCEPTION_MISTAKES.items():
        wrong = mistakes.get(label, {}).get("counts")
        if isinstance(wrong, list) and i < len(wrong) and wrong[i] == got:
            return hint
    if reductions and got > want:
        return ("more weights than Keras counts: "
                "with reductions the 3×3 and 5×5 convolutions see the outputs of their 1×1 reduce layers "
                "(n3x3_reduce and n5x5_reduce channels), not the module's c_in input channels; "
                "and the reduce layers have weights of their own.")
    if not reductions:
        return ("without reductions there are three convolutions, all on the c_in input channels: 1×1 with "
                "n1x1 filters, 3×3 with n3x3, 5×5 with n5x5 (the reduce widths and pool_proj are not used).")
    return ("add up six convolutions, each (F·F·C_in + 1)·K: 1×1 (n1x1), 1×1 reduce (n3x3_reduce) then 3×3 "
            "(n3x3), 1×1 reduce (n5x5_reduce) then 5×5 (n5x5), and the pooling branch's 1×1 projection "
            "(pool_proj) after the max pooling.")


def judge_inception_params(data: dict, expected: dict) -> int:
    """Compare each count with the solution's, which the course's tests verify against Keras' ``count_params()``."""
    name = "inception_params"
    cases = inception_cases(expected["suite"])
    got_all = per_case(name, data.get("counts"), len(cases))
    for i, ((case, _, reductions), got, want) in enumerate(zip(cases, got_all, expected["expected"]["counts"])):
        reraise(got)
        if isinstance(got, float):
            if got == int(got):
                fail(name, case, f"expected an int, got the float {got!r}", "count with integers: `//` or int(...), not `/`.")
            fail(name, case, f"expected an int (a number of weights), got {got!r}",
                 "return the total number of weights, e.g. `return total`.")
        if not isinstance(got, int) or isinstance(got, bool):
            if isinstance(got, dict) and got.get("returned") == "None":
                fail(name, case, "your function returned None.", "did you forget the `return` statement?")
            what = got.get("returned") if isinstance(got, dict) else got
            fail(name, case, f"expected an int (a number of weights), got {what}",
                 "return the total number of weights, e.g. `return total`.")
        if got != want:
            fail(name, case, f"expected {want:,} weights (what Keras' count_params() gives)\ngot      {got:,}",
                 _inception_hint(i, got, want, reductions, expected.get("mistakes", {})))
    return len(cases)


def inception_params(func: Callable, suite: str = "visible") -> None:
    """Check ``inception_params(c_in, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj, reductions=True)``."""
    run_check("inception_params", __name__, suite, lambda: collect_inception_params(func, suite),
              judge_inception_params)


# --------------------------------------------------------------------------- exercise: batch normalisation

BN_MISTAKES_OUT = {  # hints for the stored results of the usual mistakes (solutions/references/case_studies.py)
    "other_mode": {True: "in training mode normalise with the mean and variance of THIS batch; the moving "
                         "averages are only for inference.",
                   False: "in inference mode (training=False) normalise with the moving averages, not the batch's "
                          "own statistics: at test time a prediction must not depend on the other images in the batch."},
}
BN_MOMENTUM_HINT = ("momentum is the weight of the OLD moving average: new = momentum · moving + "
                    "(1 − momentum) · batch statistic.")


def batchnorm_cases(suite: str = "visible") -> list[tuple[str, dict, bool, dict]]:
    """(case, inputs {x, gamma, beta, moving_mean, moving_var} (float32), training, keyword arguments)."""
    if suite == "hidden":
        rng = np.random.default_rng(41)
        specs = [("hidden: 2 sequences of 7 steps with 3 channels, training=True, momentum=0.8",
                  (2, 7, 3), 1.0, 4.0, True, 0.8),
                 ("hidden: ONE image 3×3×2, training=False: the moving averages still work",
                  (1, 3, 3, 2), 5.0, 2.0, False, 0.99)]
    else:
        rng = np.random.default_rng(14)
        specs = [("a batch of 8 feature vectors with 4 features, training=True, momentum=0.9", (8, 4), 3.0, 2.0, True, 0.9),
                 ("the same layer, training=False", (8, 4), 3.0, 2.0, False, 0.9),
                 ("a batch of 4 images 5×5×3, training=True, default momentum and epsilon", (4, 5, 5, 3), -1.0, 0.5,
                  True, None),
                 ("4 images 5×5×3, training=False, default momentum and epsilon", (4, 5, 5, 3), -1.0, 0.5, False, None),
                 ("6 images 2×2×2 with a tiny spread (std 0.01: epsilon matters), training=True, momentum=0.5",
                  (6, 2, 2, 2), 0.0, 0.01, True, 0.5)]
    cases = []
    for case, shape, mean, std, training, momentum in specs:
        c = shape[-1]
        inputs = {"x": rng.normal(mean, std, shape).astype(np.float32),
                  "gamma": rng.uniform(0.5, 2.0, c).astype(np.float32),
                  "beta": rng.normal(0, 1, c).astype(np.float32),
                  "moving_mean": rng.normal(mean, 1, c).astype(np.float32),
                  "moving_var": rng.uniform(0.5, 2.0, c).astype(np.float32) * np.float32(std ** 2)}
        cases.append((case, inputs, training, {} if momentum is None else {"momentum": momentum, "epsilon": 1e-3}))
    return cases


def _three_arrays(value: Any) -> Any:
    if isinstance(value, (tuple, list)):
        return [returned(np.asarray(g)) if isinstance(g, (np.ndarray, np.generic, list, float, int)) else returned(g)
                for g in value]
    return returned(value)


def collect_batchnorm_forward(func: Callable, suite: str = "visible") -> dict:
    """``func``'s (out, new_moving_mean, new_moving_var) on each case: {"outputs": [[a, b, c] or description]}."""
    name = "batchnorm_forward"
    return {"outputs": [attempt(name, func, *inputs.values(), training, case=case, to_data=_three_arrays, **kwargs)
                        for case, inputs, training, kwargs in batchnorm_cases(suite)]}


def _close(a, b) -> bool:
    return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape \
        and np.allclose(a, b, rtol=1e-4, atol=1e-4)


def _bn_output_hint(inputs: dict, training: bool, got: np.ndarray, wrong: dict) -> str:
    if _close(got, wrong.get("other_mode")):
        return BN_MISTAKES_OUT["other_mode"][training]
    if training and got.shape == inputs["x"].shape:
        axes = tuple(range(got.ndim - 1))
        per_position = got.ndim > 2 and np.allclose(got.mean(axis=0), inputs["beta"], atol=1e-4)
        if per_position or not np.allclose(got.mean(axis=axes), inputs["beta"], atol=1e-3):
            return ("each channel (last axis) is normalised over ALL the other axes, batch, height and width: "
                    "`x.mean(axis=tuple(range(x.ndim - 1)))`, not over one axis.")
        return ("close, but not Keras: the variance is np.var's (divide by n, as Keras does; not ddof=1), and "
                "epsilon goes inside the square root: (x − mean) / sqrt(var + epsilon) · gamma + beta.")
    return "out = gamma · (x − mean) / sqrt(var + epsilon) + beta, per channel (the last axis)."


def judge_batchnorm_forward(data: dict, expected: dict) -> int:
    """Compare the outputs and moving averages with the solution's (verified against Keras' BatchNormalization)."""
    name = "batchnorm_forward"
    cases = batchnorm_cases(expected["suite"])
    got_all = per_case(name, data.get("outputs"), len(cases))
    mistakes = expected.get("mistakes", {})
    for i, ((case, inputs, training, _), got, want) in enumerate(zip(cases, got_all, expected["expected"]["outputs"])):
        reraise(got)
        if not isinstance(got, list) or len(got) != 3:
            what = got.get("returned") if isinstance(got, dict) else got
            fail(name, case, f"expected a tuple (out, new_moving_mean, new_moving_var), got {what}",
                 "return all three: `return out, new_mean, new_var` (in inference mode the moving "
                 "averages come back unchanged).")
        for part, what in zip(got, ("out", "new_moving_mean", "new_moving_var")):
            if not isinstance(part, np.ndarray):
                fail(name, case, f"{what}: expected a NumPy array, got {part.get('returned') if isinstance(part, dict) else part}",
                     "return NumPy arrays.")
        wrong = {label: m["outputs"][i] for label, m in mistakes.items()
                 if isinstance(m.get("outputs"), list) and isinstance(m["outputs"][i], list)}
        out, new_mean, new_var = got
        if not _close(out, want[0]):
            expect_array(name, out, want[0], case=case + ": out (what Keras' BatchNormalization gives)",
                         hint=_bn_output_hint(inputs, training, out, {k: w[0] for k, w in wrong.items()}),
                         rtol=1e-4, atol=1e-4)
        for j, (what, mine, old) in enumerate((("new_moving_mean", new_mean, inputs["moving_mean"]),
                                               ("new_moving_var", new_var, inputs["moving_var"])), start=1):
            if _close(mine, want[j]):
                continue
            if not training:
                hint = "inference mode changes nothing: return the moving averages as they came in."
            elif _close(mine, old):
                hint = ("training mode updates the moving averages with the batch's statistics; they are "
                        "what inference will use.")
            elif "momentum_swapped" in wrong and _close(mine, wrong["momentum_swapped"][j]):
                hint = BN_MOMENTUM_HINT
            else:
                hint = ("new = momentum · moving + (1 − momentum) · batch statistic, with the batch's mean and "
                        "its variance as np.var computes it (divide by n, as Keras does; not ddof=1).")
            keras_name = "moving_variance" if what.endswith("var") else "moving_mean"
            expect_array(name, mine, want[j], case=f"{case}: {what} (what Keras' {keras_name} gives)",
                         hint=hint, rtol=1e-4, atol=1e-4)
    return 3 * len(cases)


def batchnorm_forward(func: Callable, suite: str = "visible") -> None:
    """Check ``batchnorm_forward(x, gamma, beta, moving_mean, moving_var, training, momentum, epsilon)``."""
    run_check("batchnorm_forward", __name__, suite, lambda: collect_batchnorm_forward(func, suite),
              judge_batchnorm_forward)
