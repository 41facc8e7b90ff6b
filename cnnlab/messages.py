"""How errors look to a student in a notebook: one short block, in plain words.

A failed self-check used to end a 30-line traceback through the course's own
modules, which showed the check's source, cases and hints but hid the one line
that matters. Here every error meant for a student renders as a compact block
through IPython's ``_render_traceback_`` protocol:

* a failed check: the exercise and case, what was expected, what came back and
  the hint, and no frame of ``cnnlab`` itself;
* an exception inside the student's own function: the traceback *into the
  student's code* (their cells only), then the case that triggered it;
* a data problem: one paragraph that ends with the fix;
* a demo cell that calls an exercise not written yet, or a name an earlier cell
  should have defined: which exercise or cell to run first.

The error stays an error: Jupyter still marks the cell failed, and nbgrader
still scores it 0. Outside IPython, ``str(error)`` is the same text.
"""

from __future__ import annotations

import numbers
import os
import traceback
from types import TracebackType
from typing import Any

import numpy as np

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
# Frames from these folders are not the student's code: they are our checks, or the
# libraries and interpreter machinery between a notebook cell and the student's function.
_NOT_STUDENT = (_PACKAGE_DIR + os.sep, os.sep + "site-packages" + os.sep, os.sep + "lib" + os.sep + "python")
MAX_STUDENT_FRAMES = 3


def number(value: Any) -> str:
    """A number as a person writes it: ``162.11``, ``26,281``, ``1e-08``, never ``np.float64(…)``."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return repr(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, complex):
        return repr(value)
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        return repr(value)
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value):,}"
    if 1e-4 <= abs(value) < 1e15:
        return f"{value:,.6g}" if abs(value) >= 1e6 else f"{value:.6g}"
    return f"{value:.4g}"


def _cell_name(filename: str) -> str:
    """``Cell In[7]`` for a notebook cell (as IPython names it), else the file's name."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
        label = shell.compile.format_code_name(filename) if shell is not None else None
    except Exception:  # no IPython, or an IPython without format_code_name
        label = None
    return " ".join(label) if label else os.path.basename(filename)


def student_frames(exc: BaseException) -> list[str]:
    """The traceback of ``exc`` through the student's own code only, as display lines.

    Frames of this package, of installed libraries and of Python's standard
    library are left out; so are all but the last few student frames.
    """
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if not any(part in os.path.abspath(f.filename) for part in _NOT_STUDENT)]
    lines = []
    for frame in frames[-MAX_STUDENT_FRAMES:]:
        lines.append(f"  {_cell_name(frame.filename)}, line {frame.lineno}, in {frame.name}")
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    return lines


def error_line(exc: BaseException) -> str:
    """``TypeError: unsupported operand …``: the exception's type and message on one line."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def render_check_error(err: BaseException) -> list[str]:
    """The lines a notebook shows for a failed check (see the module docstring)."""
    lines: list[str] = []
    cause = err.__cause__
    if cause is not None:  # where it went wrong; what went wrong is in the check's own message
        lines.append("Your code raised an error here:")
        lines += student_frames(cause)
        lines.append("")
    lines += ["✘ " + line if i == 0 else line for i, line in enumerate(str(err).splitlines())]
    return lines


def render_paragraph(err: BaseException, title: str) -> list[str]:
    """``title``, then the error's message: for errors whose message already says what to do."""
    return [f"✘ {title}", str(err)]


def _defined_in(tb: TracebackType | None) -> tuple[str, str] | None:
    """(function name, where it was defined) of the innermost frame that raised, if it is the student's."""
    last = None
    while tb is not None:
        last, tb = tb, tb.tb_next
    if last is None:
        return None
    code = last.tb_frame.f_code
    if code.co_name == "<module>" or any(p in os.path.abspath(code.co_filename) for p in _NOT_STUDENT):
        return None
    return code.co_name, _cell_name(code.co_filename)


def _not_written_yet(value: BaseException, tb: TracebackType | None) -> list[str]:
    found = _defined_in(tb)
    if found is None:
        return [f"✘ {error_line(value)}",
                "Something this cell uses is not written yet: finish the exercises above it first."]
    name, where = found
    return [f"✘ This cell needs `{name}`, which is not written yet.",
            f"Do that exercise first: in {where}, where `{name}` is defined, replace "
            "`raise NotImplementedError()` with your code and run it; then run this cell again."]


def _not_defined_yet(value: NameError, tb: TracebackType | None) -> list[str]:
    name = getattr(value, "name", None) or str(value)
    lines = [f"✘ `{name}` is not defined yet."]
    where = student_frames(value)
    if where:
        lines += ["Your code asked for it here:", *where]
    lines.append("If an earlier cell sets it, run the cells above this one (Run ▸ Run All Above Selected "
                 "Cell); if that cell is an exercise, finish it first. If it is a typo, fix the name.")
    return lines


def _custom_handler(shell, etype, value, tb, tb_offset=None):
    """IPython's custom exception hook: our compact blocks for the errors students meet most."""
    if hasattr(value, "_render_traceback_"):
        stb = value._render_traceback_()
    elif isinstance(value, NotImplementedError):
        stb = _not_written_yet(value, tb)
    else:
        stb = _not_defined_yet(value, tb)
    # IPython validates what the hook returns but leaves displaying it to the hook.
    shell._showtraceback(etype, value, stb)
    return stb


def install(shell: Any = None) -> bool:
    """Make IPython show our blocks for NotImplementedError and NameError in any cell.

    Called when a notebook imports its checks. Returns False outside IPython.
    Other exceptions keep IPython's own traceback.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    shell.set_custom_exc((NotImplementedError, NameError), _custom_handler)
    return True
