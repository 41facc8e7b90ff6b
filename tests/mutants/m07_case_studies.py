"""Plausible wrong answers for notebook 7, each with a fragment its message must contain.

MUTANTS maps the grade_id of an answer cell to a list of wrong versions; the
test cell ``<grade_id>_test`` must fail on each, with a message that helps.
PRELUDE is run before the answer cells outside the notebook (they use Keras).
"""

PRELUDE = """\
from cnnlab import runtime
runtime.quiet_tensorflow()
import keras
from keras import layers
"""

_LENET_C5_DENSE = """\
def build_lenet5(input_shape=(32, 32, 1), num_classes=10):
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(6, 5, activation="relu"),
        layers.MaxPool2D(2),
        layers.Conv2D(16, 5, activation="relu"),
        layers.MaxPool2D(2),
        layers.Flatten(),
        layers.Dense(120, activation="relu"),
        layers.Dense(84, activation="relu"),
        layers.Dense(num_classes, activation="softmax"),
    ])
"""

_LENET = """\
def build_lenet5(input_shape=(32, 32, 1), num_classes=10):
    return keras.Sequential([
        keras.Input(shape={shape}),
        layers.Conv2D(6, 5, activation="relu"{pad}),
        layers.MaxPool2D(2),
        layers.Conv2D(16, 5, activation="relu"),
        layers.MaxPool2D(2),
        layers.Conv2D(120, 5, activation="relu"),
        layers.Flatten(),
        layers.Dense(84, activation="relu"),
        layers.Dense(num_classes{out}),
    ])
"""

_INCEPTION = """\
def inception_params(c_in, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj, reductions=True):
    def conv(f, c, k):
        return {conv}
    if {reduce}:
        return (conv(1, c_in, n1x1) + conv(1, c_in, n3x3_reduce) + conv(3, {c3}, n3x3)
                + conv(1, c_in, n5x5_reduce) + conv(5, {c5}, n5x5) + conv(1, c_in, pool_proj))
    return conv(1, c_in, n1x1) + conv(3, c_in, n3x3) + conv(5, c_in, n5x5){pool}
"""
_INCEPTION_OK = dict(conv="(f * f * c + 1) * k", reduce="reductions", c3="n3x3_reduce", c5="n5x5_reduce", pool="")

_BN = """\
def batchnorm_forward(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, epsilon=1e-3):
    axes = {axes}
    if {use_batch}:
        mean, var = x.mean(axis=axes), x.var(axis=axes{ddof})
        new_mean = {new_mean}
        new_var = {new_var}
    else:
        mean, var = moving_mean, moving_var
        new_mean, new_var = moving_mean, moving_var
    if {use_moving}:
        mean, var = moving_mean, moving_var
    return gamma * (x - mean) / np.sqrt(var + epsilon) + beta, new_mean, new_var
"""
_BN_OK = dict(axes="tuple(range(x.ndim - 1))", use_batch="training", ddof="", use_moving="False",
              new_mean="momentum * moving_mean + (1 - momentum) * mean",
              new_var="momentum * moving_var + (1 - momentum) * var")

_BLOCK = """\
def residual_block(x, filters):
    y = layers.Conv2D(filters, 3, padding="{pad}")(x)
    y = layers.BatchNormalization()(y)
    y = layers.Activation("relu")(y)
    y = layers.Conv2D(filters, 3, padding="{pad}")(y)
    y = layers.BatchNormalization()(y)
    shortcut = x
    if {project}:
        shortcut = layers.Conv2D(filters, 1)(x)
        shortcut = layers.BatchNormalization()(shortcut)
    {out}
"""
_BLOCK_OK = dict(pad="same", project="x.shape[-1] != filters",
                 out='return layers.Activation("relu")(layers.Add()([y, shortcut]))')

MUTANTS = {
    "build_lenet5": [
        {"why": "C5 as Flatten + Dense(120), the common PyTorch version", "expect": "C5 is a convolution",
         "source": _LENET_C5_DENSE},
        {"why": "pads C1 to keep 32×32", "expect": "no padding",
         "source": _LENET.format(shape="input_shape", pad=', padding="same"', out=', activation="softmax"')},
        {"why": "hard-codes the MNIST input shape", "expect": "use the input_shape argument",
         "source": _LENET.format(shape="(32, 32, 1)", pad="", out=', activation="softmax"')},
        {"why": "no softmax on the output layer", "expect": "softmax",
         "source": _LENET.format(shape="input_shape", pad="", out="")},
    ],
    "majority_vote": [
        {"why": "averages the labels", "expect": "categories",
         "source": ("def majority_vote(predictions):\n"
                    "    return np.round(predictions.mean(axis=0)).astype(int)\n")},
        {"why": "votes along the wrong axis", "expect": "axis 0",
         "source": ("def majority_vote(predictions):\n"
                    "    return np.array([np.bincount(row).argmax() for row in predictions])\n")},
        {"why": "Counter.most_common breaks ties by first occurrence", "expect": "smallest label",
         "source": ("from collections import Counter\n"
                    "def majority_vote(predictions):\n"
                    "    return np.array([Counter(col.tolist()).most_common(1)[0][0] for col in predictions.T])\n")},
    ],
    "inception_params": [
        {"why": "forgets the biases", "expect": "bias",
         "source": _INCEPTION.format(**{**_INCEPTION_OK, "conv": "f * f * c * k"})},
        {"why": "3×3 and 5×5 on all input channels even with reductions", "expect": "reduce layers",
         "source": _INCEPTION.format(**{**_INCEPTION_OK, "c3": "c_in", "c5": "c_in"})},
        {"why": "keeps the pooling projection without reductions", "expect": "max pooling has no weights",
         "source": _INCEPTION.format(**{**_INCEPTION_OK, "pool": " + conv(1, c_in, pool_proj)"})},
    ],
    "batchnorm_forward": [
        {"why": "uses the batch statistics in inference mode too", "expect": "moving averages, not the batch",
         "source": _BN.format(**{**_BN_OK, "use_batch": "True"})},
        {"why": "normalises with the moving averages in training mode", "expect": "THIS batch",
         "source": _BN.format(**{**_BN_OK, "use_moving": "True"})},
        {"why": "normalises each position over the batch only (axis 0)", "expect": "ALL the other axes",
         "source": _BN.format(**{**_BN_OK, "axes": "0"})},
        {"why": "the unbiased variance (ddof=1)", "expect": "ddof=1",
         "source": _BN.format(**{**_BN_OK, "ddof": ", ddof=1"})},
        {"why": "momentum on the batch statistic", "expect": "weight of the OLD",
         "source": _BN.format(**{**_BN_OK, "new_mean": "(1 - momentum) * moving_mean + momentum * mean",
                                 "new_var": "(1 - momentum) * moving_var + momentum * var"})},
        {"why": "forgets to update the moving averages", "expect": "updates the moving averages",
         "source": _BN.format(**{**_BN_OK, "new_mean": "moving_mean", "new_var": "moving_var"})},
    ],
    "residual_block": [
        {"why": "no shortcut at all (a plain block)", "expect": "Add the shortcut",
         "source": _BLOCK.format(**{**_BLOCK_OK, "out": 'return layers.Activation("relu")(y)'})},
        {"why": "no projection when the channels change", "expect": "projection",
         "source": _BLOCK.format(**{**_BLOCK_OK, "project": "False"})},
        {"why": "no ReLU after the addition", "expect": "ReLU after the addition",
         "source": _BLOCK.format(**{**_BLOCK_OK, "out": "return layers.Add()([y, shortcut])"})},
        {"why": "valid padding: the branch shrinks", "expect": "padding='same'",
         "source": _BLOCK.format(**{**_BLOCK_OK, "pad": "valid"})},
    ],
}
