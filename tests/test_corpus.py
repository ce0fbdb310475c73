"""Every corpus document through every edition, read back from the outputs: nothing lost, nothing off the page.

tests/corpus/ holds fact sheets in the shapes real ones take (Q&A, `#` sections, dosing and schedule tables,
footnoted sources, images of every shape, Spanish) and one document per Markdown construct the README promises.
The whole folder is built once by the real CLI, as `make` builds publications/; each document is then checked
in its download PDF, print PDF, booklet, EPUB and catalog entry.
"""
from __future__ import annotations

import functools
import io
import re
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from readback import _pdf_page_texts, embedded_fonts, glyphs_outside, glyphs_under_footer, missing_words, split_rows, text_inside_trim, unrepeated_headers

from brochure.assets import FONTS
from brochure.checks import validate
from brochure.editions import pdf
from brochure.errors import Finding
from brochure.render.html import DOWNLOAD_STYLES, render_html
from brochure.source.reader import read_publication
from conftest import ROOT, machine_with_fonts, run_cli

pytestmark = pytest.mark.slow  # the corpus build alone takes a minute or more

CORPUS = ROOT / "tests" / "corpus"
SOURCES = sorted(CORPUS.glob("*/*.md"))
SHIPPED_FAMILIES = ("Brochure-Serif", "Brochure-Sans", "Brochure-Mono", "Brochure-Symbols", "Brochure-Shapes",  # fonts.css
                    "NotoSans")  # the shipped Noto Sans file, subset under its own name by the print edition's slug line


def _shipped(font: str) -> bool:
    """An embedded font named for one of the families fonts.css declares (WeasyPrint names it family-style); a face
    taken from the machine keeps its own name (DejaVu-Sans-Mono)."""
    return any(font == family or font.startswith(family + "-") for family in SHIPPED_FAMILIES)


# What a writer is told about their own text; anything else on stderr is a fault of ours.
EXPECTED_STDERR = re.compile(r"^(built: .*|warning: [\w.-]+\.md:\d+: (image '[^']+' prints at \d+ ppi .*|"
                             r"no 'date' in the front matter.*|heading 'Skipped level: four straight after two' skips a level .*))$")


def test_corpus_has_the_shapes_the_issue_asks_for():
    fact_sheets = [s for s in SOURCES if not s.stem.startswith("md-")]
    constructs = [s for s in SOURCES if s.stem.startswith("md-")]
    assert len(fact_sheets) >= 12
    assert len(constructs) >= 10


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    """The whole corpus built as a catalog (every edition) by the real CLI, from outside the project."""
    dist = tmp_path_factory.mktemp("corpus") / "dist"
    result = run_cli("build", CORPUS, "-o", dist, "--force", cwd=dist.parent, timeout=900)  # 26 publications, every edition
    assert result.code == 0, result.err
    assert "Traceback" not in result.err
    unexpected = [line for line in result.err.splitlines() if line.strip() and not EXPECTED_STDERR.match(line)]
    assert unexpected == []
    return dist


def _outputs(corpus: Path, source: Path) -> Path:
    return corpus / read_publication(source).metadata.id


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem)
def test_every_edition_is_written(corpus, source):
    folder = _outputs(corpus, source)
    for name in (f"{source.stem}.pdf", f"{source.stem}-print.pdf", f"{source.stem}-booklet.pdf", f"{source.stem}.epub", f"{source.stem}-print.json"):
        assert (folder / name).is_file(), name
    assert f'id="pub-{folder.name}"' in (corpus / "index.html").read_text(encoding="utf-8")
    assert f"{folder.name}/{source.stem}.epub" in (corpus / "catalog.xml").read_text(encoding="utf-8")


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem)
@pytest.mark.parametrize("edition", ["download", "print"])
def test_every_word_is_in_the_pdf(corpus, source, edition):
    name = f"{source.stem}.pdf" if edition == "download" else f"{source.stem}-print.pdf"
    assert missing_words(read_publication(source).body_html, (_outputs(corpus, source) / name).read_bytes()) == []


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem)
def test_every_glyph_is_on_the_page_and_clear_of_the_footer(corpus, source):
    folder = _outputs(corpus, source)
    download = (folder / f"{source.stem}.pdf").read_bytes()
    printed = (folder / f"{source.stem}-print.pdf").read_bytes()
    assert glyphs_outside(download, "MediaBox") == []
    assert glyphs_outside(printed, "TrimBox", slug_below="BleedBox") == []
    assert glyphs_under_footer(download) == []
    assert glyphs_under_footer(printed, slug_below="BleedBox") == []


@pytest.mark.parametrize("source", SOURCES, ids=lambda s: s.stem)
def test_only_shipped_fonts_are_embedded(corpus, source):
    folder = _outputs(corpus, source)
    for name in (f"{source.stem}.pdf", f"{source.stem}-print.pdf", f"{source.stem}-booklet.pdf"):
        assert [font for font in embedded_fonts((folder / name).read_bytes()) if not _shipped(font)] == [], name


@functools.cache
def _layouts(source: Path) -> tuple:
    pub = read_publication(source)
    return pdf._document(render_html(pub, "download"), pub, DOWNLOAD_STYLES), pdf.layout_print(pub)[0]


TABLE_SOURCES = [s for s in SOURCES if "|---" in s.read_text(encoding="utf-8").replace(" ", "") or "<table" in s.read_text(encoding="utf-8")]


@pytest.mark.parametrize("source", TABLE_SOURCES, ids=lambda s: s.stem)
def test_no_table_row_splits_and_headers_repeat(source):
    for document in _layouts(source):
        assert split_rows(document) == []
        assert unrepeated_headers(document) == []


def test_the_long_dosing_table_runs_over_pages_with_its_header():
    """The medicines table is long enough to continue over pages: the row and header checks had something to see."""
    download, printed = _layouts(CORPUS / "blood-pressure-medicines" / "blood-pressure-medicines.md")
    pages = [number for number, page in enumerate(printed.pages) if any(box.element_tag == "tr" for box in page._page_box.descendants())]
    assert len(pages) >= 3


@pytest.fixture(scope="module")
def broken_epub(corpus, tmp_path_factory) -> Path:
    """The first corpus EPUB without its nav document."""
    good = _outputs(corpus, SOURCES[0]) / f"{SOURCES[0].stem}.epub"
    broken = tmp_path_factory.mktemp("broken") / "broken.epub"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            if not item.filename.endswith("nav.xhtml"):
                target.writestr(item, source.read(item.filename))
    return broken


@pytest.fixture(scope="module")
def epubcheck_findings(corpus, broken_epub) -> dict[str, list[Finding]]:
    """EPUBCheck's findings for every corpus EPUB, and for the broken one second (after the good EPUB it was made
    from), all in one Java run."""
    epubs = [_outputs(corpus, source) / f"{source.stem}.epub" for source in SOURCES]
    epubs.insert(1, broken_epub)
    return dict(zip([epub.name for epub in epubs], validate.epubcheck_many(epubs), strict=True))


@pytest.mark.java
def test_epubcheck_finds_nothing_in_any_epub(epubcheck_findings):
    assert len(epubcheck_findings) == len(SOURCES) + 1
    assert {name: found for name, found in epubcheck_findings.items() if found and name != "broken.epub"} == {}


@pytest.mark.java
def test_every_download_and_large_print_pdf_passes_verapdf_pdf_ua_1(corpus):
    """One veraPDF JVM over all 52 screen PDFs. Before: 4 download PDFs failed, loose list items (WeasyPrint tagged
    their paragraphs as P children of the LI, upstream's _Tree.list_bodies) and a skipped heading level
    (md-headings' `####` after `##`: now set one level below, with a warning)."""
    paths = [_outputs(corpus, source) / name for source in SOURCES for name in (f"{source.stem}.pdf", f"{source.stem}-large-print.pdf")]
    failing = {path.name: [f.message[:200] for f in findings] for path, findings in zip(paths, validate.pdf_ua_many(paths), strict=True) if findings}
    assert failing == {}


def test_print_editions_pass_their_preflight_and_fill_their_signatures_without_a_blank_page(corpus):
    for source in SOURCES:
        with pikepdf.open(io.BytesIO((_outputs(corpus, source) / f"{source.stem}-print.pdf").read_bytes())) as document:
            assert len(document.pages) % 4 == 0, source.stem
        texts = [text_inside_trim(page) for page in pypdfium2.PdfDocument(_outputs(corpus, source) / f"{source.stem}-print.pdf")]
        assert [number for number, text in enumerate(texts, start=1) if not text] == [], f"{source.stem}: blank pages"


def write_check_mark_font(path: Path) -> None:
    """A font of one glyph, a check mark (✓), family "Machine Check": a face the shipped ones are not."""
    from fontTools.fontBuilder import FontBuilder
    from fontTools.pens.ttGlyphPen import TTGlyphPen

    pen = TTGlyphPen(None)
    pen.moveTo((80, 350))
    for point in ((250, 0), (620, 700), (540, 700), (250, 130), (160, 350)):
        pen.lineTo(point)
    pen.closePath()
    font = FontBuilder(1000, isTTF=True)
    font.setupGlyphOrder([".notdef", "check"])
    font.setupCharacterMap({0x2713: "check"})
    font.setupGlyf({".notdef": TTGlyphPen(None).glyph(), "check": pen.glyph()})
    font.setupHorizontalMetrics({".notdef": (500, 0), "check": (700, 80)})
    font.setupHorizontalHeader(ascent=800, descent=-200)
    font.setupNameTable({"familyName": "Machine Check", "styleName": "Regular"})
    font.setupOS2(sTypoAscender=800, sTypoDescender=-200, usWinAscent=800, usWinDescent=200)
    font.setupPost()
    font.save(str(path))


def test_the_font_check_sees_a_face_from_the_machine(tmp_path):
    """A character no shipped face has (✓) is set in a machine font: the check above names it. The machine is made
    here: it has the shipped files and one font with a check mark, whatever fonts this machine has."""
    (tmp_path / "machine").mkdir()
    write_check_mark_font(tmp_path / "machine" / "MachineCheck.ttf")
    machine = machine_with_fonts(tmp_path, FONTS, tmp_path / "machine")
    source = tmp_path / "check" / "check.md"
    source.parent.mkdir()
    source.write_text("---\ntitle: Check\nlang: en\ndate: 2024-05-01\n---\n\nDone ✓\n", encoding="utf-8")
    result = run_cli("build", source, "-o", tmp_path / "out", "--format", "pdf", env=machine)
    assert result.code == 0, result.err
    assert [font for font in embedded_fonts((tmp_path / "out" / "check.pdf").read_bytes()) if not _shipped(font)] == ["Machine-Check"]


@pytest.mark.java
def test_epubcheck_many_reports_each_broken_epub(epubcheck_findings):
    """The broken EPUB's findings are its own: the good EPUB before it and those after it have none."""
    names = list(epubcheck_findings)
    assert names[1] == "broken.epub"
    assert epubcheck_findings[names[0]] == [] and epubcheck_findings["broken.epub"] != []
    assert all(epubcheck_findings[name] == [] for name in names[2:])


SPANISH = [s for s in SOURCES if read_publication(s).metadata.lang == "es"]


@pytest.mark.parametrize("source", SPANISH, ids=lambda s: s.stem)
def test_spanish_sheets_are_hyphenated_with_spanish_patterns_and_quoted_with_guillemets(corpus, source):
    """Every line-end hyphen of a Spanish sheet's PDFs falls where Spanish patterns allow it (vacu-narse, protec-ción),
    and quotation marks are « » (a typed " never reaches the PDF)."""
    import pyphen

    spanish = pyphen.Pyphen(lang="es")
    body = source.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    for edition in ("", "-print"):
        text = "\n".join(_pdf_page_texts((_outputs(corpus, source) / f"{source.stem}{edition}.pdf").read_bytes()))
        if '"' in body:
            assert "«" in text and "»" in text and '"' not in text and "“" not in text
        lines = text.splitlines()
        for number, line in enumerate(lines[:-1]):
            if line.rstrip().endswith("\u2010"):
                head = re.findall(r"\w+$", line.rstrip()[:-1])[0]
                tail = re.findall(r"^\w+", lines[number + 1])[0]
                assert len(head) in spanish.positions(head + tail), f"{source.stem}{edition}: {head}-{tail}"


def test_the_paired_spanish_sheet_is_one_catalog_entry_with_its_original(corpus):
    english = (corpus / "index.html").read_text(encoding="utf-8")
    spanish = (corpus / "index.es.html").read_text(encoding="utf-8")
    assert english.count('class="entry"') == spanish.count('class="entry"') == len(SOURCES) - 1
    assert 'id="pub-flu-vaccine" data-lang="en es"' in english and 'id="pub-vacuna-influenza" data-lang="es en"' in spanish
    printed = "\n".join(_pdf_page_texts((corpus / "vacuna-influenza" / "vacuna-influenza-print.pdf").read_bytes()))
    assert "ThispublicationinEnglish:SeasonalFluVaccine,health.example.org/publications#pub-flu-vaccine" in "".join(printed.split())
