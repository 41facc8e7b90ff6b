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

from .grade import nbgrader_api

def assignment_ids(solutions_dir: Path) -> list[str]:
    """The assignment of each solution notebook: its file name without ``.ipynb``."""
    return sorted(p.stem for p in Path(solutions_dir).glob("*.ipynb"))


def build_course(solutions_dir: Path, course_dir: Path, ids: list[str] | None = None, **config) -> list[str]:
    """Lay out ``course_dir/source/<id>/<id>.ipynb`` and run ``generate_assignment``.

    Returns the assignment ids; the student notebooks are in ``course_dir/release/``.
    ``config`` goes to nbgrader, e.g. ``{"CourseDirectory.db_url": "postgresql+psycopg://..."}``.
    """
    ids = ids or assignment_ids(solutions_dir)
    for aid in ids:
        src = Path(solutions_dir) / f"{aid}.ipynb"
        if not src.exists():
            raise FileNotFoundError(f"no solution notebook {src}")
        dest = Path(course_dir) / "source" / aid
        dest.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, dest / src.name)
    api = nbgrader_api.make_api(Path(course_dir), **config)
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


NBGRADER_CONFIG = """\
# Written by `cnnlab release --course`: nbgrader (and JupyterHub's formgrader) for this course folder.
# Grade with `cnnlab grade autograde`: it runs in parallel and sandboxed. The settings below make
# nbgrader's own autograde (the formgrader's button) sandboxed too, one submission at a time, and
# its feedback free of hidden tests.
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from cnnlab.grade.feedback import RedactHiddenTests
from cnnlab.grade.steps import worker_config
from cnnlab.grade.worker import Limits

c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "cnnlab"
{db_line}
for key, value in worker_config(Limits(sandbox={sandbox!r}), [{root!r}]).items():
    section, trait = key.split(".")
    setattr(c[section], trait, value)
c.GenerateFeedback.preprocessors = [GetGrades, RedactHiddenTests, CSSHTMLHeaderPreprocessor]
"""


def write_nbgrader_config(course_dir: Path, db_url: str | None = None, sandbox: bool = True) -> Path:
    """Write ``course_dir/nbgrader_config.py`` for nbgrader's formgrader (see NBGRADER_CONFIG)."""
    path = Path(course_dir) / "nbgrader_config.py"
    db_line = f"c.CourseDirectory.db_url = {db_url!r}" if db_url else "# gradebook: sqlite, gradebook.db here"
    path.write_text(NBGRADER_CONFIG.format(root=str(Path(course_dir).resolve()), db_line=db_line, sandbox=sandbox))
    return path
