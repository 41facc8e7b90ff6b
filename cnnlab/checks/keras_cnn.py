"""Checks for notebook 6: Keras Conv2D and MaxPool2D, and a first CNN.

The checks compare the student's Keras layers and models with NumPy
references: a cross-correlation with TensorFlow's padding rules, the full
convolution that merges two linear layers, and the layer table of the
notebook's CNN. Keras is imported only when a check needs it, after
:func:`cnnlab.runtime.quiet_tensorflow`, so that importing this module writes
nothing to stderr.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

import numpy as np

from .core import CheckError, NotDoneError, call, expect_array, fail, passed, require_function

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

# The CNN of exercise 3, for a 32×32×3 input and 10 classes: (layer type, output shape).
CNN_LAYERS = [
    ("Conv2D", (None, 32, 32, 32)),
    ("MaxPooling2D", (None, 16, 16, 32)),
    ("Conv2D", (None, 16, 16, 64)),
    ("MaxPooling2D", (None, 8, 8, 64)),
    ("Conv2D", (None, 8, 8, 128)),
    ("MaxPooling2D", (None, 4, 4, 128)),
    ("Flatten", (None, 2048)),
    ("Dropout", (None, 2048)),
    ("Dense", (None, 10)),
]
CNN_PARAMS = 113_738


def _keras():
    """Import Keras quietly (TensorFlow's start-up logs go to stderr otherwise)."""
    from cnnlab import runtime

    runtime.quiet_tensorflow()
    import keras

    return keras


def _numpy(tensor: Any) -> np.ndarray:
    return np.asarray(_keras().ops.convert_to_numpy(tensor))


# --------------------------------------------------------------------------- references


def same_padding(n: int, f: int, stride: int) -> tuple[int, int]:
    """TensorFlow's "same" padding of one axis: (before, after); the odd pixel goes after."""
    out = -(-n // stride)
    total = max((out - 1) * stride + f - n, 0)
    return total // 2, total - total // 2


def correlate(x: np.ndarray, w: np.ndarray, b: np.ndarray | None = None, stride: int = 1,
              padding: str = "valid") -> np.ndarray:
    """What ``Conv2D`` computes, in NumPy (float64): a cross-correlation plus bias.

    x: (N, H, W, C) inputs; w: (FH, FW, C, K) kernels; b: (K,) biases or None;
    stride: one int for both axes; padding: "valid" or "same" (TensorFlow's rule).
    Returns (N, H', W', K).
    """
    x, w = np.asarray(x, np.float64), np.asarray(w, np.float64)
    fh, fw = w.shape[:2]
    if padding == "same":
        (top, bottom), (left, right) = same_padding(x.shape[1], fh, stride), same_padding(x.shape[2], fw, stride)
        x = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)))
    elif padding != "valid":
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    windows = np.lib.stride_tricks.sliding_window_view(x, (fh, fw), axis=(1, 2))[:, ::stride, ::stride]
    out = np.einsum("nhwcij,ijck->nhwk", windows, w)
    return out if b is None else out + np.asarray(b, np.float64)


# --------------------------------------------------------------------------- exercise 1


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


def _layer_call(name: str, func: Callable, w, b, stride, padding, case: str):
    try:
        return call(name, func, w, b, case=case, stride=stride, padding=padding)
    except NotDoneError:
        raise
    except CheckError as err:
        hint = _set_weights_hint(str(err))
        if not hint:
            raise
        first = str(err).splitlines()[1].strip() if len(str(err).splitlines()) > 1 else str(err)
        fail(name, case, first, hint)


def conv_layer_case(func: Callable, x: np.ndarray, w: np.ndarray, b: np.ndarray | None,
                    stride: int = 1, padding: str = "valid", *, case: str,
                    expected: np.ndarray | None = None, name: str = "make_conv_layer") -> None:
    """Check one case of ``make_conv_layer(w, b, stride, padding)``: the layer, then its outputs.

    The layer must be a built ``Conv2D`` holding ``w`` (and ``b``) with the given stride and
    padding and no activation; ``layer(x)`` must equal :func:`correlate` (or ``expected``).
    """
    keras = _keras()
    layer = _layer_call(name, func, w, b, stride, padding, case)
    if layer is None:
        fail(name, case, "your function returned None.",
             "did you forget `return layer` at the end?")
    if isinstance(layer, keras.Model):
        fail(name, case, f"expected a Conv2D layer, got a {type(layer).__name__} model.",
             "return the layer itself, `keras.layers.Conv2D(...)`, not a model that contains it.")
    if not isinstance(layer, keras.layers.Conv2D):
        fail(name, case, f"expected a keras.layers.Conv2D, got {type(layer).__name__}",
             "create the layer with `keras.layers.Conv2D(...)`, load the weights, and return the layer.")
    if not layer.built or not layer.weights:
        fail(name, case, "the layer has no weights yet (it was never built).",
             "call `layer.build((None, None, None, w.shape[2]))`, then `layer.set_weights(...)`.")
    if layer.data_format != "channels_last":
        fail(name, case, f"the layer has data_format={layer.data_format!r}.",
             "the inputs are (batch, height, width, channels): keep the default 'channels_last'.")
    shapes = [tuple(v.shape) for v in layer.get_weights()]
    want = [tuple(w.shape)] + ([] if b is None else [tuple(np.shape(b))])
    if shapes != want:
        if b is None and len(shapes) == 2 and shapes[0] == want[0]:
            fail(name, case, f"b is None but the layer has a bias of shape {shapes[1]}.",
                 "with b None, create the layer with use_bias=False: it then has one weight, the kernel.")
        fail(name, case, f"expected weights of shapes {want}\ngot weights of shapes      {shapes}",
             "a Conv2D kernel is (height, width, in_channels, out_channels): filters = w.shape[3], "
             "kernel_size = w.shape[:2] (it need not be square), in_channels = w.shape[2].")
    kernel = layer.get_weights()[0]
    if not np.allclose(kernel, w, rtol=1e-6, atol=1e-6):
        if np.allclose(kernel, w[::-1, ::-1], rtol=1e-6, atol=1e-6):
            hint = ("you flipped the kernel: Keras's Conv2D computes a cross-correlation, "
                    "the same sum as your NumPy conv2d, so load w as it is.")
        else:
            hint = "load the given weights: `layer.set_weights([w, b])` (or `[w]` without a bias)."
        fail(name, case, "the layer's kernel is not w.", hint)
    if b is not None and not np.allclose(layer.get_weights()[1], b, rtol=1e-6, atol=1e-6):
        fail(name, case, "the layer's bias is not b.", "load both: `layer.set_weights([w, b])`.")
    if tuple(layer.strides) != (stride, stride):
        fail(name, case, f"expected strides {(stride, stride)}\ngot strides      {tuple(layer.strides)}",
             "pass the stride on: `Conv2D(..., strides=stride)`.")
    if layer.padding != padding:
        fail(name, case, f"expected padding {padding!r}\ngot padding      {layer.padding!r}",
             "pass the padding on: `Conv2D(..., padding=padding)`.")
    activation = getattr(layer.activation, "__name__", str(layer.activation))
    if activation != "linear":
        fail(name, case, f"the layer applies the activation {activation!r}.",
             "the NumPy convolution has no activation: leave `activation` at its default (None).")
    got = _numpy(layer(np.asarray(x, np.float32)))
    reference = correlate(x, w, b, stride, padding) if expected is None else np.asarray(expected)
    expect_array(name, got.astype(np.float64), reference, case=case + ": layer(x)", rtol=1e-4, atol=1e-4,
                 hint="the layer holds w and b, so its output should be the cross-correlation plus bias.")


def make_conv_layer(func: Callable) -> None:
    """Check ``make_conv_layer(w, b, stride=1, padding="valid") -> built keras.layers.Conv2D``."""
    rng = np.random.default_rng(5)
    lecture = ("the lecture's 5×5 image and 3×3 kernel (gives [[4,3,4],[2,4,3],[2,3,4]])",
               LECTURE_IMAGE[None, :, :, None], LECTURE_KERNEL[:, :, None, None], np.zeros(1, np.float32),
               1, "valid", LECTURE_FEATURE[None, :, :, None])
    cases = [
        lecture,
        ("a 32×32×3 input and the lecture's kernel shape (5, 5, 3, 2), valid",
         rng.normal(size=(2, 32, 32, 3)), rng.normal(size=(5, 5, 3, 2)), rng.normal(size=2), 1, "valid", None),
        ("ten 3×3 filters with stride 2 and padding 'same' on 32×32×3 (→ 16×16×10)",
         rng.normal(size=(1, 32, 32, 3)), rng.normal(size=(3, 3, 3, 10)), rng.normal(size=10), 2, "same", None),
        ("ten 5×5 filters, padding 'same', no bias (b=None)",
         rng.normal(size=(1, 32, 32, 3)), rng.normal(size=(5, 5, 3, 10)), None, 1, "same", None),
        ("a non-square 2×3 kernel, 4 → 3 channels, stride 3, on a 7×9 input",
         rng.normal(size=(2, 7, 9, 4)), rng.normal(size=(2, 3, 4, 3)), rng.normal(size=3), 3, "valid", None),
    ]
    for case, x, w, b, stride, padding, expected in cases:
        conv_layer_case(func, x, w, b, stride, padding, case=case, expected=expected)
    passed("make_conv_layer", len(cases))


# --------------------------------------------------------------------------- exercise 2


def merge_reference(k1: np.ndarray, k2: np.ndarray) -> np.ndarray:
    """The single kernel equal to correlating with k1, then with k2: their full convolution."""
    k1, k2 = np.asarray(k1, np.float64), np.asarray(k2, np.float64)
    out = np.zeros((k1.shape[0] + k2.shape[0] - 1, k1.shape[1] + k2.shape[1] - 1))
    for (i, j), v in np.ndenumerate(k1):
        out[i:i + k2.shape[0], j:j + k2.shape[1]] += v * k2
    return out


def correlate2d(image: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """'valid' single-channel cross-correlation (float64)."""
    return correlate(np.asarray(image)[None, :, :, None], np.asarray(kernel)[:, :, None, None])[0, :, :, 0]


def _merge_hint(got: Any, k1: np.ndarray, k2: np.ndarray) -> str:
    size = (k1.shape[0] + k2.shape[0] - 1, k1.shape[1] + k2.shape[1] - 1)
    if not isinstance(got, np.ndarray) or got.shape != size:
        return (f"two stacked kernels of {k1.shape[0]}×{k1.shape[1]} and {k2.shape[0]}×{k2.shape[1]} see a "
                f"{size[0]}×{size[1]} window of the input, so the merged kernel is {size[0]}×{size[1]}.")
    reference = merge_reference(k1, k2)
    if np.allclose(got, merge_reference(k1[::-1, ::-1], k2)[::-1, ::-1]) or np.allclose(got, reference[::-1, ::-1]):
        return ("the kernel comes out flipped: the merged kernel is the FULL CONVOLUTION of k1 and k2, "
                "`scipy.signal.convolve2d(k1, k2)` (it flips k2; `correlate2d` does not), or add "
                "k1[i, j] * k2 into it at offset (i, j).")
    return "add k1[i, j] * k2 into the merged kernel at offset (i, j), for every (i, j)."


def merge_case(func: Callable, k1: np.ndarray, k2: np.ndarray, *, case: str,
               expected: np.ndarray | None = None, name: str = "merge_linear_convs") -> None:
    """Check one case of ``merge_linear_convs(k1, k2)``: the kernel, then that it acts as both."""
    got = call(name, func, np.asarray(k1, np.float64), np.asarray(k2, np.float64), case=case)
    if isinstance(got, (list, tuple)):
        got = np.asarray(got, dtype=np.float64)
    reference = merge_reference(k1, k2) if expected is None else np.asarray(expected, np.float64)
    expect_array(name, got, reference, case=case, hint=_merge_hint(got, k1, k2), rtol=1e-7, atol=1e-9)


def merge_linear_convs(func: Callable) -> None:
    """Check ``merge_linear_convs(k1, k2) -> (f1h+f2h-1, f1w+f2w-1)`` kernel."""
    rng = np.random.default_rng(8)
    tent = np.outer([1, 2, 3, 2, 1], [1, 2, 3, 2, 1]) / 81
    cases = [
        ("the lecture's 3×3 box blur twice (gives the 5×5 'tent' kernel [1 2 3 2 1]ᵀ[1 2 3 2 1] / 81)",
         BOX_3X3, BOX_3X3, tent),
        ("a 1×1 kernel [[2]] then a 3×3 kernel (the result is 2 × the 3×3 kernel)",
         np.array([[2.0]]), rng.normal(size=(3, 3)), None),
        ("two random 3×3 kernels", rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), None),
        ("a 3×3 then a 5×5 kernel (→ 7×7)", rng.normal(size=(3, 3)), rng.normal(size=(5, 5)), None),
    ]
    for case, k1, k2, expected in cases:
        merge_case(func, k1, k2, case=case, expected=expected)
    k1, k2, image = rng.normal(size=(3, 3)), rng.normal(size=(3, 3)), rng.normal(size=(12, 12))
    case = "correlating a 12×12 image with k1 then k2 equals correlating it once with the merged kernel"
    merged = np.asarray(call("merge_linear_convs", func, k1, k2, case=case), np.float64)
    expect_array("merge_linear_convs", correlate2d(image, merged), correlate2d(correlate2d(image, k1), k2),
                 case=case, hint=_merge_hint(merged, k1, k2), rtol=1e-7, atol=1e-9)
    passed("merge_linear_convs", len(cases) + 1)


# --------------------------------------------------------------------------- exercise 3


def _layer_kind(layer) -> str:
    return type(layer).__name__


def _activation(layer) -> str:
    act = getattr(layer, "activation", None)
    return getattr(act, "__name__", str(act)) if act is not None else "none"


def _loss_check(name: str, model, n_classes: int, input_shape, case: str) -> None:
    """Evaluate the compiled loss on a tiny batch and compare it with cross-entropy by hand."""
    keras = _keras()
    rng = np.random.default_rng(0)
    x = rng.random((4, *input_shape)).astype(np.float32)
    y = np.arange(4) % n_classes
    try:
        result = model.evaluate(x, y, verbose=0, return_dict=True)
    except Exception as err:  # e.g. categorical_crossentropy on integer labels: a rank mismatch
        text = f"model.evaluate on integer labels raised {type(err).__name__}: {str(err).splitlines()[0][:200]}"
        hint = ("the labels are integers 0–9, not one-hot vectors: compile with "
                "loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True).")
        fail(name, case, text, hint)
    if not any("acc" in key for key in result):
        fail(name, case, f"the compiled model reports only {sorted(result)}.",
             "add the accuracy to the training log: `model.compile(..., metrics=[\"accuracy\"])`.")
    outputs = _numpy(model(x, training=False)).astype(np.float64)
    logits = outputs - outputs.max(axis=1, keepdims=True)
    log_softmax = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    expected = -log_softmax[np.arange(4), y].mean()
    if not np.isclose(result["loss"], expected, rtol=1e-3, atol=1e-4):
        hint = ("the last Dense layer outputs logits (no softmax), so the loss needs from_logits=True: "
                "`keras.losses.SparseCategoricalCrossentropy(from_logits=True)`.")
        fail(name, case, f"the compiled loss on 4 images is {result['loss']:.4f}; the cross-entropy of the "
             f"model's logits is {expected:.4f}.", hint)


def build_cnn_case(func: Callable, input_shape: Sequence[int], num_classes: int,
                   layers: Sequence[tuple[str, tuple]], params: int, *, case: str,
                   name: str = "build_cnn") -> None:
    """Check one case of ``build_cnn(input_shape, num_classes)`` against a layer table.

    layers: (layer type, output shape) per layer after the input; params: total parameters.
    """
    keras = _keras()
    model = call(name, func, tuple(input_shape), num_classes, case=case)
    if model is None:
        fail(name, case, "your function returned None.", "did you forget `return model`?")
    if not isinstance(model, keras.Model):
        fail(name, case, f"expected a keras.Model, got {type(model).__name__}",
             "build a `keras.Sequential([keras.Input(input_shape), ...])` and return it.")
    if not model.built or not model.inputs:
        fail(name, case, "the model does not know its input shape.",
             "start the Sequential list with `keras.Input(shape=input_shape)`.")
    got_input = tuple(model.inputs[0].shape)
    if got_input != (None, *input_shape):
        fail(name, case, f"expected input shape {(None, *input_shape)}\ngot input shape      {got_input}",
             "use the input_shape argument: `keras.Input(shape=input_shape)`, not a fixed (32, 32, 3).")
    kinds = [_layer_kind(layer) for layer in model.layers]
    want_kinds = [kind for kind, _ in layers]
    shapes = [tuple(layer.output.shape) for layer in model.layers]
    final = tuple(model.outputs[0].shape)
    if len(final) == 4 and "Flatten" not in kinds:
        fail(name, case, f"the model's output has shape {final}: one prediction per pixel, not per image.",
             "put a `Flatten()` between the last pooling layer and the Dense layer.")
    if final != layers[-1][1]:
        fail(name, case, f"expected output shape {layers[-1][1]}\ngot output shape      {final}",
             "the last layer is `Dense(num_classes)`: one score per class.")
    if kinds != want_kinds:
        fail(name, case, f"expected the layers {want_kinds}\ngot the layers      {kinds}",
             "follow the table above, one layer per row, in that order (keras.Input is not a layer here).")
    for i, (layer, shape, (kind, want)) in enumerate(zip(model.layers, shapes, layers)):
        if shape != want:
            if kind == "Conv2D" and shape[1:3] != want[1:3]:
                hint = "use padding=\"same\": it keeps height and width (with stride 1)."
            elif kind == "Conv2D":
                hint = "the number of filters is the number of output channels."
            elif kind == "MaxPooling2D":
                hint = "a 2×2 max pool with stride 2 halves height and width: `MaxPool2D(2)`."
            else:
                hint = "check this row of the table."
            fail(name, f"{case}, layer {i + 1} ({kind})",
                 f"expected output shape {want}\ngot output shape      {shape}", hint)
    for i, layer in enumerate(model.layers):
        if _layer_kind(layer) == "Conv2D":
            if _activation(layer) != "relu":
                fail(name, case, f"layer {i + 1} (Conv2D) has activation {_activation(layer)!r}.",
                     "every Conv2D is followed by a ReLU: `Conv2D(..., activation=\"relu\")`. Without it, "
                     "stacked convolutions collapse into one linear map (exercise 2).")
            if tuple(layer.kernel_size) != (3, 3):
                fail(name, case, f"layer {i + 1} (Conv2D) has kernel_size {tuple(layer.kernel_size)}.",
                     "every convolution in the table is 3×3: `kernel_size=3`.")
        if _layer_kind(layer) == "Dense" and _activation(layer) != "linear":
            fail(name, case, f"the last Dense layer has activation {_activation(layer)!r}.",
                 "the last layer gives one unconstrained score (logit) per class: no activation; "
                 "the loss applies the softmax (from_logits=True).")
        if _layer_kind(layer) == "Dropout" and not np.isclose(layer.rate, 0.5):
            fail(name, case, f"the Dropout rate is {layer.rate}.", "use `Dropout(0.5)`, as in the table.")
    if model.count_params() != params:
        fail(name, case, f"expected {params:,} parameters\ngot      {model.count_params():,}",
             "a Conv2D layer has (3·3·in_channels + 1)·filters parameters; do the Conv2D layers keep "
             "their biases (use_bias=True)?")
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        fail(name, case, "the model is not compiled.",
             "call `model.compile(optimizer=..., loss=..., metrics=[\"accuracy\"])` before returning it.")
    _loss_check(name, model, num_classes, input_shape, case)


def build_cnn(func: Callable) -> None:
    """Check ``build_cnn(input_shape=(32, 32, 3), num_classes=10) -> compiled keras.Model``."""
    require_function("build_cnn", func)
    build_cnn_case(func, (32, 32, 3), 10, CNN_LAYERS, CNN_PARAMS,
                   case="input_shape=(32, 32, 3), num_classes=10 (the table above)")
    passed("build_cnn", 1)
