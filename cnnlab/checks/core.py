"""The machinery every check uses: calling student code, comparing, messages.

Messages follow the order in which students fail: not run or not written yet
→ returned nothing → wrong type → wrong shape → wrong dtype → wrong values on
the simplest case → edge cases. Each message names the case, shows what was
expected and what came back, and ends with a hint.
"""

from __future__ import annotations

import ast
import dis
import inspect
import json
import textwrap
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from cnnlab import messages

from . import record


class CheckError(AssertionError):
    """A self-check failed. The message is written for the student.

    In a notebook it shows as one compact block (:func:`cnnlab.messages.render_check_error`):
    no frames of the checks themselves, and the traceback into the student's own
    code when their function raised (that error is the ``__cause__``).
    """

    def _render_traceback_(self) -> list[str]:
        return messages.render_check_error(self)


class NotDoneError(CheckError, NotImplementedError):
    """The exercise still raises ``NotImplementedError``: nothing to check yet.

    It is a ``NotImplementedError`` too, so a blank notebook fails in the same
    way everywhere: in the exercise cell, its check, and the cells that use it.
    """


def _fmt(value: Any, limit: int = 6) -> str:
    """Short, readable rendering of a value for a message."""
    if isinstance(value, (int, float, np.number)) and not isinstance(value, bool):
        return messages.number(value)
    if isinstance(value, np.ndarray):
        body = np.array2string(value, threshold=limit * limit, edgeitems=3, precision=4)
        return f"array of shape {value.shape}, dtype {value.dtype}:\n{textwrap.indent(body, '    ')}"
    text = repr(value)
    return text if len(text) < 300 else text[:300] + " …"


def fail(name: str, case: str, message: str, hint: str = "", cause: BaseException | None = None) -> None:
    """Raise a :class:`CheckError` in the course's message format.

    ``cause``: the exception the student's own code raised, shown as the traceback into their code.
    """
    lines = [f"{name}: {case}", textwrap.indent(message, "  ")]
    if hint:
        lines.append(f"Hint: {hint}")
    raise CheckError("\n".join(lines)) from cause


def require_function(name: str, func: Any) -> None:
    """The object passed in must be a function (not None, not a result)."""
    if not callable(func):
        fail(name, "is it defined?",
             f"expected a function, got {type(func).__name__}: {_fmt(func)}",
             f"pass the function itself, `check.{name}({name})`, not the result of calling it.")


def call(name: str, func: Callable, *args: Any, case: str = "", **kwargs: Any) -> Any:
    """Call the student's ``func``; turn the blank stub into :class:`NotDoneError`.

    Arrays are copied first, so a function that modifies its input cannot
    spoil the next case, and that mistake is reported.
    """
    require_function(name, func)
    copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    try:
        result = func(*copies, **kwargs)
    except NotImplementedError:
        raise NotDoneError(
            f"{name} is not written yet: replace `raise NotImplementedError()` in its cell "
            f"with your code, run that cell, then run this check again.") from None
    except CheckError:
        raise
    except Exception as err:  # show the student's own error, with the case that caused it
        fail(name, f"{case or 'your function'} raised {type(err).__name__}",
             f"{type(err).__name__}: {err}\nyour function was called with: {_describe_args(args, kwargs)}",
             "the traceback above points at the line in your function that failed.", cause=err)
        raise  # unreachable; keeps type checkers happy
    for before, after in zip(args, copies):
        if isinstance(before, np.ndarray) and not np.array_equal(before, after, equal_nan=True):
            fail(name, case, "your function changed one of its input arrays in place.",
                 "work on a copy (`x = x.astype(np.float64)` makes one) instead of writing into the input.")
    return result


def _describe_args(args: Sequence[Any], kwargs: dict) -> str:
    """``a: (4, 4) uint8 array, k=3``: the shapes of the arguments, not their pixels."""
    def one(value: Any) -> str:
        if isinstance(value, np.ndarray):
            return f"{value.shape} {value.dtype} array"
        return _fmt(value)[:60]
    parts = [one(a) for a in args] + [f"{k}={one(v)}" for k, v in kwargs.items()]
    return ", ".join(parts) or "no arguments"


def expect_scalar(name: str, got: Any, expected: float, *, case: str, hint: str = "",
                  rtol: float = 1e-7, atol: float = 1e-9) -> None:
    """``got`` must be one real number close to ``expected``."""
    if got is None:
        fail(name, case, "your function returned None.", "did you forget the `return` statement?")
    arr = np.asarray(got)
    if arr.shape != () or not np.issubdtype(arr.dtype, np.number):
        fail(name, case, f"expected a single number, got {_fmt(got)}",
             "sum over all pixels so that the result is one number, e.g. `np.sum(...)`.")
    if not np.isclose(float(arr), expected, rtol=rtol, atol=atol):
        fail(name, case, f"expected {messages.number(expected)}\ngot      {messages.number(float(arr))}", hint)


def expect_array(name: str, got: Any, expected: np.ndarray, *, case: str, hint: str = "",
                 dtype: Any = None, rtol: float = 1e-7, atol: float = 1e-9) -> None:
    """``got`` must be an array of ``expected``'s shape (and ``dtype``, if given) and values."""
    expected = np.asarray(expected)
    if got is None:
        fail(name, case, "your function returned None.", "did you forget the `return` statement?")
    if not isinstance(got, np.ndarray):
        fail(name, case, f"expected a NumPy array, got {type(got).__name__}",
             "return a NumPy array, e.g. `np.array(result)`.")
    if got.shape != expected.shape:
        fail(name, case, f"expected shape {expected.shape}\ngot shape      {got.shape}", hint)
    if dtype is not None and got.dtype != np.dtype(dtype):
        fail(name, case, f"expected dtype {np.dtype(dtype)}\ngot dtype      {got.dtype}",
             f"convert with `.astype(np.{np.dtype(dtype)})`.")
    if np.issubdtype(expected.dtype, np.floating) or np.issubdtype(got.dtype, np.floating):
        if np.isnan(got).any() and not np.isnan(expected).any():
            fail(name, case, f"your result contains NaN at {int(np.isnan(got).sum())} place(s).", hint)
        bad = ~np.isclose(got, expected, rtol=rtol, atol=atol)
    else:
        bad = got != expected
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        fail(name, case,
             f"{int(bad.sum())} of {bad.size} values differ; the first at index {where}:\n"
             f"expected {_fmt(expected[where])}\ngot      {_fmt(got[where])}", hint)


def expect_equal(name: str, got: Any, expected: Any, *, case: str, hint: str = "") -> None:
    """``got`` must equal ``expected`` (numbers, tuples, strings)."""
    if got is None and expected is not None:
        fail(name, case, "your function returned None.", "did you forget the `return` statement?")
    if got != expected:
        fail(name, case, f"expected {_fmt(expected)}\ngot      {_fmt(got)}", hint)


def count_loops(func: Callable) -> int | None:
    """How many ``for``/``while`` loops and comprehensions ``func`` has.

    Read from its source; for a function without source (made by ``exec``),
    from its bytecode. None when neither is available (loop rules are then
    not checked).
    """
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(func)))
    except (OSError, TypeError, SyntaxError):
        code = getattr(func, "__code__", None)
        return None if code is None else _bytecode_loops(code)
    loop_types = (ast.For, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
    return sum(isinstance(node, loop_types) for node in ast.walk(tree))


def _bytecode_loops(code) -> int:
    ops = [ins.opname for ins in dis.get_instructions(code)]
    fors = ops.count("FOR_ITER")
    whiles = int(fors == 0 and any(op.startswith("JUMP_BACKWARD") for op in ops))
    return fors + whiles + sum(_bytecode_loops(c) for c in code.co_consts if hasattr(c, "co_code"))


def passed(name: str, n_cases: int) -> None:
    """Print the one-line success message (stdout: stderr would cost nbgrader points)."""
    print(f"✔ {name}: all {n_cases} checks passed.")


def random_images(rng: np.random.Generator, shape: Sequence[int]) -> np.ndarray:
    """uint8 images with values 0–255, like CIFAR-10's."""
    return rng.integers(0, 256, size=tuple(shape), dtype=np.uint8)


# --------------------------------------------------------------------------- collect, judge, publish

SUITES = ("visible", "hidden")
EXPECTED_DIR = Path(__file__).resolve().parent / "expected"


def topic_of(module: Any) -> str:
    """``pooling`` for the module ``cnnlab.checks.pooling``, its name, or "pooling"."""
    return (module if isinstance(module, str) else module.__name__).rsplit(".", 1)[-1]


@lru_cache(maxsize=None)
def _stored(topic: str) -> dict:
    path = EXPECTED_DIR / f"{topic}.json"
    with open(path, encoding="utf-8") as f:
        return record.decode(json.load(f))


def stored(module: Any) -> dict:
    """The stored expected values of a checks module's visible cases.

    ``{exercise: {"expected": data, "mistakes": {label: data}}}``: what the course's
    solutions give on the visible cases, and what the usual mistakes give (to name a
    hint). Written by ``python -m cnnlab.grade.expected`` from the solutions; a test
    regenerates them.
    """
    return _stored(topic_of(module))


def run_check(name: str, module: Any, suite: str, collect: Callable[[], Any],
              judge: Callable[[Any, dict], int], expected: Callable[[], dict] | None = None) -> None:
    """Run one exercise's check: collect the student's outputs, judge the visible cases, publish.

    ``collect()`` runs the student's function on the ``suite``'s cases and returns plain
    data (it raises :class:`CheckError` when the function crashes or is not written);
    ``judge(data, expected)`` raises :class:`CheckError` on the first wrong case and
    returns how many cases it checked; ``expected`` is ``{"suite": ..., "expected": data,
    "mistakes": {label: data}}`` (what a correct answer and the usual mistakes give; ``expected()``,
    if given, computes it here instead of reading the stored values). The visible cases are judged here, against the
    stored values, so a student sees the result at once (also in Colab, without
    nbgrader); the hidden cases' values are on the grader's side only. Either way the
    data is published with the message (:func:`cnnlab.checks.record.publish`), and the
    grader judges it again in its own process: what this function decides never
    counts for a grade.
    """
    if suite not in SUITES:
        raise ValueError(f"suite must be one of {SUITES}, not {suite!r}")
    _RAISED.clear()
    # Judge exactly what the grader will read back (tuples become lists, arrays plain arrays).
    data = record.decode(record.encode(collect()))
    if suite == "visible":
        want = expected() if expected is not None else stored(module)[name]
        n = judge(data, {"mistakes": {}, **want, "suite": "visible"})
        text = f"✔ {name}: all {n} checks passed."
    else:
        text = f"{name}: the hidden cases ran; the grader judges them."
    record.publish(name, suite, data, text)


def per_case(name: str, got: Any, n: int) -> list:
    """The collected results of ``n`` cases, as a list (anything else is data no check made: a failure)."""
    if not isinstance(got, list) or len(got) != n:
        fail(name, "every case", "the check did not get one result per case.", "run the check cell again, unchanged.")
    return got


def per_case_at(name: str, data: Any, key: str, n: int) -> list:
    """``data[key]`` of collected data, one result per case (else a failure, as :func:`per_case`)."""
    return per_case(name, data.get(key) if isinstance(data, dict) else None, n)


def expected_per_case(expected: dict, key: str, n: int) -> list:
    """``expected["expected"][key]``: what a correct answer gives on each of the ``n`` cases.

    A ``ValueError`` (a course bug, never the student's) when the stored values do not fit the cases.
    """
    want = expected["expected"].get(key) if isinstance(expected.get("expected"), dict) else None
    if not isinstance(want, list) or len(want) != n:
        raise ValueError(f"the expected values hold no {key!r} for these {n} cases")
    return want


def mistakes_at(expected: dict, key: str, i: int, hints: dict) -> dict:
    """The stored mistakes' results under ``key`` for case ``i``, in the order of ``hints``."""
    found = {}
    for label in hints:
        m = expected.get("mistakes", {}).get(label)
        results = m.get(key) if isinstance(m, dict) else None
        if isinstance(results, list) and i < len(results):
            found[label] = results[i]
    return found


def returned(value: Any) -> Any:
    """What a student's function returned, as data: a numeric array as it is, else its description.

    ``{"returned": "None"}`` or ``{"returned": "list: [1, 2]"}``: judges turn these into the
    "expected an array" messages. Subclasses of ndarray become plain arrays.
    """
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        return np.array(value)
    if value is None:
        return {"returned": "None"}
    return {"returned": f"{type(value).__name__}: {_fmt(value)}"}


def number(value: Any) -> Any:
    """A returned single real number as a float, else its description (as :func:`returned`)."""
    if value is not None and not isinstance(value, (str, bytes)):
        try:
            arr = np.asarray(value)
        except Exception:  # objects NumPy cannot read
            arr = None
        if arr is not None and arr.shape == () and arr.dtype.kind in "biuf":
            return float(arr)
    return returned(value)


_RAISED: dict[str, CheckError] = {}


def attempt(name: str, func: Callable, *args: Any, case: str = "", to_data: Callable[[Any], Any] = returned,
            **kwargs: Any) -> Any:
    """``to_data(func(*args, **kwargs))``, or ``{"raised": message}`` where the student's function crashed.

    A crash is data like any result, so the judge reports the cases in order (a wrong value
    in an early case before a crash in a later one). The blank stub still stops at once
    (:class:`NotDoneError`). In this process the crash keeps its traceback for :func:`reraise`.
    """
    try:
        return to_data(call(name, func, *args, case=case, **kwargs))
    except NotDoneError:
        raise
    except CheckError as err:
        _RAISED[str(err)] = err
        return {"raised": str(err)}


def reraise(got: Any) -> None:
    """If the collected ``got`` is a crash, raise its CheckError (with the student's traceback, when this
    process collected it)."""
    if isinstance(got, dict) and isinstance(got.get("raised"), str):
        err = _RAISED.pop(got["raised"], None)
        raise err if err is not None else CheckError(got["raised"])


def expect_returned_array(name: str, got: Any, *, case: str, hint: str = "") -> np.ndarray:
    """``got`` (collected with :func:`attempt` or :func:`returned`) must be an array; return it."""
    reraise(got)
    if isinstance(got, dict) and got.get("returned") == "None":
        fail(name, case, "your function returned None.", "did you forget the `return` statement?")
    if not isinstance(got, np.ndarray):
        fail(name, case, f"expected a NumPy array, got {got.get('returned') if isinstance(got, dict) else got!r}",
             hint or "return a NumPy array, e.g. `np.array(result)`.")
    return got


def matching_mistake(got: Any, mistakes: dict[str, Any], hints: dict[str, str], rtol: float = 1e-6) -> str:
    """The hint of the first stored mistake whose result equals ``got`` ("" if none does)."""
    if not isinstance(got, np.ndarray):
        return ""
    for label, wrong in mistakes.items():
        if label in hints and isinstance(wrong, np.ndarray) and wrong.shape == got.shape:
            try:
                if np.allclose(got.astype(np.float64), wrong.astype(np.float64), rtol=rtol, atol=1e-9):
                    return hints[label]
            except (TypeError, ValueError):
                continue
    return ""
