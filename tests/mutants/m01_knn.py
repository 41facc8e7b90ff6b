"""Plausible wrong answers for notebook 1, each with a fragment its message must contain.

MUTANTS maps the grade_id of an answer cell to a list of wrong versions; the
test cell ``<grade_id>_test`` must fail on each, with a message that helps.
"""

MUTANTS = {
    "l1_distance": [
        {"why": "subtracts uint8 images directly (wraps around)", "expect": "wraps around",
         "source": "def l1_distance(a, b):\n    return float(np.abs(a - b).sum())\n"},
        {"why": "forgets the absolute value", "expect": "absolute value",
         "source": "def l1_distance(a, b):\n    return float((a.astype(float) - b).sum())\n"},
    ],
    "l2_distance": [
        {"why": "forgets the square root", "expect": "square root",
         "source": "def l2_distance(a, b):\n    return float(((a.astype(float) - b) ** 2).sum())\n"},
    ],
    "compute_distances_two_loops": [
        {"why": "subtracts uint8 rows directly", "expect": "wraps around",
         "source": ("def compute_distances_two_loops(X_test, X_train):\n"
                    "    dists = np.zeros((len(X_test), len(X_train)))\n"
                    "    for i in range(len(X_test)):\n"
                    "        for j in range(len(X_train)):\n"
                    "            dists[i, j] = np.sqrt(np.sum((X_test[i] - X_train[j]) ** 2))\n"
                    "    return dists\n")},
    ],
    "compute_distances_one_loop": [
        {"why": "returns squared distances", "expect": "squared distances",
         "source": ("def compute_distances_one_loop(X_test, X_train):\n"
                    "    dists = np.zeros((len(X_test), len(X_train)))\n"
                    "    for i in range(len(X_test)):\n"
                    "        dists[i] = np.sum((X_train.astype(float) - X_test[i]) ** 2, axis=1)\n"
                    "    return dists\n")},
    ],
    "compute_distances_no_loops": [
        {"why": "puts the squared norms on the wrong axes", "expect": "raised ValueError",
         "source": ("def compute_distances_no_loops(X_test, X_train):\n"
                    "    a, b = X_test.astype(float), X_train.astype(float)\n"
                    "    d2 = (a ** 2).sum(1)[None, :] - 2 * a @ b.T + (b ** 2).sum(1)[:, None]\n"
                    "    return np.sqrt(np.maximum(d2, 0))\n")},
        {"why": "still loops over the test rows", "expect": "no Python loop",
         "source": ("def compute_distances_no_loops(X_test, X_train):\n"
                    "    b = X_train.astype(float)\n"
                    "    return np.array([np.sqrt(((b - row.astype(float)) ** 2).sum(1)) for row in X_test])\n")},
        {"why": "matrix algebra on uint8 (overflow)", "expect": "overflow",
         "source": ("def compute_distances_no_loops(X_test, X_train):\n"
                    "    d2 = (X_test ** 2).sum(1)[:, None] - 2 * X_test @ X_train.T + (X_train ** 2).sum(1)[None, :]\n"
                    "    return np.sqrt(np.maximum(d2, 0)).astype(np.float64)\n")},
    ],
    "compute_l1_distances": [
        {"why": "broadcasts everything at once (no chunking)", "expect": "chunks",
         "source": ("def compute_l1_distances(X_test, X_train, max_bytes=2**28):\n"
                    "    d = X_test.astype(np.float64)[:, None, :] - X_train.astype(np.float64)[None]\n"
                    "    return np.abs(d).sum(axis=2)\n")},
    ],
    "predict_labels": [
        {"why": "takes the k farthest images", "expect": "SMALLEST distance",
         "source": ("def predict_labels(dists, y_train, k=1):\n"
                    "    far = np.argsort(dists, axis=1)[:, -k:]\n"
                    "    return np.array([np.bincount(y_train[r]).argmax() for r in far])\n")},
        {"why": "Counter.most_common breaks ties by order, not by the smallest label", "expect": "smallest label",
         "source": ("from collections import Counter\n"
                    "def predict_labels(dists, y_train, k=1):\n"
                    "    near = np.argsort(dists, axis=1)[:, :k]\n"
                    "    return np.array([Counter(y_train[r].tolist()).most_common(1)[0][0] for r in near])\n")},
    ],
    "cross_validate_k": [
        {"why": "keeps the validation fold in the training set", "expect": "fold f is the validation set",
         "source": ("def cross_validate_k(X, y, k_choices, num_folds=5, metric='l2', return_folds=False):\n"
                    "    dist = {'l1': compute_l1_distances, 'l2': compute_distances_no_loops}[metric]\n"
                    "    Xf, yf = np.array_split(X, num_folds), np.array_split(y, num_folds)\n"
                    "    acc = np.zeros((len(k_choices), num_folds))\n"
                    "    for f in range(num_folds):\n"
                    "        d = dist(Xf[f], X)\n"
                    "        for i, k in enumerate(k_choices):\n"
                    "            acc[i, f] = np.mean(predict_labels(d, y, k=k) == yf[f])\n"
                    "    return acc if return_folds else acc.mean(axis=1)\n")},
    ],
}
