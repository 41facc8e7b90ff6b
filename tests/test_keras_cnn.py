"""Notebook 5's first CNN reaches its training target on the shared CIFAR-10 subset.

The test runs the solution notebook's own cells (``build_cnn``, the data cell and
the training cell) in full mode, so the recipe tested is the one students run:
at least 55 % test accuracy on the 1,000 test images. Training takes about a
minute on 2 CPU cores; the time is printed, not asserted (shared machines vary).
"""

from __future__ import annotations

import numpy as np
import pytest

import nbtools

pytestmark = pytest.mark.data

NB_ID = "05_keras_cnn"
TARGET = 0.55


def _code_cell(nb, text: str) -> str:
    """The source of the one code cell that contains ``text``."""
    found = [c.source for c in nb.cells if c.cell_type == "code" and text in c.source]
    assert len(found) == 1, f"{NB_ID}: expected one code cell with {text!r}, found {len(found)}"
    return found[0]


def test_first_cnn_reaches_target_accuracy(real_data, monkeypatch, capsys):
    monkeypatch.setenv("CNNLAB_DATA", str(real_data))
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("CNNLAB_FAST", raising=False)
    nb = nbtools.read(nbtools.SOLUTIONS / f"{NB_ID}.ipynb")
    ns = {"np": np, "FAST": False}
    exec(nbtools.prelude(NB_ID), ns)
    exec("from cnnlab import datasets, training", ns)
    exec(nbtools.solution_cells(nb)["build_cnn"], ns)
    exec(_code_cell(nb, "datasets.load_cifar10("), ns)
    exec(_code_cell(nb, "training.fit("), ns)

    assert ns["x_train"].shape == (5000, 32, 32, 3) and ns["x_test"].shape == (1000, 32, 32, 3)
    model, history = ns["model"], ns["history"]
    accuracy = float(np.mean(model.predict(ns["x_test"], verbose=0).argmax(axis=1) == ns["y_test"]))
    with capsys.disabled():
        print(f"\n{NB_ID}: test accuracy {accuracy:.1%} after {len(history.history['loss'])} epochs, "
              f"{history.seconds:.0f} s wall, {history.cpu_seconds:.0f} s CPU")
    assert accuracy >= TARGET, f"the first CNN reached {accuracy:.1%} test accuracy; the target is {TARGET:.0%}"
