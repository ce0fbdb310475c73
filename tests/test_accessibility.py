"""Accessible editions: the validation gate (`brochure build --check`) and the download PDF's structure tree."""
from __future__ import annotations

import dataclasses
import io
import itertools
import logging
import random
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pikepdf
import pytest
import weasyprint
from lxml import etree

from brochure import upstream
from brochure.checks import gate as check
from brochure.checks import pdftags, readability, validate
from brochure.editions import epub
from brochure.model import Brand
from brochure.source.reader import read_publication
from conftest import PML, Run, run_cli, shipped_fonts

A11Y = Path(__file__).parent / "fixtures" / "a11y"
TABLES = A11Y / "tables.md"
XHTML = {"x": "http://www.w3.org/1999/xhtml"}


def reads_the_gate(test):
    """Marks a test of what `brochure build --check` made (the `checked` fixture): slow, and it needs a JVM (EPUBCheck,
    Nu, veraPDF) and Chromium (Ace)."""
    for mark in (pytest.mark.slow, pytest.mark.java, pytest.mark.browser):
        test = mark(test)
    return test


@pytest.fixture(scope="session")
def checked(tmp_path_factory) -> dict[str, tuple[Run, Path]]:
    """`brochure build --check` on PML, on a fixture with a table, a figure and Spanish, on a skipped heading,
    and (PDF only) on a decorative image.

    The four run side by side (each already runs its validators in parallel): Java and Chromium start slowly. The
    veraPDF helper they all run is compiled first, once, into the session's cache, rather than by each of them.
    """
    validate._pdfua_classes()
    jobs = {"pml": (PML,), "tables": (TABLES,), "skipped": (A11Y / "skipped-heading.md", "--format", "pdf"),
            "decorative": (A11Y / "decorative.md", "--format", "pdf")}
    outdirs = {name: tmp_path_factory.mktemp(f"{name}-checked") / "out" for name in jobs}
    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        runs = {name: pool.submit(run_cli, "build", args[0], "-o", outdirs[name], "--check", *args[1:]) for name, args in jobs.items()}
        return {name: (run.result(), outdirs[name]) for name, run in runs.items()}


@pytest.fixture(scope="session")
def pml_checked(checked) -> Path:
    """The PML publication built by `brochure build --check`: every validator ran and found nothing."""
    result, outdir = checked["pml"]
    assert result.code == 0, result.err
    assert "check: no findings from EPUBCheck, Nu HTML Checker, Ace, PDF tags, veraPDF PDF/UA-1, author, contrast" in result.out
    assert result.out.strip().splitlines()[-1].startswith("readability: grade ")
    return outdir


@pytest.fixture(scope="session")
def tables_checked(checked) -> Path:
    """A fixture publication with a table, a figure, a link and a passage in Spanish, built with --check."""
    result, outdir = checked["tables"]
    assert result.code == 0, result.err
    return outdir


@pytest.fixture(scope="session")
def pml_tree(pml_checked) -> list[pdftags.Element]:
    with pikepdf.open(pml_checked / "pml.pdf") as pdf:
        return pdftags.elements(pdf)


def tagged_pdf(tmp_path: Path, body: str, name: str = "x.pdf") -> Path:
    """A small PDF/UA-1 PDF made by WeasyPrint from an HTML body, in the shipped fonts."""
    out = tmp_path / name
    html = f'<html lang="en"><head><title>Test</title></head><body>{body}</body></html>'
    weasyprint.HTML(string=html, base_url=str(A11Y) + "/").write_pdf(out, pdf_variant="pdf/ua-1", **shipped_fonts())
    return out


def messages(findings) -> list[str]:
    return [f.message for f in findings]


# ---------------------------------------------------------------- the gate on the PML publication


@reads_the_gate
def test_pml_passes_the_gate_and_claims_conformance(pml_checked):
    data = (pml_checked / "pml.epub").read_bytes()
    assert epub.conformance_claimed(data)
    opf = zipfile.ZipFile(pml_checked / "pml.epub").read("EPUB/content.opf").decode()
    assert '<meta property="dcterms:conformsTo">EPUB Accessibility 1.1 - WCAG 2.1 Level AA</meta>' in opf
    assert '<meta property="a11y:certifiedBy">National Institute of Neurological Disorders and Stroke</meta>' in opf


def test_a_plain_build_makes_no_conformance_claim_before_the_gate_passed(tmp_path):
    # with a cache of its own: once the gate passed on the same inputs, a plain build claims too (test_readers.py)
    result = run_cli("build", PML, "-o", tmp_path / "out", "--cache-dir", tmp_path / "cache")
    assert result.code == 0, result.err
    assert not epub.conformance_claimed((tmp_path / "out" / "pml.epub").read_bytes())


@reads_the_gate
def test_gate_failure_writes_nothing_and_names_each_finding(checked):
    result, outdir = checked["skipped"]
    assert result.code == 1
    assert "2 validation finding(s)" in result.err
    assert "PDF/UA-1 7.4.2-1" in result.err
    assert "pdf-tags error: heading 4 is H4 after H2: a level is skipped" in result.err
    assert "Traceback" not in result.err
    assert not outdir.exists()


def test_missing_alt_text_fails_the_checked_build_with_file_and_line(tmp_path):
    result = run_cli("build", Path(__file__).parent / "fixtures" / "bad" / "missing-alt.md", "-o", tmp_path, "--check")
    assert result.code == 2
    assert result.err.strip() == "error: missing-alt.md:6: image 'tiny.png' has no alt text (add it, or mark the image {.decorative})"


def test_check_is_refused_for_a_folder(tmp_path):
    result = run_cli("build", A11Y, "-o", tmp_path, "--check")
    assert result.code == 2 and "one publication" in result.err


@reads_the_gate
def test_epub_package_and_navigation(pml_checked):
    with zipfile.ZipFile(pml_checked / "pml.epub") as book:
        opf = etree.fromstring(book.read("EPUB/content.opf"))
        nav = etree.fromstring(book.read("EPUB/nav.xhtml"))
        cover = etree.fromstring(book.read("EPUB/cover.xhtml"))
    assert opf.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    creators = opf.findall(".//{http://purl.org/dc/elements/1.1/}creator")
    assert [c.text for c in creators] == ["National Institute of Neurological Disorders and Stroke"]
    epub_type = "{http://www.idpf.org/2007/ops}type"
    navs = {n.get(epub_type): n for n in nav.iter("{http://www.w3.org/1999/xhtml}nav")}
    assert navs["toc"].get("role") == "doc-toc" and navs["page-list"].get("role") == "doc-pagelist"
    landmarks = [a.get(epub_type) for a in navs["landmarks"].iter("{http://www.w3.org/1999/xhtml}a")]
    assert landmarks == ["cover", "toc", "bodymatter", "backmatter"]
    assert all(n.get("aria-labelledby") for n in navs.values())
    assert cover.find(".//x:section", XHTML).get(epub_type) == "cover"
    assert "{http://www.idpf.org/2007/ops}prefix" not in cover.attrib  # Nu rejects ebooklib's epub:prefix


@reads_the_gate
def test_a_passage_in_another_language_keeps_its_lang(tables_checked):
    body = etree.fromstring(zipfile.ZipFile(tables_checked / "tables.epub").read("EPUB/body.xhtml"))
    spanish = body.xpath("//x:p[@lang='es']", namespaces=XHTML)
    assert [p.text for p in spanish] == ["Lávese las manos a menudo con agua y jabón."]


@pytest.mark.slow
def test_decorative_image_is_presentation_in_the_epub(tmp_path):
    result = run_cli("build", A11Y / "decorative.md", "-o", tmp_path, "--format", "epub")
    assert result.code == 0, result.err
    body = etree.fromstring(zipfile.ZipFile(tmp_path / "decorative.epub").read("EPUB/body.xhtml"))
    (image,) = body.xpath("//x:img", namespaces=XHTML)
    assert (image.get("alt"), image.get("role")) == ("", "presentation")


# ---------------------------------------------------------------- the download PDF's structure tree


@reads_the_gate
def test_pdf_catalog_language_title_bar_and_agency_author(pml_checked):
    with pikepdf.open(pml_checked / "pml.pdf") as pdf:
        assert str(pdf.Root.Lang) == "en"
        assert pdf.Root.ViewerPreferences.DisplayDocTitle is True
        assert str(pdf.docinfo.Title) == "Progressive Multifocal Leukoencephalopathy"
        assert str(pdf.docinfo.Author) == "National Institute of Neurological Disorders and Stroke"


@reads_the_gate
def test_pdf_headings_follow_the_source_without_skipping(pml_tree):
    pub = read_publication(PML)
    levels = [int(e.kind[1]) for e in pml_tree if e.kind in ("H1", "H2", "H3", "H4", "H5", "H6")]
    assert levels[:2] == [1, 2]  # the title, then the contents page
    assert levels[2:2 + len(pub.sections)] == [s.level for s in pub.sections]
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))


@reads_the_gate
def test_pdf_lists_are_l_of_li(pml_tree):
    # the contents are TOC of TOCI (issue 14; test_readers.py), every other list L of LI with Lbl and LBody
    outline = read_publication(PML).outline
    tocs = list(pdftags.iter_kinds(pml_tree, "TOC"))
    nested = sum(1 for _, subsections in outline if subsections)
    assert len(tocs) == 1 + nested and tocs[0].children.count("TOCI") == len(outline)
    entries = sum(1 + len(subsections) for _, subsections in outline)
    assert len(list(pdftags.iter_kinds(pml_tree, "TOCI"))) == entries
    lists = list(pdftags.iter_kinds(pml_tree, "L"))
    assert sum(len(lst.children) for lst in lists) == 3  # the symptom list (one L a page where it crosses one)
    assert all(set(lst.children) == {"LI"} for lst in lists)
    items = list(pdftags.iter_kinds(pml_tree, "LI"))
    assert len(items) == 3 and all("LBody" in li.children for li in items)  # 3 symptoms


@reads_the_gate
def test_pdf_links_have_alt_text_and_link_elements(pml_checked, pml_tree):
    with pikepdf.open(pml_checked / "pml.pdf") as pdf:
        annotations = [a for page in pdf.pages for a in page.get("/Annots", []) if a.Subtype == "/Link"]
        uris = {str(a.A.URI) for a in annotations if "/URI" in a.get("/A", {})}
    assert annotations and all(str(a.Contents).strip() for a in annotations)
    assert {"https://www.nih.gov/health-information/nih-clinical-research-trials-you", "https://clinicaltrials.gov",
            "https://catalog.ninds.nih.gov"} <= uris
    links = list(pdftags.iter_kinds(pml_tree, "Link"))
    assert sum(link.objects for link in links) == len(annotations)


@reads_the_gate
def test_pdf_table_headers_are_th_and_figures_have_alt(tables_checked):
    with pikepdf.open(tables_checked / "tables.pdf") as pdf:
        tree = pdftags.elements(pdf)
    rows = list(pdftags.iter_kinds(tree, "TR"))
    assert [row.children for row in rows] == [("TH", "TH")] + [("TD", "TD")] * 3
    figures = list(pdftags.iter_kinds(tree, "Figure"))
    assert [f.alt for f in figures] == ["Bar chart: hand washing went up each year from 2021 to 2023"]


@reads_the_gate
def test_pdf_reading_order_is_the_source_order(pml_checked):
    pub = read_publication(PML)
    blocks = [text for _, text in readability.text_blocks(pub.body_html)]
    pdf = pml_checked / "pml.pdf"
    assert len(blocks) > 20
    assert pdftags.structure_findings(pdf, blocks) == []
    swapped = blocks[:]
    swapped[3], swapped[10] = swapped[10], swapped[3]
    # block 10 now comes before blocks 4-9, so block 4 is the first one found out of order
    assert messages(pdftags.structure_findings(pdf, swapped)) == [f"reading order: {blocks[4][:60]!r} is out of source order"]
    assert "missing from the structure tree" in messages(pdftags.structure_findings(pdf, blocks + ["Not in the PDF."]))[0]


@reads_the_gate
def test_tagged_text_follows_the_structure_tree(pml_checked):
    text = pdftags.tagged_text(pml_checked / "pml.pdf")
    first, last = "Whatisprogressivemultifocalleukoencephalopathy?Progressive", "Thosewhosurvivethedisease"
    assert text.index(first) < text.index(last)


# ---------------------------------------------------------------- brochure.upstream: what WeasyPrint leaves out


@reads_the_gate
def test_decorative_image_is_an_artifact_and_passes_pdf_ua(checked):
    result, outdir = checked["decorative"]
    assert result.code == 0, result.err
    assert "alt description" not in result.err and "error" not in result.err
    assert "check: no findings from PDF tags, veraPDF PDF/UA-1, author, contrast" in result.out
    with pikepdf.open(outdir / "decorative.pdf") as document:
        assert "Figure" not in {e.kind for e in pdftags.elements(document)}
        page = document.pages[1]
        images = {str(name) for name, xobject in page.Resources.XObject.items() if xobject.Subtype == "/Image"}
        marked, drawn_in = [], []
        for operands, operator in pikepdf.parse_content_stream(page):
            if str(operator) in ("BDC", "BMC"):
                marked.append(str(operands[0]))
            elif str(operator) == "EMC":
                marked.pop()
            elif str(operator) == "Do" and str(operands[0]) in images:
                drawn_in.append(marked[-1])
        assert drawn_in == ["/Artifact"]
        slots = pikepdf.NumberTree(document.Root.StructTreeRoot.ParentTree)[int(page.StructParents)]
        assert None in list(slots)  # the image's MCID no longer points at an element
        assert all(slot is None or slot.S != "/Figure" for slot in slots)


def test_only_images_the_layout_calls_decorative_become_artifacts(tmp_path):
    raw = tagged_pdf(tmp_path, '<h1>A</h1><img src="rule.png" alt="" role="presentation">').read_bytes()
    with pikepdf.open(io.BytesIO(raw)) as document:
        (figure,) = (e for e in _struct(document.Root.StructTreeRoot.K) if e.S == "/Figure")
        place = tuple(float(v) for v in figure.A.BBox)

    def findings(decorative) -> list[str]:
        out = tmp_path / "fixed.pdf"
        out.write_bytes(upstream.fix_structure(raw, upstream.Layout(decorative=decorative, passages=())))
        return messages(pdftags.structure_findings(out))

    assert findings(()) == ["figure 1 has no alternate text (/Alt)"]  # no guessing from the missing /Alt
    assert findings(((0, (0.0, 0.0, 1.0, 1.0)),)) == ["figure 1 has no alternate text (/Alt)"]  # another place
    assert findings(((0, place),)) == []


def test_weasyprint_alt_error_is_silenced_only_for_decorative_images():
    quiet = upstream.DecorativeAltFilter({"rule.png"})
    record = logging.LogRecord("weasyprint", logging.ERROR, "", 0, 'Image "%s" has no required alt description', ("rule.png",), None)
    other = logging.LogRecord("weasyprint", logging.ERROR, "", 0, 'Image "%s" has no required alt description', ("chart.png",), None)
    assert not quiet.filter(record) and quiet.filter(other)


@reads_the_gate
def test_a_passage_in_another_language_has_lang_in_the_pdf(tables_checked):
    with pikepdf.open(tables_checked / "tables.pdf") as document:
        tagged = [(str(e.S), str(e.Lang)) for e in _struct(document.Root.StructTreeRoot.K) if "/Lang" in e]
        spanish = next(e for e in _struct(document.Root.StructTreeRoot.K) if "/Lang" in e)
        texts = pdftags.marked_text(tables_checked / "tables.pdf")
        page = document.pages.index(spanish.Pg)
        words = "".join(texts[(page, int(k))] for span in spanish.K for k in span.K)
    assert tagged == [("/P", "es")]
    assert words.strip() == "Lávese las manos a menudo con agua y jabón."


def test_passages_broken_over_lines_and_pages_keep_their_lang(caplog):
    spanish, french = "Lávese las manos a menudo con agua y jabón. " * 12, "Lavez-vous les mains avec du savon, " * 5
    html = f"""<html lang="en"><head><title>T</title><style>@page {{ size: 300px; margin: 20px }}</style></head><body>
    <h1>A</h1><div style="height: 170px"></div><p lang="es">{spanish}</p><p>Say <span lang="fr">{french}</span> too.</p>"""
    document = weasyprint.HTML(string=html).render(pdf_tags=True, **shipped_fonts())
    layout = upstream.layout_facts(document, "en")
    fixed = upstream.fix_structure(document.write_pdf(pdf_variant="pdf/ua-1", pdf_tags=True), layout)
    with pikepdf.open(io.BytesIO(fixed)) as out:
        pages = {page.objgen: number for number, page in enumerate(out.pages)}
        tagged = [(str(e.S), str(e.Lang), pages[e.Pg.objgen]) for e in _struct(out.Root.StructTreeRoot.K) if "/Lang" in e]
    assert [t for t in tagged if t[1] == "es"] == [("/P", "es", 1), ("/P", "es", 2)]  # the paragraph crosses a page
    assert len([t for t in tagged if t == ("/Span", "fr", t[2])]) > 2  # the span crosses lines (and a page)
    assert len(tagged) == len(layout.passages) and "no structure element" not in caplog.text
    upstream.fix_structure(fixed, upstream.Layout(decorative=(), passages=(("de", "Nicht im PDF."),)))
    assert "no structure element holds the passage in de 'Nicht im PDF.'" in caplog.text


@reads_the_gate
def test_link_contents_are_the_link_text(pml_checked, tables_checked):
    with pikepdf.open(pml_checked / "pml.pdf") as document:
        annotations = [a for page in document.pages for a in page.get("/Annots", []) if a.Subtype == "/Link"]
        by_uri = {str(a.A.URI): str(a.Contents) for a in annotations if "/URI" in a.get("/A", {})}
        toc = {str(a.Contents) for a in annotations if "/Dest" in a}
    assert by_uri["https://catalog.ninds.nih.gov"] == "NINDS Publication Catalog"
    # one link broken over two lines, hyphenated: both annotations carry the whole text
    assert by_uri["https://www.nih.gov/health-information/nih-clinical-research-trials-you"] == "NIH Clinical Research Trials and You"
    assert by_uri["https://clinicaltrials.gov"] == "Clinicaltrials.gov"
    assert toc == {s.title for s in read_publication(PML).sections if s.level in (2, 3)}  # sections and their subsections
    with pikepdf.open(tables_checked / "tables.pdf") as document:
        contents = {str(a.A.URI): str(a.Contents) for a in document.pages[1].Annots if "/URI" in a.get("/A", {})}
    assert contents["https://www.example.gov"] == "the agency\u2019s site"


# ---------------------------------------------------------------- each structure check can fail


def test_structure_checks_catch_an_untagged_pdf(tmp_path):
    out = tmp_path / "untagged.pdf"
    weasyprint.HTML(string="<html><body><p>Hi</p></body></html>").write_pdf(out, **shipped_fonts())
    assert set(messages(pdftags.structure_findings(out))) >= {
        "no document language (/Lang)", "not marked as a tagged PDF (/MarkInfo /Marked)", "no structure tree"}


def test_structure_checks_catch_headings_tables_and_figures(tmp_path):
    pdf = tagged_pdf(tmp_path, '<h1>A</h1><h3>Skipped</h3><table><tr><td>1</td><td>2</td></tr></table><img src="chart.png" alt="">')
    assert messages(pdftags.structure_findings(pdf)) == [
        "heading 2 is H3 after H1: a level is skipped", "a table has no header cells (TH)", "figure 1 has no alternate text (/Alt)"]


def test_structure_checks_catch_links_without_alt_text_and_a_missing_title_bar(tmp_path):
    pdf = tagged_pdf(tmp_path, '<h1>A</h1><p><a href="https://example.gov">Example</a></p>')
    assert pdftags.structure_findings(pdf) == []
    with pikepdf.open(pdf, allow_overwriting_input=True) as document:
        for annot in document.pages[0].Annots:
            del annot["/Contents"]
        del document.Root.ViewerPreferences["/DisplayDocTitle"]
        document.save(pdf)
    assert messages(pdftags.structure_findings(pdf)) == [
        "the title bar shows the file name, not the title (DisplayDocTitle)", "a link has no alternate text (/Contents)"]


def test_structure_checks_catch_a_list_that_is_not_li(tmp_path):
    pdf = tagged_pdf(tmp_path, "<h1>A</h1><ul><li>One</li><li>Two</li></ul>")
    with pikepdf.open(pdf, allow_overwriting_input=True) as document:
        lst = next(e for e in _struct(document.Root.StructTreeRoot.K) if e.get("/S") == "/L")
        next(iter(lst.K)).S = pikepdf.Name("/P")
        document.save(pdf)
    assert messages(pdftags.structure_findings(pdf)) == ["L holds P"]


def _struct(node):
    """Every structure element dictionary under node."""
    kids = list(node) if isinstance(node, pikepdf.Array) else [node]
    for kid in kids:
        if isinstance(kid, pikepdf.Dictionary) and "/S" in kid:
            yield kid
            if "/K" in kid:
                yield from _struct(kid.K)


# ---------------------------------------------------------------- contrast of the design tokens


def test_every_text_colour_of_the_design_tokens_reaches_wcag_aa():
    pub = read_publication(PML)
    tokens = check.design_tokens(pub)
    assert {"ink", "muted", "paper", "tint", "brand"} <= tokens.keys()
    assert check.contrast_findings(pub) == []


def test_a_pale_brand_colour_fails_contrast():
    pub = dataclasses.replace(read_publication(PML), brand=Brand(colour_rgb="#6fa0d0"))
    findings = check.contrast_findings(pub)
    assert {f.location for f in findings} == {"headings, subtitle and links", "callout links", "cover band"}
    assert all(f.tool == "contrast" and "below 4.5:1" in f.message for f in findings)


@reads_the_gate
def test_shuffled_blocks_are_deterministic_failures(pml_checked):
    # Any reordering of distinct blocks is caught, not only the one above.
    pub = read_publication(PML)
    blocks = [text for _, text in readability.text_blocks(pub.body_html)]
    shuffled = blocks[:]
    random.Random(4).shuffle(shuffled)
    assert pdftags.structure_findings(pml_checked / "pml.pdf", shuffled)


def test_the_reader_lists_passages_in_another_language(tmp_path):
    """What decides whether the download PDF needs its /Lang pass: lang attributes from Markdown or typed HTML."""
    assert read_publication(TABLES).other_languages == {"es"}
    assert read_publication(PML).other_languages == frozenset()
    source = tmp_path / "mixed" / "mixed.md"
    source.parent.mkdir()
    source.write_text('---\ntitle: T\nlang: en\n---\n\nHello <span lang="fr">bonjour</span>.\n\nNo.\n{: lang=en }\n', encoding="utf-8")
    assert read_publication(source).other_languages == {"fr"}
