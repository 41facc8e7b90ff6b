"""`cnnlab grade collect`: LMS zips and folders into nbgrader's submitted/, never overwriting silently."""

from __future__ import annotations

import zipfile

import nbformat
import pytest

import instructor_tools as it
from cnnlab import cli
from cnnlab.grade.collect import collect

pytestmark = pytest.mark.nbgrader


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("collect")
    return it.tiny_course(root)


@pytest.fixture()
def fresh(course, tmp_path):
    import shutil

    dest = tmp_path / "course"
    shutil.copytree(course, dest)
    released = dest / "release" / it.TINY / f"{it.TINY}.ipynb"
    return dest, released


def _nb(released, add="def add(a, b):\n    return a + b"):
    return nbformat.writes(it.answered(released, {"add": add}))


def test_folder_layout_and_unmatched_files(fresh, tmp_path):
    course, released = fresh
    src = tmp_path / "download"
    for student in ("alice", "bob"):
        (src / student).mkdir(parents=True)
        (src / student / f"{it.TINY}.ipynb").write_text(_nb(released))
    (src / "carol").mkdir()
    (src / "carol" / "homework.ipynb").write_text(_nb(released))
    (src / "notes.txt").write_text("not a notebook")
    (src / "bad id!").mkdir()
    (src / "bad id!" / f"{it.TINY}.ipynb").write_text(_nb(released))
    report = collect(src, course)
    assert sorted(report.imported) == [f"alice/{it.TINY}", f"bob/{it.TINY}"]
    reasons = dict(report.unmatched)
    assert "unknown notebook homework.ipynb" in reasons["carol/homework.ipynb"]
    assert "not a notebook" in reasons["notes.txt"]
    assert "not a usable student id" in reasons[f"bad id!/{it.TINY}.ipynb"]
    assert (course / "submitted" / "alice" / it.TINY / f"{it.TINY}.ipynb").exists()


def test_never_overwrites_silently(fresh, tmp_path):
    course, released = fresh
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    with zipfile.ZipFile(first, "w") as z:
        z.writestr(f"export/alice/{it.TINY}.ipynb", _nb(released))
    with zipfile.ZipFile(second, "w") as z:
        z.writestr(f"export/alice/{it.TINY}.ipynb", _nb(released, "def add(a, b):\n    return 0"))
    dest = course / "submitted" / "alice" / it.TINY / f"{it.TINY}.ipynb"
    assert collect(first, course).imported == [f"alice/{it.TINY}"]
    original = dest.read_bytes()
    assert collect(first, course).unchanged == [f"alice/{it.TINY}"]
    kept = collect(second, course)
    assert [k for k, _ in kept.kept] == [f"alice/{it.TINY}"] and "--replace" in kept.kept[0][1]
    assert dest.read_bytes() == original
    replaced = collect(second, course, replace=True)
    assert replaced.replaced == [f"alice/{it.TINY}"]
    assert dest.read_bytes() != original
    archived = list((course / ".cnnlab" / "replaced" / "alice" / it.TINY).glob(f"*/{it.TINY}.ipynb"))
    assert [p.read_bytes() for p in archived] == [original]


def test_lms_file_names_through_nbgrader_collector_with_nested_zip(fresh, tmp_path):
    course, released = fresh
    inner = tmp_path / "inner.zip"
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr(f"dave_attempt_2024-01-30-15-00-00_{it.TINY}.ipynb", _nb(released))
    lms = tmp_path / "lms.zip"
    with zipfile.ZipFile(lms, "w") as z:
        z.writestr(f"erin_attempt_2024-01-29-10-00-00_{it.TINY}.ipynb", _nb(released))
        z.writestr(f"erin_attempt_2024-01-30-11-00-00_{it.TINY}.ipynb", _nb(released, "def add(a, b):\n    return b + a"))
        z.writestr("readme_no_match.ipynb", "{}")
        z.write(inner, "nested/inner.zip")
    regexp = r".*?(?P<student_id>[a-z]+)_attempt_(?P<timestamp>[0-9\-]+)_(?P<file_id>\w+)"
    report = collect(lms, course, regexp=regexp)
    assert sorted(report.imported) == [f"dave/{it.TINY}", f"erin/{it.TINY}"]
    erin = (course / "submitted" / "erin" / it.TINY / f"{it.TINY}.ipynb").read_text()
    assert "b + a" in erin  # the later of erin's two files
    assert (course / "submitted" / "erin" / it.TINY / "timestamp.txt").read_text().startswith("2024-01-30 11:00:00")
    reasons = dict(report.unmatched)
    assert "older than" in reasons[f"erin_attempt_2024-01-29-10-00-00_{it.TINY}.ipynb"]
    assert "does not match the pattern" in reasons["readme_no_match.ipynb"]


def test_cli_collect_reports_and_warns_about_broken_notebooks(fresh, tmp_path, capsys):
    course, released = fresh
    (tmp_path / "in" / "frank").mkdir(parents=True)
    (tmp_path / "in" / "frank" / f"{it.TINY}.ipynb").write_text("not json")
    assert cli.main(["grade", "collect", str(tmp_path / "in"), "--course", str(course)]) == 0
    out = capsys.readouterr().out
    assert "collected 1 new" in out and "WARNING frank" in out and "autograde will reject it" in out


def test_student_ids_match_in_full_and_every_unmatched_member_is_listed(fresh, tmp_path):
    course, released = fresh
    lms = tmp_path / "lms.zip"
    with zipfile.ZipFile(lms, "w") as z:
        z.writestr(f"alice\n/{it.TINY}.ipynb", _nb(released))
        z.writestr(f"../evil/{it.TINY}.ipynb", _nb(released))
        z.writestr(f"dl/../../bob/{it.TINY}.ipynb", _nb(released))
        z.writestr("__MACOSX/carol/._x.ipynb", "junk")
        z.writestr(f"dave/{it.TINY}.ipynb", _nb(released))
    report = collect(lms, course)
    assert report.imported == [f"dave/{it.TINY}"]
    reasons = dict(report.unmatched)
    assert "'alice\\n' is not a usable student id" in reasons[f"alice\n/{it.TINY}.ipynb"]
    assert "unsafe path" in reasons[f"../evil/{it.TINY}.ipynb"]
    assert "unsafe path" in reasons[f"dl/../../bob/{it.TINY}.ipynb"]
    assert "ignored" in reasons["__MACOSX/carol/._x.ipynb"]
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["dave"]
    lines = report.lines()
    assert all("\n" not in line for line in lines)
    assert any(line.startswith("  NOT MATCHED 'alice\\n/") for line in lines), lines


def test_autograde_skips_a_folder_that_is_no_student_id(fresh):
    from cnnlab.grade.course import Course

    course, released = fresh
    folder = course / "submitted" / "alice\n" / it.TINY
    folder.mkdir(parents=True)
    nbformat.write(it.answered(released, {}), folder / f"{it.TINY}.ipynb")
    assert Course(course).submissions() == []
    [(name, why)] = Course(course).invalid_folders()
    assert name == "alice\n" and "not a usable student id" in why
