"""The grader works when its environment lives under /tmp (as in a CI clone), and refuses to grade
when the kernel's environment is broken, instead of grading a class 0.

The sandbox gives each kernel a private /tmp; the environment and the package must still be
visible there. A venv is built under /tmp (no pip: a ``.pth`` file lends it this venv's
packages) and the cnnlab package is copied next to it, so both the interpreter and the
package the kernel imports come from under /tmp.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from pathlib import Path

import pytest

import instructor_tools as it
from cnnlab import release
from cnnlab.grade import sandbox
from needs import require_sandbox

pytestmark = pytest.mark.nbgrader
PACKAGE = Path(sandbox.__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def tmp_env():
    require_sandbox()
    root = Path(tempfile.mkdtemp(prefix="cnnlab-ci-", dir="/tmp"))
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    shutil.copytree(PACKAGE, root / "src" / "cnnlab", ignore=shutil.ignore_patterns("__pycache__"))
    python = venv / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    # The copy under /tmp first, then this venv's packages (numpy, nbgrader, ...).
    Path(site, "cnnlab_ci.pth").write_text(f"{root / 'src'}\n{sysconfig.get_paths()['purelib']}\n")
    yield root, python
    shutil.rmtree(root, ignore_errors=True)


def _run(python: Path, code: str) -> subprocess.CompletedProcess:
    return subprocess.run([python, "-c", code], capture_output=True, text=True, timeout=600, cwd="/")


def test_self_test_passes_with_venv_and_package_under_tmp(tmp_env):
    root, python = tmp_env
    out = _run(python, "import cnnlab, sys; from cnnlab.grade import sandbox\n"
                       "print(cnnlab.__file__); print(sandbox.self_test())")
    assert out.returncode == 0, out.stderr[-2000:]
    package, interpreter = out.stdout.strip().splitlines()[-2:]
    assert package.startswith(str(root / "src")), package
    assert interpreter == str(python)


def test_class_graded_from_tmp_environment(tmp_env, tmp_path):
    root, python = tmp_env
    it.tiny_source(tmp_path / "solutions" / f"{it.TINY}.ipynb")
    course = Path(tempfile.mkdtemp(prefix="course-", dir="/tmp"))
    try:
        release.build_course(tmp_path / "solutions", course, [it.TINY])
        released = course / "release" / it.TINY / f"{it.TINY}.ipynb"
        it.write_submission(course / "submitted" / "alice" / it.TINY, it.TINY, it.answered(released, it.RIGHT))
        out = _run(python, "import sys; from cnnlab.cli import main\n"
                           f"sys.exit(main(['grade', 'autograde', '--course', {str(course)!r}, '-j', '1']))")
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
        state = json.loads((course / ".cnnlab" / "autograde.json").read_text())
        assert state[f"alice/{it.TINY}"]["status"] == "graded", state
        assert state[f"alice/{it.TINY}"]["score"] == 3, state
    finally:
        shutil.rmtree(course, ignore_errors=True)


def test_broken_kernel_environment_refuses_to_grade(tmp_path):
    """A kernel whose Python lacks the course's packages stops the grader with the reason."""
    require_sandbox()
    spec = tmp_path / "kernels" / "bare"
    spec.mkdir(parents=True)
    # The system interpreter, without the course's environment: no numpy, no cnnlab.
    bare = shutil.which("python3", path="/usr/bin:/bin")
    if bare is None:
        pytest.skip("no system python3")
    (spec / "kernel.json").write_text(json.dumps({"argv": [bare, "-I", "-m", "ipykernel_launcher", "-f",
                                                           "{connection_file}"],
                                                  "display_name": "bare", "language": "python"}))
    from jupyter_client.kernelspec import KernelSpecManager

    ksm = KernelSpecManager(kernel_dirs=[str(tmp_path / "kernels")])
    with pytest.raises(sandbox.SandboxUnavailable, match="Nothing was graded") as info:
        sandbox.self_test("bare", kernel_spec_manager=ksm)
    assert "ModuleNotFoundError" in str(info.value) or "No module named" in str(info.value)
