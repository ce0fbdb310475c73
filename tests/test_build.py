"""`brochure build publications/pml/pml.md`: what the README promises lands in the output folder."""
from __future__ import annotations

import hashlib
import re
import zipfile
from pathlib import Path

import pikepdf
import pypdfium2
import pytest
from lxml import etree

from brochure.checks import validate
from brochure.errors import Finding
from conftest import PML, ROOT, normalise, run_cli, run_script, seed_sentences

PML_LINKS = {
    "https://www.nih.gov/health-information/nih-clinical-research-trials-you",
    "https://clinicaltrials.gov",
    "https://catalog.ninds.nih.gov",
}


def pdf_text(path) -> str:
    document = pypdfium2.PdfDocument(path)
    try:
        return "\n".join(page.get_textpage().get_text_bounded() for page in document)
    finally:
        document.close()


def epub_text(path) -> str:
    texts = []
    with zipfile.ZipFile(path) as book:
        for name in ("EPUB/body.xhtml", "EPUB/back.xhtml"):
            tree = etree.fromstring(book.read(name))
            texts.append("".join(tree.itertext()))
    return "\n".join(texts)


def test_build_writes_pdf_and_epub_named_after_the_stem(pml_build):
    assert sorted(p.name for p in pml_build.iterdir()) == ["pml.epub", "pml.pdf"]


@pytest.mark.parametrize("sentence", seed_sentences())
def test_every_seed_sentence_is_in_the_pdf(pml_build, sentence):
    assert normalise(sentence) in normalise(pdf_text(pml_build / "pml.pdf"))


@pytest.mark.parametrize("sentence", seed_sentences())
def test_every_seed_sentence_is_in_the_epub(pml_build, sentence):
    assert normalise(sentence) in normalise(epub_text(pml_build / "pml.epub"))


# Publications without question headings (## ...): an empty table of contents makes an invalid nav and NCX, so the
# builder always gives the reader somewhere to go.
PLAIN_BODIES = {"no heading": "Only a paragraph, no heading at all.", "h1 only": "# One top heading\n\nA paragraph.",
                "h3 only": "### A deep heading only\n\nText."}


@pytest.fixture(scope="module")
def plain_epubs(tmp_path_factory) -> dict[str, Path]:
    """The EPUB of each of PLAIN_BODIES, built by the real CLI."""
    epubs = {}
    for number, (name, body) in enumerate(PLAIN_BODIES.items()):
        folder = tmp_path_factory.mktemp(f"plain{number}")
        source = folder / "plain" / "plain.md"
        source.parent.mkdir()
        source.write_text(f"---\ntitle: Plain\nlang: en\n---\n\n{body}\n", encoding="utf-8")
        result = run_cli("build", source, "-o", folder / "out", "--format", "epub")
        assert result.code == 0, result.err
        epubs[name] = folder / "out" / "plain.epub"
    return epubs


@pytest.fixture(scope="module")
def epubcheck_findings(pml_build, plain_epubs) -> dict[str, list[Finding]]:
    """EPUBCheck's fatal errors, errors and warnings for the PML EPUB and each plain one, all in one Java run."""
    epubs = {"pml": pml_build / "pml.epub", **plain_epubs}
    return dict(zip(epubs, validate.epubcheck_many(list(epubs.values())), strict=True))


@pytest.mark.slow
@pytest.mark.java
def test_epubcheck_reports_no_errors_and_no_warnings(epubcheck_findings):
    assert epubcheck_findings["pml"] == []


@pytest.mark.slow
@pytest.mark.java
@pytest.mark.parametrize("name", PLAIN_BODIES)
def test_an_epub_without_question_headings_still_passes_epubcheck(epubcheck_findings, name):
    assert epubcheck_findings[name] == []


def test_epub_names_its_cover_for_epub_3_and_older_readers(pml_build):
    """The cover image carries EPUB 3's cover-image property, and EPUB 2's <meta name="cover"> points at the same item
    (older readers and e-ink library views take the thumbnail from it)."""
    with zipfile.ZipFile(pml_build / "pml.epub") as book:
        opf = etree.fromstring(book.read("EPUB/content.opf"))
        ns = {"opf": "http://www.idpf.org/2007/opf"}
        (item,) = opf.xpath("//opf:manifest/opf:item[contains(concat(' ', @properties, ' '), ' cover-image ')]", namespaces=ns)
        (meta,) = opf.xpath("//opf:metadata/opf:meta[@name='cover']", namespaces=ns)
        assert meta.get("content") == item.get("id")
        assert book.read("EPUB/" + item.get("href"))[:8] == b"\x89PNG\r\n\x1a\n"


def test_pdf_fonts_are_all_embedded_and_ours(pml_build):
    with pikepdf.open(pml_build / "pml.pdf") as pdf:
        fonts = {}
        for page in pdf.pages:
            for font in (page.Resources.get("/Font") or {}).values():
                fonts[str(font.get("/BaseFont"))] = font
        assert fonts
        for base_name, font in fonts.items():
            descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
            descriptor = descendant.FontDescriptor
            assert any(key in descriptor for key in ("/FontFile", "/FontFile2", "/FontFile3")), base_name
            assert base_name.split("+")[-1].startswith(("Brochure-Sans", "Brochure-Serif")), f"{base_name} is not a shipped font"
            assert re.fullmatch(r"/[A-Z]{6}\+.+", base_name), f"{base_name} is not subset"


def test_pdf_is_tagged(pml_build):
    with pikepdf.open(pml_build / "pml.pdf") as pdf:
        assert "/StructTreeRoot" in pdf.Root
        assert bool(pdf.Root.MarkInfo.Marked) is True
        assert str(pdf.Root.Lang) == "en"
        assert bool(pdf.Root.ViewerPreferences.DisplayDocTitle) is True


def test_pdf_has_one_bookmark_per_heading(pml_build):
    from brochure import read_publication

    pub = read_publication(PML)
    with pikepdf.open(pml_build / "pml.pdf") as pdf, pdf.open_outline() as outline:
        titles = []

        def walk(items):
            for item in items:
                titles.append(item.title)
                walk(item.children)

        walk(outline.root)
    assert titles == [pub.metadata.title] + [section.title for section in pub.sections]


def test_pdf_links_are_live(pml_build):
    with pikepdf.open(pml_build / "pml.pdf") as pdf:
        uris = {str(annot.A.URI) for page in pdf.pages for annot in page.get("/Annots", []) if "/A" in annot and "/URI" in annot.A}
    assert PML_LINKS <= {uri.rstrip("/") for uri in uris}


def test_pdf_metadata(pml_build):
    with pikepdf.open(pml_build / "pml.pdf") as pdf:
        info = pdf.docinfo
        assert str(info["/Title"]) == "Progressive Multifocal Leukoencephalopathy"
        assert str(info["/Author"]) == "National Institute of Neurological Disorders and Stroke"
        assert "PML" in str(info["/Keywords"])
        assert str(info["/Subject"]).startswith("What progressive multifocal")
        assert str(info["/CreationDate"]).startswith("D:20230728")


def test_pdf_has_cover_contents_and_back_cover(pml_build):
    document = pypdfium2.PdfDocument(pml_build / "pml.pdf")
    try:
        pages = [page.get_textpage().get_text_bounded() for page in document]
    finally:
        document.close()
    assert "Progressive Multifocal" in pages[0] and "National Institute of Neurological Disorders and Stroke" in pages[0]
    assert "Contents" in pages[1]
    assert "public domain" in pages[-1] and "800-352-9424" in pages[-1] and "Revised July 2023" in pages[-1]


def _brandish(rgb) -> bool:
    r, g, b = rgb
    return b > r + 40 and b > 100


def test_cover_stripe_runs_from_band_to_foot_and_the_back_band_sits_at_the_page_foot(pml_build):
    """The cover design: foot line near the bottom, the brand stripe down the left between band and foot,
    and the back cover's brand band at the very bottom of the page, whatever the layout method."""
    document = pypdfium2.PdfDocument(pml_build / "pml.pdf")
    try:
        cover, back = document[0], document[len(document) - 1]
        width, height = cover.get_size()
        scale = 2
        image = cover.render(scale=scale).to_pil().convert("RGB")
        text = cover.get_textpage()
        foot = [text.get_charbox(i) for i in range(text.count_chars()) if text.get_charbox(i)[3] < 72 * 1.5]
        assert foot, "no cover foot text in the bottom 1.5 in"
        foot_top = max(box[3] for box in foot)
        stripe_x = int(0.1 * 72 * scale)
        assert _brandish(image.getpixel((stripe_x, int(height * scale / 2)))), "no brand stripe at mid-height"
        assert _brandish(image.getpixel((stripe_x, int((height - foot_top - 20) * scale)))), "stripe stops short of the foot"
        assert image.getpixel((stripe_x, image.height - 2)) == (255, 255, 255), "stripe runs past the foot"
        assert image.getpixel((int(width * scale / 2), int(height * scale / 2))) == (255, 255, 255)
        back_image = back.render(scale=scale).to_pil().convert("RGB")
        assert _brandish(back_image.getpixel((back_image.width // 2, back_image.height - 2))), "back band not at the page foot"
        assert back_image.getpixel((back_image.width // 2, back_image.height // 2)) == (255, 255, 255)
    finally:
        document.close()


@pytest.mark.slow
def test_outputs_are_reproducible(tmp_path, pml_build):
    result = run_cli("build", PML, "-o", tmp_path)
    assert result.code == 0, result.err
    for name in ("pml.pdf", "pml.epub"):
        assert hashlib.sha256((tmp_path / name).read_bytes()).hexdigest() == hashlib.sha256((pml_build / name).read_bytes()).hexdigest(), name


def test_epub_zip_starts_with_stored_mimetype(pml_build):
    with zipfile.ZipFile(pml_build / "pml.epub") as book:
        first = book.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert book.read("mimetype") == b"application/epub+zip"


@pytest.mark.slow
@pytest.mark.parametrize("script, suffix", [("build_pdf.py", "pdf"), ("build_epub.py", "epub")])
def test_entry_point_scripts_name_output_after_the_stem(tmp_path, script, suffix):
    result = run_script(script, PML, "-o", tmp_path)
    assert result.code == 0, result.err
    assert [p.name for p in tmp_path.iterdir()] == [f"pml.{suffix}"]


@pytest.mark.slow
def test_smart_quotes_and_dashes_in_headings_reach_contents_nav_and_bookmarks(tmp_path):
    """Python-Markdown keeps smart punctuation as placeholders while tree processors run; titles must not."""
    source = tmp_path / "q" / "q.md"
    source.parent.mkdir()
    source.write_text('---\ntitle: Quotes\nlang: en\n---\n\n## What\'s PML -- and "why"?\n\nText.\n\n## --\n\nMore.\n', encoding="utf-8")
    result = run_cli("build", source, "-o", tmp_path / "out")
    assert result.code == 0, result.err
    heading = "What\u2019s PML \u2013 and \u201cwhy\u201d?"
    with zipfile.ZipFile(tmp_path / "out" / "q.epub") as epub:
        nav = next(epub.read(name).decode() for name in epub.namelist() if name.endswith("nav.xhtml"))
    assert heading in nav and "\x02" not in nav
    with pikepdf.open(tmp_path / "out" / "q.pdf") as pdf, pdf.open_outline() as outline:
        titles = [item.title for item in outline.root] + [kid.title for item in outline.root for kid in item.children]
    assert sorted(titles) == sorted(["Quotes", heading, "\u2013"])
    document = pypdfium2.PdfDocument(tmp_path / "out" / "q.pdf")
    try:
        contents = document[1].get_textpage().get_text_range()
    finally:
        document.close()
    assert "What\u2019s PML" in contents and "\x02" not in contents


HEALTH_GLYPHS = "α-synuclein, β-interferon, 5 µg, 38.5 °C, ≥ 2 and ≤ 4, 2–3 days — not 5 → ask, Guillain–Barré, niños, Müller, façade"
SYMBOLS = set("≤≥→")  # not in Noto Sans or Serif: set in the shipped Noto Sans Math ("Brochure Symbols")


@pytest.mark.slow
def test_health_text_glyphs_are_in_the_shipped_faces_and_set_in_them(tmp_path):
    """Greek letters, µ ° – — and accented Latin in every text face, ≤ ≥ → in the symbols face, and the PDF of a text
    using them in every style (heading, body, italic, bold) embeds no font but the shipped ones."""
    from fontTools.ttLib import TTFont

    text_chars = {char for char in HEALTH_GLYPHS if not char.isspace()} - SYMBOLS
    for font_file in sorted((ROOT / "brochure" / "assets" / "styles" / "fonts").glob("*.ttf")):
        with TTFont(font_file, lazy=True) as font:
            cmap = font.getBestCmap()
        wanted = SYMBOLS if font_file.name.startswith("NotoSansMath") else text_chars
        missing = sorted(char for char in wanted if ord(char) not in cmap)
        assert not missing, f"{font_file.name} lacks {missing}"

    source = tmp_path / "glyphs" / "glyphs.md"
    source.parent.mkdir()
    source.write_text(f"---\ntitle: Glyphs\nlang: en\n---\n\n## {HEALTH_GLYPHS}\n\n{HEALTH_GLYPHS}\n\n*{HEALTH_GLYPHS}*\n\n"
                      f"**{HEALTH_GLYPHS}**\n", encoding="utf-8")
    result = run_cli("build", source, "-o", tmp_path / "out", "--format", "pdf")
    assert result.code == 0, result.err
    with pikepdf.open(tmp_path / "out" / "glyphs.pdf") as pdf:
        fonts = {str(font.get("/BaseFont")).split("+")[-1] for page in pdf.pages for font in (page.Resources.get("/Font") or {}).values()}
    assert any(name.startswith("Brochure-Symbols") for name in fonts), fonts
    assert all(name.startswith(("Brochure-Sans", "Brochure-Serif", "Brochure-Symbols")) for name in fonts), fonts
    text = normalise(pdf_text(tmp_path / "out" / "glyphs.pdf"))
    assert text.count(normalise(HEALTH_GLYPHS)) >= 3
