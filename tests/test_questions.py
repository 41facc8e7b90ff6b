"""Written questions on the student's side: the answer-cell format, reveal, predictions; the release option.

``reveal`` shows a model answer only once the answer cell holds the student's own text, read from the
notebook file that Jupyter names (``JPY_SESSION_NAME``); ``compare_prediction`` never raises and
never writes to stderr, whatever the prediction. The release puts the encoded model answers into the
reveal cells, or leaves them out (``--no-model-answers``, the default of ``cnnlab grade release``).
"""

from __future__ import annotations

import json

import nbformat
import pytest

import instructor_tools as it
import nbtools
from cnnlab import cli, questions

MODEL = "Addition is commutative, so the order of a and b cannot change the sum."


def _notebook(tmp_path, answer: str) -> str:
    """A saved notebook whose answer cell q_demo holds ``answer``; its path."""
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(answer, metadata={"nbgrader": {"grade_id": "q_demo", "solution": True,
                                                                     "grade": True, "points": 2}})])
    path = tmp_path / "demo.ipynb"
    nbformat.write(nb, path)
    return str(path)


def test_answer_cell_round_trip():
    source = questions.answer_cell_source(MODEL, [(1, "names commutativity"), (0.5, "says why")])
    assert source.startswith("### BEGIN SOLUTION") and source.endswith("### END SOLUTION")
    assert questions.model_answer(source) == MODEL
    assert "* 1 point: names commutativity" in source and "* 0.5 points: says why" in source
    assert questions.decode(questions.encode(MODEL)) == MODEL
    assert MODEL not in questions.encode(MODEL) and "commutative" not in questions.encode(MODEL)


@pytest.mark.parametrize("answer, shown", [
    ("YOUR ANSWER HERE", False),
    ("Because maths.", False),                                    # fewer than MIN_WORDS words
    ("YOUR ANSWER HERE because order does not matter", False),    # the stub does not count as words
    ("The sum does not depend on the order of the two numbers we add.", True),
])
def test_reveal_needs_the_students_own_answer(answer, shown, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", _notebook(tmp_path, answer))
    got = questions.reveal("q_demo", questions.encode(MODEL))
    out = capsys.readouterr()
    assert out.err == ""
    if shown:
        assert got == MODEL
    else:
        assert got is None and "Write your own answer" in out.out and MODEL not in out.out


def test_reveal_without_model_answers_or_notebook(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    own = "The sum does not depend on the order of the two numbers we add."
    monkeypatch.setenv("JPY_SESSION_NAME", _notebook(tmp_path, own))
    assert questions.reveal("q_demo", None) is None
    assert "no model answers" in capsys.readouterr().out
    monkeypatch.setenv("JPY_SESSION_NAME", str(tmp_path / "missing.ipynb"))   # front end unknown
    assert questions.reveal("q_demo", questions.encode(MODEL)) is None
    assert 'answer="your answer"' in capsys.readouterr().out
    assert questions.reveal("q_demo", questions.encode(MODEL), answer=own) == MODEL   # pasted instead
    assert MODEL in capsys.readouterr().out
    assert questions.reveal("q_other", questions.encode(MODEL), answer="short") is None
    assert "Write your own answer" in capsys.readouterr().out
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert questions.reveal("q_demo", questions.encode(MODEL), answer=own) is None     # silent when grading
    assert capsys.readouterr() == ("", "")


@pytest.mark.parametrize("predicted, expect", [
    (None, "You made no prediction"), ("", "You made no prediction"), (60, "you were 4.1 % above it"),
    (55.9, "exactly right"), ("lower", "Not what happened"), ([1, 2], "Could not read your prediction"),
    (True, "Could not read your prediction"),
])
def test_compare_prediction_never_fails(predicted, expect, capsys):
    questions.compare_prediction(predicted, 55.9, what="the change", unit=" %")
    out = capsys.readouterr()
    assert expect in out.out and out.err == ""
    questions.compare_prediction("Higher", "higher", what="the loss")
    assert "Right." in capsys.readouterr().out


def test_release_puts_model_answers_in_or_leaves_them_out(tmp_path):
    it.tiny_source(tmp_path / "solutions" / f"{it.TINY}.ipynb", written=True)
    (tmp_path / "pyproject.toml").write_text('[project.urls]\nRepository = "https://github.com/uni-x/course"\n')
    for flag, present in (("--model-answers", True), ("--no-model-answers", False)):
        out = tmp_path / flag
        assert cli.main(["release", "--solutions", str(tmp_path / "solutions"), "--notebooks", str(out), flag]) == 0
        text = (out / f"{it.TINY}.ipynb").read_text(encoding="utf-8")
        nb = nbformat.reads(text, as_version=4)
        reveal = next(c for c in nb.cells if c.metadata.get("cnnlab", {}).get("reveal") == it.WRITTEN_ID)
        assert ("model=" in reveal.source) == present
        if present:
            blob = reveal.source.split('model="')[1].split('"')[0]
            assert questions.decode(blob) == it.WRITTEN_MODEL
        for secret in [it.WRITTEN_MODEL, *(what for _, what in it.WRITTEN_RUBRIC)]:
            assert secret not in text, "readable model answers and rubrics never reach students"


def test_release_refuses_a_reveal_cell_without_a_model_answer(tmp_path):
    from cnnlab import release

    path = it.tiny_source(tmp_path / "solutions" / f"{it.TINY}.ipynb", written=True)
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("cnnlab", {}).get("reveal"):
            cell.metadata["cnnlab"]["reveal"] = "q_missing"
    with pytest.raises(ValueError, match="q_missing"):
        release.fill_model_answers(json.dumps(nb), nb, include=True)


def test_committed_notebooks_carry_every_model_answer():
    """notebooks/ is the self-learners' release: each reveal cell decodes to its source's model answer."""
    for nb_id in nbtools.solution_ids():
        source = {nbtools.nbgrader_meta(c).get("grade_id"): c.source for c in nbtools.read(nbtools.SOLUTIONS / f"{nb_id}.ipynb").cells}
        for cell in nbtools.read(nbtools.NOTEBOOKS / f"{nb_id}.ipynb").cells:
            qid = cell.metadata.get("cnnlab", {}).get("reveal")
            if qid:
                blob = cell.source.split('model="')[1].split('"')[0]
                assert questions.decode(blob) == questions.model_answer(source[qid]), f"{nb_id}/{qid}"


def test_model_answer_defaults_per_command():
    """`cnnlab release` (the public notebooks/) includes them; `cnnlab grade release` (a graded class) does not."""
    parser = cli._parser()
    assert parser.parse_args(["release"]).model_answers is True
    assert parser.parse_args(["grade", "release"]).model_answers is False
    assert parser.parse_args(["grade", "release", "--model-answers"]).model_answers is True
    assert parser.parse_args(["release", "--no-model-answers"]).model_answers is False
