"""`cnnlab grade similarity` on a simulated class over notebook 01_knn's real answer cells.

The class (tests/similarity_class.py): six honest students with six independent, correct
implementations of each of six exercises, five planted copies disguised in different ways,
and three students who hand in only the starter code. The report must find every planted
pair and rank no other pair above any of them.
"""

from __future__ import annotations

import csv
import itertools

import nbformat
import numpy as np
import pytest

import instructor_tools as it
import nbtools
import similarity_class as sc
from cnnlab import cli, release
from cnnlab.grade import grading
from cnnlab.grade import similarity

AID = "01_knn"
pytestmark = pytest.mark.nbgrader


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course folder with 01_knn released and the simulated class submitted."""
    root = tmp_path_factory.mktemp("similarity")
    release.build_course(nbtools.ROOT / "solutions", root / "course", [AID])
    course = root / "course"
    released = course / "release" / AID / f"{AID}.ipynb"
    for student, cells in sc.simulated_class(_released_cells(released)).items():
        it.write_submission(course / "submitted" / student / AID, AID, it.answered(released, cells))
    return course


def _released_cells(path) -> dict[str, str]:
    return grading.answer_cells(nbformat.read(path, as_version=4))


def test_every_simulated_solution_is_correct(course):
    """The honest styles and the disguised copies all compute what the reference solution does."""
    ref = grading.answer_namespace(nbtools.ROOT / "solutions" / f"{AID}.ipynb", np=np)
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 256, (2, 3, 4, 3), dtype=np.uint8)
    X_test, X_train = rng.integers(0, 256, (4, 12), dtype=np.uint8), rng.integers(0, 256, (7, 12), dtype=np.uint8)
    dists, y_train = rng.random((5, 9)), rng.integers(0, 4, 9)
    released = _released_cells(course / "release" / AID / f"{AID}.ipynb")
    for student, cells in sc.simulated_class(released).items():
        if not cells:
            continue
        ns = {"np": np}
        for gid in sc.EXERCISES:
            exec(cells[gid], ns)
        for name in ("l1_distance", "l2_distance"):
            assert ns[name](a, b) == pytest.approx(ref[name](a, b)), (student, name)
        for name in ("compute_distances_two_loops", "compute_distances_one_loop", "compute_distances_no_loops"):
            np.testing.assert_allclose(ns[name](X_test, X_train), ref[name](X_test, X_train), rtol=1e-9,
                                       err_msg=f"{student} {name}")
        for k in (1, 3, 5):
            np.testing.assert_array_equal(ns["predict_labels"](dists, y_train, k=k),
                                          ref["predict_labels"](dists, y_train, k=k), err_msg=f"{student} k={k}")
    # Six genuinely different implementations per exercise, not one text six times.
    for gid in sc.EXERCISES:
        assert len({sc.HONEST[s][gid] for s in sc.HONEST}) == len(sc.HONEST) >= 5


def test_planted_pairs_found_and_ranked_above_every_honest_pair(course, capsys):
    assert cli.main(["grade", "similarity", "--course", str(course), "-a", AID]) == 0
    out = capsys.readouterr().out
    folder = course / "reports" / "similarity"
    with open(folder / f"{AID}.csv") as f:
        rows = list(csv.DictReader(f))
    students = sorted([*sc.HONEST, *sc.PLANTED, *sc.STARTER_ONLY])
    compared = [s for s in students if s not in sc.STARTER_ONLY]
    assert len(rows) == len(list(itertools.combinations(compared, 2)))  # every pair, starter-only left out
    score = {frozenset((r["student_a"], r["student_b"])): float(r["score"]) for r in rows}
    flagged = {frozenset((r["student_a"], r["student_b"])) for r in rows if r["flagged"] == "1"}
    planted = sc.planted_pairs()
    honest = set(score) - planted
    found = planted & flagged
    lowest_planted = min(score[p] for p in planted)
    above = sorted((score[p], sorted(p)) for p in honest if score[p] >= lowest_planted)
    top_honest = max(score[p] for p in honest)
    with capsys.disabled():
        print(f"\nsimilarity on {AID}: recall of planted pairs {len(found)}/{len(planted)}; "
              f"honest pairs flagged {len(honest & flagged)}/{len(honest)}; lowest planted score "
              f"{lowest_planted:.2f}, highest honest score {top_honest:.2f}")
        for copy, (source, how) in sc.PLANTED.items():
            print(f"  {copy} <- {source} ({how}): {score[frozenset((copy, source))]:.2f}")
    assert found == planted, f"planted pairs missed: {sorted(map(sorted, planted - found))}"
    assert not honest & flagged, f"honest pairs flagged: {sorted(map(sorted, honest & flagged))}"
    assert not above, f"honest pairs ranked at or above a planted pair: {above}"
    # Starter-only submissions share only the released code, which counts for nobody.
    page = (folder / f"{AID}.html").read_text()
    for s in sc.STARTER_ONLY:
        assert f"{s}: no answer code beyond the starter code" in page  # listed, not compared
    assert "copy_comments" in out and (folder / f"{AID}.png").read_bytes()[:4] == b"\x89PNG"


def test_html_escapes_student_code_and_shows_matches_side_by_side(course):
    results = similarity.find_similar(course, [AID], out_dir=course / "reports" / "escaped")
    page = results[0][1]["html"].read_text()
    assert sc.INJECTION not in page and "<script>" not in page
    assert "&lt;/pre&gt;&lt;script&gt;alert(" in page
    assert page.count("<mark>") > 10 and 'class="side"' in page
    assert "data:image/png;base64," in page


def test_starter_code_alone_matches_nobody(tmp_path):
    starter = "def f(a, b):\n    \"\"\"Add.\"\"\"\n    # YOUR CODE HERE\n    raise NotImplementedError()\n"
    code = {"x": starter, "y": starter, "z": starter.replace("    # YOUR CODE HERE\n    raise NotImplementedError()",
                                                             "    total = a\n    total = total + b\n    return total")}
    pairs, skipped = similarity.compare(code, [starter])
    assert sorted(skipped) == ["x", "y"] and pairs == []
    # Without the starter as boilerplate, the same two blank submissions would be a perfect match.
    pairs, skipped = similarity.compare({"x": starter, "y": starter}, [])
    assert not skipped and pairs[0].score == 1.0


def test_unknown_assignment_is_a_clear_error(course, capsys):
    with pytest.raises(similarity.SimilarityError, match="no released assignment 99_nope"):
        similarity.find_similar(course, ["99_nope"])
    assert cli.main(["grade", "similarity", "--course", str(course), "-a", "99_nope"]) == 2
    assert "run `cnnlab grade release`" in capsys.readouterr().err


def test_unreadable_submission_is_listed_not_fatal(course, tmp_path):
    import shutil

    copy = tmp_path / "course"
    shutil.copytree(course, copy)
    it.write_submission(copy / "submitted" / "broken" / AID, AID, b"this is not a notebook {")
    (result, paths), = similarity.find_similar(copy, [AID])
    assert result.skipped["broken"].startswith("not a readable notebook")
    assert "broken: not a readable notebook" in paths["html"].read_text()
    assert len(result.pairs) == len(list(itertools.combinations([*sc.HONEST, *sc.PLANTED], 2)))
