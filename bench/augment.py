"""Benchmark: notebook 8's controlled experiment, with the training budget as the variable.

Usage: ``CNNLAB_DATA=../shared/data python bench/augment.py [--epochs 10 40] [--seeds 0 1 2]``
(or online, without CNNLAB_DATA).

Notebook 8 trains its small CNN for 10 epochs with and without augmentation and finds that
augmentation narrows the gap but lowers test accuracy: the network underfits. Its text says that
with a longer training augmentation pays off. This script runs the notebook's own experiment --
``build_augmenter`` and ``build_augmented_cnn`` from ``solutions/08_augmentation.ipynb`` and its
``run`` function, on the same 2,000 training and 1,000 test images -- for each number of epochs and
seed, and prints, from one run, the mean ± standard deviation of training accuracy, test accuracy and
the gap, the paired change that augmentation makes (same seed, same initial weights), and the CPU time.
A change counts as real when it is at least twice its standard error and has the same sign for
every seed, as in the notebook.

At 40 epochs it trains 6 networks of about 100 CPU-seconds each: about 10 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from cnnlab import datasets, runtime, training
from cnnlab.grade import grading

NOTEBOOK = Path(__file__).resolve().parent.parent / "solutions" / "08_augmentation.ipynb"
PRELUDE = "from keras import layers\n"
QUANTITIES = {"train": "training accuracy", "test": "test accuracy", "gap": "gap (train − test)"}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--epochs", type=int, nargs="+", default=[10, 40])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)

    runtime.quiet_tensorflow()
    import keras

    data = datasets.load_cifar10(n_train=2000, n_test=1000, seed=0)  # the notebook's subset
    print(data.source)
    print(f"seeds {args.seeds}; {os.cpu_count()} CPUs; load average before: {os.getloadavg()[0]:.2f}")
    ns = grading.answer_namespace(NOTEBOOK, prelude=PRELUDE, np=np, keras=keras)
    ns.update(training=training, data=data,
              x_train=data.x_train.astype(np.float32) / 255, x_test=data.x_test.astype(np.float32) / 255)
    grading.notebook_functions(NOTEBOOK, ["run"], ns)

    for epochs in args.epochs:
        ns["epochs"] = epochs  # run() reads the notebook's global `epochs`
        runs = {False: [], True: []}
        for seed in args.seeds:
            for augment in (False, True):
                r = ns["run"](augment, seed)
                runs[augment].append(r)
                print(f"  {epochs} epochs, seed {seed}, {'with' if augment else 'without'} augmentation: "
                      f"train {r['train']:.1%}  test {r['test']:.1%}  ({r['cpu_seconds']:.0f} CPU s)", flush=True)
        cpu = sum(r["cpu_seconds"] for rs in runs.values() for r in rs)
        print(f"\n{epochs} epochs, {len(args.seeds)} seeds, {cpu:.0f} CPU s in all:")
        print(f"{'':<22}{'without':>16}{'with':>16}{'paired change':>24}")
        for q, label in QUANTITIES.items():
            without, with_ = (100 * np.array([r[q] for r in runs[a]]) for a in (False, True))
            diff = with_ - without
            se = diff.std(ddof=1) / np.sqrt(len(diff)) if len(diff) > 1 else float("nan")
            real = len(diff) > 1 and abs(diff.mean()) >= 2 * se and (np.all(diff > 0) or np.all(diff < 0))
            spread = lambda v: v.std(ddof=1) if len(v) > 1 else 0.0  # noqa: E731
            print(f"{label:<22}{without.mean():>9.1f} ± {spread(without):.1f}{with_.mean():>9.1f} ± {spread(with_):.1f}"
                  f"{diff.mean():>+12.1f} ± {se:.1f} {'real' if real else 'noise'}")
        print()
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
