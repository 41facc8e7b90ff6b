"""`report`'s static flags: each construct is named with its cell, and honest solutions raise none.

The analysis reads the submitted notebook's source in the grader (cnnlab.grade.static_rules);
no kernel runs here.
"""

from __future__ import annotations

import copy

import nbformat
import pytest

import instructor_tools as it
import nbtools
from cnnlab.grade import report, static_rules

# The release's own imports and uses of checks modules (as notebook 5 binds notebook 2's as `lectures`).
GIVEN = ("from cnnlab.checks import knn as check\nfrom cnnlab.checks import convolution as lectures\n"
         "check.knn_predict\nlectures.EXAMPLES")

# (answer code for the `add` cell, the construct the flag must name)
CONSTRUCTS = [
    ("def add(a, b):\n    return eval('a + b')", "line 2: eval"),
    ("exec('def add(a, b): return a + b')", "line 1: exec"),
    ("f = eval\ndef add(a, b):\n    return f('a+b')", "line 1: eval"),
    ("np = __import__('numpy')\ndef add(a, b):\n    return a + b", "line 1: __import__"),
    ("import builtins\nimp = builtins.__import__", "line 2: __import__"),
    ("import importlib\nm = importlib.import_module('cnnlab.checks.knn')", "line 1: importlib"),
    ("from importlib import import_module", "line 1: importlib"),
    ("import importlib as il\nil.reload(np)", "line 2: importlib"),
    ("import sys\nsys.modules['cnnlab.checks.knn'].knn_predict = print", "line 2: sys.modules"),
    ("import sys as s\nmods = s.modules", "line 2: sys.modules"),
    ("from sys import modules", "line 1: sys.modules"),
    ("ip = get_ipython()\nip.set_custom_exc((Exception,), lambda *a: None)", "line 1: get_ipython()"),
    ("from IPython import get_ipython", "line 1: get_ipython()"),
    ("%config InlineBackend.figure_format = 'svg'", "line 1: get_ipython() (%config magic)"),
    ("!rm -rf /tmp/x", "line 1: get_ipython() (shell escape !)"),
    ("name = 'kn' + 'n_predict'\nf = getattr(check, name)", "line 2: getattr with a computed name"),
    ("setattr(check, 'knn_' + 'predict', print)", "line 1: setattr with a computed name"),
    ("from cnnlab.checks.core import fail", "line 1: cnnlab internals: cnnlab.checks.core.fail"),
    ("from cnnlab.checks import core", "line 1: cnnlab internals: cnnlab.checks.core"),
    ("from cnnlab.checks import pooling as check", None),  # allowed: a checks module bound as `check`
    ("from cnnlab.checks import pooling as p", "line 1: cnnlab internals: cnnlab.checks.pooling as p"),
    ("import cnnlab.grade.feedback", "line 1: cnnlab internals: cnnlab.grade.feedback"),
    ("from cnnlab import release", "line 1: cnnlab internals: cnnlab.release"),
    ("import cnnlab\nx = cnnlab.messages", "line 2: cnnlab internals: cnnlab.messages"),
    ("from cnnlab.datasets import _cache", "line 1: cnnlab internals: cnnlab.datasets._cache"),
    ("def add(a, b):\n    return check._l2_matrix(a, b)", "line 2: cnnlab internals: check._l2_matrix"),
    ("def add(a, b):\n    return check.reference_pool(a, b)", "line 2: cnnlab internals: check.reference_pool"),
    ("check.knn_predict = lambda f: None", "line 1: changes check.knn_predict"),
    ("x = lectures.correlate_multi", "line 1: cnnlab internals: lectures.correlate_multi"),
    ("from cnnlab.checks import knn as lectures", "line 1: cnnlab internals: cnnlab.checks.knn as lectures"),
    ("x = " + "-" * 100_000 + "1", "line 0: could not be analysed (nested too deeply)"),
    ("class Anything:\n    def __getattr__(self, n):\n        return print\ncheck = Anything()",
     "line 4: rebinds check"),
]

# Ordinary code that must not be flagged.
HONEST = [
    "def add(a, b):\n    return getattr(np, 'add')(a, b)",      # getattr with a literal name
    "from cnnlab import datasets, viz\nx = datasets.load_mnist",
    "import numpy as np\nimport sys\nprint(sys.version)",
    "check.knn_predict(print)",                                  # the release itself calls it
    "x = lectures.EXAMPLES",
    "from cnnlab.checks import convolution as lectures",          # the release's own import, repeated
    "def add(a, b)\n    return a + b",                            # a syntax error runs nothing
    "evaluation = 1\nexecuted = 2\nmodules = [1]\nx.modules = 3",  # names that only look alike
]


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    """The tiny assignment's release, with the checks import and one visible `check` call added."""
    from cnnlab import release

    root = tmp_path_factory.mktemp("static")
    src = it.tiny_source(root / "solutions" / f"{it.TINY}.ipynb")
    nb = nbformat.read(src, as_version=4)
    nb.cells.insert(1, nbformat.v4.new_code_cell(GIVEN))
    nbformat.write(nb, src)
    release.build_course(root / "solutions", root / "course", [it.TINY])
    return root / "course" / "release" / it.TINY / f"{it.TINY}.ipynb"


def _flags(released, code: str) -> list[str]:
    nb = it.answered(released, {**it.RIGHT, "add": code})
    return static_rules.notebook_findings(nb, nbformat.read(released, as_version=4))


def _add_cell_index(released) -> int:
    nb = nbformat.read(released, as_version=4)
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == "add") + 1


@pytest.mark.parametrize("code, construct", CONSTRUCTS, ids=[c[1] or "allowed" for c in CONSTRUCTS])
def test_each_construct_is_flagged_with_its_cell(released, code, construct):
    found = _flags(released, code)
    if construct is None:
        assert found == []
    else:
        assert f"cell {_add_cell_index(released)} (add), {construct}" in found, found


@pytest.mark.parametrize("code", HONEST)
def test_ordinary_code_is_not_flagged(released, code):
    assert _flags(released, code) == []


def test_given_cells_are_not_analysed(released):
    """The release's own imports and calls are not the student's code; a changed given cell is."""
    nb = it.answered(released, it.RIGHT)
    nb.cells[1].source += "\n%matplotlib inline"
    found = static_rules.notebook_findings(nb, nbformat.read(released, as_version=4))
    assert found == ["cell 2, line 5: get_ipython() (%matplotlib magic)"]


def test_report_flags_name_notebook_cell_and_construct(released, tmp_path):
    path = it.write_submission(tmp_path, it.TINY, it.answered(released, {**it.RIGHT, "add": CONSTRUCTS[0][0]}))
    found = report.flags(path, released)
    assert f"{it.TINY}.ipynb: cell {_add_cell_index(released)} (add), line 2: eval" in found


def _without_answers(nb):
    """The solution notebook as released: its answer cells' sources replaced."""
    given = copy.deepcopy(nb)
    for cell in given.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = "# YOUR CODE HERE\nraise NotImplementedError()"
    return given


@pytest.mark.parametrize("path", sorted(nbtools.SOLUTIONS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_honest_solutions_raise_no_flag(path):
    nb = nbformat.read(path, as_version=4)
    answers = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]
    assert answers, f"{path.name} has answer cells"
    assert static_rules.notebook_findings(nb, _without_answers(nb)) == []
