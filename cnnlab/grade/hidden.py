"""The hidden cases' expected values: computed once per class, in a process of their own.

Judging a hidden case needs what the instructor's answers give for it
(:func:`cnnlab.grade.judge.hidden_expectations`), and the answers of most notebooks import
TensorFlow: about 10 CPU seconds, then seconds more to build the reference models. Computed
in the grading parent before any job starts, that held every worker idle at the start of a
run (notebook 9: 6 s of an 80 s run), and it left TensorFlow imported in the process that
forks the workers.

Here a child process computes them, assignment by assignment, while the workers' kernels
already run, and writes ``<folder>/<assignment>.pkl`` (atomically) for each. A worker needs
them only after the kernel has run, when it judges: it reads the file then, waiting if it
is not there yet (:func:`load`). The folder lies in the course's state folder, which the
sandbox never shows to a kernel. If the child fails or dies, the files it did not write are
written empty, and each worker computes what it needs itself (slower, never wrong).

    python -m cnnlab.grade.hidden FOLDER    # the child: reads FOLDER/sources.pkl
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path

SOURCES = "sources.pkl"


def compute(source: dict[str, bytes]) -> dict[str, dict]:
    """source notebook name → the expected values of its hidden cases, for one assignment's source
    folder (relative path → content). A notebook that fails is left out: each worker reports it."""
    from . import judge
    from .worker import top_notebooks

    found = {}
    for name in top_notebooks(source):
        try:
            found[name] = judge.hidden_expectations(source[name].decode("utf-8"))
        except Exception:  # noqa: BLE001  (a broken source: the worker's judge reports it)
            continue
    return found


def path_for(folder: Path, assignment: str) -> Path:
    return Path(folder) / f"{assignment}.pkl"


def _write(path: Path, value: dict) -> None:
    """Write ``value`` so that a reader sees the whole file or none (rename is atomic)."""
    part = path.with_suffix(".part")
    part.write_bytes(pickle.dumps(value))
    os.replace(part, path)


class Pending:
    """The child computing the expected values of ``sources`` (assignment → source folder) into
    ``folder``, in the order given. :meth:`close` stops it."""

    def __init__(self, sources: dict[str, dict[str, bytes]], folder: Path, threads: int = 0):
        self.folder, self.assignments = Path(folder), list(sources)
        self.folder.mkdir(parents=True, exist_ok=True)
        (self.folder / SOURCES).write_bytes(pickle.dumps(sources))
        env = dict(os.environ)
        if threads:  # the child shares the cores with the kernels it runs beside
            from .worker import THREAD_VARS

            env.update({name: str(threads) for name in THREAD_VARS})
        self._proc = subprocess.Popen([sys.executable, "-m", __name__, str(self.folder)], env=env,
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        self.error = ""  # why the child failed ("" if it did not, or if close() stopped it)
        self._stopped = False
        # A thread that only waits for the child: when it ends, whatever it did not write is written
        # empty, so that no worker waits for it.
        self._watch = threading.Thread(target=self._finish, daemon=True)
        self._watch.start()

    def path(self, assignment: str) -> Path:
        return path_for(self.folder, assignment)

    def _finish(self) -> None:
        _, err = self._proc.communicate()
        if self._proc.returncode and not self._stopped:
            last = err.decode("utf-8", "replace").strip().splitlines()[-1:]
            self.error = last[0] if last else f"the process ended with exit status {self._proc.returncode}"
        for aid in self.assignments:
            if not self.path(aid).exists():
                _write(self.path(aid), {})

    def wait(self) -> dict[str, dict[str, dict]]:
        """Wait for the child; assignment → its expected values (source notebook → values)."""
        self._watch.join()
        return {aid: pickle.loads(self.path(aid).read_bytes()) for aid in self.assignments}

    def close(self) -> None:
        """Stop the child if it still runs; its files are left for the caller to remove."""
        if self._proc.poll() is None:
            self._stopped = True
            self._proc.kill()
        self._watch.join()


def load(path: str | Path, timeout_s: float) -> dict[str, dict]:
    """The expected values the child wrote to ``path`` (source notebook → values), waiting up to
    ``timeout_s`` for the file; {} after that (the worker then computes them itself)."""
    path = Path(path)
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if time.monotonic() > deadline:
            return {}
        time.sleep(0.1)
    try:
        return pickle.loads(path.read_bytes())
    except (OSError, pickle.UnpicklingError, EOFError):
        return {}


def main(argv: list[str] | None = None) -> int:
    folder = Path((argv or sys.argv[1:])[0])
    sources = pickle.loads((folder / SOURCES).read_bytes())
    for aid, source in sources.items():
        _write(path_for(folder, aid), compute(source))
    return 0


if __name__ == "__main__":
    sys.exit(main())
