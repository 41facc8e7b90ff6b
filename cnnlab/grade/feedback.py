"""Per-student HTML feedback with the hidden tests removed.

nbgrader's ``generate_feedback`` renders the autograded notebook as it is:
hidden tests included, and tracebacks that quote them. Here nbgrader's own
feedback step runs with one more preprocessor, :class:`RedactHiddenTests`:

* the hidden-test region of every cell is cut from its source (nbgrader's
  ``ClearHiddenTests`` logic);
* the traceback of an error in a graded test cell is cut to its last line
  (``AssertionError: <message>``): IPython tracebacks quote the failing line;
* any output text (streams, errors, rich outputs) that quotes a hidden-test
  line is redacted -- student code may have printed the test cells' source.

Student HTML is made inert (:mod:`cnnlab.grade.sanitize`, nh3): outputs are
cleaned before rendering (:class:`~cnnlab.grade.sanitize.SanitizeOutputs`), and
the written page's body, markdown cells included, once more after.

After writing, every feedback file is scanned again for hidden-test lines
(:func:`leaks`) and for anything that could run (:func:`sanitize.unsafe`); a
file that still has one is deleted and reported.
A rejected submission gets a short page that says why it was not graded.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import ClearHiddenTests, GetGrades, NbGraderPreprocessor

from . import nbgrader_api, sanitize
from .course import Course

BEGIN, END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
REDACTED = "[hidden test line removed]"
MIN_LINE = 4  # shorter hidden lines (")", "pass") say nothing and would redact ordinary output


def hidden_lines(nb) -> list[str]:
    """The stripped lines inside the hidden-test regions of a notebook (long enough to matter).

    A line that also occurs outside every hidden region (``import numpy as np``)
    is no secret and is left out.
    """
    hidden, visible = set(), set()
    for cell in nb.cells:
        inside = False
        for line in cell.source.splitlines():
            if BEGIN in line:
                inside = True
            elif END in line:
                inside = False
            elif len(line.strip()) >= MIN_LINE:
                (hidden if inside else visible).add(line.strip())
    return sorted(hidden - visible, key=len, reverse=True)


def _redact(text: str, lines: list[str]) -> str:
    for line in lines:
        if line in text:
            text = text.replace(line, REDACTED)
    return text


class RedactHiddenTests(NbGraderPreprocessor):
    """Remove hidden tests from a notebook's sources and outputs (see the module doc)."""

    def preprocess(self, nb, resources):
        lines = hidden_lines(nb)
        clear = ClearHiddenTests(enforce_metadata=False)
        for cell in nb.cells:
            clear._remove_hidden_test_region(cell)
            if cell.cell_type != "code":
                continue
            graded = cell.metadata.get("nbgrader", {}).get("grade", False)
            for out in cell.get("outputs", []):
                if out.output_type == "error":
                    out.evalue = _redact(str(out.evalue), lines)
                    if graded:
                        out.traceback = [f"{out.ename}: {out.evalue}"]
                    else:
                        out.traceback = [_redact(t, lines) for t in out.traceback]
                elif out.output_type == "stream":
                    out.text = _redact(out.text, lines)
                elif "data" in out:
                    for mime, value in list(out.data.items()):
                        if isinstance(value, str):
                            out.data[mime] = _redact(value, lines)
                        elif isinstance(value, list):
                            out.data[mime] = [_redact(v, lines) if isinstance(v, str) else v for v in value]
        return nb, resources


def html_text(page: str) -> str:
    """The visible text of an HTML page (tags dropped, entities decoded, blanks collapsed)."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S | re.I)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", "", page)))


def leaks(page: str, lines: list[str]) -> list[str]:
    """The hidden-test lines that occur in a feedback page (as text or in its markup)."""
    text = html_text(page)
    raw = html.unescape(page)
    squash = lambda s: re.sub(r"\s+", " ", s).strip()  # noqa: E731
    return [ln for ln in lines if squash(ln) in text or ln in raw]


FEEDBACK_CONFIG = {"GenerateFeedback.preprocessors": [GetGrades, RedactHiddenTests, sanitize.SanitizeOutputs,
                                                      CSSHTMLHeaderPreprocessor]}


def generate(course_dir: Path, *, db_url: str | None = None, assignments: list[str] | None = None,
             students: list[str] | None = None) -> tuple[list[Path], list[str]]:
    """Write ``feedback/<student>/<assignment>/<notebook>.html`` for every graded or rejected submission.

    Returns (files written, problems). A problem is a submission nbgrader could
    not render, or a file removed because it still held a hidden-test line or
    something that could run.
    """
    course = Course(course_dir, db_url, **FEEDBACK_CONFIG)
    state = course.load_state()
    written, problems = [], []
    for student, aid in course.submissions(assignments, students):
        out_dir = course.feedback(student, aid)
        entry = state.get(f"{student}/{aid}", {})
        if course.autograded(student, aid).is_dir():
            result = course.api.generate_feedback(aid, student, force=True)
            if not result.get("success"):
                problems.append(f"{student}/{aid}: {nbgrader_api.nbgrader_error(result)}")
                continue
        elif entry.get("status") == "rejected":
            out_dir.mkdir(parents=True, exist_ok=True)
            (out_dir / f"{aid}.html").write_text(_rejected_page(student, aid, entry["reason"]))
        else:
            continue  # not graded yet
        source_lines = []
        for src in course.source(aid).glob("*.ipynb"):
            source_lines += hidden_lines(nbformat.read(src, as_version=4))
        for page in sorted(out_dir.glob("*.html")):
            text = sanitize.clean_page(page.read_text(encoding="utf-8"))
            page.write_text(text, encoding="utf-8")
            found, live = leaks(text, source_lines), sanitize.unsafe(text)
            if found or live:
                page.unlink()
                why = (f"quoted hidden tests: {found[:2]}" if found else f"kept markup that could run: {live[:3]}")
                problems.append(f"{student}/{aid}: {page.name} {why}, and was deleted")
            else:
                written.append(page)
    return written, problems


def _rejected_page(student: str, aid: str, reason: str) -> str:
    e = html.escape
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{e(aid)}: not graded</title></head>"
            f"<body><h1>{e(aid)}: your submission could not be graded</h1>"
            f"<p>Student: {e(student)}</p><p><strong>Why:</strong> {e(reason)}</p>"
            "<p>Every exercise of this notebook scores 0. Fix the problem and submit again, "
            "or ask your instructor.</p></body></html>\n")
