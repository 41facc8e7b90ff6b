"""Notebook 7 on the real data: LeNet-5 reaches at least 97 % validation accuracy on MNIST, and the
degradation experiment shows what the notebook says; plus the two-phase Keras checks of its new exercises.

Both read the solution notebook's own full-mode run (tests/executed.py), shared with the execution
test, so nothing is trained twice: LeNet-5 on 8,000 training and 2,000 validation digits padded to
32×32, 5 epochs, seed 0; the degradation experiment over seeds 0–2.
"""

from __future__ import annotations


import numpy as np
import pytest

import nbtools
from cnnlab import training
from cnnlab.grade import grading

pytestmark = pytest.mark.data  # MNIST: the real data (CNNLAB_DATA)

NB_ID = "07_case_studies"
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


def test_lenet5_reaches_97_percent_on_mnist(executed_notebook):
    probe = executed_notebook(NB_ID).probe  # the execution test's full-mode run: LeNet-5 trained once
    assert "error" not in probe, probe
    assert probe["mnist_shape"] == [8000, 32, 32, 1] and probe["mnist_epochs"] == MNIST_EPOCHS
    accuracy = probe["mnist_accuracy"]
    print(f"\nLeNet-5 on MNIST, seed 0: validation accuracy {accuracy:.2%} after {MNIST_EPOCHS} epochs, "
          f"{probe['mnist_seconds']:.0f} s")
    assert accuracy >= 0.97, f"{accuracy:.2%} < 97 %"


def test_degradation_experiment_shows_on_every_seed(executed_notebook):
    """On every seed the deeper plain network fits its training digits worse than the shallow one, and the
    residual network of the same depth does not (the notebook's full-mode run, read from its probe)."""
    probe = executed_notebook(NB_ID).probe
    assert probe["seeds"] == [0, 1, 2]
    runs = probe["depth_runs"]
    for i, seed in enumerate(probe["seeds"]):
        loss = {name: runs[name][i][0] for name in runs}
        print(f"\nseed {seed}: " + ", ".join(f"{name} {value:.3f}" for name, value in loss.items()))
        assert loss["plain, 14 layers"] > loss["plain, 4 layers"], f"seed {seed}: no degradation {loss}"
        assert loss["residual, 14 layers"] < loss["plain, 14 layers"], f"seed {seed}: the shortcut did not help {loss}"


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
