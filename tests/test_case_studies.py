"""Notebook 6's training target on the real data: LeNet-5 reaches at least 97 % validation accuracy on MNIST.

The model is the solution notebook's own ``build_lenet5``, prepared and trained by the notebook's own
``prepare`` and ``train`` functions (taken out of its code cells), with the notebook's settings:
8,000 training and 2,000 validation digits padded to 32×32, 5 epochs, seed 0 (and seed 1, to show the
target does not hang on one lucky seed). About 30 s per seed on 2 CPU cores.
"""

from __future__ import annotations


import numpy as np
import pytest

import nbtools
from cnnlab import datasets, training
from cnnlab.grade import grading

pytestmark = pytest.mark.data

NB_ID = "06_case_studies"
MNIST_EPOCHS = 5  # as the notebook's full mode


def _notebook_namespace() -> dict:
    """The notebook's answer cells plus its `prepare` and `train` functions, run in a fresh namespace."""
    nb = nbtools.read(nbtools.SOLUTIONS / f"{NB_ID}.ipynb")
    ns = {"np": np}
    exec(nbtools.prelude(NB_ID), ns)
    ns["training"] = training
    for source in nbtools.solution_cells(nb).values():
        exec(source, ns)
    grading.notebook_functions(nbtools.SOLUTIONS / f"{NB_ID}.ipynb", ["prepare", "train"], ns)
    return ns


@pytest.fixture(scope="module")
def mnist(real_data):
    return datasets.load_mnist(n_train=8000, n_test=2000, seed=0, data_dir=real_data)


@pytest.mark.parametrize("seed", [0, 1])
def test_lenet5_reaches_97_percent_on_mnist(mnist, seed):
    ns = _notebook_namespace()
    x_train, mean, std = ns["prepare"](mnist.x_train, pad=2)
    x_val, _, _ = ns["prepare"](mnist.x_test, mean, std, pad=2)
    assert x_train.shape == (8000, 32, 32, 1) and x_val.shape == (2000, 32, 32, 1)
    training.seed(seed)
    model = ns["build_lenet5"]((32, 32, 1), 10)
    history = ns["train"](model, x_train, mnist.y_train, (x_val, mnist.y_test), MNIST_EPOCHS,
                          seed=seed, log=False)
    accuracy = history.history["val_accuracy"][-1]
    print(f"\nLeNet-5 on MNIST, seed {seed}: validation accuracy {accuracy:.2%} after {MNIST_EPOCHS} "
          f"epochs, {history.seconds:.0f} s")
    assert accuracy >= 0.97, f"seed {seed}: {accuracy:.2%} < 97 %"
