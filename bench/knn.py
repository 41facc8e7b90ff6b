"""Benchmark: notebook 1's L2 distance implementations against scikit-learn, on CIFAR-10.

Usage: ``CNNLAB_DATA=../shared/data python bench/knn.py`` (or online, without CNNLAB_DATA).

Times, from one run, on the shared subset (5,000 training × 1,000 test images
of 3,072 pixels): the two-loop, one-loop and no-loop L2 distances from
``solutions/01_knn.ipynb`` and scikit-learn's brute-force kNN (fit + predict,
k=1, L2) on the same matrices. The loop versions are timed on a slice of test
images and scaled up per image. Every figure is printed as a ratio against the
no-loop version measured in the same run. Targets: no-loop ≥ 100× faster than
two loops, and within 1.5× of scikit-learn.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
from sklearn.neighbors import KNeighborsClassifier

from cnnlab import datasets
from cnnlab.grade import grading

ROOT = Path(__file__).resolve().parent.parent


def best_of(repeat: int, fn, *args) -> tuple[float, object]:
    """Best wall-clock time of ``fn(*args)`` over ``repeat`` runs, and its last result."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    knn = grading.answer_namespace(ROOT / "solutions" / "01_knn.ipynb", np=np)
    data = datasets.load_cifar10(n_train=5000, n_test=1000, seed=0)
    x_train = data.x_train.reshape(len(data.x_train), -1)
    x_test = data.x_test.reshape(len(data.x_test), -1)
    n_test = len(x_test)
    print(data.source)
    print(f"{n_test} test × {len(x_train)} training images, {x_train.shape[1]} pixels; "
          f"{os.cpu_count()} CPUs\n")

    # Per-test-image times; the loop versions on a slice, the rest on everything.
    slices = {"two loops": 10, "one loop": 50, "no loops": n_test}
    per_image = {}
    for name, n in slices.items():
        fn = knn[f"compute_distances_{name.replace(' ', '_')}"]
        seconds, dists = best_of(1 if name == "two loops" else 3, fn, x_test[:n], x_train)
        per_image[name] = seconds / n

    def sklearn_knn():
        clf = KNeighborsClassifier(n_neighbors=1, algorithm="brute", p=2)
        return clf.fit(x_train, data.y_train).predict(x_test)
    seconds, predicted = best_of(3, sklearn_knn)
    per_image["scikit-learn kNN (fit+predict)"] = seconds / n_test

    ours = knn["predict_labels"](knn["compute_distances_no_loops"](x_test, x_train), data.y_train, k=1)
    agree = np.mean(ours == predicted)

    base = per_image["no loops"]
    print(f"{'implementation':<32}{'ms / test image':>16}{'time ÷ no loops':>18}")
    for name, t in per_image.items():
        print(f"{name:<32}{t * 1000:>16.3f}{t / base:>18.2f}")
    speedup = per_image["two loops"] / base
    vs_sklearn = base / per_image["scikit-learn kNN (fit+predict)"]
    print(f"\nno loops is {speedup:.0f}× faster than two loops (target ≥ 100×): "
          f"{'met' if speedup >= 100 else 'NOT met'}")
    print(f"no loops takes {vs_sklearn:.2f}× scikit-learn's time (target ≤ 1.5×): "
          f"{'met' if vs_sklearn <= 1.5 else 'NOT met'}")
    print(f"k=1 predictions identical to scikit-learn's on {agree:.1%} of the test images")


if __name__ == "__main__":
    main()
