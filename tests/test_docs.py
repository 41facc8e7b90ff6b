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
    pyproject = tomllib.loads((nbtools.ROOT / "pyproject.toml").read_text())["project"]
    declared = {_name(r): r.replace(" ", "") for r in pyproject["dependencies"]}
    declared.update({_name(r): r.replace(" ", "") for r in pyproject["optional-dependencies"]["dev"]})
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
    for nb_id in nbtools.solution_ids():
        assert f"(notebooks/{nb_id}.ipynb)" in README, f"README's table lacks notebooks/{nb_id}.ipynb"
        assert f"colab.research.google.com/github/cnnlab/cnnlab/blob/main/notebooks/{nb_id}.ipynb" in README


def test_readme_has_two_setup_commands_and_ci_runs_them():
    """CI reads the install and test commands out of README.md; check what it reads."""
    script = nbtools.ROOT / ".ci" / "run"
    src = script.read_text()
    func = src[src.index("readme_block() {"):src.index("\ninstall_cmd=")]
    out = subprocess.run(["bash", "-c", f'{func}\nreadme_block "## Quick start for students"; '
                          f'readme_block "## Tests"'], cwd=nbtools.ROOT, capture_output=True,
                         text=True, check=True).stdout.split("\n")
    assert out[:2] == ['pip install -e ".[dev]"', "pytest -n 2"]
    quick = README.split("## Quick start for students", 1)[1].split("```bash\n", 1)[1].split("```", 1)[0]
    commands = [line for line in quick.splitlines() if line.strip()]
    assert len(commands) == 2 and commands[1].startswith("jupyter lab notebooks/")
