"""Static analysis of a student's answer code, in the grader process (never in the kernel).

:func:`notebook_findings` parses every answer cell of a submitted notebook with
:mod:`ast` (after IPython's own transform of magics, as the kernel would run
them) and names each construct that can reach the grading machinery or hide
what the code does:

* ``exec``/``eval``, ``__import__``, ``importlib``, ``sys.modules``,
  ``get_ipython()`` (and the magics and shell escapes that call it);
* ``getattr``/``setattr``/``delattr`` with a computed attribute name;
* ``cnnlab`` internals: anything from ``cnnlab`` other than what the notebooks
  import (:data:`ALLOWED_CNNLAB`, and the notebook's checks module only as
  ``check``, only through the attributes the released notebook itself uses;
  the release's own import statements stay allowed); assigning to ``check``
  or to its attributes;
* a cell too deeply nested to analyse (Python's own parser may still run it).

The verdicts are read from the submitted file, so nothing the code does when it
runs can change them. They are flags for a human, not grades.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

# What the notebooks legitimately import from the student package (besides their checks module).
ALLOWED_CNNLAB = {"datasets", "viz", "training", "backbones", "runtime", "playground", "capstone", "questions"}
CHECKS = "cnnlab.checks"
ATTR_FUNCS = {"getattr", "setattr", "delattr"}


@dataclass(frozen=True)
class Finding:
    line: int        # in the cell as the student wrote it (after magics are transformed)
    construct: str   # e.g. "eval", "sys.modules", "cnnlab internals: cnnlab.grade"

    def __str__(self) -> str:
        return f"line {self.line}: {self.construct}"


def python_source(cell_source: str) -> str:
    """A code cell's source as the kernel runs it: IPython magics become ``get_ipython()`` calls."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(cell_source)


def parse(cell_source: str) -> ast.Module | None:
    """The cell's syntax tree, or None for a cell that cannot run (a syntax error runs nothing).

    Raises RecursionError or MemoryError for code nested beyond the parser's limits.
    """
    try:
        return ast.parse(python_source(cell_source))
    except (SyntaxError, ValueError):
        return None


def module_aliases(trees: list[ast.Module]) -> dict[str, str]:
    """Local name -> the module it is bound to by ``import`` statements in these cells.

    ``from cnnlab.checks import knn as check`` gives ``{"check": "cnnlab.checks.knn"}``;
    ``from x import y`` may bind a module or not: it is recorded as ``x.y`` either way.
    """
    names: dict[str, str] = {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        names[a.asname] = a.name
                    else:
                        names[a.name.split(".")[0]] = a.name.split(".")[0]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                for a in node.names:
                    names[a.asname or a.name] = f"{node.module}.{a.name}"
    return names


def import_statements(trees: list[ast.Module]) -> set[str]:
    """The import statements of these cells, as ``ast.dump`` strings (positions left out)."""
    return {ast.dump(node) for tree in trees for node in ast.walk(tree)
            if isinstance(node, (ast.Import, ast.ImportFrom))}


def used_attributes(trees: list[ast.Module], name: str) -> set[str]:
    """The attributes of ``name`` that these cells read (``check.pool2d`` -> ``pool2d``)."""
    return {node.attr for tree in trees for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == name}


def _cnnlab_import(module: str, asname: str | None) -> str | None:
    """Why importing ``module`` (as ``asname``) reaches cnnlab internals, or None when it is allowed."""
    parts = module.split(".")
    if parts[0] != "cnnlab":
        return None
    if len(parts) == 1:
        return None  # ``import cnnlab`` alone binds nothing useful; its attributes are checked on use
    if parts[1] in ALLOWED_CNNLAB and not any(p.startswith("_") for p in parts[2:]):
        return None
    if parts[1] == "checks" and len(parts) == 3 and asname == "check":
        return None
    return f"cnnlab internals: {module}" + (f" as {asname}" if asname else "")


class _Visitor(ast.NodeVisitor):
    def __init__(self, aliases: dict[str, str], check_attrs: dict[str, set[str]], given_imports: set[str]):
        self.aliases, self.check_attrs, self.given_imports = aliases, check_attrs, given_imports
        self.found: list[Finding] = []

    def flag(self, node: ast.AST, construct: str) -> None:
        self.found.append(Finding(getattr(node, "lineno", 0), construct))

    def module_of(self, name: str) -> str | None:
        return self.aliases.get(name)

    # imports
    def visit_Import(self, node: ast.Import) -> None:
        if ast.dump(node) in self.given_imports:
            return  # the release's own import, repeated or in an edited given cell
        for a in node.names:
            if a.name.split(".")[0] == "importlib":
                self.flag(node, "importlib")
            elif why := _cnnlab_import(a.name, a.asname):
                self.flag(node, why)
        self.generic_visit(node)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        module = node.module or ""
        if node.level or ast.dump(node) in self.given_imports:
            return self.generic_visit(node)
        for a in node.names:
            if module.split(".")[0] == "importlib":
                self.flag(node, "importlib")
            elif module == "sys" and a.name == "modules":
                self.flag(node, "sys.modules")
            elif a.name in ("exec", "eval", "__import__", "get_ipython"):
                self.flag(node, a.name if a.name != "get_ipython" else "get_ipython()")
            elif module.split(".")[0] == "cnnlab" and (why := _cnnlab_import(f"{module}.{a.name}", a.asname)):
                self.flag(node, why)
        self.generic_visit(node)

    # names
    def visit_Name(self, node: ast.Name) -> None:
        if node.id in ("exec", "eval", "__import__"):
            self.flag(node, node.id)
        elif node.id == "importlib" or self.module_of(node.id) == "importlib":
            self.flag(node, "importlib")
        elif node.id == "get_ipython":
            self.flag(node, "get_ipython()")
        elif node.id == "check" and isinstance(node.ctx, (ast.Store, ast.Del)):
            self.flag(node, "rebinds check")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        base = node.value
        if node.attr in ("exec", "eval", "__import__"):
            self.flag(node, node.attr)
        if isinstance(base, ast.Name):
            module = self.module_of(base.id)
            if node.attr == "modules" and (module == "sys" or base.id == "sys"):
                self.flag(node, "sys.modules")
            elif base.id == "check" or (module or "").startswith(CHECKS + "."):
                if isinstance(node.ctx, (ast.Store, ast.Del)):
                    self.flag(node, f"changes {base.id}.{node.attr}")
                elif node.attr not in self.check_attrs.get(base.id, ()):
                    self.flag(node, f"cnnlab internals: {base.id}.{node.attr}")
            elif module and module.split(".")[0] == "cnnlab":
                full = f"{module}.{node.attr}"
                if node.attr.startswith("_") or (module == "cnnlab" and node.attr not in ALLOWED_CNNLAB):
                    self.flag(node, f"cnnlab internals: {full}")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        magic = _magic(node)
        if magic:
            # IPython's transform of ``%name`` / ``!cmd``: name the magic the student wrote
            self.flag(node, f"get_ipython() ({magic})")
            for arg in [*node.args, *node.keywords]:
                self.visit(arg)
            return
        if isinstance(node.func, ast.Name) and node.func.id in ATTR_FUNCS and len(node.args) >= 2:
            name = node.args[1]
            if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
                self.flag(node, f"{node.func.id} with a computed name")
        self.generic_visit(node)


MAGIC_CALLS = {"run_line_magic": "%{} magic", "run_cell_magic": "%%{} magic", "system": "shell escape !",
               "getoutput": "shell escape !"}


def _magic(node: ast.Call) -> str | None:
    """``%name magic`` or ``shell escape !`` for IPython's transform of a magic, else None."""
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in MAGIC_CALLS and isinstance(func.value, ast.Call)
            and isinstance(func.value.func, ast.Name) and func.value.func.id == "get_ipython"):
        return None
    first = node.args[0] if node.args else None
    name = first.value if isinstance(first, ast.Constant) and isinstance(first.value, str) else "?"
    return MAGIC_CALLS[func.attr].format(name) if "{}" in MAGIC_CALLS[func.attr] else MAGIC_CALLS[func.attr]


def findings(cell_source: str, aliases: dict[str, str] | None = None,
             check_attrs: dict[str, set[str]] | None = None, given_imports: set[str] = frozenset()) -> list[Finding]:
    """The flagged constructs of one cell, in source order (empty for a cell that does not parse).

    ``aliases``: module names bound elsewhere in the notebook (:func:`module_aliases`);
    ``check_attrs``: per name bound to a checks module (``check``), the attributes the released
    notebook itself uses (allowed); ``given_imports``: the release's import statements
    (:func:`import_statements`), allowed as they are.
    """
    try:
        tree = parse(cell_source)
        if tree is None:
            return []
        aliases = {**(aliases or {}), **module_aliases([tree])}
        visitor = _Visitor(aliases, check_attrs or {}, set(given_imports))
        visitor.visit(tree)
    except (RecursionError, MemoryError):
        return [Finding(0, "could not be analysed (nested too deeply)")]
    unique = dict.fromkeys(sorted(visitor.found, key=lambda f: (f.line, f.construct)))
    return list(unique)


def cell_label(index: int, cell) -> str:
    """``cell 5 (add)``: 1-based position in the submitted notebook, and the nbgrader id if any."""
    gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"cell {index + 1}" + (f" ({gid})" if gid else "")


def _trees(cells) -> list[ast.Module]:
    trees = []
    for cell in cells:
        if cell.cell_type == "code":
            try:
                tree = parse(cell.source)
            except (RecursionError, MemoryError):
                continue  # flagged by findings() when it is an answer cell
            if tree is not None:
                trees.append(tree)
    return trees


def notebook_findings(submitted, released=None) -> list[str]:
    """``"cell 5 (add), line 2: eval"`` for every flagged construct in the answer cells of a notebook.

    ``submitted``, ``released``: nbformat notebooks. Answer cells are the code cells whose
    source is not in the released notebook (all code cells when there is no release).
    """
    given = {c.source for c in released.cells} if released is not None else set()
    given_trees = _trees(released.cells if released is not None else [])
    all_trees = _trees(submitted.cells)
    aliases = module_aliases(given_trees + all_trees)
    checks = {"check"} | {name for name, module in aliases.items() if module.startswith(CHECKS + ".")}
    check_attrs = {name: used_attributes(given_trees, name) for name in checks}
    given_imports = import_statements(given_trees)
    out = []
    for i, cell in enumerate(submitted.cells):
        if cell.cell_type != "code" or cell.source in given:
            continue
        out += [f"{cell_label(i, cell)}, {f}" for f in findings(cell.source, aliases, check_attrs, given_imports)]
    return out


# --------------------------------------------------------------------------- an exercise's rules

# What each rule in a checks module's RULES means, as the student reads it.
RULES = {
    "no_loops": "no Python loops (no for, while or comprehension; NumPy works on whole arrays)",
    "one_loop": "exactly one Python loop",
    "numpy_only": "NumPy only (no scikit-learn, SciPy, TensorFlow, Keras or course package)",
}
ALLOWED_MODULES = {"numpy", "math"}
LOOP_NODES = (ast.For, ast.AsyncFor, ast.While, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)
# Calls that run a Python function once per element: loops by another name.
HIDDEN_LOOPS = {"vectorize", "frompyfunc", "apply_along_axis", "apply_over_axes", "fromiter", "map", "filter"}


def _student_definitions(nb, before: int) -> dict[str, ast.AST]:
    """name -> its last top-level ``def`` or assignment in the code cells above ``before`` that are not tests."""
    defs: dict[str, ast.AST] = {}
    for cell in nb.cells[:before]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or (meta.get("grade") and not meta.get("solution")):
            continue
        try:
            tree = parse(cell.source)
        except (RecursionError, MemoryError):
            continue
        for node in tree.body if tree is not None else ():
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                defs[node.name] = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for t in targets:
                    for name in ast.walk(t):
                        if isinstance(name, ast.Name):
                            defs[name.id] = node
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                for a in node.names:
                    defs[(a.asname or a.name).split(".")[0]] = node
    return defs


def rule_violations(nb, test_index: int, exercise: str, rules: dict[str, tuple[str, ...]]) -> str:
    """Why the exercise's rules are broken in the submitted source, or "" if they hold.

    ``nb``: the submitted notebook (nbformat); ``test_index``: the position of the
    exercise's test cell; ``rules``: the checks module's ``RULES`` ({exercise: ("no_loops", ...)}).
    The function the exercise names, and every function of the notebook it calls, are
    read from their source: what runs in the kernel cannot change the result.
    """
    wanted = rules.get(exercise, ())
    if not wanted:
        return ""
    defs = _student_definitions(nb, test_index)
    top = defs.get(exercise)
    if top is None:
        return ""  # nothing defined: the check itself fails
    label = " and ".join(RULES[r] for r in wanted)
    if not isinstance(top, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return (f"{exercise}: this exercise's rule is {label}, so write {exercise} with `def` in its answer cell "
                f"(line {top.lineno} binds it some other way). The grader reads your code: this cell scores 0 "
                "until then.")
    aliases = module_aliases([t for t in (parse(c.source) for c in nb.cells[:test_index] if c.cell_type == "code")
                              if t is not None])
    seen, todo, loops, foreign = set(), [top], [], []
    while todo:
        fn = todo.pop()
        if fn.name in seen:
            continue
        seen.add(fn.name)
        for node in ast.walk(fn):
            if isinstance(node, LOOP_NODES):
                loops.append((fn.name, node.lineno, _loop_word(node)))
            elif isinstance(node, ast.Call):
                callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if callee in HIDDEN_LOOPS:
                    loops.append((fn.name, node.lineno, f"`{callee}` (a loop over elements)"))
                if isinstance(node.func, ast.Name) and node.func.id == fn.name:
                    loops.append((fn.name, node.lineno, "a recursive call"))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                roots = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                foreign += [(fn.name, node.lineno, r) for r in roots
                            if (r or "").split(".")[0] not in ALLOWED_MODULES]
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                module = aliases.get(node.id)
                if module and module.split(".")[0] not in ALLOWED_MODULES and node.id not in _local_names(fn):
                    foreign.append((fn.name, node.lineno, module))
                target = defs.get(node.id)
                if isinstance(target, (ast.FunctionDef, ast.AsyncFunctionDef)) and target.name not in seen:
                    todo.append(target)
    problems = []
    if "no_loops" in wanted and loops:
        name, line, word = loops[0]
        problems.append(f"{_where(name, exercise)} has {word} (line {line} of its cell)")
    if "one_loop" in wanted and len([l for l in loops if not l[2].startswith("`")]) != 1:
        problems.append(f"{exercise} has {len(loops)} loops" if loops else f"{exercise} has no loop")
    if "numpy_only" in wanted and foreign:
        name, line, module = foreign[0]
        problems.append(f"{_where(name, exercise)} uses {module} (line {line} of its cell)")
    if not problems:
        return ""
    return (f"{exercise}: this exercise's rule is {label}, but {'; '.join(problems)}. The grader reads your "
            "code, so this cell scores 0 until the rule holds.")


def _loop_word(node: ast.AST) -> str:
    return {ast.For: "a `for` loop", ast.AsyncFor: "a `for` loop", ast.While: "a `while` loop"}.get(
        type(node), "a comprehension (a loop)")


def _where(name: str, exercise: str) -> str:
    return f"your {exercise}" if name == exercise else f"{name} (which {exercise} calls)"


def _local_names(fn: ast.AST) -> set[str]:
    """Arguments and names assigned inside a function: they shadow the notebook's modules."""
    names = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
    names |= {n.id for n in ast.walk(fn) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    return names
