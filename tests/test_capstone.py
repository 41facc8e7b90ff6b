"""Notebook 11, the capstone: the split of the test set, the budget, the checks' verdicts, the class
leaderboard and the re-training of its top entries.

The verdict tests train nothing: they score small untrained models, saved with forged logs. The
class test grades two students through the real nbgrader: the solution's notebook with the files
its one full-mode run of this test run wrote (tests/executed.py), and a student whose weak model is
trained here with a budget of two CPU seconds; then it writes the leaderboard and re-trains both
with a budget of a few seconds (CNNLAB_CAPSTONE_BUDGET).
"""

from __future__ import annotations

import csv
import json
import os

import numpy as np
import pytest

import nbtools
from cnnlab import capstone as rules
from cnnlab import datasets
from cnnlab.checks import capstone as check
from cnnlab.checks import CheckError, record

keras = pytest.importorskip("keras")
from keras import layers  # noqa: E402

NB_ID = "11_capstone"


# ----------------------------------------------------------------------------- the split


def test_split_is_deterministic_disjoint_complete_and_stratified():
    y = np.random.default_rng(5).integers(0, 10, size=1017)
    public, held_out = datasets.capstone_split(y)
    again = datasets.capstone_split(y)
    assert np.array_equal(public, again[0]) and np.array_equal(held_out, again[1])
    assert np.intersect1d(public, held_out).size == 0
    assert np.array_equal(np.sort(np.concatenate([public, held_out])), np.arange(len(y)))
    diff = np.bincount(y[public], minlength=10) - np.bincount(y[held_out], minlength=10)
    assert set(diff.tolist()) <= {0, 1}  # each class halved, the odd image to the public half


def test_capstone_data_trains_on_training_images_and_tests_on_the_public_half(real_data):
    full = datasets.load_cifar10()
    data = datasets.load_capstone()
    x_held, y_held = datasets.capstone_held_out()
    assert np.array_equal(data.x_train, full.x_train)
    assert len(data.y_test) + len(y_held) == len(full.y_test)
    assert "held-out" in data.source
    # no held-out image is in the notebook's test data
    public_rows = {img.tobytes() for img in data.x_test}
    assert not any(img.tobytes() in public_rows for img in x_held)


# ----------------------------------------------------------------------------- budget and files


def _tiny(extra=()):
    model = keras.Sequential([keras.Input((32, 32, 3)), layers.Rescaling(1 / 255), *extra,
                              layers.Conv2D(4, 3, activation="relu"), layers.GlobalAveragePooling2D(),
                              layers.Dense(10)])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def test_training_stops_at_the_budget_and_writes_model_and_log(tmp_path, monkeypatch):
    monkeypatch.setenv(rules.BUDGET_ENV, "1")
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, size=(256, 32, 32, 3), dtype=np.uint8)
    y = rng.integers(0, 10, size=256)
    model, log = rules.train(_tiny, x, y, epochs=10_000, batch_size=32, x_test=x[:50], y_test=y[:50],
                             folder=tmp_path)
    assert log["stopped_by_budget"] and log["epochs"] < 10_000
    assert log["budget_seconds"] == 1.0 and log["cpu_seconds"] >= 1.0
    assert json.loads((tmp_path / rules.LOG_FILE).read_text()) == log
    assert rules.load(tmp_path).count_params() == model.count_params() == log["params"]


def test_the_budget_can_only_shrink(monkeypatch):
    monkeypatch.setenv(rules.BUDGET_ENV, "100000")
    assert rules.budget_seconds() == rules.BUDGET_SECONDS
    monkeypatch.setenv(rules.BUDGET_ENV, "ten")
    with pytest.raises(ValueError, match="not a number"):
        rules.budget_seconds()


def test_a_lambda_layer_does_not_load_in_safe_mode(tmp_path):
    _tiny([layers.Lambda(lambda t: t * 2.0)]).save(tmp_path / rules.MODEL_FILE)
    with pytest.raises(ValueError, match="built-in Keras layers only"):
        rules.load(tmp_path)


# ----------------------------------------------------------------------------- verdicts


def _submission(tmp_path, **log):
    """An untrained tiny model (about 10 % accuracy) saved with a forged log; build_model builds the same."""
    keras.utils.set_random_seed(0)
    _tiny().save(tmp_path / rules.MODEL_FILE)
    (tmp_path / rules.LOG_FILE).write_text(json.dumps({"cpu_seconds": 100.0, "epochs": 3, **log}))
    return check.collect_capstone(_tiny, folder=tmp_path)


def _verdict(data, folder, suite="hidden", threshold=None, **overrides):
    expected = {**check.evaluate_capstone(folder, suite, threshold=threshold), **overrides}
    return check.judge_capstone(data, {"expected": expected, "mistakes": {}, "suite": suite})


def test_an_honest_submission_passes_a_low_line_and_reports(real_data, tmp_path):
    data = _submission(tmp_path)
    assert _verdict(data, tmp_path, threshold=0.0) == 1
    report = check.evaluate_capstone(tmp_path, "hidden")["report"]
    assert set(report) == {"accuracy", "public_accuracy", "cpu_seconds", "params"}
    assert report["cpu_seconds"] == 100.0 and report["params"] == data["model"]["params"]
    record.encode(report)  # plain data, as the judge stores it
    with pytest.raises(CheckError, match="below 50.0 %"):
        _verdict(data, tmp_path, threshold=0.5)


@pytest.mark.parametrize("log, message", [
    ({"cpu_seconds": 400.0}, "over the budget of 180"),
    ({"cpu_seconds": "fast"}, "CPU seconds"),
])
def test_a_log_over_the_budget_or_forged_fails(real_data, tmp_path, log, message):
    data = _submission(tmp_path, **log)
    with pytest.raises(CheckError, match=message):
        _verdict(data, tmp_path, threshold=0.0)


def test_missing_files_fail_with_what_to_submit(real_data, tmp_path):
    data = _submission(tmp_path)
    (tmp_path / rules.LOG_FILE).unlink()
    with pytest.raises(CheckError, match="capstone.json"):
        _verdict(data, tmp_path, threshold=0.0)
    (tmp_path / rules.MODEL_FILE).unlink()
    with pytest.raises(CheckError, match="Submit both"):
        _verdict(data, tmp_path, threshold=0.0)


def test_a_model_that_saw_test_images_is_flagged(real_data, tmp_path):
    data = _submission(tmp_path)
    with pytest.raises(CheckError, match="has seen held-out test images"):
        _verdict(data, tmp_path, threshold=0.0, held_out_accuracy=0.9, accuracy=0.9, public_accuracy=0.55)
    with pytest.raises(CheckError, match="has seen public test images"):
        _verdict(data, tmp_path, threshold=0.0, held_out_accuracy=0.55, accuracy=0.55, public_accuracy=0.9)


def test_a_saved_model_that_build_model_does_not_build_fails(real_data, tmp_path):
    _submission(tmp_path)
    other = check.collect_capstone(lambda: _tiny([layers.Conv2D(3, 1)]), folder=tmp_path)
    with pytest.raises(CheckError, match="run the training cell again"):
        _verdict(other, tmp_path, threshold=0.0)


def test_forged_data_fails_and_never_crashes(real_data, tmp_path):
    _submission(tmp_path)
    for forged in (None, [], {"model": "x"}, {"model": {"input_shape": "all"}}):
        with pytest.raises(CheckError):
            _verdict(forged, tmp_path, threshold=0.0)


# ----------------------------------------------------------------------------- a graded class


def _weak_student(tmp_path, monkeypatch):
    """A submission whose build_model is a tiny CNN, trained here for 2 CPU seconds."""
    from cnnlab.grade import grading

    source = ("EPOCHS = 50\nBATCH_SIZE = 128\n\n\ndef build_model():\n"
              "    model = keras.Sequential([keras.Input((32, 32, 3)), layers.Rescaling(1 / 255),\n"
              "        layers.Conv2D(8, 3, activation='relu'), layers.MaxPool2D(4), layers.Flatten(),\n"
              "        layers.Dense(10)])\n"
              "    model.compile(optimizer='adam', loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),\n"
              "                  metrics=['accuracy'])\n"
              "    return model\n")
    folder = tmp_path / "weak"
    folder.mkdir()
    ns = grading.answer_namespace(nbtools.SOLUTIONS / f"{NB_ID}.ipynb", {"build_model": source},
                                  prelude=nbtools.prelude(NB_ID))
    data = datasets.load_capstone()
    monkeypatch.setenv(rules.BUDGET_ENV, "2")
    rules.train(ns["build_model"], data.x_train, data.y_train, epochs=50, batch_size=128, x_test=data.x_test,
                y_test=data.y_test, folder=folder)
    monkeypatch.delenv(rules.BUDGET_ENV)
    notebook = nbtools.filled_submission(nbtools.NOTEBOOKS / f"{NB_ID}.ipynb", nbtools.SOLUTIONS / f"{NB_ID}.ipynb",
                                         folder / f"{NB_ID}.ipynb", {"build_model": source})
    return notebook, [folder / rules.MODEL_FILE, folder / rules.LOG_FILE]


@pytest.mark.nbgrader
def test_leaderboard_and_retraining_of_a_graded_class(real_data, executed_notebook, tmp_path, monkeypatch):
    from cnnlab import cli
    from cnnlab.grade import grading, leaderboard
    from cnnlab.grade.course import Course
    from needs import require_sandbox

    best = executed_notebook(NB_ID)
    weak_nb, weak_files = _weak_student(tmp_path, monkeypatch)
    solved = nbtools.filled_submission(nbtools.NOTEBOOKS / f"{NB_ID}.ipynb", nbtools.SOLUTIONS / f"{NB_ID}.ipynb",
                                       tmp_path / "solved.ipynb")
    course = tmp_path / "course"
    results = grading.autograde_submissions(nbtools.SOLUTIONS, NB_ID, {"ada": solved, "bob": weak_nb}, course,
                                            files={"ada": best.files(NB_ID), "bob": weak_files},
                                            **{"Execute.timeout": 90})
    assert results["ada"].score == results["ada"].autograded_max == 6  # the written question waits for a grader
    assert results["bob"].score == 0  # a weak model passes none of the lines

    out = tmp_path / "reports"
    out.mkdir()
    paths = leaderboard.write(Course(course), out)
    rows = list(csv.DictReader(open(paths[leaderboard.FILE])))
    # bob's model passed no line, but the grader measured it all the same: ranked below ada
    assert [(r["rank"], r["student_id"]) for r in rows] == [("1", "ada"), ("2", "bob")]
    assert float(rows[0]["accuracy"]) > 0.55 > float(rows[1]["accuracy"])
    logged = json.loads(best.files(NB_ID)[1].read_text())
    assert float(rows[0]["cpu_seconds"]) == pytest.approx(logged["cpu_seconds"], abs=0.1)
    assert int(rows[0]["params"]) == logged["params"]
    assert rows[0]["flags"] == ""

    # Re-train the top entry in the sandbox with a budget of 3 CPU seconds: ada's submitted model had about
    # 150, so her re-trained one falls short, and the report says so (--top 1: bob is not re-trained).
    require_sandbox()
    monkeypatch.setenv(rules.BUDGET_ENV, "3")
    assert cli.main(["grade", "retrain", NB_ID, "--course", str(course), "--top", "1", "--out", str(out)]) == 0
    again = list(csv.DictReader(open(out / "retrain.csv")))
    assert [r["student_id"] for r in again] == ["ada"]
    ada = again[0]
    # the 3-second budget stopped it: a small fraction of the submitted run (no tighter bound: a busy
    # machine's first batch, which traces the model, can overshoot 3 s by seconds)
    assert ada["budget_seconds"] == "3"
    assert float(ada["retrained_cpu_seconds"]) < float(ada["submitted_cpu_seconds"]) / 5
    assert float(ada["retrained_accuracy"]) < float(ada["submitted_accuracy"]) - 0.05
    assert "not trained within the budget" in ada["verdict"]


def test_retrain_without_a_leaderboard_says_what_to_do(tmp_path, capsys):
    from cnnlab import cli
    from cnnlab import release

    release.build_course(nbtools.SOLUTIONS, tmp_path / "course", [NB_ID])
    assert cli.main(["grade", "retrain", NB_ID, "--course", str(tmp_path / "course")]) == 2
    assert "autograde it first" in capsys.readouterr().err


def test_solution_run_trains_within_the_budget(executed_notebook):
    """The notebook's own full-mode run: the log the training cell wrote."""
    probe = executed_notebook(NB_ID).probe
    log = probe["log"]
    assert "missing" not in log, log
    assert 0 < log["cpu_seconds"] <= rules.BUDGET_SECONDS * check.BUDGET_SLACK
    assert log["epochs"] >= 1 and log["params"] > 0
    assert probe["n_test"] < 1017  # the public half only
    print(f"\n{NB_ID}: {log['epochs']}/{log['epochs_planned']} epochs, {log['cpu_seconds']:.0f} CPU s, "
          f"{log['wall_seconds']:.0f} s wall, public accuracy {log['public_accuracy']:.1%}")


def test_collect_files_the_model_and_log_with_the_notebook(tmp_path):
    from cnnlab import release
    from cnnlab.grade.collect import collect

    course = tmp_path / "course"
    release.build_course(nbtools.SOLUTIONS, course, [NB_ID])
    src = tmp_path / "download"
    (src / "alice").mkdir(parents=True)
    (src / "bob").mkdir()
    (src / "alice" / f"{NB_ID}.ipynb").write_bytes((nbtools.NOTEBOOKS / f"{NB_ID}.ipynb").read_bytes())
    for student in ("alice", "bob"):
        (src / student / rules.MODEL_FILE).write_bytes(b"model of " + student.encode())
        (src / student / rules.LOG_FILE).write_text("{}")
    report = collect(src, course)
    assert report.imported == [f"alice/{NB_ID}"]
    folder = course / "submitted" / "alice" / NB_ID
    assert (folder / rules.MODEL_FILE).read_bytes() == b"model of alice" and (folder / rules.LOG_FILE).exists()
    reasons = dict(report.unmatched)
    assert "submitted without 11_capstone.ipynb" in reasons[f"bob/{rules.MODEL_FILE}"]
    # a changed model with an unchanged notebook is not filed silently
    (src / "alice" / rules.MODEL_FILE).write_bytes(b"another model")
    again = collect(src, course)
    assert "the earlier one stays" in dict(again.unmatched)[f"alice/{rules.MODEL_FILE}"]
    assert (folder / rules.MODEL_FILE).read_bytes() == b"model of alice"


def test_retrain_verdicts():
    from cnnlab.grade.leaderboard import Entry
    from cnnlab.grade.retrain import Retrained

    entry = Entry("11_capstone", "capstone", "ada", 0.62, 0.61, 1000, 150.0, rank=1)
    assert Retrained(entry, accuracy=0.60).verdict == "confirmed"  # within the noise of re-training
    assert "not trained within the budget" in Retrained(entry, accuracy=0.40).verdict
    assert Retrained(entry, problem="cell 7: NameError").verdict == "not re-trained: cell 7: NameError"
