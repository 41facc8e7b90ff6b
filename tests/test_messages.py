"""What a student sees when something fails, in a real Jupyter kernel (IPython renders the errors).

A failed check is one compact block (case, expected, got, hint) with no frame of cnnlab; an error in
the student's own function shows the traceback into their code; data errors are one paragraph; a
demo cell that needs an unwritten exercise names it. The cell still fails (nbgrader scores it 0).
"""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from cnnlab import messages
from cnnlab.start import StartError, prepare

ANSI = re.compile(r"\x1b\[[0-9;]*m")
CELLS = {
    "setup": "import numpy as np\nfrom cnnlab.checks import knn as check",
    "l2_no_sqrt": "def l2_distance(a, b):\n    d = a.astype(float) - b\n    return np.sum(d ** 2)\n"
                  "check.l2_distance(l2_distance)",
    "raises": "def l1_distance(a, b):\n    return np.abs(a - b).sum(axis=2)\ncheck.l1_distance(l1_distance)",
    "stub": "def compute_distances_no_loops(a, b):\n    raise NotImplementedError()",
    "demo": "d = compute_distances_no_loops(1, 2)",
    "undefined": "print(best_k)",
    "not_done_check": "check.compute_distances_no_loops(compute_distances_no_loops)",
    "data": "import os\nos.environ['CNNLAB_DATA'] = '/nonexistent'\nfrom cnnlab import datasets\n"
            "datasets.load_cifar10(n_train=10, n_test=10)",
    "other": "raise ValueError('other errors keep their usual traceback')",
}


@pytest.fixture(scope="module")
def shown(tmp_path_factory) -> dict[str, tuple[str, list[str]]]:
    """name → (exception name, the lines the notebook shows) for each cell of CELLS."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(src, metadata={"name": name})
                                         for name, src in CELLS.items()])
    NotebookClient(nb, timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path_factory.mktemp("kernel"))}}).execute()
    out = {}
    for cell in nb.cells:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        if errors:
            lines = ANSI.sub("", "\n".join(errors[0].traceback)).splitlines()
            out[cell.metadata["name"]] = (errors[0].ename, lines)
    return out


def test_a_failed_check_is_one_short_block_without_our_frames(shown):
    ename, lines = shown["l2_no_sqrt"]
    assert ename == "CheckError" and len(lines) <= 12
    text = "\n".join(lines)
    assert lines[0] == "✘ l2_distance: the lecture's 4×4 images (L2 = 162.11)"
    assert "expected 162.111" in text and "got      26,280" in text and "np.float64" not in text
    assert "take the square root" in text
    assert "cnnlab" not in text and "Traceback" not in text and "File " not in text


def test_an_error_in_the_students_function_shows_their_code(shown):
    ename, lines = shown["raises"]
    text = "\n".join(lines)
    assert ename == "CheckError" and len(lines) <= 12
    assert "in l1_distance" in text and "return np.abs(a - b).sum(axis=2)" in text
    assert "AxisError" in text and "(4, 4) uint8 array" in text
    assert "cnnlab" not in text and "site-packages" not in text


def test_a_demo_cell_names_the_exercise_to_do_first(shown):
    ename, lines = shown["demo"]
    assert ename == "NotImplementedError"
    assert "needs `compute_distances_no_loops`, which is not written yet" in lines[0]
    ename, lines = shown["undefined"]
    assert ename == "NameError" and "`best_k` is not defined yet" in lines[0]
    assert "Run All Above" in "\n".join(lines)
    ename, lines = shown["not_done_check"]
    assert ename == "NotDoneError" and len(lines) == 1 and "is not written yet" in lines[0]


def test_a_data_error_is_one_paragraph_with_the_fix(shown):
    ename, lines = shown["data"]
    assert ename == "DataError" and len(lines) == 2
    assert "/nonexistent" in lines[1] and "unset CNNLAB_DATA" in lines[1]


def test_other_errors_keep_ipythons_traceback(shown):
    ename, lines = shown["other"]
    assert ename == "ValueError" and any("Traceback" in line for line in lines)
    assert set(shown) == set(CELLS) - {"setup", "stub"}  # every other cell failed, as it should


@pytest.mark.parametrize("value,text", [
    (np.float64(162.11107303327555), "162.111"), (26280.0, "26,280"), (np.int64(3072), "3,072"),
    (1e-8, "1e-08"), (0.5, "0.5"), (float("nan"), "nan"), (True, "True"), ("x", "'x'"),
])
def test_numbers_print_as_a_person_writes_them(value, text):
    assert messages.number(value) == text


def test_start_copies_once_and_never_overwrites(tmp_path):
    course = tmp_path / "notebooks"
    course.mkdir()
    (course / "01_a.ipynb").write_text("v1")
    (course / "02_b.ipynb").write_text("v1")
    work = tmp_path / "work"
    assert prepare(work, course).copied == ["01_a.ipynb", "02_b.ipynb"]
    (work / "01_a.ipynb").write_text("my answers")
    (course / "01_a.ipynb").write_text("v2")
    (course / "03_c.ipynb").write_text("v1")
    report = prepare(work, course)
    assert report.copied == ["03_c.ipynb"] and report.updated == ["01_a.ipynb"]
    assert (work / "01_a.ipynb").read_text() == "my answers"
    assert any("newer 01_a.ipynb" in line for line in report.lines())
    with pytest.raises(StartError, match="must not be the course's own"):
        prepare(course, course)
    (tmp_path / "file").write_text("")
    with pytest.raises(StartError, match="is a file, not a folder"):
        prepare(tmp_path / "file", course)
    with pytest.raises(StartError, match="No course notebooks found"):
        prepare(work, tmp_path / "nowhere")
