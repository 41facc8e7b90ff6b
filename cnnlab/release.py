"""Regenerate the student notebooks in ``notebooks/`` from ``solutions/``.

``solutions/NN_name.ipynb`` is the nbgrader source (solutions between
``### BEGIN SOLUTION``/``### END SOLUTION``, hidden tests between
``### BEGIN HIDDEN TESTS``/``### END HIDDEN TESTS``). Each becomes its own
nbgrader assignment ``NN_name`` in a temporary course folder, and nbgrader's
``generate_assignment`` writes the student version, which is copied to
``notebooks/``. The output depends only on the sources, so a test can
regenerate and compare (``tests/test_release.py``).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from . import nbgrader_api

def assignment_ids(solutions_dir: Path) -> list[str]:
    """The assignment of each solution notebook: its file name without ``.ipynb``."""
    return sorted(p.stem for p in Path(solutions_dir).glob("*.ipynb"))


def build_course(solutions_dir: Path, course_dir: Path, ids: list[str] | None = None) -> list[str]:
    """Lay out ``course_dir/source/<id>/<id>.ipynb`` and run ``generate_assignment``.

    Returns the assignment ids; the student notebooks are in ``course_dir/release/``.
    """
    ids = ids or assignment_ids(solutions_dir)
    for aid in ids:
        src = Path(solutions_dir) / f"{aid}.ipynb"
        if not src.exists():
            raise FileNotFoundError(f"no solution notebook {src}")
        dest = Path(course_dir) / "source" / aid
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / src.name)
    api = nbgrader_api.make_api(Path(course_dir))
    for aid in ids:
        nbgrader_api.run(f"generate_assignment {aid}", api.generate_assignment, aid, force=True)
    return ids


def release(solutions_dir: Path = Path("solutions"), notebooks_dir: Path = Path("notebooks"),
            ids: list[str] | None = None) -> list[Path]:
    """Write the student version of every (or the named) solution notebook.

    Returns the paths written in ``notebooks_dir``.
    """
    written = []
    with tempfile.TemporaryDirectory(prefix="cnnlab-release-") as tmp:
        for aid in build_course(Path(solutions_dir), Path(tmp), ids):
            out = Path(notebooks_dir) / f"{aid}.ipynb"
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(tmp) / "release" / aid / f"{aid}.ipynb", out)
            written.append(out)
    return written
