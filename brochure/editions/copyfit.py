"""Copyfitting: the print edition fills its saddle-stitched signature (a multiple of 4 pages) without a blank page.

The design is laid out first. When its page count is not a multiple of 4, one bounded type step (print.css's
`fit-*` classes: body size and leading around the design's, never below 9 pt) is tried if its scale predicts a
body that lands on a multiple of 4 with the last page well filled; when none does, or the step misses, the design
gets designed extra pages (notes pages, the order page: templates/_extra_pages.html) up to the signature. What
was chosen is remembered for the exact same layout inputs, so a rebuild lays the edition out once, and for the
publication whatever its text, as the first layout's guess of extra pages: after an edit that keeps the page count,
once too.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import weasyprint
from weasyprint.formatting_structure import boxes

from brochure import cache

SIGNATURE = 4  # pages of a saddle-stitched signature
WELL_FILLED = 0.5  # the last body page of a fitted edition is at least this full
MARGIN = 0.15  # of a page: how far inside its target a step's predicted body must land to be tried


@dataclass(frozen=True)
class Step:
    """A type step of print.css and how much it scales the body's length (pages go as size² × leading)."""

    name: str
    scale: float


STEPS = (Step("fit-tighter-1", (9.5 / 10) ** 2 * 1.40 / 1.45), Step("fit-looser-1", (10.5 / 10) ** 2 * 1.50 / 1.45),
         Step("fit-tighter-2", (9 / 10) ** 2 * 1.35 / 1.45), Step("fit-looser-2", (11 / 10) ** 2 * 1.50 / 1.45))


@dataclass(frozen=True)
class Fit:
    """What copyfitting chose: a type step ('' = the design) and how many designed extra pages."""

    step: str = ""
    extra_pages: int = 0


def fit(lay_out: Callable[[Fit], weasyprint.Document], remembered: Path | None = None,
        last: Path | None = None) -> tuple[weasyprint.Document, Fit]:
    """The print edition laid out to a multiple of 4 pages, and the fit chosen: remembered at `remembered` for these
    exact inputs; `last` keeps the publication's last fit, whatever its text, as the first guess of the next."""
    known = _read(remembered)
    if known is not None:
        return lay_out(known), known
    guess = _read(last)
    document, chosen = _choose(lay_out, guess.extra_pages if guess is not None and not guess.step else 0)
    for path in (remembered, last):
        if path is not None:
            cache.store(path, json.dumps(asdict(chosen)).encode())
    return document, chosen


def _read(path: Path | None) -> Fit | None:
    if path is None or not path.is_file():
        return None
    try:
        return Fit(**json.loads(path.read_bytes()))
    except (ValueError, TypeError):
        return None


def _choose(lay_out: Callable[[Fit], weasyprint.Document], guess: int = 0) -> tuple[weasyprint.Document, Fit]:
    """The design is laid out first, with `guess` extra pages: they follow the body on pages of their own, so the
    body's pages are the design's whatever the guess, and what is chosen depends on the text alone; a right guess
    (a text edit that kept the page count) saves the second layout."""
    first = lay_out(Fit(extra_pages=guess))
    pages = len(first.pages) - guess  # the design's own
    if pages % SIGNATURE == 0:
        return (first, Fit()) if guess == 0 else (lay_out(Fit()), Fit())
    step = predicted_step(body_pages(first, guess))
    if step is not None:
        stepped = lay_out(Fit(step.name))
        if len(stepped.pages) % SIGNATURE == 0 and last_body_page_fill(stepped) >= WELL_FILLED:
            return stepped, Fit(step.name)
    extra = -pages % SIGNATURE
    return (first, Fit(extra_pages=extra)) if guess == extra else (lay_out(Fit(extra_pages=extra)), Fit(extra_pages=extra))


def predicted_step(body: float) -> Step | None:
    """The type step whose scale lands a body of this many pages (fractional) well inside a page count that, with
    the two covers, fills whole signatures; the one nearest the design first (STEPS' order). None if none does."""
    for step in STEPS:
        scaled = body * step.scale
        covers = 2
        target = -(-(scaled + covers) // SIGNATURE) * SIGNATURE - covers  # the body pages of the signature it reaches
        if target >= 1 and target - 1 + WELL_FILLED + MARGIN <= scaled <= target - MARGIN:
            return step
    return None


def body_pages(document: weasyprint.Document, extra_pages: int = 0) -> float:
    """How many pages the contents and body fill (the covers and the extra pages left out): whole pages, and the
    last one's fill."""
    return len(document.pages) - extra_pages - 3 + last_body_page_fill(document)


def last_body_page_fill(document: weasyprint.Document) -> float:
    """How much of the last page before the back cover (and any extra page) its text and images fill, 0 to 1."""
    from brochure.render.html import EXTRA_PAGE_PREFIX

    last = max((number for number, page in enumerate(document.pages[:-1]) if not any(
        name.startswith(EXTRA_PAGE_PREFIX) for name in page.anchors)), default=0)
    page_box = document.pages[last]._page_box
    top, height = page_box.content_box_y(), page_box.height
    bottoms = [box.position_y + box.margin_height() for box in page_box.children[0].descendants()
               if isinstance(box, (boxes.LineBox, boxes.ReplacedBox))]
    return max(0.0, min(1.0, (max(bottoms, default=top) - top) / height))
