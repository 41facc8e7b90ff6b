"""Checks for notebook 11, the capstone: the best CNN on the CIFAR-10 subset in 3 CPU minutes.

There is no single right answer here, so nothing in this module is a reference: a check
scores the model the student trained. A test cell such as ::

    check.capstone(build_model, threshold=0.55)
    ### BEGIN HIDDEN TESTS
    check.capstone(build_model, threshold=0.55, suite="hidden")
    ### END HIDDEN TESTS

collects, in the kernel, what ``build_model()`` builds (input and output shapes, layer
types, parameter count, whether Keras can reload it in safe mode) and the training log
(:func:`collect_capstone`). :func:`evaluate_capstone` loads the submitted ``capstone.keras``
(safe mode: built-in layers only) and scores it on a half of CIFAR-10's test images
(:func:`cnnlab.datasets.capstone_split`): the *public* half for the self-check (``visible``,
in the kernel or Colab), the *held-out* half for the grade (``hidden``, only ever in the
grader's process, which also reads the submitted log itself). :func:`judge_capstone` applies
the cell's threshold and the budget, and looks for signs of training on test images.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from cnnlab import capstone as rules
from cnnlab import datasets

from . import core
from .core import fail

JUDGED = True
NAME = "capstone"
# Accuracy gap between the two test halves beyond which a model has seen test images: each half
# has about 509 images, so an honest model's two accuracies differ by about 3 points (1 s.d.);
# 12 points is 4 standard deviations.
MAX_GAP = 0.12
# The budget callback checks after every batch; a log may exceed the budget by one batch.
BUDGET_SLACK = 1.05
INPUT_SHAPE = [None, 32, 32, 3]
OUTPUT_SHAPE = [None, 10]


def _shape(shape) -> list:
    return [None if d is None else int(d) for d in shape]


def model_facts(model) -> dict:
    """Plain data about a Keras model: input/output shapes, layer types, parameters, loss."""
    try:
        inputs = _shape(model.inputs[0].shape) if getattr(model, "inputs", None) else None
        outputs = _shape(model.outputs[0].shape) if getattr(model, "outputs", None) else None
    except (AttributeError, ValueError, TypeError):
        inputs = outputs = None
    loss = getattr(model, "loss", None)
    return {"input_shape": inputs, "output_shape": outputs,
            "layers": [type(layer).__name__ for layer in getattr(model, "layers", [])],
            "params": int(model.count_params()) if model.built else 0,
            "compiled": getattr(model, "optimizer", None) is not None and loss is not None}


def _reload_problem(model) -> str:
    """"" if the model survives a save and a safe-mode load, else why not."""
    with tempfile.TemporaryDirectory() as folder:
        try:
            model.save(Path(folder) / rules.MODEL_FILE)
            rules.load(folder)
        except ValueError as exc:
            return str(exc)
        except Exception as exc:  # saving itself failed (an object Keras cannot serialise)
            return f"{rules.MODEL_FILE} cannot be saved ({type(exc).__name__}: {str(exc)[:200]})"
    return ""


def collect_capstone(build_model, suite: str = "visible", folder: str | Path = ".", **_settings) -> dict:
    """What ``build_model()`` builds and the training log, as plain data (kernel side).

    Returns ``{"model": model_facts + {"reload": problem}, "log": the capstone.json dict}``.
    """
    import keras

    model = core.call(NAME, build_model, case="build_model()")
    if not isinstance(model, keras.Model):
        return {"model": {"returned": type(model).__name__}, "log": rules.read_log(folder)}
    facts = model_facts(model)
    facts["reload"] = _reload_problem(model) if facts["output_shape"] is not None else ""
    return {"model": facts, "log": rules.read_log(folder)}


_EVALUATED: dict[tuple, dict] = {}


def _fingerprint(folder: Path) -> tuple:
    parts = []
    for name in (rules.MODEL_FILE, rules.LOG_FILE):
        try:
            st = os.stat(folder / name)
            parts.append((st.st_size, st.st_mtime_ns))
        except OSError:
            parts.append(None)
    return tuple(parts)


def evaluate_capstone(folder, suite: str = "visible", threshold: float | None = None, **_settings) -> dict:
    """Score the submitted ``capstone.keras`` in ``folder`` (run where the verdict is decided).

    ``visible``: accuracy on the public half of the test images. ``hidden``: on the held-out half,
    plus the public accuracy (to compare) and a ``report`` for the class leaderboard
    (``{"accuracy", "public_accuracy", "cpu_seconds", "params"}``). The training log is read from
    ``folder`` too. Problems with the files come back as ``{"error": message}``: never raises for a
    bad submission.
    """
    if folder is None:
        return {"error": "the grader was not given the submission's folder", "threshold": threshold}
    folder = Path(folder)
    key = (str(folder.resolve()), suite, _fingerprint(folder))
    if key not in _EVALUATED:
        _EVALUATED[key] = _evaluate(folder, suite)
    return {**_EVALUATED[key], "threshold": threshold}


def _evaluate(folder: Path, suite: str) -> dict:
    log = rules.read_log(folder)
    try:
        model = rules.load(folder)
    except (FileNotFoundError, ValueError) as exc:
        return {"error": str(exc), "log": log}
    facts = model_facts(model)
    if facts["input_shape"] != INPUT_SHAPE or facts["output_shape"] != OUTPUT_SHAPE:
        return {"error": f"the saved model takes {facts['input_shape']} and returns {facts['output_shape']}, "
                         f"not {INPUT_SHAPE} → {OUTPUT_SHAPE}", "log": log, "model": facts}
    data = datasets.load_capstone()
    public = rules.accuracy(model, data.x_test, data.y_test)
    out: dict[str, Any] = {"model": facts, "log": log, "public_accuracy": public, "budget": rules.BUDGET_SECONDS}
    if suite == "hidden":
        x, y = datasets.capstone_held_out()
        held_out = rules.accuracy(model, x, y)
        cpu = log.get("cpu_seconds")
        out.update(accuracy=held_out, held_out_accuracy=held_out, report={
            "accuracy": held_out, "public_accuracy": public, "params": facts["params"],
            "cpu_seconds": float(cpu) if isinstance(cpu, (int, float)) and not isinstance(cpu, bool) else None})
    else:
        out["accuracy"] = public
    return out


def _percent(value) -> str:
    return f"{100 * float(value):.1f} %"


def judge_capstone(data: Any, expected: dict) -> int:
    """Raise :class:`CheckError` unless the submitted model passes this cell; return 1 (one model judged).

    In order: what build_model builds (10 scores for a 32×32×3 image, compiled, built-in layers
    only); the submitted model loads and is the one build_model builds; the training log exists and
    stays within the budget; the two test halves agree; the accuracy reaches the threshold.
    """
    want = expected.get("expected") if isinstance(expected, dict) else None
    if not isinstance(data, dict) or not isinstance(data.get("model"), dict) or not isinstance(want, dict):
        fail(NAME, "your submission", "the check did not receive what build_model builds.",
             "run the notebook from the top, then this cell, without changing the check cells.")
    model, threshold = data["model"], want.get("threshold")
    if "returned" in model:
        fail(NAME, "build_model()", f"expected a Keras model, got {model['returned']}",
             "end build_model with `return model`, the compiled keras.Sequential (or keras.Model).")
    if model.get("input_shape") != INPUT_SHAPE:
        fail(NAME, "build_model()", f"the model takes inputs of shape {model.get('input_shape')}, not a batch of "
             "32×32×3 images (None, 32, 32, 3).",
             "start the model with keras.Input(shape=(32, 32, 3)).")
    if model.get("output_shape") != OUTPUT_SHAPE:
        fail(NAME, "build_model()", f"the model returns shape {model.get('output_shape')}, not one score per "
             "class (None, 10).",
             "end with layers.Dense(10): one score per CIFAR-10 class.")
    if not model.get("compiled"):
        fail(NAME, "build_model()", "the model is not compiled.",
             "compile it inside build_model: model.compile(optimizer=..., loss=..., metrics=[\"accuracy\"]).")
    if model.get("reload"):
        fail(NAME, "build_model()", f"the grader could not reload your model: {model['reload']}",
             "use built-in Keras layers only: no layers.Lambda or custom classes. For scaling the pixels "
             "use layers.Rescaling; for augmentation layers.RandomFlip, RandomTranslation, RandomRotation.")
    if want.get("error"):
        fail(NAME, f"the submitted {rules.MODEL_FILE}", want["error"] + ".",
             f"run the training cell; it saves {rules.MODEL_FILE} and {rules.LOG_FILE} next to the notebook. "
             "Submit both with the notebook.")
    saved = want.get("model", {})
    if saved.get("layers") != model.get("layers") or saved.get("params") != model.get("params"):
        fail(NAME, f"the submitted {rules.MODEL_FILE}",
             f"it is not the model build_model builds: {saved.get('params', 0):,} parameters in "
             f"{len(saved.get('layers', []))} layers, against {model.get('params', 0):,} in "
             f"{len(model.get('layers', []))}.",
             "you changed build_model after training: run the training cell again and submit the new files.")
    log = want.get("log") if isinstance(want.get("log"), dict) else {"missing": "no training log"}
    if "missing" in log:
        fail(NAME, f"the training log {rules.LOG_FILE}", f"{log['missing']}.",
             f"the training cell writes it with {rules.MODEL_FILE}: run that cell and submit both files.")
    cpu = log.get("cpu_seconds")
    if not isinstance(cpu, (int, float)) or isinstance(cpu, bool) or not np.isfinite(cpu) or cpu < 0:
        fail(NAME, f"the training log {rules.LOG_FILE}", "it does not say how many CPU seconds training took.",
             "do not edit the log: run the training cell again.")
    budget = float(want.get("budget", rules.BUDGET_SECONDS))
    if cpu > budget * BUDGET_SLACK:
        fail(NAME, "the training budget", f"training took {cpu:.0f} CPU seconds, over the budget of "
             f"{budget:.0f}.", "train with the given training cell: it stops at the budget.")
    public, held_out = want.get("public_accuracy"), want.get("held_out_accuracy")
    if held_out is not None and public is not None and abs(held_out - public) > MAX_GAP:
        seen = "held-out" if held_out > public else "public"
        fail(NAME, "the two halves of the test set",
             f"your model scores {_percent(public)} on the public half and {_percent(held_out)} on the held-out "
             f"half; an honest model scores about the same on both. This one has seen {seen} test images.",
             "train only on the training images (data.x_train); the test images are for measuring.")
    accuracy = want.get("accuracy")
    if not isinstance(accuracy, float):
        fail(NAME, "the accuracy", "the grader could not score your model.", "run the training cell again.")
    if threshold is not None and accuracy < float(threshold):
        where = "held-out" if held_out is not None else "public"
        fail(NAME, f"the {_percent(threshold)} line",
             f"your model scores {_percent(accuracy)} on the {where} test images, below {_percent(threshold)}.",
             "see the notebook's list of levers: more epochs in the budget, augmentation, batch "
             "normalisation, the learning-rate schedule.")
    return 1


def capstone(build_model, threshold: float | None = None, suite: str = "visible") -> None:
    """Check the capstone: the model build_model builds, the submitted files, the threshold (see the module doc)."""
    found: dict = {}

    def expected() -> dict:
        found.update(evaluate_capstone(".", "visible", threshold=threshold))
        return {"expected": found}

    core.run_check(NAME, __name__, suite, lambda: collect_capstone(build_model, suite), judge_capstone,
                   expected=expected)
    if suite == "visible" and isinstance(found.get("accuracy"), float):
        line = f"  public test accuracy {_percent(found['accuracy'])}"
        print(line + (f" (this cell's line: {_percent(threshold)})" if threshold is not None else ""))
