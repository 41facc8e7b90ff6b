"""The student installs, for real: fresh virtual environments built with pip from the package index.

* Colab's case: the base install plus what Colab already has (TensorFlow, ipykernel), and nothing
  else. Every student notebook's import and data cells run in it, and it holds no nbgrader,
  JupyterLab or other grading tool.
* The README's two student commands, in a fresh copy of the repository: the first installs, the
  second copies the notebooks into work/ and starts a JupyterLab that serves them.

The environments are built with uv's pip-compatible installer (``uv pip install``, the same
arguments as the README's ``pip install``, pinned to constraints/tested.txt so that the result is what
pip resolves too): from its cache that takes seconds, where pip takes minutes. They need the package
index the first time. Offline they skip; in CI they fail.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import nbtools
from needs import unavailable

pytestmark = pytest.mark.install

TESTED = nbtools.ROOT / "constraints" / "tested.txt"
GRADING_TOOLS = {"nbgrader", "jupyterlab", "notebook", "jupyter-server", "alembic", "sqlalchemy", "pytest",
                 "dask", "distributed", "copydetect", "nh3"}
NETWORK_ERRORS = ("Failed to fetch", "dns error", "Network is unreachable", "Connection refused",
                  "Temporary failure in name resolution")


def _uv() -> str:
    found = Path(sys.executable).with_name("uv")
    return str(found) if found.exists() else (shutil.which("uv") or unavailable("uv is not installed (.[dev])"))


def _make_venv(folder: Path, *pip_args: str, cwd: Path | None = None) -> Path:
    """A fresh venv at ``folder`` with ``pip install *pip_args`` run in it (by uv); its python."""
    subprocess.run([_uv(), "venv", "--quiet", "--python", sys.executable, str(folder)], check=True)
    python = folder / "bin" / "python"
    result = subprocess.run([_uv(), "pip", "install", "--quiet", "--python", str(python), *pip_args],
                            cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        if any(e in result.stderr for e in NETWORK_ERRORS):
            unavailable(f"the package index is not reachable: {result.stderr.strip().splitlines()[-1]}")
        pytest.fail(f"pip install {' '.join(pip_args)} failed:\n{result.stderr[-3000:]}")
    return python


def _installed(python: Path) -> set[str]:
    out = subprocess.run([_uv(), "pip", "list", "--python", str(python), "--format", "json"],
                         capture_output=True, text=True, check=True).stdout
    return {d["name"].lower().replace("_", "-") for d in json.loads(out)}


@pytest.fixture(scope="module")
def colab_like_python(tmp_path_factory) -> Path:
    """The student (base) install plus the packages Colab ships that the notebooks use."""
    folder = tmp_path_factory.mktemp("colab-like") / "venv"
    return _make_venv(folder, str(nbtools.ROOT), "tensorflow", "keras", "ipykernel", "-c", str(TESTED))


def test_the_student_install_has_no_grading_tools(colab_like_python):
    installed = _installed(colab_like_python)
    assert {"cnnlab", "numpy", "tensorflow"} <= installed
    assert not installed & GRADING_TOOLS, f"the student install holds {sorted(installed & GRADING_TOOLS)}"


def _data_statements(source: str) -> list[str]:
    """From a cell: each statement that loads a data set, with the plain assignments before it.

    E.g. ``n_train, n_test = (1000, 200) if FAST else (5000, 1000)`` and
    ``data = datasets.load_cifar10(n_train=n_train, …)``, then a line that prints the data's
    source. The rest of the cell (plots, demos, calls of exercises) is left out.
    """
    tree = ast.parse(source)
    kept, found = [], []
    for stmt in tree.body:
        text = ast.get_source_segment(source, stmt)
        if "datasets.load_" in text and isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
            call = next(n for n in ast.walk(stmt.value) if isinstance(n, ast.Call)
                        and ast.unparse(n.func).startswith("datasets.load_"))
            found += kept + [f"_data = {ast.get_source_segment(source, call)}", "print(_data.source)"]
            kept = []
        elif isinstance(stmt, ast.Assign) and not any(isinstance(n, ast.Call) for n in ast.walk(stmt.value)):
            kept.append(text)
    return found


def test_every_notebook_imports_and_loads_its_data_in_the_student_install(colab_like_python, real_data,
                                                                           tmp_path, monkeypatch):
    """Each released notebook's setup cell, then its data loading, in one kernel of the student install."""
    kernels = tmp_path / "jupyter" / "kernels" / "student"
    kernels.mkdir(parents=True)
    (kernels / "kernel.json").write_text(json.dumps({
        "argv": [str(colab_like_python), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "student install", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    monkeypatch.setenv("CNNLAB_FAST", "1")
    cells, loads = [], 0
    for nb_id in nbtools.solution_ids():
        code = [c.source for c in nbtools.read(nbtools.NOTEBOOKS / f"{nb_id}.ipynb").cells if c.cell_type == "code"]
        statements = [line for src in code[1:] for line in _data_statements(src)]
        loads += sum(line == "print(_data.source)" for line in statements)
        cells += [nbformat.v4.new_code_cell(code[0], metadata={"nb": nb_id}),
                  nbformat.v4.new_code_cell("\n".join(statements), metadata={"nb": nb_id})]
    nb = nbformat.v4.new_notebook(cells=cells)
    NotebookClient(nb, kernel_name="student", timeout=300, allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    for cell in nb.cells:
        errors = [f"{o.ename}: {o.evalue}" for o in cell.outputs if o.output_type == "error"]
        assert not errors, f"{cell.metadata['nb']}: {errors[0]}\n{cell.source}"
    printed = "".join(o.get("text", "") for c in nb.cells for o in c.outputs if o.output_type == "stream")
    assert len(re.findall(r"^(?:CIFAR-10|MNIST) from ", printed, re.M)) == loads >= len(nbtools.solution_ids())


def _readme_student_commands() -> list[str]:
    quick = nbtools.ROOT.joinpath("README.md").read_text().split("## Quick start for students", 1)[1]
    block = quick.split("```bash\n", 1)[1].split("```", 1)[0]
    return [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_readme_student_commands_work_in_a_fresh_copy(tmp_path):
    install, start = _readme_student_commands()
    assert install.startswith("pip install ") and start.split()[:2] == ["cnnlab", "start"]
    # A fresh copy of what git tracks (what a clone gets), with the working tree's edits.
    clone = tmp_path / "course"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=nbtools.ROOT, capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, files):
        if (nbtools.ROOT / name).is_file():
            (clone / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(nbtools.ROOT / name, clone / name)
    python = _make_venv(tmp_path / "venv", *shlex.split(install)[2:], "-c", str(TESTED), cwd=clone)
    installed = _installed(python)
    assert "jupyterlab" in installed and "tensorflow" in installed
    assert not installed & (GRADING_TOOLS - {"jupyterlab", "notebook", "jupyter-server"})

    port, token = _free_port(), "cnnlab-test"
    cnnlab = python.parent / "cnnlab"
    env = {**os.environ, "PATH": f"{python.parent}{os.pathsep}{os.environ['PATH']}"}
    server = subprocess.Popen([str(cnnlab), *start.split()[1:], "--no-browser", "--ServerApp.ip=127.0.0.1",
                               f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
                               "--ServerApp.allow_root=True"],
                              cwd=clone, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        listing = None
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token={token}",
                                            timeout=2) as response:
                    listing = json.load(response)
                break
            except OSError:
                if server.poll() is not None:
                    break
                time.sleep(1)
        assert listing is not None, f"JupyterLab did not start:\n{server.stdout.read() if server.poll() is not None else ''}"
        served = sorted(item["name"] for item in listing["content"] if item["type"] == "notebook")
        assert served == sorted(p.name for p in (clone / "notebooks").glob("*.ipynb"))
        assert (clone / "work" / served[0]).read_bytes() == (clone / "notebooks" / served[0]).read_bytes()
    finally:
        server.terminate()
        server.wait(timeout=30)
    with pytest.raises(OSError):  # stopping `cnnlab start` stopped its JupyterLab too
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/contents?token={token}", timeout=2)
    # The copy is the student's: a second start keeps it, even after a course update.
    notebook = clone / "work" / served[0]
    notebook.write_text(notebook.read_text().replace("YOUR CODE HERE", "my answer"))
    course = clone / "notebooks" / served[0]
    course.write_text(course.read_text() + "\n")
    again = subprocess.run([str(cnnlab), "start", "--no-lab"], cwd=clone, capture_output=True, text=True,
                           env=env, check=True).stdout
    assert "my answer" in notebook.read_text()
    assert re.search(rf"newer {re.escape(served[0])}", again), again
