"""Issue 14, "every reader gets it whole": what other readers and tools than the gate's get from the editions.

Download PDF: every source word whole in pdftotext's and pdfium's text (line-end hyphens carry /ActualText), links
printable. EPUB: its CSS holds no var() and no point sizes, and MuPDF (a second engine besides epub.js, Debian's
mupdf-tools: a missing mutool fails, never skips) lays it out at phone width with the brand colour, nothing past the
right edge and no landmarks or page list shown. Conformance: the claim of a plain build holds because the gate's
pass is cached by the EPUB's bytes.
"""
from __future__ import annotations

import io
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pikepdf
import pypdfium2 as pdfium
import pytest

from brochure import upstream
from brochure.checks import gate, pdftags, validate
from brochure.editions import epub
from brochure.source.reader import read_publication
from conftest import PML, ROOT, normalise, run_cli, seed_sentences

sys.path.insert(0, str(Path(__file__).parent))
import readback  # noqa: E402

CORPUS = ROOT / "tests" / "corpus"


def _words(text: str) -> set[str]:
    """The words of a text as readback folds them, with no joining of line-end fragments."""
    return set(readback._tokens(readback._fold(text)))


def pdftotext_words(pdf: Path) -> set[str]:
    return _words(subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout)


def pdfium_words(pdf: Path) -> set[str]:
    document = pdfium.PdfDocument(pdf.read_bytes())
    return _words("\n".join(page.get_textpage().get_text_range() for page in document))


def source_words(source: Path) -> set[str]:
    return set(readback.html_words(read_publication(source).body_html))


# ---------------------------------------------------------------- download PDF: words whole


@pytest.mark.parametrize("reader", [pdftotext_words, pdfium_words], ids=["pdftotext", "pdfium"])
def test_every_source_word_of_pml_is_whole_in_the_pdf_text(pml_build, reader):
    # before upstream section 6: 6 of PML's 315 distinct words came out in two pieces ("frequ‐", "ently")
    missing = sorted(source_words(PML) - reader(pml_build / "pml.pdf"))
    assert missing == []


@pytest.mark.parametrize("engine", ["pdftotext", "pdfium"])
def test_no_half_of_a_hyphenated_word_is_read_twice(pml_build, engine):
    """Each source sentence is in the PDF text as it is in the source: the second half of a word is not read again
    after its whole text ("biological logical")."""
    pdf = pml_build / "pml.pdf"
    if engine == "pdftotext":
        text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    else:
        text = "\n".join(page.get_textpage().get_text_range() for page in pdfium.PdfDocument(pdf.read_bytes()))
    assert [s for s in seed_sentences() if normalise(s) not in normalise(text)] == []


def test_line_end_hyphens_carry_the_whole_word_as_actual_text(pml_build):
    with pikepdf.open(pml_build / "pml.pdf") as pdf:
        actual = [str(op.operands[1].ActualText) for page in pdf.pages for op in pikepdf.parse_content_stream(page)
                  if str(op.operator) == "BDC" and isinstance(op.operands[1], pikepdf.Dictionary) and "/ActualText" in op.operands[1]]
    whole = [text for text in actual if text.strip()]
    assert len(whole) == 7 and len(actual) == 2 * len(whole)  # each word: its whole text on the first half, a space on the second (the 8th, "Engage-ment", was on the back cover, now never hyphenated)
    assert all(set(_words(word)) <= source_words(PML) for word in whole)
    assert "\u2010" not in subprocess.run(["pdftotext", str(pml_build / "pml.pdf"), "-"], capture_output=True, text=True).stdout


def test_a_corpus_sheet_reads_whole(tmp_path):
    # water-safety: 11 words in two pieces before, hyphenated ones and URLs broken after a hyphen ("frequently-" /
    # "asked-questions", which poppler and pdfium join into "frequentlyasked"); the whole corpus: 81 of 6,409
    # distinct words before, 3 after (words broken with no hyphen at all, overflow-wrap: anywhere)
    source = CORPUS / "water-safety" / "water-safety.md"
    result = run_cli("build", source, "-o", tmp_path, "--format", "pdf")
    assert result.code == 0, result.err
    pdf = tmp_path / "water-safety.pdf"
    assert sorted(source_words(source) - pdftotext_words(pdf)) == []
    assert sorted(source_words(source) - pdfium_words(pdf)) == []


def test_every_link_annotation_has_the_print_flag(pml_build):
    with pikepdf.open(pml_build / "pml.pdf") as pdf:
        links = [annot for page in pdf.pages for annot in page.get("/Annots", []) if annot.get("/Subtype") == "/Link"]
        assert links
        assert all(int(annot.get("/F", 0)) & 4 for annot in links)


def _reached(pdf: pikepdf.Pdf) -> set[tuple[int | None, int]]:
    """(page index, MCID) of every marked-content sequence an element of the structure tree holds."""
    pages = {page.objgen: number for number, page in enumerate(pdf.pages)}
    reached = set()
    for element in pdftags.descendants(pdf.Root.StructTreeRoot):
        own = pages.get(element.Pg.objgen) if "/Pg" in element else None
        for kid in pdftags.struct_kids(element):
            if not isinstance(kid, pikepdf.Dictionary):
                reached.add((own, int(kid)))
            elif kid.get("/Type") == "/MCR":
                reached.add((pages.get(kid.Pg.objgen) if "/Pg" in kid else own, int(kid.MCID)))
    return reached


def test_every_marked_content_item_is_reached_from_the_root_or_an_artifact(pml_build):
    # before: the running footers of pages 2-4 (6 sequences) hung off a NonStruct the Document did not list
    with pikepdf.open(pml_build / "pml.pdf") as pdf:
        reached = _reached(pdf)
        orphans, pagination = [], []
        for number, page in enumerate(pdf.pages):
            for op in pikepdf.parse_content_stream(page):
                properties = op.operands[1] if str(op.operator) == "BDC" else None
                if isinstance(properties, pikepdf.Dictionary) and "/MCID" in properties and (number, int(properties.MCID)) not in reached:
                    orphans.append((number, int(properties.MCID)))
                if isinstance(properties, pikepdf.Dictionary) and op.operands[0] == pikepdf.Name.Artifact and properties.get("/Type") == "/Pagination":
                    pagination.append(number)
    assert orphans == []
    assert sorted(set(pagination)) == [1, 2, 3]  # the running footer of pages 2, 3 and 4


def test_the_running_footer_is_a_pagination_artifact(pml_build):
    with pikepdf.open(pml_build / "pml.pdf") as pdf:
        page = pdf.pages[2]
        instructions = pikepdf.parse_content_stream(page)
    texts = pdftags.marked_text(pml_build / "pml.pdf")
    assert not any("Page 3" in text for (number, _), text in texts.items() if number == 2)  # not tagged content
    assert any(str(op.operator) == "BDC" and op.operands[0] == pikepdf.Name.Artifact for op in instructions)


def link_annotations(pdf: pikepdf.Pdf) -> list[tuple[int, Any]]:
    return [(number, annot) for number, page in enumerate(pdf.pages) for annot in page.get("/Annots", []) if annot.get("/Subtype") == "/Link"]


def test_a_link_wrapped_over_lines_is_one_link_element_with_one_contents(pml_build):
    with pikepdf.open(pml_build / "pml.pdf") as pdf:
        parents = pikepdf.NumberTree(pdf.Root.StructTreeRoot.ParentTree)
        owners: dict[str, set[tuple[int, int]]] = {}
        for _, annot in link_annotations(pdf):
            owner = parents[int(annot.StructParent)]
            assert owner.get("/S") == "/Link"
            owners.setdefault(str(annot.Contents), set()).add(owner.objgen)
        siblings = []
        for element in [pdf.Root.StructTreeRoot, *pdftags.descendants(pdf.Root.StructTreeRoot)]:
            kids = [kid for kid in pdftags.struct_kids(element) if isinstance(kid, pikepdf.Dictionary)]
            siblings += [(a.objgen, b.objgen) for a, b in zip(kids, kids[1:], strict=False)
                         if a.get("/S") == b.get("/S") == "/Link" and upstream._link_target(a) == upstream._link_target(b)]
    assert siblings == []
    assert len(owners["NIH Clinical Research Trials and You"]) == 1  # two lines, two annotations, one element


def test_no_two_link_annotations_overlap_and_each_contents_line_has_one(pml_build):
    # before: the contents page's 5 entries carried 17 annotations (the text, the leader, the page number)
    with pikepdf.open(pml_build / "pml.pdf") as pdf:
        annotations = link_annotations(pdf)
        overlapping = [(n, str(a.Contents)) for i, (n, a) in enumerate(annotations) for m, b in annotations[:i]
                       if n == m and upstream._overlap(a.Rect, b.Rect)]
        contents_page = [a for n, a in annotations if n == 1]
    assert overlapping == []
    assert len(contents_page) == 7  # 5 entries, two of them on two lines


def test_the_contents_are_toc_and_toci_with_the_leaders_as_artifacts(pml_build):
    # before: an L of LI, and 112 dot leaders tagged as link text
    with pikepdf.open(pml_build / "pml.pdf") as pdf:
        tree = pdftags.elements(pdf)
        texts = pdftags.marked_text(pml_build / "pml.pdf")
    kinds = [element.kind for element in tree]
    assert kinds.count("TOC") == 3 and kinds.count("TOCI") == 5  # 3 sections (2 with a subsection), 5 entries
    tagged = "".join(texts.get(key, "") for element in tree for key in element.content if key[0] == 1)
    assert ". ." not in tagged and ".." not in tagged.replace(" ", "")
    assert "What is progressive multifocal leukoencephalopathy?" in tagged


def test_the_body_is_a_sect_per_section_not_a_part_per_page(pml_build):
    # before: one Part per page (3 for PML's body), sections cut where the pages end
    with pikepdf.open(pml_build / "pml.pdf") as pdf:
        tree = pdftags.elements(pdf)
    assert [e.kind for e in tree if e.kind == "Part"] == []
    sections = [e for e in tree if e.kind == "Sect" and e.children[:1] == ("H2",)]
    assert len(sections) == 3  # PML's three H2 sections, each begun by its heading
    assert all(e.children.count("H2") == 1 for e in sections)


# ---------------------------------------------------------------- EPUB: CSS any engine understands

PHONE = ("-W", "360", "-H", "640", "-S", "19.2")  # a 360 px wide phone at 120% text (16 px × 1.2)


def mupdf_lines(book: Path, tmp_path: Path) -> list[tuple[float, float, str, set[str]]]:
    """Each line MuPDF lays out at phone width: (its right edge, the page width, its text, its characters' colours)."""
    out = tmp_path / f"{book.stem}.stext"
    subprocess.run(["mutool", "draw", "-q", *PHONE, "-F", "stext", "-o", str(out), str(book)], capture_output=True, check=True)
    lines = []
    for page in ElementTree.parse(out).iter("page"):
        for line in page.iter("line"):
            chars = list(line.iter("char"))
            lines.append((float(line.get("bbox", "0 0 0 0").split()[2]), float(page.get("width", "0")),
                          "".join(c.get("c", "") for c in chars), {c.get("color", "") for c in chars}))
    return lines


def test_the_epub_css_has_literal_values_and_no_fixed_text_sizes(pml_build):
    with zipfile.ZipFile(pml_build / "pml.epub") as book:
        sheets = {name: book.read(name).decode() for name in book.namelist() if name.endswith(".css")}
        documents = {name: book.read(name).decode() for name in book.namelist() if name.endswith(".xhtml")}
    assert list(sheets) == ["EPUB/styles/book.css"]
    css = re.sub(r"/\*.*?\*/", "", sheets["EPUB/styles/book.css"], flags=re.S)
    assert "var(" not in css and "--" not in css
    assert not re.findall(r"font-size:\s*[\d.]+(pt|px)", css)
    assert "color: #20558a" in css  # the brand colour (brochure.yaml) written out
    assert all('href="styles/book.css"' in text for text in documents.values())  # nav.xhtml too


def test_mupdf_shows_the_epub_at_phone_width_whole_and_in_the_brand_colour(pml_build, tmp_path):
    # before: MuPDF drew "Leukoencephalopa" past the right edge, links in its own #0066cc, no brand colour at all,
    # and the landmarks and page list as pages of text
    lines = mupdf_lines(pml_build / "pml.epub", tmp_path)
    assert [text for right, width, text, _ in lines if right > width + 0.5] == []
    colours = set().union(*(colours for *_, colours in lines))
    assert "#20558a" in colours and "#0066cc" not in colours
    texts = {text.strip() for _, _, text, _ in lines}
    assert "Contents" in texts
    assert not texts & {"Landmarks", "Pages", "Start of content"}


@pytest.mark.parametrize("source", [PML, CORPUS / "md-lists" / "md-lists.md", CORPUS / "md-tables" / "md-tables.md",
                                    CORPUS / "poison-control-es" / "poison-control-es.md"], ids=lambda path: path.stem)
def test_calibre_converts_the_epub_and_the_kindle_epub_to_azw3_with_no_css_warning(source, tmp_path):
    """calibre (Debian's calibre: a missing ebook-convert fails, never skips) flattens the CSS for AZW3 and names each
    rule or property it drops; before the tokens were resolved it printed 169 such lines for PML."""
    result = run_cli("build", source, "-o", tmp_path, "--format", "epub,kindle")
    assert result.code == 0, result.err
    for book in (f"{source.stem}.epub", f"{source.stem}.kindle.epub"):
        done = subprocess.run(["ebook-convert", str(tmp_path / book), str(tmp_path / f"{book}.azw3")], capture_output=True,
                              text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        log = done.stdout + done.stderr
        assert "Flattening CSS" in log  # the step that reports what it drops ran
        dropped = [line for line in log.splitlines() if re.search(r"(?i)css|invalid selector|unknown property|ignoring", line)
                   and "Flattening CSS" not in line]
        assert dropped == [], book
        assert (tmp_path / f"{book}.azw3").stat().st_size > 10_000


def test_the_readmes_mupdf_picture_is_a_render_of_the_current_epub(pml_build, golden):
    """docs/epub-mupdf.png is what scripts/previews.py makes from today's EPUB in MuPDF (`pytest --update-golden`)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("previews", ROOT / "scripts" / "previews.py")
    previews = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(previews)
    assert previews.PHONE == PHONE
    for name, png in previews.mupdf_preview(pml_build / "pml.epub").items():
        golden.check_png(ROOT / "docs" / name, png)


def test_the_contact_box_is_sized_relative_to_the_readers_text(pml_build):
    # it was 10pt whatever the reader's text size; 10pt of an 11pt body is 0.9091em
    css = zipfile.ZipFile(pml_build / "pml.epub").read("EPUB/styles/book.css").decode()
    assert re.search(r"^\.more-info \{[^}]*font-size: 0\.9091em;", css, re.M)


# ---------------------------------------------------------------- conformance claims that hold


def test_the_opf_lists_page_navigation_but_not_the_deprecated_print_page_numbers(pml_build):
    opf = zipfile.ZipFile(pml_build / "pml.epub").read("EPUB/content.opf").decode()
    assert '<meta property="schema:accessibilityFeature">pageNavigation</meta>' in opf
    assert "printPageNumbers" not in opf


def test_a_plain_build_claims_conformance_once_the_gate_passed_on_the_same_epub(tmp_path, monkeypatch):
    """The gate is run with its validators counted (and made to pass): a second --check runs none of them, and a
    plain build of the same inputs makes the same claimed EPUB; a changed source makes no claim."""
    monkeypatch.setenv("BROCHURE_CACHE_DIR", str(tmp_path / "cache"))  # the CLI runs below inherit it
    calls: list[str] = []

    def passing(name: str):
        def check(path: Path) -> list:
            calls.append(name)
            return []
        return check

    for name in ("epubcheck", "nu_html_epub", "ace", "pdf_ua"):
        monkeypatch.setattr(validate, name, passing(name))
    source = tmp_path / "pml.md"
    source.write_text(PML.read_text(encoding="utf-8"), encoding="utf-8")
    plain_before = run_cli("build", source, "-o", tmp_path / "plain-before")
    assert plain_before.code == 0, plain_before.err
    assert not epub.conformance_claimed((tmp_path / "plain-before" / "pml.epub").read_bytes())

    gate.build_checked(source, tmp_path / "checked", ("pdf", "epub"))
    assert sorted(calls) == ["ace", "epubcheck", "nu_html_epub", "pdf_ua"]
    checked = (tmp_path / "checked" / "pml.epub").read_bytes()
    assert epub.conformance_claimed(checked)

    calls.clear()
    gate.build_checked(source, tmp_path / "again", ("pdf", "epub"))
    assert calls == []  # the same inputs: nothing validated again
    assert (tmp_path / "again" / "pml.epub").read_bytes() == checked

    plain = run_cli("build", source, "-o", tmp_path / "plain")
    assert plain.code == 0, plain.err
    assert (tmp_path / "plain" / "pml.epub").read_bytes() == checked

    source.write_text(source.read_text(encoding="utf-8").replace("PML", "P.M.L.", 1), encoding="utf-8")
    changed = run_cli("build", source, "-o", tmp_path / "changed")
    assert changed.code == 0, changed.err
    assert not epub.conformance_claimed((tmp_path / "changed" / "pml.epub").read_bytes())


# ---------------------------------------------------------------- EPUB page markers where the print pages start


def epub_text_with_markers(book: Path) -> str:
    """The text of the EPUB's spine documents, each page-break marker as ' @@N@@ '."""
    import lxml.etree

    blocks = ("p", "li", "h1", "h2", "h3", "h4", "td", "th", "dt", "dd", "div", "section", "tr", "caption")

    def text(element) -> str:
        if not isinstance(element.tag, str):
            return element.tail or ""
        local = element.tag.rsplit("}", 1)[-1]
        inner = f" @@{element.get('aria-label')}@@ " if element.get("role") == "doc-pagebreak" else element.text or ""
        inner += "".join(text(child) for child in element)
        return (f" {inner} " if local in blocks else inner) + (element.tail or "")

    with zipfile.ZipFile(book) as archive:
        return "".join(text(lxml.etree.fromstring(archive.read(name))) for name in ("EPUB/cover.xhtml", "EPUB/body.xhtml", "EPUB/back.xhtml"))


def misplaced_markers(outdir: Path, stem: str, print_only: tuple[str, ...] = ()) -> list[str]:
    """Print pages (from the third: the second is the contents, which the EPUB has as its nav) whose EPUB marker is
    not followed by the print page's first two words; pages that begin with a print_only title (the print edition's
    extra pages, which the EPUB has no text of) are left out."""
    import lxml.etree

    extra = [readback._tokens(readback._fold(title))[:2] for title in print_only]

    marked = epub_text_with_markers(outdir / f"{stem}.epub")
    body = lxml.etree.fromstring(zipfile.ZipFile(outdir / f"{stem}.epub").read("EPUB/body.xhtml"))
    headers = [readback._tokens(readback._fold("".join(row.itertext()))) for row in body.iter("{http://www.w3.org/1999/xhtml}thead")]
    data = (outdir / f"{stem}-print.pdf").read_bytes()
    with pikepdf.open(io.BytesIO(data)) as pdf:  # the page as trimmed: no printer's slug outside it
        trims = [[float(v) for v in page.get("/TrimBox", page.MediaBox)] for page in pdf.pages]
    document = pdfium.PdfDocument(data)
    wrong = []
    for number, page in enumerate(document, start=1):
        left, bottom, right, top = trims[number - 1]
        printed = readback._tokens(readback._fold(page.get_textpage().get_text_bounded(left, bottom, right, top)))
        repeated = next((len(header) for header in headers if header and printed[:len(header)] == header), 0)
        printed = printed[repeated:repeated + 2]  # a table's header row repeated atop the page is not where it starts
        if number < 3 or not printed or printed in extra:
            continue
        after = marked.split(f"@@{number}@@", 1)
        following = readback._tokens(readback._fold(after[1].replace("@@", " ")))[:2] if len(after) == 2 else []
        # the print edition's own hyphens are not joined: its second word may be the first half ("potas‐")
        if len(following) != len(printed) or following[:1] != printed[:1] or not following[-1].startswith(printed[-1]):
            wrong.append(f"page {number}: printed {printed}, EPUB marker before {following}")
    return wrong


@pytest.mark.parametrize("source", [PML, CORPUS / "water-safety" / "water-safety.md", CORPUS / "blood-pressure-medicines" / "blood-pressure-medicines.md",
                                    CORPUS / "diabetes-glossary" / "diabetes-glossary.md"], ids=lambda path: path.stem)
def test_each_epub_page_marker_sits_before_the_first_word_of_its_print_page(source, tmp_path):
    # PML before: the marker of print page 3 sat one paragraph late ("immune system function" … counted as page 2)
    result = run_cli("build", source, "-o", tmp_path, "--format", "epub,print")
    assert result.code == 0, result.err
    strings = read_publication(source).strings
    assert misplaced_markers(tmp_path, source.stem, (strings["notes"], strings["order_more_title"])) == []
