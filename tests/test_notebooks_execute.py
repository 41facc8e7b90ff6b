"""Every solution notebook runs top to bottom in a fresh kernel, offline, in full mode.

The run is made once per test run (tests/executed.py) and shared with the tests that check what
the notebook trained. (The grading round trip runs them again in nbgrader's fast mode.) Each run's
wall time is printed for the README's table; no test asserts on time, but a
cell that hangs fails at the per-cell timeout.
"""

from __future__ import annotations

import os
from datetime import datetime

import pytest

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
def test_solution_notebook_executes(nb_id, executed_notebook):
    run = executed_notebook(nb_id)  # tests of what the notebook trained read this same run
    nb = run.nb
    print(f"\n{nb_id}: executed in {run.seconds:.0f} s (full mode, {os.cpu_count()} CPUs); "
          "slowest cells: " + ", ".join(f"#{i} {t:.1f} s" for t, i in _slowest(nb)))
    errors = [(i, o.ename) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "error"]
    assert errors == []
    stderr = [(i, o.text[:200]) for i, c in enumerate(nb.cells) if c.cell_type == "code"
              for o in c.outputs if o.output_type == "stream" and o.name == "stderr"]
    assert stderr == [], f"{nb_id}: cells wrote to stderr (warnings or logs students would see)"
    assert "error" not in run.probe, f"{nb_id}: the tests' probe failed: {run.probe.get('error')}"
