"""Tests of cnnlab.viz: every function returns a titled Figure with labelled axes.

Warnings are errors here, and matplotlib must log nothing at WARNING level:
both would reach stderr, which costs points in nbgrader-graded cells.
"""

from __future__ import annotations

import logging

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from cnnlab import viz  # noqa: E402

pytestmark = pytest.mark.filterwarnings("error")

rng = np.random.default_rng(0)
NAMES = ("cat", "dog", "ship")


@pytest.fixture(autouse=True)
def no_logged_warnings_and_closed_figures(caplog):
    caplog.set_level(logging.WARNING)
    yield
    plt.close("all")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


def suptitle(fig):
    return fig._suptitle.get_text() if fig._suptitle is not None else ""


def drawn(fig):
    fig.canvas.draw()  # layout and rendering must work, not only the calls
    return fig


@pytest.mark.parametrize(
    "images",
    [
        rng.integers(0, 256, (5, 8, 8, 3), dtype=np.uint8),
        rng.random((5, 8, 8, 1)),
        rng.random((5, 8, 8)),
        rng.normal(size=(5, 8, 8, 3)),  # outside [0, 1]: scaled, not clipped with a warning
        rng.integers(0, 256, (5, 8, 8), dtype=np.uint8),
    ],
    ids=["uint8-rgb", "float-1ch", "float-gray", "float-rgb-unscaled", "uint8-gray"],
)
def test_show_images(images):
    fig = drawn(viz.show_images(images, labels=[0, 1, 2, 0, 1], class_names=NAMES, ncols=3))
    assert isinstance(fig, Figure)
    assert suptitle(fig) == "5 images"
    assert len(fig.axes) == 6  # 2 rows x 3 columns, the last one empty
    assert [ax.get_title() for ax in fig.axes[:5]] == ["cat", "dog", "ship", "cat", "dog"]
    assert len(fig.axes[0].images) == 1 and len(fig.axes[5].images) == 0


def test_show_images_title_and_string_labels():
    images = rng.integers(0, 256, (2, 4, 4, 3), dtype=np.uint8)
    fig = viz.show_images(images, labels=["a", "b"], title="Two")
    assert suptitle(fig) == "Two" and fig.axes[1].get_title() == "b"
    with pytest.raises(ValueError, match="3 labels for 2 images"):
        viz.show_images(images, labels=[0, 1, 2])


def test_show_class_grid():
    x = rng.integers(0, 256, (30, 8, 8, 3), dtype=np.uint8)
    y = np.repeat([0, 1, 2], [12, 16, 2])  # class 2 has only two images
    fig = drawn(viz.show_class_grid(x, y, NAMES, per_class=4, seed=1))
    assert suptitle(fig) == "4 random images of each class"
    assert len(fig.axes) == 12
    assert [ax.get_title() for ax in fig.axes[:3]] == list(NAMES)  # top row, one column per class
    column_2 = fig.axes[2::3]
    assert sum(len(ax.images) for ax in column_2) == 2
    assert sum(len(ax.images) for ax in fig.axes) == 10


def test_show_kernel_result():
    image = rng.random((16, 16))
    kernel = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]])
    result = rng.normal(size=(14, 14))
    fig = drawn(viz.show_kernel_result(image, kernel, result, title="Sobel"))
    assert suptitle(fig) == "Sobel"
    ax_in, ax_k, ax_out = fig.axes[:3]
    assert ax_in.get_title() == "input 16×16" and ax_out.get_title() == "result 14×14"
    assert ax_k.get_title() == "kernel 3×3"
    assert [t.get_text() for t in ax_k.texts] == ["-1", "0", "1", "-2", "0", "2", "-1", "0", "1"]
    for ax in (ax_in, ax_k, ax_out):
        assert ax.get_xlabel() and ax.get_ylabel()
    rgb = viz.show_kernel_result(
        rng.random((8, 8, 3)), np.ones((5, 5)) / 25, rng.random((4, 4, 3)) * 3
    )
    assert suptitle(drawn(rgb)) == "Convolution with a 5×5 kernel"


class FakeHistory:  # stands in for keras.callbacks.History, which holds the dict in .history
    def __init__(self, history):
        self.history = history


@pytest.mark.parametrize("wrap", [dict, FakeHistory], ids=["dict", "History"])
def test_plot_history(wrap):
    hist = {
        "loss": [1.0, 0.7, 0.5],
        "val_loss": [1.1, 0.8, 0.7],
        "accuracy": [0.3, 0.5, 0.6],
        "val_accuracy": [0.3, 0.4, 0.5],
    }
    fig = drawn(viz.plot_history(wrap(hist)))
    assert suptitle(fig) == "Training history"
    ax_loss, ax_acc = fig.axes
    assert (ax_loss.get_title(), ax_loss.get_xlabel(), ax_loss.get_ylabel()) == (
        "loss",
        "epoch",
        "loss",
    )
    assert (ax_acc.get_title(), ax_acc.get_xlabel(), ax_acc.get_ylabel()) == (
        "accuracy",
        "epoch",
        "accuracy",
    )
    assert [line.get_label() for line in ax_acc.lines] == ["training", "validation"]
    assert ax_loss.lines[0].get_xdata().tolist() == [1, 2, 3]
    assert ax_acc.lines[1].get_ydata().tolist() == [0.3, 0.4, 0.5]


def test_plot_history_without_validation_or_accuracy():
    fig = drawn(viz.plot_history({"loss": [2.0, 1.0]}))
    assert [line.get_label() for line in fig.axes[0].lines] == ["training"]
    assert fig.axes[1].texts[0].get_text() == "no accuracy recorded"
    with pytest.raises(ValueError, match="loss"):
        viz.plot_history({"acc": [0.1]})


def test_plot_confusion_matrix():
    y_true = np.array([0, 0, 0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 0, 0, 1, 1, 1, 2, 0])
    assert viz.confusion_matrix(y_true, y_pred, 3).tolist() == [[3, 1, 0], [0, 2, 0], [1, 0, 1]]

    fig = drawn(viz.plot_confusion_matrix(y_true, y_pred, NAMES))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert ax.get_title() == "Confusion matrix (8 images, accuracy 75.0%)"
    texts = [t.get_text() for t in ax.texts]
    assert texts[:3] == ["0.75", "0.25", "0.00"] and texts[6:] == ["0.50", "0.00", "0.50"]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(NAMES)

    counts = viz.plot_confusion_matrix(y_true, y_pred, NAMES, normalize=False)
    assert [t.get_text() for t in counts.axes[0].texts][:3] == ["3", "1", "0"]
    with pytest.raises(ValueError, match="outside"):
        viz.plot_confusion_matrix([0, 3], [0, 1], NAMES)


def test_plot_accuracy_vs_k():
    k = [1, 3, 5, 10]
    acc = {"L1": rng.uniform(0.2, 0.3, (4, 5)), "L2": rng.uniform(0.2, 0.3, (4, 5))}
    fig = drawn(viz.plot_accuracy_vs_k(k, acc))
    ax = fig.axes[0]
    assert ax.get_xlabel() == "k" and ax.get_ylabel() == "cross-validation accuracy"
    assert ax.get_title().startswith("Cross-validation accuracy vs k")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["L1", "L2"]
    mean_line = ax.lines[0]
    assert np.allclose(mean_line.get_ydata(), acc["L1"].mean(axis=1))

    only_l2 = viz.plot_accuracy_vs_k(k, acc, labels=["L2"])
    assert [t.get_text() for t in only_l2.axes[0].get_legend().get_texts()] == ["L2"]
    single = viz.plot_accuracy_vs_k(k, acc["L1"], labels=["L1 distance"])
    assert [t.get_text() for t in single.axes[0].get_legend().get_texts()] == ["L1 distance"]
    with pytest.raises(ValueError, match=r"L1: expected shape \(2, n_folds\), got \(4, 5\)"):
        viz.plot_accuracy_vs_k([1, 2], acc)
