"""Notebook 10 (representation learning): the checks' references, and the notebook's claims on the real data.

* The solution's answers, whose outputs are the checks' stored expected values, agree with the libraries
  (one-hot with Keras, PCA with scikit-learn up to sign), and the checks module holds no reference.
* On MNIST (the offline split of the official test set), the two conclusions the notebook draws from
  its numbers hold: MNIST's distances do not concentrate like random data's, and kNN in the 2-D
  autoencoder's code beats kNN in PCA's 2-D plane. The second test trains the notebook's own
  autoencoder with the notebook's own recipe (its cells), with seed 1 rather than the notebook's 0, so
  the claim does not hang on one lucky seed: about 45 CPU seconds.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

import nbtools
from cnnlab import datasets, training
from cnnlab.grade import grading
from cnnlab.checks import CheckError, core
from cnnlab.checks import representation_learning as check
from cnnlab.grade import static_rules

NB_ID = "10_representation_learning"


@pytest.fixture(scope="module")
def solution():
    """The solution notebook's answer cells (the source of the stored expected values)."""
    return grading.answer_namespace(nbtools.SOLUTIONS / f"{NB_ID}.ipynb", prelude=nbtools.prelude(NB_ID), np=np)


def test_no_reference_in_the_checks_module():
    """The student package computes no answer: the library references are gone (issue 12)."""
    for gone in ("one_hot_reference", "distances_reference", "relative_contrast_reference", "pca_reference"):
        assert not hasattr(check, gone)
    tree = ast.parse(Path(check.__file__).read_text(encoding="utf-8"))
    imported = {(node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
                for node in ast.walk(tree) if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names}
    assert imported.isdisjoint({"sklearn", "scipy"}), imported
    called = {node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
              for node in ast.walk(tree) if isinstance(node, ast.Call)}
    assert called.isdisjoint({"to_categorical", "cdist", "PCA", "svd", "eigh"}), called
    assert check.RULES == {"pca_fit": ("numpy_only",), "pca_transform": ("numpy_only",)}


def test_solution_one_hot_matches_keras(solution):
    from keras.utils import to_categorical

    labels = np.array([2, 0, 1, 2])
    got = solution["one_hot"](labels, 4)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, to_categorical(labels, 4))
    assert solution["one_hot"](np.zeros(0, np.int64), 3).shape == (0, 3)


def test_solution_relative_contrast_on_hand_numbers_and_uint8(solution):
    points = np.array([[3.0, 4.0], [6.0, 8.0], [1.0, 0.0]])
    assert solution["relative_contrast"](points, np.zeros(2)) == pytest.approx(9.0)
    uint8 = np.array([[0, 255], [10, 10]], dtype=np.uint8)  # no wrap-around
    assert solution["relative_contrast"](uint8, np.array([255, 0], np.uint8)) == pytest.approx(
        (np.sqrt(2) * 255 - np.hypot(245, 10)) / np.hypot(245, 10))


@pytest.mark.parametrize("suite", ["visible", "hidden"])
def test_solution_pca_matches_scikit_learn_up_to_sign(solution, suite):
    """scikit-learn is the independent library here: the stored values (the solution's) agree with its PCA."""
    from sklearn.decomposition import PCA

    for _, X, k in check.pca_fit_cases(suite):
        pca = PCA(n_components=k, svd_solver="full").fit(X)
        mean, comps = solution["pca_fit"](X, k)
        np.testing.assert_allclose(mean, pca.mean_, atol=1e-10)
        np.testing.assert_allclose(check.align_signs(comps, pca.components_), pca.components_, atol=1e-8)
        np.testing.assert_allclose(solution["pca_transform"](X, mean, comps) * np.sign(np.sum(comps * pca.components_,
                                   axis=1)), pca.transform(X), atol=1e-8)


def test_align_signs_flips_rows_only():
    comps = np.eye(3)[:2]
    flipped = comps * np.array([[-1], [1]])
    np.testing.assert_allclose(check.align_signs(flipped, comps), comps)


def test_pca_fit_check_accepts_either_sign():
    """Any sign per component is right: the check must not depend on the solution's sign convention."""
    def pca_fit_flipped(X, k):
        mean = X.mean(axis=0)
        _, _, vt = np.linalg.svd(X - mean, full_matrices=False)
        return mean, -vt[:k]
    check.pca_fit(pca_fit_flipped)


@pytest.mark.parametrize("exercise", ["one_hot", "relative_contrast", "pca_fit", "pca_transform"])
def test_judges_fail_cleanly_on_odd_data(exercise):
    """Forged or broken data is a failure with a message, never a crash or a pass."""
    judge = getattr(check, f"judge_{exercise}")
    expected = {**core.stored(check)[exercise], "suite": "visible"}
    n = len(expected["expected"]["outputs"])
    for data in ({}, {"outputs": None}, {"outputs": [None] * n, "errors": [None] * 2},
                 {"outputs": [{"returned": "str: 'x'"}] * n, "errors": ["no error"] * 2},
                 {"outputs": [np.zeros((0,))] * n, "errors": [1, 2]}):
        with pytest.raises(CheckError):
            judge(data, expected)


def test_pca_rules_flag_scikit_learn(solution):
    """An answer that hands pca_fit to scikit-learn breaks the NumPy-only rule the grader reads from the source."""
    nb = nbtools.read(nbtools.SOLUTIONS / f"{NB_ID}.ipynb")
    index = next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "pca_fit")
    assert static_rules.rule_violations(nb, index + 1, "pca_fit", check.RULES) == ""
    nb.cells[index].source = ("def pca_fit(X, k):\n    pca = PCA(n_components=k).fit(X)\n"
                              "    return pca.mean_, pca.components_\n")
    assert "NumPy only" in static_rules.rule_violations(nb, index + 1, "pca_fit", check.RULES)


# --------------------------------------------------------------------------- the notebook's claims on MNIST


@pytest.fixture(scope="module")
def mnist(real_data):
    return datasets.load_mnist(n_train=8000, n_test=2000, seed=0, data_dir=real_data)


def _median_contrast(points, n_queries=20, seed=0):
    rows = np.random.default_rng(seed).choice(len(points), size=n_queries, replace=False)
    contrast = grading.answer_namespace(nbtools.SOLUTIONS / f"{NB_ID}.ipynb", np=np,
                                        prelude=nbtools.prelude(NB_ID))["relative_contrast"]
    return float(np.median([contrast(np.delete(points, i, axis=0), points[i]) for i in rows]))


@pytest.mark.data
def test_mnist_distances_do_not_concentrate_like_random_data(mnist):
    X = mnist.x_train.reshape(len(mnist.x_train), -1)[:1000].astype(np.float64) / 255
    rng = np.random.default_rng(0)
    shuffled = np.column_stack([rng.permutation(column) for column in X.T])
    digits, no_strokes = _median_contrast(X), _median_contrast(shuffled)
    uniform_64 = _median_contrast(rng.random((1000, 64)))
    print(f"\nmedian contrast: MNIST {digits:.3f}, shuffled MNIST {no_strokes:.3f}, uniform D=64 {uniform_64:.3f}")
    assert digits > 4 * no_strokes
    assert digits > uniform_64  # MNIST in 784-D has more contrast than random data in 64-D


@pytest.mark.data
def test_autoencoder_2d_code_beats_pca_for_knn(mnist):
    from sklearn.decomposition import PCA
    from sklearn.neighbors import KNeighborsClassifier

    nb = nbtools.read(nbtools.SOLUTIONS / f"{NB_ID}.ipynb")
    x_train = mnist.x_train.astype(np.float32) / 255
    x_test = mnist.x_test.astype(np.float32) / 255
    ns = {"np": np, "training": training, "x_train": x_train, "x_test": x_test}
    exec(nbtools.prelude(NB_ID), ns)
    exec(nbtools.solution_cells(nb)["build_autoencoder"], ns)
    grading.notebook_functions(nbtools.SOLUTIONS / f"{NB_ID}.ipynb", ["train_autoencoder"], ns)

    training.seed(1)
    autoencoder, encoder, _ = ns["build_autoencoder"](2)
    history = ns["train_autoencoder"](autoencoder, 10, "AE-2, seed 1")  # the notebook's full-mode epochs

    def knn_accuracy(z_train, z_test):
        return KNeighborsClassifier(n_neighbors=5).fit(z_train, mnist.y_train).score(z_test, mnist.y_test)

    learned = knn_accuracy(encoder.predict(x_train, verbose=0), encoder.predict(x_test, verbose=0))
    X_train, X_test = x_train.reshape(len(x_train), -1), x_test.reshape(len(x_test), -1)
    pca = PCA(n_components=2).fit(X_train)
    linear = knn_accuracy(pca.transform(X_train), pca.transform(X_test))
    print(f"\nkNN (k=5) on 2-D codes: autoencoder {learned:.1%}, PCA {linear:.1%}; "
          f"training {history.seconds:.0f} s, {history.cpu_seconds:.0f} CPU s")
    assert learned >= linear + 0.03, f"autoencoder {learned:.1%} vs PCA {linear:.1%}"
