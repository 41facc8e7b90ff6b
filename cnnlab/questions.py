"""Written questions and "predict, then run", for students working on their own.

A written question is an nbgrader *manually graded answer*: a markdown cell whose
``grade_id`` starts with ``q_``. A human grades it in a graded class. Someone
learning alone (in Colab, say, without nbgrader) can compare with a model answer
instead, but only after writing their own: the cell under each question calls
:func:`reveal`, which shows the model answer once the answer cell holds the
student's own text (at least ``MIN_WORDS`` words). The released notebook carries
the model answer in that call, compressed and base64-encoded so that it cannot be
read by accident; an instructor who grades the answers releases the notebooks
without them (``cnnlab grade release``, or ``cnnlab release --no-model-answers``).

In the instructor's source notebook an answer cell holds the model answer and the
rubric (see :func:`answer_cell_source`); nbgrader's release replaces the whole cell
with ``YOUR ANSWER HERE``.

A prediction is a plain variable the student sets before an experiment
(``my_prediction = None``); after it, :func:`compare_prediction` prints the
prediction beside the measured value. Predictions are never graded.
"""

from __future__ import annotations

import base64
import json
import os
import re
import zlib
from numbers import Real
from pathlib import Path

from . import runtime

STUB = "YOUR ANSWER HERE"           # nbgrader's text stub for a written answer
MIN_WORDS = 8                       # an answer shorter than this is not yet the student's own
QUESTION_PREFIX = "q_"              # grade_id of every written question
MODEL_HEADING = "**Model answer.**"
RUBRIC_HEADING = "**Rubric.**"
_BEGIN, _END = "### BEGIN SOLUTION", "### END SOLUTION"


# --- the answer cell in the instructor's source (one place for its format) ------------------------

def answer_cell_source(model: str, rubric: list[tuple[float, str]]) -> str:
    """The source of a written question's answer cell in ``solutions/``.

    ``rubric``: (points, what earns them) pairs. Everything sits inside nbgrader's
    solution markers, so the released notebook gets only ``YOUR ANSWER HERE``.
    """
    lines = [_BEGIN, f"{MODEL_HEADING} {model.strip()}", "", RUBRIC_HEADING]
    lines += [f"* {_points(p)}: {what.strip()}" for p, what in rubric]
    return "\n".join(lines + [_END])


def _points(p: float) -> str:
    p = float(p)
    return f"{p:g} point" + ("" if p == 1 else "s")


def model_answer(source: str) -> str:
    """The model answer in an answer cell's source (between its two headings); '' if none."""
    match = re.search(re.escape(MODEL_HEADING) + r"\s*(.*?)\s*(?:" + re.escape(RUBRIC_HEADING) + "|" +
                      re.escape(_END) + r"|\Z)", source, flags=re.S)
    return match.group(1).strip() if match else ""


def reveal_source(question_id: str, model: str | None) -> str:
    """The code of the cell under an answer cell, with the model answer encoded in it or left out."""
    call = (f'reveal("{question_id}")' if model is None
            else f'reveal("{question_id}", model="{encode(model)}")')
    return ("# Run this after writing your own answer above: it shows a model answer to compare with.\n"
            "from cnnlab.questions import reveal\n" + call)


def encode(text: str) -> str:
    """Text in a form nobody reads by accident (zlib, then base64)."""
    return base64.b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")


def decode(blob: str) -> str:
    """The text that :func:`encode` encoded."""
    return zlib.decompress(base64.b64decode(blob)).decode("utf-8")


# --- the student's side ---------------------------------------------------------------------------

def is_own_answer(text: str | None) -> bool:
    """True when an answer cell holds at least MIN_WORDS words of the student's own (not the stub)."""
    if not text:
        return False
    words = re.findall(r"\w+", text.replace(STUB, " "))
    return len(words) >= MIN_WORDS


def reveal(question_id: str, model: str | None = None, *, answer: str | None = None) -> str | None:
    """Show the model answer of a written question, once its answer cell holds your own answer.

    ``model``: the encoded model answer (the release writes it; None where the
    instructor left model answers out). ``answer``: your answer as text, for a
    notebook front end this cannot read (by default it is read from the
    notebook's saved file, or in Colab from the open notebook). Prints what to
    do when there is nothing to compare yet. Returns the model answer shown, or
    None. Does nothing under the autograder.
    """
    if runtime.is_autograding():
        return None
    if answer is None:
        answer, where = _answer_in_notebook(question_id)
        if answer is None:
            print(f"Could not read your answer to {question_id}: {where}. Paste it in this cell's call "
                  f'instead, as reveal("{question_id}", ..., answer="your answer"), and run it again.')
            return None
    if not is_own_answer(answer):
        print(f"Write your own answer in the cell above first (at least {MIN_WORDS} words), save the "
              "notebook (Ctrl+S), then run this cell again. Committing to an answer before reading one "
              "is what makes the comparison teach you something.")
        return None
    if model is None:
        print("This copy of the notebook has no model answers: your instructor grades the written "
              "answers and shares model answers after grading.")
        return None
    text = decode(model)
    _show(f"**Model answer to compare with yours.** {text}\n\n*Did yours give the reason, not only the "
          "outcome? A different argument that is correct is as good.*")
    return text


def _show(markdown: str) -> None:
    """Rendered markdown in a notebook, plain text anywhere else."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display(Markdown(markdown))
    else:
        print(markdown)


def _answer_in_notebook(question_id: str) -> tuple[str | None, str]:
    """(source of the answer cell ``question_id``, or None and why it could not be read)."""
    nb, where = _this_notebook()
    if nb is None:
        return None, where
    for cell in nb.get("cells", []):
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") == question_id:
            source = cell.get("source", "")
            return ("".join(source) if isinstance(source, list) else source), ""
    return None, f"{where} has no answer cell {question_id}"


def _this_notebook() -> tuple[dict | None, str]:
    """The notebook this kernel runs, as JSON: Colab's open notebook, else its saved file."""
    if runtime.in_colab():
        try:
            from google.colab import _message  # Colab's own channel to its front end

            return _message.blocking_request("get_ipynb", timeout_sec=10)["ipynb"], "this notebook"
        except Exception as exc:  # noqa: BLE001 - any failure means: ask for the text instead
            return None, f"Colab did not hand over the notebook ({type(exc).__name__})"
    path = _notebook_path()
    if path is None:
        return None, "this front end does not tell the kernel which notebook it runs"
    try:
        return json.loads(Path(path).read_text(encoding="utf-8")), path.name
    except (OSError, ValueError) as exc:
        return None, f"could not read {path.name} ({type(exc).__name__})"


def _notebook_path() -> Path | None:
    # Jupyter Server (JupyterLab, Notebook 7) tells the kernel its notebook in JPY_SESSION_NAME and
    # ipykernel puts it in __session__; VS Code sets __vsc_ipynb_file__.
    names = {}
    try:
        from IPython import get_ipython

        shell = get_ipython()
        names = shell.user_ns if shell is not None else {}
    except ImportError:
        pass
    for candidate in (names.get("__vsc_ipynb_file__"), names.get("__session__"), os.environ.get("JPY_SESSION_NAME")):
        if not candidate or not str(candidate).endswith(".ipynb"):
            continue
        # an absolute path, or the server's path relative to its root: the kernel runs in the notebook's folder
        for path in (Path(candidate), Path.cwd() / Path(candidate).name):
            if path.is_file():
                return path
    return None


def compare_prediction(predicted, measured, *, what: str, unit: str = "") -> None:
    """Print your prediction beside the measured value (predictions are not graded).

    ``predicted``: your variable (a number, a word such as ``"lower"``, or None if you
    skipped it); ``measured``: what the experiment gave, in the same unit. Never raises:
    a prediction it cannot read is reported as such.
    """
    shown = _fmt(measured, unit)
    if predicted is None or (isinstance(predicted, str) and not predicted.strip()):
        print(f"You made no prediction. Measured {what}: {shown}. Next time, commit to an answer first: "
              "a wrong guess you can explain teaches more than no guess.")
        return
    if isinstance(measured, str) or isinstance(predicted, str):
        same = str(predicted).strip().lower() == str(measured).strip().lower()
        print(f"You predicted {what}: {predicted!s}. Measured: {shown}. " +
              ("Right." if same else "Not what happened: read why below."))
        return
    if not isinstance(predicted, Real) or isinstance(predicted, bool):
        print(f"Could not read your prediction {predicted!r}: write a number (e.g. 50). Measured {what}: {shown}.")
        return
    diff = float(predicted) - float(measured)
    how = "exactly right" if diff == 0 else f"{abs(diff):.3g}{unit} {'above' if diff > 0 else 'below'} it"
    print(f"You predicted {what}: {_fmt(predicted, unit)}. Measured: {shown} (you were {how}).")


def _fmt(value, unit: str) -> str:
    if isinstance(value, Real) and not isinstance(value, bool):
        return f"{float(value):.3g}{unit}"
    return str(value)
