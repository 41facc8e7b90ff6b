"""The expected values of a check, computed on the grader's side from the instructor's answers.

The hidden cases' expected values never ship to students: the grader computes them
by running the assignment source notebook's answer cells (the instructor's solutions,
which only the course folder holds) in its own process, and collecting their outputs
with the same ``collect_<exercise>`` a student's kernel uses, so both sides produce
data of the same form. The visible cases' values are the stored ones the student's
self-check uses (``cnnlab/checks/expected/<topic>.json``), with the results of the
usual mistakes that name a hint; a test regenerates them from the solutions.

Only the answer cells run, after the notebook's import statements and the checks
module's ``REFERENCE_SETUP`` (names the answers need that an import does not give):
never the cells that load data or train.
"""

from __future__ import annotations

import ast
from typing import Any

import nbformat

from cnnlab.checks import core

from . import static_rules


def is_answer_cell(cell) -> bool:
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("solution"))


def namespace(source_notebook: nbformat.NotebookNode, module) -> dict:
    """The names the notebook's answer cells define, run after its imports and ``REFERENCE_SETUP``.

    Only the imports that bind a name the answers (or ``REFERENCE_SETUP``) use are run: a notebook
    that imports Keras to show something, with NumPy-only answers, does not make every grading
    worker import TensorFlow (seconds of CPU per worker).
    """
    setup = getattr(module, "REFERENCE_SETUP", "")
    trees = [static_rules.parse(code) for code in
             [cell.source for cell in source_notebook.cells if is_answer_cell(cell)] + [setup]]
    used = {node.id for tree in trees if tree is not None for node in ast.walk(tree) if isinstance(node, ast.Name)}
    imports = []
    for cell in source_notebook.cells:
        if cell.cell_type == "code" and not is_answer_cell(cell):
            tree = static_rules.parse(cell.source)
            for node in tree.body if tree is not None else []:
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    bound = static_rules.module_aliases([ast.Module(body=[node], type_ignores=[])])
                    if "*" in bound or not used.isdisjoint(bound):
                        imports.append(node)
    modules = {alias.name if isinstance(node, ast.Import) else node.module or ""
               for node in imports for alias in node.names}
    if any(m.split(".")[0] in ("tensorflow", "keras") for m in modules):
        from cnnlab import runtime

        runtime.quiet_tensorflow()  # as the notebook does: TensorFlow's start-up lines go to stderr
    ns: dict[str, Any] = {"__name__": "__references__"}
    exec(compile(ast.Module(body=imports, type_ignores=[]), "<imports>", "exec"), ns)
    exec(setup, ns)
    for cell in source_notebook.cells:
        if is_answer_cell(cell):
            gid = cell.metadata["nbgrader"].get("grade_id", "?")
            exec(compile(static_rules.python_source(cell.source), f"<answer {gid}>", "exec"), ns)
    return ns


def call_key(call) -> str:
    """What identifies a judged call's expected value: exercise, suite and arguments."""
    return repr((call.exercise, call.suite, call.args, sorted(call.kwargs.items()), sorted(call.name_kwargs.items())))


class References:
    """Expected values for the calls of one source notebook (cached per call)."""

    def __init__(self, source_notebook: nbformat.NotebookNode, module):
        self.source, self.module = source_notebook, module
        self._ns: dict | None = None
        self._cache: dict[str, dict] = {}
        self._pending = None  # a function giving values computed elsewhere, read when first needed

    def expected(self, call, folder=None) -> dict:
        """``{"expected": data, "mistakes": {label: data}, "suite": ...}`` for one judged call.

        A checks module's ``evaluate_<exercise>(folder, suite, **kwargs)``, where it has one, computes
        the expected data from the files of the submission being graded (``folder``), in this
        process: the capstone evaluates the submitted trained model on the grader's held-out images.
        """
        evaluate = getattr(self.module, f"evaluate_{call.exercise}", None)
        if evaluate is not None:
            return {"expected": evaluate(folder, call.suite, **call.kwargs), "mistakes": {}, "suite": call.suite}
        if call.suite == "visible":
            return {**core.stored(self.module)[call.exercise], "suite": "visible"}
        key = call_key(call)
        if key not in self._cache and self._pending is not None:
            pending, self._pending = self._pending, None
            self._cache.update(pending())
        if key not in self._cache:
            self._cache[key] = {"expected": self.collect(call), "mistakes": {}, "suite": call.suite}
        return self._cache[key]

    def computed(self, calls) -> dict[str, dict]:
        """The expected values of those ``calls`` the answers decide (hidden cases), computed now and
        keyed for :meth:`seed`. A call that fails is left out: judging it later reports why."""
        found = {}
        for call in calls:
            if call.suite == "visible" or hasattr(self.module, f"evaluate_{call.exercise}"):
                continue
            try:
                found[call_key(call)] = self.expected(call)
            except Exception:  # noqa: BLE001  (the worker computes it again and reports the error)
                continue
        return found

    def seed(self, computed: dict[str, dict]) -> None:
        """Use expected values computed elsewhere (:meth:`computed`, by :mod:`cnnlab.grade.hidden`): a worker
        then never runs the answer cells, nor imports what they import (TensorFlow: seconds)."""
        self._cache.update(computed)

    def seed_later(self, values) -> None:
        """Like :meth:`seed`, with ``values()`` called only when a hidden case is first judged (the
        values may still be computed elsewhere while the kernel runs: :mod:`cnnlab.grade.hidden`)."""
        self._pending = values

    def names(self) -> dict:
        """The answer cells' names (run once)."""
        if self._ns is None:
            self._ns = namespace(self.source, self.module)
        return self._ns

    def collect(self, call) -> Any:
        """What the instructor's answers give for ``call``: collect_<exercise> on the reference objects."""
        ns = self.names()
        missing = [n for n in [*call.args, *call.name_kwargs.values()] if n not in ns]
        if missing:
            raise LookupError(f"the answer cells define no {', '.join(missing)}")
        collect = getattr(self.module, f"collect_{call.exercise}")
        return collect(*[ns[n] for n in call.args], suite=call.suite, **call.kwargs,
                       **{k: ns[v] for k, v in call.name_kwargs.items()})
