"""A simulated class for `cnnlab grade similarity` on notebook 01_knn's answer cells.

* Six honest students (``honest_a`` … ``honest_f``), each writing every exercise in their
  own style: loops or broadcasting, NumPy or the standard library, helpers or one-liners,
  SciPy/scikit-learn or by hand. Six independent, correct implementations of each of six
  exercises (``l1_distance`` … ``predict_labels``); the other answer cells stay as released.
* Planted copies, each of one honest student's whole notebook, disguised: variables and
  helpers renamed, functions and statements reordered, comments and blank lines added,
  constants changed, or several of these at once.
* Students who hand in only the starter code.

``tests/test_grade_similarity.py`` checks that every implementation is correct, then that the
report finds every planted pair and ranks no other pair above them.
"""

from __future__ import annotations

import ast
import re

STUB = "    # YOUR CODE HERE\n    raise NotImplementedError()"
EXERCISES = ["l1_distance", "l2_distance", "compute_distances_two_loops", "compute_distances_one_loop",
             "compute_distances_no_loops", "predict_labels"]

# Per student, per exercise: a body that replaces the stub in the released cell, or (starting with
# "def ") a whole cell that replaces it (students who restructure the cell around helpers).
HONEST = {
    "honest_a": {
        "l1_distance": "    return float(np.abs(a.astype(np.float64) - b.astype(np.float64)).sum())",
        "l2_distance": "    diff = a.astype(np.float64) - b.astype(np.float64)\n"
                       "    return float(np.sqrt(np.sum(diff ** 2)))",
        "compute_distances_two_loops": "    for i in range(len(X_test)):\n"
                                       "        for j in range(len(X_train)):\n"
                                       "            dists[i, j] = l2_distance(X_test[i], X_train[j])",
        "compute_distances_one_loop": "    train = X_train.astype(np.float64)\n"
                                      "    for i in range(len(X_test)):\n"
                                      "        dists[i] = np.sqrt(np.sum((train - X_test[i].astype(np.float64)) ** 2, axis=1))",
        "compute_distances_no_loops": "    a = X_test.astype(np.float64)\n"
                                      "    b = X_train.astype(np.float64)\n"
                                      "    dists = -2.0 * (a @ b.T)\n"
                                      "    dists += np.sum(a ** 2, axis=1)[:, None]\n"
                                      "    dists += np.sum(b ** 2, axis=1)[None, :]\n"
                                      "    return np.sqrt(np.maximum(dists, 0.0))",
        "predict_labels": "    nearest = np.argsort(dists, axis=1, kind=\"stable\")[:, :k]\n"
                          "    for i, neighbours in enumerate(nearest):\n"
                          "        y_pred[i] = np.bincount(y_train[neighbours]).argmax()",
    },
    "honest_b": {
        "l1_distance": "    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)\n"
                       "    return float(np.sum(np.abs(diff)))",
        "l2_distance": "    return float(np.linalg.norm(np.asarray(a, float).ravel() - np.asarray(b, float).ravel()))",
        "compute_distances_two_loops": "    test = X_test.astype(float)\n"
                                       "    train = X_train.astype(float)\n"
                                       "    for row, t in enumerate(test):\n"
                                       "        for col, r in enumerate(train):\n"
                                       "            dists[row, col] = np.sqrt(((t - r) ** 2).sum())",
        "compute_distances_one_loop": "    for i, row in enumerate(X_test.astype(float)):\n"
                                      "        dists[i, :] = np.linalg.norm(X_train - row, axis=1)",
        "compute_distances_no_loops": "    from scipy.spatial.distance import cdist\n"
                                      "    return cdist(X_test.astype(float), X_train.astype(float))",
        "predict_labels": "    for i in range(dists.shape[0]):\n"
                          "        closest = y_train[np.argsort(dists[i])[:k]]\n"
                          "        values, counts = np.unique(closest, return_counts=True)\n"
                          "        y_pred[i] = values[np.argmax(counts)]",
    },
    "honest_c": {
        "l1_distance": "    total = 0.0\n"
                       "    for x, y in zip(a.ravel(), b.ravel()):\n"
                       "        total += abs(float(x) - float(y))\n"
                       "    return total",
        "l2_distance": "    squares = 0.0\n"
                       "    for x, y in zip(a.flat, b.flat):\n"
                       "        squares += (float(x) - float(y)) ** 2\n"
                       "    return squares ** 0.5",
        "compute_distances_two_loops": "    n_test, n_train = dists.shape\n"
                                       "    i = 0\n"
                                       "    while i < n_test:\n"
                                       "        j = 0\n"
                                       "        while j < n_train:\n"
                                       "            delta = X_test[i].astype(np.float64) - X_train[j]\n"
                                       "            dists[i][j] = np.linalg.norm(delta)\n"
                                       "            j += 1\n"
                                       "        i += 1",
        "compute_distances_one_loop": "    train = np.asarray(X_train, dtype=np.float64)\n"
                                      "    for i in range(dists.shape[0]):\n"
                                      "        diff = train - np.asarray(X_test[i], dtype=np.float64)\n"
                                      "        dists[i] = np.sqrt(np.einsum(\"ij,ij->i\", diff, diff))",
        "compute_distances_no_loops": "    test = X_test.astype(np.float64)\n"
                                      "    train = X_train.astype(np.float64)\n"
                                      "    sq = (np.einsum(\"ij,ij->i\", test, test).reshape(-1, 1)\n"
                                      "          + np.einsum(\"ij,ij->i\", train, train) - 2 * np.dot(test, train.T))\n"
                                      "    sq[sq < 0] = 0\n"
                                      "    return np.sqrt(sq)",
        "predict_labels": "    from collections import Counter\n"
                          "    for row, d in enumerate(dists):\n"
                          "        order = sorted(range(len(d)), key=lambda j: d[j])[:k]\n"
                          "        votes = Counter(int(y_train[j]) for j in order)\n"
                          "        best = max(votes.values())\n"
                          "        y_pred[row] = min(label for label, n in votes.items() if n == best)",
    },
    "honest_d": {
        "l1_distance": "    a64, b64 = a.astype(\"float64\"), b.astype(\"float64\")\n"
                       "    return np.linalg.norm((a64 - b64).ravel(), ord=1).item()",
        "l2_distance": "    import math\n"
                       "    d = (a.astype(\"float64\") - b.astype(\"float64\")).reshape(-1)\n"
                       "    return math.sqrt(d @ d)",
        "compute_distances_two_loops": "    import math\n"
                                       "    for i, x in enumerate(X_test):\n"
                                       "        for j, y in enumerate(X_train):\n"
                                       "            dists[i, j] = math.dist(x.astype(float), y.astype(float))",
        "compute_distances_one_loop": "    train = X_train.astype(np.float64)\n"
                                      "    train_sq = (train ** 2).sum(axis=1)\n"
                                      "    for i, x in enumerate(X_test.astype(np.float64)):\n"
                                      "        dists[i] = np.sqrt(np.maximum(train_sq - 2 * train @ x + x @ x, 0))",
        "compute_distances_no_loops": "    t = np.asarray(X_test, dtype=float)\n"
                                      "    r = np.asarray(X_train, dtype=float)\n"
                                      "    tt = (t * t).sum(axis=1, keepdims=True)\n"
                                      "    rr = (r * r).sum(axis=1, keepdims=True).T\n"
                                      "    return np.sqrt(np.clip(tt + rr - 2 * t.dot(r.T), 0, None))",
        "predict_labels": "    idx = np.argpartition(dists, k - 1, axis=1)[:, :k]\n"
                          "    labels = y_train[idx]\n"
                          "    n_classes = int(y_train.max()) + 1\n"
                          "    counts = np.zeros((len(dists), n_classes), dtype=int)\n"
                          "    for c in range(n_classes):\n"
                          "        counts[:, c] = (labels == c).sum(axis=1)\n"
                          "    y_pred[:] = counts.argmax(axis=1)",
    },
    "honest_e": {
        "l1_distance": "    larger = np.maximum(a, b).astype(np.int64)\n"
                       "    smaller = np.minimum(a, b).astype(np.int64)\n"
                       "    return float((larger - smaller).sum())",
        "l2_distance": "    a = a.astype(np.float64).ravel()\n"
                       "    b = b.astype(np.float64).ravel()\n"
                       "    return float(np.sqrt(max(np.dot(a, a) - 2 * np.dot(a, b) + np.dot(b, b), 0.0)))",
        "compute_distances_two_loops": "def _euclid(u, v):\n"
                                       "    s = 0.0\n"
                                       "    for p, q in zip(u, v):\n"
                                       "        s += (float(p) - float(q)) ** 2\n"
                                       "    return s ** 0.5\n\n\n"
                                       "def compute_distances_two_loops(X_test, X_train):\n"
                                       "    out = np.empty((X_test.shape[0], X_train.shape[0]), dtype=np.float64)\n"
                                       "    for a in range(out.shape[0]):\n"
                                       "        for b in range(out.shape[1]):\n"
                                       "            out[a, b] = _euclid(X_test[a], X_train[b])\n"
                                       "    return out",
        "compute_distances_one_loop": "def compute_distances_one_loop(X_test, X_train):\n"
                                      "    train = X_train.astype(\"float64\")\n"
                                      "    rows = []\n"
                                      "    for sample in X_test:\n"
                                      "        gap = train - sample.astype(\"float64\")\n"
                                      "        rows.append(np.sqrt((gap * gap).sum(1)))\n"
                                      "    return np.array(rows).reshape(len(X_test), len(X_train))",
        "compute_distances_no_loops": "def squared_norms(m):\n"
                                      "    return np.square(m).sum(axis=1)\n\n\n"
                                      "def compute_distances_no_loops(X_test, X_train):\n"
                                      "    X_test, X_train = X_test.astype(np.float64), X_train.astype(np.float64)\n"
                                      "    cross = np.matmul(X_test, X_train.transpose())\n"
                                      "    d2 = squared_norms(X_test)[:, np.newaxis] - 2 * cross + squared_norms(X_train)[np.newaxis, :]\n"
                                      "    return np.sqrt(np.abs(d2))",
        "predict_labels": "def vote(labels):\n"
                          "    tally = {}\n"
                          "    for lab in labels:\n"
                          "        tally[lab] = tally.get(lab, 0) + 1\n"
                          "    top = max(tally.values())\n"
                          "    return min(lab for lab in tally if tally[lab] == top)\n\n\n"
                          "def predict_labels(dists, y_train, k=1):\n"
                          "    result = []\n"
                          "    for distances in dists:\n"
                          "        neighbours = np.argsort(distances, kind=\"mergesort\")[:k]\n"
                          "        result.append(vote(list(y_train[neighbours])))\n"
                          "    return np.array(result, dtype=np.int64)",
    },
    "honest_f": {
        "l1_distance": "    pairs = np.nditer([a, b])\n"
                       "    return float(sum(abs(float(p) - float(q)) for p, q in pairs))",
        "l2_distance": "    return float(np.sqrt(np.square(np.subtract(a, b, dtype=np.float64)).sum()))",
        "compute_distances_two_loops": "    pairs = [(i, j) for i in range(len(X_test)) for j in range(len(X_train))]\n"
                                       "    for i, j in pairs:\n"
                                       "        dists[i, j] = np.sqrt(np.sum(np.square(X_test[i].astype(np.float64)"
                                       " - X_train[j].astype(np.float64))))",
        "compute_distances_one_loop": "    i = 0\n"
                                      "    for x in X_test:\n"
                                      "        dists[i] = np.sqrt(np.square(np.subtract(X_train, x, dtype=np.float64)).sum(axis=-1))\n"
                                      "        i += 1",
        "compute_distances_no_loops": "    from sklearn.metrics import pairwise_distances\n"
                                      "    return pairwise_distances(X_test.astype(np.float64), X_train.astype(np.float64),\n"
                                      "                              metric=\"euclidean\")",
        "predict_labels": "    nearest_labels = np.take(y_train, np.argsort(dists, axis=1)[:, :k])\n"
                          "    for i in range(len(dists)):\n"
                          "        hist = np.bincount(nearest_labels[i], minlength=y_train.max() + 1)\n"
                          "        y_pred[i] = np.flatnonzero(hist == hist.max())[0]",
    },
}


def fill(released_source: str, answer: str) -> str:
    """The released cell with the stub replaced by ``answer`` (or the whole cell, for a ``def``)."""
    if answer.startswith("def "):
        return answer
    assert STUB in released_source, released_source
    return released_source.replace(STUB, answer)


def honest_cells(released: dict[str, str], student: str) -> dict[str, str]:
    """grade_id -> the honest student's cell source."""
    return {gid: fill(released[gid], HONEST[student][gid]) for gid in EXERCISES}


def rename(source: str, names: dict[str, str]) -> str:
    """Rename whole-word identifiers (a copier's find-and-replace)."""
    for old, new in names.items():
        source = re.sub(rf"\b{re.escape(old)}\b", new, source)
    return source


def reorder(source: str) -> str:
    """Reverse the order of a cell's top-level functions (a copier moving helpers around)."""
    tree = ast.parse(source)
    defs = [ast.get_source_segment(source, node) for node in tree.body if isinstance(node, ast.FunctionDef)]
    if len(defs) < 2:
        return source
    return "\n\n\n".join(reversed(defs))


def swap_statements(source: str, first: str, second: str) -> str:
    """Swap two whole lines (independent statements) of a cell."""
    lines = source.split("\n")
    i = next(n for n, line in enumerate(lines) if line.strip() == first)
    j = next(n for n, line in enumerate(lines) if line.strip() == second)
    lines[i], lines[j] = lines[j], lines[i]
    return "\n".join(lines)


def comment(source: str, note: str) -> str:
    """Add a comment after every ``def`` line and blank lines between statements (layout only)."""
    out = []
    for line in source.split("\n"):
        out.append(line)
        if line.lstrip().startswith("def "):
            indent = " " * (len(line) - len(line.lstrip()) + 4)
            out.append(f"{indent}# {note}")
        elif line.strip() and not line.rstrip().endswith((":", ",", "(", "\\")):
            out.append("")
    return "\n".join(out)


# Planted copy -> (the honest student copied, how the copy was disguised).
PLANTED = {
    "copy_rename": ("honest_b", "renamed variables"),
    "copy_reorder": ("honest_e", "helpers and functions reordered, two statements swapped"),
    "copy_comments": ("honest_c", "comments and blank lines added, one comment an HTML injection"),
    "copy_constant": ("honest_d", "constants changed"),
    "copy_mixed": ("honest_f", "renamed, commented and a constant changed"),
}
STARTER_ONLY = ["starter_1", "starter_2", "starter_3"]
INJECTION = '</pre><script>alert("copied")</script>'


def planted_cells(released: dict[str, str], copy: str) -> dict[str, str]:
    """grade_id -> the planted copy's cell source (a disguised copy of one honest student)."""
    source = honest_cells(released, PLANTED[copy][0])
    if copy == "copy_rename":
        names = {"diff": "delta_vec", "test": "te", "train": "tr", "row": "r_i", "col": "c_i", "t": "u",
                 "r": "v", "closest": "knn_lab", "values": "labs", "counts": "freq"}
        return {gid: rename(src, names) for gid, src in source.items()}
    if copy == "copy_reorder":
        out = {gid: reorder(src) for gid, src in source.items()}
        out["l1_distance"] = swap_statements(out["l1_distance"], "larger = np.maximum(a, b).astype(np.int64)",
                                             "smaller = np.minimum(a, b).astype(np.int64)")
        out["l2_distance"] = swap_statements(out["l2_distance"], "a = a.astype(np.float64).ravel()",
                                             "b = b.astype(np.float64).ravel()")
        return out
    if copy == "copy_comments":
        notes = ["loop over everything", INJECTION, "simple but slow", "vectorised a bit", "the trick", "vote"]
        return {gid: comment(src, note) for (gid, src), note in zip(source.items(), notes)}
    if copy == "copy_constant":
        changes = [("ord=1", "ord=1.0"), ("x @ x, 0)", "x @ x, 0.0)"), ("2 * train", "2.0 * train"),
                   ("2 * t.dot", "2.0 * t.dot"), (", 0, None", ", 0.0, None"), ("k - 1", "k - 1 if k > 0 else 0"),
                   ("dtype=int", "dtype=np.int32"), ("+ 1", "+ 1 + 0")]
        out = {}
        for gid, src in source.items():
            for old, new in changes:
                src = src.replace(old, new)
            out[gid] = src
        return out
    if copy == "copy_mixed":
        names = {"pairs": "combos", "nearest_labels": "nn_lab", "hist": "votes", "x": "sample"}
        out = {gid: comment(rename(src, names), "my solution") for gid, src in source.items()}
        out["predict_labels"] = out["predict_labels"].replace("minlength=y_train.max() + 1",
                                                              "minlength=int(y_train.max()) + 1")
        return out
    raise KeyError(copy)


def simulated_class(released: dict[str, str]) -> dict[str, dict[str, str]]:
    """student -> {grade_id: cell source}; starter-only students change nothing."""
    students = {s: honest_cells(released, s) for s in HONEST}
    students.update({c: planted_cells(released, c) for c in PLANTED})
    students.update({s: {} for s in STARTER_ONLY})
    return students


def planted_pairs() -> set[frozenset[str]]:
    return {frozenset((copy, source)) for copy, (source, _) in PLANTED.items()}


def _scores() -> dict[str, float]:
    """Lowest planted and highest honest pair score on notebooks/01_knn.ipynb (the released notebook)."""
    from pathlib import Path

    import nbformat

    from cnnlab.grade import similarity

    released = nbformat.read(Path(__file__).resolve().parents[1] / "notebooks" / "01_knn.ipynb", as_version=4)
    ids = similarity.answer_ids(released)
    given = {c.metadata["nbgrader"]["grade_id"]: c.source for c in released.cells
             if c.metadata.get("nbgrader", {}).get("grade_id") in ids}
    code = {s: similarity.answer_code(released, ids) if not cells else
            "\n\n".join(cells.get(g, given[g]) for g in ids) for s, cells in simulated_class(given).items()}
    starter = [c.source for c in released.cells if c.cell_type == "code"] + [similarity.answer_code(released, ids)]
    pairs, _ = similarity.compare(code, starter)
    planted = planted_pairs()
    # A partial copy: honest_a's notebook with one exercise taken from honest_c, for each exercise.
    partial = []
    for gid in EXERCISES:
        cells = {**honest_cells(given, "honest_a"), gid: honest_cells(given, "honest_c")[gid]}
        one = {"partial": "\n\n".join(cells.get(g, given[g]) for g in ids), "honest_c": code["honest_c"]}
        partial.append(similarity.compare(one, starter)[0][0].score)
    return {"partial_min": min(partial), "partial_max": max(partial),"planted_min": min(p.score for p in pairs if frozenset((p.student_a, p.student_b)) in planted),
            "honest_max": max(p.score for p in pairs if frozenset((p.student_a, p.student_b)) not in planted),
            "flagged_honest": sum(p.score >= similarity.THRESHOLD for p in pairs
                                  if frozenset((p.student_a, p.student_b)) not in planted)}


if __name__ == "__main__":
    # copydetect hashes k-grams with Python's hash(), which is randomised per process: the scores
    # vary a little with PYTHONHASHSEED. `python tests/similarity_class.py` shows by how much.
    import json
    import os
    import subprocess
    import sys

    if os.environ.get("CNNLAB_SIM_CHILD"):
        print(json.dumps(_scores()))
        sys.exit()
    runs = []
    for seed in range(20):
        env = {**os.environ, "PYTHONHASHSEED": str(seed), "CNNLAB_SIM_CHILD": "1"}
        runs.append(json.loads(subprocess.run([sys.executable, __file__], env=env, capture_output=True, text=True,
                                              check=True).stdout))
    print(f"{len(runs)} hash seeds: lowest planted score {min(r['planted_min'] for r in runs):.2f}-"
          f"{max(r['planted_min'] for r in runs):.2f}, highest honest score {min(r['honest_max'] for r in runs):.2f}-"
          f"{max(r['honest_max'] for r in runs):.2f}, honest pairs flagged at most "
          f"{max(r['flagged_honest'] for r in runs)}; one exercise of six copied: "
          f"{min(r['partial_min'] for r in runs):.2f}-{max(r['partial_max'] for r in runs):.2f}")
