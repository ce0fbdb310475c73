"""The print edition of the PML sheet: boxes, page count, PDF/X, booklet order, bleed, job ticket, preflight."""
from __future__ import annotations

import hashlib
import json

import pikepdf
import pypdfium2
import pytest
from readback import text_inside_trim

from conftest import PML, run_cli, run_script

pytestmark = pytest.mark.slow  # every test reads a print build (PML, POD, PDF/X-1a) made by the real CLI

TRIM_PT = (396.0, 612.0)  # 5.5 x 8.5 in
BLEED_PT = 9.0


@pytest.fixture(scope="module")
def print_build(tmp_path_factory):
    outdir = tmp_path_factory.mktemp("print")
    result = run_script("build_pdf.py", PML, "-o", outdir, "--edition", "print")
    assert result.code == 0, result.err
    return outdir


def test_print_build_writes_pdf_press_sheets_booklet_and_tickets(print_build):
    assert sorted(p.name for p in print_build.iterdir()) == ["pml-booklet.pdf", "pml-imposed.pdf", "pml-print.jdf",
                                                             "pml-print.json", "pml-print.pdf"]


def test_every_page_has_consistent_trim_and_bleed_boxes(print_build):
    with pikepdf.open(print_build / "pml-print.pdf") as pdf:
        assert len(pdf.pages) % 4 == 0
        for page in pdf.pages:
            trim = [float(v) for v in page.obj.TrimBox]
            bleed = [float(v) for v in page.obj.BleedBox]
            media = [float(v) for v in page.obj.MediaBox]
            assert (round(trim[2] - trim[0], 2), round(trim[3] - trim[1], 2)) == TRIM_PT
            assert [round(b - t, 2) for b, t in zip(bleed, trim, strict=True)] == [-BLEED_PT, -BLEED_PT, BLEED_PT, BLEED_PT]
            assert media[0] <= bleed[0] and media[1] <= bleed[1] and media[2] >= bleed[2] and media[3] >= bleed[3]
            assert media[2] - media[0] > bleed[2] - bleed[0], "crop marks sit outside the bleed"


def test_print_pdf_is_pdfx4_with_a_cmyk_output_intent(print_build):
    with pikepdf.open(print_build / "pml-print.pdf") as pdf:
        intent = pdf.Root.OutputIntents[0]
        assert str(intent.S) == "/GTS_PDFX"
        assert int(intent.DestOutputProfile.N) == 4
        assert b"PDF/X-4" in pdf.Root.Metadata.read_bytes()


def test_back_cover_is_last_and_no_page_is_blank(print_build):
    """PML's body ends on page 5 of 8: copyfitting cannot land it on 4 or 8 pages with a type step, so pages 6 and
    7 are designed ones, a ruled notes page and the order page on the inside back cover."""
    document = pypdfium2.PdfDocument(print_build / "pml-print.pdf")
    texts = [text_inside_trim(page) for page in document]
    document.close()
    assert "public domain" in texts[-1]
    assert "Progressive Multifocal" in texts[0]
    assert [i for i, text in enumerate(texts) if not text] == []
    assert texts[5] == "Notes"
    assert texts[6].startswith("Order more copies") and "catalog.ninds.nih.gov" in texts[6]


def test_cover_colour_reaches_the_bleed_and_outside_the_marks_is_white(print_build):
    document = pypdfium2.PdfDocument(print_build / "pml-print.pdf")
    page = document[0]
    scale = 2
    image = page.render(scale=scale, may_draw_forms=True).to_pil().convert("RGB")
    _, height = page.get_size()
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
    from brochure.editions.press import saddle_stitch_order

    unnumbered = {1: "Progressive Multifocal", 6: "Notes", 7: "Order more copies", count: "public domain"}  # no folio
    for (left, right), (left_no, right_no) in zip(sides, saddle_stitch_order(count), strict=True):
        for text, number in ((left, left_no), (right, right_no)):
            assert unnumbered.get(number, f"Page {number}") in text, f"page {number} not found on its half: {text[:80]!r}"


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


# ---- printer profiles, links, PDF/X-1a ----------------------------------------------------

FIXTURES = PML.parents[2] / "tests" / "fixtures"
REPO_CONFIG = PML.parents[2] / "brochure.yaml"


def _build_with_config(tmp_path, source, replace: tuple[str, str]):
    """Copy a publication's folder into tmp_path with brochure.yaml edited, build its print edition there."""
    import shutil

    folder = tmp_path / "src"
    shutil.copytree(source.parent, folder)
    config = folder / "brochure.yaml"
    text = (config if config.exists() else REPO_CONFIG).read_text(encoding="utf-8")
    assert replace[0] in text
    config.write_text(text.replace(*replace), encoding="utf-8")
    result = run_cli("build", folder / source.name, "-o", tmp_path / "out", "--format", "print")
    assert result.code == 0, result.err
    return tmp_path / "out"


def _registration_spaces(pdf) -> list:
    """The /Separation /All colour spaces in each page's resources."""
    return [space for page in pdf.pages for space in page.Resources.get("/ColorSpace", {}).values()
            if isinstance(space, pikepdf.Array) and space[0] == "/Separation" and space[1] == "/All"]


@pytest.fixture(scope="module")
def pod_build(tmp_path_factory):
    return _build_with_config(tmp_path_factory.mktemp("pod"), PML, ("profile: offset", "profile: pod"))


def test_offset_profile_prints_registration_targets_centred_on_each_side(print_build):
    from brochure.editions.press import registration_centres

    with pikepdf.open(print_build / "pml-print.pdf") as pdf:
        assert len(_registration_spaces(pdf)) == len(pdf.pages)
        media = tuple(float(v) for v in pdf.pages[2].MediaBox)
        bleed = tuple(float(v) for v in pdf.pages[2].BleedBox)
    document = pypdfium2.PdfDocument(print_build / "pml-print.pdf")
    scale = 4
    image = document[2].render(scale=scale).to_pil().convert("L")
    document.close()
    centres = registration_centres(media, bleed)
    for cx, cy in centres:
        x, y = round((cx - media[0]) * scale), round((media[3] - cy) * scale)
        assert image.crop((x - 1, y - 1, x + 2, y + 2)).getextrema()[0] < 128, (cx, cy)
        assert not (bleed[0] < cx < bleed[2] and bleed[1] < cy < bleed[3]), "targets sit outside the bleed"
    assert {round(cx) for cx, _ in centres[:2]} == {round((media[0] + media[2]) / 2)}


def test_pod_profile_has_bleed_only_no_marks_and_says_so(pod_build):
    ticket = json.loads((pod_build / "pml-print.json").read_text(encoding="utf-8"))
    assert ticket["profile"] == "pod" and ticket["marks"] == []
    with pikepdf.open(pod_build / "pml-print.pdf") as pdf:
        assert len(pdf.pages) % 4 == 0 and ticket["pages"] == len(pdf.pages)
        assert not _registration_spaces(pdf)
        for page in pdf.pages:
            trim = [float(v) for v in page.obj.TrimBox]
            assert [float(v) for v in page.obj.BleedBox] == [float(v) for v in page.obj.MediaBox]
            assert [float(v) for v in page.obj.BleedBox] == [trim[0] - BLEED_PT, trim[1] - BLEED_PT, trim[2] + BLEED_PT, trim[3] + BLEED_PT]
    document = pypdfium2.PdfDocument(pod_build / "pml-print.pdf")
    cover = document[0].render(scale=2).to_pil().convert("RGB")
    document.close()
    for corner in ((0, 0), (cover.width - 1, 0), (0, cover.height - 1), (cover.width - 1, cover.height - 1)):
        r, g, b = cover.getpixel(corner)
        assert b > r + 40, f"no slug: the cover colour reaches the media edge, got {(r, g, b)} at {corner}"
    result = run_cli("preflight", pod_build / "pml-print.pdf")
    assert result.code == 0 and "preflight passed: 0 failure(s), 0 warning(s)" in result.out, result.out


def test_offset_ticket_names_its_marks(print_build):
    ticket = json.loads((print_build / "pml-print.json").read_text(encoding="utf-8"))
    assert ticket["profile"] == "offset" and ticket["marks"] == ["crop", "registration"]


def test_print_pdf_has_no_link_annotations_while_the_download_pdf_does(print_build, pml_build):
    with pikepdf.open(pml_build / "pml.pdf") as download:
        assert any("/Annots" in page.obj for page in download.pages)
    with pikepdf.open(print_build / "pml-print.pdf") as pdf:
        assert not any("/Annots" in page.obj for page in pdf.pages)


@pytest.fixture(scope="module")
def x1a_build(tmp_path_factory):
    """The print-image fixture (an RGB PNG with alpha) built as its brochure.yaml says: PDF/X-1a, offset."""
    outdir = tmp_path_factory.mktemp("x1a")
    result = run_cli("build", FIXTURES / "print-image" / "photo.md", "-o", outdir, "--format", "print")
    assert result.code == 0, result.err
    return outdir


def _images(pdf) -> list:
    """Every image XObject in the file."""
    return [obj for obj in pdf.objects if isinstance(obj, pikepdf.Stream) and obj.get("/Subtype") == "/Image"]


def test_x1a_is_identified_as_pdfx1a_2003_on_pdf_14(x1a_build):
    with pikepdf.open(x1a_build / "photo-print.pdf") as pdf:
        assert pdf.pdf_version == "1.4"
        assert str(pdf.docinfo["/GTS_PDFXVersion"]) == "PDF/X-1a:2003"
        assert "/GTS_PDFXConformance" not in pdf.docinfo and b"GTS_PDFXConformance" not in pdf.Root.Metadata.read_bytes()
        assert str(pdf.docinfo["/Trapped"]) == "/False" and str(pdf.docinfo["/Title"]) == "A Picture for the Press"
        assert int(pdf.Root.OutputIntents[0].DestOutputProfile.N) == 4
    ticket = json.loads((x1a_build / "photo-print.json").read_text(encoding="utf-8"))
    assert ticket["pdfx"] == "PDF/X-1a:2003"


def test_x1a_image_is_cmyk_flattened_on_paper_white_and_nothing_is_transparent(x1a_build):
    from brochure.editions.pdfx import device_space, transparency

    with pikepdf.open(x1a_build / "photo-print.pdf") as pdf:
        (image,) = _images(pdf)
        assert image.ColorSpace == "/DeviceCMYK" and "/SMask" not in image
        assert list(transparency(pdf)) == []
        assert not any("/Group" in page.obj for page in pdf.pages)
        for page in pdf.pages:
            assert all(device_space(space) for space in page.Resources.get("/ColorSpace", {}).values())
        cmyk = pikepdf.PdfImage(image).as_pil_image()
    assert cmyk.mode == "CMYK"
    assert cmyk.getpixel((5, 5)) == (0, 0, 0, 0)  # a transparent corner: paper white, no ink
    c, m, y, k = cmyk.getpixel((640, 100))  # the orange disc, above the green band
    assert c < 20 and m > 100 and y > 200, (c, m, y, k)
    c, m, y, k = cmyk.getpixel((60, 320))  # the half-transparent green band over paper: a light green
    assert c > 60 and y > 60 and m < c and k < 40, (c, m, y, k)
    result = run_cli("preflight", x1a_build / "photo-print.pdf")
    assert result.code == 0, result.out
    assert "PASS PDF/X-1a:2003: PDF version, Info keys, no transparency, CMYK/grey/spot colour only" in result.out


def test_x1a_build_is_reproducible(x1a_build, tmp_path):
    assert run_cli("build", FIXTURES / "print-image" / "photo.md", "-o", tmp_path, "--format", "print").code == 0
    assert (tmp_path / "photo-print.pdf").read_bytes() == (x1a_build / "photo-print.pdf").read_bytes()


def test_x4_converts_the_image_to_cmyk_and_keeps_its_alpha(tmp_path):
    out = _build_with_config(tmp_path, FIXTURES / "print-image" / "photo.md", ("pdfx: pdf/x-1a", "pdfx: pdf/x-4"))
    with pikepdf.open(out / "photo-print.pdf") as pdf:
        images = _images(pdf)
        (picture,) = [image for image in images if "/SMask" in image]
        assert picture.ColorSpace == "/DeviceCMYK" and picture.SMask.ColorSpace == "/DeviceGray"
        assert pdf.pdf_version == "1.6"
    assert run_cli("preflight", out / "photo-print.pdf").code == 0


SAFE_PT = 18.0  # 0.25 in


def _glyph_boxes(path):
    """For each page: its TrimBox (x0, y0, x1, y1) and the box of every visible character on it."""
    document = pypdfium2.PdfDocument(path)
    try:
        pages = []
        for page in document:
            text = page.get_textpage()
            chars = text.get_text_range()
            boxes = [text.get_charbox(i) for i, char in enumerate(chars) if not char.isspace()]
            pages.append((page.get_trimbox(), boxes))
        return pages
    finally:
        document.close()


def test_all_text_stays_inside_the_safe_zone(print_build):
    for number, (trim, boxes) in enumerate(_glyph_boxes(print_build / "pml-print.pdf"), start=1):
        x0, y0, x1, y1 = trim
        for left, bottom, right, top in boxes:
            if top <= y0 or bottom >= y1 or right <= x0 or left >= x1:
                continue  # the slug line (job, date, page) is printed outside the trim on purpose
            assert left >= x0 + SAFE_PT and right <= x1 - SAFE_PT, f"page {number}: glyph at x {left:.1f}–{right:.1f}"
            assert bottom >= y0 + SAFE_PT and top <= y1 - SAFE_PT, f"page {number}: glyph at y {bottom:.1f}–{top:.1f}"


def test_links_are_printed_as_readable_urls(print_build, pml_build):
    def text(path):
        document = pypdfium2.PdfDocument(path)
        try:
            return " ".join(page.get_textpage().get_text_range() for page in document)
        finally:
            document.close()

    printed, download = " ".join(text(print_build / "pml-print.pdf").split()), " ".join(text(pml_build / "pml.pdf").split())
    # printed as people read them, without https:// (a link whose text is its address, Clinicaltrials.gov, is not repeated)
    for url in ("www.nih.gov/health", "catalog.ninds.nih.gov"):
        assert f"({url}" in printed
        assert f"({url}" not in download


def _text_fill_colours(pdf) -> dict[tuple, int]:
    """How many bytes of text are shown under each fill colour (operator and operands), all pages."""
    counts: dict[tuple, int] = {}
    for page in pdf.pages:
        fill: tuple = ("g", 0.0)
        stack = []
        for operands, operator in pikepdf.parse_content_stream(page):
            op = str(operator)
            if op in ("k", "g", "rg", "sc", "scn"):
                fill = (op, *(round(float(o), 3) for o in operands if not isinstance(o, pikepdf.Name)))
            elif op == "q":
                stack.append(fill)
            elif op == "Q" and stack:
                fill = stack.pop()
            elif op in ("Tj", "TJ", "'", '"'):
                shown = [o for o in operands[-1]] if op == "TJ" else [operands[-1]]
                counts[fill] = counts.get(fill, 0) + sum(len(bytes(o)) for o in shown if isinstance(o, pikepdf.String))
    return counts


def test_body_text_is_100_percent_black_and_no_text_is_rgb(print_build):
    with pikepdf.open(print_build / "pml-print.pdf") as pdf:
        counts = _text_fill_colours(pdf)
    # 0 0 0 1 as DeviceCMYK (k) or in the output intent's ICC CMYK space (scn): 100% K either way
    assert max(counts, key=counts.get)[1:] == (0.0, 0.0, 0.0, 1.0)
    assert not [colour for colour in counts if colour[0] == "rg" or len(colour) == 4]


def test_us_letter_trim_is_selectable(tmp_path):
    out = _build_with_config(tmp_path, PML, ("trim: half-letter", "trim: letter"))
    with pikepdf.open(out / "pml-print.pdf") as pdf:
        trims = {tuple(round(float(v), 2) for v in page.TrimBox) for page in pdf.pages}
        assert len(pdf.pages) % 4 == 0
    (x0, y0, x1, y1), = trims
    assert (x1 - x0, y1 - y0) == (612.0, 792.0)
    ticket = json.loads((out / "pml-print.json").read_text(encoding="utf-8"))
    assert ticket["trim"]["pt"] == [612.0, 792.0], ticket
    with pikepdf.open(out / "pml-booklet.pdf") as booklet:  # imposed on tabloid: 17 x 11 in
        assert {tuple(float(v) for v in page.MediaBox) for page in booklet.pages} == {(0.0, 0.0, 1224.0, 792.0)}
