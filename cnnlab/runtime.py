"""Where a notebook runs, and how long it may take.

The autograder (nbgrader) sets ``NBGRADER_EXECUTION`` while it executes a
submission. Notebooks read :func:`fast_mode` to shrink long experiments there;
graded checks never depend on it.
"""

from __future__ import annotations

import logging
import os
import sys
from contextlib import contextmanager

FAST_ENV = "CNNLAB_FAST"


def in_colab() -> bool:
    """True inside Google Colab."""
    return "google.colab" in sys.modules


def is_autograding() -> bool:
    """True while nbgrader executes the notebook (autograde or validate)."""
    return bool(os.environ.get("NBGRADER_EXECUTION"))


def fast_mode() -> bool:
    """True when long experiments should shrink: under nbgrader, or ``CNNLAB_FAST=1``."""
    return is_autograding() or os.environ.get(FAST_ENV, "") not in ("", "0")


def quiet_tensorflow() -> None:
    """Silence TensorFlow's start-up logs, which go to stderr.

    nbgrader gives 0 points to a graded cell that writes anything to stderr,
    so every notebook that uses TensorFlow calls this before importing it.
    It imports TensorFlow itself (about 5 s), with stderr silenced.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    logging.getLogger("absl").setLevel(logging.ERROR)
    # TensorFlow's C++ start-up lines ignore TF_CPP_MIN_LOG_LEVEL and go straight to
    # file descriptor 2: import it once with that descriptor pointed at /dev/null.
    if "tensorflow" not in sys.modules:
        with _silenced_stderr_fd():
            import tensorflow  # noqa: F401


@contextmanager
def _silenced_stderr_fd():
    """Point file descriptor 2 at /dev/null for the duration (C libraries write there)."""
    sys.stderr.flush()
    saved, null = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(null)
