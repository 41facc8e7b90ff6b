"""Student HTML made inert for the feedback pages (nh3).

A student's notebook can carry markup that runs in whoever opens its
feedback page: ``display(HTML("<script>…"))``, a ``<script>`` or
``<img onerror=…>`` in a markdown cell, ``javascript:`` links, SVG with
scripts, ``application/javascript`` outputs. Two passes remove them:

* :class:`SanitizeOutputs` (an nbconvert preprocessor, before rendering):
  keeps only output types that render as data (text, images, HTML, LaTeX,
  markdown), cleans ``text/html`` with nh3 (``text/markdown`` is rendered to
  HTML first; the template escapes ``text/latex`` itself), turns SVG into an ``<img>`` of a
  ``data:`` URL (an image cannot run its scripts), drops image data that is
  not base64, image sizes that are not numbers (nbconvert writes them into
  unquoted attributes) and output file names, and drops the notebook's
  widget state (rendered as script data);
* :func:`clean_page` (after rendering): the page's ``<body>`` -- every cell,
  markdown rendered to HTML included -- goes through nh3 again. The ``<head>``
  is nbgrader's template (styles, MathJax from its CDN) and is kept, so
  formulas still render; the template's body has no scripts.

:func:`unsafe` lists what a page's body still holds of scripts, ``on*=``
attributes and ``javascript:`` URLs (none after :func:`clean_page`); the
feedback step deletes a page where it finds any.
"""

from __future__ import annotations

import base64
import binascii
import re
from html.parser import HTMLParser

import nh3
from nbconvert.filters import markdown2html
from nbconvert.preprocessors import Preprocessor

# Output types that nbconvert renders as data, not code. Everything else (application/javascript,
# widget views, vendor types) is dropped: the page must not run anything a student produced.
RENDERED_AS_DATA = {"text/plain", "text/html", "text/markdown", "text/latex", "image/png", "image/jpeg",
                    "image/gif", "image/svg+xml", "application/json"}
BASE64_IMAGES = {"image/png", "image/jpeg", "image/gif"}
DATA_IMAGE = re.compile(r"data:image/(png|jpeg|gif|svg\+xml);base64,[A-Za-z0-9+/=\s]*\Z")

TAGS = nh3.ALLOWED_TAGS | {"main", "section"}
ATTRIBUTES = {**{tag: set(attrs) for tag, attrs in nh3.ALLOWED_ATTRIBUTES.items()},
              "*": {"class", "id", "title", "lang", "dir", "align"},   # the template's layout and anchors
              "a": {"href", "hreflang", "name"}}


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """``data:`` URLs only as base64 images in ``<img src>``; no other attribute may hold one."""
    squashed = re.sub(r"[\s\x00-\x1f]", "", value).lower()
    if squashed.startswith("data:"):
        return value if tag == "img" and attribute == "src" and DATA_IMAGE.match(value.strip()) else None
    return value


def clean(fragment: str) -> str:
    """An HTML fragment with scripts, styles, event handlers and script URLs removed (nh3)."""
    return nh3.clean(fragment, tags=TAGS, attributes=ATTRIBUTES, attribute_filter=_attribute_filter,
                     url_schemes=nh3.ALLOWED_URL_SCHEMES | {"data"}, clean_content_tags={"script", "style"},
                     link_rel="noopener noreferrer")


def _is_base64(value) -> bool:
    text = "".join(value) if isinstance(value, list) else value
    try:
        base64.b64decode(re.sub(r"\s", "", text), validate=True)
    except (binascii.Error, TypeError, ValueError):
        return False
    return True


def _svg_as_image(svg) -> str:
    text = "".join(svg) if isinstance(svg, list) else str(svg)
    data = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return f'<img src="data:image/svg+xml;base64,{data}" alt="SVG figure">'


def sanitize_output(out) -> None:
    """Make one nbformat output inert in place (see the module doc)."""
    data = out.get("data")
    if not isinstance(data, dict):
        return
    for mime in list(data):
        if mime not in RENDERED_AS_DATA or (mime in BASE64_IMAGES and not _is_base64(data[mime])):
            del data[mime]
    if "image/svg+xml" in data:
        data.setdefault("text/html", _svg_as_image(data["image/svg+xml"]))
        del data["image/svg+xml"]
    # the template writes an image's width and height from the metadata into unquoted attributes, and
    # "filenames" (set by nbconvert's ExtractOutput, never by a kernel) into its src
    (out.get("metadata") or {}).pop("filenames", None)
    for meta in (out.get("metadata") or {}).values():
        if isinstance(meta, dict):
            for key in ("width", "height"):
                if key in meta and not re.fullmatch(r"\d{1,5}(\.\d+)?", str(meta[key])):
                    del meta[key]
    if "text/markdown" in data:
        # nbconvert renders markdown output with its raw HTML: render it here, and clean it as HTML
        value = data.pop("text/markdown")
        data.setdefault("text/html", markdown2html("".join(value) if isinstance(value, list) else str(value)))
    if "text/html" in data:
        value = data["text/html"]
        data["text/html"] = clean("".join(value) if isinstance(value, list) else str(value))


class SanitizeOutputs(Preprocessor):
    """Clean student outputs before nbconvert renders them (see the module doc)."""

    def preprocess(self, nb, resources):
        nb.metadata.pop("widgets", None)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                sanitize_output(out)
        return nb, resources


_BODY = re.compile(r"<body\b[^>]*>", re.I)


def clean_page(page: str) -> str:
    """A rendered page with its ``<body>`` content cleaned by nh3 (the template's head kept)."""
    start = _BODY.search(page)
    end = page.lower().rfind("</body>")
    if not start or end < start.end():
        return clean(page)  # not the template's shape: clean everything
    return page[:start.end()] + clean(page[start.end():end]) + page[end:]


class _Scanner(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "iframe", "object", "embed", "base", "meta", "link", "style"):
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.found.append(f"<{tag} {name}=>")
            if value and re.sub(r"[\s\x00-\x1f]", "", value).lower().startswith(("javascript:", "vbscript:")):
                self.found.append(f"<{tag} {name}={value[:40]!r}>")

    handle_startendtag = handle_starttag


def unsafe(page: str) -> list[str]:
    """What in a page's body could run code: script-like tags, ``on*=`` attributes, script URLs."""
    start = _BODY.search(page)
    scanner = _Scanner()
    scanner.feed(page[start.end():] if start else page)
    scanner.close()
    return scanner.found
