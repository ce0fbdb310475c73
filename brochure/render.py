"""Publication → the HTML documents every edition is laid out from (Jinja2 templates; no layout engine)."""
from __future__ import annotations

from . import templates
from .config import TRIMS_IN
from .model import Publication

DOWNLOAD_STYLES = ("fonts.css", "tokens.css", "base.css", "paged.css", "download.css")
PRINT_STYLES = ("fonts.css", "tokens.css", "base.css", "paged.css", "print.css")


def render_html(pub: Publication, edition: str, blank_pages: int = 0) -> str:
    """The publication as one HTML document for a printed edition ('download' or 'print')."""
    trim = TRIMS_IN[pub.print_spec.trim]
    return templates.render(
        "publication.html", pub=pub, edition=edition, blank_pages=blank_pages,
        trim_in=trim, marks=pub.print_spec.profile == "offset",
    )
