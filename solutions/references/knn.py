"""Notebook 1's usual mistakes, for the hints that name them (instructors only, never shipped).

``python -m cnnlab.grade.expected 01_knn`` runs each wrong version on the visible cases
and stores what it returns next to the correct results in ``cnnlab/checks/expected/knn.json``;
a student whose output equals one of them gets that mistake's hint (``DISTANCE_MISTAKES`` /
``MATRIX_MISTAKES`` in ``cnnlab/checks/knn.py``). The correct answers are the solution
notebook's own.
"""

import numpy as np


def _pairs(x_test, x_train):
    """Every test row minus every training row, in the inputs' own dtype (uint8 wraps around)."""
    return np.asarray(x_test)[:, None, :] - np.asarray(x_train)[None, :, :]


def _float_pairs(x_test, x_train):
    return np.asarray(x_test, np.float64)[:, None, :] - np.asarray(x_train, np.float64)[None, :, :]


MISTAKES = {
    "l1_distance": {
        "uint8_wrap": lambda a, b: float(np.abs(a - b).sum()),
        "uint8_wrap_signed": lambda a, b: float((a - b).astype(np.float64).sum()),
        "no_abs": lambda a, b: float((a.astype(np.float64) - b).sum()),
    },
    "l2_distance": {
        "uint8_wrap": lambda a, b: float(np.sqrt(((a - b).astype(np.float64) ** 2).sum())),
        "uint8_wrap_uint8_square": lambda a, b: float(np.sqrt(np.sum((a - b) ** 2))),
        "uint8_wrap_no_sqrt": lambda a, b: float(((a - b).astype(np.float64) ** 2).sum()),
        "squared": lambda a, b: float(((a.astype(np.float64) - b) ** 2).sum()),
    },
}
_L2_MATRIX = {
    "uint8_wrap": lambda x_test, x_train: np.sqrt((_pairs(x_test, x_train).astype(np.float64) ** 2).sum(-1)),
    "uint8_wrap_uint8_square": lambda x_test, x_train: np.sqrt((_pairs(x_test, x_train) ** 2).sum(-1)).astype(np.float64),
    "squared": lambda x_test, x_train: (_float_pairs(x_test, x_train) ** 2).sum(-1),
}
for _name in ("compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops"):
    MISTAKES[_name] = _L2_MATRIX
MISTAKES["compute_l1_distances"] = {
    "uint8_wrap": lambda x_test, x_train, max_bytes=2**28: np.abs(_pairs(x_test, x_train)).sum(-1).astype(np.float64),
}
