"""Print-shop preflight of a built PDF: fonts, page boxes, page count, PDF/X identity, images, colour."""
from __future__ import annotations

import io
import math
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pikepdf
from pikepdf import Name

from brochure.editions.pdfx import device_space, named_space, rgb_space, transparency
from brochure.errors import BrochureError, Finding, Location
from brochure.pdfgraph import content_objects, resource_dicts, xobjects

FONT_FILES = (Name.FontFile, Name.FontFile2, Name.FontFile3)
PDFX_NAMESPACES = ("http://www.npes.org/pdfx/ns/id/", "http://ns.adobe.com/pdfx/1.3/")
TOLERANCE_PT = 0.01
Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
PRINTER_ANNOTATIONS = ("PrinterMark", "TrapNet")
X1A_PDF_VERSIONS = {"PDF/X-1:2001": "1.3", "PDF/X-1a:2001": "1.3", "PDF/X-1a:2003": "1.4"}


@dataclass(frozen=True)
class Report:
    """Outcome of a preflight: its findings (errors stop the print job, warnings only inform) and the checks passed."""

    findings: tuple[Finding, ...] = ()
    passes: tuple[str, ...] = ()

    @property
    def failures(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")

    def messages(self, severity: str) -> tuple[str, ...]:
        """What the findings of one severity say ("page 2: RGB image …")."""
        return tuple(f.message for f in self.findings if f.severity == severity)

    @property
    def passed(self) -> bool:
        """True when no check failed."""
        return not self.failures

    def format(self) -> str:
        """A short human report, one line per check or finding."""
        lines = [f"PASS {item}" for item in self.passes]
        lines += [f"FAIL {item}" for item in self.messages("error")]
        lines += [f"WARN {item}" for item in self.messages("warning")]
        verdict = "passed" if self.passed else "failed"
        lines.append(f"preflight {verdict}: {len(self.failures)} failure(s), {len(self.warnings)} warning(s)")
        return "\n".join(lines)


@dataclass(frozen=True)
class _Check:
    """One check's outcome before it joins the report."""

    name: str
    failures: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Placement:
    """An image drawn on a page: where it came from and the CTM it was drawn with."""

    page: int
    name: str
    image: pikepdf.Object
    ctm: Matrix


@dataclass(frozen=True)
class _Usage:
    """What the content streams of the file draw: images and RGB colour operators."""

    placements: tuple[_Placement, ...]
    rgb_operators: tuple[tuple[int, str], ...]
    colour_spaces: tuple[tuple[int, str], ...] = ()  # (page, family) selected by cs/CS outside device CMYK/grey/spot


def preflight(pdf: Path | str | bytes, *, saddle_stitch: bool = True, min_ppi: int = 300) -> Report:
    """Run every print check on a PDF (a file or its bytes); raise BrochureError if it cannot be read."""
    document = _open(pdf)
    with document:
        pdfx_version = _pdfx_version(document)
        usage = _content_usage(document)
        checks = [
            _check_fonts(document),
            _check_boxes(document),
            _check_page_count(document, saddle_stitch),
            _check_pdfx_id(pdfx_version),
            _check_output_intent(document),
            _check_resolution(usage, min_ppi),
            _check_rgb(document, usage, strict=pdfx_version is not None),
            _check_interactive(document, pdfx=pdfx_version is not None),
        ]
        if pdfx_version is not None and pdfx_version.startswith("PDF/X-1"):
            checks.append(_check_x1a(document, pdfx_version, usage))
    return _report(checks)


def main(argv: list[str] | None = None) -> int:
    """`brochure preflight FILE.pdf`: print the report; 0 passed, 1 failed, 2 unreadable."""
    import argparse  # only the command line needs it: the build imports this module too

    parser = argparse.ArgumentParser(prog="brochure preflight", description=main.__doc__)
    parser.add_argument("pdf", type=Path, help="the print PDF to check")
    parser.add_argument("--flat", action="store_true", help="flat sheet: no multiple-of-4 page count")
    parser.add_argument("--min-ppi", type=int, default=300, help="warn below this image resolution")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    try:
        report = preflight(args.pdf, saddle_stitch=not args.flat, min_ppi=args.min_ppi)
    except BrochureError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    print(report.format())
    return 0 if report.passed else 1


def _open(pdf: Path | str | bytes) -> pikepdf.Pdf:
    """Open a PDF file or PDF bytes, or raise BrochureError naming the file."""
    source = io.BytesIO(pdf) if isinstance(pdf, bytes) else Path(pdf)
    try:
        return pikepdf.open(source)
    except (pikepdf.PdfError, OSError) as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        where = Location(source) if isinstance(source, Path) else None
        raise BrochureError(f"not a readable PDF ({reason})", where) from exc


def _report(checks: list[_Check]) -> Report:
    """Merge check outcomes into a Report."""
    return Report(
        findings=tuple(Finding("preflight", "error", item) for check in checks for item in check.failures)
        + tuple(Finding("preflight", "warning", item) for check in checks for item in check.warnings),
        passes=tuple(check.name for check in checks if not check.failures and not check.warnings),
    )


def _unique(items: list[str]) -> tuple[str, ...]:
    """Items without repeats, first occurrence order kept."""
    return tuple(dict.fromkeys(items))


# ---- fonts ---------------------------------------------------------------------------------


def _check_fonts(pdf: pikepdf.Pdf) -> _Check:
    """Every font dictionary reachable from a page is embedded."""
    failures, seen = [], set()
    for number, resources in resource_dicts(pdf):
        fonts = resources.get(Name.Font)
        for key, font in (fonts.items() if isinstance(fonts, pikepdf.Dictionary) else ()):
            if font.is_indirect and font.objgen in seen:
                continue
            seen.add(font.objgen)
            if not _font_embedded(font):
                base = str(font.get(Name.BaseFont, key)).lstrip("/")
                failures.append(f"page {number}: font {base} ({str(font.get(Name.Subtype)).lstrip('/')}) not embedded")
    return _Check("fonts embedded", tuple(failures))


def _font_embedded(font: pikepdf.Object) -> bool:
    """True for Type3 fonts and for fonts whose descriptor (or descendants') carries a font file."""
    subtype = font.get(Name.Subtype)
    if subtype == Name.Type3:
        return True
    if subtype == Name.Type0:
        descendants = font.get(Name.DescendantFonts)
        return descendants is not None and len(descendants) > 0 and all(_descriptor_embedded(child) for child in descendants)
    return _descriptor_embedded(font)


def _descriptor_embedded(font: pikepdf.Object) -> bool:
    """True when the font's descriptor has FontFile, FontFile2 or FontFile3."""
    descriptor = font.get(Name.FontDescriptor)
    return descriptor is not None and any(key in descriptor for key in FONT_FILES)


# ---- page boxes and count ------------------------------------------------------------------


def _check_boxes(pdf: pikepdf.Pdf) -> _Check:
    """TrimBox and BleedBox on every page, nested in MediaBox, the same size on every page."""
    failures, first = [], None
    for number, page in enumerate(pdf.pages, start=1):
        boxes = _page_boxes(page)
        failures += _box_failures(number, boxes)
        if None in boxes.values():
            continue
        sizes = {key: _size(rect) for key, rect in boxes.items() if rect is not None}
        first = first or (number, sizes)
        failures += [
            f"page {number}: {key} {_fmt(size)} differs from page {first[0]} ({_fmt(first[1][key])})"
            for key, size in sizes.items() if not _same_size(size, first[1][key])
        ]
    return _Check("page boxes: TrimBox ⊆ BleedBox ⊆ MediaBox, same size on every page", tuple(failures))


def _page_boxes(page: pikepdf.Page) -> dict[str, tuple[float, float, float, float] | None]:
    """MediaBox (inherited), TrimBox and BleedBox (not inherited) as normalised rectangles."""
    trim, bleed = page.obj.get(Name.TrimBox), page.obj.get(Name.BleedBox)
    return {
        "MediaBox": _rect(page.mediabox),
        "BleedBox": _rect(bleed) if bleed is not None else None,
        "TrimBox": _rect(trim) if trim is not None else None,
    }


def _box_failures(number: int, boxes: dict) -> list[str]:
    """Missing boxes and broken nesting on one page."""
    missing = [f"page {number}: no {key}" for key in ("TrimBox", "BleedBox") if boxes[key] is None]
    if missing:
        return missing
    failures = []
    if not _contains(boxes["BleedBox"], boxes["TrimBox"]):
        failures.append(f"page {number}: BleedBox does not contain TrimBox")
    if not _contains(boxes["MediaBox"], boxes["BleedBox"]):
        failures.append(f"page {number}: MediaBox does not contain BleedBox")
    return failures


def _rect(array: pikepdf.Object) -> tuple[float, float, float, float]:
    """A PDF rectangle as (x0, y0, x1, y1) with x0 <= x1 and y0 <= y1."""
    x0, y0, x1, y1 = (float(value) for value in array)
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _contains(outer: tuple, inner: tuple) -> bool:
    """True when rectangle outer contains rectangle inner (within a hundredth of a point)."""
    return (outer[0] <= inner[0] + TOLERANCE_PT and outer[1] <= inner[1] + TOLERANCE_PT
            and outer[2] >= inner[2] - TOLERANCE_PT and outer[3] >= inner[3] - TOLERANCE_PT)


def _size(rect: tuple) -> tuple[float, float]:
    """Width and height of a rectangle."""
    return rect[2] - rect[0], rect[3] - rect[1]


def _same_size(a: tuple[float, float], b: tuple[float, float]) -> bool:
    """True when two sizes agree within a hundredth of a point."""
    return abs(a[0] - b[0]) <= TOLERANCE_PT and abs(a[1] - b[1]) <= TOLERANCE_PT


def _fmt(size: tuple[float, float]) -> str:
    """A size as 'W×H pt'."""
    return f"{size[0]:g}×{size[1]:g} pt"


def _check_page_count(pdf: pikepdf.Pdf, saddle_stitch: bool) -> _Check:
    """Saddle stitch needs a multiple of 4 pages."""
    count = len(pdf.pages)
    if saddle_stitch and count % 4:
        return _Check("page count", (f"page count {count} is not a multiple of 4 (saddle stitch)",))
    suffix = ", a multiple of 4" if saddle_stitch else ""
    return _Check(f"page count {count}{suffix}")


# ---- PDF/X identity and output intent ------------------------------------------------------


def _pdfx_version(pdf: pikepdf.Pdf) -> str | None:
    """GTS_PDFXVersion from the XMP metadata or, failing that, the Info dictionary."""
    return _xmp_pdfx_version(pdf) or _info_pdfx_version(pdf)


def _xmp_pdfx_version(pdf: pikepdf.Pdf) -> str | None:
    """GTS_PDFXVersion as an element or attribute in the catalog's XMP packet."""
    metadata = pdf.Root.get(Name.Metadata)
    if not isinstance(metadata, pikepdf.Stream):
        return None
    try:
        root = ET.fromstring(metadata.read_bytes())
    except (ET.ParseError, pikepdf.PdfError):
        return None
    keys = [f"{{{namespace}}}GTS_PDFXVersion" for namespace in PDFX_NAMESPACES]
    for element in root.iter():
        for key in keys:
            value = element.text if element.tag == key else element.attrib.get(key)
            if value and value.strip():
                return value.strip()
    return None


def _info_pdfx_version(pdf: pikepdf.Pdf) -> str | None:
    """GTS_PDFXVersion from the document Info dictionary."""
    value = pdf.trailer.get(Name.Info, pikepdf.Dictionary()).get("/GTS_PDFXVersion")
    return str(value) if value is not None else None


def _check_pdfx_id(version: str | None) -> _Check:
    """The file says which PDF/X it is."""
    if version is None:
        return _Check("PDF/X identification", ("no PDF/X identification (XMP pdfxid:GTS_PDFXVersion or Info /GTS_PDFXVersion)",))
    return _Check(f"PDF/X identification ({version})")


def _check_output_intent(pdf: pikepdf.Pdf) -> _Check:
    """An /OutputIntents entry with /S /GTS_PDFX and an embedded CMYK /DestOutputProfile."""
    intents = pdf.Root.get(Name.OutputIntents)
    pdfx = [intent for intent in (intents or ()) if intent.get(Name.S) == Name.GTS_PDFX]
    if not pdfx:
        return _Check("output intent", ("no /OutputIntents entry with /S /GTS_PDFX",))
    intent = pdfx[0]
    profile = intent.get(Name.DestOutputProfile)
    if not isinstance(profile, pikepdf.Stream):
        return _Check("output intent", ("GTS_PDFX output intent has no /DestOutputProfile",))
    if int(profile.get(Name.N, 0)) != 4:
        return _Check("output intent", (f"output intent profile is not CMYK (/N {profile.get(Name.N)})",))
    label = str(intent.get(Name.OutputConditionIdentifier, "unnamed"))
    return _Check(f"output intent GTS_PDFX with CMYK profile ({label})")


# ---- interactive content -------------------------------------------------------------------


def _check_interactive(pdf: pikepdf.Pdf, *, pdfx: bool = False) -> _Check:
    """No JavaScript or form fields; in PDF/X no annotation inside the bleed (elsewhere, and outside PDF/X, a warning)."""
    failures = _javascript(pdf)
    if Name.AcroForm in pdf.Root and len(pdf.Root.AcroForm.get(Name.Fields, ())):
        failures.append("interactive form fields (/AcroForm)")
    inside, outside = [], []
    for number, page in enumerate(pdf.pages, start=1):
        area = _page_boxes(page)["BleedBox"] or _page_boxes(page)["TrimBox"]
        for annot in page.obj.get(Name.Annots, ()):
            kind = str(annot.get(Name.Subtype, "/Unknown")).lstrip("/")
            if kind in PRINTER_ANNOTATIONS:
                continue
            rect = _rect(annot.Rect) if Name.Rect in annot else None
            overlaps = area is None or rect is None or _overlaps(area, rect)
            if kind == "Widget":
                inside.append((number, "Widget annotation (a print PDF needs none)"))
            elif pdfx and overlaps:
                inside.append((number, f"{kind} annotation inside the bleed (PDF/X allows none there)"))
            else:
                outside.append((number, f"{kind} annotation (a print PDF needs none)"))
    failures += _grouped_by_pages(inside)
    return _Check("no JavaScript, forms or annotations", tuple(failures), tuple(_grouped_by_pages(outside)))


def _overlaps(a: tuple, b: tuple) -> bool:
    """True when two rectangles share more than an edge."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _javascript(pdf: pikepdf.Pdf) -> list[str]:
    """Document-level JavaScript: a /JavaScript name tree or a JavaScript /OpenAction."""
    found = []
    names = pdf.Root.get(Name.Names)
    if isinstance(names, pikepdf.Dictionary) and Name.JavaScript in names:
        found.append("document JavaScript (/Names /JavaScript)")
    action = pdf.Root.get(Name.OpenAction)
    if isinstance(action, pikepdf.Dictionary) and action.get(Name.S) == Name.JavaScript:
        found.append("JavaScript /OpenAction")
    return found


# ---- PDF/X-1a ------------------------------------------------------------------------------


def _check_x1a(pdf: pikepdf.Pdf, version: str, usage: _Usage) -> _Check:
    """PDF/X-1a: PDF 1.3 (2001) or 1.4 (2003), identified in Info, no transparency, only CMYK, grey and spot colour."""
    failures = []
    highest = X1A_PDF_VERSIONS.get(version)
    if highest is None:
        failures.append(f"unknown PDF/X-1 version {version!r} (use one of: {', '.join(X1A_PDF_VERSIONS)})")
    elif pdf.pdf_version > highest:
        failures.append(f"{version} needs PDF {highest} or earlier, the file is PDF {pdf.pdf_version}")
    failures += _x1a_info(pdf, version)
    failures += [f"{what} (PDF/X-1a allows no transparency)" for what in _unique(list(transparency(pdf)))]
    failures += [f"{where} (PDF/X-1a allows no transparency groups)" for where in _transparency_groups(pdf)]
    spaces = list(usage.colour_spaces) + [
        (placement.page, f"image {placement.name} in {_family(placement.image.get(Name.ColorSpace))}")
        for placement in usage.placements
        if placement.image.get(Name.ColorSpace) is not None and not device_space(placement.image.ColorSpace)]
    failures += [f"{item} (PDF/X-1a allows only DeviceCMYK, DeviceGray and spot colour)" for item in _grouped_by_pages(spaces)]
    return _Check(f"{version}: PDF version, Info keys, no transparency, CMYK/grey/spot colour only", tuple(failures))


def _x1a_info(pdf: pikepdf.Pdf, version: str) -> list[str]:
    """The Info keys PDF/X-1a requires: GTS_PDFXVersion (and the 2001 conformance), Title, Trapped, dates; the file ID."""
    info = pdf.trailer.get(Name.Info, pikepdf.Dictionary())
    failures = []
    if str(info.get("/GTS_PDFXVersion", "")) != version:
        failures.append(f"Info /GTS_PDFXVersion is not {version!r} (PDF/X-1a needs it in the Info dictionary)")
    if version.endswith(":2001") and str(info.get("/GTS_PDFXConformance", "")) != "PDF/X-1a:2001":
        failures.append("Info /GTS_PDFXConformance is not 'PDF/X-1a:2001'")
    failures += [f"Info /{key} missing or empty" for key in ("Title", "CreationDate", "ModDate") if not str(info.get(f"/{key}", "")).strip()]
    if info.get(Name.Trapped) not in (Name("/True"), Name("/False")):
        failures.append("Info /Trapped is not /True or /False")
    if Name.ID not in pdf.trailer:
        failures.append("no file identifier (trailer /ID)")
    return failures


def _transparency_groups(pdf: pikepdf.Pdf) -> list[str]:
    """Pages and forms that open a transparency group."""
    found = [f"page {number}: page transparency group" for number, page in enumerate(pdf.pages, start=1)
             if _is_transparency_group(page.obj)]
    found += [f"page {number}: transparency group (form {key})" for number, owner, key in content_objects(pdf)
              if _is_transparency_group(owner)]
    return found


def _is_transparency_group(owner: pikepdf.Object) -> bool:
    """True when the object has a /Group of subtype /Transparency."""
    group = owner.get(Name.Group)
    return isinstance(group, pikepdf.Dictionary) and group.get(Name.S) == Name.Transparency


def _family(space: pikepdf.Object | None) -> str:
    """A colour space's family name, e.g. 'ICCBased' or 'Lab'."""
    family = space[0] if isinstance(space, pikepdf.Array) and len(space) else space
    return str(family).lstrip("/")


# ---- images and colour ---------------------------------------------------------------------


def _check_resolution(usage: _Usage, min_ppi: int) -> _Check:
    """Every drawn image reaches min_ppi at its placed size (a warning below)."""
    warnings = []
    for placement in usage.placements:
        ppi = _effective_ppi(placement)
        if ppi is not None and ppi < min_ppi:
            warnings.append(f"page {placement.page}: image {placement.name} is {math.floor(ppi)} ppi "
                            f"at placed size (min {min_ppi})")
    return _Check(f"images at least {min_ppi} ppi", warnings=_unique(warnings))


def _effective_ppi(placement: _Placement) -> float | None:
    """The lower of the horizontal and vertical pixels per inch of a drawn image."""
    a, b, c, d, _, _ = placement.ctm
    width_in, height_in = math.hypot(a, b) / 72, math.hypot(c, d) / 72
    pixels_w, pixels_h = int(placement.image.get(Name.Width, 0)), int(placement.image.get(Name.Height, 0))
    if not (width_in and height_in and pixels_w and pixels_h):
        return None
    return min(pixels_w / width_in, pixels_h / height_in)


def _check_rgb(pdf: pikepdf.Pdf, usage: _Usage, *, strict: bool) -> _Check:
    """No RGB images, RGB transparency groups or RGB colour operators (failures in a PDF/X file)."""
    findings = _rgb_images(pdf, usage) + _rgb_groups(pdf)
    findings += _grouped_by_pages(usage.rgb_operators)
    findings = list(_unique(findings))
    name = "no RGB images, transparency groups or colour operators"
    return _Check(name, tuple(findings)) if strict else _Check(name, warnings=tuple(findings))


def _grouped_by_pages(found: tuple[tuple[int, str], ...] | list[tuple[int, str]]) -> list[str]:
    """One 'pages 1-3, 5: what' line per kind of finding."""
    pages: dict[str, list[int]] = {}
    for number, what in found:
        pages.setdefault(what, []).append(number)
    return [f"{_page_list(numbers)}: {what}" for what, numbers in pages.items()]


def _page_list(numbers: list[int]) -> str:
    """'page 3' or 'pages 1-4, 7' for a list of page numbers."""
    numbers = sorted(set(numbers))
    runs, start, previous = [], numbers[0], numbers[0]
    for number in numbers[1:]:
        if number != previous + 1:
            runs.append(_run(start, previous))
            start = number
        previous = number
    runs.append(_run(start, previous))
    return f"page {runs[0]}" if len(numbers) == 1 else f"pages {', '.join(runs)}"


def _run(start: int, end: int) -> str:
    """'3' or '3-5'."""
    return f"{start}" if start == end else f"{start}-{end}"


def _rgb_images(pdf: pikepdf.Pdf, usage: _Usage) -> list[str]:
    """RGB images: where drawn, else (patterns, unused) the first page whose resources hold them."""
    found: list[str] = []
    seen: set = set()
    for placement in usage.placements:
        found += _rgb_image(placement.page, placement.name, placement.image, seen)
    for number, resources in resource_dicts(pdf):
        for key, xobject in xobjects(resources):
            if xobject.get(Name.Subtype) == Name.Image:
                found += _rgb_image(number, key, xobject, seen)
    return found


def _rgb_image(number: int, key: str, image: pikepdf.Object, seen: set) -> list[str]:
    """A one-item list naming an RGB image the first time it is met, else []."""
    if not isinstance(image, pikepdf.Stream) or image.objgen in seen:
        return []
    seen.add(image.objgen)
    space = rgb_space(image.get(Name.ColorSpace))
    return [f"page {number}: RGB image {key} ({space})"] if space else []


def _rgb_groups(pdf: pikepdf.Pdf) -> list[str]:
    """Transparency groups (page or form) whose blending space /CS is RGB."""
    found = []
    for number, page in enumerate(pdf.pages, start=1):
        space = _group_rgb(page.obj)
        if space:
            found.append(f"page {number}: page transparency group in {space}")
    for number, owner, key in content_objects(pdf):
        space = _group_rgb(owner)
        if space:
            found.append(f"page {number}: transparency group in {space} (form {key})")
    return found


def _group_rgb(owner: pikepdf.Object) -> str | None:
    """The RGB blending colour space of an object's /Group, if any."""
    if not _is_transparency_group(owner):
        return None
    return rgb_space(owner.Group.get(Name.CS))


# ---- walking the object graph --------------------------------------------------------------


def _content_usage(pdf: pikepdf.Pdf) -> _Usage:
    """Walk every page's content (into forms) collecting drawn images and RGB colour operators."""
    placements: list[_Placement] = []
    rgb: list[tuple[int, str]] = []
    spaces: list[tuple[int, str]] = []
    for number, page in enumerate(pdf.pages, start=1):
        resources = page.obj.get(Name.Resources, pikepdf.Dictionary())
        _walk(page.obj, resources, IDENTITY, number, placements, rgb, (), spaces)
    return _Usage(tuple(placements), tuple(dict.fromkeys(rgb)), tuple(dict.fromkeys(spaces)))


def _walk(owner, resources, ctm: Matrix, number: int, placements: list, rgb: list, path: tuple, spaces: list) -> None:
    """Interpret q/Q/cm/Do and colour operators of one content stream, recursing into forms."""
    stack = []
    for instruction in pikepdf.parse_content_stream(owner):
        op, operands = str(instruction.operator), instruction.operands
        if op == "q":
            stack.append(ctm)
        elif op == "Q" and stack:
            ctm = stack.pop()
        elif op == "cm" and len(operands) == 6:
            ctm = _multiply(_matrix(operands), ctm)
        elif op in ("rg", "RG"):
            rgb.append((number, f"RGB colour operator {op}"))
        elif op in ("cs", "CS") and operands:
            _select_space(operands[0], op, resources, number, rgb, spaces)
        elif op == "INLINE IMAGE":
            _inline_image(operands[0], resources, ctm, number, placements, rgb)
        elif op == "Do" and operands:
            _draw(operands[0], resources, ctm, number, placements, rgb, path, spaces)


def _select_space(name, op: str, resources, number: int, rgb: list, spaces: list) -> None:
    """Record an RGB colour space, and any space outside device CMYK/grey/spot, selected by cs/CS."""
    if rgb_space(name, resources):
        rgb.append((number, f"RGB colour space {name} ({op})"))
    space = name if name in (Name.DeviceCMYK, Name.DeviceGray, Name.DeviceRGB, Name.Pattern) else named_space(name, resources)
    if space is not None and not device_space(space):
        spaces.append((number, f"colour space {name} ({_family(space)})"))


def _draw(name, resources, ctm: Matrix, number: int, placements: list, rgb: list, path: tuple, spaces: list) -> None:
    """Record a drawn image or walk into a drawn form XObject."""
    xobject = resources.get(Name.XObject, {}).get(name) if isinstance(resources, pikepdf.Dictionary) else None
    if not isinstance(xobject, pikepdf.Stream):
        return
    if xobject.get(Name.Subtype) == Name.Image:
        placements.append(_Placement(number, str(name), xobject, ctm))
    elif xobject.get(Name.Subtype) == Name.Form and xobject.objgen not in path:
        matrix = _matrix(xobject.get(Name.Matrix, IDENTITY))
        inner = xobject.get(Name.Resources, resources)
        _walk(xobject, inner, _multiply(matrix, ctm), number, placements, rgb, path + (xobject.objgen,), spaces)


def _inline_image(image, resources, ctm: Matrix, number: int, placements: list, rgb: list) -> None:
    """Record an inline image's placement and flag an RGB one."""
    obj = image.obj
    width, height = obj.get(Name.W, obj.get(Name.Width)), obj.get(Name.H, obj.get(Name.Height))
    placements.append(_Placement(number, "inline image", pikepdf.Dictionary(Width=width or 0, Height=height or 0), ctm))
    if rgb_space(obj.get(Name.CS, obj.get(Name.ColorSpace)), resources):
        rgb.append((number, "RGB inline image"))


def _matrix(values) -> Matrix:  # type: ignore[no-untyped-def]
    """Six PDF numbers as a Matrix."""
    a, b, c, d, e, f = (float(v) for v in values)
    return a, b, c, d, e, f


def _multiply(m: Matrix, n: Matrix) -> Matrix:
    """The PDF matrix product m × n (apply m, then n)."""
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D,
            e * A + f * C + E, e * B + f * D + F)
