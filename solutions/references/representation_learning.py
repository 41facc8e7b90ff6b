"""Notebook 10's usual mistakes, for the hints that name them (instructors only, never shipped).

``python -m cnnlab.grade.expected 10_representation_learning`` runs each wrong version on
the visible cases and stores what it returns next to the correct results in
``cnnlab/checks/expected/representation_learning.json``; a student whose result equals
one of them gets that mistake's hint (``CONTRAST_MISTAKES``, ``PCA_FIT_MISTAKES``,
``PCA_TRANSFORM_MISTAKES`` in ``cnnlab/checks/representation_learning.py``). The correct
answers are the solution notebook's own. The other hints (one-hot vectors, the
autoencoder, shapes and lengths) come from properties of the result.
"""

import numpy as np


def _distances(points, query, order=2):
    diff = np.asarray(points, np.float64) - np.asarray(query, np.float64)
    return np.abs(diff).sum(axis=1) if order == 1 else np.sqrt((diff ** 2).sum(axis=1))


def _contrast(d):
    return float((d.max() - d.min()) / d.min())


def _svd_rows(X):
    return np.linalg.svd(np.asarray(X, np.float64), full_matrices=False)[2]


def _centred(X):
    X = np.asarray(X, np.float64)
    return X - X.mean(axis=0)


def _defined_only(mistake):
    """``mistake`` where its output is defined. With N <= D samples, centring leaves N - 1 directions, and
    the SVD's (or eigh's) other vectors are any orthonormal completion (LAPACK builds differ): a mistake
    that returns them has no reproducible output there, so none is stored and the hint is the general one."""
    def defined(X, k):
        mean, components = mistake(X, k)
        return (mean, None) if len(X) <= np.shape(X)[1] else (mean, components)
    return defined


def _eigh_increasing(X, k):
    Xc = _centred(X)
    _, vectors = np.linalg.eigh(Xc.T @ Xc / max(len(Xc) - 1, 1))
    return np.asarray(X, np.float64).mean(axis=0), vectors[:, :k].T


def _standardised(X, k):
    X = np.asarray(X, np.float64)
    std = X.std(axis=0)
    std[std == 0] = 1
    return X.mean(axis=0), _svd_rows(_centred(X) / std)[:k]


MISTAKES = {
    "relative_contrast": {
        "squared": lambda points, query: _contrast(_distances(points, query) ** 2),
        "ratio": lambda points, query: float(_distances(points, query).max() / _distances(points, query).min()),
        "by_farthest": lambda points, query: float(np.ptp(_distances(points, query)) / _distances(points, query).max()),
        "inverse": lambda points, query: float(_distances(points, query).min() / _distances(points, query).max()),
        "l1": lambda points, query: _contrast(_distances(points, query, order=1)),
    },
    "pca_fit": {
        "uncentred": lambda X, k: (np.mean(X, axis=0), _svd_rows(X)[:k]),
        "columns": _defined_only(lambda X, k: (np.mean(X, axis=0), _svd_rows(_centred(X))[:, :k].T)),
        "increasing": _defined_only(_eigh_increasing),
        "last_rows": _defined_only(lambda X, k: (np.mean(X, axis=0), _svd_rows(_centred(X))[-k:])),
        "reversed": lambda X, k: (np.mean(X, axis=0), _svd_rows(_centred(X))[:k][::-1]),
        "standardised": _standardised,
    },
    "pca_transform": {
        "no_centring": lambda X, mean, components: np.asarray(X, np.float64) @ components.T,
        "own_mean": lambda X, mean, components: _centred(X) @ components.T,
    },
}
