"""Notebook 10 (representation learning): the checks' references, and the notebook's claims on the real data.

* The references in ``cnnlab.checks.representation_learning`` agree with NumPy (one-hot, distances, PCA
  up to sign), so the checks compare students with the right answers.
* On MNIST (the offline split of the official test set), the two conclusions the notebook draws from
  its numbers hold: MNIST's distances do not concentrate like random data's, and kNN in the 2-D
  autoencoder's code beats kNN in PCA's 2-D plane. The second test trains the notebook's own
  autoencoder with the notebook's own recipe (its cells), with seed 1 rather than the notebook's 0, so
  the claim does not hang on one lucky seed: about 45 CPU seconds.
"""

from __future__ import annotations


import numpy as np
import pytest

import nbtools
from cnnlab import datasets, training
from cnnlab.grade import grading
from cnnlab.checks import representation_learning as check

NB_ID = "10_representation_learning"


def test_one_hot_reference_is_the_identity_rows():
    labels = np.array([2, 0, 1, 2])
    got = check.one_hot_reference(labels, 4)
    assert got.dtype == np.float32 and got.shape == (4, 4)
    np.testing.assert_array_equal(got, np.eye(4, dtype=np.float32)[labels])
    assert check.one_hot_reference(np.zeros(0, np.int64), 3).shape == (0, 3)


def test_relative_contrast_reference_on_hand_numbers():
    points = np.array([[3.0, 4.0], [6.0, 8.0], [1.0, 0.0]])
    np.testing.assert_allclose(check.distances_reference(points, np.zeros(2)), [5, 10, 1])
    assert check.relative_contrast_reference(points, np.zeros(2)) == pytest.approx(9.0)
    uint8 = np.array([[0, 255], [10, 10]], dtype=np.uint8)  # no wrap-around in the reference
    assert check.relative_contrast_reference(uint8, np.array([255, 0], np.uint8)) == pytest.approx(
        (np.sqrt(2) * 255 - np.hypot(245, 10)) / np.hypot(245, 10))


def test_pca_reference_matches_numpy_svd_up_to_sign():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 5)) * [5, 3, 2, 1, 0.5] + 2
    mean, comps = check.pca_reference(X, 3)
    _, _, vt = np.linalg.svd(X - X.mean(axis=0), full_matrices=False)
    np.testing.assert_allclose(mean, X.mean(axis=0))
    np.testing.assert_allclose(check.align_signs(vt[:3], comps), comps, atol=1e-10)
    flipped = comps * np.array([[-1], [1], [-1]])
    np.testing.assert_allclose(check.align_signs(flipped, comps), comps)


def test_pca_fit_check_accepts_either_sign():
    """Any sign per component is right: the check must not depend on scikit-learn's sign convention."""
    def pca_fit_flipped(X, k):
        mean = X.mean(axis=0)
        _, _, vt = np.linalg.svd(X - mean, full_matrices=False)
        return mean, -vt[:k]
    check.pca_fit(pca_fit_flipped)


# --------------------------------------------------------------------------- the notebook's claims on MNIST


@pytest.fixture(scope="module")
def mnist(real_data):
    return datasets.load_mnist(n_train=8000, n_test=2000, seed=0, data_dir=real_data)


def _median_contrast(points, n_queries=20, seed=0):
    rows = np.random.default_rng(seed).choice(len(points), size=n_queries, replace=False)
    return float(np.median([check.relative_contrast_reference(np.delete(points, i, axis=0), points[i])
                            for i in rows]))


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
