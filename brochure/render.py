"""Publication → the HTML documents every edition is laid out from (Jinja2 templates; no layout engine)."""
from __future__ import annotations

from . import templates
from .model import Publication


def render_html(pub: Publication, edition: str, blank_pages: int = 0) -> str:
    """The publication as one HTML document for a printed edition ('download' or 'print')."""
    return templates.render("publication.html", pub=pub, edition=edition, blank_pages=blank_pages)
