"""Notebook 6: its checks judge plain data alone, and its first CNN reaches its training target.

* Each check's two phases run apart: what ``collect_*`` returns survives the grader's JSON record,
  and ``judge_*`` decides from it alone, on the visible cases (stored values) and on the hidden ones
  (expected values the grader computes from the solution notebook's answers); odd data is a failure.
* The training test reads the solution notebook's own full-mode run (tests/executed.py: the
  execution test's run, so the model is trained once per test run): the recipe tested is the one
  students run, at least 55 % test accuracy on the 1,000 test images. The training time is printed,
  not asserted (shared machines vary).
"""

from __future__ import annotations

import json

import nbformat
import numpy as np
import pytest

import nbtools
from cnnlab.checks import CheckError, core, record
from cnnlab.checks import keras_cnn as check
from cnnlab.grade import grading
from cnnlab.grade.judge import Call
from cnnlab.grade.references import References

NB_ID = "06_keras_cnn"
NB = nbtools.SOLUTIONS / f"{NB_ID}.ipynb"
TARGET = 0.55
EXERCISES = ["make_conv_layer", "merge_linear_convs", "build_cnn", "occlusion_map"]


@pytest.fixture(scope="module")
def solution():
    return grading.answer_namespace(NB, prelude=nbtools.prelude(NB_ID), np=np, check=check)


def _through_the_record(data):
    """What the grader reads back: the data as the kernel publishes it (JSON), decoded."""
    return record.decode(json.loads(json.dumps(record.encode(data))))


def _mutant(grade_id: str, index: int = 0):
    ns = {"np": np}
    exec(nbtools.prelude(NB_ID), ns)
    exec(nbtools.mutants(NB_ID)[grade_id][index]["source"], ns)
    return ns[grade_id], nbtools.mutants(NB_ID)[grade_id][index]["expect"]


def test_the_module_holds_no_reference():
    """No cross-correlation, merged kernel or layer table a student could call or copy."""
    for name in ("correlate", "correlate2d", "merge_reference", "same_padding", "CNN_LAYERS", "CNN_PARAMS",
                 "conv_layer_case", "merge_case", "build_cnn_case"):
        assert not hasattr(check, name), name


def test_occlusion_of_the_centre_model_is_what_the_text_says():
    """The first visible case in numbers: each 4×4 square at stride 4 covers a quarter of the centre, and
    the stored maps are symmetric and positive there, and negative for the other class."""
    stored = core.stored(check)["occlusion_map"]["expected"]["outputs"]
    quarter, overlapping, other_class = stored[0], stored[1], stored[2]
    assert quarter.shape == (2, 2) and np.allclose(quarter, quarter[0, 0]) and quarter[0, 0] > 0
    assert overlapping.shape == (3, 3) and overlapping[1, 1] == overlapping.max()  # covers the whole centre
    np.testing.assert_allclose(other_class, -overlapping)  # two classes: one's loss is the other's gain


def test_stored_values_start_with_the_lectures_numbers():
    stored = core.stored(check)
    lecture = stored["make_conv_layer"]["expected"]["outputs"][0]["output"]
    assert lecture[0, :, :, 0].tolist() == check.LECTURE_FEATURE.tolist()
    tent = stored["merge_linear_convs"]["expected"]["outputs"][0]
    np.testing.assert_allclose(tent, np.outer([1, 2, 3, 2, 1], [1, 2, 3, 2, 1]) / 81)
    assert stored["build_cnn"]["expected"]["outputs"][0]["params"] == 113_738


@pytest.mark.parametrize("grade_id", EXERCISES)
def test_collect_returns_data_and_judge_decides_from_it_alone(solution, grade_id):
    collect, judge = getattr(check, f"collect_{grade_id}"), getattr(check, f"judge_{grade_id}")
    expected = {**core.stored(check)[grade_id], "suite": "visible"}
    assert judge(_through_the_record(collect(solution[grade_id])), expected) > 0
    wrong, expect = _mutant(grade_id)
    with pytest.raises(CheckError) as info:
        judge(_through_the_record(collect(wrong)), expected)
    assert expect in str(info.value)


@pytest.mark.parametrize("grade_id", EXERCISES)
def test_hidden_cases_are_judged_against_the_solutions(solution, grade_id):
    """The hidden suite's expected values come from the solution's answers; the solution passes there and a
    hard-coded or wrong answer fails."""
    refs = References(nbformat.read(NB, as_version=4), check)
    expected = refs.expected(Call(grade_id, "hidden", [grade_id]))
    assert expected["suite"] == "hidden"
    collect, judge = getattr(check, f"collect_{grade_id}"), getattr(check, f"judge_{grade_id}")
    assert judge(_through_the_record(collect(solution[grade_id], suite="hidden")), expected) > 0
    index = {"build_cnn": 5}.get(grade_id, 1)  # build_cnn: the one that hard-codes (32, 32, 3) and 10 classes
    wrong, _ = _mutant(grade_id, index)
    with pytest.raises(CheckError, match="hidden: "):
        judge(_through_the_record(collect(wrong, suite="hidden")), expected)


@pytest.mark.parametrize("forged", [
    {}, {"outputs": None}, {"outputs": [None] * 6}, {"outputs": [{"kind": "Conv2D", "built": True}] * 6},
    {"outputs": [{"kind": "Model", "built": True, "input_shape": "x", "layers": 3}] * 6},
    {"outputs": [{"kind": "Model", "built": True, "input_shape": [None, 32, 32, 3], "layers": [{"kind": 1}]}] * 6},
    {"outputs": [{"returned": 7}] * 6}, {"outputs": [np.zeros((2, 2), complex)] * 6},
])
def test_judges_fail_cleanly_on_odd_data(forged):
    """Data a tampered kernel could hand over is a failure with a message, never a crash or a pass."""
    for grade_id in EXERCISES:
        data = {"outputs": forged["outputs"][:len(getattr(check, {"make_conv_layer": "conv_layer_cases",
                                                                  "merge_linear_convs": "merge_cases",
                                                                  "build_cnn": "cnn_cases",
                                                                  "occlusion_map": "occlusion_cases"}[grade_id])())]} \
            if isinstance(forged.get("outputs"), list) else forged
        with pytest.raises(CheckError):
            getattr(check, f"judge_{grade_id}")(data, {**core.stored(check)[grade_id], "suite": "visible"})


@pytest.mark.data
def test_first_cnn_reaches_target_accuracy(executed_notebook, capsys):
    probe = executed_notebook(NB_ID).probe  # the execution test's own full-mode run: trained once
    assert "error" not in probe, probe
    assert (probe["n_train"], probe["n_test"]) == (5000, 1000)
    accuracy = probe["test_accuracy"]
    with capsys.disabled():
        print(f"\n{NB_ID}: test accuracy {accuracy:.1%} after {probe['epochs']} epochs, "
              f"{probe['seconds']:.0f} s wall, {probe['cpu_seconds']:.0f} s CPU")
    assert accuracy >= TARGET, f"the first CNN reached {accuracy:.1%} test accuracy; the target is {TARGET:.0%}"
