"""The print edition of the PML sheet: boxes, page count, PDF/X, booklet order, bleed, job ticket, preflight."""
from __future__ import annotations

import hashlib
import json

import pikepdf
import pypdfium2
import pytest

from conftest import PML, run_cli, run_script

TRIM_PT = (396.0, 612.0)  # 5.5 x 8.5 in
BLEED_PT = 9.0


@pytest.fixture(scope="module")
def print_build(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("print")
    result = run_script("build_pdf.py", PML, "-o", outdir, "--edition", "print")
    assert result.code == 0, result.err
    return outdir


def test_print_build_writes_pdf_booklet_and_ticket(print_build):
    assert sorted(p.name for p in print_build.iterdir()) == ["pml-booklet.pdf", "pml-print.json", "pml-print.pdf"]


def test_every_page_has_consistent_trim_and_bleed_boxes(print_build):
    with pikepdf.open(print_build / "pml-print.pdf") as pdf:
        assert len(pdf.pages) % 4 == 0
        for page in pdf.pages:
            trim = [float(v) for v in page.obj.TrimBox]
            bleed = [float(v) for v in page.obj.BleedBox]
            media = [float(v) for v in page.obj.MediaBox]
            assert (round(trim[2] - trim[0], 2), round(trim[3] - trim[1], 2)) == TRIM_PT
            assert [round(b - t, 2) for b, t in zip(bleed, trim)] == [-BLEED_PT, -BLEED_PT, BLEED_PT, BLEED_PT]
            assert media[0] <= bleed[0] and media[1] <= bleed[1] and media[2] >= bleed[2] and media[3] >= bleed[3]
            assert media[2] - media[0] > bleed[2] - bleed[0], "crop marks sit outside the bleed"


def test_print_pdf_is_pdfx4_with_a_cmyk_output_intent(print_build):
    with pikepdf.open(print_build / "pml-print.pdf") as pdf:
        intent = pdf.Root.OutputIntents[0]
        assert str(intent.S) == "/GTS_PDFX"
        assert int(intent.DestOutputProfile.N) == 4
        assert b"PDF/X-4" in pdf.Root.Metadata.read_bytes()


def test_back_cover_is_last_and_padding_blank_pages_come_before_it(print_build):
    document = pypdfium2.PdfDocument(print_build / "pml-print.pdf")
    texts = [page.get_textpage().get_text_bounded().strip() for page in document]
    document.close()
    assert "public domain" in texts[-1]
    assert "Progressive Multifocal" in texts[0]
    blanks = [i for i, text in enumerate(texts) if not text]
    assert blanks and blanks == list(range(blanks[0], len(texts) - 1))


def test_cover_colour_reaches_the_bleed_and_outside_the_marks_is_white(print_build):
    document = pypdfium2.PdfDocument(print_build / "pml-print.pdf")
    page = document[0]
    scale = 2
    image = page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
    width, height = page.get_size()
    with pikepdf.open(print_build / "pml-print.pdf") as pdf:
        bleed = [float(v) for v in pdf.pages[0].obj.BleedBox]
        media = [float(v) for v in pdf.pages[0].obj.MediaBox]
    document.close()
    # a point inside the bleed (between BleedBox and TrimBox), on the left edge, mid-height
    x = (bleed[0] - media[0] + BLEED_PT / 2) * scale
    y = height * scale / 2
    r, g, b = image.getpixel((int(x), int(y)))
    assert b > r + 40, f"bleed area is not the brand colour: {(r, g, b)}"
    # the very corner of the media, outside the bleed and away from the marks: white
    assert image.getpixel((1, 1)) == (255, 255, 255)


def test_booklet_is_imposed_in_saddle_stitch_order(print_build):
    with pikepdf.open(print_build / "pml-print.pdf") as pdf:
        count = len(pdf.pages)
    document = pypdfium2.PdfDocument(print_build / "pml-booklet.pdf")
    assert len(document) == count // 2
    sides = []
    for page in document:
        width, height = page.get_size()
        assert (round(width), round(height)) == (792, 612)
        text = page.get_textpage()
        left = text.get_text_bounded(0, 0, width / 2, height)
        right = text.get_text_bounded(width / 2, 0, width, height)
        sides.append((left, right))
    document.close()
    # the outer sheet's front: the back cover on the left, the front cover on the right
    assert "public domain" in sides[0][0] and "Progressive Multifocal" in sides[0][1]
    # page numbers printed in the running footers land on the expected halves
    from brochure.press import saddle_stitch_order

    for (left, right), (left_no, right_no) in zip(sides, saddle_stitch_order(count)):
        for text, number in ((left, left_no), (right, right_no)):
            if f"Page {number}" in text or not text.strip():
                continue
            assert number in (1, count), f"page {number} not found on its half: {text[:80]!r}"


def test_job_ticket_matches_the_pdf(print_build):
    ticket = json.loads((print_build / "pml-print.json").read_text(encoding="utf-8"))
    data = (print_build / "pml-print.pdf").read_bytes()
    with pikepdf.open(print_build / "pml-print.pdf") as pdf:
        pages = len(pdf.pages)
    assert ticket["sha256"] == hashlib.sha256(data).hexdigest()
    assert ticket["pages"] == pages
    assert ticket["trim"]["pt"] == list(TRIM_PT) and ticket["bleed"]["in"] == 0.125
    assert ticket["binding"] == "saddle-stitch" and ticket["colour"] == "CMYK 4/4" and ticket["pdfx"] == "PDF/X-4"


def test_preflight_passes_on_our_print_pdf(print_build):
    result = run_cli("preflight", print_build / "pml-print.pdf")
    assert result.code == 0, result.out
    assert "preflight passed" in result.out


def test_print_pdf_is_reproducible(print_build, tmp_path):
    assert run_cli("build", PML, "-o", tmp_path, "--format", "print").code == 0
    for name in ("pml-print.pdf", "pml-booklet.pdf", "pml-print.json"):
        assert (tmp_path / name).read_bytes() == (print_build / name).read_bytes(), name


def test_epub_page_list_matches_the_print_page_count(print_build, pml_build):
    import zipfile

    from lxml import etree

    with pikepdf.open(print_build / "pml-print.pdf") as pdf:
        count = len(pdf.pages)
    with zipfile.ZipFile(pml_build / "pml.epub") as book:
        nav = etree.fromstring(book.read("EPUB/nav.xhtml"))
        ns = {"x": "http://www.w3.org/1999/xhtml", "epub": "http://www.idpf.org/2007/ops"}
        links = nav.xpath("//x:nav[@epub:type='page-list']//x:a/@href", namespaces=ns)
        assert [href.split("#page-")[1] for href in links] == [str(n) for n in range(1, count + 1)]
        for href in links:
            name, anchor = href.split("#")
            doc = etree.fromstring(book.read(f"EPUB/{name}"))
            marker = doc.xpath(f"//*[@id='{anchor}']")
            assert marker and marker[0].get("role") == "doc-pagebreak"
