"""Pre-trained bases for notebook 9 (transfer learning) and ``bench/transfer.py``.

Lecture 002's recipe: pre-train a network on task A, remove its top, freeze the
base, train a new top on task B with little data, then optionally fine-tune the
top convolution layers. This module holds what the notebook and the benchmark
share, each fact once:

* the split of CIFAR-10 into task A (8 classes) and task B (deer vs truck), and
  :func:`split_tasks`, :func:`per_class_subset`;
* :func:`small_base`, a small CNN with batch normalisation, and
  :func:`pretrain_base`, which trains it on task A (the offline path);
* :func:`imagenet_backbone`, MobileNetV2 with ImageNet weights behind its own
  resizing and ``preprocess_input`` (the online path);
* :func:`load_backbone`, which tries the online path and falls back to the
  offline one with a one-line reason on stdout (``CNNLAB_OFFLINE=1`` forces it);
* the task-B recipe (:data:`RECIPE`) and :func:`run_task_b`, which trains the
  three methods (from scratch, frozen base, fine-tuned) on one label budget and
  seed and returns their test accuracies; :func:`summarise` averages over seeds.

Every base takes raw pixel values, (batch, 32, 32, 3) floats in 0…255, and
returns a feature map (batch, h, w, channels): its preprocessing is inside it,
so a head or a feature extractor never has to know which base it got.

Keras is imported only when a function needs it, after
:func:`cnnlab.runtime.quiet_tensorflow`.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from cnnlab import runtime

OFFLINE_ENV = "CNNLAB_OFFLINE"

# CIFAR-10 labels: 0 airplane, 1 automobile, 2 bird, 3 cat, 4 deer, 5 dog, 6 frog, 7 horse, 8 ship, 9 truck.
# Task B is deer vs truck, with 10 labels per class: each class has a close relative in task A (horse,
# automobile), so the features A teaches (legs and bodies on grass; wheels, windows, boxy shapes)
# are the ones B needs, the condition under which pre-training should help. Cat vs dog, used before,
# has no such relatives among the 8 other classes: with this small base the gain stayed within the
# seed-to-seed spread at 50, 200 and 484 labels per class (bench/transfer.py, 3 seeds each), while
# deer vs truck at 10 labels per class gained 4.6 ± 0.9 points over 5 seeds (README, Benchmarks).
TASK_B_CLASSES = (4, 9)  # deer, truck
TASK_A_CLASSES = tuple(c for c in range(10) if c not in TASK_B_CLASSES)
LABELS_PER_CLASS = 10  # notebook 9's task B: labelled training images per class

IMAGE_SHAPE = (32, 32, 3)
WIDTHS = (16, 32, 64, 128)  # filters of the small base's four convolutions
IMAGENET_SIZE = 96  # CIFAR's 32×32 images are resized to 96×96, the smallest size MobileNetV2's weights exist for

# The task-B recipe, the same for every method, budget and seed. It is counted in gradient steps, not
# epochs, so that 20 labelled images get as many updates as 1,000 (see _stream).
RECIPE = {
    "batch_size": 32,
    "head_steps": 150,       # frozen base: train the new head
    "finetune_steps": 75,    # then the top layers too, at a low learning rate
    "learning_rate": 1e-3,   # Adam, for the head and for training from scratch
    "finetune_learning_rate": 1e-4,  # 10× lower: small steps keep the pre-trained features
    "finetune_layers": 2,    # how many weighted layers at the top of the base are unfrozen
}
# From scratch trains for head_steps + finetune_steps, as many steps as the fine-tuned network.
FAST_RECIPE = {**RECIPE, "head_steps": 12, "finetune_steps": 6}

METHODS = ("from scratch", "frozen base", "fine-tuned")


def _keras():
    runtime.quiet_tensorflow()
    import keras

    return keras


def offline_forced() -> bool:
    """True when ``CNNLAB_OFFLINE`` is set (to anything but "" or "0"): never try a download."""
    return os.environ.get(OFFLINE_ENV, "") not in ("", "0")


# --------------------------------------------------------------------------- data


@dataclass(frozen=True, eq=False, repr=False)
class Task:
    """One classification task cut out of CIFAR-10, labels renumbered 0…k−1.

    x_train, x_test: (n, 32, 32, 3) uint8; y_train, y_test: (n,) int64;
    class_names: k names; cifar_labels: the k original CIFAR-10 labels.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple
    cifar_labels: tuple

    def __repr__(self) -> str:
        return (f"Task({', '.join(self.class_names)}: {len(self.y_train):,} training and "
                f"{len(self.y_test):,} test images)")

    def per_class(self) -> int:
        """The number of training images of the rarest class."""
        return int(np.bincount(self.y_train, minlength=len(self.class_names)).min())


def _select(x, y, labels):
    keep = np.isin(y, labels)
    relabel = np.full(int(max(labels)) + 1, -1)
    relabel[list(labels)] = np.arange(len(labels))
    return x[keep], relabel[y[keep]].astype(np.int64)


def split_tasks(data) -> tuple[Task, Task]:
    """Split a CIFAR-10 :class:`~cnnlab.datasets.Dataset` into task A (8 classes) and task B (deer vs truck).

    Returns ``(task_a, task_b)``; labels are renumbered 0…7 and 0…1 in the order of
    :data:`TASK_A_CLASSES` and :data:`TASK_B_CLASSES`.
    """
    tasks = []
    for labels in (TASK_A_CLASSES, TASK_B_CLASSES):
        x_train, y_train = _select(data.x_train, data.y_train, labels)
        x_test, y_test = _select(data.x_test, data.y_test, labels)
        tasks.append(Task(x_train, y_train, x_test, y_test, tuple(data.class_names[c] for c in labels), labels))
    return tasks[0], tasks[1]


def per_class_subset(y, n_per_class: int, seed: int = 0) -> np.ndarray:
    """Indices of ``n_per_class`` random examples of every class (all of a class if it has fewer).

    y: (n,) int labels. Returns sorted int indices; the same seed gives the same subset.
    """
    rng = np.random.default_rng(seed)
    picks = [rng.permutation(np.flatnonzero(y == c))[:n_per_class] for c in np.unique(y)]
    return np.sort(np.concatenate(picks))


# --------------------------------------------------------------------------- the offline base


def small_base(input_shape=IMAGE_SHAPE, name: str = "cifar8_base"):
    """A small CNN base: pixels 0…255 → (batch, 4, 4, 128) feature map; 4 conv → BN → ReLU blocks.

    Rescaling(1/127.5, offset=−1) (the same scaling as MobileNetV2's preprocess_input), then
    Conv 16 → pool → Conv 32 → pool → Conv 64 → pool → Conv 128, each convolution 3×3 'same',
    without bias (the BatchNormalization after it has its own shift), followed by BN and ReLU.
    About 98,000 weights. Returns an uncompiled functional ``keras.Model`` with flat layers.
    """
    keras = _keras()
    layers = keras.layers
    inputs = keras.Input(shape=input_shape)
    x = layers.Rescaling(1 / 127.5, offset=-1, name="rescale")(inputs)
    for i, filters in enumerate(WIDTHS, start=1):
        x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(momentum=0.9, name=f"bn{i}")(x)
        x = layers.Activation("relu", name=f"relu{i}")(x)
        if i < 4:
            x = layers.MaxPool2D(2, name=f"pool{i}")(x)
    return keras.Model(inputs, x, name=name)


def classifier(base, num_classes: int, name: str = "classifier"):
    """``base`` + GlobalAveragePooling2D + Dense(num_classes, softmax), all trainable (from scratch, task A)."""
    keras = _keras()
    inputs = keras.Input(shape=tuple(base.inputs[0].shape[1:]))
    x = keras.layers.GlobalAveragePooling2D()(base(inputs))
    outputs = keras.layers.Dense(num_classes, activation="softmax")(x)
    return keras.Model(inputs, outputs, name=name)


def compile_model(model, learning_rate: float) -> None:
    """Adam at ``learning_rate``, sparse categorical cross-entropy, accuracy: one recipe for every model here."""
    keras = _keras()
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])


def pretrain_base(task_a: Task, *, epochs: int = 6, n_train: int | None = None, seed: int = 0,
                  log: bool = True):
    """Pre-train :func:`small_base` on task A; return ``(base, history)``.

    task_a: the 8-class task of :func:`split_tasks`. n_train: use a stratified subset of that many
    training images (None: all). The base is trained inside :func:`classifier` (GAP + softmax), with
    Adam at 0.002 decaying to 0 along a cosine, batches of 64; ``history`` has ``seconds`` and
    ``cpu_seconds`` (see :func:`cnnlab.training.fit`) and ``test_accuracy`` on task A's test images.
    """
    from cnnlab import datasets, training

    keras = _keras()
    x, y = task_a.x_train, task_a.y_train
    if n_train is not None and n_train < len(y):
        idx = datasets.stratified_subset(y, n_train, seed)
        x, y = x[idx], y[idx]
    training.seed(seed)
    base = small_base()
    model = classifier(base, len(task_a.class_names), name="task_a_classifier")
    steps = epochs * int(np.ceil(len(y) / 64))
    model.compile(optimizer=keras.optimizers.Adam(keras.optimizers.schedules.CosineDecay(0.002, steps)),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = training.fit(model, x.astype(np.float32), y, epochs=epochs, batch_size=64, seed=seed,
                           log=log, label="task A")
    pred = model.predict(task_a.x_test.astype(np.float32), batch_size=256, verbose=0).argmax(axis=1)
    history.test_accuracy = float(np.mean(pred == task_a.y_test))
    return base, history


# --------------------------------------------------------------------------- the online base


def imagenet_backbone(weights: str | None = "imagenet", size: int = IMAGENET_SIZE):
    """MobileNetV2 without its top, for CIFAR-sized images: (batch, 32, 32, 3) pixels 0…255 → (batch, 3, 3, 1280).

    The model resizes the images to ``size``×``size`` (bilinear) and applies MobileNetV2's own
    ``preprocess_input`` (pixels to −1…1) inside itself, then runs
    ``keras.applications.MobileNetV2(include_top=False)``. The layers are flat (not a nested
    model), so the top layers can be unfrozen one by one. ``weights="imagenet"`` downloads
    9 MB once (``keras.utils.get_file``); ``weights=None`` builds the same network untrained.
    """
    keras = _keras()
    inputs = keras.Input(shape=IMAGE_SHAPE)
    x = keras.layers.Resizing(size, size, name="resize")(inputs)
    x = keras.layers.Lambda(keras.applications.mobilenet_v2.preprocess_input, name="preprocess_input")(x)
    return keras.applications.MobileNetV2(input_tensor=x, input_shape=(size, size, 3), include_top=False,
                                         weights=weights)


@dataclass
class Backbone:
    """The base a notebook or benchmark uses, and which path gave it.

    model: keras.Model, pixels (batch, 32, 32, 3) 0…255 → feature map (batch, h, w, c).
    path: "online" (MobileNetV2, ImageNet) or "offline" (small CNN, task A).
    description: one sentence for the reader. reason: why the offline path was taken ("" online).
    history: the task-A training history (offline), else None.
    """

    model: Any
    path: str
    description: str
    reason: str = ""
    history: Any = None
    weights: list = field(default_factory=list, repr=False)
    architecture: Callable | None = field(default=None, repr=False)

    def _build(self):
        """The base's architecture, rebuilt (keras.models.clone_model cannot copy the Lambda layer of
        MobileNetV2's preprocess_input, so the architecture is built again instead)."""
        if self.architecture is not None:
            return self.architecture()
        return imagenet_backbone(weights=None) if self.path == "online" else small_base()

    def fresh(self):
        """A copy of the pre-trained base with its own weights (training the copy leaves this one alone)."""
        copy = self._build()
        copy.set_weights(self.weights)
        return copy

    def untrained(self):
        """The from-scratch baseline: the small CNN with random weights.

        Offline that is the base's own architecture. Online too: MobileNetV2 from scratch on a few
        hundred images would be hopeless, and slow on a CPU.
        """
        return small_base()


def load_backbone(task_a: Task | None = None, *, offline: bool | None = None, fast: bool = False,
                  seed: int = 0, log: bool = True, imagenet: Callable | None = None) -> Backbone:
    """The pre-trained base: MobileNetV2 with ImageNet weights if they can be had, else the small CNN on task A.

    task_a: needed for the offline path (pre-training). offline: True forces the offline path,
    False tries the online one, None (default) tries it unless ``CNNLAB_OFFLINE`` is set.
    fast: pre-train briefly (1,000 images, 1 epoch) for the autograder. ``imagenet``: the function
    that builds the online base (default :func:`imagenet_backbone`; tests replace it).
    Prints one line to stdout saying which path was taken and why.
    """
    if offline is None:
        offline = offline_forced()
    if offline:
        reason = f"{OFFLINE_ENV} is set" if offline_forced() else "offline=True was passed"
    else:
        reason = ""
    if not offline:
        build = imagenet or imagenet_backbone
        captured = io.StringIO()
        try:
            with contextlib.redirect_stdout(captured):  # "Downloading data from …": shown only if it works
                model = build()
        except Exception as err:  # no network, a proxy, a full disk: any failure means the offline path
            text = str(err).strip().splitlines()[0] if str(err).strip() else ""
            reason = f"the ImageNet weights could not be downloaded ({type(err).__name__}: {text[:160]})"
        else:
            sys.stdout.write(captured.getvalue())
            print(f"Online path: MobileNetV2 with ImageNet weights, images resized to "
                  f"{IMAGENET_SIZE}×{IMAGENET_SIZE}; output {tuple(model.outputs[0].shape[1:])}.")
            architecture = (lambda: imagenet_backbone(weights=None)) if imagenet is None else imagenet
            return Backbone(model, "online", "MobileNetV2 pre-trained on ImageNet (1.3 M images, 1,000 classes)",
                            weights=model.get_weights(), architecture=architecture)
    if task_a is None:
        raise ValueError(f"offline path ({reason}): pass task_a, the 8-class task of split_tasks(), to pre-train "
                         "the small base on it")
    print(f"Offline path: {reason}; pre-training the small CNN on task A "
          f"({len(task_a.class_names)} CIFAR-10 classes) instead.", flush=True)
    base, history = pretrain_base(task_a, epochs=1 if fast else 6, n_train=1000 if fast else None,
                                  seed=seed, log=log)
    description = (f"a small CNN pre-trained on task A ({len(task_a.class_names)} CIFAR-10 classes, "
                   f"{history.test_accuracy:.1%} test accuracy there)")
    return Backbone(base, "offline", description, reason, history, base.get_weights())


# --------------------------------------------------------------------------- task B


def _stream(n: int, steps: int, batch_size: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``steps`` batches of ``batch_size``: epochs of 0…n−1, each shuffled, laid end to end.

    One Keras epoch over these is exactly ``steps`` gradient steps, whatever n: 20 labelled images get
    as many batches of 32 as 2,000 (Keras' per-epoch overhead would dominate 225 one-batch epochs).
    """
    total = steps * batch_size
    return np.concatenate([rng.permutation(n) for _ in range(-(-total // n))])[:total]


def evaluation_split(task_b: Task, labelled: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The images a task-B model is scored on: the test images and every training image not labelled.

    labelled: indices into ``task_b.x_train`` used for training. With 10 labels per class the other
    training images are unlabelled for us, so they can test the model as well: about 1,200 images
    instead of the 200 of the test set, where one image is worth 0.08 points instead of 0.5.
    Returns ``(x, y)``: (m, 32, 32, 3) uint8 and (m,) labels.
    """
    rest = np.setdiff1d(np.arange(len(task_b.y_train)), labelled)
    return (np.concatenate([task_b.x_test, task_b.x_train[rest]]),
            np.concatenate([task_b.y_test, task_b.y_train[rest]]))


def run_task_b(backbone: Backbone, task_b: Task, n_per_class: int, seed: int, *,
               build_transfer_model: Callable, unfreeze_top: Callable, recipe: dict | None = None) -> list[dict]:
    """Train the three methods on ``n_per_class`` labelled images of each task-B class; return their results.

    The methods (:data:`METHODS`), with the recipe :data:`RECIPE` (or ``recipe``'s changes to it):
      * "from scratch": ``backbone.untrained()`` + GlobalAveragePooling2D + softmax, everything trained
        for head_steps + finetune_steps steps at learning_rate;
      * "frozen base": ``build_transfer_model(backbone.fresh(), k)``, the head trained head_steps steps;
      * "fine-tuned": that same network, continued: ``unfreeze_top(base, finetune_layers)``, recompiled at
        finetune_learning_rate, trained finetune_steps more steps.
    build_transfer_model, unfreeze_top: the notebook's functions (the student's, or the solution's).
    seed: picks the labelled subset (:func:`per_class_subset`) and the initial weights.
    Every model is scored on :func:`evaluation_split`: the test images and the unlabelled training images.
    Returns three dicts {"method", "n_per_class", "seed", "accuracy" (on those images), "n_eval" (how many),
    "seconds", "cpu_seconds" (of training; the fine-tuned run's include the frozen run's)}.
    """
    from cnnlab import training

    recipe = {**RECIPE, **(recipe or {})}
    idx = per_class_subset(task_b.y_train, n_per_class, seed)
    x, y = task_b.x_train[idx].astype(np.float32), task_b.y_train[idx]
    x_eval, y_eval = evaluation_split(task_b, idx)
    x_eval = x_eval.astype(np.float32)
    k, batch = len(task_b.class_names), recipe["batch_size"]
    rng = np.random.default_rng(seed)
    results = []

    def train(model, steps):
        order = _stream(len(y), steps, batch, rng)
        training.fit(model, x[order], y[order], epochs=1, batch_size=batch, seed=seed, log=False, shuffle=False)

    def record(method, model, start, cpu):
        pred = model.predict(x_eval, batch_size=256, verbose=0).argmax(axis=1)
        results.append({"method": method, "n_per_class": int(min(n_per_class, task_b.per_class())),
                        "seed": seed, "accuracy": float(np.mean(pred == y_eval)), "n_eval": int(len(y_eval)),
                        "seconds": time.perf_counter() - start, "cpu_seconds": time.process_time() - cpu})

    start, cpu = time.perf_counter(), time.process_time()
    training.seed(seed)
    model = classifier(backbone.untrained(), k, name="from_scratch")
    compile_model(model, recipe["learning_rate"])
    train(model, recipe["head_steps"] + recipe["finetune_steps"])
    record("from scratch", model, start, cpu)

    start, cpu = time.perf_counter(), time.process_time()
    training.seed(seed)
    base = backbone.fresh()
    model = build_transfer_model(base, k)
    compile_model(model, recipe["learning_rate"])
    train(model, recipe["head_steps"])
    record("frozen base", model, start, cpu)
    unfreeze_top(base, recipe["finetune_layers"])
    compile_model(model, recipe["finetune_learning_rate"])  # changes of `trainable` take effect at compile
    train(model, recipe["finetune_steps"])
    record("fine-tuned", model, start, cpu)
    return results


def summarise(results: list[dict]) -> dict:
    """(method, n_per_class) → {"mean", "std", "n", "seconds"}: accuracy over seeds (std with ddof=1; 0 for one seed)."""
    out = {}
    for key in sorted({(r["method"], r["n_per_class"]) for r in results}, key=lambda k: (k[1], METHODS.index(k[0]))):
        acc = np.array([r["accuracy"] for r in results if (r["method"], r["n_per_class"]) == key])
        secs = [r["seconds"] for r in results if (r["method"], r["n_per_class"]) == key]
        out[key] = {"mean": float(acc.mean()), "std": float(acc.std(ddof=1)) if len(acc) > 1 else 0.0,
                    "n": len(acc), "seconds": float(np.mean(secs))}
    return out
