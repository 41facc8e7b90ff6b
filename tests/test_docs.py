"""README, environment.yml, pyproject.toml and .ci/run agree with each other and with the repo."""

from __future__ import annotations

import re
import subprocess
import tomllib

import nbtools

README = (nbtools.ROOT / "README.md").read_text(encoding="utf-8")


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~ \[]", requirement.strip(), maxsplit=1)[0].lower()


def test_environment_yml_and_pyproject_declare_the_same_dependencies():
    """environment.yml holds the base list and every extra (the extras' references to cnnlab itself aside)."""
    pyproject = tomllib.loads((nbtools.ROOT / "pyproject.toml").read_text())["project"]
    requirements = list(pyproject["dependencies"])
    for extra in pyproject["optional-dependencies"].values():
        requirements += [r for r in extra if _name(r) != "cnnlab"]
    declared = {_name(r): r.replace(" ", "") for r in requirements}
    conda = set()
    in_dependencies = False
    for line in (nbtools.ROOT / "environment.yml").read_text().splitlines():
        if line.strip().startswith("#"):
            continue
        if not line.startswith(" "):
            in_dependencies = line.startswith("dependencies:")
            continue
        m = re.match(r"\s+- (?!pip$|pip:|python=|-e )(\S+)$", line)
        if in_dependencies and m:
            conda.add(m.group(1).replace(" ", ""))
    assert {_name(r): r for r in conda} == declared


def test_readme_lists_every_notebook_with_a_colab_badge():
    from cnnlab import release

    repository = release.course_repository(nbtools.ROOT / "pyproject.toml")
    links = re.findall(r"colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/", README)
    assert links and set(links) == {repository}, "README's Colab links must open the course's Repository"
    for nb_id in nbtools.solution_ids():
        assert f"(notebooks/{nb_id}.ipynb)" in README, f"README's table lacks notebooks/{nb_id}.ipynb"
        assert f"colab.research.google.com/github/{repository}/blob/main/notebooks/{nb_id}.ipynb" in README


def _ci_reads(heading: str) -> list[str]:
    script = nbtools.ROOT / ".ci" / "run"
    src = script.read_text()
    func = src[src.index("readme_block() {"):src.index("\nmapfile")]
    out = subprocess.run(["bash", "-c", f'{func}\nreadme_block "{heading}"'], cwd=nbtools.ROOT,
                         capture_output=True, text=True, check=True).stdout
    return [line for line in out.split("\n") if line]


def test_ci_runs_the_readme_developer_install_and_test_command():
    """CI reads the install and test commands out of README.md's Tests section; check what it reads."""
    assert _ci_reads("## Tests") == ['pip install -e ".[dev]" -c constraints/tested.txt', "pytest -n 2"]
    assert 'install_cmd=${tests_block[0]}' in (nbtools.ROOT / ".ci" / "run").read_text()


def test_readme_has_two_student_commands_install_and_start():
    assert _ci_reads("## Quick start for students") == ['pip install -e ".[local]"', "cnnlab start"]
