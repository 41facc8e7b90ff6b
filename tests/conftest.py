"""Shared fixtures (the real data folder, skipped when CNNLAB_DATA is unset; quiet plots) and how
``pytest -n 2`` shares two cores: one thread per notebook kernel, and the longest tests first."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

import cnnlab.grade  # noqa: F401  before nbformat (in executed): keeps jsonschema from building unused URI grammars
import executed
from needs import unavailable

matplotlib.use("Agg")

# Notebook 9 and bench/transfer.py download MobileNetV2's ImageNet weights when they can. The tests
# always take the offline path (a base pre-trained on CIFAR-10's task A), so that they run the same with
# or without internet; notebook kernels started by the tests inherit this.
os.environ["CNNLAB_OFFLINE"] = "1"

# `pytest -n 2` on 2 cores: each worker's kernels train with one thread. With TensorFlow's default (a
# thread per core) the two workers' kernels spin against each other: notebooks 8 and 10 run side by side
# took 133 and 151 s with 2 threads each, 107 and 143 s with 1 (and 18 % less CPU). A value set by hand wins.
_WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
if _WORKERS > 1:  # in the workers only: the controller runs no kernel, and this import takes 1.7 s
    from cnnlab.grade.worker import THREAD_VARS

    for _name in THREAD_VARS:
        os.environ.setdefault(_name, str(max(1, (os.cpu_count() or 1) // _WORKERS)))


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


# The queue (pytest-xdist): a module's tests go to one worker, so that its module-scoped fixtures (a graded
# class, scikit-learn's kNN on CIFAR-10: 35-55 s each) are made once; each notebook's full-mode run and
# grading round trip is a unit of its own. Units go out longest first, so that the two workers end together:
# the full-mode runs (most expensive first, by their full-mode seconds on 2 cores: a hint only), the
# round trips, then the modules in collection order. Tests that read a full-mode run come after every
# run has started, so none waits long on another worker's run.
ONE_UNIT_EACH = ("test_notebooks_execute.py", "test_grading_roundtrip.py")
FULL_MODE_SECONDS = {"07_case_studies": 300, "11_capstone": 200, "09_transfer_learning": 170,
                     "08_augmentation": 150, "10_representation_learning": 125, "01_knn": 85,
                     "06_keras_cnn": 80}


def pytest_collection_modifyitems(config, items):
    def rank(item):
        nb_id = item.callspec.params.get("nb_id", "") if hasattr(item, "callspec") else ""
        stage = next((i for i, name in enumerate(ONE_UNIT_EACH) if item.path.name == name), len(ONE_UNIT_EACH))
        return stage, -FULL_MODE_SECONDS.get(nb_id, 0) if stage < len(ONE_UNIT_EACH) else 0

    items.sort(key=rank)  # stable: the rest keeps its collection order


try:
    from xdist.scheduler import LoadScopeScheduling
except ImportError:  # without pytest-xdist, `pytest` runs the tests one after another
    pass
else:
    class _Units(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return nodeid if module.endswith(ONE_UNIT_EACH) else module

    def pytest_xdist_make_scheduler(config, log):
        if config.getvalue("dist") == "load":  # the default of `-n 2`; an explicit --dist is left alone
            config.option.loadscopereorder = False  # keep the order above
            return _Units(config, log)
        return None
