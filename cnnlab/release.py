"""Regenerate the student notebooks in ``notebooks/`` from ``solutions/``.

``solutions/NN_name.ipynb`` is the nbgrader source (solutions between
``### BEGIN SOLUTION``/``### END SOLUTION``, hidden tests between
``### BEGIN HIDDEN TESTS``/``### END HIDDEN TESTS``). Each becomes its own
nbgrader assignment ``NN_name`` in a temporary course folder, and nbgrader's
``generate_assignment`` writes the student version, which is copied to
``notebooks/``. The output depends only on the sources, so a test can
regenerate and compare (``tests/test_release.py``).

The course's address comes from one setting, ``Repository`` under
``[project.urls]`` in ``pyproject.toml``. The sources write
``@COURSE_REPOSITORY@`` where it belongs (the Colab badge, the Colab install
cell); the release fills it in, and rewrites the README's Colab links to match.
An instructor who publishes the course elsewhere changes that one line and runs
``cnnlab release``.

Written questions (:mod:`cnnlab.questions`): the cell under each answer cell
(cell metadata ``{"cnnlab": {"reveal": "<grade_id>"}}``) gets the model answer of
that question, encoded, or none with ``model_answers=False`` (a graded class).
"""

from __future__ import annotations

import re
import shutil
import tempfile
import tomllib
from pathlib import Path

import nbformat

from . import questions
from .grade import nbgrader_api

REPOSITORY_TOKEN = "@COURSE_REPOSITORY@"
_GITHUB = re.compile(r"https://github\.com/([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+?)(?:\.git)?/?")
_README_COLAB = re.compile(r"(colab\.research\.google\.com/github/)[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/blob/)")


def course_repository(pyproject: Path) -> str:
    """``owner/name`` of the course on GitHub, from ``pyproject``'s ``[project.urls] Repository``.

    Without that file (solutions kept outside the course's clone), the same
    setting is read from the installed package's metadata. Colab opens
    notebooks straight from GitHub, so it must be a GitHub address.
    """
    if Path(pyproject).exists():
        urls = tomllib.loads(Path(pyproject).read_text(encoding="utf-8")).get("project", {}).get("urls", {})
        url = urls.get("Repository")
    else:
        from importlib import metadata

        pyproject = "the installed cnnlab package"
        entries = metadata.metadata("cnnlab").get_all("Project-URL") or []
        url = next((e.split(",", 1)[1].strip() for e in entries if e.split(",", 1)[0].strip() == "Repository"), None)
    if not url:
        raise ValueError(f"{pyproject}: set the course's address under [project.urls], e.g. "
                         'Repository = "https://github.com/OWNER/NAME"')
    match = _GITHUB.fullmatch(url.strip())
    if not match:
        raise ValueError(f"{pyproject}: Repository = {url!r} is not a GitHub repository address "
                         "(https://github.com/OWNER/NAME); Colab badges can only open notebooks from GitHub.")
    return match.group(1)


def fill_repository(text: str, repository: str) -> str:
    """``text`` with every ``@COURSE_REPOSITORY@`` replaced by ``repository`` (``owner/name``)."""
    return text.replace(REPOSITORY_TOKEN, repository)


def readme_with_repository(readme: str, repository: str) -> str:
    """The README text with every Colab link pointing into ``repository``."""
    return _README_COLAB.sub(lambda m: f"{m.group(1)}{repository}{m.group(2)}", readme)


def _pyproject_for(solutions_dir: Path) -> Path:
    """The ``pyproject.toml`` of the course that holds ``solutions_dir`` (its parent folder)."""
    return Path(solutions_dir).resolve().parent / "pyproject.toml"

def assignment_ids(solutions_dir: Path) -> list[str]:
    """The assignment of each solution notebook: its file name without ``.ipynb``."""
    return sorted(p.stem for p in Path(solutions_dir).glob("*.ipynb"))


def fill_model_answers(student_text: str, source_nb, include: bool) -> str:
    """The released notebook (JSON text) with each reveal cell's code made from ``source_nb``.

    With ``include``, a reveal cell carries its question's model answer (encoded); without,
    it carries none and says so when run. A reveal cell whose question the source lacks,
    or whose answer cell has no model answer, is an error: the release would ship a dud.
    """

    answers = {c.metadata["nbgrader"]["grade_id"]: c.source for c in source_nb.cells
               if c.metadata.get("nbgrader", {}).get("grade_id", "").startswith(questions.QUESTION_PREFIX)}
    nb = nbformat.reads(student_text, as_version=4)
    changed = False
    for cell in nb.cells:
        qid = cell.metadata.get("cnnlab", {}).get("reveal")
        if cell.cell_type != "code" or not qid:
            continue
        model = questions.model_answer(answers.get(qid, ""))
        if not model:
            raise ValueError(f"reveal cell for {qid!r}: the source has no answer cell {qid!r} with a "
                             f"model answer ({questions.MODEL_HEADING} ...)")
        cell.source = questions.reveal_source(qid, model if include else None)
        changed = True
    return nbformat.writes(nb) + "\n" if changed else student_text


def build_course(solutions_dir: Path, course_dir: Path, ids: list[str] | None = None,
                 model_answers: bool = False, **config) -> list[str]:
    """Lay out ``course_dir/source/<id>/<id>.ipynb`` and run ``generate_assignment``.

    Returns the assignment ids; the student notebooks, with the course's address
    filled in, are in ``course_dir/release/``. ``model_answers``: put the written
    questions' model answers in them (off by default: a course folder is for a
    graded class). ``config`` goes to nbgrader, e.g.
    ``{"CourseDirectory.db_url": "postgresql+psycopg://..."}``.
    """
    repository = course_repository(_pyproject_for(solutions_dir))
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
        student = Path(course_dir) / "release" / aid / f"{aid}.ipynb"
        text = fill_repository(student.read_text(encoding="utf-8"), repository)
        source_nb = nbformat.read(Path(solutions_dir) / f"{aid}.ipynb", as_version=4)
        student.write_text(fill_model_answers(text, source_nb, model_answers), encoding="utf-8")
    return ids


def release(solutions_dir: Path = Path("solutions"), notebooks_dir: Path = Path("notebooks"),
            ids: list[str] | None = None, model_answers: bool = True) -> list[Path]:
    """Write the student version of every (or the named) solution notebook.

    ``model_answers``: the written questions' model answers go in, for self-learners
    (the default: ``notebooks/`` is the public release, and ``solutions/`` beside it is
    public too); False for a graded class. The course's address is filled in (see the module docstring), and the
    README beside ``pyproject.toml``, if there is one, gets matching Colab links.
    Returns the paths written in ``notebooks_dir``.
    """
    pyproject = _pyproject_for(solutions_dir)
    repository = course_repository(pyproject)  # before any work: a bad setting stops the release
    written = []
    with tempfile.TemporaryDirectory(prefix="cnnlab-release-") as tmp:
        for aid in build_course(Path(solutions_dir), Path(tmp), ids, model_answers=model_answers):
            out = Path(notebooks_dir) / f"{aid}.ipynb"
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(tmp) / "release" / aid / f"{aid}.ipynb", out)
            written.append(out)
    readme = pyproject.parent / "README.md"
    if readme.exists():
        text = readme.read_text(encoding="utf-8")
        if readme_with_repository(text, repository) != text:
            readme.write_text(readme_with_repository(text, repository), encoding="utf-8")
    return written


NBGRADER_CONFIG = """\
# Written by `cnnlab release --course`: nbgrader (and JupyterHub's formgrader) for this course folder.
# Grade with `cnnlab grade autograde`: it runs in parallel and sandboxed. The settings below make
# nbgrader's own autograde (the formgrader's button) sandboxed too, one submission at a time, and
# its feedback free of hidden tests and of scripts in student outputs (`cnnlab grade feedback` also
# cleans the rendered markdown cells; prefer it).
from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import GetGrades

from cnnlab.grade.feedback import RedactHiddenTests
from cnnlab.grade.sanitize import SanitizeOutputs
from cnnlab.grade.steps import worker_config
from cnnlab.grade.worker import Limits

c = get_config()  # noqa: F821
c.CourseDirectory.root = {root!r}
c.CourseDirectory.course_id = "cnnlab"
{db_line}
for key, value in worker_config(Limits(sandbox={sandbox!r}), [{root!r}]).items():
    section, trait = key.split(".")
    setattr(c[section], trait, value)
c.GenerateFeedback.preprocessors = [GetGrades, RedactHiddenTests, SanitizeOutputs, CSSHTMLHeaderPreprocessor]
"""


def write_nbgrader_config(course_dir: Path, db_url: str | None = None, sandbox: bool = True) -> Path:
    """Write ``course_dir/nbgrader_config.py`` for nbgrader's formgrader (see NBGRADER_CONFIG)."""
    path = Path(course_dir) / "nbgrader_config.py"
    db_line = f"c.CourseDirectory.db_url = {db_url!r}" if db_url else "# gradebook: sqlite, gradebook.db here"
    path.write_text(NBGRADER_CONFIG.format(root=str(Path(course_dir).resolve()), db_line=db_line, sandbox=sandbox))
    return path
