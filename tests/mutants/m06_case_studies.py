"""Plausible wrong answers for notebook 6, each with a fragment its message must contain.

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

_MNIST = """\
def build_mnist_cnn(input_shape=(28, 28, 1), num_classes=10):
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(10, 5{conv1}),
        layers.{pool}(2),
        layers.Conv2D(20, 5, activation="relu"),
        layers.MaxPool2D(2),
        layers.Flatten(),
        layers.Dense(100, activation="relu"),
        layers.Dense({out}, activation="softmax"),
    ])
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

_ALEXNET = """\
def build_alexnet(input_shape=(227, 227, 3), num_classes=1000, groups=1):
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(96, 11, strides=4, activation="relu"),
        layers.MaxPool2D(pool_size={pool}, strides=2),
        {norm1}
        layers.Conv2D(256, 5, padding="{pad2}", groups={g2}, activation="relu"),
        layers.MaxPool2D(pool_size={pool}, strides=2),
        layers.BatchNormalization(),
        layers.Conv2D(384, 3, padding="same", groups={g3}, activation="relu"),
        layers.Conv2D(384, 3, padding="same", groups={g4}, activation="relu"),
        layers.Conv2D(256, 3, padding="same", groups={g4}, activation="relu"),
        layers.MaxPool2D(pool_size={pool}, strides=2),
        layers.Flatten(),
        layers.Dense(4096, activation="relu"),
        layers.Dense(4096, activation="relu"),
        layers.Dense(num_classes, activation="softmax"),
    ])
"""
_ALEXNET_OK = dict(pool=3, norm1="layers.BatchNormalization(),", pad2="same", g2="groups", g3=1, g4="groups")

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
    "build_mnist_cnn": [
        {"why": "copies the slide's typo: 100 output units", "expect": "typo",
         "source": _MNIST.format(conv1=', activation="relu"', pool="MaxPool2D", out=100)},
        {"why": "pads the first convolution (28×28 output)", "expect": "padding='valid'",
         "source": _MNIST.format(conv1=', padding="same", activation="relu"', pool="MaxPool2D", out="num_classes")},
        {"why": "forgets the first activation", "expect": "no activation",
         "source": _MNIST.format(conv1="", pool="MaxPool2D", out="num_classes")},
        {"why": "average pooling instead of max pooling", "expect": "maximum",
         "source": _MNIST.format(conv1=', activation="relu"', pool="AveragePooling2D", out="num_classes")},
    ],
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
    "build_alexnet": [
        {"why": "ignores groups (one-GPU network every time)", "expect": "pass groups=groups",
         "source": _ALEXNET.format(**{**_ALEXNET_OK, "g2": 1, "g4": 1})},
        {"why": "2×2 pooling windows", "expect": "overlap",
         "source": _ALEXNET.format(**{**_ALEXNET_OK, "pool": 2})},
        {"why": "no padding in CONV2", "expect": "padding='same'",
         "source": _ALEXNET.format(**{**_ALEXNET_OK, "pad2": "valid"})},
        {"why": "leaves NORM1 out", "expect": "BatchNormalization() in the same place",
         "source": _ALEXNET.format(**{**_ALEXNET_OK, "norm1": ""})},
        {"why": "splits CONV3 too", "expect": "CONV3 is not split",
         "source": _ALEXNET.format(**{**_ALEXNET_OK, "g3": "groups"})},
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
