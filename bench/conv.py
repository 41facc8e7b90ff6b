"""Benchmark notebook 2's convolutions: loops, vectorised NumPy, SciPy and TensorFlow.

    python bench/conv.py                 # 32 CIFAR-sized images (32×32×3), 16 filters of 3×3
    python bench/conv.py --images 4      # a quicker run

It times, on the same batch and in one run:

* ``conv2d_multi_loops`` and ``conv2d_multi``: the reference solutions of
  notebook 2, taken from ``solutions/02_convolution.ipynb`` (its answer cells
  are executed by ``cnnlab.grade.grading.answer_namespace``), called once per image;
* SciPy: ``scipy.signal.correlate2d`` for each image, channel and filter,
  summed over the channels;
* ``tf.nn.conv2d`` on the whole batch at once, in float64 like the others and
  in float32, TensorFlow's usual CPU type.

It prints one table: the best time of each version (loops: one run), its ratio
to ``tf.nn.conv2d`` in float64, and its largest difference from that result.
The table's rows, shapes and differences are the same on every run; only the
times vary. The script exits with status 1 if a version computes different
numbers. The course's targets, printed under the table: the vectorised version
is at least 50× faster than the loops and within 5× of ``tf.nn.conv2d``.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

from cnnlab import runtime
from cnnlab.grade import grading

ROOT = Path(__file__).resolve().parent.parent
SPEEDUP_TARGET = 50.0  # vectorised vs loops: at least this many times faster
TF_TARGET = 5.0  # vectorised vs tf.nn.conv2d (float64): at most this many times slower


def best_time(fn, repeat: int):
    """(best wall-clock seconds of ``repeat`` calls of ``fn()``, its result)."""
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def scipy_conv(x, w, b):
    """Per image, channel and filter ``scipy.signal.correlate2d``, summed over channels: (N, H', W', K)."""
    from scipy.signal import correlate2d

    return np.stack([
        np.stack([sum(correlate2d(img[..., c], w[:, :, c, k], mode="valid") for c in range(x.shape[3])) + b[k]
                  for k in range(w.shape[3])], axis=-1)
        for img in x])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", type=int, default=32, help="batch size (default 32)")
    parser.add_argument("--size", type=int, default=32, help="image height and width (default 32, CIFAR)")
    parser.add_argument("--channels", type=int, default=3, help="input channels (default 3)")
    parser.add_argument("--filters", type=int, default=16, help="number of filters K (default 16)")
    parser.add_argument("--kernel", type=int, default=3, help="filter size F (default 3)")
    parser.add_argument("--repeat", type=int, default=7, help="timing repeats of the fast versions (default 7)")
    args = parser.parse_args(argv)

    answers = grading.answer_namespace(ROOT / "solutions" / "02_convolution.ipynb", np=np)
    conv2d_multi, conv2d_multi_loops = answers["conv2d_multi"], answers["conv2d_multi_loops"]
    runtime.quiet_tensorflow()  # imports TensorFlow with its start-up messages silenced
    import tensorflow as tf

    rng = np.random.default_rng(0)
    n, s, c, k, f = args.images, args.size, args.channels, args.filters, args.kernel
    x = rng.random((n, s, s, c))
    w = rng.normal(size=(f, f, c, k))
    b = rng.normal(size=k)
    x32, w32, b32 = x.astype(np.float32), w.astype(np.float32), b.astype(np.float32)

    versions = [  # (label, function, repeats)
        ("tf.nn.conv2d, float64, whole batch", lambda: tf.nn.conv2d(x, w, 1, "VALID").numpy() + b, args.repeat),
        ("tf.nn.conv2d, float32, whole batch", lambda: tf.nn.conv2d(x32, w32, 1, "VALID").numpy() + b32, args.repeat),
        ("conv2d_multi (vectorised), per image", lambda: np.stack([conv2d_multi(img, w, b) for img in x]), args.repeat),
        ("scipy.signal.correlate2d, per channel", lambda: scipy_conv(x, w, b), max(1, args.repeat // 3)),
        ("conv2d_multi_loops, per image", lambda: np.stack([conv2d_multi_loops(img, w, b) for img in x]), 1),
    ]
    for _, fn, _ in versions[:2]:
        fn()  # TensorFlow's first call builds its kernels: warm up outside the timing

    times, results = {}, {}
    for label, fn, repeat in versions:
        times[label], results[label] = best_time(fn, repeat)
    reference = versions[0][0]
    out_shape = results[reference].shape

    print(f"conv2d_multi benchmark: {n} images of {s}×{s}×{c}, {k} filters of {f}×{f}×{c}, stride 1, "
          f"no padding → {out_shape}")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores; numpy {np.__version__}, "
          f"scipy {__import__('scipy').__version__}, tensorflow {tf.__version__}; times are the best of "
          f"{args.repeat} runs (SciPy {max(1, args.repeat // 3)}, loops 1)")
    print()
    header = f"{'version':<40}{'time (ms)':>12}{'× tf.nn.conv2d':>17}{'max |diff| vs tf':>19}"
    print(header)
    print("-" * len(header))
    wrong = []
    for label, _, _ in versions:
        diff = float(np.abs(results[label].astype(np.float64) - results[reference]).max())
        tolerance = 1e-3 if "float32" in label else 1e-9
        if results[label].shape != out_shape or not diff <= tolerance:
            wrong.append(label)
        print(f"{label:<40}{times[label] * 1e3:>12.2f}{times[label] / times[reference]:>17.1f}"
              f"{f'{diff:.0e}' if diff >= 1e-15 else '< 1e-15':>19}")
    print()

    vec, loops = versions[2][0], versions[4][0]
    speedup = times[loops] / times[vec]
    vs_tf = times[vec] / times[reference]
    print(f"vectorised vs loops:        {speedup:8.1f}× faster   (target ≥ {SPEEDUP_TARGET:.0f}×: "
          f"{'met' if speedup >= SPEEDUP_TARGET else 'NOT met'})")
    print(f"vectorised vs tf.nn.conv2d: {vs_tf:8.1f}× the time (target ≤ {TF_TARGET:.0f}×: "
          f"{'met' if vs_tf <= TF_TARGET else 'NOT met'})")
    if wrong:
        print(f"\nERROR: these versions computed different numbers: {', '.join(wrong)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
