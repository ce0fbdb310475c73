"""tests/readback.py: each read-back finds what it looks for in a small WeasyPrint PDF, and passes a clean one."""
from __future__ import annotations

import io
import re

import pikepdf
import pypdfium2
import pytest
import readback
import weasyprint
from readback import (
    embedded_fonts,
    glyphs_outside,
    glyphs_under_footer,
    html_words,
    missing_words,
    pdf_text_words,
    split_rows,
    unrepeated_headers,
)

from conftest import ROOT, shipped_fonts

NOTO_SANS = (ROOT / "brochure" / "assets" / "styles" / "fonts" / "NotoSans-Regular.ttf").as_uri()
NOTO_SERIF = (ROOT / "brochure" / "assets" / "styles" / "fonts" / "NotoSerif-Regular.ttf").as_uri()
FONTS = f"""@font-face {{ font-family: 'Noto Sans'; src: url({NOTO_SANS}); }}
@font-face {{ font-family: 'Noto Serif'; src: url({NOTO_SERIF}); }}
html {{ font-family: 'Noto Serif'; }}"""
# A6 pages with a running title (bottom left) and a folio (bottom right) on one baseline, as the download PDF has.
PAGE = """@page { size: A6; margin: 1cm 1cm 2cm;
  @bottom-left { content: "Fact sheet"; font-family: 'Noto Sans'; font-size: 8pt; }
  @bottom-right { content: "Page " counter(page); font-family: 'Noto Sans'; font-size: 8pt; } }"""
LOREM = ("Progressive multifocal leukoencephalopathy is a rare disease of the brain that damages the white matter. "
         "The virus that causes it is common, but the disease is rare and almost only affects people with weak immune systems. ")


def pdf_of(body: str, css: str = "", lang: str = "en") -> bytes:
    return weasyprint.HTML(string=f"<html lang={lang}><head><style>{FONTS}\n{PAGE}\n{css}</style></head><body>{body}</body></html>").write_pdf()


def raw_text(pdf: bytes) -> str:
    document = pypdfium2.PdfDocument(pdf)
    try:
        return "\n".join(page.get_textpage().get_text_range() for page in document)
    finally:
        document.close()


def with_box(pdf: bytes, name: str, box: list[float] | None) -> bytes:
    """The PDF with every page's box `name` set to `box` (or deleted, for None)."""
    with pikepdf.open(io.BytesIO(pdf)) as document:
        for page in document.pages:
            if box is None:
                del page.obj[f"/{name}"]
            else:
                page.obj[f"/{name}"] = pikepdf.Array(box)
        out = io.BytesIO()
        document.save(out)
    return out.getvalue()


# ---------------------------------------------------------------------------------------------------------------- words

@pytest.fixture(scope="module")
def hyphenated() -> bytes:
    """A narrow, hyphenated column (hyphens: auto, lang=en) and a word broken at a manual soft hyphen."""
    return pdf_of("<p class=auto>Progressive multifocal leukoencephalopathy is an extraordinarily uncommon infection.</p>"
                  "<p class=manual>supercali\u00adfragilistic\u00adexpialidocious</p>",
                  "p { width: 3cm; font-size: 12pt; } .auto { hyphens: auto; } .manual { hyphens: manual; }")


def test_words_of_the_pdf_include_what_is_there_and_not_what_is_not():
    words = pdf_text_words(pdf_of("<p>The “virus” doesn’t spread; <b>PML</b> is rare.</p>"))
    assert {"the", "virus", "doesn", "t", "spread", "pml", "is", "rare"} <= words
    assert "measles" not in words
    assert all(word == word.lower() and re.fullmatch(r"\w+", word) for word in words)


def test_a_word_hyphenated_at_a_line_end_is_joined_back(hyphenated):
    text = raw_text(hyphenated)
    assert re.search("leuko\\w*\u2010\r\n", text), text  # the column really broke the word
    words = pdf_text_words(hyphenated)
    assert {"leukoencephalopathy", "extraordinarily", "uncommon"} <= words
    broken = re.search("(\\w+)\u2010\r\n(\\w+)", text)
    assert {broken[1].lower(), broken[2].lower()} <= words  # both halves are kept as words too


def test_a_word_broken_at_a_soft_hyphen_is_joined_back(hyphenated):
    assert "supercali\u2010\r\n" in raw_text(hyphenated)
    assert "fragilistic\u2010\r\n" in raw_text(hyphenated)  # broken twice
    assert "supercalifragilisticexpialidocious" in pdf_text_words(hyphenated)


def test_a_word_hyphenated_across_a_page_break_is_joined_to_the_next_pages_lines():
    pages = ["a leukoenceph\u2010\r\nPage 1", "Running head\r\nalopathy is rare\r\nPage 2"]
    words = readback._text_words(pages)
    assert "leukoencephalopathy" in words
    assert "aalopathy" not in words and "rareis" not in words  # only the broken fragment is joined


def test_a_hyphen_that_is_not_at_a_line_end_joins_nothing():
    assert readback._text_words(["well-known - \r\nfacts"]) == {"well", "known", "facts"}


def test_html_words_are_in_order_and_normalised_like_the_pdfs():
    fragment = ("<h2>About ﬁndings</h2><p>Doesn’t <b>leuko</b>encephalopathy spread?</p><ul><li>one</li><li>two</li></ul>"
                "<p>super\u00adcali<br>next<!-- a comment --></p><script>var hidden = 1;</script><style>p{}</style>")
    assert html_words(fragment) == ["about", "findings", "doesn", "t", "leukoencephalopathy", "spread", "one", "two", "supercali", "next"]
    assert html_words("") == []


def test_missing_words_names_the_html_words_not_in_the_pdf(hyphenated):
    html = "<p>Progressive multifocal leukoencephalopathy is an <i>extraordinarily</i> uncommon infection.</p>"
    assert missing_words(html, hyphenated) == []
    assert missing_words(html + "<p>A lost sentence, lost twice.</p>", hyphenated) == ["a", "lost", "sentence", "twice"]


# --------------------------------------------------------------------------------------------------------------- glyphs

def test_a_glyph_set_off_the_page_is_found():
    found = glyphs_outside(pdf_of(f"<p>{LOREM}</p><p style='position: absolute; left: -50px; top: 3cm'>Xenon</p>"))
    assert found and all(line.startswith("page 1: ") and "outside MediaBox (0.0, 0.0, 297.6, 419.5)" in line for line in found)
    assert "'X'" in found[0]


def test_a_line_wider_than_the_page_is_found():
    found = glyphs_outside(pdf_of(f"<p style='white-space: nowrap'>{LOREM}</p>"))
    assert found and all("outside MediaBox" in line for line in found)


def test_a_normal_page_has_no_glyph_outside_its_media_or_trim_box():
    pdf = pdf_of(f"<p>{LOREM * 4}</p>")
    assert glyphs_outside(pdf) == []
    assert glyphs_outside(pdf, "TrimBox") == []


def test_glyphs_outside_a_smaller_trim_box_are_found():
    pdf = pdf_of(f"<p>{LOREM}</p>", "@page { margin: 0.3cm; @bottom-left { content: none; } @bottom-right { content: none; } }")  # text 8.5 pt from the edges
    trimmed = with_box(pdf, "TrimBox", [20, 20, 277.6, 399.5])
    assert glyphs_outside(trimmed) == []  # the MediaBox is the default
    found = glyphs_outside(trimmed, "TrimBox")
    assert found and all("outside TrimBox (20.0, 20.0, 277.6, 399.5)" in line for line in found)


def test_a_page_without_the_box_is_checked_against_its_media_box():
    pdf = with_box(pdf_of("<p style='position: absolute; left: -50px'>Xenon</p>"), "TrimBox", None)
    found = glyphs_outside(pdf, "TrimBox")
    assert found and all("outside MediaBox" in line for line in found)


# --------------------------------------------------------------------------------------------------------------- footer

def test_text_over_the_folio_is_found():
    intruder = "<p style='position: absolute; bottom: -1.6cm; left: 1cm; margin: 0; font-size: 10pt'>Intruding words</p>"
    found = glyphs_under_footer(pdf_of(f"<p>{LOREM}</p>{intruder}"))
    assert found and all(line.startswith("page 1: ") and "the footer line 'Fact sheet   Page 1'" in line for line in found)
    assert "".join(re.match(r"page 1: '(.)'", line)[1] for line in found) == "Intrudingwords"


def test_text_below_the_folio_is_found():
    found = glyphs_under_footer(pdf_of(f"<p>{LOREM}</p><p style='position: absolute; bottom: -1.95cm; margin: 0; font-size: 6pt'>x</p>"))
    assert found == [found[0]] and "lies below the footer line" in found[0]


def test_the_folio_of_other_languages_is_found():
    intruder = "<p style='position: absolute; bottom: -1.6cm; left: 1cm; margin: 0'>Aquí</p>"
    css = "@page { @bottom-right { content: 'Página ' counter(page); } }"
    assert len(glyphs_under_footer(pdf_of(f"<p>{LOREM}</p>{intruder}", css, lang="es"))) == 4


def test_pages_whose_text_keeps_clear_of_the_folio_pass():
    pdf = pdf_of(f"<p>{LOREM * 10}</p>")
    assert len(pypdfium2.PdfDocument(pdf)) >= 3
    assert glyphs_under_footer(pdf) == []  # the running title beside the folio is part of the footer line


def test_a_page_without_a_folio_is_skipped():
    intruder = "<p style='position: absolute; bottom: -1.6cm; margin: 0'>Intruding words</p>"
    css = "@page :first { @bottom-right { content: none; } }"
    assert glyphs_under_footer(pdf_of(f"<p>{LOREM}</p>{intruder}", css)) == []


# ---------------------------------------------------------------------------------------------------------------- fonts

def test_the_fonts_used_are_named_without_their_subset_prefix():
    pdf = pdf_of("<p>Serif text <span style=\"font-family: 'Noto Sans'\">and sans</span></p>", "@page { @bottom-left { content: none; } @bottom-right { content: none; } }")
    with pikepdf.open(io.BytesIO(pdf)) as document:
        raw = {str(font.BaseFont) for font in document.pages[0].Resources.Font.values()}
    assert all(re.match(r"/[A-Z]{6}\+", name) for name in raw)
    # WeasyPrint 70 names an embedded font after its CSS font-family, spaces as hyphens (not the PostScript name)
    assert embedded_fonts(pdf) == {"Noto-Serif", "Noto-Sans"}


def test_a_pdf_without_text_has_no_fonts():
    pdf = pdf_of("<div style='height: 2cm; background: black'></div>", "@page { @bottom-left { content: none; } @bottom-right { content: none; } }")
    assert embedded_fonts(pdf) == set()


def test_fonts_inside_form_xobjects_and_type3_fonts_are_found():
    document = pikepdf.new()
    document.add_blank_page()
    font = document.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name("/QWERTY+Inner-Font")))
    glyph_font = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name("/Glyph-Font"))
    type3 = pikepdf.Dictionary(Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type3, BaseFont=pikepdf.Name("/Drawn"), CharProcs=pikepdf.Dictionary(),
                               Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(G=glyph_font)))
    inner = pikepdf.Stream(document, b"", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 10, 10],
                           Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F=font, T3=type3)))
    outer = pikepdf.Stream(document, b"/Inner Do", Type=pikepdf.Name.XObject, Subtype=pikepdf.Name.Form, BBox=[0, 0, 10, 10],
                           Resources=pikepdf.Dictionary(XObject=pikepdf.Dictionary(Inner=inner)))
    inner.Resources.XObject = pikepdf.Dictionary(Outer=outer)  # a cycle: each form's resources name the other
    document.pages[0].obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Outer=outer))
    out = io.BytesIO()
    document.save(out)
    assert embedded_fonts(out.getvalue()) == {"Inner-Font", "Drawn", "Glyph-Font"}


# --------------------------------------------------------------------------------------------------------------- tables

def long_table(css: str = "", header: str = "thead") -> weasyprint.Document:
    """60 rows over several A6 pages, every 7th with a cell long enough to take several lines."""
    rows = "".join(f"<tr><td>r{i}</td><td>{'a long dose note ' * (18 if i % 7 == 0 else 1)}</td></tr>" for i in range(60))
    head = "<tr><th>Drug</th><th>Dose</th></tr>"
    if header == "thead":
        table = f"<table><thead>{head}</thead><tbody>{rows}</tbody></table>"
    else:  # the header row written as the body's first row
        table = f"<table><tbody>{head}{rows}</tbody></table>"
    html = f"<html lang=en><head><style>{FONTS}\n{PAGE}\ntable {{ break-inside: auto; }} {css}</style></head><body>{table}</body></html>"
    return weasyprint.HTML(string=html).render()


@pytest.fixture(scope="module")
def rows_split() -> weasyprint.Document:
    return long_table("tr { break-inside: auto; }")


@pytest.fixture(scope="module")
def rows_kept() -> weasyprint.Document:
    return long_table("tr { break-inside: avoid; }")


def test_a_row_split_across_pages_is_found(rows_split):
    found = split_rows(rows_split)
    assert found and all(re.fullmatch(r"row 'r\d+' is split across pages \d+, \d+", line) for line in found), found
    assert not any("'Drug'" in line for line in found)  # the repeated header row is not a split row


def test_rows_kept_whole_with_break_inside_avoid_pass(rows_kept):
    assert len(rows_kept.pages) >= 3
    assert split_rows(rows_kept) == []  # WeasyPrint 70 honours tr { break-inside: avoid }


def test_a_thead_repeated_on_every_page_passes(rows_split, rows_kept):
    assert unrepeated_headers(rows_split) == []  # WeasyPrint 70 repeats a thead by default
    assert unrepeated_headers(rows_kept) == []


def test_a_header_row_written_in_the_body_is_found():
    document = long_table("tr { break-inside: avoid; }", header="tbody")
    pages = len(document.pages)
    assert unrepeated_headers(document) == [
        f"table 'Drug' has body rows on pages {', '.join(map(str, range(1, pages + 1)))} but its header row only on pages 1"]


def test_a_thead_that_is_not_a_header_group_is_found():
    document = long_table("tr { break-inside: avoid; } thead { display: table-row-group; }")
    found = unrepeated_headers(document)
    assert len(found) == 1 and found[0].endswith("but its header row only on pages 1")


def test_a_table_on_one_page_needs_no_repeated_header():
    document = weasyprint.HTML(string="<table><tbody><tr><th>Drug</th></tr><tr><td>r1</td></tr></tbody></table>").render(**shipped_fonts())
    assert unrepeated_headers(document) == []
    assert split_rows(document) == []
