"""Plots for the course notebooks.

Every function makes a new figure with ``plt.subplots``, gives it a title and
labelled axes, and returns the :class:`matplotlib.figure.Figure`::

    fig = viz.show_images(data.x_train[:16], data.y_train[:16], data.class_names)

Nothing here writes warnings (nbgrader takes points off cells that write to
stderr): images are scaled into the range ``imshow`` accepts before drawing.
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator


def _displayable(image):
    """(array, cmap) that ``imshow`` draws without clipping or warnings.

    (H, W) and (H, W, 1) become gray (H, W); uint8 stays as is; float RGB
    outside [0, 1] is min-max scaled into it (imshow would clip it).
    """
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        return image, "gray"
    if image.ndim != 3 or image.shape[-1] != 3:
        raise ValueError(
            f"expected an (H, W), (H, W, 1) or (H, W, 3) image, got shape {image.shape}"
        )
    if image.dtype == np.uint8:
        return image, None
    image = image.astype(np.float64)
    lo, hi = np.nanmin(image), np.nanmax(image)
    if lo < 0 or hi > 1:
        image = (image - lo) / (hi - lo) if hi > lo else np.zeros_like(image)
    return image, None


def _imshow(ax, image, **kwargs):
    image, cmap = _displayable(image)
    if cmap == "gray":  # keep black black: scale by the value range, not the image's
        if image.dtype == np.uint8:
            kwargs = {"vmin": 0, "vmax": 255, **kwargs}
        elif np.nanmin(image) >= 0 and np.nanmax(image) <= 1:
            kwargs = {"vmin": 0, "vmax": 1, **kwargs}
    return ax.imshow(image, cmap=cmap, **kwargs)


def _label_text(label, class_names):
    if class_names is not None and np.issubdtype(type(label), np.integer):
        return str(class_names[int(label)])
    return str(label)


def show_images(images, labels=None, class_names=None, ncols=8, title=None):
    """Show images in a grid, each titled with its label.

    Args:
        images: (N, H, W), (N, H, W, 1) or (N, H, W, 3) array, uint8 (0..255)
            or float (0..1; other ranges are scaled per image).
        labels: optional (N,) int labels or strings shown above each image.
        class_names: optional names that integer labels index.
        ncols: images per row.
        title: figure title; default "N images".

    Returns:
        The Figure.
    """
    images = np.asarray(images)
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(
            f"expected a non-empty (N, H, W[, C]) array of images, got shape {images.shape}"
        )
    n = len(images)
    if labels is not None and len(labels) != n:
        raise ValueError(f"{len(labels)} labels for {n} images")
    ncols = max(1, min(ncols, n))
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(1.4 * ncols, 1.6 * nrows + 0.4), squeeze=False, layout="constrained"
    )
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < n:
            _imshow(ax, images[i])
            if labels is not None:
                ax.set_title(_label_text(labels[i], class_names), fontsize=9)
    fig.suptitle(title or f"{n} images")
    return fig


def show_class_grid(x, y, class_names, per_class=7, seed=0):
    """CS231n-style overview: one column per class, random examples below its name.

    Args:
        x: (N, H, W[, C]) images.
        y: (N,) int labels.
        class_names: one name per class (one column each).
        per_class: images per column (fewer where a class has fewer).
        seed: seed of the random choice.

    Returns:
        The Figure.
    """
    x, y = np.asarray(x), np.asarray(y)
    if len(x) != len(y):
        raise ValueError(f"{len(y)} labels for {len(x)} images")
    rng = np.random.default_rng(seed)
    ncls = len(class_names)
    fig, axes = plt.subplots(
        per_class,
        ncls,
        figsize=(1.1 * ncls, 1.1 * per_class + 0.6),
        squeeze=False,
        layout="constrained",
    )
    for c, name in enumerate(class_names):
        members = np.flatnonzero(y == c)
        chosen = rng.choice(members, size=min(per_class, len(members)), replace=False)
        axes[0, c].set_title(str(name), fontsize=9)
        for r in range(per_class):
            ax = axes[r, c]
            ax.set_axis_off()
            if r < len(chosen):
                _imshow(ax, x[chosen[r]])
    fig.suptitle(f"{per_class} random images of each class")
    return fig


def show_kernel_result(image, kernel, result, title=None):
    """Three panels: the input image | the kernel with its numbers | the result.

    Args:
        image: (H, W) or (H, W, 3) input image.
        kernel: (kh, kw) kernel (weights written in each cell up to 11x11).
        result: (H', W') or (H', W', 3) output of applying the kernel.
        title: figure title; default "Convolution with a kh×kw kernel".

    Returns:
        The Figure.
    """
    kernel = np.asarray(kernel, dtype=float)
    if kernel.ndim != 2:
        raise ValueError(f"expected a 2-D kernel, got shape {kernel.shape}")
    image, result = np.asarray(image), np.asarray(result)
    fig, (ax_in, ax_k, ax_out) = plt.subplots(
        1, 3, figsize=(12, 4.2), layout="constrained", width_ratios=(1, 0.7, 1)
    )

    _imshow(ax_in, image)
    ax_in.set_title(f"input {image.shape[0]}×{image.shape[1]}")

    # A diverging map centred on 0 shows the sign of each weight.
    bound = np.abs(kernel).max() or 1.0
    im = ax_k.imshow(kernel, cmap="RdBu_r", vmin=-bound, vmax=bound)
    if kernel.size <= 121:
        for (r, c), w in np.ndenumerate(kernel):
            colour = "white" if abs(w) > 0.6 * bound else "black"
            ax_k.text(c, r, f"{w:.3g}", ha="center", va="center", color=colour, fontsize=9)
    ax_k.set_xticks(range(kernel.shape[1]))
    ax_k.set_yticks(range(kernel.shape[0]))
    fig.colorbar(im, ax=ax_k, shrink=0.7)
    ax_k.set_title(f"kernel {kernel.shape[0]}×{kernel.shape[1]}")
    ax_k.set_xlabel("kernel column")
    ax_k.set_ylabel("kernel row")

    if result.ndim == 2:  # show real values (they may be negative) with a scale
        fig.colorbar(ax_out.imshow(result, cmap="gray"), ax=ax_out, shrink=0.7)
    else:
        _imshow(ax_out, result)
    ax_out.set_title(f"result {result.shape[0]}×{result.shape[1]}")

    for ax in (ax_in, ax_out):
        ax.set_xlabel("x (pixels)")
        ax.set_ylabel("y (pixels)")
    fig.suptitle(title or f"Convolution with a {kernel.shape[0]}×{kernel.shape[1]} kernel")
    return fig


_ACCURACY_KEYS = ("accuracy", "acc", "sparse_categorical_accuracy", "categorical_accuracy")


def plot_history(history, title="Training history"):
    """Loss and accuracy per epoch, for training and (if recorded) validation.

    Args:
        history: a Keras ``History`` (from ``model.fit``) or its ``history``
            dict, e.g. ``{"loss": [...], "val_loss": [...], "accuracy": [...]}``.
        title: figure title.

    Returns:
        The Figure, two panels: loss (left) and accuracy (right).
    """
    hist = getattr(history, "history", history)
    if not isinstance(hist, Mapping) or "loss" not in hist:
        raise ValueError("expected a Keras History or a dict with a 'loss' list")
    acc_key = next((k for k in _ACCURACY_KEYS if k in hist), None)

    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(10, 3.8), layout="constrained")
    for ax, key, name in ((ax_loss, "loss", "loss"), (ax_acc, acc_key, "accuracy")):
        ax.set_xlabel("epoch")
        ax.set_ylabel(name)
        ax.set_title(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if key is None:
            ax.text(
                0.5, 0.5, "no accuracy recorded", ha="center", va="center", transform=ax.transAxes
            )
            continue
        for k, label in ((key, "training"), (f"val_{key}", "validation")):
            if k in hist:
                values = np.asarray(hist[k], dtype=float)
                ax.plot(np.arange(1, len(values) + 1), values, marker="o", label=label)
        ax.legend()
    fig.suptitle(title)
    return fig


def confusion_matrix(y_true, y_pred, n_classes) -> np.ndarray:
    """(n_classes, n_classes) int64 counts: row = true class, column = predicted class."""
    y_true, y_pred = np.asarray(y_true, dtype=np.int64), np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape or y_true.ndim != 1:
        raise ValueError(
            f"y_true {y_true.shape} and y_pred {y_pred.shape} must be equal 1-D shapes"
        )
    for name, y in (("y_true", y_true), ("y_pred", y_pred)):
        if y.size and (y.min() < 0 or y.max() >= n_classes):
            raise ValueError(f"{name} has labels outside 0..{n_classes - 1}")
    counts = np.bincount(y_true * n_classes + y_pred, minlength=n_classes**2)
    return counts.reshape(n_classes, n_classes)


def plot_confusion_matrix(y_true, y_pred, class_names, normalize=True):
    """Confusion matrix as an annotated heat-map.

    Args:
        y_true: (N,) int true labels.
        y_pred: (N,) int predicted labels.
        class_names: one name per class.
        normalize: show each row as fractions of that true class (else counts).

    Returns:
        The Figure; rows are the true class, columns the predicted class.
    """
    n = len(class_names)
    counts = confusion_matrix(y_true, y_pred, n)
    if normalize:
        totals = counts.sum(axis=1, keepdims=True)
        values = np.divide(counts, totals, out=np.zeros(counts.shape), where=totals > 0)
    else:
        values = counts

    size = max(4.0, 0.6 * n + 2)
    fig, ax = plt.subplots(figsize=(size + 1, size), layout="constrained")
    im = ax.imshow(values, cmap="Blues", vmin=0, vmax=1 if normalize else max(values.max(), 1))
    fig.colorbar(im, ax=ax, shrink=0.8, label="fraction of true class" if normalize else "count")
    threshold = 0.6 * (1 if normalize else max(values.max(), 1))
    for (r, c), v in np.ndenumerate(values):
        text = f"{v:.2f}" if normalize else f"{v:d}"
        ax.text(
            c,
            r,
            text,
            ha="center",
            va="center",
            fontsize=8,
            color="white" if v > threshold else "black",
        )
    ax.set_xticks(range(n), [str(c) for c in class_names], rotation=45, ha="right")
    ax.set_yticks(range(n), [str(c) for c in class_names])
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    total = counts.sum()
    accuracy = np.trace(counts) / total if total else 0.0
    ax.set_title(f"Confusion matrix ({total:,} images, accuracy {accuracy:.1%})")
    return fig


def plot_accuracy_vs_k(k_choices, accuracies, labels=None):
    """Cross-validation accuracy against k: mean over folds, error bars = std.

    Args:
        k_choices: (n_k,) the values of k tried.
        accuracies: a dict mapping a curve label (e.g. "L1", "L2") to an
            (n_k, n_folds) array, or a single (n_k, n_folds) array.
        labels: which dict entries to draw, in order (default: all); for a
            single array, its one label (default "accuracy").

    Returns:
        The Figure; each fold's accuracy is a faint dot, the mean a line.
    """
    k = np.asarray(k_choices)
    if not isinstance(accuracies, Mapping):
        accuracies = {(labels or ["accuracy"])[0]: accuracies}
        labels = None
    names = list(labels) if labels is not None else list(accuracies)

    fig, ax = plt.subplots(figsize=(7, 4.2), layout="constrained")
    for name in names:
        acc = np.asarray(accuracies[name], dtype=float)
        if acc.ndim == 1:
            acc = acc[:, None]  # one fold
        if acc.ndim != 2 or len(acc) != len(k):
            raise ValueError(f"{name}: expected shape ({len(k)}, n_folds), got {acc.shape}")
        line = ax.errorbar(
            k, acc.mean(axis=1), yerr=acc.std(axis=1), marker="o", capsize=4, label=str(name)
        )
        ax.scatter(
            np.repeat(k, acc.shape[1]), acc.ravel(), s=10, alpha=0.35, color=line[0].get_color()
        )
    ax.set_xlabel("k")
    ax.set_ylabel("cross-validation accuracy")
    ax.set_title("Cross-validation accuracy vs k (mean ± std over folds)")
    ax.legend()
    return fig
