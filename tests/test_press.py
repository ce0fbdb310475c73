"""Imposition, CMYK marks, job ticket and the PDF/X-4 recipe (brochure.press, tests/fixtures/press)."""
from __future__ import annotations

import hashlib
import io
import json
import uuid

import pikepdf
import pypdfium2 as pdfium
import pytest

from brochure.editions import press
from brochure.errors import BrochureError

SHEET = (792, 612)


@pytest.fixture(scope="module")
def raw_pdf(press_samples) -> bytes:
    """WeasyPrint's PDF/X-4 output before the crop-mark colour fix."""
    return press_samples["raw"].read_bytes()


@pytest.fixture(scope="module")
def print_pdf(press_samples) -> bytes:
    """The 8-page sample print PDF (bleed, crop + cross marks, CMYK only)."""
    return press_samples["good"].read_bytes()


@pytest.fixture(scope="module")
def imposed(print_pdf) -> bytes:
    """The sample imposed 2-up for saddle stitch."""
    return press.impose_booklet(print_pdf)


def _half_texts(pdf: bytes) -> list[tuple[str, str]]:
    """(left half, right half) text of each sheet side, via pdfium's bounded text extraction."""
    document = pdfium.PdfDocument(pdf)
    sides = []
    for index in range(len(document)):
        page = document[index]
        width, height = page.get_size()
        text = page.get_textpage()
        left = text.get_text_bounded(0, 0, width / 2, height).strip()
        right = text.get_text_bounded(width / 2, 0, width, height).strip()
        sides.append((left, right))
    return sides


def _operators(content_owner) -> set[str]:
    """The set of content stream operators of a page or form."""
    return {str(instruction.operator) for instruction in pikepdf.parse_content_stream(content_owner)}


@pytest.mark.parametrize("count, expected", [
    (4, [(4, 1), (2, 3)]),
    (8, [(8, 1), (2, 7), (6, 3), (4, 5)]),
    (12, [(12, 1), (2, 11), (10, 3), (4, 9), (8, 5), (6, 7)]),
])
def test_saddle_stitch_order(count, expected):
    assert press.saddle_stitch_order(count) == expected


def test_saddle_stitch_order_uses_every_page_once():
    order = press.saddle_stitch_order(16)
    assert sorted(page for side in order for page in side) == list(range(1, 17))


@pytest.mark.parametrize("count", [6, 0, 2])
def test_saddle_stitch_order_rejects_other_counts(count):
    with pytest.raises(ValueError, match="multiple of 4"):
        press.saddle_stitch_order(count)


def test_sample_has_bleed_and_marks(print_pdf):
    pdf = pikepdf.open(io.BytesIO(print_pdf))
    page = pdf.pages[0]
    assert [float(v) for v in page.TrimBox] == [0, 0, 396, 612]
    assert [float(v) for v in page.MediaBox] == [-9, -9, 405, 621]


def test_imposed_sheet_sides_read_in_saddle_stitch_order(imposed):
    assert _half_texts(imposed) == [("8", "1"), ("2", "7"), ("6", "3"), ("4", "5")]


def test_imposed_sheets_are_letter_landscape_with_spread_trim(imposed):
    pdf = pikepdf.open(io.BytesIO(imposed))
    assert len(pdf.pages) == 4
    for page in pdf.pages:
        assert [float(v) for v in page.MediaBox] == [0, 0, *SHEET]
        assert [float(v) for v in page.TrimBox] == [0, 0, 792, 612]


def test_imposition_clips_each_page_to_its_trim(print_pdf, imposed):
    """Page 8's cross mark would sit just right of the spine, mid-height, if not clipped."""
    scale = 4
    sheet = pdfium.PdfDocument(imposed)[0].render(scale=scale).to_pil().convert("L")
    spine_strip = sheet.crop((396 * scale + 1, 300 * scale, 405 * scale, 312 * scale))
    assert spine_strip.getextrema()[0] > 250  # all white: no marks crossed the spine
    source = pdfium.PdfDocument(print_pdf)[7].render(scale=scale).to_pil().convert("L")
    # In the unclipped page the same mark exists (right bleed, mid-height): the check above can fail.
    mark_strip = source.crop((405 * scale + 1, 306 * scale, 414 * scale, 318 * scale))
    assert mark_strip.getextrema()[0] < 128


def test_imposition_centres_a_short_trim_vertically(print_pdf):
    imposed = press.impose_booklet(print_pdf, sheet_size_pt=(800, 700))
    pdf = pikepdf.open(io.BytesIO(imposed))
    assert [float(v) for v in pdf.pages[0].TrimBox] == [4, 44, 796, 656]


def test_imposition_is_deterministic_with_id_from_input(print_pdf, imposed):
    assert press.impose_booklet(print_pdf) == imposed
    pdf = pikepdf.open(io.BytesIO(imposed))
    assert bytes(pdf.trailer.ID[0]) == hashlib.sha256(print_pdf).digest()[:16]


def test_imposition_keeps_output_intent(imposed):
    pdf = pikepdf.open(io.BytesIO(imposed))
    assert pdf.Root.OutputIntents[0].S == pikepdf.Name.GTS_PDFX


def test_imposition_rejects_page_count_not_multiple_of_4(print_pdf):
    pdf = pikepdf.open(io.BytesIO(print_pdf))
    del pdf.pages[6:]
    buffer = io.BytesIO()
    pdf.save(buffer)
    with pytest.raises(BrochureError, match="multiple of 4"):
        press.impose_booklet(buffer.getvalue())


def test_imposition_rejects_trim_wider_than_half_sheet(print_pdf):
    with pytest.raises(BrochureError, match="does not fit"):
        press.impose_booklet(print_pdf, sheet_size_pt=(612, 792))


def test_impose_rejects_non_pdf():
    with pytest.raises(BrochureError, match="not a readable PDF"):
        press.impose_booklet(b"hello, not a pdf")


def test_weasyprint_marks_are_rgb_and_fix_makes_them_k(raw_pdf, print_pdf):
    raw = pikepdf.open(io.BytesIO(raw_pdf))
    assert {"rg", "RG"} <= _operators(raw.pages[0].Resources.XObject.x0)
    fixed = pikepdf.open(io.BytesIO(print_pdf))
    for page in fixed.pages:
        assert not {"rg", "RG"} & _operators(page)
    marks = fixed.pages[0].Resources.XObject.x0
    assert not {"rg", "RG"} & _operators(marks)
    assert {"k", "K"} <= _operators(marks)
    assert press.rgb_black_to_k(raw_pdf) == print_pdf


def test_rgb_black_to_k_leaves_colours_alone():
    pdf = pikepdf.new()
    page = pdf.add_blank_page()
    page.obj.Contents = pdf.make_stream(b"1 0 0 rg 0.5 0.5 0.5 RG 0 0 10 10 re f")
    buffer = io.BytesIO()
    pdf.save(buffer)
    fixed = pikepdf.open(io.BytesIO(press.rgb_black_to_k(buffer.getvalue())))
    instructions = [(list(map(float, i.operands)), str(i.operator))
                    for i in pikepdf.parse_content_stream(fixed.pages[0])]
    assert ([1.0, 0.0, 0.0], "rg") in instructions
    assert ([0.0, 0.0, 0.0, 0.5], "K") in instructions


def test_pdfx4_recipe_is_byte_identical_across_runs(make_sample, press_samples, raw_pdf):
    assert make_sample.make_print_pdf(8, image_dir=press_samples["folder"], fix_marks=False) == raw_pdf


def test_pdfx4_recipe_writes_identity_intent_boxes_and_stable_document_id(raw_pdf):
    pdf = pikepdf.open(io.BytesIO(raw_pdf))
    xmp = pdf.Root.Metadata.read_bytes()
    assert b"<pdfxid:GTS_PDFXVersion>PDF/X-4</pdfxid:GTS_PDFXVersion>" in xmp
    expected = uuid.uuid5(uuid.NAMESPACE_URL, "press-sample-8")
    assert f"xmp.did:{expected}".encode() in xmp
    intent = pdf.Root.OutputIntents[0]
    assert intent.S == pikepdf.Name.GTS_PDFX and intent.DestOutputProfile.N == 4
    assert str(intent.OutputConditionIdentifier) == "CGATS TR 006"
    assert all("/TrimBox" in page.obj and "/BleedBox" in page.obj for page in pdf.pages)
    assert pdf.pdf_version == "1.6"


def test_job_ticket_matches_pdf(print_pdf):
    ticket = press.job_ticket(
        print_pdf, title="Progressive Multifocal Leukoencephalopathy", publication_id="pml",
        binding="saddle-stitch", pdfx_version="PDF/X-4", trim_in=(5.5, 8.5), bleed_in=0.125,
        paper="80 lb text, matte")
    assert ticket["pages"] == 8
    assert ticket["sha256"] == hashlib.sha256(print_pdf).hexdigest()
    assert ticket["bytes"] == len(print_pdf)
    assert ticket["trim"] == {"in": [5.5, 8.5], "pt": [396.0, 612.0]}
    assert ticket["bleed"] == {"in": 0.125, "pt": 9.0}
    assert ticket["colour"] == "CMYK 4/4" and ticket["binding"] == "saddle-stitch"
    assert ticket["file"] == "pml-print.pdf"
    assert json.loads(json.dumps(ticket)) == ticket


def test_job_ticket_rejects_unknown_binding(print_pdf):
    with pytest.raises(ValueError, match="binding"):
        press.job_ticket(print_pdf, title="t", publication_id="p", binding="spiral",
                         pdfx_version="PDF/X-4", trim_in=(5.5, 8.5), bleed_in=0.125, paper="p")


def test_imposition_rejects_mixed_trim_sizes(print_pdf):
    pdf = pikepdf.open(io.BytesIO(print_pdf))
    pdf.pages[4].TrimBox = [0, 0, 300, 600]
    buffer = io.BytesIO()
    pdf.save(buffer)
    with pytest.raises(BrochureError, match="page 5 trim 300×600 pt differs"):
        press.impose_booklet(buffer.getvalue())


# ---- finishing: registration marks, links, CMYK images, PDF/X-1a ----------------------------

MEDIA = [-27, -27, 423, 639]  # 0.375 in beyond a 5.5 x 8.5 in trim: 0.125 in bleed and a 0.25 in slug


def _weasy_like_page(*, annots: list | None = None, extra: bytes = b"") -> bytes:
    """A one-page PDF shaped like WeasyPrint's: trim at the origin, wide media, a flipped CTM left in force."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(450, 666))
    page.obj.MediaBox = pikepdf.Array(MEDIA)
    page.obj.TrimBox = pikepdf.Array([0, 0, 396, 612])
    page.obj.Contents = pdf.make_stream(b"1 0 0 -1 0 612 cm q 0 0 0 1 k 10 10 50 50 re f Q " + extra)
    if annots:
        page.obj.Annots = pikepdf.Array([pikepdf.Dictionary(Type=pikepdf.Name.Annot, Subtype=kind, Rect=[10, 10, 50, 50])
                                         for kind in annots])
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def _dark(image, point: tuple[float, float], scale: int) -> bool:
    """True when the rendering has a dark pixel within a pixel of a PDF point (page coordinates)."""
    x, y = round((point[0] - MEDIA[0]) * scale), round((MEDIA[3] - point[1]) * scale)
    return image.convert("L").crop((x - 1, y - 1, x + 2, y + 2)).getextrema()[0] < 128


def test_offset_marks_add_registration_targets_in_all_separations():
    finished = press.finish_print_pdf(_weasy_like_page(), 9.0, marks=True)
    pdf = pikepdf.open(io.BytesIO(finished))
    page = pdf.pages[0]
    space = page.Resources.ColorSpace[press.REGISTRATION]
    assert [space[0], space[1], space[2]] == [pikepdf.Name.Separation, pikepdf.Name.All, pikepdf.Name.DeviceCMYK]
    assert list(space[3].C1) == [1, 1, 1, 1]
    instructions = [(str(i.operator), list(i.operands)) for i in pikepdf.parse_content_stream(page)]
    assert ("CS", [press.REGISTRATION]) in instructions and ("SCN", [1]) in instructions
    centres = press.registration_centres(tuple(MEDIA), (-9, -9, 405, 621))
    assert centres == [(198, 630), (198, -18), (-18, 306), (414, 306)]
    scale = 4
    image = pdfium.PdfDocument(finished)[0].render(scale=scale).to_pil().convert("RGB")
    for cx, cy in centres:
        assert _dark(image, (cx, cy), scale), (cx, cy)  # the cross through the centre
        diagonal = press.TARGET_RADIUS_PT * 0.7071
        assert _dark(image, (cx + diagonal, cy + diagonal), scale)  # the ring, off the cross
        assert not _dark(image, (cx + 1.5, cy + 1.5), scale)  # inside the ring, off the cross: paper
    # the page's own square (drawn in flipped space) stays where WeasyPrint put it: top left of the trim
    assert _dark(image, (30, 612 - 30), scale) and not _dark(image, (30, 30), scale)


def test_without_marks_nothing_is_drawn_outside_the_content():
    finished = press.finish_print_pdf(_weasy_like_page(), 9.0, marks=False)
    pdf = pikepdf.open(io.BytesIO(finished))
    assert "/ColorSpace" not in pdf.pages[0].Resources
    assert [float(v) for v in pdf.pages[0].BleedBox] == [-9, -9, 405, 621]
    image = pdfium.PdfDocument(finished)[0].render(scale=2).to_pil().convert("L")
    assert image.crop((0, 0, image.width, 30)).getextrema()[0] == 255  # top slug: no targets, no marks


def test_link_annotations_are_dropped_and_others_kept():
    finished = press.finish_print_pdf(_weasy_like_page(annots=[pikepdf.Name.Link, pikepdf.Name.Link]), 9.0, marks=True)
    pdf = pikepdf.open(io.BytesIO(finished))
    assert "/Annots" not in pdf.pages[0].obj
    kept = pikepdf.open(io.BytesIO(press.finish_print_pdf(
        _weasy_like_page(annots=[pikepdf.Name.Link, pikepdf.Name.TrapNet]), 9.0, marks=True)))
    assert [a.Subtype for a in kept.pages[0].Annots] == [pikepdf.Name.TrapNet]


def test_x1a_keeps_a_group_that_holds_real_transparency():
    """Only opaque groups are dropped: a half-transparent fill is left for the preflight to refuse."""
    source = pikepdf.open(io.BytesIO(_weasy_like_page(extra=b"/Half gs 0 0 0 1 k 0 0 9 9 re f")))
    page = source.pages[0]
    page.obj.Group = pikepdf.Dictionary(S=pikepdf.Name.Transparency, CS=pikepdf.Name.DeviceCMYK)
    page.add_resource(pikepdf.Dictionary(ca=0.5), pikepdf.Name.ExtGState, pikepdf.Name("/Half"))
    buffer = io.BytesIO()
    source.save(buffer)
    finished = pikepdf.open(io.BytesIO(press.finish_print_pdf(buffer.getvalue(), 9.0, marks=False, pdfx="pdf/x-1a")))
    assert "/Group" in finished.pages[0].obj
    source.pages[0].Resources.ExtGState.Half.ca = 1
    buffer = io.BytesIO()
    source.save(buffer)
    finished = pikepdf.open(io.BytesIO(press.finish_print_pdf(buffer.getvalue(), 9.0, marks=False, pdfx="pdf/x-1a")))
    assert "/Group" not in finished.pages[0].obj


@pytest.mark.parametrize("space, allowed", [
    (pikepdf.Name.DeviceCMYK, True),
    (pikepdf.Name.DeviceGray, True),
    (pikepdf.Array([pikepdf.Name.Separation, pikepdf.Name.All, pikepdf.Name.DeviceCMYK, pikepdf.Dictionary()]), True),
    (pikepdf.Array([pikepdf.Name.Indexed, pikepdf.Name.DeviceCMYK, 1, b"\0\0\0\0\0\0\0\xff"]), True),
    (pikepdf.Array([pikepdf.Name.Indexed, pikepdf.Name.DeviceRGB, 1, b"\0\0\0\xff\xff\xff"]), False),
    (pikepdf.Name.DeviceRGB, False),
    (pikepdf.Array([pikepdf.Name.Lab, pikepdf.Dictionary()]), False),
    (pikepdf.Array([pikepdf.Name.ICCBased, pikepdf.Dictionary(N=4)]), False),
])
def test_pdfx1a_colour_spaces(space, allowed):
    from brochure.editions.pdfx import device_space

    assert device_space(space) is allowed


@pytest.mark.parametrize("paper, coating", [
    ("70 lb text, uncoated white", "uncoated"),
    ("80 lb gloss text", "coated"),
    ("100 lb silk cover, coated", "coated"),
    ("60 lb offset, natural", "uncoated"),
    ("90 gsm recycled", "uncoated"),
])
def test_the_stock_names_its_coating(paper, coating):
    assert press.coating_of(paper) == coating
    assert press.stock_of(paper)["coating"] == coating


def test_stock_weight_is_given_as_stated_and_in_grams():
    assert press.stock_of("70 lb text, uncoated white")["weight"] == {"value": 70.0, "unit": "lb", "basis": "text", "gsm": 104}
    assert press.stock_of("80 lb cover")["weight"]["gsm"] == 216
    assert press.stock_of("120 g/m2 uncoated")["weight"]["gsm"] == 120
    assert press.stock_of("house sheet")["weight"] == {}


def _fill_states(content: bytes) -> list[tuple[str, bool]]:
    """(what is painted, overprint on) for each fill paint of a finished page."""
    pdf = pikepdf.open(io.BytesIO(content))
    painted, overprint, colour, saved = [], False, "", []
    for instruction in pikepdf.parse_content_stream(pdf.pages[0]):
        operator = str(instruction.operator)
        if operator == "q":
            saved.append((overprint, colour))
        elif operator == "Q":
            overprint, colour = saved.pop()
        elif operator == "gs" and str(instruction.operands[0]).startswith("/Brochure"):
            overprint = str(instruction.operands[0]) == "/BrochureOverprint"
        elif operator in ("k", "scn"):
            colour = " ".join(f"{float(v):g}" for v in instruction.operands)
        elif operator in ("f", "Do"):
            painted.append((colour if operator == "f" else "form", overprint))
    return painted


def test_only_full_black_fills_overprint_and_q_restores_the_state():
    extra = (b"q /DeviceCMYK cs 0 0 0 1 scn 0 0 9 9 re f Q 0.9 0.55 0.1 0.2 k 0 0 9 9 re f "
             b"0 0 0 1 k 0 0 9 9 re f q 0 0 0 0.75 k 0 0 9 9 re f Q 0 0 9 9 re f")
    finished = press.finish_print_pdf(_weasy_like_page(extra=extra), 9.0, marks=False)
    assert _fill_states(finished) == [("0 0 0 1", True), ("0 0 0 1", True), ("0.9 0.55 0.1 0.2", False),
                                      ("0 0 0 1", True), ("0 0 0 0.75", False), ("0 0 0 1", True)]


def test_output_intent_follows_the_paper():
    finished = pikepdf.open(io.BytesIO(press.finish_print_pdf(_weasy_like_page(), 9.0, marks=False, paper="80 lb gloss text")))
    assert str(finished.Root.OutputIntents[0].OutputConditionIdentifier) == "CGATS TR 006"
    finished = pikepdf.open(io.BytesIO(press.finish_print_pdf(_weasy_like_page(), 9.0, marks=False, paper="70 lb text, uncoated")))
    assert str(finished.Root.OutputIntents[0].OutputConditionIdentifier) == "FOGRA29"


def test_press_sheets_of_the_sample_in_saddle_stitch_order(print_pdf):
    imposed = press.impose_press(print_pdf, 9.0, caliper_pt=0.5)
    sides = _half_texts(imposed)
    assert len(sides) == len(pikepdf.open(io.BytesIO(print_pdf)).pages) // 2
    booklet_sides = _half_texts(press.impose_booklet(print_pdf))
    assert [tuple(bool(text) for text in side) for side in sides] == [tuple(bool(text) for text in side) for side in booklet_sides]


def test_booklet_keeps_the_pdf_version_of_its_source(print_pdf, imposed):
    assert pikepdf.open(io.BytesIO(imposed)).pdf_version == pikepdf.open(io.BytesIO(print_pdf)).pdf_version
