"""Measure each notebook's peak memory in the grading sandbox, to choose `--memory-mb` with margin.

Grades the solution of each notebook (as a student who solved everything would submit it) with
`cnnlab grade autograde`, one at a time, under a generous limit, and prints the peak memory of
the whole sandbox (the kernel, started fresh, and all it started) that its cgroup recorded. Needs
cgroups (run as root) and the real data:

    CNNLAB_DATA=/work/shared/data python bench/peak_memory.py                 # every notebook
    CNNLAB_DATA=/work/shared/data python bench/peak_memory.py 03_conv_arithmetic
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import nbtools  # noqa: E402
from cnnlab import release  # noqa: E402
from cnnlab.grade import autograde as ag  # noqa: E402
from cnnlab.grade import cgroups  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ids", nargs="*", help="assignments (default: every notebook in solutions/)")
    parser.add_argument("--limit-mb", type=int, default=16384, help="memory limit while measuring")
    args = parser.parse_args()
    if cgroups.available():
        print(f"cannot measure: {cgroups.available()}", file=sys.stderr)
        return 2
    ids = args.ids or nbtools.solution_ids()
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
    rows = []
    with tempfile.TemporaryDirectory(prefix="cnnlab-peak-") as tmp:
        course = Path(tmp) / "course"
        for aid in ids:
            release.build_course(nbtools.SOLUTIONS, course, [aid])
            folder = course / "submitted" / "solved" / aid
            folder.mkdir(parents=True)
            nbtools.filled_submission(course / "release" / aid / f"{aid}.ipynb", nbtools.SOLUTIONS / f"{aid}.ipynb",
                                      folder / f"{aid}.ipynb")
            # A fresh kernel: a forked one shares its imports' memory with the fork server, whose
            # cgroup is charged for it, so its own peak would understate what the notebook needs.
            limits = ag.Limits(memory_mb=args.limit_mb, submission_timeout=1800, fork_server=False)
            [out] = ag.autograde(course, jobs=1, limits=limits, assignments=[aid], progress=False)
            rows.append((aid, out.peak_memory_mb, out.score, out.max_score, out.seconds))
            print(f"{aid:28s} peak {out.peak_memory_mb or float('nan'):7.0f} MiB   score {out.score}/{out.max_score}"
                  f"   {out.seconds:6.1f} s   {out.status} {out.reason}", flush=True)
    print(f"load average after: {os.getloadavg()}")
    print("\n| notebook | peak memory (MiB) | score |\n|---|---|---|")
    for aid, peak, score, max_score, _ in rows:
        print(f"| `{aid}` | {peak:.0f} | {score:g}/{max_score:g} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
