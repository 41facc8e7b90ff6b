"""Checks for notebook 1: k-nearest neighbours on CIFAR-10.

Each check takes the student's function, runs it on small cases (the
lecture's 4×4 example first) and raises :class:`~cnnlab.checks.CheckError`
with a hint on the first failure.
"""

from __future__ import annotations

import tracemalloc
from typing import Callable

import numpy as np

from .core import (call, count_loops, expect_array, expect_equal, expect_scalar, fail, passed,
                   random_images, require_function)

# Lecture 000, "Distance Metric": the test and training images whose L1 distance is 456.
LECTURE_TEST_IMAGE = np.array([[56, 32, 10, 18], [90, 23, 128, 133],
                               [24, 26, 178, 200], [2, 0, 255, 220]], dtype=np.uint8)
LECTURE_TRAIN_IMAGE = np.array([[10, 20, 24, 17], [8, 10, 89, 100],
                                [12, 16, 178, 170], [4, 32, 233, 112]], dtype=np.uint8)

UINT8_HINT = ("the images are uint8, so 10 - 20 wraps around to 246 instead of -10, and squares "
              "or products above 255 overflow. Convert to float before any arithmetic: "
              "`a.astype(np.float64) - b`.")


def _diffs(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return a.astype(np.float64) - b.astype(np.float64)


def _l1(a, b) -> float:
    return float(np.abs(_diffs(a, b)).sum())


def _l2(a, b) -> float:
    return float(np.sqrt((_diffs(a, b) ** 2).sum()))


def _l2_matrix(x_test: np.ndarray, x_train: np.ndarray) -> np.ndarray:
    d = x_test.astype(np.float64)[:, None, :] - x_train.astype(np.float64)[None, :, :]
    return np.sqrt((d ** 2).sum(axis=-1))


def _l1_matrix(x_test: np.ndarray, x_train: np.ndarray) -> np.ndarray:
    d = x_test.astype(np.float64)[:, None, :] - x_train.astype(np.float64)[None, :, :]
    return np.abs(d).sum(axis=-1)


def _distance_hint(got, a, b, metric: str) -> str:
    """Name the common mistake that produces ``got``, if we recognise it."""
    got = float(np.asarray(got))
    wrapped = (a - b).astype(np.float64)  # what uint8 arithmetic gives
    if metric == "l1":
        if np.isclose(got, np.abs(wrapped).sum()) or np.isclose(got, wrapped.sum()):
            return UINT8_HINT
        if np.isclose(got, _diffs(a, b).sum()):
            return "take the absolute value of each difference before summing: `np.abs(...)`."
        return "L1 is the sum over all pixels of |a - b|."
    if np.isclose(got, np.sqrt((wrapped ** 2).sum())) or np.isclose(got, (wrapped ** 2).sum()):
        return UINT8_HINT
    if np.isclose(got, (_diffs(a, b) ** 2).sum()):
        return "that is the squared distance: take the square root, `np.sqrt(...)`."
    return "L2 is the square root of the sum over all pixels of (a - b)²."


def _check_distance(name: str, func: Callable, metric: str, reference: Callable) -> None:
    rng = np.random.default_rng(0)
    lecture_value = reference(LECTURE_TEST_IMAGE, LECTURE_TRAIN_IMAGE)
    cases = [
        (f"the lecture's 4×4 images ({metric.upper()} = {lecture_value:.2f})".replace(".00)", ")"),
         LECTURE_TEST_IMAGE, LECTURE_TRAIN_IMAGE),
        ("an image and itself", LECTURE_TEST_IMAGE, LECTURE_TEST_IMAGE),
        ("two 32×32×3 uint8 images", random_images(rng, (32, 32, 3)), random_images(rng, (32, 32, 3))),
        ("two float images of shape (5,)", rng.normal(size=5), rng.normal(size=5)),
    ]
    for case, a, b in cases:
        got = call(name, func, a, b, case=case)
        expected = reference(a, b)
        hint = _distance_hint(got, a, b, metric) if got is not None else ""
        expect_scalar(name, got, expected, case=case, hint=hint)
    a, b = cases[2][1], cases[2][2]
    expect_scalar(name, call(name, func, b, a), reference(a, b), case="swapping the arguments",
                  hint="a distance is symmetric: d(a, b) = d(b, a).")
    passed(name, len(cases) + 1)


def l1_distance(func: Callable) -> None:
    """Check ``l1_distance(a, b) -> float``: the sum of absolute pixel differences."""
    _check_distance("l1_distance", func, "l1", _l1)


def l2_distance(func: Callable) -> None:
    """Check ``l2_distance(a, b) -> float``: the Euclidean distance between two images."""
    _check_distance("l2_distance", func, "l2", _l2)


def _matrix_cases():
    rng = np.random.default_rng(1)
    flat = LECTURE_TEST_IMAGE.reshape(1, -1), LECTURE_TRAIN_IMAGE.reshape(1, -1)
    return [
        ("the lecture's two 4×4 images, flattened (1 test, 1 train)", *flat),
        ("3 test and 5 train uint8 rows of 12 pixels", random_images(rng, (3, 12)), random_images(rng, (5, 12))),
        ("4 test and 7 train CIFAR-sized uint8 rows (3,072 pixels)",
         random_images(rng, (4, 3072)), random_images(rng, (7, 3072))),
        ("identical test and train rows (distances of 0 on the diagonal)",
         np.repeat(np.arange(0, 250, 50, dtype=np.uint8)[:, None], 6, axis=1),
         np.repeat(np.arange(0, 250, 50, dtype=np.uint8)[:, None], 6, axis=1)),
    ]


def _matrix_hint(got, x_test, x_train, metric: str) -> str:
    """Name the common mistake that produces the matrix ``got``, if we recognise it."""
    if not isinstance(got, np.ndarray):
        return ""
    if got.shape == (len(x_train), len(x_test)) != (len(x_test), len(x_train)):
        return "rows are test images and columns are training images: shape (n_test, n_train)."
    if got.shape != (len(x_test), len(x_train)):
        return "entry [i, j] is the distance between test row i and training row j: shape (n_test, n_train)."
    if np.isnan(got).any():
        return ("a value came out NaN: with ||a||² - 2a·b + ||b||², rounding can give tiny negative "
                "numbers. Clip at zero before the square root: `np.sqrt(np.maximum(d2, 0))`.")
    wrapped = (x_test[:, None, :] - x_train[None, :, :]).astype(np.float64)  # uint8 arithmetic
    if metric == "l1":
        return UINT8_HINT if np.allclose(got, np.abs(wrapped).sum(-1)) else \
            "entry [i, j] is the sum of |X_test[i] - X_train[j]|."
    reference = _l2_matrix(x_test, x_train)
    if np.allclose(got, np.sqrt((wrapped ** 2).sum(-1))):
        return UINT8_HINT
    if np.allclose(got, reference ** 2):
        return "those are squared distances: take the square root."
    if x_test.dtype == np.uint8:
        return UINT8_HINT
    return "entry [i, j] is the L2 distance between test row i and training row j."


def _check_matrix(name: str, func: Callable, metric: str, loops: int | None) -> None:
    reference = _l2_matrix if metric == "l2" else _l1_matrix
    cases = _matrix_cases()
    for case, x_test, x_train in cases:
        got = call(name, func, x_test, x_train, case=case)
        hint = _matrix_hint(got, x_test, x_train, metric)
        expect_array(name, got, reference(x_test, x_train), case=case, dtype=np.float64,
                     hint=hint, rtol=1e-6, atol=1e-6)
    n_loops = count_loops(func)
    if loops is not None and n_loops is not None and n_loops != loops:
        words = {0: "no Python loop", 1: "exactly one Python loop", 2: "two nested Python loops"}
        fail(name, "loop count", f"expected {words[loops]}; your function has {n_loops} "
             "(for/while loops and comprehensions count).",
             "the point of this exercise is to let NumPy's broadcasting do the looping.")
    passed(name, len(cases) + (loops is not None and n_loops is not None))


def compute_distances_two_loops(func: Callable) -> None:
    """Check ``compute_distances_two_loops(X_test, X_train) -> (n_test, n_train) float64``."""
    _check_matrix("compute_distances_two_loops", func, "l2", loops=None)


def compute_distances_one_loop(func: Callable) -> None:
    """Check ``compute_distances_one_loop``: same result, one loop over the test rows."""
    _check_matrix("compute_distances_one_loop", func, "l2", loops=1)


def compute_distances_no_loops(func: Callable) -> None:
    """Check ``compute_distances_no_loops``: same result, no Python loop at all."""
    _check_matrix("compute_distances_no_loops", func, "l2", loops=0)


def peak_memory(func: Callable, *args, **kwargs) -> tuple[object, int]:
    """Run ``func`` and return ``(result, peak bytes allocated while it ran)``.

    NumPy reports its array buffers to :mod:`tracemalloc`, so this sees the
    temporaries of a broadcast like ``a[:, None, :] - b[None, :, :]``.
    """
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        result = func(*args, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return result, peak


def compute_l1_distances(func: Callable) -> None:
    """Check ``compute_l1_distances(X_test, X_train, max_bytes=...)``: values and memory.

    The memory case is 40 test × 300 training rows of 3,072 pixels: broadcasting
    all of it at once needs about 300 MB of float64 temporaries, while the
    function is given ``max_bytes`` = 16 MiB.
    """
    name = "compute_l1_distances"
    cases = _matrix_cases()
    for case, x_test, x_train in cases:
        got = call(name, func, x_test, x_train, case=case)
        expect_array(name, got, _l1_matrix(x_test, x_train), case=case, dtype=np.float64,
                     hint=_matrix_hint(got, x_test, x_train, "l1"), rtol=1e-9, atol=1e-9)
    rng = np.random.default_rng(2)
    x_test, x_train = random_images(rng, (40, 3072)), random_images(rng, (300, 3072))
    budget = 16 * 2**20
    case = "40 test × 300 training CIFAR rows with max_bytes=16 MiB"
    got, peak = peak_memory(call, name, func, x_test, x_train, case=case, max_bytes=budget)
    expect_array(name, got, _l1_matrix(x_test, x_train), case=case, dtype=np.float64)
    # max_bytes bounds the chunk's difference array; NumPy's temporaries for abs and
    # sum (up to two more of that size) and the output itself are allowed on top.
    allowed = 3 * budget + got.nbytes + 2**20
    if peak > allowed:
        fail(name, case, f"your function allocated {peak / 2**20:.0f} MiB at its peak, more than the "
             f"{allowed / 2**20:.0f} MiB allowed:\n"
             f"max_bytes = {budget // 2**20} MiB for one chunk's differences, up to twice that again for "
             "NumPy's temporaries (abs, sum), and the output.",
             "process the test rows in chunks: choose the chunk so that "
             "chunk × n_train × n_pixels × 8 bytes stays under max_bytes.")
    passed(name, len(cases) + 1)


def _vote(dists: np.ndarray, y_train: np.ndarray, k: int) -> np.ndarray:
    nearest = np.argsort(dists, axis=1, kind="stable")[:, :k]
    return np.array([np.bincount(y_train[row]).argmax() for row in nearest])


def predict_labels(func: Callable) -> None:
    """Check ``predict_labels(dists, y_train, k=1) -> (n_test,) int``."""
    name = "predict_labels"
    y_train = np.array([0, 1, 2, 1, 2, 3])
    dists = np.array([[0.1, 5.0, 3.0, 4.0, 6.0, 7.0],    # k=1: label 0; k=3: 0, 2, 1 tie → 0
                      [9.0, 1.0, 8.0, 2.0, 0.5, 7.0],    # k=1: 2; k=3: 2, 1, 1 → 1
                      [3.0, 2.0, 1.0, 4.0, 5.0, 0.0]])   # k=1: 3; k=3: 3, 2, 1 tie → 1
    cases = [  # (case, rows of dists, k, expected, hint): no ties before ties
        ("k=1: the label of the single nearest training image", [0, 1, 2], 1, [0, 2, 3],
         "the nearest image has the SMALLEST distance: use `np.argsort` or `np.argmin`, not argmax."),
        ("k=3: majority vote among the 3 nearest (labels 2, 1, 1)", [1], 3, [1],
         "take the labels of the k nearest training images and count them with `np.bincount`."),
        ("k=3 with ties (labels 0, 2, 1 and 3, 2, 1): a tie goes to the smallest label", [0, 1, 2], 3,
         [0, 1, 1], "on a tie choose the smallest label: `np.bincount(labels).argmax()` does that."),
        ("k=6: every training image votes", [0, 1, 2], 6, [1, 1, 1],
         "with k = n_train every image votes; labels 1 and 2 each have 2 votes, so 1 wins."),
    ]
    for case, rows, k, expected, hint in cases:
        got = call(name, func, dists[rows], y_train, case=case, k=k)
        if isinstance(got, (list, tuple)):
            got = np.asarray(got)
        if isinstance(got, np.ndarray) and not np.issubdtype(got.dtype, np.integer):
            fail(name, case, f"expected integer labels, got dtype {got.dtype}",
                 "labels are class indices: return an integer array (`.astype(int)`).")
        expect_array(name, got, np.array(expected), case=case, hint=hint)
    rng = np.random.default_rng(3)
    dists, y_train = rng.random((20, 30)), rng.integers(0, 4, 30)
    case = "20 random test rows, 30 training rows, k=5"
    expect_array(name, call(name, func, dists, y_train, case=case, k=5), _vote(dists, y_train, 5),
                 case=case, hint="sort each row's distances, keep the first k, vote.")
    passed(name, len(cases) + 1)


def _cross_validate(x, y, k_choices, num_folds, metric):
    xs, ys = np.array_split(x, num_folds), np.array_split(y, num_folds)
    acc = np.zeros((len(k_choices), num_folds))
    for f in range(num_folds):
        x_tr = np.concatenate(xs[:f] + xs[f + 1:])
        y_tr = np.concatenate(ys[:f] + ys[f + 1:])
        d = (_l1_matrix if metric == "l1" else _l2_matrix)(xs[f], x_tr)
        for i, k in enumerate(k_choices):
            acc[i, f] = np.mean(_vote(d, y_tr, k) == ys[f])
    return acc


def cross_validate_k(func: Callable) -> None:
    """Check ``cross_validate_k(X, y, k_choices, num_folds=5, metric="l2", return_folds=False)``."""
    name = "cross_validate_k"
    rng = np.random.default_rng(4)
    # Three noisy classes in 8-D, 30 points: folds of 6, accuracies in steps of 1/6.
    y = rng.integers(0, 3, 30)
    x = (rng.normal(size=(30, 8)) + 1.5 * y[:, None]).astype(np.float64)
    k_choices = [1, 3, 5, 8]
    for metric in ("l2", "l1"):
        folds = _cross_validate(x, y, k_choices, 5, metric)
        case = f"3 classes, 30 points, 5 folds, k in {k_choices}, metric={metric!r}"
        got = call(name, func, x, y, k_choices, case=case, num_folds=5, metric=metric)
        expect_array(name, np.asarray(got) if isinstance(got, list) else got, folds.mean(axis=1),
                     case=case, hint="fold f is the validation set once; train on the other folds "
                     "(np.array_split, then np.concatenate), and average the accuracies over folds.")
        got = call(name, func, x, y, k_choices, case=case + ", return_folds=True", num_folds=5,
                   metric=metric, return_folds=True)
        expect_array(name, got, folds, case=case + ", return_folds=True",
                     hint="with return_folds=True return every fold's accuracy, shape (len(k_choices), num_folds).")
    require_function(name, func)
    try:
        func(x, y, k_choices, num_folds=5, metric="cosine")
    except ValueError:
        pass
    except NotImplementedError:
        raise
    except Exception as err:
        fail(name, "metric='cosine'", f"raised {type(err).__name__}: {err}",
             "raise ValueError for a metric other than 'l1' or 'l2', with a message naming both.")
    else:
        fail(name, "metric='cosine'", "no error was raised for an unknown metric.",
             "raise ValueError for a metric other than 'l1' or 'l2', with a message naming both.")
    passed(name, 5)
