"""Every graded test cell, run directly (no kernel, no nbgrader):

* passes on the solution;
* raises NotImplementedError (NotDoneError) on the blank stub;
* fails on each plausible wrong answer in tests/mutants/, with a message that
  contains the hint for that mistake.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import executed
import nbtools
from cnnlab.grade import grading
from cnnlab.checks import CheckError, NotDoneError

STUB = "def {name}(*args, **kwargs):\n    raise NotImplementedError()\n"


def _namespace(nb_id: str, overrides: dict[str, str] | None = None) -> dict:
    """Execute the notebook's answer cells (solutions, with overrides) in a fresh namespace."""
    check = importlib.import_module(f"cnnlab.checks.{nb_id.split('_', 1)[1]}")
    return grading.answer_namespace(nbtools.SOLUTIONS / f"{nb_id}.ipynb", overrides,
                                    prelude=nbtools.prelude(nb_id), np=np, check=check)


def _cases():
    for nb_id in nbtools.solution_ids():
        nb = nbtools.read(nbtools.SOLUTIONS / f"{nb_id}.ipynb")
        for grade_id in nbtools.solution_cells(nb):
            yield nb_id, grade_id


CASES = list(_cases())


@pytest.mark.parametrize("nb_id,grade_id", CASES)
def test_solution_passes(nb_id, grade_id, capsys, request, monkeypatch):
    if nb_id in executed.WRITES_FILES:  # its checks score the files the notebook's training wrote
        monkeypatch.chdir(request.getfixturevalue("executed_notebook")(nb_id).folder)
    tests = nbtools.test_cells(nbtools.read(nbtools.SOLUTIONS / f"{nb_id}.ipynb"))
    exec(tests[f"{grade_id}_test"]["source"], _namespace(nb_id))
    assert "✔" in capsys.readouterr().out


@pytest.mark.parametrize("nb_id,grade_id", CASES)
def test_blank_is_not_done(nb_id, grade_id):
    tests = nbtools.test_cells(nbtools.read(nbtools.SOLUTIONS / f"{nb_id}.ipynb"))
    ns = _namespace(nb_id, {grade_id: STUB.format(name=grade_id)})
    with pytest.raises(NotDoneError, match="not written yet"):
        exec(tests[f"{grade_id}_test"]["source"], ns)


def _mutant_cases():
    for nb_id, grade_id in CASES:
        wrong = nbtools.mutants(nb_id).get(grade_id, [])
        for i, m in enumerate(wrong):
            yield pytest.param(nb_id, grade_id, m, id=f"{nb_id}-{grade_id}-{i}")


@pytest.mark.parametrize("nb_id,grade_id", CASES)
def test_every_exercise_has_a_mutant(nb_id, grade_id):
    assert nbtools.mutants(nb_id).get(grade_id), f"no plausible wrong answer for {grade_id} in tests/mutants/"


@pytest.mark.parametrize("nb_id,grade_id,mutant", list(_mutant_cases()))
def test_wrong_answer_is_caught_with_hint(nb_id, grade_id, mutant):
    tests = nbtools.test_cells(nbtools.read(nbtools.SOLUTIONS / f"{nb_id}.ipynb"))
    ns = _namespace(nb_id, {grade_id: mutant["source"]})
    with pytest.raises(CheckError) as info:
        exec(tests[f"{grade_id}_test"]["source"], ns)
    assert mutant["expect"] in str(info.value), f"{mutant['why']}: message was\n{info.value}"
