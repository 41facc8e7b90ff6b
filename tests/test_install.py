"""One install per audience: what a student gets, what Colab's setup cell changes, the Python range.

* The base install (``pip install cnnlab``, and Colab's setup cell) holds no
  grading tool, no JupyterLab and no test runner, not even through a dependency.
* Resolved by pip against Colab's preinstalled versions (constraints/colab.txt),
  the Colab setup cell changes none of them.
* README, pyproject.toml and the lock file (constraints/tested.txt) agree.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

import nbtools

PYPROJECT = tomllib.loads((nbtools.ROOT / "pyproject.toml").read_text())["project"]
README = (nbtools.ROOT / "README.md").read_text(encoding="utf-8")
COLAB = nbtools.ROOT / "constraints" / "colab.txt"
TESTED = nbtools.ROOT / "constraints" / "tested.txt"

# What a student must never get: the grading stack, the Jupyter servers, the test runner.
NOT_FOR_STUDENTS = {canonicalize_name(n) for n in (
    "nbgrader", "jupyterlab", "notebook", "jupyter_server", "alembic", "sqlalchemy", "pytest",
    "dask", "distributed", "copydetect", "nh3", "psycopg")}


def _pins(path: Path) -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _closure(requirements: list[str]) -> set[str]:
    """Every distribution that ``requirements`` pull in (extras included), read from the installed metadata."""
    seen: set[tuple[str, str]] = set()
    todo = [Requirement(r) for r in requirements]
    while todo:
        req = todo.pop()
        name = canonicalize_name(req.name)
        extras = ("",) + tuple(sorted(req.extras))
        if all((name, e) in seen for e in extras):
            continue
        seen |= {(name, e) for e in extras}
        try:
            requires = [Requirement(r) for r in metadata.requires(req.name) or []]
        except metadata.PackageNotFoundError:
            continue
        todo += [r for r in requires if r.marker is None or any(r.marker.evaluate({"extra": e}) for e in extras)]
    return {name for name, _ in seen}


def test_the_student_install_pulls_in_no_grading_tool():
    pulled = _closure(PYPROJECT["dependencies"])
    assert not pulled & NOT_FOR_STUDENTS, f"the base install pulls in {sorted(pulled & NOT_FOR_STUDENTS)}"
    local = _closure(PYPROJECT["dependencies"] + PYPROJECT["optional-dependencies"]["local"])
    assert not local & (NOT_FOR_STUDENTS - {"jupyterlab", "notebook", "jupyter-server"}), \
        "the local extra pulls in grading tools"
    # ... while the instructor's and the developer's installs have what they run
    assert {"nbgrader"} <= _closure(["cnnlab[instructor]"]) and {"pytest"} <= _closure(["cnnlab[dev]"])


def _colab_setup_requirement() -> str:
    """The requirement that the notebooks' Colab cell installs, as released."""
    lines = set()
    for path in nbtools.NOTEBOOKS.glob("*.ipynb"):
        setup = next(c for c in nbtools.read(path).cells if c.cell_type == "code")
        lines |= {line.strip() for line in setup.source.splitlines() if "pip install" in line}
    assert len(lines) == 1, f"the notebooks' Colab cells install different things: {sorted(lines)}"
    line = lines.pop()
    match = re.fullmatch(r'%pip install -q "(cnnlab @ git\+https://github\.com/[^"]+)"', line)
    assert match, f"the Colab cell must install the course package alone, without extras or upgrades: {line}"
    return match.group(1)


def _stub_wheel(folder: Path, name: str, version: str, requires=()) -> None:
    """A wheel that holds only metadata: enough for pip's resolver to consider ``name==version``."""
    dist = f"{canonicalize_name(name).replace('-', '_')}-{version}"
    files = {f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
             + "".join(f"Requires-Dist: {r}\n" for r in requires),
             f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: cnnlab-tests\nRoot-Is-Purelib: true\n"
             "Tag: py3-none-any\n"}
    record = "".join(f"{p},sha256={base64.urlsafe_b64encode(hashlib.sha256(c.encode()).digest()).rstrip(b'=').decode()}"
                     f",{len(c)}\n" for p, c in files.items())
    files[f"{dist}.dist-info/RECORD"] = record + f"{dist}.dist-info/RECORD,,\n"
    with zipfile.ZipFile(folder / f"{dist}-py3-none-any.whl", "w") as wheel:
        for path, content in files.items():
            wheel.writestr(path, content)


def test_colab_setup_cell_changes_no_package_colab_ships(tmp_path):
    """pip's real resolver, offline: cnnlab's requirements against Colab's versions, on Colab's Python.

    Each package Colab ships is offered at exactly Colab's version (a metadata-only wheel) and pinned
    by constraints/colab.txt; pip must resolve cnnlab's base requirements with those alone.
    """
    _colab_setup_requirement()
    colab = _pins(COLAB)
    python = re.search(r"^# python_version: (\S+)", COLAB.read_text(), re.M).group(1)
    wheels = tmp_path / "index"
    wheels.mkdir()
    for name, version in colab.items():
        _stub_wheel(wheels, name, version)
    _stub_wheel(wheels, "cnnlab", "0.0.0", PYPROJECT["dependencies"])
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--report", str(report),
         "--no-index", "--find-links", str(wheels), "--ignore-installed", "--only-binary=:all:",
         "--python-version", python, "-c", str(COLAB), "cnnlab==0.0.0",
         "--target", str(tmp_path / "target")],  # pip before 24 allows --python-version only with --target
        capture_output=True, text=True)
    assert result.returncode == 0, (
        "In Colab, the setup cell would have to change or add packages: a requirement in pyproject.toml's "
        f"base list is not met by Colab's preinstalled version (constraints/colab.txt).\n{result.stderr}")
    installed = {canonicalize_name(i["metadata"]["name"]): i["metadata"]["version"]
                 for i in json.loads(report.read_text())["install"]}
    assert installed.pop("cnnlab") == "0.0.0"
    assert installed == {name: colab[name] for name in installed}
    assert set(installed) == {canonicalize_name(Requirement(r).name) for r in PYPROJECT["dependencies"]}
    assert SpecifierSet(PYPROJECT["requires-python"]).contains(python), \
        f"Colab runs Python {python}, outside requires-python {PYPROJECT['requires-python']}"


def test_the_python_range_is_the_same_in_readme_and_pyproject():
    spec = SpecifierSet(PYPROJECT["requires-python"])
    match = re.search(r"Python (3\.\d+) to (3\.\d+)", README)
    assert match, "README must state the supported Python versions as 'Python 3.X to 3.Y'"
    low, high = (Version(v) for v in match.groups())
    supported = [Version(f"3.{minor}") for minor in range(8, 20) if Version(f"3.{minor}") in spec]
    assert (supported[0], supported[-1]) == (low, high), \
        f"README says Python {low} to {high}; pyproject's requires-python {spec} allows {supported}"
    # The instructor tools need nbgrader, whose own floor the README states too.
    nbgrader_floor = SpecifierSet(metadata.metadata("nbgrader")["Requires-Python"])
    instructor = re.search(r"instructors? .{0,80}?Python (3\.\d+)", README, re.S | re.I)
    assert instructor and Version(instructor.group(1)) in nbgrader_floor, \
        f"README must say which Python the instructor install needs (nbgrader: {nbgrader_floor})"


def test_the_lock_file_pins_what_ci_tested():
    """constraints/tested.txt pins every dependency, at the version installed in this environment.

    CI installs with it, so a dependency added to pyproject.toml without regenerating the lock
    file (see the README's Tests section) fails here.
    """
    tested = _pins(TESTED)
    everything = _closure(["cnnlab[dev]"]) - {"cnnlab"}
    missing = sorted(everything - set(tested))
    assert not missing, f"constraints/tested.txt does not pin {missing}: regenerate it (README, Tests)"
    for name in sorted(everything):
        installed = metadata.version(name)
        assert installed == tested[name], f"{name} {installed} is installed but the lock file pins {tested[name]}"
