"""Benchmark: accuracy per CPU-second of the course's CNNs against the TensorFlow CNN tutorial's, on CIFAR-10.

Usage: ``CNNLAB_DATA=../shared/data python bench/train.py [--epochs 9] [--recipe course|tutorial]``
(or online, without CNNLAB_DATA).

From one run, on the same CIFAR-10 subset (5,000 training and 1,000 test images, stratified, seed 0),
it trains three architectures the same way and prints, for each, the test accuracy, the wall time and
CPU time of training, the accuracy per CPU-second, and that figure as a ratio against the tutorial's:

* notebook 6's CNN: ``build_cnn`` from ``solutions/06_keras_cnn.ipynb`` (recompiled with the recipe);
* LeNet-5: ``build_lenet5`` from ``solutions/07_case_studies.ipynb``;
* the TensorFlow CNN tutorial's network (https://www.tensorflow.org/tutorials/images/cnn):
  Conv 32 → pool → Conv 64 → pool → Conv 64 → Flatten → Dense 64 → Dense 10, 122,570 weights.

Recipes (the same for all three models in a run):

* ``course`` (default), the one notebooks 6 and 7 use: pixels standardised per colour channel,
  Adam with a learning rate decaying from 0.002 to 0 along a cosine, batches of 64;
* ``tutorial``, the tutorial's own: pixels divided by 255, Adam at 0.001, batches of 32.

CPU time is this process's (all threads); the machine may be shared, so the script prints the load
average before and after: re-run when it is low. The goal is to beat the tutorial's accuracy per
CPU-second (ratio > 1).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from cnnlab import datasets, runtime, training
from cnnlab.grade import grading

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
CHANCE = 0.1  # ten classes

PRELUDE = """\
from cnnlab import runtime
runtime.quiet_tensorflow()
import keras
from keras import layers
"""


def tutorial_cnn(keras, input_shape=(32, 32, 3), num_classes=10):
    """The TensorFlow CNN tutorial's network; the last layer outputs logits."""
    layers = keras.layers
    return keras.Sequential([
        keras.Input(shape=input_shape),
        layers.Conv2D(32, 3, activation="relu"),
        layers.MaxPool2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.MaxPool2D(2),
        layers.Conv2D(64, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(num_classes),
    ], name="tf_tutorial_cnn")


def builders(keras) -> dict:
    """name → function(input_shape, num_classes) returning a Keras model, for every model found."""
    found = {}
    nb5 = SOLUTIONS / "06_keras_cnn.ipynb"
    if nb5.is_file():
        build_cnn = grading.answer_namespace(nb5, prelude=PRELUDE, np=np)["build_cnn"]
        found["notebook 6 CNN"] = lambda shape, n: build_cnn(shape, n)
    else:
        print(f"{nb5} not found: notebook 6's CNN is left out.")
    found["LeNet-5"] = grading.answer_namespace(SOLUTIONS / "07_case_studies.ipynb", prelude=PRELUDE,
                                                np=np)["build_lenet5"]
    found["TF tutorial CNN"] = lambda shape, n: tutorial_cnn(keras, shape, n)
    return found


def prepare(data, recipe: str):
    x_train = data.x_train.astype(np.float32) / 255
    x_test = data.x_test.astype(np.float32) / 255
    if recipe == "course":
        mean, std = x_train.mean(axis=(0, 1, 2)), x_train.std(axis=(0, 1, 2))
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    return x_train, x_test


def compile_with(keras, model, recipe: str, epochs: int, n_train: int) -> int:
    """Compile ``model`` with the recipe (keeping its output: logits or softmax); return the batch size."""
    batch_size = 64 if recipe == "course" else 32
    if recipe == "course":
        steps = epochs * int(np.ceil(n_train / batch_size))
        learning_rate = keras.optimizers.schedules.CosineDecay(0.002, decay_steps=steps)
    else:
        learning_rate = 0.001
    last = model.layers[-1]
    logits = getattr(getattr(last, "activation", None), "__name__", "linear") != "softmax"
    model.compile(optimizer=keras.optimizers.Adam(learning_rate),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=logits),
                  metrics=["accuracy"])
    return batch_size


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--epochs", type=int, default=9, help="epochs for every model (default 9, as notebook 6 trains)")
    parser.add_argument("--recipe", choices=("course", "tutorial"), default="course",
                        help="training recipe, the same for every model (default: course)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    runtime.quiet_tensorflow()
    import keras

    data = datasets.load_cifar10(n_train=5000, n_test=1000, seed=0)
    x_train, x_test = prepare(data, args.recipe)
    print(data.source)
    print(f"recipe {args.recipe!r}, {args.epochs} epochs, seed {args.seed}; {os.cpu_count()} CPUs; "
          f"load average before: {os.getloadavg()[0]:.2f}\n")

    results = {}
    for name, build in builders(keras).items():
        training.seed(args.seed)
        model = build((32, 32, 3), 10)
        batch_size = compile_with(keras, model, args.recipe, args.epochs, len(x_train))
        history = training.fit(model, x_train, data.y_train, epochs=args.epochs, batch_size=batch_size,
                               seed=args.seed, log=False)
        start = time.perf_counter()
        accuracy = float(np.mean(model.predict(x_test, verbose=0).argmax(axis=1) == data.y_test))
        results[name] = dict(weights=model.count_params(), accuracy=accuracy, wall=history.seconds,
                             cpu=history.cpu_seconds, predict=time.perf_counter() - start)
        print(f"{name}: trained in {history.seconds:.1f} s wall, {history.cpu_seconds:.1f} s CPU; "
              f"test accuracy {accuracy:.1%}", flush=True)

    ref = results["TF tutorial CNN"]
    ref_rate = ref["accuracy"] / ref["cpu"]
    print(f"\nload average after: {os.getloadavg()[0]:.2f}")
    ref_above = (ref["accuracy"] - CHANCE) / ref["cpu"]
    print(f"{'model':<17}{'weights':>9}{'test acc.':>11}{'wall s':>8}{'CPU s':>8}"
          f"{'points/CPU-s':>14}{'vs tutorial':>13}{'above chance':>14}")
    for name, r in results.items():
        rate = r["accuracy"] / r["cpu"]
        above = (r["accuracy"] - CHANCE) / r["cpu"]
        print(f"{name:<17}{r['weights']:>9,}{r['accuracy']:>11.1%}{r['wall']:>8.1f}{r['cpu']:>8.1f}"
              f"{100 * rate:>14.3f}{rate / ref_rate:>12.2f}×{above / ref_above:>13.2f}×")
    print("points/CPU-s: test accuracy in percentage points per CPU second of training; 'vs tutorial': "
          "that figure over the tutorial network's (> 1 is better); 'above chance': the same ratio "
          "for the accuracy above chance (10 %), which does not reward a model for being merely cheap.")


if __name__ == "__main__":
    main()
