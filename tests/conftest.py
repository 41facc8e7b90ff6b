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


def _full_mode_notebook(item) -> str | None:
    """The notebook whose full-mode run (tests/executed.py) a test reads, or may read: its ``nb_id``
    parameter or its module's ``NB_ID``, for a test that asks for ``executed_notebook`` (some ask only
    for a notebook that writes files: executed.WRITES_FILES)."""
    params = getattr(getattr(item, "callspec", None), "params", {})
    nb_id = params.get("nb_id") or getattr(item.module, "NB_ID", None)
    if nb_id and ("executed_notebook" in item.fixturenames or nb_id in executed.WRITES_FILES):
        return nb_id
    return None


def pytest_collection_modifyitems(config, items):
    """The longest tests first, and with ``pytest -n 2 --dist loadgroup`` (README.md) the tests that
    read one notebook's full-mode run on one worker, one after another.

    Otherwise a test that needs a run the other worker is making waits for it on a file lock, with its
    core idle (the capstone's leaderboard test waited 190 s for the capstone's training), and a long
    test handed out last runs alone on one core. The order: the tests of the full-mode runs (minutes of
    training each), then the nbgrader round trips, then the rest, each in collection order (pytest-xdist
    then hands out the groups of several tests first, the largest first).
    """
    for item in items:
        nb_id = _full_mode_notebook(item)
        if nb_id:
            item.add_marker(pytest.mark.xdist_group(f"full-mode-{nb_id}"))
    items.sort(key=lambda item: 0 if item.get_closest_marker("xdist_group") else
               1 if item.get_closest_marker("nbgrader") else 2)
