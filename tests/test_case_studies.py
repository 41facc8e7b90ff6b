"""Notebook 6 on the real data: LeNet-5 reaches at least 97 % validation accuracy on MNIST, and the
degradation experiment shows what the notebook says; plus the two-phase Keras checks of its new exercises.

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

pytestmark = pytest.mark.data  # MNIST: the real data (CNNLAB_DATA)

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


# The notebook's degradation experiment, with its full-mode settings: on every seed the deeper plain network
# fits its training digits worse than the shallow one, and the residual network of the same depth does not.
DEPTH_SEEDS, DEPTH_DIGITS, DEPTH_EPOCHS = (0, 1, 2), 1200, 2


def test_degradation_experiment_shows_on_every_seed(mnist):
    ns = _notebook_namespace()
    grading.notebook_functions(nbtools.SOLUTIONS / f"{NB_ID}.ipynb", ["block_net"], ns)
    # as the notebook: standardised with the padded training set's statistics, then cropped back to 28×28
    x_train, mean, std = ns["prepare"](mnist.x_train, pad=2)
    x_val, _, _ = ns["prepare"](mnist.x_test, mean, std, pad=2)
    x_train, x_val = x_train[:DEPTH_DIGITS, 2:-2, 2:-2], x_val[:, 2:-2, 2:-2]
    nets = {"plain 4": (1, False), "plain 14": (6, False), "residual 14": (6, True)}
    for seed in DEPTH_SEEDS:
        loss = {}
        for name, (n_blocks, shortcut) in nets.items():
            training.seed(seed)
            model = ns["block_net"](n_blocks, shortcut)
            history = ns["train"](model, x_train, mnist.y_train[:DEPTH_DIGITS], (x_val, mnist.y_test),
                                  DEPTH_EPOCHS, seed=seed, log=False)
            loss[name] = history.history["loss"][-1]
        print(f"\nseed {seed}: " + ", ".join(f"{name} {value:.3f}" for name, value in loss.items()))
        assert loss["plain 14"] > loss["plain 4"], f"seed {seed}: no degradation {loss}"
        assert loss["residual 14"] < loss["plain 14"], f"seed {seed}: the shortcut did not help {loss}"


def test_shortcut_adds_no_weights():
    ns = _notebook_namespace()
    grading.notebook_functions(nbtools.SOLUTIONS / f"{NB_ID}.ipynb", ["block_net"], ns)
    assert ns["block_net"](6, True).count_params() == ns["block_net"](6, False).count_params()
    assert ns["block_net"](6, False).count_params() > ns["block_net"](1, False).count_params()


def test_collect_gives_plain_data_that_judge_accepts_in_another_process():
    """The two phases can run apart: what collect returns survives pickling, and judge passes it."""
    import pickle

    from cnnlab.checks import case_studies as check

    ns = _notebook_namespace()
    for exercise in ("inception_params", "batchnorm_forward"):
        collected = getattr(check, f"collect_{exercise}")(ns[exercise])
        getattr(check, f"judge_{exercise}")(pickle.loads(pickle.dumps(collected)))


def test_judge_rejects_an_answer_one_off():
    from cnnlab.checks import CheckError
    from cnnlab.checks import case_studies as check

    ns = _notebook_namespace()
    collected = check.collect_inception_params(ns["inception_params"])
    collected[0]["got"] += 1
    with pytest.raises(CheckError, match="count_params"):
        check.judge_inception_params(collected)
    collected = check.collect_batchnorm_forward(ns["batchnorm_forward"])
    collected[1]["got"][0] = collected[1]["got"][0] + 1e-2
    with pytest.raises(CheckError, match="training=False"):
        check.judge_batchnorm_forward(collected)
