"""Plausible wrong answers for notebook 6, each with a fragment its message must contain.

MUTANTS maps the grade_id of an answer cell to a list of wrong versions; the
test cell ``<grade_id>_test`` must fail on each, with a message that helps.
PRELUDE is run before the answer cells outside the notebook (Keras, imported quietly).
"""

PRELUDE = (
    "from cnnlab import runtime; runtime.quiet_tensorflow(); import keras\n"
    "from keras import layers\n"
)

_CNN_HEAD = (
    "def build_cnn(input_shape=(32, 32, 3), num_classes=10, learning_rate=1e-3):\n"
    "    model = keras.Sequential([\n"
    "        keras.Input(shape=input_shape),\n"
)
_CNN_COMPILE = (
    "    ])\n"
    "    model.compile(optimizer=keras.optimizers.Adam(learning_rate),\n"
    "                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=['accuracy'])\n"
    "    return model\n"
)
_BLOCKS_SAME = (
    "        layers.Conv2D(32, 3, padding='same', activation='relu'), layers.MaxPool2D(2),\n"
    "        layers.Conv2D(64, 3, padding='same', activation='relu'), layers.MaxPool2D(2),\n"
    "        layers.Conv2D(128, 3, padding='same', activation='relu'), layers.MaxPool2D(2),\n"
)


def _cnn(body: str, compile_: str = _CNN_COMPILE) -> str:
    return _CNN_HEAD + body + compile_


def _occlusion(square: str = "batch[n, i * stride:i * stride + patch, j * stride:j * stride + patch, :] = fill",
               result: str = "(p[0] - p[1:]).reshape(rows, cols)", rows: str = "(H - patch) // stride + 1",
               positions: str = "np.ndindex(rows, cols)") -> str:
    """A batched occlusion_map whose covered square, result or number of positions is changed."""
    return ("def occlusion_map(predict, image, label, patch=8, stride=4, fill=0.0):\n"
            "    H, W, _ = image.shape\n"
            f"    rows = {rows}\n"
            f"    cols = {rows.replace('H', 'W')}\n"
            "    batch = np.repeat(np.asarray(image, dtype=np.float64)[None], rows * cols + 1, axis=0)\n"
            f"    for n, (i, j) in enumerate({positions}, start=1):\n"
            f"        {square}\n"
            "    p = np.asarray(predict(batch))[:, label]\n"
            f"    return {result}\n")


MUTANTS = {
    "make_conv_layer": [
        {"why": "calls set_weights on a layer that was never built", "expect": "layer.build",
         "source": ("def make_conv_layer(w, b, stride=1, padding='valid'):\n"
                    "    layer = layers.Conv2D(w.shape[3], w.shape[:2], strides=stride, padding=padding)\n"
                    "    layer.set_weights([w, b])\n"
                    "    return layer\n")},
        {"why": "uses the input channels as the number of filters", "expect": "filters = w.shape[3]",
         "source": ("def make_conv_layer(w, b, stride=1, padding='valid'):\n"
                    "    layer = layers.Conv2D(w.shape[2], w.shape[:2], strides=stride, padding=padding,\n"
                    "                          use_bias=b is not None)\n"
                    "    layer.build((None, None, None, w.shape[2]))\n"
                    "    layer.set_weights([w] if b is None else [w, b])\n"
                    "    return layer\n")},
        {"why": "flips the kernel as for a textbook convolution", "expect": "flipped the kernel",
         "source": ("def make_conv_layer(w, b, stride=1, padding='valid'):\n"
                    "    layer = layers.Conv2D(w.shape[3], w.shape[:2], strides=stride, padding=padding,\n"
                    "                          use_bias=b is not None)\n"
                    "    layer.build((None, None, None, w.shape[2]))\n"
                    "    w = w[::-1, ::-1]\n"
                    "    layer.set_weights([w] if b is None else [w, b])\n"
                    "    return layer\n")},
        {"why": "ignores the stride", "expect": "strides=stride",
         "source": ("def make_conv_layer(w, b, stride=1, padding='valid'):\n"
                    "    layer = layers.Conv2D(w.shape[3], w.shape[:2], padding=padding, use_bias=b is not None)\n"
                    "    layer.build((None, None, None, w.shape[2]))\n"
                    "    layer.set_weights([w] if b is None else [w, b])\n"
                    "    return layer\n")},
        {"why": "adds a ReLU to the layer", "expect": "no activation",
         "source": ("def make_conv_layer(w, b, stride=1, padding='valid'):\n"
                    "    layer = layers.Conv2D(w.shape[3], w.shape[:2], strides=stride, padding=padding,\n"
                    "                          activation='relu', use_bias=b is not None)\n"
                    "    layer.build((None, None, None, w.shape[2]))\n"
                    "    layer.set_weights([w] if b is None else [w, b])\n"
                    "    return layer\n")},
        {"why": "square kernels only (kernel_size = w.shape[0])", "expect": "need not be square",
         "source": ("def make_conv_layer(w, b, stride=1, padding='valid'):\n"
                    "    layer = layers.Conv2D(w.shape[3], w.shape[0], strides=stride, padding=padding,\n"
                    "                          use_bias=b is not None)\n"
                    "    layer.build((None, None, None, w.shape[2]))\n"
                    "    layer.set_weights([w] if b is None else [w, b])\n"
                    "    return layer\n")},
        {"why": "keeps a zero bias when b is None", "expect": "use_bias=False",
         "source": ("def make_conv_layer(w, b, stride=1, padding='valid'):\n"
                    "    layer = layers.Conv2D(w.shape[3], w.shape[:2], strides=stride, padding=padding)\n"
                    "    layer.build((None, None, None, w.shape[2]))\n"
                    "    layer.set_weights([w, np.zeros(w.shape[3]) if b is None else b])\n"
                    "    return layer\n")},
    ],
    "merge_linear_convs": [
        {"why": "uses correlate2d, which flips the kernels", "expect": "FULL CONVOLUTION",
         "source": ("from scipy import signal\n"
                    "def merge_linear_convs(k1, k2):\n"
                    "    return signal.correlate2d(k1, k2, mode='full')\n")},
        {"why": "multiplies the kernels element-wise (same size as the inputs)", "expect": "window of the input",
         "source": "def merge_linear_convs(k1, k2):\n    return k1 * k2\n"},
    ],
    "build_cnn": [
        {"why": "forgets Flatten before the Dense layer", "expect": "Flatten",
         "source": _cnn(_BLOCKS_SAME + "        layers.Dropout(0.5), layers.Dense(num_classes),\n")},
        {"why": "keeps the default padding='valid'", "expect": "padding=\"same\"",
         "source": _cnn("        layers.Conv2D(32, 3, activation='relu'), layers.MaxPool2D(2),\n"
                        "        layers.Conv2D(64, 3, activation='relu'), layers.MaxPool2D(2),\n"
                        "        layers.Conv2D(128, 3, activation='relu'), layers.MaxPool2D(2),\n"
                        "        layers.Flatten(), layers.Dropout(0.5), layers.Dense(num_classes),\n")},
        {"why": "forgets the ReLU activations", "expect": "activation=\"relu\"",
         "source": _cnn("        layers.Conv2D(32, 3, padding='same'), layers.MaxPool2D(2),\n"
                        "        layers.Conv2D(64, 3, padding='same'), layers.MaxPool2D(2),\n"
                        "        layers.Conv2D(128, 3, padding='same'), layers.MaxPool2D(2),\n"
                        "        layers.Flatten(), layers.Dropout(0.5), layers.Dense(num_classes),\n")},
        {"why": "categorical cross-entropy with integer labels", "expect": "not one-hot",
         "source": _cnn(_BLOCKS_SAME + "        layers.Flatten(), layers.Dropout(0.5), layers.Dense(num_classes),\n",
                        "    ])\n"
                        "    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])\n"
                        "    return model\n")},
        {"why": "logits with a loss that expects probabilities (from_logits=False)", "expect": "from_logits=True",
         "source": _cnn(_BLOCKS_SAME + "        layers.Flatten(), layers.Dropout(0.5), layers.Dense(num_classes),\n",
                        "    ])\n"
                        "    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
                        "    return model\n")},
        {"why": "hard-codes the input shape and the number of classes", "expect": "input_shape",
         "source": ("def build_cnn(input_shape=(32, 32, 3), num_classes=10, learning_rate=1e-3):\n"
                    "    model = keras.Sequential([\n"
                    "        keras.Input(shape=(32, 32, 3)),\n" + _BLOCKS_SAME +
                    "        layers.Flatten(), layers.Dropout(0.5), layers.Dense(10),\n" + _CNN_COMPILE)},
        {"why": "returns the model without compiling it", "expect": "not compiled",
         "source": _cnn(_BLOCKS_SAME + "        layers.Flatten(), layers.Dropout(0.5), layers.Dense(num_classes),\n",
                        "    ])\n    return model\n")},
        {"why": "a ReLU on the last Dense layer", "expect": "no activation",
         "source": _cnn(_BLOCKS_SAME + "        layers.Flatten(), layers.Dropout(0.5),\n"
                        "        layers.Dense(num_classes, activation='relu'),\n")},
    ],    "occlusion_map": [
        {"why": "returns the occluded probability instead of its drop", "expect": "DROPS",
         "source": _occlusion(result="p[1:].reshape(rows, cols)")},
        {"why": "subtracts the other way round", "expect": "sign is reversed",
         "source": _occlusion(result="(p[1:] - p[0]).reshape(rows, cols)")},
        {"why": "moves the square by patch instead of stride", "expect": "not by `patch`",
         "source": _occlusion(square="batch[n, i * patch:i * patch + patch, j * patch:j * patch + patch, :] = fill",
                              rows="(H - patch) // patch + 1")},
        {"why": "covers the first channel only", "expect": "every channel",
         "source": _occlusion(square="batch[n, i * stride:i * stride + patch, j * stride:j * stride + patch, 0] = fill")},
        {"why": "covers with 0 whatever fill is", "expect": "`fill`",
         "source": _occlusion(square="batch[n, i * stride:i * stride + patch, j * stride:j * stride + patch, :] = 0")},
        {"why": "keeps squares that do not fit (rounds the number of positions up)", "expect": "does not fit",
         "source": _occlusion(rows="-(-(H - patch) // stride) + 1")},
        {"why": "covers the caller's image in place, one square after another", "expect": "changed one of its input arrays",
         "source": ("def occlusion_map(predict, image, label, patch=8, stride=4, fill=0.0):\n"
                    "    H, W, _ = image.shape\n"
                    "    rows, cols = (H - patch) // stride + 1, (W - patch) // stride + 1\n"
                    "    p0 = predict(image[None])[0, label]\n"
                    "    out = np.zeros((rows, cols))\n"
                    "    for i, j in np.ndindex(rows, cols):\n"
                    "        image[i * stride:i * stride + patch, j * stride:j * stride + patch] = fill\n"
                    "        out[i, j] = p0 - predict(image[None])[0, label]\n"
                    "    return out\n")},
    ],
}
