"""Benchmark: plain sequential `nbgrader autograde` against `cnnlab grade autograde` (parallel, sandboxed).

Builds a simulated class, 8 submissions per notebook by default (solved, wrong -- every answer
replaced by its first plausible wrong version from tests/mutants/ -- and blank, in turn: 3, 3
and 2), lays out two identical nbgrader course folders, then grades one with nbgrader's own CLI
(`nbgrader autograde <assignment>`, all students, one after another) and the
other with `cnnlab grade autograde -j JOBS` (and, with --scheduler, through a local Dask
scheduler with 1 and 2 workers), notebook by notebook, each cnnlab run right after plain
nbgrader's. Prints, per notebook, the seconds of each, the ratio to plain nbgrader and whether
it meets the target, and asserts that every submission got the same score in every run.

Why 8 a notebook: the target is about what grading costs per submission. With 4, two workers
grade two rounds of two, and the fixed start and the last round's idle core, which no engine can
fill, weigh twice as much (README, "Grading speed").

    CNNLAB_DATA=/work/shared/data python bench/autograde.py               # every notebook, 8 each
    CNNLAB_DATA=/work/shared/data python bench/autograde.py --notebooks 01_knn --per-notebook 40
    CNNLAB_DATA=/work/shared/data python bench/autograde.py --scheduler   # also via Dask, 1 and 2 workers
    CNNLAB_DATA=/work/shared/data python bench/autograde.py --cell-timeout 120   # a loaded machine
    CNNLAB_DATA=/work/shared/data python bench/autograde.py --split-plain   # also plain nbgrader x 2 in parallel

Run it on an otherwise idle machine: the ratio depends on free cores (note `uptime`).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.8  # -j 2 against plain nbgrader, on 2 cores, for every notebook
sys.path.insert(0, str(ROOT / "tests"))

import nbtools  # noqa: E402
from cnnlab import release  # noqa: E402
from cnnlab.grade import nbgrader_api  # noqa: E402


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


def _timed(cmd: list[str], **kwargs) -> tuple[float, float]:
    """Run ``cmd``; return its wall seconds and the CPU seconds (user + system) of it and every descendant
    it waited for (what a perfect scheduler would have to spread over the cores)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, **kwargs)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def _grade_cnnlab(bindir: str, env: dict, course: Path, ids: list[str], extra: list[str]) -> dict[str, float]:
    """Seconds per notebook of `cnnlab grade autograde -a <id>` (one call per notebook).

    (Its CPU seconds are not reported: the sandboxed kernels' processes are not all waited for by a
    process this one waits for, so getrusage would miss most of them.)"""
    times = {}
    for aid in ids:
        times[aid], _ = _timed([os.path.join(bindir, "cnnlab"), "grade", "autograde", "--course", str(course),
                                "-a", aid, *extra], env=env, check=True, stdout=subprocess.DEVNULL)
    return times


def _dask_cluster(bindir: str, env: dict, workers: int, threads: int):
    """A scheduler and ``workers`` Dask workers on 127.0.0.1; returns (address, processes)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    env = {**env, **{v: str(threads) for v in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")}}
    procs = [subprocess.Popen([os.path.join(bindir, "dask"), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                               "--no-dashboard"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    procs += [subprocess.Popen([os.path.join(bindir, "dask"), "worker", address, "--nthreads", "1", "--no-nanny",
                                "--host", "127.0.0.1", "--no-dashboard"], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(workers)]
    from distributed import Client

    with Client(address, timeout=60) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="*", help="assignments (default: every notebook in solutions/)")
    parser.add_argument("--per-notebook", type=int, default=8,
                        help="submissions per notebook (default 8: solved, wrong and blank in turn)")
    parser.add_argument("--jobs", type=int, default=2, help="cnnlab workers (default 2, one per core)")
    parser.add_argument("--cell-timeout", type=int, default=30,
                        help="seconds per cell, on both sides (default 30, nbgrader's; raise it on a loaded machine, "
                             "where importing TensorFlow in a notebook's first cell can take longer)")
    parser.add_argument("--scheduler", action="store_true",
                        help="also grade through a local Dask scheduler with 1 and 2 workers")
    parser.add_argument("--split-plain", action="store_true",
                        help="also time two plain nbgrader processes side by side, each grading half of the "
                             "class: what this machine's cores give plain nbgrader's own work in parallel")
    args = parser.parse_args()
    if not os.environ.get("CNNLAB_DATA"):
        print("set CNNLAB_DATA to the folder with CIFAR-10/MNIST", file=sys.stderr)
        return 2
    ids = args.notebooks or nbtools.solution_ids()
    bindir = str(Path(sys.executable).parent)
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""), "PYTHONWARNINGS": "ignore"}
    print(f"cores: {os.cpu_count()}, load average before: {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="cnnlab-bench-") as tmp:
        plain = Path(tmp) / "plain"
        release.build_course(nbtools.SOLUTIONS, plain, ids)
        subs = build_class(plain, ids, args.per_notebook * len(ids))
        pool = f"cnnlab -j {args.jobs}"  # the run the target is about
        runs = {pool: (Path(tmp) / "pool", ["-j", str(args.jobs)])}
        if args.scheduler:
            for n in (1, 2):
                runs[f"dask, {n} worker(s)"] = (Path(tmp) / f"dask{n}", n)
        for folder, _ in runs.values():
            shutil.copytree(plain, folder)
        halves = [Path(tmp) / "half0", Path(tmp) / "half1"] if args.split_plain else []
        for i, folder in enumerate(halves):  # every other student of each notebook in each half
            shutil.copytree(plain, folder)
            for aid in ids:
                mine = [st for st, a in subs if a == aid][i::2]
                for st, a in subs:
                    if a == aid and st not in mine:
                        shutil.rmtree(folder / "submitted" / st / aid)
        per_nb = {aid: sum(1 for _, a in subs if a == aid) for aid in ids}
        print(f"class: {len(subs)} submissions over {', '.join(ids)}")

        # Notebook by notebook, plain nbgrader and then each cnnlab run right after it, so that a
        # change in the machine's load hits both sides of a ratio alike.
        clusters = {}
        t_plain: dict[str, float] = {}
        cpu_plain: dict[str, float] = {}
        t_split: dict[str, float] = {}
        timings: dict[str, dict[str, float]] = {name: {} for name in runs}
        try:
            for name, (_, how) in runs.items():
                if isinstance(how, int):  # a Dask cluster of `how` workers, 2 // how threads each
                    clusters[name] = _dask_cluster(bindir, env, how, max(1, 2 // how))
            for aid in ids:
                if halves:
                    t0 = time.perf_counter()
                    procs = [subprocess.Popen(
                        [os.path.join(bindir, "nbgrader"), "autograde", aid, "--force", f"--CourseDirectory.root={h}",
                         "--CourseDirectory.course_id=cnnlab", f"--Execute.timeout={args.cell_timeout}",
                         "--log-level=ERROR"], cwd=h, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                        for h in halves]
                    for proc in procs:
                        proc.wait()
                    t_split[aid] = time.perf_counter() - t0
                t_plain[aid], cpu_plain[aid] = _timed(
                    [os.path.join(bindir, "nbgrader"), "autograde", aid, "--force", f"--CourseDirectory.root={plain}",
                     "--CourseDirectory.course_id=cnnlab", f"--Execute.timeout={args.cell_timeout}",
                     "--log-level=ERROR"], cwd=plain, env=env, check=False, stdout=subprocess.DEVNULL)
                for name, (folder, how) in runs.items():
                    if isinstance(how, int):
                        extra = ["--scheduler", clusters[name][0], "--threads", str(max(1, 2 // how))]
                    else:
                        extra = how
                    timings[name].update(_grade_cnnlab(bindir, env, folder, [aid],
                                                       [*extra, "--timeout", str(args.cell_timeout)]))
        finally:
            for _, procs in clusters.values():
                for proc in procs:
                    proc.terminate()
                    proc.wait()

        print(f"load average after: {os.getloadavg()}")
        names = list(runs)
        cores = os.cpu_count() or 1
        # The ceiling: plain nbgrader's CPU seconds spread perfectly over every core. A notebook whose
        # kernel already keeps several cores busy (TensorFlow, BLAS) leaves a parallel grader little to gain.
        if halves:  # the peer: plain nbgrader's own work, split over two processes, on the same cores
            names = ["2 x plain, each half the class"] + names
            timings[names[0]] = t_split
        print("\n| notebook | n | plain nbgrader (s) | its CPU (s) | ceiling | "
              + " | ".join(f"{n} (s, ratio)" for n in names) + f" | ≥ {TARGET}x |")
        print("|---|---|---|---|---|" + "---|" * len(names) + "---|")
        for aid in ids:
            cells = [f"{timings[n][aid]:.1f} ({t_plain[aid] / timings[n][aid]:.2f}x)" for n in names]
            ceiling = cores * t_plain[aid] / max(cpu_plain[aid], 1e-9)
            met = "yes" if t_plain[aid] / timings[pool][aid] >= TARGET else "**no**"
            print(f"| `{aid}` | {per_nb[aid]} | {t_plain[aid]:.1f} | {cpu_plain[aid]:.1f} | {ceiling:.2f}x | "
                  + " | ".join(cells) + f" | {met} |")
        total_plain, total_cpu = sum(t_plain.values()), sum(cpu_plain.values())
        cells = [f"{sum(timings[n].values()):.1f} ({total_plain / sum(timings[n].values()):.2f}x)" for n in names]
        print(f"| all | {len(subs)} | {total_plain:.1f} | {total_cpu:.1f} | "
              f"{cores * total_plain / max(total_cpu, 1e-9):.2f}x | " + " | ".join(cells) + " | |")
        print(f"ceiling: {cores} cores x plain's wall / plain's CPU seconds, the most any grader doing plain's work "
              "could gain here")
        print(f"target: -j 2 at least {TARGET}x plain nbgrader on 2 cores for every notebook")

        a = scores(plain)
        if halves:
            split = {**scores(halves[0]), **scores(halves[1])}
            assert split == a, "the two halves' scores differ from plain nbgrader's"
        for name, (folder, _) in runs.items():
            b = scores(folder)
            assert len(a) == len(b) == len(subs), (name, len(a), len(b), len(subs))
            diff = {k: (a[k], b.get(k)) for k in a if a[k] != b.get(k)}
            assert not diff, f"{name}: scores differ: {diff}"
        print("scores: identical for every submission and every graded cell, in every run")
    return 0


if __name__ == "__main__":
    sys.exit(main())
