"""Plausible wrong answers for notebook 11 (the capstone), each with a fragment its message must contain.

MUTANTS maps the grade_id of an answer cell to a list of wrong versions; the test cell
``<grade_id>_test`` must fail on each, with a message that helps. The first one is the
round trip's "wrong" student: its build_model is not the model of the submitted files either.
PRELUDE is run before the answer cells outside the notebook (Keras, imported quietly).
"""

PRELUDE = (
    "from cnnlab import runtime; runtime.quiet_tensorflow(); import keras\n"
    "from keras import layers\n"
    "import numpy as np\n"
)

_HEAD = "EPOCHS = 10\nBATCH_SIZE = 64\n\n\ndef build_model():\n    model = keras.Sequential([\n        keras.Input(shape=(32, 32, 3)),\n"
_BODY = (
    "        layers.Conv2D(32, 3, padding='same', activation='relu'), layers.MaxPool2D(2),\n"
    "        layers.Conv2D(64, 3, padding='same', activation='relu'), layers.MaxPool2D(2),\n"
)
_COMPILE = (
    "    model.compile(optimizer='adam', loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
    "                  metrics=['accuracy'])\n"
    "    return model\n"
)

MUTANTS = {
    "build_model": [
        {"why": "scales the pixels with a Lambda layer, which safe mode refuses to load",
         "expect": "built-in Keras layers only",
         "source": _HEAD + "        layers.Lambda(lambda x: x / 255.0),\n" + _BODY
                   + "        layers.Flatten(), layers.Dense(10),\n    ])\n" + _COMPILE},
        {"why": "forgets the classifier: the last layer gives 64 features, not 10 class scores",
         "expect": "layers.Dense(10)",
         "source": _HEAD + "        layers.Rescaling(1 / 255),\n" + _BODY
                   + "        layers.GlobalAveragePooling2D(),\n    ])\n" + _COMPILE},
        {"why": "returns the model without compiling it",
         "expect": "compile it inside build_model",
         "source": _HEAD + "        layers.Rescaling(1 / 255),\n" + _BODY
                   + "        layers.Flatten(), layers.Dense(10),\n    ])\n    return model\n"},
        {"why": "builds for grey images",
         "expect": "keras.Input(shape=(32, 32, 3))",
         "source": _HEAD.replace("(32, 32, 3)", "(32, 32, 1)") + "        layers.Rescaling(1 / 255),\n" + _BODY
                   + "        layers.Flatten(), layers.Dense(10),\n    ])\n" + _COMPILE},
    ],
}
