"""Decide every graded test outside the student's kernel: nbgrader's step after execution.

In the notebook, a test cell such as ::

    check.pool2d(pool2d)
    ### BEGIN HIDDEN TESTS
    check.pool2d(pool2d, suite="hidden")
    ### END HIDDEN TESTS

runs the student's function on fixed cases and attaches what came back, as plain data,
to its output (:mod:`cnnlab.checks.record`). :class:`JudgeCells` runs in the grader's
process, after the kernel has finished, and for each graded test cell:

1. reads which checks the cell calls from the cell's *trusted* source (nbgrader has
   restored it from the gradebook), never from what the kernel printed;
2. takes the data each call attached; a call with no data, or two, fails;
3. computes the expected values itself: the stored ones for the ``visible`` cases
   (``cnnlab/checks/expected/<topic>.json``, generated from the solutions), and for
   the ``hidden`` cases by running the instructor's own answer cells from the
   assignment's source notebook (:mod:`cnnlab.grade.references`);
4. applies the exercise's rules (``RULES`` in the checks module: no Python loops,
   NumPy only) to the submitted source (:func:`cnnlab.grade.static_rules.rule_violations`);
5. judges with the checks module's ``judge_<exercise>`` (this process's copy) and
   rewrites the cell's outputs: the records and any ``execute_result`` (which nbgrader
   would read as partial credit) are removed, and the verdict is written: a line per
   passed check, or an error output with the check's message, which nbgrader scores 0.

A student's code can therefore fake neither a pass (the kernel's own verdict is not
used) nor the data of the hidden cases (their expected values never reach the kernel).
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from cnnlab.checks import record
from cnnlab.checks.core import CheckError

from . import static_rules
from .references import References

CHECKS_PACKAGE = "cnnlab.checks"


@dataclass
class Call:
    """One ``check.<exercise>(...)`` statement of a test cell's trusted source."""

    exercise: str
    suite: str
    args: list[str]                       # names of the notebook's objects passed positionally
    kwargs: dict[str, Any] = field(default_factory=dict)   # literals
    name_kwargs: dict[str, str] = field(default_factory=dict)  # keyword → notebook name


def checks_module_name(notebook) -> str | None:
    """``cnnlab.checks.<topic>`` that the notebook imports as ``check``, or None."""
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        tree = static_rules.parse(cell.source)
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.ImportFrom) and node.module == CHECKS_PACKAGE and not node.level:
                for alias in node.names:
                    if alias.asname == "check":
                        return f"{CHECKS_PACKAGE}.{alias.name}"
    return None


def judged_calls(source: str, module) -> list[Call]:
    """The top-level ``check.X(...)`` statements of a test cell whose X the module can judge."""
    if not getattr(module, "JUDGED", False):
        return []  # a checks module not (yet) written in collect/judge form decides in the kernel
    tree = static_rules.parse(source)
    calls = []
    for stmt in tree.body if tree is not None else ():
        node = stmt.value if isinstance(stmt, ast.Expr) else None
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "check"):
            continue
        name = node.func.attr
        if not (hasattr(module, f"collect_{name}") and hasattr(module, f"judge_{name}")):
            continue
        call = Call(name, "visible", [])
        for arg in node.args:
            if not isinstance(arg, ast.Name):
                raise ValueError(f"check.{name}: pass the notebook's objects by name (line {stmt.lineno})")
            call.args.append(arg.id)
        for kw in node.keywords:
            if kw.arg == "suite":
                call.suite = ast.literal_eval(kw.value)
            elif isinstance(kw.value, ast.Name):
                call.name_kwargs[kw.arg] = kw.value.id
            else:
                call.kwargs[kw.arg] = ast.literal_eval(kw.value)
        calls.append(call)
    return calls


def is_test_cell(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("grade")) and not meta.get("solution")


def _error_output(message: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("error", ename="CheckError", evalue=message, traceback=message.splitlines())


def _stdout(text: str) -> nbformat.NotebookNode:
    return nbformat.v4.new_output("stream", name="stdout", text=text)


class Judge:
    """Judges one notebook's test cells against one assignment source notebook."""

    folder: Path | None = None

    def __init__(self, source_notebook: nbformat.NotebookNode):
        self.source = source_notebook
        name = checks_module_name(source_notebook)
        self.module = importlib.import_module(name) if name else None
        self.references = References(source_notebook, self.module)

    def notebook(self, nb: nbformat.NotebookNode, folder: Path | None = None) -> list[str]:
        """Judge every graded test cell of ``nb`` in place; return the grade_ids decided here.

        ``folder``: the submission's folder as graded (for checks that evaluate a file the student
        submitted, such as the capstone's trained model: ``evaluate_<exercise>`` in the checks module).
        """
        self.folder = folder
        if self.module is None:
            return []
        decided = []
        for index, cell in enumerate(nb.cells):
            if not is_test_cell(cell):
                continue
            calls = judged_calls(cell.source, self.module)
            if calls:
                self.cell(nb, index, calls)
                decided.append(cell.metadata["nbgrader"]["grade_id"])
        return decided

    def cell(self, nb, index: int, calls: list[Call]) -> None:
        cell = nb.cells[index]
        records: list[dict | str] = []
        kept = []
        for out in cell.get("outputs", []):
            try:
                found = record.read(out)
            except ValueError as exc:
                records.append(f"an unreadable check record ({exc})")
                continue
            if found is not None:
                records.append(found)
            elif out.get("output_type") != "execute_result":
                kept.append(out)
        cell.outputs = kept
        evaluated = [self._report(nb, call) for call in calls]
        if any(o.get("output_type") == "error" or (o.get("output_type") == "stream" and o.get("name") == "stderr")
               for o in kept):
            return  # the cell failed in the kernel already: nbgrader scores it 0
        bad = [r for r in records if isinstance(r, str)]
        if bad:
            cell.outputs.append(_error_output(f"This test cell's output was tampered with: {bad[0]}."))
            return
        for call, expected in zip(calls, evaluated):
            message = self._verdict(nb, index, call, [r for r in records
                                                      if r["exercise"] == call.exercise and r["suite"] == call.suite],
                                    expected)
            if message.startswith("✔"):
                cell.outputs.append(_stdout(message + "\n"))
            else:
                cell.outputs.append(_error_output(message))
                return

    def _report(self, nb, call: Call) -> dict | None:
        """Keep the measures a check's evaluation reports (the capstone's accuracy), pass or fail, for the
        course's report (e.g. the leaderboard): ``metadata.cnnlab.reports[exercise]``.

        Returns the evaluation (the call's expected data, so that it is computed once), or None for a
        check that evaluates no submitted file."""
        if not hasattr(self.module, f"evaluate_{call.exercise}"):
            return None
        expected = self.references.expected(call, self.folder)
        report = expected["expected"].get("report") if isinstance(expected.get("expected"), dict) else None
        if isinstance(report, dict):
            nb.metadata.setdefault("cnnlab", {}).setdefault("reports", {})[call.exercise] = record.encode(report)
        return expected

    def _verdict(self, nb, index: int, call: Call, found: list[dict], expected: dict | None = None) -> str:
        """"✔ ..." for a pass, else the message of the failure (``expected``: already computed, or None)."""
        cases = "the hidden cases" if call.suite == "hidden" else "the checks"
        if not found:
            return (f"{call.exercise}: {cases} did not report a result to the grader. Run this notebook from "
                    f"the top in a fresh kernel: every cell above must run without an error, and the check "
                    f"cells must stay as they were given.")
        if len(found) > 1:
            return f"{call.exercise}: {cases} reported {len(found)} results instead of one; this cell scores 0."
        broken = static_rules.rule_violations(nb, index, call.exercise, getattr(self.module, "RULES", {}))
        if broken:
            return broken
        try:
            if expected is None:
                expected = self.references.expected(call, self.folder)
        except Exception as exc:  # the course's own answers failed: never grade against nothing
            raise RuntimeError(f"the grader could not compute the expected values of {call.exercise} "
                               f"({call.suite} cases) from the assignment's solutions: "
                               f"{type(exc).__name__}: {exc}") from exc
        judge = getattr(self.module, f"judge_{call.exercise}")
        try:
            n = judge(found[0]["data"], expected)
        except CheckError as exc:
            return str(exc)
        except Exception as exc:  # data the check cannot read: a failure, never a pass
            return (f"{call.exercise}: the grader could not read your function's results for {cases} "
                    f"({type(exc).__name__}: {exc}).")
        what = "the hidden cases passed" if call.suite == "hidden" else f"all {n} checks passed"
        return f"✔ {call.exercise}: {what}."


_JUDGES: dict[str, Judge] = {}


def judge_for(path: Path) -> Judge:
    """One Judge per source notebook file content (the answer cells run once per process)."""
    return judge_of(Path(path).read_text(encoding="utf-8"))


def judge_of(text: str) -> Judge:
    """The Judge of a source notebook's text (one per content and process)."""
    import hashlib

    key = hashlib.sha256(text.encode()).hexdigest()
    if key not in _JUDGES:
        _JUDGES[key] = Judge(nbformat.reads(text, as_version=4))
    return _JUDGES[key]


def hidden_expectations(text: str) -> dict[str, dict]:
    """The expected values of a source notebook's hidden cases, computed here from the instructor's
    answers, for workers to :func:`seed` (computed once per class instead of once per worker)."""
    judge = judge_of(text)
    if judge.module is None:
        return {}
    calls = [call for cell in judge.source.cells if is_test_cell(cell)
             for call in judged_calls(cell.source, judge.module)]
    return judge.references.computed(calls)


def seed(text: str, computed: dict[str, dict]) -> None:
    """Give the Judge of this source notebook expected values computed elsewhere (:func:`hidden_expectations`)."""
    if computed:
        judge_of(text).references.seed(computed)


def seed_later(text: str, values) -> None:
    """Like :func:`seed`, with ``values()`` (the expected values) called when a hidden case is first judged."""
    judge_of(text).references.seed_later(values)


class JudgeCells(NbGraderPreprocessor):
    """nbgrader's step after execution: the verdicts of converted test cells (see the module doc)."""

    source_directory = Unicode("", help="the assignment's source folder; default: the course's "
                                        "source/<assignment> (nbgrader's CourseDirectory)").tag(config=True)

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        folder = Path(self.source_directory) if self.source_directory else self._course_source(info["assignment"])
        path = folder / f"{info['notebook']}.ipynb"
        if not path.is_file():
            raise FileNotFoundError(f"the grader needs the assignment's source notebook: {path}")
        folder = resources.get("metadata", {}).get("path")
        decided = judge_for(path).notebook(nb, Path(folder) if folder else None)
        if decided:
            nb.metadata.setdefault("cnnlab", {})["judged_outside_kernel"] = decided
        return nb, resources

    def _course_source(self, assignment: str) -> Path:
        converter = getattr(self.parent, "parent", None)
        coursedir = getattr(converter, "coursedir", None)
        if coursedir is None:
            raise RuntimeError("JudgeCells runs inside nbgrader's Autograde (or set JudgeCells.source_directory)")
        return Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
