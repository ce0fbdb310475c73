"""Read a built PDF (and a laid-out WeasyPrint document) back, so corpus tests can assert that nothing was lost.

A helper module for tests, with no tests of its own (those are in test_readback.py). Text and glyph positions come
from pypdfium2, page boxes and fonts from pikepdf, table rows from WeasyPrint's box tree. Coordinates are PDF user
space (points, origin bottom left), which is what pdfium's char boxes and the pages' /MediaBox and /TrimBox share.
"""
from __future__ import annotations

import ctypes
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any

import lxml.html
import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

TOLERANCE = 0.5  # pt: how far a glyph box may stray over a page box edge, or into the folio's band, unreported

# A word broken at a line end: the hyphenate-character (U+2010), a soft hyphen, a hyphen-minus, or what pdfium may put
# for a soft hyphen (U+FFFE, U+0002).
_LINE_END_HYPHENS = frozenset("\u2010\u00ad-\ufffe\x02")
# Characters that take no room in the text and so separate nothing: deleted before words are split.
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff\ufffe\x02"), None)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u2039": "'", "\u203a": "'",
                         "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"'})
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# Block-level HTML elements: their text never runs into their neighbours' (inline ones, like <b>, may join a word).
_BLOCK_TAGS = frozenset("""address article aside blockquote br caption dd details dialog div dl dt fieldset figcaption figure footer form
    h1 h2 h3 h4 h5 h6 header hgroup hr li main nav ol p pre section summary table tbody td tfoot th thead tr ul""".split())
_UNRENDERED_TAGS = frozenset({"script", "style", "template", "head", "title", "noscript"})
_SUBSET_PREFIX = re.compile(r"^[A-Z]{6}\+")


# ---------------------------------------------------------------------------------------------------------------- words

@cache
def _is_word_char(char: str) -> bool:
    """A letter, a digit, or a combining mark (which belongs to the letter before it: é decomposed, Devanagari signs)."""
    return char.isalnum() or unicodedata.category(char).startswith("M")


def _fold(text: str) -> str:
    """NFKC (ligatures, compatibility forms), lower case, typographic quotes as ASCII, invisible characters deleted."""
    return unicodedata.normalize("NFKC", text).lower().translate(_QUOTES).translate(_INVISIBLE)


def _tokens(text: str) -> list[str]:
    """The words of already folded text: runs of letters and digits, split on everything else."""
    return "".join(char if _is_word_char(char) else " " for char in text).split()


def _page_lines(text: str) -> list[tuple[list[str], bool]]:
    """Each line of a page's text as (its words, whether it ends with a hyphen right after a letter or digit)."""
    lines = []
    for line in _LINE_BREAK.split(unicodedata.normalize("NFKC", text)):
        line = line.rstrip()
        broken = len(line) >= 2 and line[-1] in _LINE_END_HYPHENS and _is_word_char(line[-2])
        lines.append((_tokens(_fold(line[:-1] if broken else line)), broken))
    return lines


def _text_words(pages: list[str]) -> set[str]:
    """The words of a document's page texts (see pdf_text_words)."""
    words: set[str] = set()
    per_page = [_page_lines(text) for text in pages]
    for number, lines in enumerate(per_page):
        carry: str | None = None  # the fragment (or chain of fragments) before a line-end hyphen
        last: str | None = None  # the page's last such fragment
        for tokens, broken in lines:
            if not tokens:
                continue
            words.update(tokens)
            joined: str | None = carry + tokens[0] if carry is not None else None
            if joined is not None:
                words.add(joined)
            if broken:  # a line that is all one fragment goes on the chain: "super-", "cali-", "fragilistic"
                carry = last = joined if joined is not None and len(tokens) == 1 else tokens[-1]
            else:
                carry = None
        # A word broken at the page's last hyphenated line may continue on the next page, whose first line may be a
        # running head: join the fragment to the first word of every line there (an unused join is harmless).
        if last is not None and number + 1 < len(per_page):
            words.update(last + tokens[0] for tokens, _ in per_page[number + 1] if tokens)
    return words


def text_inside_trim(page: pdfium.PdfPage) -> str:
    """A pdfium page's text within its TrimBox (the slug line outside it names every page)."""
    x0, y0, x1, y1 = page.get_trimbox()
    return page.get_textpage().get_text_bounded(x0, y0, x1, y1).strip()


def _pdf_page_texts(pdf: bytes) -> list[str]:
    document = pdfium.PdfDocument(pdf)
    try:
        texts = []
        for page in document:
            textpage = page.get_textpage()
            # pdfium marks a hyphen at a line break as U+FFFE with no line break after it: make it one
            texts.append(textpage.get_text_range().replace("\ufffe", "\u2010\n"))
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()


def pdf_text_words(pdf: bytes) -> set[str]:
    """The set of words in a PDF's text, as pdfium extracts it, normalised for comparison with the source.

    Normalised: NFKC (so ligatures are letters again), lower case, typographic quotes and apostrophes as ASCII, soft
    hyphens and zero-width characters deleted; words are the runs of letters and digits (combining marks included).
    A word broken at a line end with a hyphen (U+2010, U+00AD or '-') is also joined back together (both halves stay
    words too); a break at the last such line of a page is joined to the first word of each line of the next page.
    """
    return _text_words(_pdf_page_texts(pdf))


def _html_text(element, parts: list[str]) -> None:
    """Append an lxml element's rendered text to parts: blocks apart from their neighbours, scripts and comments left out."""
    tag = element.tag if isinstance(element.tag, str) else None  # comments and processing instructions have no str tag
    name = tag.rpartition("}")[2].lower() if tag else None
    if name is not None and name not in _UNRENDERED_TAGS:
        block = name in _BLOCK_TAGS
        if block:
            parts.append(" ")
        parts.append(element.text or "")
        for child in element:
            _html_text(child, parts)
        if block:
            parts.append(" ")
    parts.append(element.tail or "")


def html_words(html_fragment: str) -> list[str]:
    """The words of an HTML fragment's text, in order, normalised as pdf_text_words normalises the PDF's.

    Block elements (p, li, td, br, …) separate words; inline ones (b, a, span, …) do not, so `<b>bold</b>er` is one word.
    The text of script, style and template elements and of comments is not text of the page and is left out.
    """
    if not html_fragment.strip():
        return []
    root = lxml.html.fragment_fromstring(html_fragment, create_parent="div")
    parts: list[str] = []
    _html_text(root, parts)
    return _tokens(_fold("".join(parts)))


BROKEN_ANYWHERE = 8  # words this long may be broken without a hyphen; shorter ones must be there whole


def missing_words(html_fragment: str, pdf: bytes) -> list[str]:
    """The words of the HTML fragment that are not words of the PDF's text, each once, in the order they first occur."""
    present = pdf_text_words(pdf)
    missing = list(dict.fromkeys(word for word in html_words(html_fragment) if word not in present))
    if any(len(word) >= BROKEN_ANYWHERE for word in missing):
        # a long word or address the styles let break at any character (code, URLs, narrow table cells) is there in
        # pieces on consecutive lines: found in the page text with the line breaks taken out
        squeezed = "".join(_tokens(_fold("".join(_pdf_page_texts(pdf)))))
        missing = [word for word in missing if len(word) < BROKEN_ANYWHERE or word not in squeezed]
    return missing


# --------------------------------------------------------------------------------------------------------------- glyphs

@dataclass(frozen=True)
class _Char:
    index: int
    text: str
    generated: bool  # inserted by pdfium (a space or line break it inferred), not drawn
    box: tuple[float, float, float, float]  # tight glyph box (left, bottom, right, top)
    origin: tuple[float, float]  # pen position on the baseline
    height: float  # of the loose box: the font's ascent to descent, in user space
    size: float  # the font size pdfium reports (text space: compare only with another char's)

    @property
    def blank(self) -> bool:
        return self.generated or not self.text.strip() or self.text in "\ufffe\x02"


def _chars(textpage: pdfium.PdfTextPage) -> Iterator[_Char]:
    x, y = ctypes.c_double(), ctypes.c_double()
    for index in range(textpage.count_chars()):
        pdfium_c.FPDFText_GetCharOrigin(textpage.raw, index, x, y)
        loose = textpage.get_charbox(index, loose=True)
        yield _Char(index=index, text=chr(pdfium_c.FPDFText_GetUnicode(textpage.raw, index)),
                    generated=bool(pdfium_c.FPDFText_IsGenerated(textpage.raw, index)), box=tuple(textpage.get_charbox(index)),
                    origin=(x.value, y.value), height=loose[3] - loose[1], size=pdfium_c.FPDFText_GetFontSize(textpage.raw, index))


def _pages(pdf: bytes) -> Iterator[tuple[int, list[_Char], pikepdf.Page]]:
    """(1-based page number, its chars, its pikepdf page) for each page."""
    document = pdfium.PdfDocument(pdf)
    try:
        with pikepdf.open(io.BytesIO(pdf)) as pike:
            for number, (page, pike_page) in enumerate(zip(document, pike.pages, strict=True), start=1):
                textpage = page.get_textpage()
                chars = list(_chars(textpage))
                textpage.close()
                page.close()
                yield number, chars, pike_page
    finally:
        document.close()


def _rect(array) -> tuple[float, float, float, float]:
    x0, y0, x1, y1 = (float(v) for v in array)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _page_box(page: pikepdf.Page, box: str) -> tuple[str, tuple[float, float, float, float]]:
    """(the box's name, the box clipped to the MediaBox); the MediaBox itself when the page has no such box."""
    media = _rect(page.mediabox)  # inherited from the page tree when the page has none
    name = box.lstrip("/")
    value = page.obj.get(f"/{name}") if name != "MediaBox" else None
    if value is None:
        return "MediaBox", media
    x0, y0, x1, y1 = _rect(value)
    return name, (max(x0, media[0]), max(y0, media[1]), min(x1, media[2]), min(y1, media[3]))


def _fmt(box: tuple[float, ...]) -> str:
    return "(" + ", ".join(f"{v:.1f}" for v in box) + ")"


def glyphs_outside(pdf: bytes, box: str = "MediaBox", slug_below: str | None = None) -> list[str]:
    """Each glyph whose (tight) box is not inside its page's `box`, to within 0.5 pt, described for a failure message.

    `box` is a page box name, "MediaBox" or "TrimBox" (or "BleedBox", "CropBox", "ArtBox"); a page without it is checked
    against its MediaBox, and the description then says so. Blank characters (spaces, line breaks pdfium infers) are
    ignored. Example: "page 3: 'x' at (12.0, -4.1, 17.5, 3.2) outside TrimBox (8.5, 8.5, 603.5, 800.5)". With
    `slug_below` (a print edition's "BleedBox"), glyphs wholly below that box are the slug line printed in the marks
    area on purpose (job, date, page), and are left out.
    """
    found = []
    for number, chars, page in _pages(pdf):
        name, (bx0, by0, bx1, by1) = _page_box(page, box)
        slug_top = _page_box(page, slug_below)[1][1] if slug_below else None
        for char in chars:
            if char.blank:
                continue
            x0, y0, x1, y1 = char.box
            if slug_top is not None and y1 <= slug_top + TOLERANCE:
                continue
            if x0 < bx0 - TOLERANCE or y0 < by0 - TOLERANCE or x1 > bx1 + TOLERANCE or y1 > by1 + TOLERANCE:
                found.append(f"page {number}: {char.text!r} at {_fmt(char.box)} outside {name} {_fmt((bx0, by0, bx1, by1))}")
    return found


def _runs(chars: list[_Char]) -> list[list[_Char]]:
    """The page's chars in runs of text set together: one content-order stretch on one baseline, moving right, no wide gap.

    A run ends at a line break pdfium infers, a change of baseline, a step back to the left (text drawn over other text)
    or a gap wider than the font's height (the distance between margin boxes on one line), so a folio is a run of its own.
    """
    runs: list[list[_Char]] = []
    run: list[_Char] = []
    for char in chars:
        if char.generated:
            if char.text in "\r\n" and run:
                runs.append(run)
                run = []
            continue
        if run:
            last = run[-1]
            em = max(last.height, char.height, 1.0)
            if abs(char.origin[1] - last.origin[1]) > 0.25 * em or char.origin[0] < last.origin[0] - TOLERANCE or char.box[0] - last.box[2] > em:
                runs.append(run)
                run = []
        run.append(char)
    if run:
        runs.append(run)
    return runs


def _union(chars: list[_Char]) -> tuple[float, float, float, float]:
    return (min(c.box[0] for c in chars), min(c.box[1] for c in chars), max(c.box[2] for c in chars), max(c.box[3] for c in chars))


def glyphs_under_footer(pdf: bytes, footer_pattern: str | re.Pattern[str] = r"^\s*(Page|Página)?\s*\d+\s*$",
                        slug_below: str | None = None) -> list[str]:
    """Each glyph that reaches into the band of its page's running folio (overlaps it vertically, or lies below it).

    The folio is the lowest run of text (see _runs) in the bottom quarter of the page whose text matches
    `footer_pattern` (re.search). The footer line is the folio and the other runs on its baseline in its font size (a
    running title in the other bottom margin box, the second folio of an imposed sheet); any other glyph whose tight
    box's bottom is below the footer line's top (less 0.5 pt) is reported. Pages without a folio are skipped.
    Example: "page 2: 'L' at (72.0, 20.1, 78.3, 28.9) overlaps the footer line 'Page 2' (242.5, 23.8, 268.2, 31.6)".
    With `slug_below` (a print edition's "BleedBox"), the slug line wholly below that box is left out.
    """
    pattern = re.compile(footer_pattern) if isinstance(footer_pattern, str) else footer_pattern
    found = []
    for number, chars, page in _pages(pdf):
        _, (_, page_bottom, _, page_top) = _page_box(page, "MediaBox")
        if slug_below:
            slug_top = _page_box(page, slug_below)[1][1]
            chars = [c for c in chars if c.blank or c.box[3] > slug_top + TOLERANCE]
        runs = [run for run in _runs(chars) if any(not c.blank for c in run)]
        folios = [run for run in runs if pattern.search("".join(c.text for c in run))
                  and _union(run)[3] <= page_bottom + 0.25 * (page_top - page_bottom)]
        if not folios:
            continue
        folio = min(folios, key=lambda run: _union(run)[1])
        baseline, size = folio[0].origin[1], folio[0].size
        line = [run for run in runs if abs(run[0].origin[1] - baseline) <= TOLERANCE and abs(run[0].size - size) <= 0.01 * size]
        in_line = {c.index for run in line for c in run}
        line_box = _union([c for run in line for c in run if not c.blank])
        line_text = "   ".join("".join(c.text for c in run).strip() for run in sorted(line, key=lambda run: run[0].origin[0]))
        for char in chars:
            if char.blank or char.index in in_line or char.box[1] >= line_box[3] - TOLERANCE:
                continue
            where = "overlaps" if char.box[3] > line_box[1] else "lies below"
            found.append(f"page {number}: {char.text!r} at {_fmt(char.box)} {where} the footer line {line_text!r} {_fmt(line_box)}")
    return found


# ---------------------------------------------------------------------------------------------------------------- fonts

def embedded_fonts(pdf: bytes) -> set[str]:
    """The BaseFont name of every font the PDF's pages use, without the subset prefix ("ABCDEF+").

    Fonts are found in each page's /Resources, in the resources of Form XObjects, tiling patterns, soft masks, Type 3
    fonts (their glyph procedures may use other fonts) and annotation appearances, at any depth. A Type 0 font's
    descendant CIDFont is included. WeasyPrint 70 names a font after its CSS font-family ("Noto Sans" -> "Noto-Sans").
    """
    names: set[str] = set()
    seen: set[tuple[int, int]] = set()

    def visit_font(font) -> None:
        if not isinstance(font, pikepdf.Dictionary):
            return
        if "/BaseFont" in font:
            names.add(_SUBSET_PREFIX.sub("", str(font.BaseFont).lstrip("/")))
        for descendant in font.get("/DescendantFonts", pikepdf.Array()):
            visit_font(descendant)
        if "/Resources" in font:  # a Type 3 font
            visit_resources(font.Resources)

    def visit_resources(resources) -> None:
        if not isinstance(resources, pikepdf.Dictionary):
            return
        if resources.is_indirect:
            if resources.objgen in seen:
                return
            seen.add(resources.objgen)
        for font in resources.get("/Font", pikepdf.Dictionary()).values():
            visit_font(font)
        for xobject in resources.get("/XObject", pikepdf.Dictionary()).values():
            visit_stream(xobject)
        for pattern in resources.get("/Pattern", pikepdf.Dictionary()).values():
            visit_stream(pattern)
        for state in resources.get("/ExtGState", pikepdf.Dictionary()).values():
            mask = state.get("/SMask") if isinstance(state, pikepdf.Dictionary) else None
            if isinstance(mask, pikepdf.Dictionary):
                visit_stream(mask.get("/G"))

    def visit_stream(stream) -> None:
        if isinstance(stream, pikepdf.Stream | pikepdf.Dictionary) and stream.is_indirect:
            if stream.objgen in seen:
                return
            seen.add(stream.objgen)
        if isinstance(stream, pikepdf.Stream | pikepdf.Dictionary) and "/Resources" in stream:
            visit_resources(stream.Resources)

    def visit_appearance(appearance) -> None:
        if isinstance(appearance, pikepdf.Stream):
            visit_stream(appearance)
        elif isinstance(appearance, pikepdf.Dictionary):
            for state in appearance.values():  # an appearance per state (/On, /Off)
                visit_appearance(state)

    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            node: Any = page.obj
            hops = 0
            while node is not None and "/Resources" not in node and hops < 64:  # /Resources may be inherited from the page tree
                node, hops = node.get("/Parent"), hops + 1
            visit_resources(node.get("/Resources") if node is not None else None)
            for annotation in page.obj.get("/Annots", pikepdf.Array()):
                for kind in ("/N", "/R", "/D"):
                    visit_appearance(annotation.get("/AP", pikepdf.Dictionary()).get(kind))
    return names


# --------------------------------------------------------------------------------------------------------------- tables

def _local(element) -> str:
    tag = getattr(element, "tag", None)
    return tag.rpartition("}")[2].lower() if isinstance(tag, str) else ""


def _cell_text(row) -> str:
    """The first cell's text of a row element, whitespace folded, shortened to 60 characters."""
    cell = next((child for child in row if _local(child) in ("td", "th")), row)
    text = " ".join("".join(cell.itertext()).split())
    return text if len(text) <= 60 else text[:59] + "…"


def _table_rows(document) -> Iterator[tuple[int, Any, Any, Any]]:
    """(0-based page index, table box, row group box, row box) for every table row laid out, nested tables included."""
    from weasyprint.formatting_structure import boxes

    def walk(box, page: int):
        if isinstance(box, boxes.TableBox):
            for group in box.children:
                if isinstance(group, boxes.TableRowGroupBox):
                    for row in group.children:
                        if isinstance(row, boxes.TableRowBox):
                            yield page, box, group, row
        for child in getattr(box, "children", ()):
            if isinstance(child, boxes.Box):
                yield from walk(child, page)

    for index, page in enumerate(document.pages):
        yield from walk(page._page_box, index)


def _pages_text(pages: list[int]) -> str:
    return ", ".join(str(page + 1) for page in sorted(set(pages)))


def split_rows(document) -> list[str]:
    """Each table body row that a laid-out weasyprint.Document split across pages, described by its first cell and pages.

    A row is split when its element has boxes on more than one page. Header and footer rows (thead, tfoot) are left out:
    WeasyPrint repeats them on every page by design. Example: "row 'Nivolumab' is split across pages 3, 4".
    """
    pages: dict[int, tuple[Any, list[int]]] = {}
    for page, _, group, row in _table_rows(document):
        if group.is_header or group.is_footer:
            continue
        pages.setdefault(id(row.element), (row.element, []))[1].append(page)
    return [f"row {_cell_text(element)!r} is split across pages {_pages_text(found)}"
            for element, found in pages.values() if len(set(found)) > 1]


def _header_rows(table) -> list:
    """The header row elements of a table element: its thead's rows, or else its first row if that has only th cells."""
    groups = [child for child in table if _local(child) in ("thead", "tbody", "tfoot", "tr")]
    thead = [row for group in groups if _local(group) == "thead" for row in group if _local(row) == "tr"]
    if thead:
        return thead
    rows = [row for group in groups if _local(group) != "tfoot" for row in ([group] if _local(group) == "tr" else group) if _local(row) == "tr"]
    if rows:
        cells = [cell for cell in rows[0] if _local(cell) in ("td", "th")]
        if cells and all(_local(cell) == "th" for cell in cells):
            return [rows[0]]
    return []


def _table_name(table, headers: list) -> str:
    caption = next((child for child in table if _local(child) == "caption"), None)
    if caption is not None:
        return " ".join("".join(caption.itertext()).split())[:60]
    return _cell_text(headers[0]) if headers else "?"


def unrepeated_headers(document) -> list[str]:
    """Each table whose body rows run over several pages of a weasyprint.Document but whose header is missing on some.

    The header is the table's thead rows, or, without a thead, its first row when that row has only th cells (a header
    row written into the body, which WeasyPrint cannot repeat). The table is named by its caption or first header cell.
    Example: "table 'Drug' has body rows on pages 1, 2, 3 but its header row only on pages 1".
    """
    tables: dict[int, tuple[Any, dict[int, set[int]]]] = {}  # table element id -> (element, {page: row element ids})
    for page, table, _, row in _table_rows(document):
        tables.setdefault(id(table.element), (table.element, {}))[1].setdefault(page, set()).add(id(row.element))
    found = []
    for table, rows_by_page in tables.values():
        headers = _header_rows(table)
        if not headers:
            continue
        header_ids = {id(row) for row in headers}
        footer_ids = {id(row) for group in table if _local(group) == "tfoot" for row in group}
        body_pages = [page for page, rows in rows_by_page.items() if rows - header_ids - footer_ids]
        if len(body_pages) < 2:
            continue
        header_pages = [page for page in body_pages if header_ids <= rows_by_page[page]]
        if len(header_pages) < len(body_pages):
            found.append(f"table {_table_name(table, headers)!r} has body rows on pages {_pages_text(body_pages)} "
                         f"but its header row only on pages {_pages_text(header_pages) or 'none'}")
    return found
