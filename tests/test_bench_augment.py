"""bench/augment.py runs notebook 8's own experiment: it must still find the notebook's functions."""

from __future__ import annotations

import runpy

import pytest

import nbtools

pytestmark = pytest.mark.data


def test_bench_augment_runs_the_notebooks_experiment(real_data, monkeypatch, capsys):
    monkeypatch.setenv("CNNLAB_DATA", str(real_data))
    bench = runpy.run_path(str(nbtools.ROOT / "bench" / "augment.py"))
    bench["main"](["--epochs", "1", "--seeds", "0"])
    out = capsys.readouterr().out
    assert "1 epochs, seed 0, with augmentation" in out
    for label in ("training accuracy", "test accuracy", "gap (train − test)"):
        assert label in out
