"""Import students' notebooks into an nbgrader course folder: ``submitted/<student>/<assignment>/``.

The input is an LMS download -- a zip (zips inside it are opened too) or a
folder -- laid out either as ``<student>/<notebook>.ipynb`` (any leading
folders; ``<student>/<assignment>/<notebook>.ipynb`` works too), or with the
student in the file name, matched by a regular expression through nbgrader's
own ``zip_collect`` machinery (:class:`nbgrader.plugins.FileNameCollectorPlugin`,
``named_regexp`` with ``student_id``, ``file_id`` and optionally ``timestamp``
groups; the timestamp goes to ``timestamp.txt`` for nbgrader's late penalties).

A few notebooks come with files the student submits next to them (:data:`COMPANIONS`: the
capstone's trained model and log, ``<student>/capstone.keras``); they go into the same
submission folder, with the notebook they belong to.

Nothing is ever overwritten silently: a file identical to what was collected
before is ``unchanged``; a different one is ``kept`` out (the earlier
submission stays) unless ``replace=True``, which moves the earlier one to
``<course>/.cnnlab/replaced/<student>/<assignment>/<time>/`` first. Every
file that could not be matched is reported with the reason.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

import nbformat

# Matched in full (``fullmatch``): ``$`` alone would accept "alice\n".
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@+-]{0,99}")


def student_id_problem(student: str) -> str:
    """Why ``student`` cannot be a student id (a folder name, a gradebook key, a CSV field), or ""."""
    if STUDENT_ID.fullmatch(student):
        return ""
    return f"{student!r} is not a usable student id (1-100 letters, digits, _ . @ + -; no spaces or line breaks)"

MB = 1024 * 1024
IGNORED = {"__MACOSX", ".DS_Store", ".ipynb_checkpoints", "Thumbs.db"}


def _companions() -> dict[str, str]:
    """file name → the notebook it is submitted with (the capstone's model and training log)."""
    from cnnlab import capstone

    return {capstone.MODEL_FILE: capstone.NOTEBOOK, capstone.LOG_FILE: capstone.NOTEBOOK}


COMPANIONS = _companions()


def _companion(name: str) -> str | None:
    """The companion file name that ``name`` ends with (``alice_2_capstone.keras`` → ``capstone.keras``), or None."""
    return next((c for c in COMPANIONS if PurePosixPath(name).name.endswith(c)), None)


@dataclass
class CollectReport:
    """What ``collect`` did with each file it was given."""

    imported: list[str] = field(default_factory=list)     # "student/assignment"
    replaced: list[str] = field(default_factory=list)     # imported over an earlier, archived submission
    unchanged: list[str] = field(default_factory=list)    # identical to what was collected before
    kept: list[tuple[str, str]] = field(default_factory=list)       # (student/assignment, why the earlier one stays)
    unmatched: list[tuple[str, str]] = field(default_factory=list)  # (file, why)
    warnings: list[tuple[str, str]] = field(default_factory=list)   # (student/assignment, what is wrong with it)

    def lines(self) -> list[str]:
        out = [f"collected {len(self.imported)} new, {len(self.replaced)} replaced, "
               f"{len(self.unchanged)} unchanged; {len(self.kept)} kept earlier; "
               f"{len(self.unmatched)} file(s) not matched"]
        out += [f"  replaced (earlier one archived): {k}" for k in self.replaced]
        out += [f"  KEPT EARLIER {k}: {why}" for k, why in self.kept]
        out += [f"  NOT MATCHED {_shown(name)}: {why}" for name, why in self.unmatched]
        out += [f"  WARNING {k}: {why}" for k, why in self.warnings]
        return out


def _shown(name: str) -> str:
    """A file name on one line: quoted if it holds line breaks or other control characters."""
    return name if name.isprintable() else repr(name)


@dataclass
class _Entry:
    name: str                      # path inside the zip or folder, with / separators
    size: int
    read: Callable[[], bytes]


def _entries(source: Path, max_bytes: int) -> Iterator[_Entry]:
    source = Path(source)
    if source.is_dir():
        for root, dirs, files in os.walk(source):  # does not follow symlinked folders
            dirs[:] = sorted(d for d in dirs if d not in IGNORED)
            for name in sorted(files):
                path = Path(root) / name
                rel = path.relative_to(source).as_posix()
                if path.is_symlink() or not path.is_file():
                    yield _Entry(rel, -1, lambda: b"")
                else:
                    yield _Entry(rel, path.stat().st_size, path.read_bytes)
    elif zipfile.is_zipfile(source):
        yield from _zip_entries(zipfile.ZipFile(source), "", max_bytes, depth=0)
    else:
        raise ValueError(f"{source} is neither a folder nor a zip file")


def _zip_entries(zf: zipfile.ZipFile, prefix: str, max_bytes: int, depth: int) -> Iterator[_Entry]:
    for info in sorted(zf.infolist(), key=lambda i: i.filename):
        if info.is_dir():
            continue
        name = prefix + info.filename
        if info.filename.lower().endswith(".zip") and depth < 2 and info.file_size <= 50 * max_bytes:
            try:
                inner = zipfile.ZipFile(io.BytesIO(zf.read(info)))
            except zipfile.BadZipFile:
                yield _Entry(name, info.file_size, lambda: b"")
                continue
            yield from _zip_entries(inner, name[:-4] + "/", max_bytes, depth + 1)
            continue
        yield _Entry(name, info.file_size, lambda info=info: zf.read(info))


def _notebook_index(course_dir: Path) -> dict[str, str]:
    """notebook name (without .ipynb) → assignment id, from ``release/`` (else ``source/``)."""
    index: dict[str, str] = {}
    for top in ("release", "source"):
        for nb in sorted((Path(course_dir) / top).glob("*/*.ipynb")):
            index.setdefault(nb.stem, nb.parent.name)
        if index:
            break
    return index


def _match(name: str, index: dict[str, str], collector) -> tuple[str, str, str | None] | str:
    """(student, notebook name, timestamp or None) for a file, or why it does not match."""
    parts = PurePosixPath(name).parts
    if name.startswith("/") or ".." in parts:
        return "unsafe path (absolute or with '..'): not imported"
    if any(p in IGNORED or p.startswith(".") for p in parts):
        return "ignored (system or hidden file)"
    companion = _companion(name)
    if not name.endswith(".ipynb") and companion is None:
        return "not a notebook (.ipynb) file"
    if collector is not None:
        info = collector.collect(name)
        if not info or not info.get("student_id") or not info.get("file_id"):
            return f"the file name does not match the pattern {collector.named_regexp!r}"
        student, nb_name, stamp = info["student_id"], PurePosixPath(info["file_id"]).stem, info.get("timestamp")
    else:
        if len(parts) < 2:
            return "not inside a folder named after the student (<student>/<notebook>.ipynb)"
        student, nb_name, stamp = parts[-2], PurePosixPath(parts[-1]).stem, None
        if student in index.values() and len(parts) >= 3:  # <student>/<assignment>/<notebook>.ipynb
            student = parts[-3]
    if companion is not None and not name.endswith(".ipynb"):
        nb_name = COMPANIONS[companion]
    if nb_name not in index:
        return f"unknown notebook {nb_name}.ipynb (expected one of: {', '.join(sorted(index))})"
    problem = student_id_problem(student)
    if problem:
        return problem
    return student, nb_name, stamp or None


def collect(source: Path, course_dir: Path, *, regexp: str | None = None, replace: bool = False,
            max_mb: int = 20) -> CollectReport:
    """Import submissions from a zip or folder into ``course_dir/submitted/``; see the module doc."""
    course_dir = Path(course_dir)
    index = _notebook_index(course_dir)
    if not index:
        raise FileNotFoundError(f"no assignments in {course_dir}/release/: run `cnnlab release --course "
                                f"{course_dir}` first, so that collect knows the notebook names")
    collector = None
    if regexp:
        from nbgrader.plugins import FileNameCollectorPlugin

        collector = FileNameCollectorPlugin(named_regexp=regexp)
    report = CollectReport()
    max_bytes = max_mb * MB
    chosen: dict[tuple[str, str], list[tuple[_Entry, str | None]]] = {}
    companions: dict[tuple[str, str], list[_Entry]] = {}
    for entry in _entries(Path(source), max_bytes):
        got = _match(entry.name, index, collector)
        if isinstance(got, str):  # every file that is not imported is listed, with why
            report.unmatched.append((entry.name, got))
            continue
        if entry.size < 0:
            report.unmatched.append((entry.name, "not a regular file (a link?)"))
            continue
        if entry.size > max_bytes:
            report.unmatched.append((entry.name, f"{entry.size / MB:.0f} MiB, over the {max_mb} MiB limit "
                                                 "(ask the student to clear outputs and resubmit)"))
            continue
        student, nb_name, stamp = got
        if not entry.name.endswith(".ipynb"):  # a file submitted with a notebook: filed after the notebooks
            companions.setdefault((student, nb_name), []).append(entry)
            continue
        chosen.setdefault((student, nb_name), []).append((entry, stamp))

    for (student, nb_name), candidates in sorted(chosen.items()):
        aid = index[nb_name]
        key = f"{student}/{aid}"
        if len(candidates) > 1:
            stamps = [s for _, s in candidates]
            if all(stamps) and len(set(stamps)) == len(stamps):
                candidates.sort(key=lambda c: _parse_time(c[1]))
                for entry, _ in candidates[:-1]:
                    report.unmatched.append((entry.name, f"older than {candidates[-1][0].name} for {key}"))
                candidates = candidates[-1:]
            else:
                names = ", ".join(e.name for e, _ in candidates)
                for entry, _ in candidates:
                    report.unmatched.append((entry.name, f"{len(candidates)} files for {key} in this import "
                                                         f"({names}) and no timestamps to choose: remove all but one"))
                continue
        entry, stamp = candidates[0]
        data = entry.read()
        problem = _notebook_problem(data)
        if problem:
            report.warnings.append((key, f"{entry.name}: {problem}; autograde will reject it"))
        _install(course_dir, student, aid, nb_name, data, stamp, replace, report, key)
    for (student, nb_name), entries in sorted(companions.items()):
        _install_companions(course_dir, student, index[nb_name], nb_name, entries, report)
    return report


def _install_companions(course_dir: Path, student: str, aid: str, nb_name: str, entries: list[_Entry],
                        report: CollectReport) -> None:
    """File the companions of a notebook this import filed (new, replaced or unchanged); never anything else."""
    key = f"{student}/{aid}"
    folder = course_dir / "submitted" / student / aid
    for entry in entries:
        name = _companion(entry.name)
        dest = folder / name
        if key in report.imported or key in report.replaced or (
                key in report.unchanged and (not dest.exists() or dest.read_bytes() == entry.read())):
            tmp = folder / f".{name}.part"
            tmp.write_bytes(entry.read())
            os.replace(tmp, dest)
        elif key in report.unchanged or any(k == key for k, _ in report.kept):
            report.unmatched.append((entry.name, f"differs from the {name} collected before with {nb_name}.ipynb; "
                                                 "the earlier one stays (use --replace with the notebook)"))
        else:
            report.unmatched.append((entry.name, f"submitted without {nb_name}.ipynb: not imported"))


def _parse_time(stamp: str):
    from nbgrader.utils import parse_utc

    return parse_utc(stamp)


def _notebook_problem(data: bytes) -> str:
    try:
        nbformat.validate(nbformat.reads(data.decode("utf-8"), as_version=4))
    except Exception as exc:
        return f"not a valid notebook ({type(exc).__name__})"
    return ""


def _install(course_dir: Path, student: str, aid: str, nb_name: str, data: bytes, stamp: str | None,
             replace: bool, report: CollectReport, key: str) -> None:
    folder = course_dir / "submitted" / student / aid
    dest = folder / f"{nb_name}.ipynb"
    stamp_text = _parse_time(stamp).isoformat(" ") if stamp else None
    if dest.exists():
        same_stamp = stamp_text is None or (folder / "timestamp.txt").exists() and \
            (folder / "timestamp.txt").read_text().strip() == stamp_text
        if dest.read_bytes() == data and same_stamp:
            report.unchanged.append(key)
            return
        if not replace:
            report.kept.append((key, "already collected with different content; the earlier one stays "
                                     "(use --replace to replace it: the earlier one is archived)"))
            return
        when = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        archive = course_dir / ".cnnlab" / "replaced" / student / aid / when
        archive.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(folder, archive)
        dest.unlink()
        (folder / "timestamp.txt").unlink(missing_ok=True)
        report.replaced.append(key)
    else:
        report.imported.append(key)
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{nb_name}.ipynb.part"
    tmp.write_bytes(data)
    os.replace(tmp, dest)
    if stamp_text:
        (folder / "timestamp.txt").write_text(stamp_text)
