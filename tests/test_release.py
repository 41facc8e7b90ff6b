"""notebooks/ is exactly what `cnnlab release` makes from solutions/ (regenerate, then compare)."""

from __future__ import annotations

import pytest

import nbtools
from cnnlab import cli

pytestmark = pytest.mark.nbgrader


def test_notebooks_are_in_sync_with_solutions(tmp_path):
    assert cli.main(["release", "--solutions", str(nbtools.SOLUTIONS), "--notebooks", str(tmp_path)]) == 0
    made = sorted(p.name for p in tmp_path.glob("*.ipynb"))
    committed = sorted(p.name for p in nbtools.NOTEBOOKS.glob("*.ipynb"))
    assert made == committed, "notebooks/ and solutions/ list different notebooks: run `cnnlab release`"
    for name in made:
        assert (tmp_path / name).read_bytes() == (nbtools.NOTEBOOKS / name).read_bytes(), \
            f"notebooks/{name} is out of date: run `cnnlab release` and commit the result"


def test_release_reports_a_broken_source(tmp_path):
    """A solution notebook that nbgrader rejects gives an error with nbgrader's reason."""
    from cnnlab import release
    from cnnlab.grade.nbgrader_api import NbgraderError

    src = tmp_path / "solutions"
    src.mkdir()
    nb = nbtools.read(nbtools.SOLUTIONS / "01_knn.ipynb")
    for cell in nb.cells:  # two cells with one grade_id: nbgrader refuses that
        if nbtools.nbgrader_meta(cell).get("grade_id") == "l2_distance":
            cell.metadata["nbgrader"]["grade_id"] = "l1_distance"
    import nbformat
    nbformat.write(nb, src / "99_broken.ipynb")
    with pytest.raises(NbgraderError, match="generate_assignment 99_broken failed"):
        release.release(src, tmp_path / "out")
    assert not (tmp_path / "out" / "99_broken.ipynb").exists()


def test_the_course_address_is_one_setting(tmp_path):
    """pyproject's Repository fills the notebooks' token and the README's Colab links; a bad one is refused."""
    from cnnlab import release

    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[project.urls]\nRepository = "https://github.com/uni-x/cnn-course.git"\n')
    assert release.course_repository(pyproject) == "uni-x/cnn-course"
    assert release.fill_repository("github.com/@COURSE_REPOSITORY@/blob", "uni-x/cnn-course") == \
        "github.com/uni-x/cnn-course/blob"
    readme = "[![b](x.svg)](https://colab.research.google.com/github/cnnlab/cnnlab/blob/main/notebooks/01_knn.ipynb)"
    assert release.readme_with_repository(readme, "uni-x/cnn-course") == readme.replace("cnnlab/cnnlab", "uni-x/cnn-course")
    pyproject.write_text('[project.urls]\nRepository = "https://gitlab.com/uni-x/cnn-course"\n')
    with pytest.raises(ValueError, match="not a GitHub repository address"):
        release.course_repository(pyproject)
    pyproject.write_text('[project]\nname = "x"\n')
    with pytest.raises(ValueError, match=r"set the course's address under \[project.urls\]"):
        release.course_repository(pyproject)
