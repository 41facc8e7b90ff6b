"""cnnlab.runtime: fast mode under nbgrader, and TensorFlow kept off stderr."""

from __future__ import annotations

import subprocess
import sys

from cnnlab import runtime


def test_fast_mode_follows_nbgrader_and_the_override(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv(runtime.FAST_ENV, raising=False)
    assert not runtime.fast_mode()
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert runtime.is_autograding() and runtime.fast_mode()
    monkeypatch.delenv("NBGRADER_EXECUTION")
    monkeypatch.setenv(runtime.FAST_ENV, "1")
    assert runtime.fast_mode()
    monkeypatch.setenv(runtime.FAST_ENV, "0")
    assert not runtime.fast_mode()


def test_quiet_tensorflow_writes_nothing_to_stderr():
    """nbgrader gives 0 to a graded cell with stderr output; TensorFlow's start-up must be silent."""
    code = ("from cnnlab import runtime; runtime.quiet_tensorflow()\n"
            "import keras, numpy as np\n"
            "model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3)])\n"
            "print(model.predict(np.zeros((1, 4, 4, 1)), verbose=0).shape)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(1, 2, 2, 2)"
    assert done.stderr == ""
