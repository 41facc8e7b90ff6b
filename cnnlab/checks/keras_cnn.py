"""Checks for notebook 6: Keras Conv2D and MaxPool2D, and a first CNN.

Nothing here computes an answer. Each exercise has three parts (see
:func:`cnnlab.checks.core.run_check`):

* ``collect_<exercise>(func, suite)`` runs the student's function on the cases of
  :func:`conv_layer_cases` / :func:`merge_cases` / :func:`cnn_cases` /
  :func:`occlusion_cases` (the lecture's numbers first; ``suite="hidden"``: the grader's own cases) and returns what came
  back as plain data: a layer's class, weights, strides, padding, activation and
  its output on fixed inputs; a merged kernel; a model's layer table, parameter
  count and compiled loss on four fixed images; an occlusion map;
* ``judge_<exercise>(data, expected)`` compares that data with what the course's
  solutions give (stored in ``expected/keras_cnn.json`` for the visible cases;
  computed by the grader for the hidden ones) and with properties (the layer holds
  the given weights; the compiled loss is the cross-entropy of the model's own
  logits), and raises :class:`~cnnlab.checks.CheckError` with a hint;
  ``occlusion_map`` is run on small "networks" defined here (test functions whose
  probabilities are easy to reason about, not answers);
* ``<exercise>(func)`` does both, for the self-check.

Keras is imported only when a check needs it, after
:func:`cnnlab.runtime.quiet_tensorflow`, so that importing this module writes
nothing to stderr.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .core import (_fmt, attempt, expect_array, expect_returned_array, fail, matching_mistake, per_case_at, reraise,
                   returned, run_check)

JUDGED = True  # the grader judges what these checks collect (cnnlab.grade.judge)

# Lecture 000, "2D Convolution Layer – Computation": the 5×5 binary image, the
# 3×3 kernel, and the 3×3 "convolved feature" it gives.
LECTURE_IMAGE = np.array([[1, 1, 1, 0, 0],
                          [0, 1, 1, 1, 0],
                          [0, 0, 1, 1, 1],
                          [0, 0, 1, 1, 0],
                          [0, 1, 1, 0, 0]], dtype=np.float32)
LECTURE_KERNEL = np.array([[1, 0, 1],
                           [0, 1, 0],
                           [1, 0, 1]], dtype=np.float32)
LECTURE_FEATURE = np.array([[4, 3, 4],
                            [2, 4, 3],
                            [2, 3, 4]], dtype=np.float32)

# Lecture 001, "Max Pooling": max pool with 2×2 filters and stride 2 gives [[6, 8], [3, 4]].
LECTURE_POOL_INPUT = np.array([[1, 1, 2, 4],
                               [5, 6, 7, 8],
                               [3, 2, 1, 0],
                               [1, 2, 3, 4]], dtype=np.float32)

# Lecture 000, "Convolution Filters (Hand Crafted)": the 3×3 box blur (all ones, / 9).
BOX_3X3 = np.full((3, 3), 1 / 9)


def _keras():
    """Import Keras quietly (TensorFlow's start-up logs go to stderr otherwise)."""
    from cnnlab import runtime

    runtime.quiet_tensorflow()
    import keras

    return keras


def _numpy(tensor: Any) -> np.ndarray:
    return np.asarray(_keras().ops.convert_to_numpy(tensor))


def _error(err: Exception) -> str:
    return f"{type(err).__name__}: {str(err).splitlines()[0][:200] if str(err) else ''}"




def _incomplete(name: str, case: str) -> None:
    fail(name, case, "the check's record of your result is incomplete.", "run the check cell again, unchanged.")


def _get(name: str, case: str, data: dict, key: str, kinds) -> Any:
    """``data[key]`` if it is of ``kinds``; a failure otherwise (data from a tampered kernel)."""
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, kinds):
        _incomplete(name, case)
    return value


def _shape(value: Any) -> tuple | None:
    """A recorded shape (list of ints and None) as a tuple; None for anything else."""
    if isinstance(value, list) and all(v is None or (isinstance(v, int) and not isinstance(v, bool)) for v in value):
        return tuple(value)
    return None


# --------------------------------------------------------------------------- exercise 1


def conv_layer_cases(suite: str = "visible") -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray | None, int, str]]:
    """(case, x, w, b, stride, padding): x (N, H, W, C) inputs, w (FH, FW, C, K), b (K,) or None."""
    if suite == "hidden":
        rng = np.random.default_rng(2025)
        return [
            ("hidden: 10×10×2 input, four 3×3 filters, stride 2, same",
             rng.normal(size=(3, 10, 10, 2)), rng.normal(size=(3, 3, 2, 4)), rng.normal(size=4), 2, "same"),
            ("hidden: a 1×1 convolution without bias",
             rng.normal(size=(1, 6, 5, 3)), rng.normal(size=(1, 1, 3, 5)), None, 1, "valid"),
            ("hidden: a 4×2 kernel, stride 3, same",
             rng.normal(size=(2, 9, 8, 1)), rng.normal(size=(4, 2, 1, 2)), rng.normal(size=2), 3, "same"),
        ]
    rng = np.random.default_rng(5)
    return [
        ("the lecture's 5×5 image and 3×3 kernel (gives [[4,3,4],[2,4,3],[2,3,4]])",
         LECTURE_IMAGE[None, :, :, None], LECTURE_KERNEL[:, :, None, None], np.zeros(1, np.float32), 1, "valid"),
        ("a 32×32×3 input and the lecture's kernel shape (5, 5, 3, 2), valid",
         rng.normal(size=(1, 32, 32, 3)), rng.normal(size=(5, 5, 3, 2)), rng.normal(size=2), 1, "valid"),
        ("ten 3×3 filters with stride 2 and padding 'same' on 32×32×3 (→ 16×16×10)",
         rng.normal(size=(1, 32, 32, 3)), rng.normal(size=(3, 3, 3, 10)), rng.normal(size=10), 2, "same"),
        ("ten 5×5 filters, padding 'same', no bias (b=None), on 12×12×3",
         rng.normal(size=(1, 12, 12, 3)), rng.normal(size=(5, 5, 3, 10)), None, 1, "same"),
        ("a non-square 2×3 kernel, 4 → 3 channels, stride 3, on a 7×9 input",
         rng.normal(size=(2, 7, 9, 4)), rng.normal(size=(2, 3, 4, 3)), rng.normal(size=3), 3, "valid"),
    ]


def _layer_data(layer: Any, x: np.ndarray) -> dict:
    """What a returned layer is, holds and computes on ``x``, as plain data."""
    keras = _keras()
    if layer is None:
        return {"returned": "None"}
    if isinstance(layer, keras.Model):
        return {"kind": "Model", "class": type(layer).__name__}
    if not isinstance(layer, keras.layers.Conv2D):
        return {"kind": "other", "class": type(layer).__name__}
    data: dict[str, Any] = {"kind": "Conv2D", "built": bool(layer.built and layer.weights)}
    if not data["built"]:
        return data
    try:
        weights = [np.asarray(v, np.float64) for v in layer.get_weights()]
        data.update(data_format=str(layer.data_format), weight_shapes=[list(v.shape) for v in weights],
                    kernel=weights[0] if weights else np.zeros(0), bias=weights[1] if len(weights) > 1 else None,
                    strides=[int(s) for s in layer.strides], padding=str(layer.padding),
                    activation=str(getattr(layer.activation, "__name__", layer.activation)))
    except Exception as err:  # a layer subclass that hides its configuration
        return {"kind": "other", "class": f"{type(layer).__name__} ({_error(err)})"}
    try:
        data["output"] = _numpy(layer(np.asarray(x, np.float32))).astype(np.float32)
    except Exception as err:
        data["output"] = {"raised": _error(err)}
    return data


def collect_make_conv_layer(func: Callable, suite: str = "visible") -> dict:
    """The returned layer of every case: {"outputs": [layer data or description, ...]}."""
    return {"outputs": [attempt("make_conv_layer", func, w, b, case=case, stride=stride, padding=padding,
                                to_data=lambda layer, x=x: _layer_data(layer, x))
                        for case, x, w, b, stride, padding in conv_layer_cases(suite)]}


def _set_weights_hint(message: str) -> str:
    if "expecting 0 weights" in message:
        return ("a new layer has no weights until it is built: call "
                "`layer.build((None, None, None, in_channels))` before `layer.set_weights(...)`.")
    if "expecting" in message and "weights" in message:
        return ("the number of weights does not match: a layer with a bias has two, [kernel, bias]; "
                "with b None create it with use_bias=False and pass [w] only.")
    if "shape" in message.lower():
        return ("the layer's kernel has another shape than w: filters = w.shape[3], "
                "kernel_size = w.shape[:2] (kernels need not be square), and build it for "
                "w.shape[2] input channels.")
    return ""


def _judge_layer(name: str, got: Any, want: dict, case: tuple) -> None:
    label, _, w, b, stride, padding = case
    if isinstance(got, dict) and isinstance(got.get("raised"), str):
        hint = _set_weights_hint(got["raised"])
        if hint:
            lines = got["raised"].splitlines()
            fail(name, label, lines[1].strip() if len(lines) > 1 else lines[0], hint)
        reraise(got)
    if not isinstance(got, dict):
        _incomplete(name, label)
    if got.get("returned") == "None":
        fail(name, label, "your function returned None.", "did you forget `return layer` at the end?")
    kind = got.get("kind")
    if kind == "Model":
        fail(name, label, f"expected a Conv2D layer, got a {got.get('class')} model.",
             "return the layer itself, `keras.layers.Conv2D(...)`, not a model that contains it.")
    if kind != "Conv2D":
        what = got.get("class") or got.get("returned") or "something else"
        fail(name, label, f"expected a keras.layers.Conv2D, got {what}",
             "create the layer with `keras.layers.Conv2D(...)`, load the weights, and return the layer.")
    if not got.get("built"):
        fail(name, label, "the layer has no weights yet (it was never built).",
             "call `layer.build((None, None, None, w.shape[2]))`, then `layer.set_weights(...)`.")
    data_format = _get(name, label, got, "data_format", str)
    if data_format != "channels_last":
        fail(name, label, f"the layer has data_format={data_format!r}.",
             "the inputs are (batch, height, width, channels): keep the default 'channels_last'.")
    shapes = [_shape(s) for s in _get(name, label, got, "weight_shapes", list)]
    want_shapes = [tuple(w.shape)] + ([] if b is None else [tuple(np.shape(b))])
    if shapes != want_shapes:
        if b is None and len(shapes) == 2 and shapes[0] == want_shapes[0]:
            fail(name, label, f"b is None but the layer has a bias of shape {shapes[1]}.",
                 "with b None, create the layer with use_bias=False: it then has one weight, the kernel.")
        fail(name, label, f"expected weights of shapes {want_shapes}\ngot weights of shapes      {shapes}",
             "a Conv2D kernel is (height, width, in_channels, out_channels): filters = w.shape[3], "
             "kernel_size = w.shape[:2] (it need not be square), in_channels = w.shape[2].")
    kernel = _get(name, label, got, "kernel", np.ndarray)
    if kernel.shape != w.shape or not np.allclose(kernel, w, rtol=1e-6, atol=1e-6):
        if kernel.shape == w.shape and np.allclose(kernel, w[::-1, ::-1], rtol=1e-6, atol=1e-6):
            hint = ("you flipped the kernel: Keras's Conv2D computes a cross-correlation, "
                    "the same sum as your NumPy conv2d, so load w as it is.")
        else:
            hint = "load the given weights: `layer.set_weights([w, b])` (or `[w]` without a bias)."
        fail(name, label, "the layer's kernel is not w.", hint)
    if b is not None:
        bias = _get(name, label, got, "bias", np.ndarray)
        if bias.shape != np.shape(b) or not np.allclose(bias, b, rtol=1e-6, atol=1e-6):
            fail(name, label, "the layer's bias is not b.", "load both: `layer.set_weights([w, b])`.")
    strides = _shape(_get(name, label, got, "strides", list))
    if strides != (stride, stride):
        fail(name, label, f"expected strides {(stride, stride)}\ngot strides      {strides}",
             "pass the stride on: `Conv2D(..., strides=stride)`.")
    got_padding = _get(name, label, got, "padding", str)
    if got_padding != padding:
        fail(name, label, f"expected padding {padding!r}\ngot padding      {got_padding!r}",
             "pass the padding on: `Conv2D(..., padding=padding)`.")
    activation = _get(name, label, got, "activation", str)
    if activation != "linear":
        fail(name, label, f"the layer applies the activation {activation!r}.",
             "the NumPy convolution has no activation: leave `activation` at its default (None).")
    output = expect_returned_array(name, got.get("output"), case=label + ": layer(x)")
    expect_array(name, output.astype(np.float64), want["output"].astype(np.float64), case=label + ": layer(x)",
                 rtol=1e-4, atol=1e-4,
                 hint="the layer holds w and b, so its output should be the cross-correlation plus bias.")


def judge_make_conv_layer(data: dict, expected: dict) -> int:
    name = "make_conv_layer"
    cases = conv_layer_cases(expected["suite"])
    outputs = per_case_at(name, data, "outputs", len(cases))
    for i, case in enumerate(cases):
        _judge_layer(name, outputs[i], expected["expected"]["outputs"][i], case)
    return len(cases)


def make_conv_layer(func: Callable, suite: str = "visible") -> None:
    """Check ``make_conv_layer(w, b, stride=1, padding="valid") -> built keras.layers.Conv2D``."""
    run_check("make_conv_layer", __name__, suite, lambda: collect_make_conv_layer(func, suite), judge_make_conv_layer)


# --------------------------------------------------------------------------- exercise 2

# Hints for the stored results of the usual mistakes (solutions/references/keras_cnn.py makes them).
MERGE_MISTAKES = {
    "correlate_full": ("the kernel comes out flipped: the merged kernel is the FULL CONVOLUTION of k1 and k2, "
                       "`scipy.signal.convolve2d(k1, k2)` (it flips k2; `correlate2d` does not), or add "
                       "k1[i, j] * k2 into it at offset (i, j)."),
}
MERGE_MISTAKES["correlate_full_swapped"] = MERGE_MISTAKES["correlate_full"]


def merge_cases(suite: str = "visible") -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(case, k1, k2): the lecture's box blur first."""
    if suite == "hidden":
        rng = np.random.default_rng(77)
        return [
            ("hidden: a 1×2 then a 2×1 kernel", np.array([[1.0, -1.0]]), np.array([[1.0], [1.0]])),
            ("hidden: random 2×3 then 4×1 kernels", rng.normal(size=(2, 3)), rng.normal(size=(4, 1))),
        ]
    rng = np.random.default_rng(8)
    return [
        ("the lecture's 3×3 box blur twice (gives the 5×5 'tent' kernel [1 2 3 2 1]ᵀ[1 2 3 2 1] / 81)",
         BOX_3X3, BOX_3X3),
        ("a 1×1 kernel [[2]] then a 3×3 kernel (the result is 2 × the 3×3 kernel)",
         np.array([[2.0]]), rng.normal(size=(3, 3))),
        ("two random 3×3 kernels", rng.normal(size=(3, 3)), rng.normal(size=(3, 3))),
        ("a 3×3 then a 5×5 kernel (→ 7×7)", rng.normal(size=(3, 3)), rng.normal(size=(5, 5))),
        ("a 2×3 then a 3×2 kernel (not square: → 4×4)", rng.normal(size=(2, 3)), rng.normal(size=(3, 2))),
    ]


def _kernel_data(value: Any) -> Any:
    """A returned kernel as a float64 array (lists and tuples too), else its description."""
    if isinstance(value, (list, tuple)):
        try:
            value = np.asarray(value, dtype=np.float64)
        except (TypeError, ValueError):
            pass
    return returned(value)


def collect_merge_linear_convs(func: Callable, suite: str = "visible") -> dict:
    """The merged kernel of every case: {"outputs": [array or description, ...]}."""
    return {"outputs": [attempt("merge_linear_convs", func, np.asarray(k1, np.float64), np.asarray(k2, np.float64),
                                case=case, to_data=_kernel_data) for case, k1, k2 in merge_cases(suite)]}


def judge_merge_linear_convs(data: dict, expected: dict) -> int:
    name = "merge_linear_convs"
    cases = merge_cases(expected["suite"])
    outputs = per_case_at(name, data, "outputs", len(cases))
    for i, (case, k1, k2) in enumerate(cases):
        want = expected["expected"]["outputs"][i]
        got = expect_returned_array(name, outputs[i], case=case)
        size = (k1.shape[0] + k2.shape[0] - 1, k1.shape[1] + k2.shape[1] - 1)
        wrong = {label: m["outputs"][i] for label, m in expected["mistakes"].items()}
        if got.shape != size:
            hint = (f"two stacked kernels of {k1.shape[0]}×{k1.shape[1]} and {k2.shape[0]}×{k2.shape[1]} see a "
                    f"{size[0]}×{size[1]} window of the input, so the merged kernel is {size[0]}×{size[1]}.")
        elif np.allclose(got, want[::-1, ::-1]) and not np.allclose(want, want[::-1, ::-1]):
            hint = MERGE_MISTAKES["correlate_full"]
        else:
            hint = matching_mistake(got, wrong, MERGE_MISTAKES) or \
                "add k1[i, j] * k2 into the merged kernel at offset (i, j), for every (i, j)."
        expect_array(name, got, want, case=case, hint=hint, rtol=1e-7, atol=1e-9)
    return len(cases)


def merge_linear_convs(func: Callable, suite: str = "visible") -> None:
    """Check ``merge_linear_convs(k1, k2) -> (f1h+f2h-1, f1w+f2w-1)`` kernel."""
    run_check("merge_linear_convs", __name__, suite, lambda: collect_merge_linear_convs(func, suite),
              judge_merge_linear_convs)


# --------------------------------------------------------------------------- exercise 3


def cnn_cases(suite: str = "visible") -> list[tuple[str, tuple, int]]:
    """(case, input_shape, num_classes)."""
    if suite == "hidden":
        return [("hidden: a 64×48 grey input and 5 classes", (64, 48, 1), 5)]
    return [("input_shape=(32, 32, 3), num_classes=10 (the table above)", (32, 32, 3), 10),
            ("input_shape=(40, 40, 1), num_classes=7 (grey images, other classes: use the arguments)", (40, 40, 1), 7)]


LOSS_BATCH = 4  # images on which the compiled loss is compared with the cross-entropy of the logits


def _activation(layer) -> str:
    act = getattr(layer, "activation", None)
    return getattr(act, "__name__", str(act)) if act is not None else "none"


def _model_data(model: Any, input_shape: tuple, num_classes: int) -> dict:
    """A returned model's input, layer table, parameter count and compiled loss on a fixed batch, as plain data."""
    keras = _keras()
    if model is None or not isinstance(model, keras.Model):
        return returned(model)
    try:
        data: dict[str, Any] = {"kind": "Model", "built": bool(model.built and model.inputs)}
        if not data["built"]:
            return data
        data["input_shape"] = list(model.inputs[0].shape)
        data["output_shape"] = list(model.outputs[0].shape)
        data["layers"] = [{"kind": type(layer).__name__, "output_shape": list(layer.output.shape),
                           "activation": _activation(layer),
                           "kernel_size": [int(k) for k in layer.kernel_size] if hasattr(layer, "kernel_size") else None,
                           "rate": float(layer.rate) if hasattr(layer, "rate") else None}
                          for layer in model.layers]
        data["params"] = int(model.count_params())
        data["compiled"] = bool(getattr(model, "compiled", False) and getattr(model, "optimizer", None) is not None)
    except Exception as err:  # a model the check cannot read (layers without outputs, ...)
        return {"returned": f"a model whose layers could not be read ({_error(err)})"}
    if data["compiled"]:
        x = np.random.default_rng(0).random((LOSS_BATCH, *input_shape)).astype(np.float32)
        y = np.arange(LOSS_BATCH) % num_classes
        try:
            result = model.evaluate(x, y, verbose=0, return_dict=True)
            data["evaluation"] = {str(k): float(v) for k, v in result.items()}
            data["logits"] = _numpy(model(x, training=False)).astype(np.float64)
        except Exception as err:  # e.g. categorical_crossentropy on integer labels: a rank mismatch
            data["evaluation"] = {"raised": _error(err)}
    return data


def collect_build_cnn(func: Callable, suite: str = "visible") -> dict:
    """The returned model of every case: {"outputs": [model data or description, ...]}.

    Keras is seeded first, so that the same function gives the same weights, logits and loss
    in the student's kernel and in the grader's process.
    """
    keras = _keras()
    outputs = []
    for case, input_shape, num_classes in cnn_cases(suite):
        keras.utils.set_random_seed(0)
        outputs.append(attempt("build_cnn", func, tuple(input_shape), num_classes, case=case,
                               to_data=lambda m, s=input_shape, n=num_classes: _model_data(m, s, n)))
    return {"outputs": outputs}


def _judge_model(name: str, got: Any, want: dict, case: str, input_shape: tuple, num_classes: int) -> None:
    reraise(got)
    if isinstance(got, dict) and got.get("returned") == "None":
        fail(name, case, "your function returned None.", "did you forget `return model`?")
    if not isinstance(got, dict) or got.get("kind") != "Model":
        what = got.get("returned") if isinstance(got, dict) else None
        fail(name, case, f"expected a keras.Model, got {what or 'something else'}",
             "build a `keras.Sequential([keras.Input(input_shape), ...])` and return it.")
    if not got.get("built"):
        fail(name, case, "the model does not know its input shape.",
             "start the Sequential list with `keras.Input(shape=input_shape)`.")
    got_input = _shape(_get(name, case, got, "input_shape", list))
    if got_input != (None, *input_shape):
        fail(name, case, f"expected input shape {(None, *input_shape)}\ngot input shape      {got_input}",
             "use the input_shape argument: `keras.Input(shape=input_shape)`, not a fixed (32, 32, 3).")
    layers = _get(name, case, got, "layers", list)
    if not all(isinstance(layer, dict) and isinstance(layer.get("kind"), str) and _shape(layer.get("output_shape"))
               for layer in layers):
        _incomplete(name, case)
    kinds = [layer["kind"] for layer in layers]
    want_layers = want["layers"]
    want_kinds = [layer["kind"] for layer in want_layers]
    final, want_final = _shape(_get(name, case, got, "output_shape", list)), tuple(want["output_shape"])
    if final is not None and len(final) == 4 and "Flatten" not in kinds:
        fail(name, case, f"the model's output has shape {final}: one prediction per pixel, not per image.",
             "put a `Flatten()` between the last pooling layer and the Dense layer.")
    if final != want_final:
        fail(name, case, f"expected output shape {want_final}\ngot output shape      {final}",
             "the last layer is `Dense(num_classes)`: one score per class.")
    if kinds != want_kinds:
        fail(name, case, f"expected the layers {want_kinds}\ngot the layers      {kinds}",
             "follow the table above, one layer per row, in that order (keras.Input is not a layer here).")
    for i, (layer, expected_layer) in enumerate(zip(layers, want_layers)):
        kind, shape, want_shape = layer["kind"], _shape(layer["output_shape"]), tuple(expected_layer["output_shape"])
        if shape != want_shape:
            if kind == "Conv2D" and shape[1:3] != want_shape[1:3]:
                hint = "use padding=\"same\": it keeps height and width (with stride 1)."
            elif kind == "Conv2D":
                hint = "the number of filters is the number of output channels."
            elif kind == "MaxPooling2D":
                hint = "a 2×2 max pool with stride 2 halves height and width: `MaxPool2D(2)`."
            else:
                hint = "check this row of the table."
            fail(name, f"{case}, layer {i + 1} ({kind})",
                 f"expected output shape {want_shape}\ngot output shape      {shape}", hint)
    for i, (layer, expected_layer) in enumerate(zip(layers, want_layers)):
        kind, activation = layer["kind"], layer.get("activation")
        if kind == "Conv2D":
            if activation != expected_layer["activation"]:
                fail(name, case, f"layer {i + 1} (Conv2D) has activation {activation!r}.",
                     "every Conv2D is followed by a ReLU: `Conv2D(..., activation=\"relu\")`. Without it, "
                     "stacked convolutions collapse into one linear map (exercise 2).")
            if layer.get("kernel_size") != expected_layer["kernel_size"]:
                size = _shape(layer.get("kernel_size"))
                fail(name, case, f"layer {i + 1} (Conv2D) has kernel_size {size}.",
                     "every convolution in the table is 3×3: `kernel_size=3`.")
        if kind == "Dense" and activation != expected_layer["activation"]:
            fail(name, case, f"the last Dense layer has activation {activation!r}.",
                 "the last layer gives one unconstrained score (logit) per class: no activation; "
                 "the loss applies the softmax (from_logits=True).")
        rate = layer.get("rate")
        if kind == "Dropout" and not (isinstance(rate, float) and np.isclose(rate, expected_layer["rate"])):
            fail(name, case, f"the Dropout rate is {rate}.", f"use `Dropout({expected_layer['rate']})`, as in the table.")
    params, want_params = got.get("params"), want["params"]
    if params != want_params:
        fail(name, case, f"expected {want_params:,} parameters\ngot      {_fmt(params)}",
             "a Conv2D layer has (3·3·in_channels + 1)·filters parameters; do the Conv2D layers keep "
             "their biases (use_bias=True)?")
    if not got.get("compiled"):
        fail(name, case, "the model is not compiled.",
             "call `model.compile(optimizer=..., loss=..., metrics=[\"accuracy\"])` before returning it.")
    _judge_loss(name, got, case, num_classes)


def _judge_loss(name: str, got: dict, case: str, num_classes: int) -> None:
    """The compiled loss on the fixed batch must be the cross-entropy of the model's own logits."""
    evaluation = _get(name, case, got, "evaluation", dict)
    if isinstance(evaluation.get("raised"), str):
        fail(name, case, f"model.evaluate on integer labels raised {evaluation['raised']}",
             "the labels are integers 0–9, not one-hot vectors: compile with "
             "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True).")
    if not any("acc" in key for key in evaluation):
        fail(name, case, f"the compiled model reports only {sorted(evaluation)}.",
             "add the accuracy to the training log: `model.compile(..., metrics=[\"accuracy\"])`.")
    logits = _get(name, case, got, "logits", np.ndarray)
    loss = evaluation.get("loss")
    if logits.shape != (LOSS_BATCH, num_classes) or not isinstance(loss, float):
        _incomplete(name, case)
    y = np.arange(LOSS_BATCH) % num_classes
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_softmax = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    cross_entropy = -log_softmax[np.arange(LOSS_BATCH), y].mean()
    if not np.isclose(loss, cross_entropy, rtol=1e-3, atol=1e-4):
        fail(name, case, f"the compiled loss on {LOSS_BATCH} images is {loss:.4f}; the cross-entropy of the "
             f"model's logits is {cross_entropy:.4f}.",
             "the last Dense layer outputs logits (no softmax), so the loss needs from_logits=True: "
             "`keras.losses.SparseCategoricalCrossentropy(from_logits=True)`.")


def judge_build_cnn(data: dict, expected: dict) -> int:
    name = "build_cnn"
    cases = cnn_cases(expected["suite"])
    outputs = per_case_at(name, data, "outputs", len(cases))
    for i, (case, input_shape, num_classes) in enumerate(cases):
        _judge_model(name, outputs[i], expected["expected"]["outputs"][i], case, input_shape, num_classes)
    return len(cases)


def build_cnn(func: Callable, suite: str = "visible") -> None:
    """Check ``build_cnn(input_shape=(32, 32, 3), num_classes=10) -> compiled keras.Model``."""
    run_check("build_cnn", __name__, suite, lambda: collect_build_cnn(func, suite), judge_build_cnn)


# --------------------------------------------------------------------------- exercise 4

# Hints for the stored results of the usual mistakes (solutions/references/keras_cnn.py makes them).
OCCLUSION_MISTAKES = {
    "occluded_probability": ("you returned the probability of the occluded images; the map shows how much it "
                             "DROPS: p(label | image) − p(label | occluded image)."),
    "negated": ("the sign is reversed: subtract the occluded probability from the original one, "
                "p(label | image) − p(label | occluded), so that a region the network needs comes out positive."),
    "stride_is_patch": "move the square by `stride` pixels, not by `patch`: the squares may overlap.",
    "one_channel": "cover the square in every channel (`occluded[r:r + patch, c:c + patch, :] = fill`), not in one.",
    "fill_ignored": "cover the square with `fill`, the value the caller chose (the mean pixel, for example), not with 0.",
    "other_class": "use the probability of `label`, column `label` of what predict returns, not another column.",
}
OCCLUSION_DEFAULT = ("for each position (i, j), copy the image, set the square "
                     "[i*stride : i*stride + patch, j*stride : j*stride + patch] to `fill` in every channel, and "
                     "store p(label | image) − p(label | occluded copy) at [i, j].")


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)


def centre_model(batch):
    """A two-class "network" that looks at the centre 4×4 of an 8×8 image: p(class 0) grows with its brightness."""
    batch = np.asarray(batch, np.float64)
    score = 4 * batch[:, 2:6, 2:6, :].mean(axis=(1, 2, 3)) - 2
    return _softmax(np.stack([score, -score], axis=1))


_LINEAR = np.random.default_rng(606).normal(size=(12 * 10 * 3, 3)) / 10


def linear_model(batch):
    """A three-class linear softmax "network" on 12×10×3 images, with fixed random weights."""
    batch = np.asarray(batch, np.float64)
    return _softmax(batch.reshape(len(batch), -1) @ _LINEAR)


OCCLUSION_MODELS = {f.__name__: f for f in (centre_model, linear_model)}


def occlusion_cases(suite: str = "visible") -> list[tuple[str, str, np.ndarray, int, dict]]:
    """(case, name of a model in :data:`OCCLUSION_MODELS`, image, label, keyword arguments)."""
    if suite == "hidden":
        rng = np.random.default_rng(607)
        return [
            ("hidden: the centre model on a random 8×8×2 image, patch 3, stride 1",
             "centre_model", rng.random((8, 8, 2)), 0, {"patch": 3, "stride": 1}),
            ("hidden: the linear model, label 0, patch 5, stride 3, fill -1",
             "linear_model", rng.normal(size=(12, 10, 3)), 0, {"patch": 5, "stride": 3, "fill": -1.0}),
        ]
    rng = np.random.default_rng(6)
    ones = np.ones((8, 8, 1))
    return [
        ("an 8×8 image of ones and a model that looks at its centre 4×4, patch 4, stride 4 (→ 2×2: every "
         "square covers a quarter of the centre)", "centre_model", ones, 0, {"patch": 4, "stride": 4}),
        ("the same, stride 2 (overlapping squares → 3×3: the middle square covers the whole centre)",
         "centre_model", ones, 0, {"patch": 4, "stride": 2}),
        ("the same image, label 1 (the other class: its probability rises where class 0's falls)",
         "centre_model", ones, 1, {"patch": 4, "stride": 2}),
        ("a random 12×10×3 image, a linear softmax model with 3 classes, label 2, patch 4, stride 2 (not square)",
         "linear_model", rng.normal(size=(12, 10, 3)), 2, {"patch": 4, "stride": 2}),
        ("the same model on another random image, label 1, fill=0.5 (cover with 0.5, not 0)",
         "linear_model", rng.normal(size=(12, 10, 3)), 1, {"patch": 4, "stride": 4, "fill": 0.5}),
        ("the default patch=8, stride=4 on a random 12×10×3 image (→ 2×1: the last columns fit no square)",
         "linear_model", rng.normal(size=(12, 10, 3)), 0, {}),
    ]


def collect_occlusion_map(func: Callable, suite: str = "visible") -> dict:
    """``func(predict, image, label, ...)`` on every case: {"outputs": [array or description, ...]}."""
    return {"outputs": [attempt("occlusion_map", func, OCCLUSION_MODELS[model], image, label, case=case, **kwargs)
                        for case, model, image, label, kwargs in occlusion_cases(suite)]}


def judge_occlusion_map(data: dict, expected: dict) -> int:
    name = "occlusion_map"
    cases = occlusion_cases(expected["suite"])
    outputs = per_case_at(name, data, "outputs", len(cases))
    for i, (case, _, image, _, kwargs) in enumerate(cases):
        want = expected["expected"]["outputs"][i]
        got = expect_returned_array(name, outputs[i], case=case,
                                    hint="return the map as a NumPy array of shape (H_out, W_out).")
        if got.dtype.kind not in "biuf":
            fail(name, case, f"expected an array of real numbers, got dtype {got.dtype}",
                 "the map holds differences of probabilities: real numbers, `np.zeros((rows, cols))`.")
        wrong = {label: m["outputs"][i] for label, m in expected["mistakes"].items()}
        if got.shape != want.shape:
            patch, stride = kwargs.get("patch", 8), kwargs.get("stride", 4)
            h, w = image.shape[:2]
            fail(name, case, f"expected shape {want.shape}\ngot shape      {got.shape}",
                 matching_mistake(got, wrong, OCCLUSION_MISTAKES) or
                 f"one value per position of the square: (H - patch) // stride + 1 = {(h - patch) // stride + 1} "
                 f"rows and (W - patch) // stride + 1 = {(w - patch) // stride + 1} columns for a {h}×{w} image, "
                 f"patch={patch}, stride={stride}; a square that does not fit is left out.")
        expect_array(name, got.astype(np.float64), want, case=case, rtol=1e-5, atol=1e-7,
                     hint=matching_mistake(got, wrong, OCCLUSION_MISTAKES) or OCCLUSION_DEFAULT)
    return len(cases)


def occlusion_map(func: Callable, suite: str = "visible") -> None:
    """Check ``occlusion_map(predict, image, label, patch=8, stride=4, fill=0.0) -> (H_out, W_out)``."""
    run_check("occlusion_map", __name__, suite, lambda: collect_occlusion_map(func, suite), judge_occlusion_map)
