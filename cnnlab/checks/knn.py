"""Checks for notebook 1: k-nearest neighbours on CIFAR-10.

Nothing here computes an answer: no distance, no distance matrix, no vote, no
cross-validation. Each exercise has three parts (see :func:`cnnlab.checks.core.run_check`):

* ``collect_<exercise>(func, suite)`` runs the student's function on small synthetic
  cases (the lecture's 4×4 images first; ``suite="hidden"``: the grader's own cases)
  and returns what came back, as data;
* ``judge_<exercise>(data, expected)`` compares that data with what the course's
  solutions give (stored in ``expected/knn.json`` for the visible cases; computed by
  the grader for the hidden ones) and raises :class:`~cnnlab.checks.CheckError` on the
  first wrong case, with the hint of the usual mistake whose stored result it matches;
* ``<exercise>(func)`` does both, for the self-check.

The grader (:mod:`cnnlab.grade.judge`) runs the judge in its own process and enforces
``RULES`` from the submitted source.
"""

from __future__ import annotations

import math
import tracemalloc
from typing import Any, Callable

import numpy as np

from .core import (NotDoneError, attempt, count_loops, expect_array, expect_returned_array, expected_per_case, fail,
                   matching_mistake, mistakes_at, number, per_case_at, random_images, reraise, returned, run_check)
from cnnlab import messages

# Lecture 000, "Distance Metric": the test and training images whose L1 distance is 456.
LECTURE_TEST_IMAGE = np.array([[56, 32, 10, 18], [90, 23, 128, 133],
                               [24, 26, 178, 200], [2, 0, 255, 220]], dtype=np.uint8)
LECTURE_TRAIN_IMAGE = np.array([[10, 20, 24, 17], [8, 10, 89, 100],
                                [12, 16, 178, 170], [4, 32, 233, 112]], dtype=np.uint8)

JUDGED = True  # the grader judges what these checks collect (cnnlab.grade.judge)
RULES = {  # enforced by the grader from the submitted source
    "compute_distances_one_loop": ("one_loop", "numpy_only"),
    "compute_distances_no_loops": ("no_loops", "numpy_only"),
}

UINT8_HINT = ("the images are uint8, so 10 - 20 wraps around to 246 instead of -10, and squares "
              "or products above 255 overflow. Convert to float before any arithmetic: "
              "`a.astype(np.float64) - b`.")

# Hints for the stored results of the usual mistakes (solutions/references/knn.py makes them),
# in the order they are tried.
DISTANCE_MISTAKES = {
    "l1_distance": {
        "uint8_wrap": UINT8_HINT,
        "uint8_wrap_signed": UINT8_HINT,
        "no_abs": "take the absolute value of each difference before summing: `np.abs(...)`.",
    },
    "l2_distance": {
        "uint8_wrap": UINT8_HINT,
        "uint8_wrap_uint8_square": UINT8_HINT,
        "uint8_wrap_no_sqrt": UINT8_HINT,
        "squared": "that is the squared distance: take the square root, `np.sqrt(...)`.",
    },
}
DISTANCE_DEFAULT = {"l1_distance": "L1 is the sum over all pixels of |a - b|.",
                    "l2_distance": "L2 is the square root of the sum over all pixels of (a - b)²."}
MATRIX_MISTAKES = {
    "uint8_wrap": UINT8_HINT,
    "uint8_wrap_uint8_square": UINT8_HINT,
    "squared": "those are squared distances: take the square root.",
}
MATRIX_DEFAULT = {"l2": "entry [i, j] is the L2 distance between test row i and training row j.",
                  "l1": "entry [i, j] is the sum of |X_test[i] - X_train[j]|."}
LOOP_WORDS = {"compute_distances_one_loop": (1, "exactly one Python loop"),
              "compute_distances_no_loops": (0, "no Python loop")}

# compute_l1_distances' memory case: 64 test × 50 training CIFAR rows. Broadcasting all of it
# at once needs 75 MiB of float64 (19 MiB even in int16); the function gets max_bytes = 4 MiB.
MEMORY_BUDGET = 4 * 2**20
MEMORY_SHAPE = (64, 50, 3072)


# --------------------------------------------------------------------------- shared helpers


def _expect_number(name: str, got: Any, want: float, *, case: str, hint: str) -> None:
    """``got`` (collected with :func:`number`) must be one real number close to ``want``."""
    reraise(got)
    if isinstance(got, dict) and got.get("returned") == "None":
        fail(name, case, "your function returned None.", "did you forget the `return` statement?")
    if isinstance(got, bool) or not isinstance(got, (int, float)):
        shown = got.get("returned") if isinstance(got, dict) else repr(got)
        fail(name, case, f"expected a single number, got {shown}",
             "sum over all pixels so that the result is one number, e.g. `np.sum(...)`.")
    if not math.isclose(got, want, rel_tol=1e-7, abs_tol=1e-9):
        fail(name, case, f"expected {messages.number(want)}\ngot      {messages.number(float(got))}", hint)


def _matching_number(got: float, wrong: dict, hints: dict) -> str:
    for label, value in wrong.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isclose(
                got, value, rel_tol=1e-5, abs_tol=1e-8):
            return hints[label]
    return ""


# --------------------------------------------------------------------------- l1_distance, l2_distance


def distance_cases(suite: str = "visible", metric: str = "l1") -> list[tuple[str, np.ndarray, np.ndarray, str]]:
    """(case, a, b, hint when it fails) for ``l1_distance``/``l2_distance``, the lecture's images first."""
    if suite == "hidden":
        if metric == "l1":
            rng = np.random.default_rng(2024)
            a, b = rng.normal(size=(2, 3, 5, 7))
            return [
                ("hidden: 8×8×3 uint8 images 240 apart", np.full((8, 8, 3), 10, np.uint8),
                 np.full((8, 8, 3), 250, np.uint8), ""),
                ("hidden: random float images", a, b, ""),
                ("hidden: uint8 rows where every difference is negative", np.array([0, 1, 2], np.uint8),
                 np.array([200, 201, 202], np.uint8), ""),
            ]
        rng = np.random.default_rng(7)
        a, b = rng.integers(0, 256, (2, 6, 6, 3)).astype(np.uint8)
        return [
            ("hidden: the 3-4-5 triangle as uint8", np.array([[0, 0]], np.uint8), np.array([[3, 4]], np.uint8), ""),
            ("hidden: random 6×6×3 uint8 images", a, b, ""),
            ("hidden: random 4×4 float images", *np.random.default_rng(8).normal(size=(2, 4, 4)), ""),
        ]
    rng = np.random.default_rng(0)
    a, b = random_images(rng, (32, 32, 3)), random_images(rng, (32, 32, 3))
    lecture = "L1 = 456" if metric == "l1" else "L2 = 162.11"
    return [
        (f"the lecture's 4×4 images ({lecture})", LECTURE_TEST_IMAGE, LECTURE_TRAIN_IMAGE, ""),
        ("an image and itself", LECTURE_TEST_IMAGE, LECTURE_TEST_IMAGE, ""),
        ("two 32×32×3 uint8 images", a, b, ""),
        ("two float images of shape (5,)", rng.normal(size=5), rng.normal(size=5), ""),
        ("swapping the arguments", b, a, "a distance is symmetric: d(a, b) = d(b, a)."),
    ]


def _collect_distance(name: str, func: Callable, metric: str, suite: str) -> dict:
    return {"outputs": [attempt(name, func, a, b, case=case, to_data=number)
                        for case, a, b, _ in distance_cases(suite, metric)]}


def _judge_distance(name: str, data: Any, expected: dict, metric: str) -> int:
    cases = distance_cases(expected["suite"], metric)
    got_all, want = per_case_at(name, data, "outputs", len(cases)), expected_per_case(expected, "outputs", len(cases))
    hints = DISTANCE_MISTAKES[name]
    for i, (case, _, _, case_hint) in enumerate(cases):
        got = got_all[i]
        hint = case_hint
        if not hint and isinstance(got, (int, float)) and not isinstance(got, bool):
            hint = _matching_number(float(got), mistakes_at(expected, "outputs", i, hints), hints) or \
                DISTANCE_DEFAULT[name]
        _expect_number(name, got, want[i], case=case, hint=hint)
    return len(cases)


def collect_l1_distance(func: Callable, suite: str = "visible") -> dict:
    """``func``'s results on the cases: {"outputs": [number or description, ...]}."""
    return _collect_distance("l1_distance", func, "l1", suite)


def judge_l1_distance(data: dict, expected: dict) -> int:
    return _judge_distance("l1_distance", data, expected, "l1")


def l1_distance(func: Callable, suite: str = "visible") -> None:
    """Check ``l1_distance(a, b) -> float``: the sum of absolute pixel differences."""
    run_check("l1_distance", __name__, suite, lambda: collect_l1_distance(func, suite), judge_l1_distance)


def collect_l2_distance(func: Callable, suite: str = "visible") -> dict:
    """``func``'s results on the cases: {"outputs": [number or description, ...]}."""
    return _collect_distance("l2_distance", func, "l2", suite)


def judge_l2_distance(data: dict, expected: dict) -> int:
    return _judge_distance("l2_distance", data, expected, "l2")


def l2_distance(func: Callable, suite: str = "visible") -> None:
    """Check ``l2_distance(a, b) -> float``: the Euclidean distance between two images."""
    run_check("l2_distance", __name__, suite, lambda: collect_l2_distance(func, suite), judge_l2_distance)


# --------------------------------------------------------------------------- distance matrices


def matrix_cases(suite: str = "visible") -> list[tuple[str, np.ndarray, np.ndarray, float]]:
    """(case, X_test, X_train, atol): small synthetic rows, never the notebook's CIFAR-10 data.

    ``atol``: rows that repeat give distances of 0, where ``||a||² - 2a·b + ||b||²``
    leaves a rounding error of about 1e-4 on CIFAR-sized rows.
    """
    if suite == "hidden":
        rng = np.random.default_rng(11)
        small = rng.integers(0, 256, (3, 50)).astype(np.uint8), rng.integers(0, 256, (2, 50)).astype(np.uint8)
        rng = np.random.default_rng(12)
        wide = rng.integers(0, 256, (4, 30)).astype(np.uint8), rng.integers(0, 256, (6, 30)).astype(np.uint8)
        rng = np.random.default_rng(13)
        xt = rng.integers(0, 256, (5, 3072)).astype(np.uint8)
        xr = np.concatenate([xt[:2], rng.integers(0, 256, (3, 3072)).astype(np.uint8)])
        return [("hidden: 3 test × 2 train uint8 rows", *small, 1e-6),
                ("hidden: 4 test × 6 train uint8 rows", *wide, 1e-6),
                ("hidden: repeated CIFAR-sized rows (zero distances)", xt, xr, 1e-3)]
    rng = np.random.default_rng(1)
    same = np.repeat(np.arange(0, 250, 50, dtype=np.uint8)[:, None], 6, axis=1)
    return [
        ("the lecture's two 4×4 images, flattened (1 test, 1 train)",
         LECTURE_TEST_IMAGE.reshape(1, -1), LECTURE_TRAIN_IMAGE.reshape(1, -1), 1e-6),
        ("3 test and 5 train uint8 rows of 12 pixels", random_images(rng, (3, 12)), random_images(rng, (5, 12)), 1e-6),
        ("4 test and 7 train CIFAR-sized uint8 rows (3,072 pixels)",
         random_images(rng, (4, 3072)), random_images(rng, (7, 3072)), 1e-6),
        ("identical test and train rows (distances of 0 on the diagonal)", same, same.copy(), 1e-6),
    ]


def _matrix_hint(got: np.ndarray, x_test: np.ndarray, x_train: np.ndarray, wrong: dict, metric: str) -> str:
    """Name the common mistake that produces the matrix ``got``, if we recognise it."""
    if got.shape == (len(x_train), len(x_test)) != (len(x_test), len(x_train)):
        return "rows are test images and columns are training images: shape (n_test, n_train)."
    if got.shape != (len(x_test), len(x_train)):
        return "entry [i, j] is the distance between test row i and training row j: shape (n_test, n_train)."
    if np.issubdtype(got.dtype, np.floating) and np.isnan(got).any():
        return ("a value came out NaN: with ||a||² - 2a·b + ||b||², rounding can give tiny negative "
                "numbers. Clip at zero before the square root: `np.sqrt(np.maximum(d2, 0))`.")
    named = matching_mistake(got, wrong, MATRIX_MISTAKES)
    if named:
        return named
    if metric == "l2" and x_test.dtype == np.uint8:
        return UINT8_HINT
    return MATRIX_DEFAULT[metric]


def _judge_matrices(name: str, got_all: list, expected: dict, cases: list, metric: str, key: str = "outputs") -> None:
    want = expected_per_case(expected, key, len(cases))
    for i, (case, x_test, x_train, atol) in enumerate(cases):
        got = expect_returned_array(name, got_all[i], case=case)
        wrong = mistakes_at(expected, key, i, MATRIX_MISTAKES)
        expect_array(name, got, np.asarray(want[i]), case=case, dtype=np.float64, rtol=1e-6, atol=atol,
                     hint=_matrix_hint(got, x_test, x_train, wrong, metric))


def _collect_matrix(name: str, func: Callable, suite: str) -> dict:
    return {"outputs": [attempt(name, func, x_test, x_train, case=case)
                        for case, x_test, x_train, _ in matrix_cases(suite)],
            "loops": count_loops(func)}


def _judge_matrix(name: str, data: Any, expected: dict) -> int:
    cases = matrix_cases(expected["suite"])
    _judge_matrices(name, per_case_at(name, data, "outputs", len(cases)), expected, cases, "l2")
    if name not in LOOP_WORDS:
        return len(cases)
    wanted, words = LOOP_WORDS[name]
    n_loops = data.get("loops")
    if n_loops is None:  # a function without source or bytecode: the grader reads the rule from the source
        return len(cases)
    if isinstance(n_loops, bool) or not isinstance(n_loops, int):
        fail(name, "loop count", "the check did not get the number of loops.", "run the check cell again, unchanged.")
    if n_loops != wanted:
        fail(name, "loop count", f"expected {words}; your function has {n_loops} "
             "(for/while loops and comprehensions count).",
             "the point of this exercise is to let NumPy's broadcasting do the looping.")
    return len(cases) + 1


def collect_compute_distances_two_loops(func: Callable, suite: str = "visible") -> dict:
    """``func``'s matrices on the cases and its number of loops: {"outputs": [...], "loops": n}."""
    return _collect_matrix("compute_distances_two_loops", func, suite)


def judge_compute_distances_two_loops(data: dict, expected: dict) -> int:
    return _judge_matrix("compute_distances_two_loops", data, expected)


def compute_distances_two_loops(func: Callable, suite: str = "visible") -> None:
    """Check ``compute_distances_two_loops(X_test, X_train) -> (n_test, n_train) float64``."""
    run_check("compute_distances_two_loops", __name__, suite,
              lambda: collect_compute_distances_two_loops(func, suite), judge_compute_distances_two_loops)


def collect_compute_distances_one_loop(func: Callable, suite: str = "visible") -> dict:
    """``func``'s matrices on the cases and its number of loops: {"outputs": [...], "loops": n}."""
    return _collect_matrix("compute_distances_one_loop", func, suite)


def judge_compute_distances_one_loop(data: dict, expected: dict) -> int:
    return _judge_matrix("compute_distances_one_loop", data, expected)


def compute_distances_one_loop(func: Callable, suite: str = "visible") -> None:
    """Check ``compute_distances_one_loop``: same result, one loop over the test rows."""
    run_check("compute_distances_one_loop", __name__, suite,
              lambda: collect_compute_distances_one_loop(func, suite), judge_compute_distances_one_loop)


def collect_compute_distances_no_loops(func: Callable, suite: str = "visible") -> dict:
    """``func``'s matrices on the cases and its number of loops: {"outputs": [...], "loops": n}."""
    return _collect_matrix("compute_distances_no_loops", func, suite)


def judge_compute_distances_no_loops(data: dict, expected: dict) -> int:
    return _judge_matrix("compute_distances_no_loops", data, expected)


def compute_distances_no_loops(func: Callable, suite: str = "visible") -> None:
    """Check ``compute_distances_no_loops``: same result, no Python loop at all."""
    run_check("compute_distances_no_loops", __name__, suite,
              lambda: collect_compute_distances_no_loops(func, suite), judge_compute_distances_no_loops)


# --------------------------------------------------------------------------- compute_l1_distances


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


def l1_cases(suite: str = "visible") -> list[tuple[str, np.ndarray, np.ndarray, dict]]:
    """(case, X_test, X_train, keyword arguments) for ``compute_l1_distances``'s values."""
    if suite == "hidden":
        rng = np.random.default_rng(14)
        rows = rng.integers(0, 256, (5, 3072)).astype(np.uint8), rng.integers(0, 256, (4, 3072)).astype(np.uint8)
        return [("hidden: float rows, a tiny max_bytes (1 row per chunk)", rng.normal(size=(7, 20)),
                 rng.normal(size=(9, 20)), {"max_bytes": 100}),
                ("hidden: uint8 CIFAR-sized rows, max_bytes for about two rows per chunk", *rows,
                 {"max_bytes": 2 * 4 * 3072 * 8})]
    return [(case, x_test, x_train, {}) for case, x_test, x_train, _ in matrix_cases("visible")]


def memory_case(suite: str = "visible") -> tuple[str, np.ndarray, np.ndarray]:
    """(case, X_test, X_train) whose broadcast at once would take far more than :data:`MEMORY_BUDGET`."""
    n_test, n_train, pixels = MEMORY_SHAPE
    rng = np.random.default_rng(2 if suite == "visible" else 15)
    case = (f"{n_test} test × {n_train} training CIFAR-sized rows with max_bytes={MEMORY_BUDGET // 2**20} MiB"
            + (" (hidden)" if suite == "hidden" else ""))
    return case, random_images(rng, (n_test, pixels)), random_images(rng, (n_train, pixels))


def collect_compute_l1_distances(func: Callable, suite: str = "visible") -> dict:
    """``func``'s matrices on the cases, and on the memory case its result and peak memory in bytes."""
    name = "compute_l1_distances"
    outputs = [attempt(name, func, x_test, x_train, case=case, **kwargs)
               for case, x_test, x_train, kwargs in l1_cases(suite)]
    case, x_test, x_train = memory_case(suite)
    result, peak = peak_memory(attempt, name, func, x_test, x_train, case=case, max_bytes=MEMORY_BUDGET)
    return {"outputs": outputs, "memory": {"output": result, "peak": int(peak)}}


def judge_compute_l1_distances(data: dict, expected: dict) -> int:
    name = "compute_l1_distances"
    suite = expected["suite"]
    cases = [(case, x_test, x_train, 1e-9) for case, x_test, x_train, _ in l1_cases(suite)]
    _judge_matrices(name, per_case_at(name, data, "outputs", len(cases)), expected, cases, "l1")
    case, x_test, x_train = memory_case(suite)
    memory = data.get("memory") if isinstance(data, dict) else None
    want = expected["expected"].get("memory") if isinstance(expected.get("expected"), dict) else None
    if not isinstance(memory, dict) or not isinstance(want, dict):
        fail(name, case, "the check did not get a result for this case.", "run the check cell again, unchanged.")
    got = expect_returned_array(name, memory.get("output"), case=case)
    expect_array(name, got, np.asarray(want.get("output")), case=case, dtype=np.float64, rtol=1e-9, atol=1e-9)
    peak = memory.get("peak")
    if isinstance(peak, bool) or not isinstance(peak, int):
        fail(name, case, "the check did not get your function's peak memory.", "run the check cell again, unchanged.")
    # max_bytes bounds the chunk's difference array; NumPy's temporaries for abs and
    # sum (up to two more of that size) and the output itself are allowed on top.
    allowed = 3 * MEMORY_BUDGET + got.nbytes + 2**20
    if peak > allowed:
        fail(name, case, f"your function allocated {peak / 2**20:.0f} MiB at its peak, more than the "
             f"{allowed / 2**20:.0f} MiB allowed:\n"
             f"max_bytes = {MEMORY_BUDGET // 2**20} MiB for one chunk's differences, up to twice that again for "
             "NumPy's temporaries (abs, sum), and the output.",
             "process the test rows in chunks: choose the chunk so that "
             "chunk × n_train × n_pixels × itemsize bytes stays under max_bytes.")
    return len(cases) + 1


def compute_l1_distances(func: Callable, suite: str = "visible") -> None:
    """Check ``compute_l1_distances(X_test, X_train, max_bytes=...)``: values and memory.

    The memory case is 64 test × 50 training rows of 3,072 pixels: broadcasting
    all of it at once needs about 75 MiB of float64 temporaries, while the
    function is given ``max_bytes`` = 4 MiB.
    """
    run_check("compute_l1_distances", __name__, suite, lambda: collect_compute_l1_distances(func, suite),
              judge_compute_l1_distances)


# --------------------------------------------------------------------------- predict_labels

PREDICT_HINT = ("sort each row's distances, keep the first k (the smallest), take their labels and vote "
                "with `np.bincount(labels).argmax()`, which gives a tie to the smallest label.")


def predict_cases(suite: str = "visible") -> list[tuple[str, np.ndarray, np.ndarray, int, str]]:
    """(case, dists, y_train, k, hint when it fails): no ties before ties."""
    if suite == "hidden":
        d, y = np.array([[1.0, 2.0, 3.0, 4.0, 0.5]]), np.array([5, 5, 2, 2, 2])
        rng = np.random.default_rng(31)
        return [("hidden: k=1, nearest is the last column", d, y, 1, PREDICT_HINT),
                ("hidden: k=2, tie between 2 and 5", d, y, 2, PREDICT_HINT),
                ("hidden: k=3, label 5 has 2 of 3 votes", d, y, 3, PREDICT_HINT),
                ("hidden: 10 random test rows, 25 training rows, labels 0…6, k=7",
                 rng.random((10, 25)), rng.integers(0, 7, 25), 7, PREDICT_HINT)]
    y_train = np.array([0, 1, 2, 1, 2, 3])
    dists = np.array([[0.1, 5.0, 3.0, 4.0, 6.0, 7.0],    # k=1: the first; k=3: labels 0, 2, 1 (a tie)
                      [9.0, 1.0, 8.0, 2.0, 0.5, 7.0],    # k=1: the fifth; k=3: labels 2, 1, 1
                      [3.0, 2.0, 1.0, 4.0, 5.0, 0.0]])   # k=1: the last; k=3: labels 3, 2, 1 (a tie)
    rng = np.random.default_rng(3)
    return [
        ("k=1: the label of the single nearest training image", dists, y_train, 1,
         "the nearest image has the SMALLEST distance: use `np.argsort` or `np.argmin`, not argmax."),
        ("k=3: majority vote among the 3 nearest (labels 2, 1, 1)", dists[[1]], y_train, 3,
         "take the labels of the k nearest training images and count them with `np.bincount`."),
        ("k=3 with ties (labels 0, 2, 1 and 3, 2, 1): a tie goes to the smallest label", dists, y_train, 3,
         "on a tie choose the smallest label: `np.bincount(labels).argmax()` does that."),
        ("k=6: every training image votes", dists, y_train, 6,
         "with k = n_train every image votes; labels 1 and 2 each have 2 votes, so 1 wins."),
        ("20 random test rows, 30 training rows, k=5", rng.random((20, 30)), rng.integers(0, 4, 30), 5,
         "sort each row's distances, keep the first k, vote."),
    ]


def _labels(value: Any) -> Any:
    """Returned labels as data; a list or tuple counts as the array it holds."""
    if isinstance(value, (list, tuple)):
        try:
            value = np.asarray(value)
        except Exception:  # ragged or odd content: describe it instead
            pass
    return returned(value)


def collect_predict_labels(func: Callable, suite: str = "visible") -> dict:
    """``func``'s labels on the cases: {"outputs": [array or description, ...]}."""
    return {"outputs": [attempt("predict_labels", func, dists, y_train, case=case, k=k, to_data=_labels)
                        for case, dists, y_train, k, _ in predict_cases(suite)]}


def judge_predict_labels(data: dict, expected: dict) -> int:
    name = "predict_labels"
    cases = predict_cases(expected["suite"])
    got_all, want = per_case_at(name, data, "outputs", len(cases)), expected_per_case(expected, "outputs", len(cases))
    for i, (case, _, _, _, hint) in enumerate(cases):
        got = expect_returned_array(name, got_all[i], case=case)
        if not np.issubdtype(got.dtype, np.integer):
            fail(name, case, f"expected integer labels, got dtype {got.dtype}",
                 "labels are class indices: return an integer array (`.astype(int)`).")
        expect_array(name, got, np.asarray(want[i]), case=case, hint=hint)
    return len(cases)


def predict_labels(func: Callable, suite: str = "visible") -> None:
    """Check ``predict_labels(dists, y_train, k=1) -> (n_test,) int``."""
    run_check("predict_labels", __name__, suite, lambda: collect_predict_labels(func, suite), judge_predict_labels)


# --------------------------------------------------------------------------- cross_validate_k

CV_HINT = ("fold f is the validation set once; train on the other folds "
           "(np.array_split, then np.concatenate), and average the accuracies over folds.")
FOLDS_HINT = "with return_folds=True return every fold's accuracy, shape (len(k_choices), num_folds)."
METRIC_HINT = "raise ValueError for a metric other than 'l1' or 'l2', with a message naming both."


def cv_cases(suite: str = "visible") -> list[tuple[str, np.ndarray, np.ndarray, list, dict, str]]:
    """(case, X, y, k_choices, keyword arguments, hint when it fails)."""
    if suite == "hidden":
        line = np.array([[0.0], [0.1], [0.2], [5.0], [5.1], [5.2]])
        labels = np.array([0, 0, 0, 1, 1, 1])
        x10 = np.array([[0.0, 0.0], [0.2, 0.1], [0.1, 0.3], [3.0, 3.1], [2.9, 3.0],
                        [0.3, 0.2], [3.2, 2.8], [0.0, 0.4], [3.1, 3.3], [2.8, 2.9]])
        y10 = np.array([0, 0, 0, 1, 1, 0, 1, 0, 1, 1])
        case = "hidden: 6 points on a line, 3 folds; with k=5 all 4 training points vote"
        return [(case, line, labels, [1, 5], {"num_folds": 3, "metric": "l1", "return_folds": True}, CV_HINT),
                (case + ", metric='l2'", line, labels, [1, 5], {"num_folds": 3, "metric": "l2", "return_folds": True},
                 CV_HINT),
                ("hidden: 10 points, 3 folds of 4, 3 and 3 rows (np.array_split), metric='l2'", x10, y10, [1, 3],
                 {"num_folds": 3, "metric": "l2"}, CV_HINT)]
    rng = np.random.default_rng(4)
    # Three noisy classes in 8-D, 30 points: folds of 6, accuracies in steps of 1/6.
    y = rng.integers(0, 3, 30)
    x = (rng.normal(size=(30, 8)) + 1.5 * y[:, None]).astype(np.float64)
    k_choices = [1, 3, 5, 8]
    found = []
    for metric in ("l2", "l1"):
        case = f"3 classes, 30 points, 5 folds, k in {k_choices}, metric={metric!r}"
        found.append((case, x, y, k_choices, {"num_folds": 5, "metric": metric}, CV_HINT))
        found.append((case + ", return_folds=True", x, y, k_choices,
                      {"num_folds": 5, "metric": metric, "return_folds": True}, FOLDS_HINT))
    return found


def collect_cross_validate_k(func: Callable, suite: str = "visible") -> dict:
    """``func``'s accuracies on the cases, and what ``metric="cosine"`` does."""
    name = "cross_validate_k"
    cases = cv_cases(suite)
    data = {"outputs": [attempt(name, func, x, y, k_choices, case=case, to_data=_labels, **kwargs)
                        for case, x, y, k_choices, kwargs, _ in cases]}
    _, x, y, k_choices, _, _ = cases[0]
    try:
        func(x, y, k_choices, num_folds=3, metric="cosine")
    except ValueError:
        data["bad_metric"] = "ValueError"
    except NotImplementedError:
        raise NotDoneError(f"{name} is not written yet: replace `raise NotImplementedError()` in its cell "
                           "with your code, run that cell, then run this check again.") from None
    except Exception as err:
        data["bad_metric"] = f"{type(err).__name__}: {err}"
    else:
        data["bad_metric"] = "no error"
    return data


def judge_cross_validate_k(data: dict, expected: dict) -> int:
    name = "cross_validate_k"
    cases = cv_cases(expected["suite"])
    got_all, want = per_case_at(name, data, "outputs", len(cases)), expected_per_case(expected, "outputs", len(cases))
    for i, (case, _, _, _, _, hint) in enumerate(cases):
        got = expect_returned_array(name, got_all[i], case=case)
        expect_array(name, got, np.asarray(want[i]), case=case, hint=hint)
    bad = data.get("bad_metric")
    if bad != "ValueError":
        fail(name, "metric='cosine'", "no error was raised for an unknown metric." if bad == "no error"
             else f"raised {bad}", METRIC_HINT)
    return len(cases) + 1


def cross_validate_k(func: Callable, suite: str = "visible") -> None:
    """Check ``cross_validate_k(X, y, k_choices, num_folds=5, metric="l2", return_folds=False)``."""
    run_check("cross_validate_k", __name__, suite, lambda: collect_cross_validate_k(func, suite),
              judge_cross_validate_k)
