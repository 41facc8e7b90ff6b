"""Training helpers for the Keras notebooks: seeding, and a quiet ``fit`` with one line per epoch.

Keras' own progress bar rewrites one line with control characters, which
looks broken in saved notebooks and in nbgrader's logs. :func:`fit` trains
with ``verbose=0`` and prints one plain line per epoch to stdout instead
(never stderr: nbgrader takes points off cells that write there)::

    from cnnlab import training
    training.seed(0)                     # before building: the initial weights depend on it
    model = build_lenet5((32, 32, 1), 10)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    history = training.fit(model, x_train, y_train, epochs=5, validation_data=(x_val, y_val))
    print(history.seconds, history.cpu_seconds)

Keras is imported when a function needs it, after
:func:`cnnlab.runtime.quiet_tensorflow`.
"""

from __future__ import annotations

import sys
import time

from cnnlab import runtime


def _keras():
    runtime.quiet_tensorflow()
    import keras

    return keras


def seed(value: int = 0) -> None:
    """Seed Python's, NumPy's and TensorFlow's random generators (Keras' initial weights, shuffling, dropout)."""
    _keras().utils.set_random_seed(int(value))


def _format(logs: dict) -> str:
    parts = []
    for key in ("loss", "accuracy", "val_loss", "val_accuracy"):
        if key in logs:
            value = float(logs[key])
            parts.append(f"{key} {value:.1%}" if key.endswith("accuracy") else f"{key} {value:.3f}")
    return "  ".join(parts)


def _epoch_logger(keras, epochs: int, label: str):
    class EpochLog(keras.callbacks.Callback):
        """Print one line per epoch to stdout: time, loss and accuracy."""

        def on_epoch_begin(self, epoch, logs=None):
            self._start = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds = time.perf_counter() - self._start
            prefix = f"{label}: " if label else ""
            print(f"{prefix}epoch {epoch + 1}/{epochs}  {seconds:4.1f} s  {_format(logs or {})}",
                  file=sys.stdout, flush=True)

    return EpochLog()


def fit(model, x, y, *, epochs: int, batch_size: int = 64, validation_data=None, seed: int | None = 0,
        log: bool = True, label: str = "", callbacks=(), **kwargs):
    """Train a compiled Keras model quietly; print one line per epoch to stdout when ``log``.

    Args:
        model: a compiled ``keras.Model``.
        x, y: training images (n, H, W, C) and integer labels (n,).
        epochs, batch_size: as for ``model.fit``.
        validation_data: ``(x_val, y_val)`` to evaluate after each epoch, or None.
        seed: seeds shuffling and dropout before training (None: leave the generators alone).
            Seed with :func:`seed` before *building* the model to fix its initial weights too.
        log: print a line per epoch (False: print nothing).
        label: a name printed at the start of each line, e.g. "LeNet-5".
        callbacks: more Keras callbacks; ``**kwargs`` go to ``model.fit``.

    Returns:
        The Keras ``History``, with two more attributes: ``seconds`` (wall-clock
        time of the whole fit) and ``cpu_seconds`` (CPU time of this process
        during the fit, all threads together).

    Raises:
        ValueError: if the model is not compiled.
    """
    keras = _keras()
    if getattr(model, "optimizer", None) is None or not getattr(model, "compiled", True):
        raise ValueError("compile the model before training it: "
                         "model.compile(optimizer=..., loss=..., metrics=[\"accuracy\"])")
    if seed is not None:
        keras.utils.set_random_seed(int(seed))
    all_callbacks = list(callbacks) + ([_epoch_logger(keras, epochs, label)] if log else [])
    start, cpu_start = time.perf_counter(), time.process_time()
    history = model.fit(x, y, epochs=epochs, batch_size=batch_size, validation_data=validation_data,
                        callbacks=all_callbacks, verbose=0, **kwargs)
    history.seconds = time.perf_counter() - start
    history.cpu_seconds = time.process_time() - cpu_start
    return history
