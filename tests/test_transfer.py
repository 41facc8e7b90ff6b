"""cnnlab.backbones (notebook 9 and bench/transfer.py): the task split, both paths of load_backbone, the task-B runs.

The online path cannot download anything here (no internet), so its code is tested with the same
architecture untrained (``weights=None``), and the fallback with a download that fails on purpose.
Everything runs on small synthetic images; the real-data run is the notebook's execution test.
"""

from __future__ import annotations

import numpy as np
import pytest

import nbtools
from cnnlab import backbones, datasets
from cnnlab.grade import grading

NB_ID = "09_transfer_learning"


def _task(n_classes: int, per_class: int, seed: int = 0, shape=(32, 32, 3)) -> backbones.Task:
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(n_classes), per_class)
    x = rng.integers(0, 256, (len(y), *shape), dtype=np.uint8)
    return backbones.Task(x, y, x[: 2 * n_classes], y[: 2 * n_classes],
                          tuple(f"class{c}" for c in range(n_classes)), tuple(range(n_classes)))


@pytest.fixture(scope="module")
def solution():
    """The solution notebook's answer cells (build_transfer_model, extract_features, unfreeze_top)."""
    return grading.answer_namespace(nbtools.SOLUTIONS / f"{NB_ID}.ipynb", prelude=nbtools.prelude(NB_ID), np=np)


def test_split_tasks_is_disjoint_and_relabelled():
    rng = np.random.default_rng(0)
    y_train, y_test = rng.integers(0, 10, 500), rng.integers(0, 10, 100)
    x_train = np.arange(500, dtype=np.uint8).reshape(500, 1, 1, 1) * np.ones((1, 32, 32, 3), np.uint8)
    x_test = np.zeros((100, 32, 32, 3), np.uint8)
    names = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
    data = datasets.Dataset(x_train, y_train, x_test, y_test, names, "synthetic")
    task_a, task_b = backbones.split_tasks(data)
    assert task_b.class_names == ("deer", "truck") and len(task_a.class_names) == 8
    assert set(task_a.cifar_labels).isdisjoint(task_b.cifar_labels)
    assert len(task_a.y_train) + len(task_b.y_train) == 500
    assert set(np.unique(task_b.y_train)) == {0, 1} and set(np.unique(task_a.y_train)) <= set(range(8))
    # The relabelling keeps each image with its own class: image i has the pixel value i % 256.
    deer = np.flatnonzero(y_train == 4)
    assert np.array_equal(task_b.x_train[task_b.y_train == 0][:, 0, 0, 0], x_train[deer][:, 0, 0, 0])


def test_per_class_subset_is_balanced_deterministic_and_capped():
    y = np.array([0] * 30 + [1] * 10)
    idx = backbones.per_class_subset(y, 8, seed=1)
    assert np.bincount(y[idx]).tolist() == [8, 8]
    assert np.array_equal(idx, backbones.per_class_subset(y, 8, seed=1))
    assert not np.array_equal(idx, backbones.per_class_subset(y, 8, seed=2))
    assert np.bincount(y[backbones.per_class_subset(y, 20, seed=0)]).tolist() == [20, 10]


def test_evaluation_split_is_the_test_set_and_every_unlabelled_training_image():
    task = _task(2, 12)
    labelled = backbones.per_class_subset(task.y_train, 5, seed=0)
    x, y = backbones.evaluation_split(task, labelled)
    assert len(y) == len(task.y_test) + 24 - 10 and np.array_equal(y[:len(task.y_test)], task.y_test)
    rest = x[len(task.y_test):].reshape(len(y) - len(task.y_test), -1)
    used = task.x_train[labelled].reshape(10, -1)
    assert not (rest[:, None, :] == used[None, :, :]).all(axis=2).any()  # no labelled image is scored


def test_stream_gives_every_method_its_steps_whatever_the_number_of_labels():
    rng = np.random.default_rng(0)
    for n in (20, 32, 1000):
        order = backbones._stream(n, 225, 32, rng)
        assert len(order) == 225 * 32
        # epochs laid end to end: every image once per epoch, in a new order each time
        full = (len(order) // n) * n
        assert all(sorted(order[i:i + n]) == list(range(n)) for i in range(0, full, n))
    a, b = (backbones._stream(20, 10, 32, np.random.default_rng(seed)) for seed in (0, 1))
    assert not np.array_equal(a, b)  # the seed picks the order


def test_imagenet_backbone_resizes_and_preprocesses_as_mobilenet_v2():
    import keras

    base = backbones.imagenet_backbone(weights=None)
    assert tuple(base.inputs[0].shape) == (None, 32, 32, 3)
    assert tuple(base.outputs[0].shape) == (None, 3, 3, 1280)
    assert not any(isinstance(layer, keras.Model) for layer in base.layers), "layers must be flat"
    resize, preprocess = base.get_layer("resize"), base.get_layer("preprocess_input")
    assert tuple(resize.output.shape[1:]) == (96, 96, 3)
    pixels = np.random.default_rng(0).uniform(0, 255, (2, 96, 96, 3)).astype(np.float32)
    got = keras.ops.convert_to_numpy(preprocess(pixels))
    expected = keras.applications.mobilenet_v2.preprocess_input(pixels.copy())
    assert np.allclose(got, expected) and np.isclose(got.min(), pixels.min() / 127.5 - 1)
    edges = keras.ops.convert_to_numpy(preprocess(np.array([[[[0.0, 127.5, 255.0]]]], np.float32)))
    assert np.allclose(edges, [-1, 0, 1])


def test_load_backbone_falls_back_with_one_line_on_stdout(capsys):
    def no_network():
        print("Downloading data from https://example.invalid/weights.h5")
        raise Exception("URL fetch failure on https://example.invalid/weights.h5: None -- [Errno -2] "
                        "Name or service not known")

    backbone = backbones.load_backbone(_task(8, 6), offline=False, fast=True, log=False, imagenet=no_network)
    out, err = capsys.readouterr()
    assert backbone.path == "offline" and "could not be downloaded" in backbone.reason
    assert err == ""
    assert out.count("\n") == 1 and out.startswith("Offline path: the ImageNet weights could not be downloaded")
    assert "Downloading" not in out  # the failed attempt's own message is not shown
    assert tuple(backbone.model.outputs[0].shape[1:]) == (4, 4, backbones.WIDTHS[-1])


def test_offline_can_be_forced_by_the_environment(monkeypatch, capsys):
    monkeypatch.setenv(backbones.OFFLINE_ENV, "1")

    def must_not_download():
        raise AssertionError("CNNLAB_OFFLINE=1 must not try the online path")

    backbone = backbones.load_backbone(_task(8, 6), fast=True, log=False, imagenet=must_not_download)
    assert backbone.path == "offline" and backbones.OFFLINE_ENV in backbone.reason
    assert capsys.readouterr().out.startswith(f"Offline path: {backbones.OFFLINE_ENV} is set")
    with pytest.raises(ValueError, match="pass task_a"):
        backbones.load_backbone(None)


def test_online_path_and_the_solution_on_mobilenet_v2(capsys, solution):
    backbone = backbones.load_backbone(offline=False, imagenet=lambda: backbones.imagenet_backbone(weights=None))
    assert backbone.path == "online" and backbone.reason == ""
    assert capsys.readouterr().out.startswith("Online path: MobileNetV2")
    base = backbone.fresh()
    assert all(np.array_equal(a, b) for a, b in zip(base.get_weights(), backbone.weights))
    model = solution["build_transfer_model"](base, 2)
    assert sum(int(np.prod(w.shape)) for w in model.trainable_weights) == (1280 + 1) * 2
    solution["unfreeze_top"](base, 2)
    trainable = [layer.name for layer in base.layers if layer.trainable and layer.weights]
    assert trainable == ["block_16_project", "Conv_1"]
    features = solution["extract_features"](base, np.zeros((3, 32, 32, 3), np.float32), 2)
    assert features.shape == (3, 1280) and features.dtype == np.float32
    assert tuple(backbone.untrained().outputs[0].shape[1:]) == (4, 4, backbones.WIDTHS[-1])


def test_run_task_b_trains_three_methods_and_leaves_the_pretrained_base_alone(solution):
    base = backbones.small_base()
    backbone = backbones.Backbone(base, "offline", "untrained, for the test", weights=base.get_weights())
    before = [w.copy() for w in backbone.weights]
    functions = {name: solution[name] for name in ("build_transfer_model", "unfreeze_top")}
    recipe = {"head_steps": 2, "finetune_steps": 1}
    results = [r for seed in (0, 1) for r in backbones.run_task_b(backbone, _task(2, 12), 5, seed,
                                                                  recipe=recipe, **functions)]
    assert [r["method"] for r in results[:3]] == list(backbones.METHODS)
    assert all(0 <= r["accuracy"] <= 1 and r["n_per_class"] == 5 and r["seconds"] > 0 for r in results)
    assert all(r["n_eval"] == 4 + (24 - 10) for r in results)  # the test images and the 14 unlabelled ones
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(before, backbone.model.weights))
    summary = backbones.summarise(results)
    assert set(summary) == {(m, 5) for m in backbones.METHODS}
    acc = [r["accuracy"] for r in results if r["method"] == "frozen base"]
    assert np.isclose(summary[("frozen base", 5)]["mean"], np.mean(acc))
    assert np.isclose(summary[("frozen base", 5)]["std"], np.std(acc, ddof=1))
    assert summary[("frozen base", 5)]["n"] == 2


def test_the_notebooks_offline_transfer_beats_training_from_scratch_beyond_twice_the_spread(executed_notebook):
    """Issue 15: across the notebook's 3 seeds, the frozen base gains more than two standard deviations over
    training from scratch, paired by seed (the notebook's own verdict); fine-tuning gains on average.

    Not asserted, only printed: the gain against either method's unpaired spread (about 3 on the reference
    run), which another CPU's rounding could move more than the paired one."""
    probe = executed_notebook(NB_ID).probe
    assert probe["path"] == "offline"
    results = probe["results"]
    acc = {m: {r["seed"]: r["accuracy"] for r in results if r["method"] == m} for m in backbones.METHODS}
    seeds = sorted(acc["from scratch"])
    assert len(seeds) >= 3 and all(sorted(acc[m]) == seeds for m in backbones.METHODS)
    assert all(r["n_per_class"] == backbones.LABELS_PER_CLASS and r["n_eval"] > 1000 for r in results)
    scratch = np.array([acc["from scratch"][s] for s in seeds])
    frozen = np.array([acc["frozen base"][s] for s in seeds])
    gains = frozen - scratch
    print(f"\nfrozen base − from scratch over seeds {seeds}: {100 * gains.mean():+.1f} ± {100 * gains.std(ddof=1):.1f} "
          f"points; from scratch {scratch.mean():.1%} ± {scratch.std(ddof=1):.1%}, frozen {frozen.mean():.1%} ± "
          f"{frozen.std(ddof=1):.1%}; knn {probe['knn']}")
    assert gains.mean() > 2 * gains.std(ddof=1)
    tuned = np.array([acc["fine-tuned"][s] for s in seeds])
    assert (tuned - scratch).mean() > 0
    # the embeddings carry what pixels do not (the notebook's kNN comparison)
    assert probe["knn"]["embeddings"] > probe["knn"]["pixels"]


# --------------------------------------------------------------------------- the checks (checks.transfer_learning)


def test_check_bases_are_the_same_in_every_build():
    """The grader rebuilds the cases' bases in its own process: weights and layer names must not depend on what
    was built before (Keras' global seed, its name counters)."""
    from cnnlab.checks import transfer_learning as check

    first = check.tiny_base((8, 8, 3), (4, 5), seed=2, dense=3)
    check.tiny_base((12, 12, 3), (4, 6, 8), seed=3)  # something else in between
    again = check.tiny_base((8, 8, 3), (4, 5), seed=2, dense=3)
    assert [layer.name for layer in first.layers] == [layer.name for layer in again.layers]
    assert all(np.array_equal(a, b) for a, b in zip(first.get_weights(), again.get_weights()))
    assert [layer.name for layer in first.layers if layer.weights] == ["conv1", "bn1", "conv2", "bn2", "top_conv"]


def test_no_reference_in_the_checks_module():
    from cnnlab.checks import transfer_learning as check

    for gone in ("_reference_features", "weighted_layers", "transfer_case", "features_case", "unfreeze_case"):
        assert not hasattr(check, gone)


@pytest.mark.parametrize("exercise", ["build_transfer_model", "extract_features", "unfreeze_top"])
def test_judges_fail_cleanly_on_odd_data(exercise):
    """Forged or broken data is a failure with a message, never a crash or a pass."""
    from cnnlab.checks import CheckError, core
    from cnnlab.checks import transfer_learning as check

    judge = getattr(check, f"judge_{exercise}")
    expected = {**core.stored(check)[exercise], "suite": "visible"}
    n = len(expected["expected"]["cases"])
    for data in ({}, {"cases": None}, {"cases": [None] * n}, {"cases": [{}] * n},
                 {"cases": [{"returned": "None"}] * n}, {"cases": [{"features": {"returned": "str: 'x'"}}] * n}):
        with pytest.raises(CheckError):
            judge(data, expected)
