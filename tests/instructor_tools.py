"""A tiny nbgrader assignment and a simulated class (honest, broken and hostile students).

Used by tests/test_instructor_*.py: the tiny notebook runs in well under a
second per submission, so the hostile cases stay fast; the real notebooks are
covered by the 01_knn end-to-end test.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

TINY = "99_tiny"
# Strings that occur only in the hidden tests: no feedback file and no student may ever see them.
HIDDEN_MARKERS = ["HIDDEN-ADD-7f3a", "HIDDEN-MUL-91c2", "add(10, 32) == 42", "mul(-3, 5) == -15"]


def _meta(grade_id, *, solution=False, grade=False, points=0, locked=False):
    meta = {"grade": grade, "grade_id": grade_id, "locked": locked, "schema_version": 3, "solution": solution}
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


# The tiny assignment's written question (tiny_source(written=True)): 2 points, graded by hand.
WRITTEN_ID = "q_commutes"
WRITTEN_MODEL = "Because addition of numbers is commutative, add(a, b) and add(b, a) return the same value."
WRITTEN_RUBRIC = [(1, "names commutativity"), (1, "says why the order of the arguments cannot matter")]
WRITTEN_ANSWER = "Adding numbers does not depend on their order, so swapping a and b changes nothing at all."


def written_cells() -> list:
    """The question, the answer cell (model answer and rubric inside nbgrader's solution markers), the reveal cell."""
    from cnnlab import questions

    return [
        new_markdown_cell("**Question (2 points).** Why does `add(1, 2)` equal `add(2, 1)`? Answer below."),
        new_markdown_cell(questions.answer_cell_source(WRITTEN_MODEL, WRITTEN_RUBRIC),
                          metadata=_meta(WRITTEN_ID, solution=True, grade=True, points=2)),
        new_code_cell(questions.reveal_source(WRITTEN_ID, None), metadata={"cnnlab": {"reveal": WRITTEN_ID}}),
    ]


def tiny_source(path: Path, written: bool = False) -> Path:
    """Write the nbgrader source notebook of the tiny assignment: add (1 point) and mul (2 points).

    ``written``: also a written question worth 2 points (:func:`written_cells`), after ``add``.
    """
    cells = [
        new_markdown_cell("# Tiny assignment\nWrite `add` and `mul`."),
        new_code_cell("import numpy as np"),
        new_code_cell("def add(a, b):\n    \"\"\"a + b\"\"\"\n    ### BEGIN SOLUTION\n    return a + b\n"
                      "    ### END SOLUTION", metadata=_meta("add", solution=True)),
        new_code_cell('"""add returns the sum."""\nassert add(1, 2) == 3\n### BEGIN HIDDEN TESTS\n'
                      'assert add(10, 32) == 42  # HIDDEN-ADD-7f3a\n### END HIDDEN TESTS',
                      metadata=_meta("add_test", grade=True, points=1, locked=True)),
        new_code_cell("def mul(a, b):\n    \"\"\"a * b\"\"\"\n    ### BEGIN SOLUTION\n    return a * b\n"
                      "    ### END SOLUTION", metadata=_meta("mul", solution=True)),
        new_code_cell('"""mul returns the product."""\nassert mul(6, 7) == 42\n### BEGIN HIDDEN TESTS\n'
                      'assert mul(-3, 5) == -15  # HIDDEN-MUL-91c2\n### END HIDDEN TESTS',
                      metadata=_meta("mul_test", grade=True, points=2, locked=True)),
    ]
    if written:
        cells[4:4] = written_cells()
    nb = new_notebook(cells=cells, metadata={"kernelspec": {"display_name": "Python 3 (ipykernel)",
                                                            "language": "python", "name": "python3"}})
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path


RIGHT = {"add": "def add(a, b):\n    return a + b", "mul": "def mul(a, b):\n    return a * b"}
WRONG_MUL = "def mul(a, b):\n    return abs(a) * b"   # passes the visible test, fails the hidden one


def tiny_course(root: Path, written: bool = False, **config) -> Path:
    """``root/solutions`` with the tiny source and ``root/course`` released from it (nbgrader ``config``)."""
    from cnnlab import release

    tiny_source(root / "solutions" / f"{TINY}.ipynb", written=written)
    release.build_course(root / "solutions", root / "course", [TINY], **config)
    return root / "course"


def answered(released: Path, answers: dict[str, str]) -> nbformat.NotebookNode:
    """The released notebook with some answer cells replaced (by grade_id)."""
    nb = nbformat.read(released, as_version=4)
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = answers[gid]
    return nb


def hostile_class(released: Path, course_dir: Path) -> dict[str, dict]:
    """student → {"nb": notebook or raw bytes, "expect": (score or None if rejected), "why": ...}.

    The hostile code knows the real course folder's absolute path (the worst case).
    """
    course = str(course_dir)
    leak = (
        "import glob, os\n"
        f"COURSE = {course!r}\n"
        "found = []\n"
        "for pattern in ['../source/*/*.ipynb', '../../source/*/*.ipynb', '../../../source/*/*.ipynb',\n"
        "                '../../../*.db', COURSE + '/source/*/*.ipynb', COURSE + '/gradebook.db',\n"
        "                COURSE + '/submitted/*/*/*.ipynb', '/tmp/cnnlab-grading-*/*/*/*',\n"
        "                '/dev/shm/cnnlab-grading-*/*/*/*', '/dev/shm/cnnlab-grading-*/*/*/*/*',\n"
        "                '/tmp/*/source/*/*.ipynb', '/work/*/solutions/*.ipynb']:\n"
        "    for path in glob.glob(pattern):\n"
        "        try:\n"
        "            found.append(path + ': ' + open(path, 'rb').read().decode('latin-1'))\n"
        "        except OSError:\n"
        "            pass\n"
        "print('LEAKED', len(found), found)\n"
        "def add(a, b):\n    return a + b"
    )
    vandal = (
        "import glob, os, sqlite3\n"
        f"COURSE = {course!r}\n"
        "done = []\n"
        "try:\n"
        "    con = sqlite3.connect(COURSE + '/gradebook.db'); con.execute('DELETE FROM grade'); con.commit()\n"
        "    done.append('gradebook')\n"
        "except Exception:\n"
        "    pass\n"
        "for path in glob.glob(COURSE + '/submitted/*/*/*.ipynb') + glob.glob(COURSE + '/autograded/*/*/*.ipynb'):\n"
        "    try:\n"
        "        open(path, 'w').write('{}'); done.append(path)\n"
        "    except OSError:\n"
        "        pass\n"
        "print('VANDALISED', done)\n"
        "def add(a, b):\n    return a + b"
    )
    rel = nbformat.read(released, as_version=4)
    deleted = answered(released, RIGHT)
    deleted.cells = [c for c in deleted.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "add_test"]
    edited = answered(released, {"add": "def add(a, b):\n    return 0", "mul": RIGHT["mul"]})
    for cell in edited.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "add_test":
            cell.source = "pass  # the student removed the test"
    foreign = answered(released, RIGHT)
    foreign.cells.append(new_code_cell("assert True", metadata=_meta("extra_test", grade=True, points=5, locked=True)))
    badpoints = answered(released, RIGHT)
    for cell in badpoints.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "add_test":
            cell.metadata["nbgrader"]["points"] = "many"
    return {
        "correct": {"nb": answered(released, RIGHT), "expect": 3, "why": "right answers"},
        "foreign": {"nb": foreign, "expect": 3, "flag": "foreign grade cells not graded: extra_test",
                    "why": "a grade cell the assignment lacks: graded on the known cells, flagged"},
        "badpoints": {"nb": badpoints, "expect": None, "reason": "could not convert string to float: 'many'",
                      "why": "broken nbgrader metadata: rejected with nbgrader's own error"},
        "partial": {"nb": answered(released, {**RIGHT, "mul": WRONG_MUL}), "expect": 1, "why": "mul fails a hidden test"},
        "blank": {"nb": rel, "expect": 0, "why": "nothing written"},
        "loop": {"nb": answered(released, {**RIGHT, "add": "while True:\n    pass"}), "expect": 2,
                 "why": "infinite loop in add: interrupted after the cell timeout"},
        "stubborn": {"nb": answered(released, {**RIGHT, "add": "import signal\nsignal.signal(signal.SIGINT, "
                                               "signal.SIG_IGN)\nwhile True:\n    pass"}),
                     "expect": 0, "why": "loop that ignores interrupts: kernel stopped, later cells not run"},
        "exit": {"nb": answered(released, {**RIGHT, "mul": "import os\nos._exit(1)"}), "expect": 1,
                 "why": "os._exit(1) in mul: add still counts, mul_test not run"},
        "membomb": {"nb": answered(released, {**RIGHT, "add": "x = bytearray(64 * 2**30)\n" + RIGHT["add"]}),
                    "expect": 2, "why": "memory bomb: MemoryError in add, mul still graded"},
        "deleted": {"nb": deleted, "expect": 3, "why": "deleted a test cell: nbgrader puts it back"},
        "edited": {"nb": edited, "expect": 2, "why": "edited a test cell: nbgrader restores it"},
        "notjson": {"nb": b"this is not a notebook {", "expect": None, "reason": "not a valid Jupyter notebook",
                    "why": "not JSON: rejected"},
        "bigoutput": {"nb": answered(released, {**RIGHT, "add": RIGHT["add"] + "\nprint('x' * 20_000_000)"}),
                      "expect": 3, "why": "20 MB output: truncated, still graded"},
        "update": {"nb": answered(released, {**RIGHT, "add": RIGHT["add"] + "\nfrom IPython.display import display\n"
                                             "h = display('small', display_id=True)\nh.update('x' * 10**7)"}),
                   "expect": 3, "why": "10 MB through update_display_data: capped like any output"},
        "noisyfail": {"nb": answered(released, {**RIGHT, "mul": "def mul(a, b):\n    print('x' * 3_000_000)\n"
                                                "    return 0"}),
                      "expect": 1, "why": "a failing test after 3 MB of output: the error still counts"},
        "reader": {"nb": answered(released, {**RIGHT, "add": leak}), "expect": 3,
                   "why": "tries to read the source notebooks, the gradebook and others' work"},
        "vandal": {"nb": answered(released, {**RIGHT, "add": vandal}), "expect": 3,
                   "why": "tries to wipe the gradebook and overwrite other students' notebooks"},
    }


def write_submission(folder: Path, aid: str, nb) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{aid}.ipynb"
    if isinstance(nb, bytes):
        path.write_bytes(nb)
    else:
        nbformat.write(nb, path)
    return path


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}
