"""Plausible wrong answers for notebook 9, each with a fragment its message must contain.

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

_TRANSFER = """\
def build_transfer_model(base, num_classes):
    {freeze}
    inputs = keras.Input(shape=base.inputs[0].shape[1:])
    x = {call}
    x = layers.{pool}()(x)
    outputs = layers.Dense({units}, activation="{act}")(x)
    return keras.Model(inputs, outputs)
"""
_TRANSFER_OK = dict(freeze="base.trainable = False", call="base(inputs, training=False)",
                    pool="GlobalAveragePooling2D", units="num_classes", act="softmax")

_FEATURES = """\
def extract_features(base, images, batch_size=256):
    {body}
"""

_UNFREEZE = """\
def unfreeze_top(base, n_layers):
    {switch}
    weighted = [layer for layer in {pool} if layer.weights{bn}]
    top = weighted[{top}]
    for layer in base.layers:
        layer.trainable = layer in top
    return base
"""
_UNFREEZE_OK = dict(switch="base.trainable = True", pool="base.layers",
                    bn=" and not isinstance(layer, layers.BatchNormalization)", top="len(weighted) - n_layers:")

MUTANTS = {
    "build_transfer_model": [
        {"why": "leaves the base trainable", "expect": "base.trainable = False",
         "source": _TRANSFER.format(**{**_TRANSFER_OK, "freeze": "pass"})},
        {"why": "Flatten instead of global average pooling", "expect": "you used Flatten",
         "source": _TRANSFER.format(**{**_TRANSFER_OK, "pool": "Flatten"})},
        {"why": "a two-class head whatever num_classes is", "expect": "one unit per class",
         "source": _TRANSFER.format(**{**_TRANSFER_OK, "units": "2"})},
        {"why": "ReLU on the output layer", "expect": "not probabilities",
         "source": _TRANSFER.format(**{**_TRANSFER_OK, "act": "relu"})},
        {"why": "no pooling: Dense on the 4-D feature map", "expect": "GlobalAveragePooling2D",
         "source": _TRANSFER.format(**{**_TRANSFER_OK, "pool": "Identity"})},
    ],
    "extract_features": [
        {"why": "returns the 4-D feature map", "expect": "average each channel",
         "source": _FEATURES.format(body="return base.predict(images, batch_size=batch_size, verbose=0)")},
        {"why": "predict with its progress bar", "expect": "verbose=0",
         "source": _FEATURES.format(body="return base.predict(images, batch_size=batch_size).mean(axis=(1, 2))")},
        {"why": "training mode: BatchNorm uses the batch's statistics", "expect": "training mode",
         "source": _FEATURES.format(
             body="return np.asarray(base(images, training=True)).mean(axis=(1, 2)).astype(np.float32)")},
        {"why": "flattens the feature map", "expect": "you flattened",
         "source": _FEATURES.format(
             body="maps = base.predict(images, batch_size=batch_size, verbose=0)\n"
                  "    return maps.reshape(len(maps), -1)")},
        {"why": "float64 features", "expect": "float32",
         "source": _FEATURES.format(
             body="return base.predict(images, batch_size=batch_size, verbose=0).mean(axis=(1, 2), dtype=np.float64)")},
    ],
    "unfreeze_top": [
        {"why": "unfreezes BatchNormalization layers too", "expect": "BatchNormalization layers are trainable",
         "source": _UNFREEZE.format(**{**_UNFREEZE_OK, "bn": ""})},
        {"why": "unfreezes the bottom layers", "expect": "bottom layers",
         "source": _UNFREEZE.format(**{**_UNFREEZE_OK, "top": ":n_layers"})},
        {"why": "counts layers without weights", "expect": "without weights",
         "source": _UNFREEZE.format(**{**_UNFREEZE_OK, "pool": "base.layers[-n_layers:]", "top": ":"})},
        {"why": "forgets base.trainable = True", "expect": "base.trainable is still False",
         "source": _UNFREEZE.format(**{**_UNFREEZE_OK, "switch": "pass"})},
        {"why": "unfreezes the whole base", "expect": "every layer is trainable",
         "source": "def unfreeze_top(base, n_layers):\n    base.trainable = True\n    return base\n"},
    ],
}
