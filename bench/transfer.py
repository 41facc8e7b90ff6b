"""Benchmark: transfer learning against training from scratch on notebook 9's offline task, across label budgets.

Usage: ``CNNLAB_DATA=../shared/data python bench/transfer.py [--budgets 10 50 all] [--seeds 3]``
(or online, without CNNLAB_DATA: CIFAR-10 is then downloaded; the base is still the offline one).

From one run, on CIFAR-10 split as in notebook 9 (:mod:`cnnlab.backbones`): task A, 8 classes, and task B,
deer vs truck. It pre-trains the small base on task A once (seed 0), then for each label budget (labelled
training images per class of task B) and each seed trains the three methods of the notebook with
``backbones.run_task_b`` and its recipe (the same number of gradient steps for every method and budget):

* from scratch: the base's architecture with random weights + a new head, everything trained;
* frozen base: the pre-trained base frozen + a new head (``build_transfer_model`` of the solution notebook);
* fine-tuned: that network, then the top 2 weighted layers unfrozen (``unfreeze_top``), at a 10× lower rate.

It prints, per budget, each method's accuracy (mean ± std over seeds, on task B's test images and its
unlabelled training images, ``backbones.evaluation_split``), the wall time of one run, the ratios transfer
accuracy / from-scratch accuracy, and each transfer method's gain over from scratch paired by seed, with the
gain's standard deviation and how many of them it is, all measured in this run.

Offline, the shared CIFAR-10 subset has about 500 training images per class, so "all" is the rarer class's
count (then only the test images are left to score on); with the full data set (online) 1000 is possible.
The machine may be shared: the script prints the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from cnnlab import backbones, datasets, runtime
from cnnlab.grade import grading

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"
NOTEBOOK = SOLUTIONS / "09_transfer_learning.ipynb"

PRELUDE = """\
from cnnlab import runtime
runtime.quiet_tensorflow()
import keras
from keras import layers
"""


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--budgets", nargs="+", default=["10", "50", "all"],
                        help="labelled images per class of task B; 'all' = every one there is (default: 10 50 all)")
    parser.add_argument("--seeds", type=int, default=3, help="seeds per budget (default 3)")
    parser.add_argument("--pretrain-epochs", type=int, default=6, help="epochs on task A (default 6, as the notebook)")
    args = parser.parse_args(argv)

    runtime.quiet_tensorflow()
    answers = grading.answer_namespace(NOTEBOOK, prelude=PRELUDE, np=np)
    functions = {name: answers[name] for name in ("build_transfer_model", "unfreeze_top")}

    data = datasets.load_cifar10(seed=0)
    task_a, task_b = backbones.split_tasks(data)
    available = task_b.per_class()
    budgets = [available if b == "all" else min(int(b), available) for b in args.budgets]
    print(data.source)
    print(f"task A: {task_a}\ntask B: {task_b}; at most {available} labelled images per class "
          f"(the offline subset has about 500 per class; full CIFAR-10 has 5,000)")
    print(f"budgets (per class): {budgets}; seeds: {list(range(args.seeds))}; recipe: {backbones.RECIPE}")
    print(f"{os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f}\n", flush=True)

    start = time.perf_counter()
    base, history = backbones.pretrain_base(task_a, epochs=args.pretrain_epochs, seed=0, log=False)
    backbone = backbones.Backbone(base, "offline", "small CNN pre-trained on task A", "bench", history,
                                  base.get_weights())
    print(f"pre-trained the base on task A: {history.seconds:.1f} s wall, {history.cpu_seconds:.1f} s CPU, "
          f"test accuracy on task A {history.test_accuracy:.1%}\n", flush=True)

    results = []
    for n in budgets:
        for seed in range(args.seeds):
            for r in backbones.run_task_b(backbone, task_b, n, seed, **functions):
                results.append(r)
                print(f"{n:>4} per class, seed {seed}: {r['method']:<13} {r['accuracy']:6.1%}  "
                      f"{r['seconds']:5.1f} s wall", flush=True)
    total = time.perf_counter() - start

    summary = backbones.summarise(results)
    print(f"\nload average after: {os.getloadavg()[0]:.2f}; whole run {total:.0f} s wall")
    print(f"task B accuracy, mean ± std over {args.seeds} seeds, on the test images and the unlabelled training "
          "images; wall s = one run's training time")
    head = f"{'labels/class':>12}"
    for method in backbones.METHODS:
        head += f"{method:>22}"
    print(head + f"{'frozen/scratch':>16}{'fine-tuned/scratch':>20}")
    for n in budgets:
        line = f"{n:>12}"
        for method in backbones.METHODS:
            s = summary[(method, n)]
            line += f"{s['mean']:>9.1%} ± {s['std']:>4.1%} {s['seconds']:>4.0f} s"
        scratch = summary[("from scratch", n)]["mean"]
        line += f"{summary[('frozen base', n)]['mean'] / scratch:>15.3f}×"
        line += f"{summary[('fine-tuned', n)]['mean'] / scratch:>19.3f}×"
        print(line)
    print("ratios: transfer accuracy / from-scratch accuracy at the same budget (> 1: transfer is better). "
          "The fine-tuned run's time includes the frozen-base run it continues. Chance is 50 %.")
    print("\ngain over from scratch, paired by seed (points, mean ± std over seeds; z = mean / std; target at the "
          f"notebook's {backbones.LABELS_PER_CLASS} labels per class: z > 2 for the frozen base)")
    for n in budgets:
        scratch = {r["seed"]: r["accuracy"] for r in results if r["n_per_class"] == n and r["method"] == "from scratch"}
        line = f"{n:>12}  scored on {min(r['n_eval'] for r in results if r['n_per_class'] == n):,}+ images"
        for method in ("frozen base", "fine-tuned"):
            gains = 100 * np.array([r["accuracy"] - scratch[r["seed"]] for r in results
                                    if r["n_per_class"] == n and r["method"] == method])
            spread = gains.std(ddof=1) if len(gains) > 1 else float("nan")
            line += f"   {method}: {gains.mean():+5.1f} ± {spread:3.1f} (z = {gains.mean() / spread:4.1f})"
        print(line)


if __name__ == "__main__":
    main()
