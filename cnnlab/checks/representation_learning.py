"""Checks for notebook 10: one-hot vectors, distance concentration, PCA and a convolutional autoencoder.

Nothing here computes an answer. Each exercise has three parts (see
:func:`cnnlab.checks.core.run_check`):

* ``collect_<exercise>(func, suite)`` runs the student's function on the cases of
  ``<exercise>_cases(suite)`` (the lecture's numbers first; ``suite="hidden"``: the grader's
  own cases) and returns what came back, as data; for the autoencoder, the three models'
  shapes, their weight counts and measured properties (does the autoencoder equal
  decoder(encoder(x)), do large codes decode to pixels in [0, 1]);
* ``judge_<exercise>(data, expected)`` compares that data with what the course's solutions
  give and raises :class:`~cnnlab.checks.CheckError` on the first wrong case;
* ``<exercise>(func)`` does both, for the self-check.

**Where the expected values come from.** The visible cases' expected outputs are stored in
``expected/representation_learning.json``, made from the solution notebook's answers
(``python -m cnnlab.grade.expected 10_representation_learning``); the grader computes the
hidden cases' from the same answers in its own process. Earlier versions of these checks
computed them with libraries (``keras.utils.to_categorical``, SciPy's ``cdist``,
scikit-learn's ``PCA``); they no longer do:

* **PCA** (``pca_fit``, ``pca_transform``): the exercise *is* implementing PCA with NumPy, so
  scikit-learn's PCA is the very library being reimplemented. An independent library may serve
  as the expected value only where the exercise is not "reimplement that library", and a
  check that calls it puts a working answer in the student package. The solution's own
  results are compared **up to the sign of each component** (an SVD fixes a direction only
  up to its sign; :func:`align_signs`). ``tests/test_representation.py`` checks the solution
  against scikit-learn's PCA, so the stored values still agree with the library.
* **one-hot vectors and distances**: ``to_categorical`` and ``cdist`` compute the exact
  answers, so they would be answers shipped with the checks; the stored values do their job.

Hints that used to name a mistake by computing it (squared distances, an uncentred PCA, a
projection without centring …) come from the stored results of those mistakes on the visible
cases (``solutions/references/representation_learning.py``, instructors only) and from
properties of the result: its shape, the lengths of the components, the inputs' dtype, where
the one-hot rows put their 1.

``RULES``: ``pca_fit`` and ``pca_transform`` are NumPy only (the notebook builds PCA from
NumPy's SVD, and imports scikit-learn's PCA only for later comparisons); the grader enforces
it from the submitted source. Keras is imported only when a check needs it, after
:func:`cnnlab.runtime.quiet_tensorflow`, so that importing this module writes nothing to stderr.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from cnnlab import messages

from .core import (NotDoneError, attempt, expect_array, expect_returned_array, fail, matching_mistake, number,
                   reraise, returned, run_check, per_case, per_case_at)

JUDGED = True  # the grader judges what these checks collect (cnnlab.grade.judge)
RULES = {"pca_fit": ("numpy_only",), "pca_transform": ("numpy_only",)}  # enforced by the grader from the source


def _keras():
    """Import Keras quietly (TensorFlow's start-up logs go to stderr otherwise)."""
    from cnnlab import runtime

    runtime.quiet_tensorflow()
    import keras

    return keras


def _not_done(name: str) -> NotDoneError:
    return NotDoneError(f"{name} is not written yet: replace `raise NotImplementedError()` in its cell "
                        "with your code, run that cell, then run this check again.")




def _mistakes(expected: dict, key: str, i: int, part: str | None = None) -> dict:
    """{label: what that stored mistake gave on case i} (for the hints)."""
    found = {}
    for label, data in expected.get("mistakes", {}).items():
        try:
            value = data[key][i]
            found[label] = value[part] if part else value
        except (KeyError, IndexError, TypeError):
            continue
    return found


# --------------------------------------------------------------------------- exercise 1: one_hot


def one_hot_cases(suite: str = "visible") -> tuple[list, list]:
    """([(case, labels, num_classes), ...], [(case, labels out of range, num_classes), ...])."""
    if suite == "hidden":
        return ([("hidden: labels [4, 4, 0, 1, 3, 2], 5 classes", np.array([4, 4, 0, 1, 3, 2]), 5),
                 ("hidden: one label [7], 8 classes", [7], 8),
                 ("hidden: labels 0, 1, 2, 0, … with 12 classes", np.arange(12) % 3, 12)],
                [("hidden: labels [2, 5], 5 classes: 5 is not a class", [2, 5], 5)])
    return ([("labels [0, 2, 1], 3 classes", np.array([0, 2, 1]), 3),
             ("MNIST labels [3, 0, 9, 3], 10 classes", np.array([3, 0, 9, 3]), 10),
             ("labels [1, 1, 0] with num_classes=5: the batch has no 2, 3 or 4, the vectors still have 5 entries",
              np.array([1, 1, 0]), 5),
             ("a Python list [2, 0], 4 classes", [2, 0], 4),
             ("no labels at all (shape (0,)), 10 classes", np.zeros(0, np.int64), 10)],
            [("labels [0, -1, 2], 3 classes: -1 is not a class", [0, -1, 2], 3),
             ("labels [0, 3], 3 classes: 3 is not a class (0, 1, 2 are)", [0, 3], 3)])


def _one_hot_hint(got: Any, labels: np.ndarray, num_classes: int) -> str:
    n = len(labels)
    if isinstance(got, np.ndarray) and got.shape == (num_classes, n) and n != num_classes:
        return "rows are samples and columns are classes: return shape (N, num_classes), not its transpose."
    if isinstance(got, np.ndarray) and got.ndim == 2 and got.shape[0] == n and n and \
            got.shape[1] == labels.max() + 1 != num_classes:
        return (f"the vectors have labels.max() + 1 = {labels.max() + 1} entries; use num_classes = {num_classes}: "
                "a batch need not contain the largest class, and every vector must have the same length.")
    if isinstance(got, np.ndarray) and got.shape == (n, num_classes) and n:
        if np.array_equal(got.argmax(axis=1), (labels - 1) % num_classes):
            return "label 0 is the first class: put the 1 at index labels[i], not labels[i] - 1."
        if not np.all(got.sum(axis=1) == 1):
            return "each row has exactly one 1 (at index labels[i]) and num_classes - 1 zeros."
    return "row i is all zeros except a 1 at column labels[i]; `np.eye(num_classes)[labels]` builds that."


def _bad_labels_outcome(name: str, func: Callable, labels, num_classes: int) -> str:
    """"ValueError", or what happened instead: "returned [2, 0]" (the rows' classes) or "raised KeyError: ..."."""
    try:
        got = func(np.asarray(labels), num_classes)
    except NotImplementedError:
        raise _not_done(name) from None
    except ValueError:
        return "ValueError"
    except Exception as err:
        return f"raised {type(err).__name__}: {str(err)[:200]}"
    try:
        shown = got.argmax(axis=1).tolist() if isinstance(got, np.ndarray) and got.ndim == 2 else got
    except ValueError:
        shown = got
    return f"returned {shown!r}"[:300]


def collect_one_hot(func: Callable, suite: str = "visible") -> dict:
    """The outputs on the valid cases, and what happened on labels out of range: {"outputs", "errors"}."""
    name = "one_hot"
    valid, bad = one_hot_cases(suite)
    outputs = [attempt(name, func, labels if isinstance(labels, list) else np.array(labels), n, case=case)
               for case, labels, n in valid]
    errors = [_bad_labels_outcome(name, func, labels, n) for _, labels, n in bad]
    return {"outputs": outputs, "errors": errors}


def judge_one_hot(data: dict, expected: dict) -> int:
    name = "one_hot"
    valid, bad = one_hot_cases(expected["suite"])
    outputs = per_case_at(name, data, "outputs", len(valid))
    errors = per_case(name, data.get("errors"), len(bad))
    want = expected["expected"]
    for i, (case, labels, n) in enumerate(valid):
        target = want["outputs"][i]
        got = expect_returned_array(name, outputs[i], case=case)
        labels_arr = np.asarray(labels).astype(np.int64)
        if got.shape == target.shape and got.dtype != target.dtype:
            fail(name, case, f"expected dtype {target.dtype}\ngot dtype      {got.dtype}",
                 "one-hot vectors are the input of a network's layers, which compute in float32: "
                 "`.astype(np.float32)` (as keras.utils.to_categorical returns).")
        expect_array(name, got, target, case=case, hint=_one_hot_hint(got, labels_arr, n))
    for (case, _, _), got, target in zip(bad, errors, want["errors"]):
        if got == target:
            continue
        if isinstance(got, str) and got.startswith("raised "):
            fail(name, case, f"expected a ValueError, got {got[len('raised '):]}",
                 "check the labels first and `raise ValueError(...)` with a message that names the bad label.")
        shown = got[len("returned "):] if isinstance(got, str) and got.startswith("returned ") else repr(got)
        fail(name, case, f"expected a ValueError; your function returned {shown}",
             "a label outside 0 … num_classes - 1 is a bug in the data, and NumPy's `np.eye(n)[-1]` would "
             "silently give the LAST class's vector: check `labels.min() >= 0 and labels.max() < num_classes` "
             "and raise ValueError otherwise.")
    return len(valid) + len(bad)


def one_hot(func: Callable, suite: str = "visible") -> None:
    """Check ``one_hot(labels, num_classes) -> (N, num_classes) float32``, ValueError for bad labels."""
    run_check("one_hot", __name__, suite, lambda: collect_one_hot(func, suite), judge_one_hot)


# --------------------------------------------------------------------------- exercise 2: relative contrast

# Hints for the stored results of the usual mistakes (solutions/references/representation_learning.py).
CONTRAST_MISTAKES = {
    "squared": "you used SQUARED distances: take the square root, d = sqrt(sum((x - q)²)).",
    "ratio": "that is farthest / nearest = contrast + 1: subtract the nearest distance first, (d_max - d_min) / d_min.",
    "by_farthest": "divide by the NEAREST distance, d_min, not by the farthest.",
    "inverse": "that is nearest / farthest; the contrast is (d_max - d_min) / d_min.",
    "l1": "that is the L1 (Manhattan) distance; use the Euclidean (L2) distance.",
}
UINT8_HINT = ("the points are uint8 images: `points - query` wraps around at 0 and 255 (notebook 1's trap). "
              "Convert to float first: `points.astype(np.float64)`.")
CONTRAST_DEFAULT = "d = the Euclidean distance from the query to each row; return (d.max() - d.min()) / d.min()."


def contrast_cases(suite: str = "visible") -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(case, points (N, D), query (D,)), the hand-made numbers first."""
    if suite == "hidden":
        rng = np.random.default_rng(90)
        return [("hidden: distances 2 and 8 in 3-D → 3", np.array([[0.0, 0.0, 2.0], [0.0, 0.0, 8.0]]), np.zeros(3)),
                ("hidden: 300 normal points in 7 dimensions", rng.normal(size=(300, 7)), rng.normal(size=7)),
                ("hidden: 50 uint8 vectors of 784 pixels", rng.integers(0, 256, (50, 784), dtype=np.uint8),
                 rng.integers(0, 256, 784, dtype=np.uint8))]
    rng = np.random.default_rng(9)
    return [("query (0, 0), points (3, 4), (6, 8), (1, 0): distances 5, 10, 1 → (10 - 1) / 1 = 9",
             np.array([[3.0, 4.0], [6.0, 8.0], [1.0, 0.0]]), np.array([0.0, 0.0])),
            ("query (1, 1), points (4, 5), (7, 9): distances 5, 10 → (10 - 5) / 5 = 1",
             np.array([[4.0, 5.0], [7.0, 9.0]]), np.array([1.0, 1.0])),
            ("100 random points in 50 dimensions", rng.random((100, 50)), rng.random(50)),
            ("20 uint8 'images' of 64 pixels and a uint8 query (values 0–255)",
             rng.integers(0, 256, (20, 64), dtype=np.uint8), rng.integers(0, 256, 64, dtype=np.uint8))]


def _scalar(value: Any) -> Any:
    """A returned number as a float (a one-element array counts), else its description."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(())
    return number(value)


def collect_relative_contrast(func: Callable, suite: str = "visible") -> dict:
    """``func``'s results on the cases: {"outputs": [float or description, ...]}."""
    return {"outputs": [attempt("relative_contrast", func, points, query, case=case, to_data=_scalar)
                        for case, points, query in contrast_cases(suite)]}


def judge_relative_contrast(data: dict, expected: dict) -> int:
    name = "relative_contrast"
    cases = contrast_cases(expected["suite"])
    outputs = per_case_at(name, data, "outputs", len(cases))
    for i, (case, points, _) in enumerate(cases):
        got, target = outputs[i], expected["expected"]["outputs"][i]
        reraise(got)
        if isinstance(got, dict) and got.get("returned") == "None":
            fail(name, case, "your function returned None.", "did you forget the `return` statement?")
        if not isinstance(got, float):
            shown = got.get("returned") if isinstance(got, dict) else repr(got)
            fail(name, case, f"expected a single number, got {shown}",
                 "return one number, (d.max() - d.min()) / d.min(), e.g. as `float(...)`.")
        if not np.isclose(got, target, rtol=1e-6, atol=1e-9):
            hint = next((CONTRAST_MISTAKES[label] for label, wrong in _mistakes(expected, "outputs", i).items()
                         if label in CONTRAST_MISTAKES and isinstance(wrong, float) and np.isfinite(got)
                         and np.isclose(got, wrong, rtol=1e-6)), "")
            hint = hint or (UINT8_HINT if points.dtype == np.uint8 else CONTRAST_DEFAULT)
            fail(name, case, f"expected {messages.number(target)}\ngot      {messages.number(got)}", hint)
    return len(cases)


def relative_contrast(func: Callable, suite: str = "visible") -> None:
    """Check ``relative_contrast(points, query) -> float``: (d_max - d_min) / d_min of Euclidean distances."""
    run_check("relative_contrast", __name__, suite, lambda: collect_relative_contrast(func, suite),
              judge_relative_contrast)


# --------------------------------------------------------------------------- exercises 3–4: PCA

LINE_POINTS = np.array([[1.0, 3.0], [2.0, 5.0], [3.0, 7.0], [4.0, 9.0]])  # on the line y = 2x + 1
# Their PCA, as the lecture works it out: the mean (2.5, 6) and the direction (1, 2)/√5.
LINE_MEAN = np.array([2.5, 6.0])
LINE_COMPONENT = np.array([[1.0, 2.0]]) / np.sqrt(5.0)


def align_signs(components: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Flip each row of ``components`` so that it points the way the same row of ``reference`` does.

    An SVD fixes each singular vector only up to its sign (v and −v are equally
    good directions), so PCA results are compared after this.
    """
    components = np.asarray(components, np.float64)
    signs = np.sign(np.sum(components * reference, axis=1))
    signs[signs == 0] = 1
    return components * signs[:, None]


def _correlated(rng, n: int, d: int) -> np.ndarray:
    """n samples of d correlated features with distinct variances (so that the components are unique)."""
    scales = np.linspace(3, 0.5, d)
    return (rng.normal(size=(n, d)) * scales) @ np.linalg.qr(rng.normal(size=(d, d)))[0] + rng.normal(size=d) * 4


def _orthonormal(rng, k: int, d: int) -> np.ndarray:
    """k orthonormal rows in d dimensions (a random rotation's first k axes): components to project on."""
    return np.linalg.qr(rng.normal(size=(d, d)))[0][:, :k].T.copy()


# Hints for the stored results of the usual mistakes (solutions/references/representation_learning.py).
PCA_FIT_MISTAKES = {
    "uncentred": ("these are the directions of the UNCENTRED data: subtract the mean first, "
                  "Xc = X - X.mean(axis=0), then take the SVD of Xc (an eigen-decomposition of X.T @ X without "
                  "centring makes the same mistake)."),
    "columns": "the principal directions are the ROWS of Vt: take Vt[:k], not the columns Vt[:, :k].",
    "increasing": ("right directions, wrong ones or wrong order: sort by decreasing variance. "
                   "np.linalg.svd returns singular values in decreasing order (take Vt[:k]); "
                   "np.linalg.eigh returns eigenvalues in INCREASING order (reverse them)."),
    "last_rows": ("right directions, wrong ones or wrong order: sort by decreasing variance. "
                  "np.linalg.svd returns singular values in decreasing order (take Vt[:k]); "
                  "np.linalg.eigh returns eigenvalues in INCREASING order (reverse them)."),
    "reversed": ("right directions, wrong ones or wrong order: sort by decreasing variance. "
                 "np.linalg.svd returns singular values in decreasing order (take Vt[:k]); "
                 "np.linalg.eigh returns eigenvalues in INCREASING order (reverse them)."),
    "standardised": "do not divide by the standard deviation: PCA centres the data but does not rescale it.",
}
PCA_FIT_DEFAULT = ("centre X (subtract its mean), take `U, S, Vt = np.linalg.svd(Xc, full_matrices=False)`, "
                   "and return Vt[:k]: its rows are the directions of decreasing variance.")


def pca_fit_cases(suite: str = "visible") -> list[tuple[str, np.ndarray, int]]:
    """(case, X (N, D), k), the lecture's line first."""
    if suite == "hidden":
        rng = np.random.default_rng(91)
        return [("hidden: 4 points on the horizontal line y = 1, k=1",
                 np.array([[0.0, 1.0], [2.0, 1.0], [4.0, 1.0], [6.0, 1.0]]) + [10, 0], 1),
                ("hidden: 400 samples of 12 features with decreasing variances, mean 7, k=5",
                 rng.normal(size=(400, 12)) * np.linspace(5, 0.2, 12) + 7, 5),
                ("hidden: 5 samples of 30 features, k=2", rng.normal(size=(5, 30)) * np.linspace(3, 1, 30), 2)]
    rng = np.random.default_rng(3)
    return [("4 points on the line y = 2x + 1, k=1: mean (2.5, 6), direction ±(1, 2)/√5 = ±(0.4472, 0.8944)",
             LINE_POINTS, 1),
            ("200 samples of 5 correlated features, k=3", _correlated(rng, 200, 5), 3),
            ("6 samples of 10 features (fewer samples than features), k=4", _correlated(rng, 6, 10), 4),
            ("50 samples of 4 features, all k=4 components", _correlated(rng, 50, 4), 4)]


def _pair(got: Any) -> Any:
    """pca_fit's (mean, components) as data: {"mean": ..., "components": ...}, else its description."""
    if got is None or not isinstance(got, (tuple, list)) or len(got) != 2:
        return returned(got) if got is None else {"returned": type(got).__name__}
    mean, comps = (np.asarray(v) if isinstance(v, (list, tuple)) else v for v in got)
    return {"mean": returned(mean), "components": returned(comps)}


def collect_pca_fit(func: Callable, suite: str = "visible") -> dict:
    """``func``'s (mean, components) on the cases: {"outputs": [{"mean", "components"} or description, ...]}."""
    return {"outputs": [attempt("pca_fit", func, X, k, case=case, to_data=_pair)
                        for case, X, k in pca_fit_cases(suite)]}


def _pca_fit_hint(comps: np.ndarray, wrong: dict) -> str:
    norms = np.linalg.norm(comps, axis=1)
    if not np.allclose(norms, 1, atol=1e-6):
        return (f"the components have lengths {np.round(norms, 4).tolist()}; each must be a unit vector. "
                "The rows of Vt are; did you scale them by the singular values?")
    for label, hint in PCA_FIT_MISTAKES.items():
        w = wrong.get(label)
        if isinstance(w, np.ndarray) and w.shape == comps.shape and w.dtype.kind == "f" \
                and np.allclose(align_signs(comps, w), w, atol=1e-6):
            return hint
    return PCA_FIT_DEFAULT


def judge_pca_fit(data: dict, expected: dict) -> int:
    name = "pca_fit"
    cases = pca_fit_cases(expected["suite"])
    outputs = per_case_at(name, data, "outputs", len(cases))
    for i, (case, X, k) in enumerate(cases):
        got, target = outputs[i], expected["expected"]["outputs"][i]
        n, d = X.shape
        reraise(got)
        if isinstance(got, dict) and got.get("returned") == "None":
            fail(name, case, "your function returned None.", "did you forget `return mean, components`?")
        if not isinstance(got, dict) or "mean" not in got or "components" not in got:
            shown = got.get("returned") if isinstance(got, dict) else type(got).__name__
            fail(name, case, f"expected a pair (mean, components), got {shown}",
                 "return both: `return mean, components`.")
        mean = expect_returned_array(name, got["mean"], case=f"{case}: the mean")
        expect_array(name, mean, target["mean"], case=f"{case}: the mean", rtol=1e-7, atol=1e-9,
                     hint="the mean of each column (feature) over all samples: X.mean(axis=0), shape (D,).")
        comps = got["components"]
        if not isinstance(comps, np.ndarray):
            shown = comps.get("returned") if isinstance(comps, dict) else repr(comps)
            fail(name, f"{case}: the components", f"expected a NumPy array, got {shown}",
                 "return Vt[:k], a NumPy array.")
        if comps.shape != (k, d):
            if comps.shape == (d, k):
                hint = f"one component per ROW: return shape (k, D) = {(k, d)}, not its transpose (D, k)."
            elif comps.ndim and (comps.shape[-1] == n or comps.shape == (k, n)):
                hint = (f"shape {comps.shape}: these look like columns of U (one entry per SAMPLE). "
                        "The directions in feature space are the rows of Vt, shape (D,) each.")
            elif comps.ndim and comps.shape[0] != k:
                hint = f"keep only the first k = {k} rows of Vt: Vt[:k]."
            else:
                hint = "components has one row per component and one column per feature."
            fail(name, f"{case}: the components", f"expected shape {(k, d)}\ngot shape      {comps.shape}", hint)
        comps = comps.astype(np.float64)
        reference = target["components"]
        expect_array(name, align_signs(comps, reference), reference, case=f"{case}: the components (up to sign)",
                     rtol=1e-5, atol=1e-6, hint=_pca_fit_hint(comps, _mistakes(expected, "outputs", i, "components")))
    return len(cases)


def pca_fit(func: Callable, suite: str = "visible") -> None:
    """Check ``pca_fit(X, k) -> (mean (D,), components (k, D))``, components up to sign."""
    run_check("pca_fit", __name__, suite, lambda: collect_pca_fit(func, suite), judge_pca_fit)


PCA_TRANSFORM_MISTAKES = {
    "no_centring": "subtract the mean before projecting: (X - mean) @ components.T.",
    "own_mean": ("centre with the `mean` argument (the training data's mean), not X's own mean: "
                 "new data must go through the same map as the training data."),
}
PCA_TRANSFORM_DEFAULT = "Z = (X - mean) @ components.T: centre with the TRAINING mean, then project on each component."


def pca_transform_cases(suite: str = "visible") -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray]]:
    """(case, X (N, D), mean (D,), components (k, D)): the lecture's line first, then unit components of random
    rotations (pca_transform works with any mean and orthonormal components, not only pca_fit's)."""
    if suite == "hidden":
        rng = np.random.default_rng(92)
        X = rng.normal(size=(80, 9)) * np.linspace(4, 1, 9) - 3
        components = _orthonormal(rng, 9, 9)
        return [("hidden: 80 samples of 9 features, their mean, all 9 components", X, X.mean(axis=0), components),
                ("hidden: 3 new samples far from the training mean, k=1", rng.normal(size=(3, 9)) + 10,
                 X.mean(axis=0), components[:1])]
    rng = np.random.default_rng(4)
    X = _correlated(rng, 100, 6)
    components = _orthonormal(rng, 3, 6)
    return [("the 4 points on y = 2x + 1 with mean (2.5, 6) and k=1: component (0.4472, 0.8944): "
             "codes −3.3541, −1.1180, 1.1180, 3.3541", LINE_POINTS, LINE_MEAN, LINE_COMPONENT),
            ("100 samples of 6 features, their mean and 3 unit components", X, X.mean(axis=0), components),
            ("7 NEW samples, with the mean of the 100 above and 2 of those components, k=2",
             _correlated(rng, 7, 6) + 5, X.mean(axis=0), components[:2])]


def collect_pca_transform(func: Callable, suite: str = "visible") -> dict:
    """``func``'s codes on the cases: {"outputs": [array or description, ...]}."""
    return {"outputs": [attempt("pca_transform", func, X, mean, components, case=case)
                        for case, X, mean, components in pca_transform_cases(suite)]}


def judge_pca_transform(data: dict, expected: dict) -> int:
    name = "pca_transform"
    cases = pca_transform_cases(expected["suite"])
    outputs = per_case_at(name, data, "outputs", len(cases))
    for i, (case, *_) in enumerate(cases):
        target = expected["expected"]["outputs"][i]
        got = expect_returned_array(name, outputs[i], case=case)
        hint = PCA_TRANSFORM_DEFAULT
        if got.shape == target.shape:
            hint = matching_mistake(got, _mistakes(expected, "outputs", i), PCA_TRANSFORM_MISTAKES) or hint
        elif got.shape == target.shape[::-1]:
            hint = f"one row per sample: return shape (N, k) = {target.shape}, not (k, N)."
        expect_array(name, got, target, case=case, rtol=1e-6, atol=1e-8, hint=hint)
    return len(cases)


def pca_transform(func: Callable, suite: str = "visible") -> None:
    """Check ``pca_transform(X, mean, components) -> (N, k)``: (X - mean) @ components.T."""
    run_check("pca_transform", __name__, suite, lambda: collect_pca_transform(func, suite), judge_pca_transform)


# --------------------------------------------------------------------------- exercise 5: the autoencoder

MAX_AUTOENCODER_PARAMS = 1_000_000  # more would not train in a minute on a laptop CPU
IMAGE = (28, 28, 1)


def autoencoder_cases(suite: str = "visible") -> list[tuple[str, int]]:
    """(case, code_dim)."""
    if suite == "hidden":
        return [("hidden: code_dim=8", 8), ("hidden: code_dim=3", 3)]
    return [("code_dim=2", 2), ("code_dim=16", 16)]


def _find_layers(model, kind) -> list:
    """Every layer of type ``kind`` in ``model``, looking inside nested models."""
    keras = _keras()
    found = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            found += _find_layers(layer, kind)
        elif isinstance(layer, kind):
            found.append(layer)
    return found


def _numpy(tensor) -> np.ndarray:
    return np.asarray(_keras().ops.convert_to_numpy(tensor), np.float64)


def _shape(shape) -> list:
    return [None if n is None else int(n) for n in shape]


def _autoencoder_data(got: Any, code_dim: int) -> dict:
    """What build_autoencoder returned, as data (see collect_build_autoencoder)."""
    keras = _keras()
    if got is None:
        return {"returned": "None"}
    if isinstance(got, keras.Model) or not isinstance(got, (tuple, list)) or len(got) != 3:
        return {"returned": type(got).__name__}
    data: dict[str, Any] = {"kinds": [type(m).__name__ for m in got],
                            "models": [isinstance(m, keras.Model) for m in got]}
    if not all(data["models"]):
        return data
    autoencoder, encoder, decoder = got
    try:
        for label, model in zip(("autoencoder", "encoder", "decoder"), got):
            data[label] = {"input": _shape(model.inputs[0].shape), "output": _shape(model.outputs[0].shape),
                           "params": int(model.count_params())}
        data["encoder"]["conv2d"] = len(_find_layers(encoder, keras.layers.Conv2D))
        shared = {id(v) for v in autoencoder.weights}
        missing = [v.path for v in encoder.weights + decoder.weights if id(v) not in shared]
    except Exception as err:  # a model Keras cannot describe (no inputs, not built)
        return {"broken": f"{type(err).__name__}: {str(err)[:300]}"}
    data["missing"] = {"count": len(missing), "first": missing[0] if missing else ""}
    rng = np.random.default_rng(code_dim)
    try:
        x = rng.random((4, *IMAGE)).astype(np.float32)
        data["through_diff"] = float(np.round(np.max(np.abs(_numpy(autoencoder(x)) - _numpy(decoder(encoder(x))))), 7))
        out = _numpy(decoder(rng.normal(scale=50.0, size=(8, code_dim)).astype(np.float32)))
        data["range"] = [float(out.min()), float(out.max())]
    except Exception as err:  # models that cannot run on images or codes of these shapes
        data["call_error"] = f"{type(err).__name__}: {str(err)[:300]}"
    return data


def collect_build_autoencoder(func: Callable, suite: str = "visible") -> dict:
    """Per case: the three models' input and output shapes and weight counts, the encoder's Conv2D layers, the
    encoder/decoder weights missing from the autoencoder, max |autoencoder(x) − decoder(encoder(x))| on 4 images,
    and the range of the decoder's outputs for 8 large codes (scale 50)."""
    keras = _keras()
    results = []
    for case, code_dim in autoencoder_cases(suite):
        keras.utils.set_random_seed(code_dim)  # the initial weights: the same in every process
        results.append(attempt("build_autoencoder", func, code_dim, case=case,
                               to_data=lambda got, code_dim=code_dim: _autoencoder_data(got, code_dim)))
    return {"cases": results}


def judge_build_autoencoder(data: dict, expected: dict) -> int:
    name = "build_autoencoder"
    cases = autoencoder_cases(expected["suite"])
    outputs = per_case_at(name, data, "cases", len(cases))
    for (case, code_dim), got, want in zip(cases, outputs, expected["expected"]["cases"]):
        reraise(got)
        if not isinstance(got, dict):
            fail(name, case, "the check did not get this case's result.", "run the check cell again, unchanged.")
        if got.get("returned") == "None":
            fail(name, case, "your function returned None.",
                 "return all three: `return autoencoder, encoder, decoder`.")
        if "returned" in got:
            fail(name, case, f"expected a tuple of three models, got {got['returned']}",
                 "return all three: `return autoencoder, encoder, decoder` (in that order).")
        if "broken" in got:
            fail(name, case, f"Keras could not read your models' inputs and outputs:\n{got['broken']}",
                 "build each with `keras.Model(inputs, outputs)` from a `keras.Input`.")
        kinds, models = got.get("kinds"), got.get("models")
        if not isinstance(models, list) or len(models) != 3 or not isinstance(kinds, list) or len(kinds) != 3:
            fail(name, case, "the check did not get this case's result.", "run the check cell again, unchanged.")
        for label, kind, is_model in zip(("autoencoder", "encoder", "decoder"), kinds, models):
            if is_model is not True:
                fail(name, case, f"the {label} is a {kind}, not a keras.Model",
                     "build each with `keras.Model(inputs, outputs)` (or keras.Sequential).")
        enc, dec, ae = (got.get(k) if isinstance(got.get(k), dict) else {}
                        for k in ("encoder", "decoder", "autoencoder"))
        image, codes = tuple(want["encoder"]["input"]), tuple(want["encoder"]["output"])
        enc_in, enc_out = _tuple(enc.get("input")), _tuple(enc.get("output"))
        if enc_in != image:
            fail(name, f"{case}: the encoder", f"expected input shape {image}\ngot input shape      {enc_in}",
                 "the encoder reads an image: `keras.Input(shape=(28, 28, 1))`.")
        if enc_out != codes:
            fail(name, f"{case}: the encoder", f"expected output shape {codes}\ngot output shape      {enc_out}",
                 f"the encoder ends in the bottleneck: Flatten(), then Dense(code_dim) = Dense({code_dim}); "
                 "use the code_dim argument, not a fixed number.")
        if not enc.get("conv2d"):
            fail(name, f"{case}: the encoder", "the encoder has no Conv2D layer.",
                 "this is a CONVOLUTIONAL autoencoder: start the encoder with Conv2D layers (strides=2 halves the "
                 "size), then Flatten and Dense(code_dim).")
        dec_in, dec_out = _tuple(dec.get("input")), _tuple(dec.get("output"))
        if dec_in != codes:
            fail(name, f"{case}: the decoder", f"expected input shape {codes}\ngot input shape      {dec_in}",
                 "the decoder reads a code: `keras.Input(shape=(code_dim,))`.")
        if dec_out != image:
            if isinstance(dec_out, tuple) and dec_out[:3] == image[:3]:
                hint = (f"the last layer must output {IMAGE[2]} channel(s), one grey value per pixel: "
                        f"e.g. Conv2DTranspose({IMAGE[2]}, 3, ...).")
            elif not isinstance(dec_out, tuple) or len(dec_out) == 2 or dec_out[1:3] != image[1:3]:
                hint = ("from the code back to 28×28×1: Dense(7 * 7 * 32), Reshape((7, 7, 32)), then two "
                        "Conv2DTranspose(..., strides=2, padding=\"same\") layers: 7 → 14 → 28.")
            else:
                hint = "check the decoder's last layers."
            fail(name, f"{case}: the decoder", f"expected output shape {image}\ngot output shape      {dec_out}", hint)
        ae_in, ae_out = _tuple(ae.get("input")), _tuple(ae.get("output"))
        if (ae_in, ae_out) != (image, image):
            fail(name, f"{case}: the autoencoder", f"expected input and output shape {image}\ngot {ae_in} → {ae_out}",
                 "the autoencoder maps an image to its reconstruction: "
                 "`keras.Model(inputs, decoder(encoder(inputs)))`.")
        missing = got.get("missing") if isinstance(got.get("missing"), dict) else {"count": -1, "first": "?"}
        if missing.get("count") != 0:
            fail(name, f"{case}: shared weights",
                 f"{missing.get('count')} weight(s) of the encoder/decoder are not in the autoencoder, "
                 f"e.g. {missing.get('first')!r}.",
                 "build the encoder and the decoder once, then the autoencoder FROM them: "
                 "`autoencoder = keras.Model(inputs, decoder(encoder(inputs)))`. Otherwise training the "
                 "autoencoder leaves the encoder you use for the codes untrained.")
        if "call_error" in got:
            fail(name, case, f"calling your models on 4 images and 8 codes raised\n{got['call_error']}",
                 "the encoder takes (batch, 28, 28, 1) images, the decoder (batch, code_dim) codes.")
        diff = got.get("through_diff")
        if not isinstance(diff, float) or not diff <= 1e-5:
            fail(name, f"{case}: shared weights", "autoencoder(x) differs from decoder(encoder(x)).",
                 "the autoencoder must be exactly the encoder followed by the decoder: "
                 "`keras.Model(inputs, decoder(encoder(inputs)))`, with no layer of its own.")
        low, high = got.get("range") if isinstance(got.get("range"), list) and len(got["range"]) == 2 else (None, None)
        if not (isinstance(low, float) and isinstance(high, float) and 0 <= low <= high <= 1):
            fail(name, f"{case}: the output range",
                 f"for large codes the decoder outputs values from {_g(low)} to {_g(high)}.",
                 "pixels are in [0, 1]: end the decoder with activation=\"sigmoid\" (which also suits the "
                 "binary cross-entropy loss).")
        n_params, n_enc, n_dec = ae.get("params"), enc.get("params"), dec.get("params")
        if not isinstance(n_params, int) or n_params > MAX_AUTOENCODER_PARAMS:
            fail(name, f"{case}: its size", f"the autoencoder has {_count_text(n_params)} parameters (at most "
                 f"{MAX_AUTOENCODER_PARAMS:,} allowed here).",
                 "keep it small so that it trains in a minute: 16 and 32 filters, and no big Dense layer "
                 "other than the one into and the one out of the bottleneck.")
        if not isinstance(n_enc, int) or not isinstance(n_dec, int) or n_params != n_enc + n_dec:
            fail(name, f"{case}: its size",
                 f"the autoencoder has {n_params:,} parameters, the encoder and the decoder "
                 f"{_count_text(n_enc)} + {_count_text(n_dec)}.",
                 "the autoencoder is the encoder followed by the decoder, with no layer of its own.")
    return len(cases)


def _tuple(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _g(value: Any) -> str:
    return f"{value:.3g}" if isinstance(value, float) else repr(value)


def _count_text(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else repr(value)


def build_autoencoder(func: Callable, suite: str = "visible") -> None:
    """Check ``build_autoencoder(code_dim) -> (autoencoder, encoder, decoder)``: shapes, shared layers, range."""
    run_check("build_autoencoder", __name__, suite, lambda: collect_build_autoencoder(func, suite),
              judge_build_autoencoder)
