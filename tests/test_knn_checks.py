"""Notebook 1's checks: the stored expected values agree with scikit-learn, and the checks module
computes no distance, vote or cross-validation (a student reads it)."""

from __future__ import annotations

import ast

import numpy as np
import pytest

from cnnlab.checks import core
from cnnlab.checks import knn as check


def test_stored_distance_matrices_are_scikit_learns():
    from sklearn.metrics import pairwise_distances

    stored = core.stored(check)
    for i, (case, x_test, x_train, atol) in enumerate(check.matrix_cases("visible")):
        a, b = x_test.astype(np.float64), x_train.astype(np.float64)
        for name in ("compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops"):
            np.testing.assert_allclose(stored[name]["expected"]["outputs"][i],
                                       pairwise_distances(a, b, metric="euclidean"), rtol=1e-6, atol=atol,
                                       err_msg=f"{name}: {case}")
        np.testing.assert_allclose(stored["compute_l1_distances"]["expected"]["outputs"][i],
                                   pairwise_distances(a, b, metric="manhattan"), rtol=1e-9, err_msg=case)
    _, x_test, x_train = check.memory_case("visible")
    np.testing.assert_allclose(stored["compute_l1_distances"]["expected"]["memory"]["output"],
                               pairwise_distances(x_test.astype(float), x_train.astype(float), metric="manhattan"))


@pytest.mark.parametrize("name,metric", [("l1_distance", "manhattan"), ("l2_distance", "euclidean")])
def test_stored_distances_are_scikit_learns(name, metric):
    from sklearn.metrics import pairwise_distances

    stored = core.stored(check)[name]["expected"]["outputs"]
    for i, (case, a, b, _) in enumerate(check.distance_cases("visible", name[:2])):
        flat = lambda v: np.asarray(v, np.float64).reshape(1, -1)  # noqa: E731
        assert stored[i] == pytest.approx(pairwise_distances(flat(a), flat(b), metric=metric)[0, 0]), case


def test_stored_votes_are_scikit_learns():
    from sklearn.neighbors import KNeighborsClassifier

    stored = core.stored(check)["predict_labels"]["expected"]["outputs"]
    for i, (case, dists, y_train, k, _) in enumerate(check.predict_cases("visible")):
        knn = KNeighborsClassifier(n_neighbors=k, metric="precomputed", algorithm="brute")
        knn.fit(np.zeros((len(y_train), len(y_train))), y_train)
        np.testing.assert_array_equal(stored[i], knn.predict(dists), err_msg=case)


def test_the_checks_module_computes_no_answer():
    tree = ast.parse(open(check.__file__, encoding="utf-8").read())
    used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    assert not used & {"sqrt", "argsort", "argmin", "bincount", "array_split", "abs", "matmul",
                       "einsum", "cdist", "pairwise_distances"}
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.MatMult)]
