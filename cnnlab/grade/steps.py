"""nbgrader's autograde steps as cnnlab runs them (config items for nbgrader's ``Autograde``).

Both the worker (which executes) and the writer (which replays the worker's outputs into
the course's gradebook) run nbgrader's own sanitize and autograde preprocessors, with two
changes: :class:`DropForeignCells` before nbgrader restores cells, and the execute step
replaced (:class:`cnnlab.grade.sandbox.GuardedExecute` in the worker, a replay in the writer).
The worker also judges the test cells after execution (:class:`cnnlab.grade.judge.JudgeCells`);
the writer replays those verdicts.
The formgrader's ``nbgrader_config.py`` (see :mod:`cnnlab.release`) uses :func:`worker_config`.
"""

from __future__ import annotations

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.preprocessors import NbGraderPreprocessor

from .worker import Limits


class DropForeignCells(NbGraderPreprocessor):
    """Turn graded/solution cells the gradebook does not know into plain cells, and note them.

    A submission may carry a grade cell that is not in the assignment (copied from
    another notebook, or forged). nbgrader then fails on the whole notebook
    (``KeyError: 'grade_id'`` when it restores missing cells); here the notebook is
    graded on its known cells, and ``metadata.cnnlab.foreign_cells`` lists the others.
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gb:
            try:
                known = {c.name for c in gb.find_notebook(info["notebook"], info["assignment"]).source_cells}
            except MissingEntry:
                return nb, resources  # nbgrader reports an unknown notebook itself
        foreign = []
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader")
            if meta and (meta.get("grade") or meta.get("solution") or meta.get("locked") or meta.get("task")) \
                    and meta.get("grade_id") not in known:
                foreign.append(str(meta.get("grade_id", "(no id)")))
                del cell.metadata["nbgrader"]
        if foreign:
            nb.metadata.setdefault("cnnlab", {})["foreign_cells"] = foreign
        return nb, resources


def autograde_steps(execute) -> dict:
    """nbgrader's Autograde steps (config items) with ``execute`` for its Execute, foreign cells dropped first."""
    from nbgrader.converters import Autograde
    from nbgrader.preprocessors import Execute, OverwriteCells

    traits = Autograde.class_traits()
    sanitize = []
    for p in traits["sanitize_preprocessors"].default():
        if p is OverwriteCells:
            sanitize.append(DropForeignCells)
        sanitize.append(p)
    return {"Autograde.sanitize_preprocessors": sanitize,
            "Autograde.autograde_preprocessors": [execute if p is Execute else p
                                                  for p in traits["autograde_preprocessors"].default()]}


def judged_steps(execute) -> dict:
    """:func:`autograde_steps` with :class:`~cnnlab.grade.judge.JudgeCells` right after ``execute``.

    The verdicts of the test cells are then decided in nbgrader's process, not in the kernel.
    """
    from .judge import JudgeCells

    steps = autograde_steps(execute)
    after = []
    for p in steps["Autograde.autograde_preprocessors"]:
        after.append(p)
        if p is execute:
            after.append(JudgeCells)
    return {**steps, "Autograde.autograde_preprocessors": after}


def worker_config(limits: Limits, forbidden: list[str], slot: int = 0) -> dict:
    """nbgrader config for the workers: GuardedExecute instead of Execute, verdicts judged outside
    the kernel, limits, missing cells restored."""
    from .sandbox import GuardedExecute

    return {
        **judged_steps(GuardedExecute),
        "OverwriteCells.add_missing_cells": True,
        "Execute.timeout": limits.cell_timeout,
        "GuardedExecute.sandbox": limits.sandbox,
        "GuardedExecute.submission_timeout": limits.submission_timeout,
        "GuardedExecute.max_output_mb": limits.max_output_mb,
        "SandboxKernelManager.memory_mb": limits.memory_mb,
        "SandboxKernelManager.cpu_seconds": limits.cpu_seconds,
        "SandboxKernelManager.file_size_mb": limits.file_size_mb,
        "SandboxKernelManager.forbidden": forbidden,
        "SandboxKernelManager.uid_slot": slot,
        "SandboxKernelManager.fork_server": limits.fork_server,
    }
