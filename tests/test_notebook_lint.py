"""The notebooks' structure: nbgrader metadata, the exercise shape, badges, setup cells, no outputs."""

from __future__ import annotations

import re

import pytest

import nbtools

IDS = nbtools.solution_ids()


@pytest.fixture(params=IDS)
def source(request):
    return request.param, nbtools.read(nbtools.SOLUTIONS / f"{request.param}.ipynb")


def test_notebooks_are_numbered_and_released(source):
    nb_id, _ = source
    assert re.fullmatch(r"\d\d_[a-z0-9_]+", nb_id), f"{nb_id}: name notebooks NN_topic.ipynb"
    assert (nbtools.NOTEBOOKS / f"{nb_id}.ipynb").exists(), f"{nb_id}: run `cnnlab release`"


def test_checks_module_named_after_the_notebook(source):
    """NN_topic.ipynb uses cnnlab/checks/topic.py, and its wrong answers live in tests/mutants/mNN_topic.py."""
    nb_id, nb = source
    topic = nb_id.split("_", 1)[1]
    assert (nbtools.ROOT / "cnnlab" / "checks" / f"{topic}.py").exists(), f"{nb_id}: add cnnlab/checks/{topic}.py"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert f"from cnnlab.checks import {topic} as check" in code, \
        f"{nb_id}: import its checks as `from cnnlab.checks import {topic} as check`"
    assert (nbtools.ROOT / "tests" / "mutants" / f"m{nb_id}.py").exists(), f"{nb_id}: add tests/mutants/m{nb_id}.py"


def test_grade_ids_unique_and_points_present(source):
    nb_id, nb = source
    ids = [nbtools.nbgrader_meta(c)["grade_id"] for c in nb.cells if nbtools.nbgrader_meta(c)]
    assert len(ids) == len(set(ids)), f"{nb_id}: duplicate grade_id"
    for cell in nb.cells:
        meta = nbtools.nbgrader_meta(cell)
        if meta.get("grade"):
            assert meta.get("points", 0) > 0, f"{nb_id}/{meta['grade_id']}: graded cell without points"
            if not meta.get("solution"):  # a written answer (solution and grade) is the student's to edit
                assert meta.get("locked"), f"{nb_id}/{meta['grade_id']}: test cells must be locked"


def test_written_questions(source):
    """Each notebook has 1-3 written questions: a markdown answer cell (grade_id q_...) with points, a model
    answer and a rubric whose points add up, inside the solution markers, followed by its reveal cell."""
    from cnnlab import questions

    nb_id, nb = source
    answers = [(i, c) for i, c in enumerate(nb.cells) if nbtools.nbgrader_meta(c).get("grade_id", "").startswith("q_")]
    assert 1 <= len(answers) <= 3, f"{nb_id}: {len(answers)} written questions (want 1 to 3)"
    for i, cell in answers:
        meta, gid = nbtools.nbgrader_meta(cell), nbtools.nbgrader_meta(cell)["grade_id"]
        assert cell.cell_type == "markdown" and meta.get("solution") and meta.get("grade"), f"{nb_id}/{gid}"
        src = cell.source.strip()
        assert src.startswith("### BEGIN SOLUTION") and src.endswith("### END SOLUTION"), \
            f"{nb_id}/{gid}: the whole answer cell goes between the solution markers (the release shows the stub)"
        assert questions.model_answer(src), f"{nb_id}/{gid}: no {questions.MODEL_HEADING}"
        rubric = re.findall(r"^\* ([\d.]+) points?:", src.partition(questions.RUBRIC_HEADING)[2], re.M)
        assert rubric and sum(map(float, rubric)) == meta["points"], f"{nb_id}/{gid}: rubric points != cell points"
        reveal = nb.cells[i + 1]
        assert reveal.cell_type == "code" and reveal.metadata.get("cnnlab", {}).get("reveal") == gid, \
            f"{nb_id}/{gid}: the cell after the answer must be its reveal cell"


def test_predictions_start_blank(source):
    """A prediction is a plain variable that starts as None, so the notebook runs before anyone predicts."""
    nb_id, nb = source
    for cell in nb.cells:
        for line in cell.source.splitlines() if cell.cell_type == "code" else []:
            if line.startswith("my_prediction"):
                assert re.match(r"my_prediction_\w+ = None  # ", line), f"{nb_id}: {line!r}"


def test_every_exercise_has_a_visible_check_and_hidden_tests(source):
    nb_id, nb = source
    tests = nbtools.test_cells(nb)
    answers = nbtools.solution_cells(nb)
    assert answers, f"{nb_id}: no graded exercise"
    for grade_id, answer in answers.items():
        assert "### BEGIN SOLUTION" in answer, f"{nb_id}/{grade_id}: no solution markers"
        test = tests.get(f"{grade_id}_test")
        assert test, f"{nb_id}/{grade_id}: no test cell named {grade_id}_test"
        src = test["source"]
        assert src.startswith('"""'), f"{nb_id}/{grade_id}_test: start with a docstring saying what it checks"
        visible, _, hidden = src.partition("### BEGIN HIDDEN TESTS")
        assert "check." in visible, f"{nb_id}/{grade_id}_test: no visible self-check"
        assert hidden.strip() and "### END HIDDEN TESTS" in hidden, f"{nb_id}/{grade_id}_test: no hidden tests"
        assert "print(" not in hidden or "file=sys.stderr" not in hidden


def test_no_stderr_writes_in_graded_cells(source):
    nb_id, nb = source
    for grade_id, test in nbtools.test_cells(nb).items():
        for pattern in ("sys.stderr", "warnings.warn", "logging."):
            assert pattern not in test["source"], f"{nb_id}/{grade_id}: {pattern} writes to stderr"


def test_colab_badge_and_setup_cell(source):
    """The badge and the Colab install cell name the course's address by the token that `release` fills in."""
    nb_id, nb = source
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert (f"colab.research.google.com/github/@COURSE_REPOSITORY@/blob/main/notebooks/{nb_id}.ipynb"
            in first.source), f"{nb_id}: the Colab badge must open notebooks/{nb_id}.ipynb"
    setup = next(c for c in nb.cells if c.cell_type == "code")
    assert '"google.colab" in sys.modules' in setup.source
    assert '%pip install -q "cnnlab @ git+https://github.com/@COURSE_REPOSITORY@"' in setup.source, \
        f"{nb_id}: the Colab cell installs the course package alone (no extras, no upgrades)"
    assert "runtime.fast_mode()" in setup.source


def test_released_notebooks_name_the_course_repository():
    from cnnlab import release

    repository = release.course_repository(nbtools.ROOT / "pyproject.toml")
    for path in nbtools.NOTEBOOKS.glob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        assert "@COURSE_REPOSITORY@" not in text, f"{path.name}: run `cnnlab release`"
        assert f"github/{repository}/blob/main/notebooks/{path.name}" in text
        assert f"git+https://github.com/{repository}" in text


@pytest.mark.parametrize("folder", [nbtools.SOLUTIONS, nbtools.NOTEBOOKS])
def test_stored_without_outputs(folder):
    for path in folder.glob("*.ipynb"):
        for cell in nbtools.read(path).cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name}: clear the outputs"


def test_release_hides_solutions_and_hidden_tests():
    for path in nbtools.NOTEBOOKS.glob("*.ipynb"):
        text = path.read_text(encoding="utf-8")
        for marker in ("BEGIN SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"):
            assert marker not in text, f"{path.name} leaks {marker}"
