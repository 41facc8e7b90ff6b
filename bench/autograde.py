"""Benchmark: plain sequential `nbgrader autograde` against `cnnlab grade autograde` (parallel, sandboxed).

Builds a simulated class of at least 40 submissions spread over the course's
notebooks (solved, wrong -- every answer replaced by its first plausible wrong
version from tests/mutants/ -- and blank, in turn), lays out two identical
nbgrader course folders, then grades one with nbgrader's own CLI
(`nbgrader autograde <assignment>`, all students, one after another) and the
other with `cnnlab grade autograde -j JOBS`. Prints submissions per minute for
each and the ratio, and asserts that every submission got the same score.

    CNNLAB_DATA=/work/shared/data python bench/autograde.py               # all notebooks, >= 40 submissions
    CNNLAB_DATA=/work/shared/data python bench/autograde.py --notebooks 01_knn --submissions 40

Run it on an otherwise idle machine: the ratio depends on free cores (note `uptime`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import nbtools  # noqa: E402
from cnnlab import nbgrader_api, release  # noqa: E402


def build_class(course: Path, ids: list[str], total: int) -> list[tuple[str, str]]:
    """Write ``total`` submissions into ``course/submitted``; return (student, assignment) pairs."""
    subs = []
    kinds = ["solved", "wrong", "blank"]
    for i in range(total):
        aid = ids[i % len(ids)]
        kind = kinds[(i // len(ids)) % len(kinds)]
        student = f"s{i:03d}_{kind}"
        folder = course / "submitted" / student / aid
        folder.mkdir(parents=True)
        released = course / "release" / aid / f"{aid}.ipynb"
        solution = nbtools.SOLUTIONS / f"{aid}.ipynb"
        out = folder / f"{aid}.ipynb"
        if kind == "blank":
            shutil.copyfile(released, out)
        else:
            wrong = {g: v[0]["source"] for g, v in nbtools.mutants(aid).items()} if kind == "wrong" else None
            nbtools.filled_submission(released, solution, out, wrong)
        subs.append((student, aid))
    return subs


def scores(course: Path) -> dict[tuple[str, str], tuple[float, ...]]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course}/gradebook.db", nbgrader_api.COURSE_ID) as gb:
        return {(sub.student.id, a.name): tuple(sorted((g.name, g.score) for nb in sub.notebooks for g in nb.grades))
                for a in gb.assignments for sub in a.submissions}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="*", help="assignments (default: every notebook in solutions/)")
    parser.add_argument("--submissions", type=int, default=40, help="class size (default 40)")
    parser.add_argument("--jobs", type=int, default=2, help="cnnlab workers (default 2, one per core)")
    args = parser.parse_args()
    if not os.environ.get("CNNLAB_DATA"):
        print("set CNNLAB_DATA to the folder with CIFAR-10/MNIST", file=sys.stderr)
        return 2
    ids = args.notebooks or nbtools.solution_ids()
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""), "PYTHONWARNINGS": "ignore"}
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="cnnlab-bench-") as tmp:
        plain, ours = Path(tmp) / "plain", Path(tmp) / "cnnlab"
        release.build_course(nbtools.SOLUTIONS, plain, ids)
        subs = build_class(plain, ids, args.submissions)
        shutil.copytree(plain, ours)
        print(f"class: {len(subs)} submissions over {', '.join(ids)}")

        t0 = time.perf_counter()
        for aid in ids:
            subprocess.run([os.path.join(bindir, "nbgrader"), "autograde", aid, "--force",
                            f"--CourseDirectory.root={plain}", "--CourseDirectory.course_id=cnnlab",
                            "--log-level=ERROR"], cwd=plain, env=env, check=False,
                           stdout=subprocess.DEVNULL)
        t_plain = time.perf_counter() - t0

        t0 = time.perf_counter()
        subprocess.run([os.path.join(bindir, "cnnlab"), "grade", "autograde", "--course", str(ours),
                        "-j", str(args.jobs)], env=env, check=True, stdout=subprocess.DEVNULL)
        t_ours = time.perf_counter() - t0

        a, b = scores(plain), scores(ours)
        print(f"load average after: {os.getloadavg()}")
        n = len(subs)
        print(f"plain nbgrader autograde (sequential): {n} in {t_plain:7.1f} s = {60 * n / t_plain:5.2f} submissions/min")
        print(f"cnnlab grade autograde -j {args.jobs} (sandboxed): {n} in {t_ours:7.1f} s = "
              f"{60 * n / t_ours:5.2f} submissions/min")
        print(f"ratio: {t_plain / t_ours:.2f}x (target >= 1.8x on 2 cores)")
        total = lambda s: round(sum(x for _, x in s), 6)  # noqa: E731
        print("mean score (plain, cnnlab): "
              f"{sum(total(v) for v in a.values()) / len(a):.2f}, {sum(total(v) for v in b.values()) / len(b):.2f}")
        assert len(a) == len(b) == n, (len(a), len(b), n)
        diff = {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)}
        assert not diff, f"scores differ: {diff}"
        print("scores: identical for every submission and every graded cell")
    return 0


if __name__ == "__main__":
    sys.exit(main())
