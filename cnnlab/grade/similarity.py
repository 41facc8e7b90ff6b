"""Pairs of students whose answer cells are unusually similar, per notebook.

The comparison is copydetect's (winnowed k-gram fingerprints, as MOSS does); this module
only decides *what* is compared and writes the report:

* **Only answer code.** A student's document is the source of the notebook's solution cells
  (the cells whose nbgrader metadata says ``solution: true`` in the released notebook, found
  in the submission by ``grade_id``). Every code cell of the released notebook -- signatures,
  docstrings, ``raise NotImplementedError()``, the provided helpers -- is copydetect
  *boilerplate*: any fingerprint it contains is dropped from every student's document.
* **Normalised.** copydetect tokenises with Pygments and replaces every variable, attribute
  and called name with ``V``, every defined function name with ``F`` and every string with
  ``S``, and drops comments and whitespace, so renaming, re-commenting and re-indenting
  change nothing. Reordering: a document's fingerprints are a *set* of k-gram hashes, so
  functions or statements moved around still match; only the few k-grams that span a seam
  between moved blocks are lost. Numbers and keywords are kept, so a changed constant breaks
  the k-grams around it but not the rest.
* **Score.** For a pair (a, b), copydetect reports the share of a's fingerprinted tokens
  found in b and the share of b's found in a. A pair's score is the larger of the two: a
  student who copied a classmate's whole answer and added code of their own still scores
  high on the classmate's side.

``find_similar(course_dir)`` writes, per notebook, ``reports/similarity/<notebook>.csv``
(every compared pair), ``<notebook>.html`` (the distribution and the top pairs with the
matching code side by side; all student code HTML-escaped) and ``<notebook>.png`` (the
histogram of pair scores).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import re
from dataclasses import dataclass, field
from glob import glob
from pathlib import Path

import nbformat

NOISE = 25        # copydetect noise_t: shortest match, in filtered characters, that counts
GUARANTEE = 30    # copydetect guarantee_t: matches this long are always found (window = 30 - 25 + 1)
THRESHOLD = 0.5   # pairs scoring at least this are flagged for a human to look at
SHOWN = 20        # the HTML shows every flagged pair, and at least this many of the top pairs


class SimilarityError(ValueError):
    """The course folder lacks what the comparison needs (the message says what to do)."""


@dataclass
class Pair:
    """Two students' answer code for one notebook, as copydetect compared it."""

    student_a: str
    student_b: str
    share_a: float            # share of a's fingerprinted answer code found in b's
    share_b: float
    matched_tokens: int       # filtered characters of a's code inside matching k-grams
    slices_a: object = field(repr=False, default=None)  # copydetect's (2, n) start/end offsets in a's code
    slices_b: object = field(repr=False, default=None)

    @property
    def score(self) -> float:
        return max(self.share_a, self.share_b)


@dataclass
class NotebookSimilarity:
    """Every pair of one notebook, highest score first."""

    assignment: str
    notebook: str
    code: dict[str, str]                      # student -> answer code compared
    pairs: list[Pair]
    skipped: dict[str, str]                   # student -> why not compared
    threshold: float = THRESHOLD
    noise: int = NOISE
    guarantee: int = GUARANTEE

    @property
    def flagged(self) -> list[Pair]:
        return [p for p in self.pairs if p.score >= self.threshold]


def answer_ids(released: nbformat.NotebookNode) -> list[str]:
    """grade_ids of the released notebook's solution (answer) cells, in notebook order."""
    return [c.metadata["nbgrader"]["grade_id"] for c in released.cells
            if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")]


def answer_code(submission: nbformat.NotebookNode, grade_ids: list[str]) -> str:
    """The source of the submission's cells with these grade_ids, in the order given."""
    by_id = {c.metadata.get("nbgrader", {}).get("grade_id"): c.source for c in submission.cells
             if c.cell_type == "code"}
    return "\n\n".join(by_id[g] for g in grade_ids if by_id.get(g))


def _fingerprint(code: str, name: str, win_size: int, boilerplate=None, noise: int = NOISE):
    from copydetect import CodeFingerprint

    return CodeFingerprint(name, noise, win_size, boilerplate=boilerplate, fp=io.StringIO(code),
                           language="python")


def compare(code: dict[str, str], starter: list[str], noise: int = NOISE,
            guarantee: int = GUARANTEE) -> tuple[list[Pair], dict[str, str]]:
    """Compare every pair of ``code`` (student -> answer code) with copydetect.

    ``starter`` holds code every student was given (its fingerprints count for nobody): each
    code cell of the released notebook, and its answer cells joined as ``answer_code`` joins
    a student's (so that k-grams across two stubs count for nobody either).
    Returns the pairs, highest score first, and the students left out (student -> why):
    those whose answer code has no fingerprint beyond the starter code.
    """
    import numpy as np
    from copydetect import compare_files

    if guarantee < noise:
        raise SimilarityError(f"the guarantee threshold ({guarantee}) must be at least the noise threshold ({noise})")
    # As copydetect's boilerplate option does: every k-gram (window 1) of the starter code.
    given = set()
    for part in starter:
        if part.strip():
            given |= _fingerprint(part, "starter.py", 1, noise=noise).hashes
    boilerplate = np.array(sorted(given), dtype=np.int64) if given else None
    prints, skipped = {}, {}
    for student in sorted(code):
        fp = _fingerprint(code[student], f"{student}.py", guarantee - noise + 1, boilerplate, noise)
        if fp.token_coverage == 0:
            skipped[student] = "no answer code beyond the starter code (or too little to compare)"
        else:
            prints[student] = fp
    students = sorted(prints)
    pairs = []
    for i, a in enumerate(students):
        for b in students[i + 1:]:
            overlap, (share_a, share_b), (slices_a, slices_b) = compare_files(prints[a], prints[b])
            pairs.append(Pair(a, b, float(share_a), float(share_b), int(overlap), slices_a, slices_b))
    pairs.sort(key=lambda p: (-p.score, -p.matched_tokens, p.student_a, p.student_b))
    return pairs, skipped


def _coursedir(course_dir: Path):
    from nbgrader.coursedir import CourseDirectory

    cd = CourseDirectory()
    cd.root = str(Path(course_dir).resolve())
    return cd


def notebook_submissions(course_dir: Path, assignment: str) -> tuple[dict[str, Path], dict[str, Path]]:
    """(notebook name -> released notebook, ``"<student>/<notebook>"`` -> submitted notebook).

    Paths come from nbgrader's ``CourseDirectory`` (its ``directory_structure``).
    """
    cd = _coursedir(course_dir)
    release = Path(cd.format_path(cd.release_directory, ".", assignment))
    released = {p.stem: p for p in sorted(release.glob("*.ipynb"))}
    if not released:
        raise SimilarityError(f"no released notebook for assignment {assignment!r} in {release}: "
                              f"run `cnnlab grade release --course {course_dir}` first")
    submitted = {}
    # nbgrader's own way to read the student id back from a path (as its apps do).
    pattern = re.compile(cd.format_path(cd.submitted_directory, "(?P<student_id>[^/]+)", re.escape(assignment),
                                        escape=True) + "$")
    for folder in sorted(glob(cd.format_path(cd.submitted_directory, "*", assignment))):
        match = pattern.match(folder)
        if not match or not Path(folder).is_dir():
            continue
        student = match.group("student_id")
        for name in released:
            path = Path(folder) / f"{name}.ipynb"
            if path.is_file():
                submitted[f"{student}/{name}"] = path
    return released, submitted


def released_assignments(course_dir: Path) -> list[str]:
    """Assignments with a released folder (nbgrader's ``release/<assignment>/``)."""
    cd = _coursedir(course_dir)
    return sorted(Path(p).name for p in glob(cd.format_path(cd.release_directory, ".", "*")) if Path(p).is_dir())


def compare_notebook(released_path: Path, submissions: dict[str, Path], assignment: str = "",
                     threshold: float = THRESHOLD, noise: int = NOISE,
                     guarantee: int = GUARANTEE) -> NotebookSimilarity:
    """Compare the answer cells of ``submissions`` (student -> notebook) of one released notebook."""
    released = nbformat.read(released_path, as_version=4)
    ids = answer_ids(released)
    starter = [c.source for c in released.cells if c.cell_type == "code"] + [answer_code(released, ids)]
    code, unreadable = {}, {}
    for student, path in submissions.items():
        try:
            code[student] = answer_code(nbformat.read(path, as_version=4), ids)
        except Exception as exc:  # not JSON, not a notebook: say so in the report, compare the rest
            unreadable[student] = f"not a readable notebook ({type(exc).__name__})"
    pairs, skipped = compare(code, starter, noise, guarantee)
    return NotebookSimilarity(assignment or released_path.stem, released_path.stem, code, pairs,
                              {**unreadable, **skipped}, threshold, noise, guarantee)


def find_similar(course_dir: Path, assignments: list[str] | None = None, out_dir: Path | None = None,
                 threshold: float = THRESHOLD, noise: int = NOISE,
                 guarantee: int = GUARANTEE) -> list[tuple[NotebookSimilarity, dict[str, Path]]]:
    """Compare every released notebook of ``assignments`` (default: all) and write the reports.

    Returns, per notebook, the comparison and the paths written (``csv``, ``html``, ``png``)
    under ``out_dir`` (default ``<course>/reports/similarity``).
    """
    course_dir = Path(course_dir)
    out_dir = Path(out_dir or course_dir / "reports" / "similarity")
    known = released_assignments(course_dir)
    wanted = assignments or known
    missing = [a for a in wanted if a not in known]
    if missing or not wanted:
        raise SimilarityError(f"no released assignment {', '.join(missing) or ''} in {course_dir}/release "
                              f"(released: {', '.join(known) or 'none'}); run `cnnlab grade release` first")
    results = []
    for aid in wanted:
        released, submitted = notebook_submissions(course_dir, aid)
        for name, path in released.items():
            subs = {key.split("/")[0]: p for key, p in submitted.items() if key.endswith(f"/{name}")}
            result = compare_notebook(path, subs, aid, threshold, noise, guarantee)
            results.append((result, write_reports(result, out_dir)))
    return results


def write_reports(result: NotebookSimilarity, out_dir: Path) -> dict[str, Path]:
    """Write ``<notebook>.csv``, ``.png`` and ``.html`` under ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = {ext: out_dir / f"{result.notebook}.{ext}" for ext in ("csv", "png", "html")}
    with open(paths["csv"], "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["rank", "student_a", "student_b", "score", "share_a", "share_b", "matched_tokens",
                         "flagged"])
        for rank, p in enumerate(result.pairs, 1):
            writer.writerow([rank, p.student_a, p.student_b, f"{p.score:.3f}", f"{p.share_a:.3f}",
                             f"{p.share_b:.3f}", p.matched_tokens, int(p.score >= result.threshold)])
    png = histogram(result)
    paths["png"].write_bytes(png)
    paths["html"].write_text(render_html(result, png), encoding="utf-8")
    return paths


def histogram(result: NotebookSimilarity) -> bytes:
    """PNG of the distribution of pair scores, with the flagging threshold."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.5))
    scores = [p.score for p in result.pairs]
    ax.hist(scores, bins=[i / 20 for i in range(21)], color="tab:blue")
    ax.axvline(result.threshold, color="tab:red", linestyle="--", label=f"flagged at {result.threshold:.2f}")
    ax.set_xlim(0, 1)
    ax.set_yscale("log" if len(scores) > 50 else "linear")
    ax.set_xlabel("pair score (share of answer code that matches)")
    ax.set_ylabel("pairs of students")
    ax.set_title(f"{result.notebook}: {len(scores)} pairs, {len(result.flagged)} flagged")
    ax.legend()
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return buf.getvalue()


def highlighted(code: str, slices) -> str:
    """``code`` HTML-escaped, with copydetect's matched slices wrapped in ``<mark>``."""
    from copydetect.utils import highlight_overlap

    if slices is None or getattr(slices, "size", 0) == 0:
        return html.escape(code)  # highlight_overlap returns the code unescaped when nothing matched
    marked, _ = highlight_overlap(code, slices, "<mark>", "</mark>", escape_html=True)
    return marked


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Similarity: {title}</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; max-width: 1500px; }}
table.pairs td, table.pairs th {{ padding: 2px 8px; text-align: left; }}
tr.flagged {{ background: #fde2e2; }}
.side {{ display: flex; gap: 1em; }}
.side > div {{ flex: 1; min-width: 0; }}
pre {{ background: #f6f6f6; padding: 6px; overflow-x: auto; font-size: 12px; }}
mark {{ background: #f5c26b; }}
</style></head><body>
<h1>Similar answer code: {title}</h1>
<p>{summary}</p>
<p>Only the answer (solution) cells are compared, and everything in the released notebook counts for nobody.
Names, comments and whitespace are normalised away by copydetect {version} (noise threshold {noise},
guarantee threshold {guarantee}); a pair's score is the larger of the two shares of answer code found in the
other student's. A high score is a reason to read both submissions, not a verdict.</p>
<img alt="distribution of pair scores" src="data:image/png;base64,{png}">
<h2>Top pairs</h2>
<table class="pairs"><tr><th>#</th><th>student A</th><th>student B</th><th>score</th><th>A in B</th><th>B in A</th>
<th>matched tokens</th></tr>
{rows}
</table>
{details}
{skipped}
</body></html>
"""


def render_html(result: NotebookSimilarity, png: bytes) -> str:
    """The report page; every student id and every line of student code is HTML-escaped."""
    from copydetect import __version__

    e = html.escape
    shown = result.pairs[:max(SHOWN, len(result.flagged))]
    rows, details = [], []
    for rank, p in enumerate(shown, 1):
        flag = ' class="flagged"' if p.score >= result.threshold else ""
        rows.append(f'<tr{flag}><td><a href="#pair{rank}">{rank}</a></td><td>{e(p.student_a)}</td>'
                    f"<td>{e(p.student_b)}</td><td>{p.score:.2f}</td><td>{p.share_a:.2f}</td>"
                    f"<td>{p.share_b:.2f}</td><td>{p.matched_tokens}</td></tr>")
        if p.matched_tokens:
            details.append(
                f'<details id="pair{rank}"{" open" if p.score >= result.threshold else ""}><summary>#{rank} '
                f"{e(p.student_a)} and {e(p.student_b)}: {p.score:.2f}</summary><div class=\"side\">"
                f"<div><h4>{e(p.student_a)}</h4><pre>{highlighted(result.code[p.student_a], p.slices_a)}</pre></div>"
                f"<div><h4>{e(p.student_b)}</h4><pre>{highlighted(result.code[p.student_b], p.slices_b)}</pre></div>"
                f"</div></details>")
    skipped = ""
    if result.skipped:
        skipped = "<h2>Not compared</h2><ul>" + "".join(
            f"<li>{e(s)}: {e(why)}</li>" for s, why in sorted(result.skipped.items())) + "</ul>"
    summary = (f"{len(result.code)} submissions, {len(result.pairs)} pairs compared; "
               f"<b>{len(result.flagged)} pair(s) flagged</b> (score at least {result.threshold:.2f}).")
    return _PAGE.format(title=e(f"{result.assignment}/{result.notebook}"), summary=summary,
                        version=e(__version__), noise=result.noise, guarantee=result.guarantee,
                        png=base64.b64encode(png).decode(), rows="\n".join(rows), details="\n".join(details),
                        skipped=skipped)


def summary_lines(results: list[tuple[NotebookSimilarity, dict[str, Path]]], top: int = 5) -> list[str]:
    """A few lines per notebook for the terminal."""
    lines = []
    for result, paths in results:
        lines.append(f"{result.assignment}/{result.notebook}: {len(result.code)} submissions, "
                     f"{len(result.pairs)} pairs, {len(result.flagged)} flagged (score >= {result.threshold:.2f})")
        lines += [f"  {p.score:.2f}  {p.student_a} / {p.student_b}" for p in result.flagged[:top]]
        if len(result.flagged) > top:
            lines.append(f"  ... and {len(result.flagged) - top} more in {paths['csv']}")
        lines.append(f"  wrote {paths['html']}, {paths['csv']}, {paths['png']}")
    return lines
