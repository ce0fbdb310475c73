"""Issue 14, point 5: the large-print edition (NAME-large-print.pdf), read back from the PDF.

`brochure build SOURCE --format large` lays out the download edition with styles/large-print.css after the American
Council of the Blind's guidelines: every glyph 18 pt or more, sans-serif, never italic, never hyphenated, nothing
past the page's edge, the standard print edition's page numbers in the left margin, and the same bookmarks and
links as the download PDF; tagged PDF/UA-1 as veraPDF checks it. On PML and on corpus sheets in Spanish, with
tables (one of four columns and 12 pages), with long words, with inline HTML, and with print pages that start at a
list item.
"""
from __future__ import annotations

import ctypes
import re
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pypdfium2.raw as raw
import pytest
from several import build_each

from brochure.build import print_page_starts
from brochure.checks import validate
from brochure.render.html import EXTRA_PAGE_PREFIX
from brochure.render.printpages import parse_start
from brochure.source.reader import read_publication
from conftest import PML, ROOT, run_cli

CORPUS = ROOT / "tests" / "corpus"
SOURCES = {"pml": PML, "vacuna-influenza": CORPUS / "vacuna-influenza" / "vacuna-influenza.md",
           "md-tables": CORPUS / "md-tables" / "md-tables.md", "md-long-words": CORPUS / "md-long-words" / "md-long-words.md",
           "heat-illness": CORPUS / "heat-illness" / "heat-illness.md",  # print pages that start at a list item
           "blood-pressure-medicines": CORPUS / "blood-pressure-medicines" / "blood-pressure-medicines.md",  # a long table
           "md-html": CORPUS / "md-html" / "md-html.md"}  # inline HTML: <small>, <sub>, <ins>
MIN_PT = 18
LEFT_MARGIN_PT = 1.75 * 72


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> dict[str, Path]:
    """Each source's download PDF and large-print edition."""
    return build_each(tmp_path_factory, SOURCES, "pdf,large")


def large_print(built: dict[str, Path], name: str) -> Path:
    return built[name] / f"{SOURCES[name].stem}-large-print.pdf"


def glyphs(pdf: Path) -> list[dict]:
    """Every drawn character: page number, character, size in points (font size × the text's scale), font name, and
    its box (left, bottom, right, top) in points."""
    found = []
    document = pdfium.PdfDocument(pdf)
    for number, page in enumerate(document, start=1):
        text = page.get_textpage()
        for index in range(text.count_chars()):
            if raw.FPDFText_IsGenerated(text, index) == 1:
                continue
            char = chr(raw.FPDFText_GetUnicode(text, index))
            if char.isspace():
                continue
            matrix = raw.FS_MATRIX()
            raw.FPDFText_GetMatrix(text, index, matrix)
            scale = abs(matrix.a * matrix.d - matrix.b * matrix.c) ** 0.5
            name = ctypes.create_string_buffer(256)
            raw.FPDFText_GetFontInfo(text, index, name, 256, None)
            box = [ctypes.c_double() for _ in range(4)]
            raw.FPDFText_GetCharBox(text, index, *(ctypes.byref(v) for v in box))  # left, right, bottom, top
            left, right, bottom, top = (v.value for v in box)
            found.append({"page": number, "char": char, "size": raw.FPDFText_GetFontSize(text, index) * scale,
                          "font": name.value.decode(), "box": (left, bottom, right, top), "width": page.get_width(),
                          "height": page.get_height()})
    return found


@pytest.fixture(scope="module")
def read(built) -> dict[str, list[dict]]:
    return {name: glyphs(large_print(built, name)) for name in SOURCES}


def test_large_print_passes_pdf_ua_1(built):
    paths = [large_print(built, name) for name in SOURCES]
    for path, findings in zip(paths, validate.pdf_ua_many(paths), strict=True):
        assert findings == [], f"{path.name}: {findings}"


@pytest.mark.parametrize("name", SOURCES)
def test_every_glyph_is_18_pt_or_more(read, name):
    sizes = [g["size"] for g in read[name]]
    assert len(sizes) > 500
    small = [(g["page"], g["char"], round(g["size"], 1)) for g in read[name] if g["size"] < MIN_PT - 0.01]
    assert small == []
    body = max(set(round(s) for s in sizes), key=[round(s) for s in sizes].count)
    assert body == MIN_PT, "the body text, the commonest size, is 18 pt"


@pytest.mark.parametrize("name", SOURCES)
def test_text_is_sans_serif_and_never_italic(read, name):
    fonts = {g["font"].split("+")[-1] for g in read[name]}
    assert not [font for font in fonts if "Serif" in font or "Italic" in font], fonts
    assert "Brochure-Sans" in fonts, fonts


@pytest.mark.parametrize("name", SOURCES)
def test_no_word_is_hyphenated_at_a_line_end(read, name):
    assert [g for g in read[name] if g["char"] == "\u2010"] == []


@pytest.mark.parametrize("name", SOURCES)
def test_nothing_is_cut_off_at_the_page_edges(read, name):
    """Every glyph inside the page, and off the cover inside the right margin's inner half (tables wrap at 18 pt)."""
    outside = [(g["page"], g["char"]) for g in read[name]
               if g["box"][0] < 0 or g["box"][1] < 0 or g["box"][2] > g["width"] - (0.4 * 72 if g["page"] > 1 else 0) or g["box"][3] > g["height"]]
    assert outside == []


@pytest.mark.parametrize("name", SOURCES)
def test_print_page_numbers_stand_in_the_margin_where_print_pages_start(read, name):
    """"Print page N" for each print page but the cover and the extra pages (notes, ordering), in order, and nothing else in the left margin."""
    pub = read_publication(SOURCES[name])
    expected = [number for number, start in enumerate(print_page_starts(pub), start=1)
                if start is not None and parse_start(start)[0] != "cover" and not start.startswith(EXTRA_PAGE_PREFIX)]
    in_margin = "".join(g["char"] for g in read[name] if g["box"][2] <= LEFT_MARGIN_PT - 0.1 * 72)
    label = pub.strings["print_page"].replace(" ", "")
    assert re.fullmatch(rf"(?:{label}\d+)*", in_margin), in_margin
    assert [int(n) for n in re.findall(rf"{label}(\d+)", in_margin)] == expected


def _outline(pdf: Path) -> list[str]:
    with pikepdf.open(pdf) as document, document.open_outline() as outline:
        titles: list[str] = []
        pending = list(outline.root)
        while pending:
            item = pending.pop(0)
            titles.append(item.title)
            pending[:0] = list(item.children)
        return titles


def _links(pdf: Path) -> tuple[set[str], int]:
    """The web addresses the PDF links to, and how many links go to a place inside it."""
    uris, internal = set(), 0
    with pikepdf.open(pdf) as document:
        for page in document.pages:
            for annotation in page.get("/Annots", []):
                if annotation.get("/Subtype") != "/Link":
                    continue
                action = annotation.get("/A")
                if action is not None and action.get("/S") == "/URI":
                    uris.add(str(action.URI))
                elif "/Dest" in annotation or (action is not None and action.get("/S") == "/GoTo"):
                    internal += 1
    return uris, internal


@pytest.mark.parametrize("name", SOURCES)
def test_bookmarks_and_links_are_the_download_editions(built, name):
    download = built[name] / f"{SOURCES[name].stem}.pdf"
    assert _outline(large_print(built, name)) == _outline(download)
    assert _outline(download)
    (uris, internal), (download_uris, download_internal) = _links(large_print(built, name)), _links(download)
    assert uris == download_uris
    assert internal >= download_internal > 0  # the contents' entries: one annotation per line, more lines at 18 pt


def test_the_default_build_makes_no_large_print(tmp_path):
    assert run_cli("build", PML, "-o", tmp_path, "-q").code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pml.epub", "pml.pdf"]


def test_large_print_is_byte_identical_when_built_again(built, tmp_path):
    assert run_cli("build", PML, "-o", tmp_path, "--format", "large", "-q").code == 0
    assert (tmp_path / "pml-large-print.pdf").read_bytes() == large_print(built, "pml").read_bytes()


def test_the_readme_picture_is_a_render_of_the_current_large_print(built, golden):
    """docs/large-print.png is what scripts/previews.py makes from today's large-print PML (`make previews` or
    `pytest --update-golden` writes it)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("previews", ROOT / "scripts" / "previews.py")
    previews = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previews)
    for name, png in previews.large_print_previews(large_print(built, "pml").read_bytes()).items():
        golden.check_png(ROOT / "docs" / name, png)
