"""Every solution notebook runs top to bottom in a fresh kernel, offline, in full mode.

(The grading round trip runs them again in nbgrader's fast mode.) Each run's
wall time is printed for the README's table; no test asserts on time, but a
cell that hangs fails at the per-cell timeout.
"""

from __future__ import annotations

import os
import time
from datetime import datetime

import pytest
from nbclient import NotebookClient

import nbtools

pytestmark = pytest.mark.data


def _slowest(nb, n=3) -> list[tuple[float, int]]:
    """The n slowest cells as (seconds, index), from nbclient's recorded timings."""
    times = []
    for i, cell in enumerate(nb.cells):
        timing = cell.metadata.get("execution", {})
        if "iopub.execute_input" in timing and "shell.execute_reply" in timing:
            began, ended = (datetime.fromisoformat(timing[k].replace("Z", "+00:00"))
                            for k in ("iopub.execute_input", "shell.execute_reply"))
            times.append(((ended - began).total_seconds(), i))
    return sorted(times, reverse=True)[:n]


@pytest.mark.parametrize("nb_id", nbtools.solution_ids())
def test_solution_notebook_executes(nb_id, real_data, monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("CNNLAB_FAST", raising=False)
    monkeypatch.setenv("CNNLAB_DATA", str(real_data))
    nb = nbtools.read(nbtools.SOLUTIONS / f"{nb_id}.ipynb")
    start = time.perf_counter()
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(nbtools.NOTEBOOKS)}}).execute()
    print(f"\n{nb_id}: executed in {time.perf_counter() - start:.0f} s (full mode, {os.cpu_count()} CPUs); "
          "slowest cells: " + ", ".join(f"#{i} {t:.1f} s" for t, i in _slowest(nb)))
    errors = [(i, o.ename) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert errors == []
    stderr = [(i, o.text[:200]) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "stream" and o.name == "stderr"]
    assert stderr == [], f"{nb_id}: cells wrote to stderr (warnings or logs students would see)"
