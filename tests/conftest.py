"""Shared fixtures: the real data folder (skip when CNNLAB_DATA is unset) and quiet plots."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(scope="session")
def real_data() -> Path:
    """The folder named by CNNLAB_DATA; tests that need it skip when it is unset."""
    folder = os.environ.get("CNNLAB_DATA")
    if not folder:
        pytest.skip("CNNLAB_DATA is not set: the real CIFAR-10/MNIST data is not available")
    return Path(folder)
