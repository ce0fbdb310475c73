"""Preflight checks on a good PDF/X-4 sample and on deliberately broken copies (brochure.preflight)."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Name
from PIL import Image

from brochure.checks import preflight as pf
from brochure.errors import BrochureError, Finding


@pytest.fixture(scope="module")
def samples(press_samples) -> dict[str, Path]:
    """The good sample (with a 337 ppi CMYK image on page 2) and WeasyPrint's raw output, as files."""
    return press_samples


def _broken(samples, name: str, change: Callable[[pikepdf.Pdf], None]) -> Path:
    """Save a copy of the good sample changed by `change`."""
    target = samples["folder"] / f"{name}.pdf"
    with pikepdf.open(samples["good"]) as pdf:
        change(pdf)
        pdf.save(target)
    return target


def _image(pdf: pikepdf.Pdf) -> tuple[pikepdf.Object, Name]:
    """The sample's one image XObject (on page 2) and its resource name."""
    xobjects = pdf.pages[1].Resources.XObject
    for key, xobject in xobjects.items():
        if xobject.Subtype == Name.Image:
            return xobjects, Name(key)
    raise AssertionError("sample has no image")


def _replace_image(pdf: pikepdf.Pdf, image: Image.Image, colour_space: Name) -> None:
    """Swap the sample image for a raw (Flate) image in another mode or size."""
    xobjects, key = _image(pdf)
    xobjects[key] = pikepdf.Stream(
        pdf, image.tobytes(), Type=Name.XObject, Subtype=Name.Image, Width=image.width,
        Height=image.height, ColorSpace=colour_space, BitsPerComponent=8)


def _delete_font_file(pdf: pikepdf.Pdf) -> None:
    """Remove FontFile2 from the first font's descriptor."""
    font = next(iter(pdf.pages[0].Resources.Font.values()))
    del font.DescendantFonts[0].FontDescriptor["/FontFile2"]


def _rgb_group(pdf: pikepdf.Pdf) -> None:
    """Make the crop-mark form's transparency group blend in DeviceRGB."""
    pdf.pages[0].Resources.XObject.x0.Group.CS = Name.DeviceRGB


def test_good_sample_passes(samples):
    report = pf.preflight(samples["good"])
    assert report.passed, report.format()
    assert report.messages("error") == () and report.messages("warning") == ()
    text = report.format()
    assert "PASS fonts embedded" in text
    assert "PASS PDF/X identification (PDF/X-4)" in text
    assert "PASS images at least 300 ppi" in text
    assert "FAIL" not in text


def test_good_sample_image_is_measured(samples):
    with pikepdf.open(samples["good"]) as pdf:
        usage = pf._content_usage(pdf)
        assert [(p.page, round(pf._effective_ppi(p))) for p in usage.placements] == [(2, 338)]


def test_weasyprint_rgb_crop_marks_fail(samples):
    report = pf.preflight(samples["raw"])
    assert not report.passed
    assert "pages 1-8: RGB colour operator RG" in report.messages("error")


@pytest.mark.parametrize("name, change, reason", [
    ("font", _delete_font_file, "not embedded"),
    ("trimbox", lambda pdf: pdf.pages[2].obj.__delitem__("/TrimBox"), "page 3: no TrimBox"),
    ("bleedbox", lambda pdf: pdf.pages[1].obj.__setitem__("/BleedBox", pikepdf.Array([0, 0, 300, 300])),
     "page 2: BleedBox does not contain TrimBox"),
    ("mediabox", lambda pdf: pdf.pages[3].obj.__setitem__("/MediaBox", pikepdf.Array([0, 0, 396, 612])),
     "page 4: MediaBox does not contain BleedBox"),
    ("sizes", lambda pdf: pdf.pages[4].obj.__setitem__("/TrimBox", pikepdf.Array([0, 0, 390, 600])),
     "page 5: TrimBox 390×600 pt differs from page 1 (396×612 pt)"),
    ("count", lambda pdf: pdf.pages.__delitem__(slice(6, None)), "page count 6 is not a multiple of 4"),
    ("intent", lambda pdf: pdf.Root.__delitem__("/OutputIntents"), "no /OutputIntents entry"),
    ("rgbimage", lambda pdf: _replace_image(pdf, Image.new("RGB", (700, 700), (255, 0, 0)), Name.DeviceRGB),
     "page 2: RGB image"),
    ("group", _rgb_group, "transparency group in DeviceRGB"),
    ("pdfxid", lambda pdf: pdf.Root.__delitem__("/Metadata"), "no PDF/X identification"),
])
def test_broken_pdf_fails_with_its_reason(samples, name, change, reason):
    report = pf.preflight(_broken(samples, name, change))
    assert not report.passed
    assert [failure for failure in report.messages("error") if reason in failure], report.format()
    assert "FAIL " in report.format()


def test_icc_rgb_image_fails(samples):
    def change(pdf):
        profile = pikepdf.Stream(pdf, b"not read", N=3)
        _replace_image(pdf, Image.new("RGB", (700, 700)), pikepdf.Array([Name.ICCBased, profile]))
    report = pf.preflight(_broken(samples, "iccrgb", change))
    assert "page 2: RGB image" in report.messages("error")[0] and "ICCBased RGB" in report.messages("error")[0]


def test_low_resolution_image_is_a_warning_only(samples):
    path = _broken(samples, "lowres", lambda pdf: _replace_image(
        pdf, Image.new("CMYK", (100, 100), (0, 0, 0, 255)), Name.DeviceCMYK))
    report = pf.preflight(path)
    assert report.passed, report.format()
    assert any("page 2: image" in warning and "50 ppi at placed size (min 300)" in warning
               for warning in report.messages("warning")), report.messages("warning")
    assert "WARN page 2: image" in report.format()


def test_min_ppi_threshold_is_honoured(samples):
    assert pf.preflight(samples["good"], min_ppi=400).warnings


def test_flat_binding_skips_multiple_of_four(samples):
    path = _broken(samples, "flat", lambda pdf: pdf.pages.__delitem__(slice(6, None)))
    assert pf.preflight(path, saddle_stitch=False).passed
    assert not pf.preflight(path).passed


def _identified_in_info(version: str) -> Callable[[pikepdf.Pdf], None]:
    """A change that drops the XMP packet and names `version` in the Info dictionary only."""
    def change(pdf: pikepdf.Pdf) -> None:
        del pdf.Root["/Metadata"]
        pdf.docinfo["/GTS_PDFXVersion"] = version
    return change


def test_info_dictionary_identification_is_enough(samples):
    report = pf.preflight(_broken(samples, "infoid", _identified_in_info("PDF/X-1a:2001")))
    assert "PDF/X identification (PDF/X-1a:2001)" in report.passes


def test_unreadable_file_raises_brochure_error(tmp_path):
    path = tmp_path / "notes.pdf"
    path.write_text("just some notes\n")
    with pytest.raises(BrochureError, match="notes.pdf: not a readable PDF"):
        pf.preflight(path)


def test_main_exit_codes(samples, tmp_path, capsys):
    assert pf.main([str(samples["good"])]) == 0
    assert "preflight passed" in capsys.readouterr().out
    broken = _broken(samples, "main-trim", lambda pdf: pdf.pages[0].obj.__delitem__("/TrimBox"))
    assert pf.main([str(broken)]) == 1
    assert "FAIL page 1: no TrimBox" in capsys.readouterr().out


def test_main_on_text_file_exits_2_with_one_line(tmp_path, capsys):
    path = tmp_path / "readme.pdf"
    path.write_text("This is not a PDF.\n")
    assert pf.main([str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("readme.pdf: ")
    assert "Traceback" not in captured.err


def test_main_on_missing_file_exits_2(tmp_path, capsys):
    assert pf.main([str(tmp_path / "missing.pdf")]) == 2
    assert capsys.readouterr().err.startswith("missing.pdf: ")


def test_report_format_and_passed():
    findings = (Finding("preflight", "error", "page 3: no TrimBox"), Finding("preflight", "warning", "w"))
    report = pf.Report(findings=findings, passes=("fonts embedded",))
    assert not report.passed
    assert report.format().splitlines() == [
        "PASS fonts embedded", "FAIL page 3: no TrimBox", "WARN w",
        "preflight failed: 1 failure(s), 1 warning(s)"]
    assert pf.Report().passed


def test_standard_font_and_inline_rgb_image_in_a_form(tmp_path):
    """A Type1 font without descriptor and an RGB inline image, both inside a Form XObject."""
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(396, 612))
    font = pdf.make_indirect(pikepdf.Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    form = pdf.make_stream(
        b"BT /F1 12 Tf 10 10 Td (Hi) Tj ET q 72 0 0 72 0 0 cm "
        b"BI /W 2 /H 2 /CS /RGB /BPC 8 ID \xff\x00\x00\xff\x00\x00\xff\x00\x00\xff\x00\x00 EI Q",
        Type=Name.XObject, Subtype=Name.Form, BBox=[0, 0, 396, 612],
        Resources=pikepdf.Dictionary(Font=pikepdf.Dictionary(F1=font)))
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Fm=form))
    page.obj.Contents = pdf.make_stream(b"q 0.5 0 0 0.5 0 0 cm /Fm Do Q")
    pdf.docinfo["/GTS_PDFXVersion"] = "PDF/X-1a:2001"
    path = tmp_path / "synthetic.pdf"
    pdf.save(path)
    report = pf.preflight(path, saddle_stitch=False)
    assert "page 1: font Helvetica (Type1) not embedded" in report.messages("error")
    assert "page 1: RGB inline image" in report.messages("error")
    assert "page 1: image inline image is 4 ppi at placed size (min 300)" in report.messages("warning")
    assert "page 1: no TrimBox" in report.messages("error")


def _annotate(pdf: pikepdf.Pdf, subtype: Name, rect: list[float]) -> None:
    """Give page 1 one annotation of `subtype` at `rect`."""
    pdf.pages[0].obj.Annots = pdf.make_indirect(pikepdf.Array([pikepdf.Dictionary(
        Type=Name.Annot, Subtype=subtype, Rect=rect)]))


def test_javascript_and_a_link_inside_the_trim_fail_in_pdfx(samples):
    def change(pdf):
        pdf.Root.OpenAction = pikepdf.Dictionary(S=Name.JavaScript, JS=pikepdf.String("app.alert(1)"))
        _annotate(pdf, Name.Link, [10, 10, 50, 50])
    report = pf.preflight(_broken(samples, "interactive", change))
    assert "JavaScript /OpenAction" in report.messages("error")
    assert "page 1: Link annotation inside the bleed (PDF/X allows none there)" in report.messages("error")


def test_link_outside_the_bleed_only_warns_and_printer_marks_pass(samples):
    # the sample's MediaBox is its BleedBox: widen it so the annotation can sit in a slug
    def outside(pdf):
        for page in pdf.pages:
            page.obj.MediaBox = pikepdf.Array([-40, -40, 436, 652])
        _annotate(pdf, Name.Link, [-38, -38, -20, -20])
    report = pf.preflight(_broken(samples, "slug-link", outside))
    assert report.passed, report.format()
    assert report.messages("warning") == ("page 1: Link annotation (a print PDF needs none)",)
    marks = pf.preflight(_broken(samples, "printer-mark", lambda pdf: _annotate(pdf, Name.PrinterMark, [10, 10, 50, 50])))
    assert marks.passed and not marks.messages("warning"), marks.format()


def test_a_link_in_a_plain_pdf_only_warns(samples):
    def change(pdf):
        del pdf.Root["/Metadata"]
        del pdf.Root["/OutputIntents"]
        _annotate(pdf, Name.Link, [10, 10, 50, 50])
    report = pf.preflight(_broken(samples, "plain-link", change))
    assert "page 1: Link annotation (a print PDF needs none)" in report.messages("warning")


def test_preflight_reads_bytes_as_well_as_files(samples):
    data = samples["good"].read_bytes()
    assert pf.preflight(data) == pf.preflight(samples["good"])
    with pytest.raises(BrochureError, match="^not a readable PDF"):
        pf.preflight(b"%PDF-1.4 nothing else")


# ---- PDF/X-1a ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def x1a(make_sample, press_samples) -> Path:
    """The sample as WeasyPrint's pdf/x-1a with 0.125 in of bleed, finished for press with our marks, as a file."""
    from brochure.editions.press import finish_print_pdf

    raw = make_sample.make_print_pdf(8, image_dir=press_samples["folder"], variant="pdf/x-1a", marks="none")
    path = press_samples["folder"] / "x1a.pdf"
    path.write_bytes(finish_print_pdf(raw, 0.0, marks=True, pdfx="pdf/x-1a"))
    return path


def _x1a_broken(x1a: Path, name: str, change: Callable[[pikepdf.Pdf], None], version: str | None = None) -> Path:
    """Save a copy of the X-1a sample changed by `change` (optionally as another PDF version)."""
    target = x1a.with_name(f"x1a-{name}.pdf")
    with pikepdf.open(x1a) as pdf:
        change(pdf)
        pdf.save(target, force_version=version or pdf.pdf_version)
    return target


def _add_state(pdf: pikepdf.Pdf, **entries) -> None:
    """Add an ExtGState to page 1's resources and use it."""
    pdf.pages[0].add_resource(pikepdf.Dictionary(Type=Name.ExtGState, **entries), Name.ExtGState, Name("/Test"))
    pdf.pages[0].contents_add(b"q /Test gs Q")


def _use_icc_cmyk(pdf: pikepdf.Pdf) -> None:
    """Select an ICCBased CMYK space (the output profile) for a fill on page 1."""
    profile = pdf.Root.OutputIntents[0].DestOutputProfile
    pdf.pages[0].add_resource(pikepdf.Array([Name.ICCBased, profile]), Name.ColorSpace, Name("/CS9"))
    pdf.pages[0].contents_add(b"q /CS9 cs 0 0 0 1 sc 0 0 5 5 re f Q")


def test_x1a_sample_passes(x1a):
    report = pf.preflight(x1a)
    assert report.passed, report.format()
    assert "PDF/X-1a:2003: PDF version, Info keys, no transparency, CMYK/grey/spot colour only" in report.passes
    with pikepdf.open(x1a) as pdf:
        assert pdf.pdf_version == "1.4"
        assert not any("/Group" in page.obj for page in pdf.pages)


@pytest.mark.parametrize("name, change, version, reason", [
    ("pdf16", lambda pdf: None, "1.6", "PDF/X-1a:2003 needs PDF 1.4 or earlier, the file is PDF 1.6"),
    ("info", lambda pdf: pdf.docinfo.__delitem__("/GTS_PDFXVersion"), None, "Info /GTS_PDFXVersion is not 'PDF/X-1a:2003'"),
    ("trapped", lambda pdf: pdf.docinfo.__delitem__("/Trapped"), None, "Info /Trapped is not /True or /False"),
    ("title", lambda pdf: pdf.docinfo.__setitem__("/Title", ""), None, "Info /Title missing or empty"),
    ("opacity", lambda pdf: _add_state(pdf, ca=0.5), None, "opacity ca 0.5 (PDF/X-1a allows no transparency)"),
    ("blend", lambda pdf: _add_state(pdf, BM=Name.Multiply), None, "blend mode /Multiply"),
    ("softmask", lambda pdf: _image(pdf)[0][_image(pdf)[1]].__setitem__(
        "/SMask", pdf.make_stream(b"\xff", Type=Name.XObject, Subtype=Name.Image, Width=1, Height=1,
                                  ColorSpace=Name.DeviceGray, BitsPerComponent=8)),
     None, "image with a soft mask (alpha) (PDF/X-1a allows no transparency)"),
    ("group", lambda pdf: pdf.pages[2].obj.__setitem__("/Group", pikepdf.Dictionary(
        S=Name.Transparency, CS=Name.DeviceCMYK)), None, "page 3: page transparency group"),
    ("iccspace", _use_icc_cmyk, None, "page 1: colour space /CS9 (ICCBased) (PDF/X-1a allows only"),
    ("iccimage", lambda pdf: _image(pdf)[0][_image(pdf)[1]].__setitem__("/ColorSpace", pikepdf.Array(
        [Name.ICCBased, pdf.Root.OutputIntents[0].DestOutputProfile])), None, "page 2: image"),
])
def test_broken_x1a_fails_with_its_reason(x1a, name, change, version, reason):
    report = pf.preflight(_x1a_broken(x1a, name, change, version))
    assert not report.passed
    assert [failure for failure in report.messages("error") if reason in failure], report.format()


def test_x1a_2001_needs_pdf_13_and_its_conformance_key(x1a):
    report = pf.preflight(_x1a_broken(x1a, "2001", _identified_in_info("PDF/X-1:2001")))
    assert "PDF/X-1:2001 needs PDF 1.3 or earlier, the file is PDF 1.4" in report.messages("error")
    assert "Info /GTS_PDFXConformance is not 'PDF/X-1a:2001'" in report.messages("error")
