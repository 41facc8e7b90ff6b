"""Students who attack the checks instead of solving the exercises (issue 12), graded two ways.

Every verdict is decided outside the student's kernel (cnnlab.grade.judge), so each
attack below must score 0 on an otherwise blank notebook 4, through the real nbgrader
(``nbgrader autograde`` with the course's steps, as the formgrader runs it) and through
``cnnlab grade autograde`` (sandboxed workers). A correct pool2d handed to scikit-image, or
written with a loop, breaks the exercise's rules ("NumPy only", "no Python loops"): that
submission loses exactly pool2d's points.

The assignment is notebook 4's own source, trimmed to its import, answer and test cells
(no figures or experiments), so a submission grades in seconds.
"""

from __future__ import annotations

import textwrap

import nbformat
import pytest

import nbtools
from cnnlab import release
from cnnlab.grade import autograde as ag
from cnnlab.grade import grading
from needs import require_sandbox

pytestmark = pytest.mark.nbgrader

NB = "04_pooling"
FUNCS = {"max_pool2d": "x, size=2, stride=2", "avg_pool2d": "x, size=2, stride=2",
         "pool2d": "x, size=2, stride=2, mode=\"max\"", "max_pool2d_backward": "dout, x, size=2, stride=2"}


def _stubs(body: str) -> dict[str, str]:
    return {name: f"def {name}({args}):\n    {body}\n" for name, args in FUNCS.items()}


def _attack(first: str, body: str = "return x") -> dict[str, str]:
    """Answer cells: ``first`` (the attack) in the first one, then every function as a stub returning ``body``."""
    answers = _stubs(body)
    answers["max_pool2d"] = textwrap.dedent(first) + "\n" + answers["max_pool2d"]
    return answers


ATTACKS = {
    "rebinds_check": _attack("""
        class _Anything:
            def __getattr__(self, name):
                return lambda *args, **kwargs: None
        check = _Anything()
        """),
    "patches_sys_modules": _attack("""
        import sys
        _module = sys.modules["cnnlab.checks.pooling"]
        for _name in dir(_module):
            if not _name.startswith("_") and callable(getattr(_module, _name)):
                setattr(_module, _name, lambda *args, **kwargs: None)
        """),
    "patches_numpy_testing": _attack("""
        import numpy.testing
        np.allclose = lambda *args, **kwargs: True
        np.isclose = lambda a, b, **kwargs: np.ones(np.broadcast(np.asarray(a), np.asarray(b)).shape, bool)
        np.array_equal = lambda *args, **kwargs: True
        numpy.testing.assert_allclose = lambda *args, **kwargs: None
        """, "return np.zeros((2, 2, 1))"),
    "equal_to_everything": _attack("""
        class _Liar(np.ndarray):
            def __eq__(self, other):
                return np.ones(np.shape(other), bool)
            def __ne__(self, other):
                return np.zeros(np.shape(other), bool)
            def __array_ufunc__(self, *args, **kwargs):
                return np.ones((), bool)
        """, "return np.zeros((2, 2, 1)).view(_Liar)"),
    "error_hooks": _attack("""
        import sys
        _shell = get_ipython()
        _shell.set_custom_exc((BaseException,), lambda *args, **kwargs: None)
        _shell.showtraceback = lambda *args, **kwargs: None
        sys.excepthook = lambda *args: None
        """, "raise NotImplementedError()"),
    "forges_records": _attack("""
        from IPython.display import display
        from cnnlab.checks import record as _record
        def _forge(result):
            for ex in ("max_pool2d", "avg_pool2d", "pool2d", "max_pool2d_backward"):
                for suite in ("visible", "hidden"):
                    display({"text/plain": "✔"}, raw=True, metadata={_record.MIME: {
                        "exercise": ex, "suite": suite, "data": {"outputs": []}}})
        get_ipython().events.register("post_run_cell", _forge)
        """),
}

# Reads the visible cases' expected outputs that ship with the package and returns them for exactly
# those inputs: the visible checks pass, the hidden cases (whose values never ship) do not.
HARD_CODED = textwrap.dedent("""
    from cnnlab.checks import core as _core, pooling as _pooling
    _seen = {}
    def _key(ex, x, size, stride, mode="max"):
        return (ex, np.asarray(x).tobytes(), size, stride, mode)
    for _ex, _entry in _core.stored(_pooling).items():
        _exp = _entry["expected"]
        if _ex == "max_pool2d_backward":
            for (_c, _dout, _x, _kw), _out in zip(_pooling.backward_cases(), _exp["outputs"]):
                _seen[_key(_ex, _x, _kw.get("size", 2), _kw.get("stride", 2))] = _out
            continue
        for _mode in ("max", "avg"):
            if (_ex, _mode) in (("max_pool2d", "avg"), ("avg_pool2d", "max")):
                continue
            _outs = _exp[_mode] if _ex == "pool2d" else _exp["outputs"]
            for (_c, _x, _kw), _out in zip(_pooling.forward_cases(_mode), _outs):
                _seen[_key(_ex, _x, _kw.get("size", 2), _kw.get("stride", 2), _mode)] = _out
    def _lookup(*key):
        return _seen.get(_key(*key), np.zeros((1, 1, 1)))

    def max_pool2d(x, size=2, stride=2):
        return _lookup("max_pool2d", x, size, stride, "max")
    """)
ATTACKS["hard_codes_the_stored_answers"] = {
    "max_pool2d": HARD_CODED,
    "avg_pool2d": 'def avg_pool2d(x, size=2, stride=2):\n    return _lookup("avg_pool2d", x, size, stride, "avg")\n',
    "pool2d": ('def pool2d(x, size=2, stride=2, mode="max"):\n    if mode not in ("max", "avg"):\n'
               '        raise ValueError(mode)\n    return _lookup("pool2d", x, size, stride, mode)\n'),
    "max_pool2d_backward": ('def max_pool2d_backward(dout, x, size=2, stride=2):\n'
                            '    return _lookup("max_pool2d_backward", x, size, stride)\n'),
}

# A correct pool2d that breaks a rule: computed by scikit-image (NumPy only), or with a loop (no loops).
POOL2D_SKIMAGE = '''
from skimage.util import view_as_windows

def pool2d(x, size=2, stride=2, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError("mode must be 'max' or 'avg'")
    windows = view_as_windows(x, (size, size, 1), step=(stride, stride, 1))[..., 0]
    return windows.max(axis=(-2, -1)) if mode == "max" else windows.mean(axis=(-2, -1))
'''
# The loop sits in a helper, where the kernel's self-check (which reads pool2d alone) does not see it.
POOL2D_LOOP = '''
def _per_channel(x, pool, size, stride):
    return np.concatenate([pool(x[:, :, c:c + 1], size, stride) for c in range(x.shape[2])], axis=2)

def pool2d(x, size=2, stride=2, mode="max"):
    if mode not in ("max", "avg"):
        raise ValueError("mode must be 'max' or 'avg'")
    return _per_channel(x, max_pool2d if mode == "max" else avg_pool2d, size, stride)
'''
RULE_BREAKERS = {"pool2d_by_scikit_image": POOL2D_SKIMAGE, "pool2d_with_a_loop": POOL2D_LOOP}


def _trimmed_source(solutions: str) -> None:
    """Notebook 4's source with only its checks import, answer cells and test cells (no written questions)."""
    nb = nbtools.read(nbtools.SOLUTIONS / f"{NB}.ipynb")
    keep = [nbformat.v4.new_code_cell("import numpy as np\nfrom cnnlab.checks import pooling as check")]
    keep += [c for c in nb.cells if c.cell_type == "code"
             and (nbtools.nbgrader_meta(c).get("grade") or nbtools.nbgrader_meta(c).get("solution"))]
    nb.cells = keep
    nbformat.write(nb, f"{solutions}/{NB}.ipynb")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = tmp_path_factory.mktemp("tampering")
    (root / "solutions").mkdir()
    _trimmed_source(str(root / "solutions"))
    release.build_course(root / "solutions", root / "course", [NB])
    released = root / "course" / "release" / NB / f"{NB}.ipynb"
    solution = root / "solutions" / f"{NB}.ipynb"
    subs = {}
    for student, answers in ATTACKS.items():
        subs[student] = nbtools.filled_submission(released, solution, root / f"{student}.ipynb", answers)
    for student, source in RULE_BREAKERS.items():
        subs[student] = nbtools.filled_submission(released, solution, root / f"{student}.ipynb", {"pool2d": source})
    subs["solved"] = nbtools.filled_submission(released, solution, root / "solved.ipynb")
    return {"root": root, "solutions": root / "solutions", "subs": subs}


def _expected(student: str, full: float, pool2d_points: float) -> float:
    if student in ATTACKS:
        return 0
    return full - pool2d_points if student in RULE_BREAKERS else full


@pytest.fixture(scope="module")
def by_nbgrader(course):
    return grading.autograde_submissions(course["solutions"], NB, course["subs"], course["root"] / "plain",
                                         **{"Execute.timeout": 60})


def test_the_real_nbgrader_gives_attacks_nothing(by_nbgrader):
    solved = by_nbgrader["solved"]
    assert solved.score == solved.max_score > 0
    pool2d = solved.cells["pool2d_test"].max_score
    for student, result in by_nbgrader.items():
        assert result.score == _expected(student, solved.max_score, pool2d), \
            f"{student}: {result.score} {[(c.grade_id, c.score, c.errors) for c in result.cells.values()]}"
    assert by_nbgrader["pool2d_by_scikit_image"].cells["pool2d_test"].score == 0
    assert "NumPy only" in " ".join(by_nbgrader["pool2d_by_scikit_image"].cells["pool2d_test"].errors)
    assert "no Python loops" in " ".join(by_nbgrader["pool2d_with_a_loop"].cells["pool2d_test"].errors)
    judged = by_nbgrader["solved"].notebook.metadata["cnnlab"]["judged_outside_kernel"]
    assert sorted(judged) == sorted(solved.cells)


def test_cnnlab_grade_gives_attacks_nothing(course, by_nbgrader):
    require_sandbox()
    grade_course = course["root"] / "graded"
    release.build_course(course["solutions"], grade_course, [NB])
    for student, path in course["subs"].items():
        folder = grade_course / "submitted" / student / NB
        folder.mkdir(parents=True)
        (folder / f"{NB}.ipynb").write_bytes(path.read_bytes())
    outcomes = {o.student: o for o in ag.autograde(grade_course, jobs=2, progress=False,
                                                   limits=ag.Limits(cell_timeout=60, memory_mb=4096))}
    for student, outcome in outcomes.items():
        assert outcome.status == "graded", f"{student}: {outcome.reason}"
        assert outcome.score == by_nbgrader[student].score, student


def test_feedback_names_the_broken_rule_and_shows_no_record(by_nbgrader):
    nb = by_nbgrader["pool2d_by_scikit_image"].notebook
    text = nbformat.writes(nb)
    assert "application/vnd.cnnlab.check+json" not in text  # the records never reach a feedback file
    cell = next(c for c in nb.cells if nbtools.nbgrader_meta(c).get("grade_id") == "pool2d_test")
    assert any(o.output_type == "error" and "skimage" in o.evalue for o in cell.outputs)
