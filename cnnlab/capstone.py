"""The capstone's rules (notebook 11): the training budget, and the files a submission carries.

The student designs ``build_model()``; the notebook's given training cell calls :func:`train`,
which trains it for at most :data:`BUDGET_SECONDS` of CPU time (a Keras callback stops the
training at the budget), then saves the model and a log next to the notebook::

    capstone.keras   the trained model (built-in Keras layers only: the grader loads it in safe mode)
    capstone.json    {"cpu_seconds", "wall_seconds", "epochs", "public_accuracy", ...}

Both are submitted with the notebook. Under the autograder nothing trains: the given cell loads
the submitted model (:func:`load_submitted`) and the grader scores it on test images the
student never sees (:mod:`cnnlab.checks.capstone`). The model takes raw images, (n, 32, 32, 3)
values 0–255 as float32, and returns 10 class scores.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

from cnnlab import runtime, training

BUDGET_SECONDS = 180.0
# For the course's own tests only (a retraining test with a budget of a few seconds): a smaller
# budget for the training cell and `cnnlab grade retrain`. It can only shrink the budget; the
# grader always checks the logged CPU time against BUDGET_SECONDS.
BUDGET_ENV = "CNNLAB_CAPSTONE_BUDGET"
MODEL_FILE = "capstone.keras"
LOG_FILE = "capstone.json"
NOTEBOOK = "11_capstone"  # the notebook these files are submitted with (``cnnlab grade collect`` files them there)


def budget_seconds() -> float:
    """The training budget in CPU seconds: :data:`BUDGET_SECONDS`, or less where ``CNNLAB_CAPSTONE_BUDGET`` says."""
    text = os.environ.get(BUDGET_ENV, "").strip()
    if not text:
        return BUDGET_SECONDS
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{BUDGET_ENV}={text!r} is not a number of seconds") from None
    return min(max(value, 0.0), BUDGET_SECONDS)


def as_input(x: np.ndarray) -> np.ndarray:
    """Images as the capstone's models take them: float32 pixel values 0–255, (n, 32, 32, 3)."""
    return np.asarray(x, dtype=np.float32)


def cpu_budget(keras, seconds: float, start: float | None = None):
    """A Keras callback that stops training once this process has used ``seconds`` of CPU time.

    It checks after every batch, so training overshoots by at most one batch. The CPU time of
    every thread counts (TensorFlow trains on all cores). ``start`` is the ``time.process_time()``
    to count from (default: when training begins); :func:`train` passes the moment its log starts
    counting, so the data's setup before the first batch is inside the budget too.
    """

    class CPUBudget(keras.callbacks.Callback):
        stopped_at_epoch: int | None = None

        def on_train_begin(self, logs=None):
            self.start = time.process_time() if start is None else start

        def on_train_batch_end(self, batch, logs=None):
            if time.process_time() - self.start >= seconds and not self.model.stop_training:
                self.model.stop_training = True
                self.stopped_at_epoch = self.epoch

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch

    return CPUBudget()


def train(build_model, x_train, y_train, *, epochs: int, batch_size: int, x_test=None, y_test=None,
          folder: str | Path = ".", seed: int = 0):
    """Build, train within the budget, save ``capstone.keras`` and ``capstone.json``; return ``(model, log)``.

    Args:
        build_model: the student's function; returns a compiled Keras model for raw 32×32×3 images.
        x_train, y_train: (n, 32, 32, 3) uint8 images and (n,) labels.
        epochs, batch_size: the student's settings (training stops earlier at the budget).
        x_test, y_test: the public test images, for the log's ``public_accuracy`` (not trained on).
        folder: where the two files go (next to the notebook).
        seed: seeds the initial weights and the data order.
    """
    keras = training._keras()
    budget = budget_seconds()
    training.seed(seed)
    model = build_model()
    stop = cpu_budget(keras, budget, start=time.process_time())
    history = training.fit(model, as_input(x_train), y_train, epochs=epochs, batch_size=batch_size, seed=seed,
                           callbacks=[stop], label="capstone")
    done = len(history.history.get("loss", []))
    if stop.stopped_at_epoch is not None:
        print(f"stopped by the budget of {budget:.0f} CPU seconds during epoch {stop.stopped_at_epoch + 1} "
              f"of {epochs}", file=sys.stdout)
    log = {"cpu_seconds": round(history.cpu_seconds, 2), "wall_seconds": round(history.seconds, 2),
           "epochs": done, "epochs_planned": int(epochs), "batch_size": int(batch_size),
           "stopped_by_budget": stop.stopped_at_epoch is not None, "budget_seconds": budget,
           "params": int(model.count_params()), "cpus": os.cpu_count(),
           "keras": keras.__version__, "colab": runtime.in_colab()}
    if x_test is not None and y_test is not None:
        log["public_accuracy"] = round(accuracy(model, x_test, y_test), 4)
    folder = Path(folder)
    model.save(folder / MODEL_FILE)
    (folder / LOG_FILE).write_text(json.dumps(log, indent=1) + "\n", encoding="utf-8")
    return model, log


def accuracy(model, x, y, batch_size: int = 256) -> float:
    """Share of the images ``x`` (uint8, (n, 32, 32, 3)) whose largest score is the label ``y``."""
    scores = model.predict(as_input(x), batch_size=batch_size, verbose=0)
    return float(np.mean(np.asarray(scores).argmax(axis=1) == np.asarray(y)))


def read_log(folder: str | Path = ".") -> dict:
    """The training log ``capstone.json`` in ``folder`` as a dict; ``{"missing": why}`` if there is none."""
    path = Path(folder) / LOG_FILE
    if not path.is_file():
        return {"missing": f"there is no {LOG_FILE} next to the notebook"}
    try:
        log = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return {"missing": f"{LOG_FILE} cannot be read ({type(exc).__name__})"}
    if not isinstance(log, dict):
        return {"missing": f"{LOG_FILE} does not hold the training log"}
    return {k: v for k, v in log.items() if isinstance(k, str) and not k.startswith("__")
            and (v is None or isinstance(v, (bool, int, float, str)))}


def load(folder: str | Path = "."):
    """The trained model ``capstone.keras`` in ``folder``, loaded in safe mode (built-in layers only).

    Raises:
        FileNotFoundError: no such file.
        ValueError: Keras cannot load it in safe mode (a custom layer or a Lambda, or a damaged file).
    """
    keras = training._keras()
    path = Path(folder) / MODEL_FILE
    if not path.is_file():
        raise FileNotFoundError(f"there is no {MODEL_FILE} next to the notebook")
    try:
        return keras.saving.load_model(path, compile=False, safe_mode=True)
    except Exception as exc:  # Keras raises TypeError/ValueError/OSError for custom objects or bad files
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0][:300]
        raise ValueError(f"{MODEL_FILE} cannot be loaded with built-in Keras layers only "
                         f"({type(exc).__name__}: {first})") from None


def load_submitted(folder: str | Path = "."):
    """Under the grader: the submitted model, or None (after saying why) if it cannot be loaded."""
    try:
        model = load(folder)
    except (FileNotFoundError, ValueError) as exc:
        print(f"Not training under the grader, and {exc}: submit the {MODEL_FILE} and {LOG_FILE} that the "
              f"training cell wrote, next to the notebook.")
        return None
    log = read_log(folder)
    spent = log.get("cpu_seconds")
    print(f"Not training under the grader: using the submitted {MODEL_FILE} "
          f"({model.count_params():,} parameters"
          + (f"; trained for {spent:.0f} CPU seconds, per {LOG_FILE})." if isinstance(spent, (int, float))
             else f"; no training log, {LOG_FILE}, was submitted)."))
    return model
