"""Shared fixtures: the real data folder (skip when CNNLAB_DATA is unset) and quiet plots."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

# Notebook 8 and bench/transfer.py download MobileNetV2's ImageNet weights when they can. The tests
# always take the offline path (a base pre-trained on CIFAR-10's task A), so that they run the same with
# or without internet; notebook kernels started by the tests inherit this.
os.environ["CNNLAB_OFFLINE"] = "1"

# Under pytest-xdist each worker's kernels get an equal share of the cores, as `cnnlab grade autograde`
# gives its jobs: two TensorFlow kernels with a thread per core each would oversubscribe the machine.
if os.environ.get("PYTEST_XDIST_WORKER_COUNT"):
    from cnnlab.autograde import THREAD_VARS

    _threads = str(max(1, (os.cpu_count() or 1) // int(os.environ["PYTEST_XDIST_WORKER_COUNT"])))
    for _name in THREAD_VARS:
        os.environ.setdefault(_name, _threads)


def pytest_collection_modifyitems(items):
    """Run the notebook executions and round trips first, the training notebooks first among them.

    With two workers, the long tests then overlap each other, and the short ones fill the end.
    """
    def rank(item):
        nb_id = item.callspec.params.get("nb_id", "") if hasattr(item, "callspec") else ""
        if item.module.__name__.endswith("test_notebooks_execute"):
            return (0, [-ord(ch) for ch in nb_id])
        if item.get_closest_marker("nbgrader") and nb_id:
            return (1, [-ord(ch) for ch in nb_id])
        return (2, [])

    items[:] = sorted(items, key=rank)  # stable: the rest keep their order


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder named by CNNLAB_DATA; tests that need it skip when it is unset."""
    folder = os.environ.get("CNNLAB_DATA")
    if not folder:
        pytest.skip("CNNLAB_DATA is not set: the real CIFAR-10/MNIST data is not available")
    return Path(folder)
