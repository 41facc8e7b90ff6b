"""Generate the stored expected values of the visible cases from the course's solutions.

    python -m cnnlab.grade.expected                 # every notebook whose checks are judged
    python -m cnnlab.grade.expected 04_pooling      # one notebook

For each ``check.X(...)`` call on the visible cases in a solution notebook's test cells,
the solution's answer cells run here (:mod:`cnnlab.grade.references`) and
``collect_X`` gathers what they return: that is what a correct answer gives. The
results of the usual mistakes come from ``solutions/references/<topic>.py``, whose
``MISTAKES = {exercise: {label: function}}`` holds wrong versions of the answers (for
the hints that name a mistake; ``judge_X`` looks them up by label). Everything is
written to ``cnnlab/checks/expected/<topic>.json``, the only copy the student package
holds: the expected outputs of the visible cases, never a way to compute them.
``tests/test_expected.py`` regenerates each file and compares.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
from pathlib import Path

import nbformat

from cnnlab.checks import core, record

from .judge import checks_module_name, is_test_cell, judged_calls
from .references import References

ROOT = Path(__file__).resolve().parents[2]
SOLUTIONS = ROOT / "solutions"


def mistakes_module(topic: str, solutions: Path = SOLUTIONS):
    """``solutions/references/<topic>.py`` as a module, or None."""
    path = Path(solutions) / "references" / f"{topic}.py"
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location(f"cnnlab_references_{topic}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _no_raise(func):
    """A mistake that fails on a case returns None there (no hint), instead of losing every case."""
    def wrapped(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except Exception:
            return None
    return wrapped


def generate(solution: Path, solutions: Path = SOLUTIONS) -> tuple[str, dict]:
    """(topic, {exercise: {"expected": data, "mistakes": {label: data}}}) for one solution notebook."""
    nb = nbformat.read(solution, as_version=4)
    name = checks_module_name(nb)
    if name is None:
        raise LookupError(f"{solution.name} imports no checks module as `check`")
    module = importlib.import_module(name)
    topic = core.topic_of(module)
    refs = References(nb, module)
    wrong = getattr(mistakes_module(topic, solutions), "MISTAKES", {})
    out: dict[str, dict] = {}
    for cell in nb.cells:
        if not is_test_cell(cell):
            continue
        for call in judged_calls(cell.source, module):
            if call.suite != "visible" or _scores_files(module, call):
                continue
            entry = {"expected": refs.collect(call), "mistakes": {}}
            collect = getattr(module, f"collect_{call.exercise}")
            ns = refs.names()
            for label, func in wrong.get(call.exercise, {}).items():
                entry["mistakes"][label] = collect(_no_raise(func), *[ns[n] for n in call.args[1:]], suite="visible",
                                                   **call.kwargs, **{k: ns[v] for k, v in call.name_kwargs.items()})
            out[call.exercise] = entry
    return topic, out


def write(solution: Path, solutions: Path = SOLUTIONS) -> Path:
    """Write ``cnnlab/checks/expected/<topic>.json`` for one solution notebook; return its path."""
    topic, data = generate(solution, solutions)
    path = core.EXPECTED_DIR / f"{topic}.json"
    path.write_text(json.dumps(record.encode(data), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def judged_notebooks(solutions: Path = SOLUTIONS) -> list[Path]:
    """The solution notebooks with at least one judged check call that compares with stored values."""
    found = []
    for path in sorted(Path(solutions).glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        name = checks_module_name(nb)
        if name is None:
            continue
        module = importlib.import_module(name)
        if any(not _scores_files(module, call) for c in nb.cells if is_test_cell(c)
               for call in judged_calls(c.source, module)):
            found.append(path)
    return found


def _scores_files(module, call) -> bool:
    """A check that scores a submitted file (``evaluate_<exercise>``, the capstone) has no stored values."""
    return hasattr(module, f"evaluate_{call.exercise}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", help="notebook ids (default: every judged notebook)")
    parser.add_argument("--solutions", type=Path, default=SOLUTIONS)
    args = parser.parse_args(argv)
    paths = ([args.solutions / f"{n}.ipynb" for n in args.notebooks] if args.notebooks
             else judged_notebooks(args.solutions))
    for path in paths:
        print(f"{path.name} → {write(path, args.solutions)}")


if __name__ == "__main__":
    main()
