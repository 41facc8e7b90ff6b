"""tools/add_questions.py: solutions/ is what it makes (idempotent), and a lost anchor stops it before writing."""

from __future__ import annotations

import importlib.util
import shutil
import sys

import nbtools

spec = importlib.util.spec_from_file_location("add_questions", nbtools.ROOT / "tools" / "add_questions.py")
add_questions = sys.modules["add_questions"] = importlib.util.module_from_spec(spec)  # dataclasses look it up
spec.loader.exec_module(add_questions)


def test_solutions_are_up_to_date_and_a_rerun_changes_nothing(tmp_path):
    shutil.copytree(nbtools.SOLUTIONS, tmp_path / "solutions", ignore=shutil.ignore_patterns("references"))
    assert add_questions.main(["--solutions", str(tmp_path / "solutions"), "--check"]) == 0
    assert add_questions.main(["--solutions", str(tmp_path / "solutions"), "--no-release"]) == 0
    for path in nbtools.SOLUTIONS.glob("*.ipynb"):
        assert (tmp_path / "solutions" / path.name).read_bytes() == path.read_bytes(), path.name


def test_every_question_and_prediction_is_in_its_notebook():
    for nb_id, qs in add_questions.QUESTIONS.items():
        ids = {nbtools.nbgrader_meta(c).get("grade_id") for c in nbtools.read(nbtools.SOLUTIONS / f"{nb_id}.ipynb").cells}
        assert {q.qid for q in qs} <= ids, nb_id
    for nb_id, ps in add_questions.PREDICTIONS.items():
        code = "\n".join(c.source for c in nbtools.read(nbtools.SOLUTIONS / f"{nb_id}.ipynb").cells)
        assert all(f"{p.var} = None" in code and f"compare_prediction({p.var}," in code for p in ps), nb_id


def test_a_lost_anchor_stops_the_script_before_anything_is_written(tmp_path, capsys):
    shutil.copytree(nbtools.SOLUTIONS, tmp_path / "solutions", ignore=shutil.ignore_patterns("references"))
    path = tmp_path / "solutions" / "04_pooling.ipynb"
    text = path.read_text(encoding="utf-8").replace("def relative_change(a, b):", "def rel_change(a, b):")
    path.write_text(text, encoding="utf-8")
    before = {p.name: p.read_bytes() for p in (tmp_path / "solutions").glob("*.ipynb")}
    assert add_questions.main(["--solutions", str(tmp_path / "solutions"), "--no-release"]) == 2
    assert "04_pooling: anchor 'def relative_change(a, b):' matches 0 cells" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in (tmp_path / "solutions").glob("*.ipynb")} == before
