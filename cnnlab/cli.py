"""The ``cnnlab`` command.

``cnnlab start [DIR]`` is the student's: it copies the course notebooks into a
work folder (never overwriting one) and starts JupyterLab there. It needs only
the student install; the other commands need the instructor install.
``cnnlab release`` regenerates the student notebooks (and, with ``--course``,
an nbgrader course folder). ``cnnlab grade <step>`` runs the instructor's
grading steps on a course folder: ``release``, ``collect``, ``autograde``,
``feedback``, ``report``, the instructor reports ``similarity`` and ``lms``, and ``retrain`` (re-train
the capstone's top entries to check its budget).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path


def _release_args(p: argparse.ArgumentParser, course_default: Path | None, model_answers: bool) -> None:
    p.add_argument("ids", nargs="*", help="assignments to release, e.g. 01_knn (default: all)")
    p.add_argument("--solutions", type=Path, default=Path("solutions"),
                   help="folder of nbgrader source notebooks (default: ./solutions)")
    p.add_argument("--notebooks", type=Path, default=Path("notebooks"),
                   help="where the student notebooks go (default: ./notebooks)")
    p.add_argument("--course", type=Path, default=course_default,
                   help="also lay out an nbgrader course folder here (source/, release/, gradebook, "
                        "nbgrader_config.py for the formgrader)")
    p.add_argument("--db", help="gradebook SQLAlchemy URL (default: sqlite, <course>/gradebook.db)")
    p.add_argument("--model-answers", action=argparse.BooleanOptionalAction, default=model_answers,
                   help="put the written questions' model answers in the student notebooks, for self-learners "
                        f"to reveal after answering (default: {'yes' if model_answers else 'no: a graded class'})")


def _course_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--course", type=Path, default=Path("course"), help="nbgrader course folder (default: ./course)")
    p.add_argument("--db", help="gradebook SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db "
                                "(default: sqlite, <course>/gradebook.db)")


def _select_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("-a", "--assignment", action="append", help="only this assignment (repeatable)")
    p.add_argument("-s", "--student", action="append", help="only this student (repeatable)")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cnnlab", description="Tools for the cnnlab course.")
    sub = parser.add_subparsers(dest="command", required=True)
    start = sub.add_parser("start", help="copy the course notebooks into your work folder and open JupyterLab")
    start.add_argument("work_dir", nargs="?", type=Path, default=Path("work"),
                       help="your work folder (default: ./work); notebooks already there are never overwritten")
    start.add_argument("--course-notebooks", type=Path,
                       help="the course's notebooks/ folder (default: ./notebooks)")
    start.add_argument("--no-lab", action="store_true", help="only copy the notebooks; do not start JupyterLab")
    rel = sub.add_parser("release", help="regenerate the student notebooks from solutions/ with nbgrader")
    _release_args(rel, None, model_answers=True)

    grade = sub.add_parser("grade", help="grade a class: release, collect, autograde, feedback, report")
    steps = grade.add_subparsers(dest="step", required=True)
    g_rel = steps.add_parser("release", help="student notebooks and an nbgrader course folder")
    _release_args(g_rel, Path("course"), model_answers=False)

    col = steps.add_parser("collect", help="import an LMS zip or a folder of <student>/<notebook>.ipynb")
    col.add_argument("source", type=Path, help="zip file or folder of submissions")
    _course_args(col)
    col.add_argument("--regexp", help="match file names with nbgrader's zip_collect named_regexp, e.g. "
                                      r"'(?P<student_id>[^_/]+)_\d+_(?P<file_id>.+)'")
    col.add_argument("--replace", action="store_true",
                     help="replace earlier submissions that differ (the earlier ones are archived)")
    col.add_argument("--max-mb", type=int, default=20, help="largest notebook accepted (MiB, default 20)")

    auto = steps.add_parser("autograde", help="grade new or changed submissions in parallel, sandboxed")
    _course_args(auto)
    _select_args(auto)
    auto.add_argument("-j", "--jobs", type=int, default=os.cpu_count() or 1,
                      help="parallel workers (default: number of CPUs)")
    auto.add_argument("--scheduler", metavar="tcp://HOST:8786",
                      help="grade on the workers of this Dask scheduler instead of -j local processes")
    auto.add_argument("--force", action="store_true", help="regrade every submission, changed or not")
    auto.add_argument("--timeout", type=int, default=30, help="seconds per cell (nbgrader's default 30)")
    auto.add_argument("--notebook-timeout", type=int, default=600, help="seconds per notebook (default 600)")
    auto.add_argument("--memory-mb", type=int, default=None,
                      help="memory of a sandbox, all its processes together (MiB; default: cnnlab.grade.worker.Limits)")
    auto.add_argument("--threads", type=int, default=0,
                      help="BLAS/TensorFlow threads per kernel (default: CPUs // jobs)")
    auto.add_argument("--no-sandbox", action="store_true",
                      help="run kernels unsandboxed, as plain nbgrader does (only for trusted submissions)")
    auto.add_argument("--no-fork-server", action="store_true",
                      help="start every kernel fresh instead of forking it from one that has imported the "
                           "notebook's modules (slower; see README, Speed)")

    fb = steps.add_parser("feedback", help="per-student HTML feedback without hidden tests")
    _course_args(fb)
    _select_args(fb)

    rep = steps.add_parser("report", help="grades CSV, per-exercise statistics and a plot")
    _course_args(rep)
    rep.add_argument("--out", type=Path, help="output folder (default: <course>/reports)")
    rep.add_argument("--roster", type=Path, help="CSV mapping student ids to LMS ids/emails/names for the "
                                                 "Canvas and Moodle files (default: nbgrader's student table)")

    ret = steps.add_parser("retrain", help="re-train the capstone's top leaderboard entries to check the budget")
    ret.add_argument("assignment", help="the open assignment, e.g. 11_capstone")
    _course_args(ret)
    ret.add_argument("--top", type=int, default=5, help="how many of the best entries (default 5)")
    ret.add_argument("--timeout", type=int, default=900, help="seconds per cell (default 900: training runs in full)")
    ret.add_argument("--out", type=Path, help="output folder (default: <course>/reports)")
    ret.add_argument("--no-sandbox", action="store_true", help="run kernels unsandboxed (only for trusted submissions)")

    sim = steps.add_parser("similarity", help="pairs of students whose answer cells are unusually similar")
    _course_args(sim)
    sim.add_argument("-a", "--assignment", action="append", help="only this assignment (repeatable)")
    sim.add_argument("--threshold", type=float,
                     help="flag pairs scoring at least this (default: cnnlab.grade.similarity.THRESHOLD, 0.5)")
    sim.add_argument("--out", type=Path, help="output folder (default: <course>/reports/similarity)")

    lms = steps.add_parser("lms", help="grades in Canvas's and Moodle's grade-import CSV formats")
    _course_args(lms)
    lms.add_argument("--roster", type=Path, help="CSV mapping student ids to LMS ids/emails/names "
                                                 "(default: nbgrader's student table)")
    lms.add_argument("--out", type=Path, help="output folder (default: <course>/reports)")
    return parser


def _start(args, lab_args: list[str]) -> int:
    from .start import StartError, launch_jupyterlab, prepare

    try:
        report = prepare(args.work_dir, args.course_notebooks)
        print("\n".join(report.lines()))
        if args.no_lab:
            return 0
        print(f"Starting JupyterLab in {args.work_dir}/ (stop it with Ctrl+C) ...")
        return launch_jupyterlab(args.work_dir, lab_args)
    except StartError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _release(args) -> int:
    from . import release as release_mod

    for path in release_mod.release(args.solutions, args.notebooks, args.ids or None, args.model_answers):
        print(f"wrote {path}")
    print("model answers: " + ("in the student notebooks (self-learners reveal them after answering)"
                               if args.model_answers else "left out (a graded class)"))
    if args.course:
        config = {"CourseDirectory.db_url": args.db} if args.db else {}
        ids = release_mod.build_course(args.solutions, args.course, args.ids or None,
                                       model_answers=args.model_answers, **config)
        from .grade.sandbox import SandboxUnavailable, check_available

        try:
            check_available()
            sandbox = True
        except SandboxUnavailable as exc:
            print(f"note: {exc}", file=sys.stderr)
            sandbox = False
        cfg = release_mod.write_nbgrader_config(args.course, args.db, sandbox)
        print(f"course folder {args.course}: assignments {', '.join(ids)}; formgrader config {cfg}")
    return 0


def _grade(args) -> int:
    warnings.filterwarnings("ignore", module="nbgrader")
    warnings.filterwarnings("ignore", message=".*not in session.*")
    if args.step == "release":
        return _release(args)
    if args.step == "collect":
        from .grade.collect import collect

        report = collect(args.source, args.course, regexp=args.regexp, replace=args.replace, max_mb=args.max_mb)
        print("\n".join(report.lines()))
        return 0
    if args.step == "autograde":
        from .grade.autograde import Limits, autograde
        from .grade.collect import _shown
        from .grade.sandbox import SandboxUnavailable

        limits = Limits(cell_timeout=args.timeout, submission_timeout=args.notebook_timeout,
                        memory_mb=args.memory_mb or Limits.memory_mb, sandbox=not args.no_sandbox,
                        threads=args.threads, fork_server=not args.no_fork_server)
        try:
            outcomes = autograde(args.course, db_url=args.db, jobs=args.jobs, limits=limits,
                                 assignments=args.assignment, students=args.student, force=args.force,
                                 scheduler=args.scheduler)
        except SandboxUnavailable as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        counts: dict[str, int] = {}
        for o in outcomes:
            counts[o.status] = counts.get(o.status, 0) + 1
            if o.status in ("rejected", "skipped"):
                print(f"{o.status} {_shown(o.student)}/{o.assignment}: {o.reason}")
            for flag in o.flags:
                print(f"review {o.student}/{o.assignment}: {flag}")
        print("autograde: " + (", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "no submissions found"))
        return 0
    if args.step == "feedback":
        from .grade.feedback import generate

        written, problems = generate(args.course, db_url=args.db, assignments=args.assignment,
                                     students=args.student)
        for p in problems:
            print(f"problem: {p}", file=sys.stderr)
        print(f"feedback: wrote {len(written)} file(s) under {args.course / 'feedback'}")
        from .grade import manual
        from .grade.course import Course

        waiting = [a for a in manual.written_answers(Course(args.course, args.db).db_url)
                   if a.status == manual.TO_GRADE and (not args.assignment or a.assignment in args.assignment)
                   and (not args.student or a.student in args.student)]
        if waiting:
            print(f"note: {len(waiting)} written answer(s) not graded yet, so their feedback has no score or "
                  "comment: grade them in the formgrader, then run feedback again")
        return 1 if problems else 0
    if args.step == "report":
        from .grade.report import summary, write_report

        from .grade.lms import RosterError

        try:
            print("\n".join(summary(write_report(args.course, args.out, args.db, roster=args.roster))))
        except RosterError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    if args.step == "retrain":
        from .grade import retrain
        from .grade.sandbox import SandboxUnavailable

        try:
            rows, path = retrain.retrain(args.course, args.assignment, top=args.top, db_url=args.db,
                                         sandbox=not args.no_sandbox, cell_timeout=args.timeout, out_dir=args.out)
        except (ValueError, SandboxUnavailable) as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print("\n".join(retrain.summary(rows, path)))
        return 0
    if args.step == "similarity":
        from .grade import similarity

        try:
            threshold = similarity.THRESHOLD if args.threshold is None else args.threshold
            results = similarity.find_similar(args.course, args.assignment, args.out, threshold=threshold)
        except similarity.SimilarityError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print("\n".join(similarity.summary_lines(results)))
        return 0
    if args.step == "lms":
        from .grade import lms

        try:
            export = lms.write_lms_files(args.course, args.out or args.course / "reports", args.db, args.roster)
        except lms.RosterError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print("\n".join(export.lines()))
        return 0
    raise AssertionError(args.step)


def main(argv: list[str] | None = None) -> int:
    args, unknown = _parser().parse_known_args(argv)
    if args.command == "start":  # anything else on the line goes to JupyterLab, e.g. --no-browser
        return _start(args, unknown)
    if unknown:
        _parser().error(f"unrecognized arguments: {' '.join(unknown)}")
    import cnnlab.grade  # noqa: F401  (before nbformat: it keeps jsonschema's slow, unused grammars out)
    if args.command == "release":
        return _release(args)
    return _grade(args)


if __name__ == "__main__":
    sys.exit(main())
