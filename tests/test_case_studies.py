"""Notebook 7 on the real data: LeNet-5 reaches at least 97 % validation accuracy on MNIST, and the
degradation experiment shows what the notebook says. Plus its checks (issue 12): the solutions, whose
outputs are the expected values, compute what Keras computes (``count_params()`` of an Inception module,
``keras.layers.BatchNormalization``); no reference is left in the checks module; collect and judge run
apart.

Both read the solution notebook's own full-mode run (tests/executed.py), shared with the execution
test, so nothing is trained twice: LeNet-5 on 8,000 training and 2,000 validation digits padded to
32×32, 5 epochs, seed 0; the degradation experiment over seeds 0–2.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

import nbtools
from cnnlab import runtime, training
from cnnlab.grade import grading

pytestmark = pytest.mark.data  # MNIST: the real data (CNNLAB_DATA)

NB_ID = "07_case_studies"
MNIST_EPOCHS = 5  # as the notebook's full mode


def _notebook_namespace() -> dict:
    """The notebook's answer cells plus its `prepare` and `train` functions, run in a fresh namespace."""
    nb = nbtools.read(nbtools.SOLUTIONS / f"{NB_ID}.ipynb")
    ns = {"np": np}
    exec(nbtools.prelude(NB_ID), ns)
    ns["training"] = training
    for source in nbtools.solution_cells(nb).values():
        exec(source, ns)
    grading.notebook_functions(nbtools.SOLUTIONS / f"{NB_ID}.ipynb", ["prepare", "train"], ns)
    return ns


def test_lenet5_reaches_97_percent_on_mnist(executed_notebook):
    probe = executed_notebook(NB_ID).probe  # the execution test's full-mode run: LeNet-5 trained once
    assert "error" not in probe, probe
    assert probe["mnist_shape"] == [8000, 32, 32, 1] and probe["mnist_epochs"] == MNIST_EPOCHS
    accuracy = probe["mnist_accuracy"]
    print(f"\nLeNet-5 on MNIST, seed 0: validation accuracy {accuracy:.2%} after {MNIST_EPOCHS} epochs, "
          f"{probe['mnist_seconds']:.0f} s")
    assert accuracy >= 0.97, f"{accuracy:.2%} < 97 %"


def test_degradation_experiment_shows_on_every_seed(executed_notebook):
    """On every seed the deeper plain network fits its training digits worse than the shallow one, and the
    residual network of the same depth does not (the notebook's full-mode run, read from its probe)."""
    probe = executed_notebook(NB_ID).probe
    assert probe["seeds"] == [0, 1, 2]
    runs = probe["depth_runs"]
    for i, seed in enumerate(probe["seeds"]):
        loss = {name: runs[name][i][0] for name in runs}
        print(f"\nseed {seed}: " + ", ".join(f"{name} {value:.3f}" for name, value in loss.items()))
        assert loss["plain, 14 layers"] > loss["plain, 4 layers"], f"seed {seed}: no degradation {loss}"
        assert loss["residual, 14 layers"] < loss["plain, 14 layers"], f"seed {seed}: the shortcut did not help {loss}"


def test_shortcut_adds_no_weights():
    ns = _notebook_namespace()
    grading.notebook_functions(nbtools.SOLUTIONS / f"{NB_ID}.ipynb", ["block_net"], ns)
    assert ns["block_net"](6, True).count_params() == ns["block_net"](6, False).count_params()
    assert ns["block_net"](6, False).count_params() > ns["block_net"](1, False).count_params()


@pytest.fixture(scope="module")
def keras():
    runtime.quiet_tensorflow()
    import keras
    return keras


def _keras_inception_count(keras, c_in, n1x1, n3x3_reduce, n3x3, n5x5_reduce, n5x5, pool_proj, reductions):
    """Keras' count_params() of GoogLeNet's Inception module (four branches, concatenated), on 8×8×c_in."""
    layers = keras.layers

    def conv(t, filters, size):
        return layers.Conv2D(filters, size, padding="same", activation="relu")(t)

    x = keras.Input((8, 8, c_in))
    b3 = conv(x, n3x3_reduce, 1) if reductions else x
    b5 = conv(x, n5x5_reduce, 1) if reductions else x
    pool = layers.MaxPool2D(3, strides=1, padding="same")(x)
    out = layers.Concatenate()([conv(x, n1x1, 1), conv(b3, n3x3, 3), conv(b5, n5x5, 5),
                                conv(pool, pool_proj, 1) if reductions else pool])
    return keras.Model(x, out).count_params()


def _keras_batchnorm(keras, inputs, training, momentum=0.99, epsilon=1e-3):
    """keras.layers.BatchNormalization on the case's inputs: (output, new moving mean, new moving variance)."""
    layer = keras.layers.BatchNormalization(momentum=momentum, epsilon=epsilon)
    layer.build(inputs["x"].shape)
    layer.set_weights([inputs["gamma"], inputs["beta"], inputs["moving_mean"], inputs["moving_var"]])
    y = layer(inputs["x"], training=training)
    return [keras.ops.convert_to_numpy(t) for t in (y, layer.moving_mean, layer.moving_variance)]


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_inception_solution_counts_what_keras_counts(keras, suite):
    """The expected values of inception_params (the solution's) are Keras' count_params()."""
    from cnnlab.checks import case_studies as check

    ns = _notebook_namespace()
    for case, module, reductions in check.inception_cases(suite):
        assert ns["inception_params"](**module, reductions=reductions) == \
            _keras_inception_count(keras, **module, reductions=reductions), case


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_batchnorm_solution_computes_what_keras_computes(keras, suite):
    """The expected values of batchnorm_forward (the solution's) are keras.layers.BatchNormalization's."""
    from cnnlab.checks import case_studies as check

    ns = _notebook_namespace()
    for case, inputs, training, kwargs in check.batchnorm_cases(suite):
        got = ns["batchnorm_forward"](*inputs.values(), training, **kwargs)
        for mine, want in zip(got, _keras_batchnorm(keras, inputs, training, **kwargs)):
            np.testing.assert_allclose(mine, want, rtol=1e-4, atol=1e-5, err_msg=case)


def test_checks_module_holds_no_reference():
    """The answers the checks used to compute themselves are gone from the student package (issue 12)."""
    from cnnlab.checks import case_studies as check

    for name in ("keras_batchnorm", "inception_module", "inception_count", "_vote", "lenet5_rows"):
        assert not hasattr(check, name), name


@pytest.mark.parametrize("exercise", ["build_lenet5", "majority_vote", "inception_params", "batchnorm_forward",
                                      "residual_block"])
def test_collect_gives_plain_data_that_judge_accepts_in_another_process(exercise):
    """The two phases can run apart: what collect returns survives the record format, and judge passes it,
    on the visible (stored) and the hidden (the solution's) cases."""
    from cnnlab.checks import case_studies as check
    from cnnlab.checks import core, record

    ns = _notebook_namespace()
    collect, judge = getattr(check, f"collect_{exercise}"), getattr(check, f"judge_{exercise}")
    for suite in ("visible", "hidden"):
        data = record.decode(json.loads(json.dumps(record.encode(collect(ns[exercise], suite=suite)))))
        expected = ({**core.stored(check)[exercise], "suite": "visible"} if suite == "visible"
                    else {"expected": collect(ns[exercise], suite=suite), "mistakes": {}, "suite": suite})
        assert judge(data, expected) > 0


def test_judge_rejects_an_answer_one_off():
    from cnnlab.checks import CheckError, core
    from cnnlab.checks import case_studies as check

    ns = _notebook_namespace()
    expected = {**core.stored(check)["inception_params"], "suite": "visible"}
    data = check.collect_inception_params(ns["inception_params"])
    data["counts"][0] += 1
    with pytest.raises(CheckError, match="count_params"):
        check.judge_inception_params(data, expected)
    expected = {**core.stored(check)["batchnorm_forward"], "suite": "visible"}
    data = check.collect_batchnorm_forward(ns["batchnorm_forward"])
    data["outputs"][1][0] = data["outputs"][1][0] + 1e-2
    with pytest.raises(CheckError, match="training=False"):
        check.judge_batchnorm_forward(data, expected)


def test_residual_judge_uses_the_blocks_own_output():
    """The residual block is judged by a property: with its 3×3 branch off it must output ReLU(shortcut)."""
    from cnnlab.checks import CheckError, core
    from cnnlab.checks import case_studies as check

    ns = _notebook_namespace()
    expected = {**core.stored(check)["residual_block"], "suite": "visible"}
    data = check.collect_residual_block(ns["residual_block"])
    data["blocks"][0]["y"] = np.zeros_like(data["blocks"][0]["y"])
    with pytest.raises(CheckError, match="Add the shortcut"):
        check.judge_residual_block(data, expected)
