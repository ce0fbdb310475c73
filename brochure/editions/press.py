"""Print production: saddle-stitch imposition, CMYK crop marks and the print shop's job ticket."""
from __future__ import annotations

import hashlib
import io
from decimal import Decimal

import pikepdf
from pikepdf import Name

from brochure.editions import pdfx as pdfx_fixes
from brochure.errors import BrochureError
from brochure.pdfgraph import content_objects

POINTS_PER_INCH = 72
LETTER_LANDSCAPE_PT = (792, 612)
BINDINGS = ("saddle-stitch", "flat")
_RGB_OPERATORS = {"rg": "k", "RG": "K"}


def saddle_stitch_order(page_count: int) -> list[tuple[int, int]]:
    """Return (left, right) 1-based page numbers for each sheet side, outer sheet front first."""
    if page_count <= 0 or page_count % 4:
        raise ValueError(f"saddle stitch needs a page count that is a multiple of 4, got {page_count}")
    order = []
    for side in range(page_count // 2):
        low, high = side + 1, page_count - side
        order.append((high, low) if side % 2 == 0 else (low, high))
    return order


def impose_booklet(print_pdf: bytes, sheet_size_pt: tuple[float, float] = LETTER_LANDSCAPE_PT) -> bytes:
    """Place the print PDF's trimmed pages 2-up on landscape sheets in saddle-stitch order."""
    source = _open(print_pdf)
    order = _booklet_order(len(source.pages))
    trim = _common_trim(source)
    sheet_w, sheet_h = sheet_size_pt
    if trim[0] * 2 > sheet_w + 0.01 or trim[1] > sheet_h + 0.01:
        raise BrochureError(
            f"trim {_fmt_pt(trim)} does not fit 2-up on a {_fmt_pt(sheet_size_pt)} sheet")
    out = pikepdf.new()
    forms = [out.copy_foreign(page.as_form_xobject()) for page in source.pages]
    for left, right in order:
        _add_sheet_side(out, sheet_size_pt, trim, forms[left - 1], forms[right - 1])
    _copy_catalog_extras(source, out)
    return _save(out, print_pdf)


def finish_print_pdf(pdf: bytes, bleed_pt: float, marks: bool, pdfx: str = "pdf/x-4") -> bytes:
    """Make WeasyPrint's PDF press-ready: BleedBox `bleed_pt` beyond the TrimBox, no link annotations,
    CMYK images; with marks, paper-white outside the bleed, K crop marks and registration targets;
    for PDF/X-1a, no transparency (images flattened on paper white, opaque groups dropped)."""
    doc = _open(rgb_black_to_k(pdf))  # greys as K, other RGB vector colours (an SVG's) in the press's CMYK
    x1a = pdfx == "pdf/x-1a"
    pdfx_fixes.images_to_cmyk(doc, flatten=x1a)
    if x1a:
        pdfx_fixes.flatten_for_x1a(doc)
    registration = _registration_colour(doc) if marks else None
    for page in doc.pages:
        _drop_links(page)
        trim = tuple(float(v) for v in page.obj.TrimBox)
        bleed = (trim[0] - bleed_pt, trim[1] - bleed_pt, trim[2] + bleed_pt, trim[3] + bleed_pt)
        page.obj.BleedBox = pikepdf.Array(bleed)
        if registration is not None:
            media = tuple(float(v) for v in page.obj.MediaBox)
            page.add_resource(registration, Name.ColorSpace, REGISTRATION)
            # WeasyPrint leaves its flipped CTM in force: isolate its content before drawing ours
            page.contents_add(b"q\n", prepend=True)
            page.contents_add(b"Q\n" + _frame_and_marks(media, bleed, trim), prepend=False)
    return _save(doc, pdf)


REGISTRATION = Name("/Registration")
MARK_GAP_PT = 3.0  # marks keep this clear of the bleed
TARGET_RADIUS_PT = 4.0
TARGET_ARM_PT = 6.0


def _registration_colour(doc: pikepdf.Pdf) -> pikepdf.Object:
    """The registration colour: a /Separation /All space, printed on every plate (tint 1 = 100% CMYK)."""
    tint = pikepdf.Dictionary(FunctionType=2, Domain=[0, 1], C0=[0, 0, 0, 0], C1=[1, 1, 1, 1], N=1)
    return doc.make_indirect(pikepdf.Array([Name.Separation, Name.All, Name.DeviceCMYK, doc.make_indirect(tint)]))


def _drop_links(page: pikepdf.Page) -> None:
    """Remove link annotations: paper cannot be clicked (the print CSS prints each URL after its text)."""
    annotations = page.obj.get(Name.Annots)
    if annotations is None:
        return
    kept = [annot for annot in annotations if annot.get(Name.Subtype) != Name.Link]
    if kept:
        page.obj.Annots = pikepdf.Array(kept)
    else:
        del page.obj[Name.Annots]


def _frame_and_marks(media: tuple, bleed: tuple, trim: tuple) -> bytes:
    """PDF operators: white outside the bleed (the page background runs to the media edge), K crop marks,
    then a registration target centred on each side, between the bleed and the media edge."""
    mx0, my0, mx1, my1 = media
    bx0, by0, bx1, by1 = bleed
    tx0, ty0, tx1, ty1 = trim
    frame = [(mx0, my0, mx1 - mx0, by0 - my0), (mx0, by1, mx1 - mx0, my1 - by1), (mx0, by0, bx0 - mx0, by1 - by0), (bx1, by0, mx1 - bx1, by1 - by0)]
    ops = ["q", "0 0 0 0 k"] + [f"{x:.3f} {y:.3f} {w:.3f} {h:.3f} re f" for x, y, w, h in frame] + ["Q", "q", "0 0 0 1 K", "0.25 w"]
    gap = MARK_GAP_PT
    for x in (tx0, tx1):
        ops += [f"{x:.3f} {my0:.3f} m {x:.3f} {by0 - gap:.3f} l S", f"{x:.3f} {by1 + gap:.3f} m {x:.3f} {my1:.3f} l S"]
    for y in (ty0, ty1):
        ops += [f"{mx0:.3f} {y:.3f} m {bx0 - gap:.3f} {y:.3f} l S", f"{bx1 + gap:.3f} {y:.3f} m {mx1:.3f} {y:.3f} l S"]
    ops += ["Q", "q", f"{REGISTRATION} CS 1 SCN", "0.25 w"]
    for cx, cy in registration_centres(media, bleed):
        ops += _target(cx, cy)
    ops.append("Q")
    return "\n".join(ops).encode()


def registration_centres(media: tuple, bleed: tuple) -> list[tuple[float, float]]:
    """Centres of the registration targets: mid-slug on the top, bottom, left and right sides."""
    mx0, my0, mx1, my1 = media
    bx0, by0, bx1, by1 = bleed
    mid_x, mid_y = (bx0 + bx1) / 2, (by0 + by1) / 2
    return [(mid_x, (by1 + my1) / 2), (mid_x, (my0 + by0) / 2), ((mx0 + bx0) / 2, mid_y), ((bx1 + mx1) / 2, mid_y)]


def _target(cx: float, cy: float, r: float = TARGET_RADIUS_PT, arm: float = TARGET_ARM_PT) -> list[str]:
    """A registration target: a circle (four Bézier quarters) and a cross through its centre."""
    k = 0.5523 * r  # control-point distance for a quarter circle
    return [
        f"{cx + r:.3f} {cy:.3f} m",
        f"{cx + r:.3f} {cy + k:.3f} {cx + k:.3f} {cy + r:.3f} {cx:.3f} {cy + r:.3f} c",
        f"{cx - k:.3f} {cy + r:.3f} {cx - r:.3f} {cy + k:.3f} {cx - r:.3f} {cy:.3f} c",
        f"{cx - r:.3f} {cy - k:.3f} {cx - k:.3f} {cy - r:.3f} {cx:.3f} {cy - r:.3f} c",
        f"{cx + k:.3f} {cy - r:.3f} {cx + r:.3f} {cy - k:.3f} {cx + r:.3f} {cy:.3f} c S",
        f"{cx - arm:.3f} {cy:.3f} m {cx + arm:.3f} {cy:.3f} l S",
        f"{cx:.3f} {cy - arm:.3f} m {cx:.3f} {cy + arm:.3f} l S",
    ]


def rgb_black_to_k(pdf: bytes) -> bytes:
    """Rewrite DeviceRGB grey colour operators (r = g = b, e.g. WeasyPrint's crop marks) as K-only CMYK, and, in a
    PDF with a PDF/X output intent, every other RGB colour operator (an SVG's fills and strokes) as the CMYK of that
    press condition (sRGB to the output profile, relative colorimetric with black-point compensation)."""
    doc = _open(pdf)
    convert = _colour_converter(doc)
    for page in doc.pages:
        data = _grey_to_k(page.obj, convert)
        if data is not None:
            page.obj.Contents = doc.make_stream(data)
    for _, form, _ in content_objects(doc):
        if form.get(Name.Subtype) == Name.Form:  # forms only: a soft mask's greys are luminosity, not ink
            data = _grey_to_k(form, convert)
            if data is not None:
                form.write(data)
    return _save(doc, pdf)


def _colour_converter(doc: pikepdf.Pdf):  # type: ignore[no-untyped-def]
    """A function from an sRGB triple (0-1) to CMYK (0-1) in the output intent's press condition; None without one."""
    try:
        transform = pdfx_fixes.rgb_to_cmyk_transform(doc)
    except BrochureError:
        return None
    from PIL import Image

    known: dict[tuple[Decimal, ...], list[Decimal]] = {}

    def convert(rgb: tuple[Decimal, ...]) -> list[Decimal]:
        if rgb not in known:
            pixel = Image.new("RGB", (1, 1), tuple(round(float(v) * 255) for v in rgb))  # type: ignore[arg-type]
            known[rgb] = [Decimal(value) / 255 for value in transform.apply(pixel).getpixel((0, 0))]
        return [value.quantize(Decimal("0.0001")) for value in known[rgb]]

    return convert


def job_ticket(pdf: bytes, *, title: str, publication_id: str, binding: str, pdfx_version: str,
               trim_in: tuple[float, float], bleed_in: float, paper: str,
               file_name: str | None = None, profile: str = "offset",
               marks: tuple[str, ...] = ("crop", "registration")) -> dict:
    """Describe the print job for the shop as a JSON-able dict (writes nothing)."""
    if binding not in BINDINGS:
        raise ValueError(f"binding must be one of {', '.join(BINDINGS)}, got {binding!r}")
    return {
        "title": title,
        "id": publication_id,
        "file": file_name or f"{publication_id}-print.pdf",
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "bytes": len(pdf),
        "pages": len(_open(pdf).pages),
        "trim": {"in": list(trim_in), "pt": [_to_pt(v) for v in trim_in]},
        "bleed": {"in": bleed_in, "pt": _to_pt(bleed_in)},
        "profile": profile,
        "marks": list(marks),
        "binding": binding,
        "colour": "CMYK 4/4",
        "pdfx": pdfx_version,
        "paper": paper,
        "layout": "single pages in reading order, cover included",
    }


def _open(pdf: bytes) -> pikepdf.Pdf:
    """Open PDF bytes or raise a BrochureError."""
    try:
        return pikepdf.open(io.BytesIO(pdf))
    except pikepdf.PdfError as exc:
        raise BrochureError(f"not a readable PDF: {exc}") from exc


def _booklet_order(page_count: int) -> list[tuple[int, int]]:
    """Saddle-stitch order as a user error (not ValueError) for a bad page count."""
    try:
        return saddle_stitch_order(page_count)
    except ValueError as exc:
        raise BrochureError(f"cannot impose booklet: {exc}") from exc


def _box(page: pikepdf.Page, key: str) -> tuple[float, float, float, float]:
    """A page box as normalised (x0, y0, x1, y1) floats."""
    x0, y0, x1, y1 = (float(v) for v in getattr(page, key))
    return min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)


def _trim_size(page: pikepdf.Page) -> tuple[float, float]:
    """Width and height of the page's TrimBox (falls back to CropBox/MediaBox)."""
    x0, y0, x1, y1 = _box(page, "trimbox")
    return x1 - x0, y1 - y0


def _common_trim(pdf: pikepdf.Pdf) -> tuple[float, float]:
    """The trim size shared by every page, or BrochureError naming the first page that differs."""
    first = _trim_size(pdf.pages[0])
    for number, page in enumerate(pdf.pages, start=1):
        size = _trim_size(page)
        if abs(size[0] - first[0]) > 0.01 or abs(size[1] - first[1]) > 0.01:
            raise BrochureError(f"cannot impose booklet: page {number} trim {_fmt_pt(size)} "
                                f"differs from page 1 ({_fmt_pt(first)})")
    return first


def _fmt_pt(size: tuple[float, float]) -> str:
    """Format a size in points as 'W×H pt'."""
    return f"{size[0]:g}×{size[1]:g} pt"


def _to_pt(inches: float) -> float:
    """Inches to points, rounded to 1/1000 pt."""
    return round(inches * POINTS_PER_INCH, 3)


def _add_sheet_side(out: pikepdf.Pdf, sheet: tuple[float, float], trim: tuple[float, float],
                    left: pikepdf.Object, right: pikepdf.Object) -> None:
    """Append one sheet side with two trimmed pages meeting at the spine."""
    sheet_w, sheet_h = sheet
    trim_w, trim_h = trim
    spine, bottom = sheet_w / 2, (sheet_h - trim_h) / 2
    page = out.add_blank_page(page_size=sheet)
    spread = pikepdf.Array([spine - trim_w, bottom, spine + trim_w, bottom + trim_h])
    page.obj.TrimBox = spread
    page.obj.BleedBox = spread
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(L=left, R=right))
    content = b"".join((
        page.calc_form_xobject_placement(left, Name.L, pikepdf.Rectangle(spine - trim_w, bottom, spine, bottom + trim_h)),
        page.calc_form_xobject_placement(right, Name.R, pikepdf.Rectangle(spine, bottom, spine + trim_w, bottom + trim_h)),
    ))
    page.obj.Contents = out.make_stream(content)


def _copy_catalog_extras(source: pikepdf.Pdf, out: pikepdf.Pdf) -> None:
    """Carry the output intent and the title over to the imposed file."""
    if Name.OutputIntents in source.Root:
        intents = source.make_indirect(source.Root.OutputIntents)
        out.Root.OutputIntents = out.copy_foreign(intents)
    title = source.docinfo.get(Name.Title)
    if title is not None:
        out.docinfo[Name.Title] = pikepdf.String(str(title))


def _save(doc: pikepdf.Pdf, seed: bytes) -> bytes:
    """Save deterministically with an /ID derived from the seed bytes' hash."""
    file_id = pikepdf.String(hashlib.sha256(seed).digest()[:16])
    doc.trailer.ID = pikepdf.Array([file_id, file_id])
    buffer = io.BytesIO()
    doc.save(buffer, deterministic_id=True, compress_streams=True,
             object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    return buffer.getvalue()


def _grey_to_k(owner: pikepdf.Object, convert=None) -> bytes | None:  # type: ignore[no-untyped-def]
    """Content of a page or form with `g g g rg`/`RG` as `0 0 0 1-g k`/`K` (and, with `convert`, any other
    `r g b rg`/`RG` as its CMYK), or None if unchanged."""
    changed = False
    rewritten: list = []
    for instruction in pikepdf.parse_content_stream(owner):
        black = _rgb_grey_level(instruction)
        rgb = str(instruction.operator) in _RGB_OPERATORS and len(instruction.operands) == 3
        if black is not None:
            rewritten.append(([0, 0, 0, black], pikepdf.Operator(_RGB_OPERATORS[str(instruction.operator)])))
            changed = True
        elif rgb and convert is not None:
            cmyk = convert(tuple(Decimal(str(value)) for value in instruction.operands))
            rewritten.append((cmyk, pikepdf.Operator(_RGB_OPERATORS[str(instruction.operator)])))
            changed = True
        else:
            rewritten.append(instruction)
    return pikepdf.unparse_content_stream(rewritten) if changed else None


def _rgb_grey_level(instruction) -> Decimal | None:
    """The K level (1 - grey) of an `rg`/`RG` instruction whose three values are equal, else None."""
    if str(instruction.operator) not in _RGB_OPERATORS or len(instruction.operands) != 3:
        return None
    levels = {Decimal(str(value)) for value in instruction.operands}
    return 1 - levels.pop() if len(levels) == 1 else None
