"""Publication → the HTML documents every edition is laid out from (Jinja2 templates; no layout engine)."""
from __future__ import annotations

from brochure.model import Publication
from brochure.render import templates
from brochure.source.config import BLEED_IN, MARKS_IN, TRIMS_IN

DOWNLOAD_STYLES = ("fonts.css", "tokens.css", "base.css", "paged.css", "download.css")
PRINT_STYLES = ("fonts.css", "tokens.css", "base.css", "paged.css", "print.css")
LARGE_PRINT_STYLES = (*DOWNLOAD_STYLES, "large-print.css")  # the download edition's pages, set large (ACB guidelines)


EXTRA_PAGE_PREFIX = "extra-"  # the ids of the print edition's designed extra pages (notes, ordering)


def render_html(pub: Publication, edition: str, extra_pages: int = 0, fit: str = "") -> str:
    """The publication as one HTML document for a printed edition ('download', 'print' or 'large'); the print
    edition's copyfitting may ask for designed extra pages and a type step (a class of print.css)."""
    return templates.render("publication.html", **_context(pub, edition, extra_pages, fit))


def render_cover_html(pub: Publication) -> str:
    """The parts of the download edition's document its front cover page is made from: the head and the cover."""
    context = _context(pub, "download")
    return templates.render("_head.html", **context) + templates.render("_cover.html", **context)


def render_cover_page(pub: Publication) -> str:
    """The download edition's front cover as a document of its own (the cover picture is rasterised from it)."""
    return templates.render("cover_page.html", **_context(pub, "download"))


def _context(pub: Publication, edition: str, extra_pages: int = 0, fit: str = "") -> dict:
    marks = pub.print_spec.profile == "offset"
    return {"pub": pub, "edition": edition, "extra_pages": extra_pages, "fit": fit, "trim_in": TRIMS_IN[pub.print_spec.trim], "marks": marks,
            "bleed_in": BLEED_IN + (MARKS_IN if marks else 0)}
