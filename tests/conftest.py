"""Shared fixtures: the real data folder (skip when CNNLAB_DATA is unset) and quiet plots."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

import executed
from needs import unavailable

matplotlib.use("Agg")

# Notebook 9 and bench/transfer.py download MobileNetV2's ImageNet weights when they can. The tests
# always take the offline path (a base pre-trained on CIFAR-10's task A), so that they run the same with
# or without internet; notebook kernels started by the tests inherit this.
os.environ["CNNLAB_OFFLINE"] = "1"


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder named by CNNLAB_DATA; tests that need it skip when it is unset (and fail in CI)."""
    folder = os.environ.get("CNNLAB_DATA")
    if not folder:
        unavailable("CNNLAB_DATA is not set: the real CIFAR-10/MNIST data is not available")
    return Path(folder)


@pytest.fixture(scope="session")
def executed_notebook(real_data, tmp_path_factory):
    """``executed_notebook(nb_id)``: that solution notebook after its one full-mode run of this test run."""
    base = tmp_path_factory.getbasetemp()
    # pytest-xdist's workers each get a folder inside this run's own; share the run's folder.
    shared = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "executed-notebooks"
    return lambda nb_id: executed.get(nb_id, real_data, shared)
