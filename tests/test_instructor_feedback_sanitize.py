"""Feedback pages carry no live markup from the student: scripts, on*= handlers and javascript: URLs.

One student of the tiny assignment puts hostile HTML in outputs (HTML, SVG, JavaScript displays) and
in a markdown cell, next to ordinary output (text and a PNG); the class is graded with
`cnnlab grade autograde` and `cnnlab grade feedback` renders the pages.
"""

from __future__ import annotations

import base64
import re

import nbformat
import pytest
from nbformat.v4 import new_markdown_cell

import instructor_tools as it
from cnnlab.grade import autograde as ag
from cnnlab.grade import feedback, sanitize
from needs import require_sandbox

pytestmark = pytest.mark.nbgrader

# A 1x1 PNG: the student's ordinary image output must survive.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
                       "AAAABJRU5ErkJggg==")
PNG_B64 = base64.b64encode(PNG).decode()

HOSTILE_ADD = (
    "from IPython.display import HTML, SVG, Image, Javascript, Markdown, display\n"
    "display(HTML('<b>bold-ok</b><script>window.STUDENT_OUT_1 = 1</script>'\n"
    "             '<img src=x onerror=\"window.STUDENT_OUT_2 = 1\">'\n"
    "             '<a href=\"javascript:window.STUDENT_OUT_3 = 1\">link-ok</a>'\n"
    "             '<div onmouseover=\"window.STUDENT_OUT_4 = 1\">div-ok</div>'\n"
    "             '<iframe src=\"javascript:window.STUDENT_OUT_5 = 1\"></iframe>'))\n"
    "display(SVG('<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"window.STUDENT_OUT_6 = 1\">'\n"
    "            '<script>window.STUDENT_OUT_7 = 1</script><circle r=\"4\"/></svg>'))\n"
    "display(Javascript('window.STUDENT_OUT_8 = 1'))\n"
    "display({'text/html': '<p>x</p>', 'image/png': 'AAAA\" onerror=\"window.STUDENT_OUT_9 = 1'}, raw=True)\n"
    f"display(Image(data={PNG!r}, format='png'))\n"
    f"display({{'image/png': {PNG_B64!r}}}, raw=True,\n"
    "        metadata={'image/png': {'width': '1 onerror=window.STUDENT_OUT_11=1'}})\n"
    "display(Markdown('md-output-ok <script>window.STUDENT_OUT_10 = 1</script>'))\n"
    "print('ordinary printed text')\n"
    "def add(a, b):\n"
    "    return a + b"
)
HOSTILE_MARKDOWN = (
    "## My notes\n\nplain-markdown-ok\n\n"
    "<script>window.STUDENT_MD_1 = 1</script>\n\n"
    "<img src=\"y\" onerror=\"window.STUDENT_MD_2 = 1\">\n\n"
    "[click](javascript:window.STUDENT_MD_3=1) and <a href=\" jAvAsCrIpT:window.STUDENT_MD_4=1\">x</a>\n\n"
    "<details open ontoggle=\"window.STUDENT_MD_5 = 1\"><summary>s</summary></details>\n\n"
    "<svg><animate onbegin=\"window.STUDENT_MD_6 = 1\"/></svg>\n\n"
    "<style>body { display: none } /* STUDENT_MD_7 */</style>\n\n"
    "<object data=\"STUDENT_MD_8.swf\"></object><embed src=\"STUDENT_MD_9.swf\">\n\n"
    "$\\alpha + \\beta$"
)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    require_sandbox()
    root = tmp_path_factory.mktemp("xss")
    course = it.tiny_course(root)
    released = course / "release" / it.TINY / f"{it.TINY}.ipynb"
    nb = it.answered(released, {**it.RIGHT, "add": HOSTILE_ADD})
    nb.cells.insert(1, new_markdown_cell(HOSTILE_MARKDOWN))
    it.write_submission(course / "submitted" / "xss" / it.TINY, it.TINY, nb)
    it.write_submission(course / "submitted" / "plain" / it.TINY, it.TINY, it.answered(released, it.RIGHT))
    outcomes = {o.student: o for o in ag.autograde(course, jobs=1, progress=False,
                                                   limits=ag.Limits(cell_timeout=20, submission_timeout=120))}
    written, problems = feedback.generate(course)
    return {"outcomes": outcomes, "written": written, "problems": problems, "course": course,
            "xss": (course / "feedback" / "xss" / it.TINY / f"{it.TINY}.html").read_text(encoding="utf-8")}


def test_the_hostile_output_reached_the_autograded_notebook(pages):
    """Without this, the page being clean would prove nothing."""
    nb = nbformat.read(pages["course"] / "autograded" / "xss" / it.TINY / f"{it.TINY}.ipynb", as_version=4)
    raw = nbformat.writes(nb)
    for marker in ("STUDENT_OUT_1", "STUDENT_OUT_6", "STUDENT_OUT_8", "STUDENT_OUT_9", "STUDENT_OUT_11",
                   "STUDENT_MD_1"):
        assert marker in raw, marker
    assert pages["outcomes"]["xss"].score == 3, pages["outcomes"]["xss"]


def test_no_student_script_handler_or_script_url_survives(pages):
    assert pages["problems"] == []
    page = pages["xss"]
    body = page[page.lower().index("<body"):]
    # The answer cell's source is shown, escaped, as text; no marker may sit in markup (a tag or an attribute).
    tags = re.findall(r"<[^>]*>", body)
    assert not [t for t in tags if "STUDENT_" in t], [t for t in tags if "STUDENT_" in t]
    assert "STUDENT_MD_" not in page   # the markdown cell is rendered, not shown as source
    assert not re.search(r"<script", body, re.I)
    assert not [t for t in tags if re.search(r"\son\w+\s*=", t, re.I)]
    assert not [t for t in tags if re.search(r"java\s*script\s*:", t, re.I)]
    assert sanitize.unsafe(page) == []
    for p in pages["written"]:
        assert sanitize.unsafe(p.read_text(encoding="utf-8")) == [], p


def test_ordinary_output_and_scores_still_appear(pages):
    page = pages["xss"]
    text = feedback.html_text(page)
    for visible in ("ordinary printed text", "bold-ok", "link-ok", "div-ok", "md-output-ok", "plain-markdown-ok",
                    "My notes"):
        assert visible in text, visible
    assert f'src="data:image/png;base64,{PNG_B64}' in page.replace("\n", "")   # the student's image
    assert "data:image/svg+xml;base64," in page                             # the SVG, as an inert image
    assert re.search(r"Score: 3\.0 / 3\.0", text), "the total score"
    assert re.search(r"Score: 2\.0 / 2\.0", text), "a test cell's score"
    assert "\\alpha + \\beta" in text                                           # left for MathJax
    assert "MathJax" in page[:page.lower().index("<body")]                   # the template's head is kept


def test_unsafe_finds_what_the_cleaning_removes():
    """The guard that deletes a page is itself checked on live markup."""
    page = ('<html><head><script src="mathjax.js"></script></head><body><p onclick="x()">a</p>'
            '<script>y()</script><a href=" java\tscript:z()">b</a></body></html>')
    assert sanitize.unsafe(page) == ["<p onclick=>", "<script>", "<a href=' java\\tscript:z()'>"]
    cleaned = sanitize.clean_page(page)
    assert sanitize.unsafe(cleaned) == []
    assert '<script src="mathjax.js">' in cleaned and ">a</p>" in cleaned


def test_outputs_alone_are_inert_after_the_preprocessor(pages):
    """The formgrader's feedback has only the preprocessor (no page pass): its outputs must be inert already."""
    from nbconvert import HTMLExporter

    nb = nbformat.read(pages["course"] / "autograded" / "xss" / it.TINY / f"{it.TINY}.ipynb", as_version=4)
    nb.cells = [c for c in nb.cells if c.cell_type == "code"]  # markdown is the page pass's job
    for cell in nb.cells:
        cell.source = ""  # only outputs are under test here
    nb, _ = sanitize.SanitizeOutputs().preprocess(nb, {})
    page, _ = HTMLExporter(template_name="classic").from_notebook_node(nb)
    assert sanitize.unsafe(page) == []
    assert "md-output-ok" in page and "bold-ok" in page and PNG_B64 in page.replace("\n", "")
