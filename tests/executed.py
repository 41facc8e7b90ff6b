"""Each solution notebook runs in full mode once per test run, whichever test asks first.

Training is the suite's largest cost. The execution test and the tests that check what a notebook's
training achieved (notebook 7's first CNN reaches 55 %, ...) used to train the same models again
each. Now a notebook runs once, with *probe* cells appended that print what those tests need as
one JSON line; the executed notebook and its probes are kept for the rest of the run, shared by
pytest-xdist's workers through a file lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import nbtools

PROBE_MARK = "PROBE "
# nb_id → code run after the notebook's last cell, in its kernel: it prints PROBE {json}.
PROBES = {
    "06_keras_cnn": (
        "import json\n"
        "_accuracy = float(np.mean(model.predict(x_test, verbose=0).argmax(axis=1) == y_test))\n"
        "print('PROBE ' + json.dumps({'test_accuracy': _accuracy, 'epochs': len(history.history['loss']),\n"
        "      'n_train': len(x_train), 'n_test': len(x_test), 'seconds': history.seconds,\n"
        "      'cpu_seconds': history.cpu_seconds}))"
    ),
    "07_case_studies": (
        "import json\n"
        "print('PROBE ' + json.dumps({'mnist_accuracy': float(mnist_accuracy), 'mnist_epochs': mnist_epochs,\n"
        "      'mnist_shape': list(x_mnist.shape), 'mnist_seconds': history_mnist.seconds, 'seeds': list(seeds),\n"
        "      'depth_runs': {k: [[float(x) for x in run] for run in v] for k, v in depth_runs.items()}}))"
    ),
    "09_transfer_learning": (
        "import json\n"
        "print('PROBE ' + json.dumps({'path': backbone.path, 'results': results, 'knn': knn_accuracy,\n"
        "      'task_a_accuracy': getattr(backbone.history, 'test_accuracy', None)}))"
    ),
    "11_capstone": (
        "import json\n"
        "print('PROBE ' + json.dumps({'log': capstone.read_log(), 'n_train': len(x_train), 'n_test': len(x_test)}))"
    ),
}
# nb_id → files the notebook writes next to itself that a student submits with it (the capstone's trained
# model and log). Such a notebook runs in a folder of its own, kept for the rest of the test run.
WRITES_FILES = {"11_capstone": ("capstone.keras", "capstone.json")}


@dataclass
class Executed:
    """A solution notebook after one full-mode run (``folder``: where it ran, with the files it wrote)."""

    nb: nbformat.NotebookNode
    seconds: float
    probe: dict
    folder: Path = nbtools.NOTEBOOKS

    def files(self, nb_id: str) -> list[Path]:
        """The files of WRITES_FILES[nb_id] this run wrote, as a student would submit them."""
        return [self.folder / name for name in WRITES_FILES.get(nb_id, ())]


@contextmanager
def _full_mode_env(data_dir: Path):
    """The kernel inherits this process's environment: full mode, the real data."""
    saved = dict(os.environ)
    os.environ.pop("NBGRADER_EXECUTION", None)
    os.environ.pop("CNNLAB_FAST", None)
    os.environ["CNNLAB_DATA"] = str(data_dir)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _run(nb_id: str, data_dir: Path, folder: Path = nbtools.NOTEBOOKS) -> Executed:
    nb = nbtools.read(nbtools.SOLUTIONS / f"{nb_id}.ipynb")
    if nb_id in PROBES:
        nb.cells.append(nbformat.v4.new_code_cell(PROBES[nb_id], metadata={"probe": True}))
    start = time.perf_counter()
    with _full_mode_env(data_dir):
        # the capstone trains for 3 CPU minutes in one cell: on a loaded machine that is more wall time
        NotebookClient(nb, timeout=1800 if nb_id in WRITES_FILES else 600, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(folder)}}).execute()
    seconds = time.perf_counter() - start
    probe = {}
    if nb_id in PROBES:
        probe_cell = nb.cells.pop()
        text = "".join(o.get("text", "") for o in probe_cell.outputs if o.output_type == "stream")
        lines = [line for line in text.splitlines() if line.startswith(PROBE_MARK)]
        probe = json.loads(lines[0][len(PROBE_MARK):]) if lines else {"error": [
            f"{o.ename}: {o.evalue}" for o in probe_cell.outputs if o.output_type == "error"]}
    return Executed(nb, seconds, probe, folder)


def get(nb_id: str, data_dir: Path, shared_dir: Path) -> Executed:
    """The full-mode run of ``nb_id``: made now if no test of this run made it yet."""
    shared_dir.mkdir(parents=True, exist_ok=True)
    stored = shared_dir / f"{nb_id}.json"
    with open(shared_dir / f"{nb_id}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second worker waits for the first one's run
        if stored.exists():
            data = json.loads(stored.read_text())
            return Executed(nbformat.reads(data["nb"], as_version=4), data["seconds"], data["probe"],
                            Path(data.get("folder", nbtools.NOTEBOOKS)))
        folder = nbtools.NOTEBOOKS
        if nb_id in WRITES_FILES:
            folder = shared_dir / f"{nb_id}-folder"
            folder.mkdir(exist_ok=True)
        run = _run(nb_id, data_dir, folder)
        stored.write_text(json.dumps({"nb": nbformat.writes(run.nb), "seconds": run.seconds, "probe": run.probe,
                                      "folder": str(run.folder)}))
        return run
