"""``cnnlab start``: the student's own copy of the course, and JupyterLab on it.

Students used to type their answers into ``notebooks/``, which the course
regenerates: the next ``git pull`` then conflicted with their work. Here the
course's notebooks are *copied* into a work folder (``work/`` by default,
ignored by git) and never copied again: a course update cannot overwrite or
conflict with an answer. When a course notebook changed since it was copied,
``start`` says so, and the student decides what to do with the new version.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

MANIFEST = ".cnnlab-course.json"  # in the work folder: the hash of each notebook as it was copied
DEFAULT_WORK_DIR = Path("work")


class StartError(RuntimeError):
    """Something the student must fix before the course can start; the message says what."""


@dataclass
class StartReport:
    """What :func:`prepare` did: notebooks copied, kept as they were, and updated in the course."""

    work_dir: Path
    copied: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        """Plain sentences for the terminal."""
        out = []
        if self.copied:
            out.append(f"Copied {len(self.copied)} notebook(s) into {self.work_dir}/: {', '.join(self.copied)}")
        if self.kept:
            out.append(f"Kept your {len(self.kept)} notebook(s) in {self.work_dir}/ as they are.")
        for name in self.updated:
            out.append(f"The course has a newer {name} than your copy. Your answers stay where they are; "
                       f"to start over with the new version, rename your {self.work_dir / name} and run "
                       f"`cnnlab start` again (it copies only notebooks you do not have).")
        return out


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def find_course_notebooks(explicit: Path | None = None) -> Path:
    """The folder of the course's student notebooks.

    ``explicit`` if given; else ``./notebooks`` (run from the course's clone);
    else the ``notebooks/`` next to this package (an editable install).
    """
    candidates = [explicit] if explicit else [Path("notebooks"), Path(__file__).resolve().parent.parent / "notebooks"]
    for folder in candidates:
        if folder is not None and folder.is_dir() and any(folder.glob("*.ipynb")):
            return folder
    where = explicit or "./notebooks"
    raise StartError(f"No course notebooks found in {where}. Run `cnnlab start` from the folder you cloned "
                     "the course into (it has a notebooks/ folder), or name it: "
                     "`cnnlab start --course-notebooks PATH`.")


def prepare(work_dir: Path = DEFAULT_WORK_DIR, course_notebooks: Path | None = None) -> StartReport:
    """Copy every course notebook that ``work_dir`` does not have yet; never overwrite one.

    Returns what was copied, what was kept, and which kept notebooks the course
    has changed since they were copied.
    """
    source = find_course_notebooks(course_notebooks)
    work_dir = Path(work_dir)
    if work_dir.exists() and not work_dir.is_dir():
        raise StartError(f"{work_dir} is a file, not a folder: choose another work folder, "
                         "e.g. `cnnlab start my-course`.")
    if work_dir.resolve() == source.resolve():
        raise StartError(f"The work folder must not be the course's own {source}/: the course regenerates "
                         "those notebooks. Choose another one, e.g. `cnnlab start work`.")
    work_dir.mkdir(parents=True, exist_ok=True)
    manifest_path = work_dir / MANIFEST
    try:
        manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    except ValueError:
        manifest = {}  # a damaged manifest only loses the "newer" notes, never a notebook
    report = StartReport(work_dir)
    for notebook in sorted(source.glob("*.ipynb")):
        target = work_dir / notebook.name
        digest = _digest(notebook)
        if target.exists():
            report.kept.append(notebook.name)
            if manifest.get(notebook.name, digest) != digest:
                report.updated.append(notebook.name)
            continue
        shutil.copyfile(notebook, target)
        manifest[notebook.name] = digest
        report.copied.append(notebook.name)
    manifest_path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return report


def launch_jupyterlab(work_dir: Path, extra_args: list[str] = ()) -> int:
    """Start JupyterLab in ``work_dir`` and wait for it; its exit status."""
    if shutil.which("jupyter-lab") is None and _module_missing("jupyterlab"):
        raise StartError('JupyterLab is not installed in this environment. Install the course for your own '
                         'machine with `pip install -e ".[local]"`, then run `cnnlab start` again.')
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={Path(work_dir).resolve()}", *extra_args]
    with subprocess.Popen(command) as lab:
        # `cnnlab start` stands for JupyterLab: stopping it (SIGTERM) stops JupyterLab too, not only this process.
        previous = signal.signal(signal.SIGTERM, lambda *_: lab.terminate())
        try:
            return lab.wait()
        except BaseException:  # Ctrl-C here, as subprocess.call does
            lab.kill()
            raise
        finally:
            signal.signal(signal.SIGTERM, previous)


def _module_missing(name: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(name) is None
