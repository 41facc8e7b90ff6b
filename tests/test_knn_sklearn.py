"""Notebook 1's solutions agree with scikit-learn's brute-force kNN on the real CIFAR-10 subset.

The data README quotes scikit-learn on the full shared subset (5,170 training,
1,017 test images): k=1 L1 29.6 %, k=1 L2 26.6 %, k=10 L1 31.5 %.
"""

from __future__ import annotations

import numpy as np
import pytest

import nbtools
from cnnlab import datasets
from cnnlab.grade import grading

pytestmark = pytest.mark.data


@pytest.fixture(scope="module")
def knn():
    return grading.answer_namespace(nbtools.SOLUTIONS / "01_knn.ipynb", np=np)


@pytest.fixture(scope="module")
def cifar(real_data):
    data = datasets.load_cifar10(data_dir=real_data)
    flat = lambda x: x.reshape(len(x), -1)  # noqa: E731
    return flat(data.x_train), data.y_train, flat(data.x_test), data.y_test


@pytest.fixture(scope="module")
def distances(knn, cifar):
    """Our distance matrices and scikit-learn's, once per metric (L1 on CPU takes a while)."""
    from sklearn.metrics import pairwise_distances

    x_train, _, x_test, _ = cifar
    ours = {"l1": knn["compute_l1_distances"](x_test, x_train),
            "l2": knn["compute_distances_no_loops"](x_test, x_train)}
    a, b = x_test.astype(np.float64), x_train.astype(np.float64)
    theirs = {"l1": pairwise_distances(a, b, metric="manhattan", n_jobs=1),
              "l2": pairwise_distances(a, b, metric="euclidean", n_jobs=1)}
    return ours, theirs


@pytest.mark.parametrize("metric", ["l1", "l2"])
def test_distances_match_scikit_learn(distances, metric):
    ours, theirs = distances
    np.testing.assert_allclose(ours[metric], theirs[metric], rtol=1e-9, atol=1e-6)


@pytest.mark.parametrize("metric,k,published", [("l1", 1, 0.296), ("l2", 1, 0.266), ("l1", 10, 0.315),
                                                ("l2", 10, 0.292)])
def test_accuracy_matches_scikit_learn(knn, cifar, distances, metric, k, published):
    """Brute-force kNN in scikit-learn is its pairwise distances plus its vote; compare both."""
    from sklearn.neighbors import KNeighborsClassifier

    _, y_train, _, y_test = cifar
    ours, theirs = distances
    predicted = knn["predict_labels"](ours[metric], y_train, k=k)
    sk = KNeighborsClassifier(n_neighbors=k, algorithm="brute", metric="precomputed")
    sk.fit(np.zeros((len(y_train), len(y_train))), y_train)
    expected = sk.predict(theirs[metric])
    assert np.mean(predicted == expected) >= 0.998  # at most two equal-distance ties broken differently
    accuracy = np.mean(predicted == y_test)
    assert accuracy == pytest.approx(np.mean(expected == y_test), abs=2e-3)
    assert round(accuracy, 3) == pytest.approx(published, abs=1e-3)
