"""Print production: the press-ready print PDF (output intent, marks, overprint), saddle-stitch imposition (home booklet,
press sheets with creep) and the print shop's job ticket."""
from __future__ import annotations

import hashlib
import io
import re
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
    return _save(out, print_pdf, version=source.pdf_version)


def impose_press(print_pdf: bytes, bleed_pt: float, caliper_pt: float = 0.0, slug: tuple[str, str] | None = None) -> bytes:
    """Printer spreads for the press: each sheet side two pages in saddle-stitch order meeting at the fold, with their
    bleed on the three outer edges, crop marks at the trim and fold marks at the spine in registration colour outside
    the bleed, a slug line, and creep compensation: a page on a sheet with N sheets outside it is moved N × caliper
    towards the spine (the fold pushes inner pages out at the fore-edge by about that)."""
    source = _open(print_pdf)
    order = _booklet_order(len(source.pages))
    trim_w, trim_h = _common_trim(source)
    margin = bleed_pt + MARK_ROOM_PT
    sheet = (2 * trim_w + 2 * margin, trim_h + 2 * margin)
    spine = sheet[0] / 2
    out = pikepdf.new()
    registration = _registration_colour(out)
    forms = [_bleed_form(out, page, bleed_pt) for page in source.pages]
    sheets = len(order) // 2
    for side, (left, right) in enumerate(order):
        creep = min(side // 2, sheets - 1) * caliper_pt
        page = out.add_blank_page(page_size=sheet)
        trim = (spine - trim_w, margin, spine + trim_w, margin + trim_h)
        bleed = (trim[0] - bleed_pt, trim[1] - bleed_pt, trim[2] + bleed_pt, trim[3] + bleed_pt)
        page.obj.TrimBox, page.obj.BleedBox = pikepdf.Array(trim), pikepdf.Array(bleed)
        page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(L=forms[left - 1], R=forms[right - 1]),
                                                ColorSpace=pikepdf.Dictionary({str(REGISTRATION): registration}))
        ops = [_placed(Name.L, source.pages[left - 1], (bleed[0], bleed[1], spine, bleed[3]), trim[0] + creep, trim[1]),
               _placed(Name.R, source.pages[right - 1], (spine, bleed[1], bleed[2], bleed[3]), spine - creep, trim[1]),
               _spread_marks((0, 0, *sheet), bleed, trim, spine)]
        page.obj.Contents = out.make_stream("\n".join(ops).encode())
        if slug:
            side_name = "front" if side % 2 == 0 else "back"
            where = f"sheet {side // 2 + 1} {side_name}: pages {left}, {right}{SLUG_SEPARATOR}creep {creep / POINTS_PER_INCH:.4f} in"
            slug_line(out, page, _slug(slug, where), (0, 0, *sheet), bleed)
    _copy_catalog_extras(source, out)
    return _save(out, print_pdf, version=source.pdf_version)


MARK_ROOM_PT = 0.25 * POINTS_PER_INCH  # slug and marks outside the bleed on a press sheet (config.MARKS_IN)


def _bleed_form(out: pikepdf.Pdf, page: pikepdf.Page, bleed_pt: float) -> pikepdf.Object:
    """The page as a form XObject showing its bleed (pikepdf's form is cut at the TrimBox)."""
    form = out.copy_foreign(page.as_form_xobject())
    x0, y0, x1, y1 = _box(page, "trimbox")
    form.BBox = pikepdf.Array([x0 - bleed_pt, y0 - bleed_pt, x1 + bleed_pt, y1 + bleed_pt])
    return form


def _placed(name: pikepdf.Name, page: pikepdf.Page, clip: tuple, trim_x: float, trim_y: float) -> str:
    """Draw a page form with its trim's lower-left corner at (trim_x, trim_y), clipped to its half of the spread."""
    x0, y0, _, _ = _box(page, "trimbox")
    cx0, cy0, cx1, cy1 = clip
    return (f"q {cx0:.3f} {cy0:.3f} {cx1 - cx0:.3f} {cy1 - cy0:.3f} re W n "
            f"1 0 0 1 {trim_x - x0:.3f} {trim_y - y0:.3f} cm {name} Do Q")


def _spread_marks(media: tuple, bleed: tuple, trim: tuple, spine: float) -> str:
    """Crop marks at the spread's trim corners and fold marks at the spine, in registration colour, outside the bleed."""
    mx0, my0, mx1, my1 = media
    bx0, by0, bx1, by1 = bleed
    tx0, ty0, tx1, ty1 = trim
    gap = MARK_GAP_PT
    ops = ["q", f"{REGISTRATION} CS 1 SCN", "0.25 w"]
    for x in (tx0, spine, tx1):
        ops += [f"{x:.3f} {my0:.3f} m {x:.3f} {by0 - gap:.3f} l S", f"{x:.3f} {by1 + gap:.3f} m {x:.3f} {my1:.3f} l S"]
    for y in (ty0, ty1):
        ops += [f"{mx0:.3f} {y:.3f} m {bx0 - gap:.3f} {y:.3f} l S", f"{bx1 + gap:.3f} {y:.3f} m {mx1:.3f} {y:.3f} l S"]
    ops.append("Q")
    return "\n".join(ops)


def finish_print_pdf(pdf: bytes, bleed_pt: float, marks: bool, pdfx: str = "pdf/x-4", paper: str = "",
                     slug: tuple[str, str] | None = None) -> bytes:
    """Make WeasyPrint's PDF press-ready: the output intent of the stock's coating (`paper`), BleedBox `bleed_pt`
    beyond the TrimBox, no link annotations, CMYK images, 100% K fills overprinting; with marks, paper-white outside
    the bleed, crop marks and registration targets in registration colour and a slug line (`slug`, then the page) outside
    the trim; for PDF/X-1a, no transparency (images flattened on paper white, opaque groups dropped)."""
    if paper:
        pdf = _with_output_intent(pdf, coating_of(paper))
    doc = _open(rgb_black_to_k(pdf))  # greys as K, other RGB vector colours (an SVG's) in the press's CMYK
    overprint_black(doc)
    x1a = pdfx == "pdf/x-1a"
    pdfx_fixes.images_to_cmyk(doc, flatten=x1a)
    if x1a:
        pdfx_fixes.flatten_for_x1a(doc)
    registration = _registration_colour(doc) if marks else None
    for number, page in enumerate(doc.pages, start=1):
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
            if slug:
                slug_line(doc, page, _slug(slug, f"page {number}"), media, bleed)
    return _save(doc, pdf)


def coating_of(paper: str) -> str:
    """'coated' or 'uncoated' (a key of config.OUTPUT_CONDITIONS) from the stock's words; text stock is uncoated."""
    words = set(re.findall(r"[a-z]+", paper.lower()))
    if "uncoated" in words or "offset" in words or "bond" in words:
        return "uncoated"
    return "coated" if words & {"coated", "gloss", "silk", "matte", "satin", "dull"} else "uncoated"


def stock_of(paper: str) -> dict:
    """The stock as the job ticket states it: weight (as given, and in g/m² for a text/cover basis), coating, colour."""
    from brochure.source.config import OUTPUT_CONDITIONS

    found = re.search(r"(\d+(?:\.\d+)?)\s*(lb|#|gsm|g/m2|g/m²|g)\b\.?\s*(text|cover|book|offset|bond)?", paper, re.IGNORECASE)
    weight: dict = {}
    if found:
        value, unit, basis = float(found[1]), found[2].lower(), (found[3] or "text").lower()
        grams = value if unit.startswith("g") else value * LB_TO_GSM.get(basis, LB_TO_GSM["text"])
        weight = {"value": value, "unit": "lb" if unit in ("lb", "#") else "g/m2", "basis": basis, "gsm": round(grams)}
    colour = next((word for word in ("white", "natural", "cream", "ivory", "recycled") if word in paper.lower()), "white")
    coating = coating_of(paper)
    return {"description": paper, "weight": weight, "coating": coating, "colour": colour,
            "condition": OUTPUT_CONDITIONS[coating][1]}


LB_TO_GSM = {"text": 1.4805, "book": 1.4805, "offset": 1.4805, "cover": 2.7042, "bond": 3.7597}  # US basis weights


def _with_output_intent(pdf: bytes, coating: str) -> bytes:
    """The PDF with the output intent of the coating's press condition (profile, registry name, condition)."""
    from brochure.assets import STYLES
    from brochure.source.config import ICC_REGISTRY, OUTPUT_CONDITIONS

    doc = _open(pdf)
    profile, identifier, condition = OUTPUT_CONDITIONS[coating]
    pdfx_fixes.set_output_intent(doc, (STYLES / "icc" / profile).read_bytes(), identifier, condition, ICC_REGISTRY)
    return _save(doc, pdf)


OVERPRINT = Name("/BrochureOverprint")
KNOCKOUT = Name("/BrochureKnockout")
_FILL_COLOUR_OPERATORS = {"k", "g", "rg", "sc", "scn"}


def overprint_black(doc: pikepdf.Pdf) -> None:
    """Set 100% K fills (black text, rules) to overprint (OPM 1): the plates under them are not knocked out, so a
    hair of misregistration shows no white edge. Every other fill colour knocks out as before."""
    on = doc.make_indirect(pikepdf.Dictionary(Type=Name.ExtGState, op=True, OPM=1))
    off = doc.make_indirect(pikepdf.Dictionary(Type=Name.ExtGState, op=False, OPM=1))
    owners: list[pikepdf.Object] = [page.obj for page in doc.pages]
    owners += [form for _, form, _ in content_objects(doc) if form.get(Name.Subtype) == Name.Form]
    for owner in owners:
        data = _overprinted(owner)
        if data is None:
            continue
        resources = owner.get(Name.Resources)
        if resources is None:
            owner.Resources = resources = pikepdf.Dictionary()
        if Name.ExtGState not in resources:
            resources.ExtGState = pikepdf.Dictionary()
        resources.ExtGState[OVERPRINT] = on
        resources.ExtGState[KNOCKOUT] = off
        if isinstance(owner, pikepdf.Stream):
            owner.write(data)
        else:
            owner.Contents = doc.make_stream(data)


def _is_full_black(operator: str, operands, space) -> bool:  # type: ignore[no-untyped-def]
    """True for a fill colour of 100% K and nothing else: `0 0 0 1 k`, or `0 0 0 1 scn` in /DeviceCMYK."""
    cmyk = operator == "k" or (operator in ("sc", "scn") and space == Name.DeviceCMYK)
    return cmyk and len(operands) == 4 and [float(v) for v in operands] == [0, 0, 0, 1]


def _overprinted(owner: pikepdf.Object) -> bytes | None:
    """The content with `/BrochureOverprint gs` before each fill painted in 100% K (text, rules, solids) and
    `/BrochureKnockout gs` before the next other fill, form, shading or image, or None when nothing is 100% K."""
    rewritten: list = []
    overprint = black = False  # overprint on in the graphics state; the fill colour is 100% K
    space: object = None  # the fill colour space set by cs (WeasyPrint sets device-cmyk() as /DeviceCMYK cs … scn)
    saved: list[tuple[bool, bool, object]] = []
    changed = False
    for instruction in pikepdf.parse_content_stream(owner):
        operator = str(instruction.operator)
        if operator == "q":
            saved.append((overprint, black, space))
        elif operator == "Q" and saved:
            overprint, black, space = saved.pop()  # Q restores what its q saved
        elif operator == "cs":
            space, black = (instruction.operands[0] if instruction.operands else None), False
        elif operator in _FILL_COLOUR_OPERATORS:
            black = _is_full_black(operator, instruction.operands, space)
        wanted = black if operator in _FILL_PAINT_OPERATORS else False if operator in _OTHER_PAINT_OPERATORS else overprint
        if wanted != overprint:
            rewritten.append(([OVERPRINT if wanted else KNOCKOUT], pikepdf.Operator("gs")))
            overprint, changed = wanted, True
        rewritten.append(instruction)
    return pikepdf.unparse_content_stream(rewritten) if changed else None


_FILL_PAINT_OPERATORS = {"Tj", "TJ", "'", '"', "f", "F", "f*", "B", "B*", "b", "b*"}
_OTHER_PAINT_OPERATORS = {"Do", "sh", "INLINE IMAGE"}  # a form, shading or image paints as it always did


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
    """PDF operators: white outside the bleed (the page background runs to the media edge), crop marks in registration
    colour (every plate) from the media edge to MARK_GAP_PT short of the bleed, then a registration target centred on
    each side, between the bleed and the media edge."""
    mx0, my0, mx1, my1 = media
    bx0, by0, bx1, by1 = bleed
    tx0, ty0, tx1, ty1 = trim
    frame = [(mx0, my0, mx1 - mx0, by0 - my0), (mx0, by1, mx1 - mx0, my1 - by1), (mx0, by0, bx0 - mx0, by1 - by0), (bx1, by0, mx1 - bx1, by1 - by0)]
    ops = ["q", "0 0 0 0 k"] + [f"{x:.3f} {y:.3f} {w:.3f} {h:.3f} re f" for x, y, w, h in frame] + ["Q", "q", f"{REGISTRATION} CS 1 SCN", "0.25 w"]
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
               marks: tuple[str, ...] = ("crop", "registration"), quantity: int = 0, proof: str = "pdf",
               due: str = "", contact: dict | None = None, files: dict[str, bytes] | None = None,
               caliper_in: float = 0.0) -> dict:
    """Describe the print job for the shop as a JSON-able dict (writes nothing): what to print (the file, its pages,
    trim, bleed, colour and press condition), on what (the stock), how many, how to finish it, the proof, who to ask,
    when it is due, and every file of the job with its SHA-256."""
    from brochure.source.config import OUTPUT_CONDITIONS

    if binding not in BINDINGS:
        raise ValueError(f"binding must be one of {', '.join(BINDINGS)}, got {binding!r}")
    stock = stock_of(paper)
    _, identifier, condition = OUTPUT_CONDITIONS[stock["coating"]]
    pages = len(_open(pdf).pages)
    name = file_name or f"{publication_id}-print.pdf"
    ticket = {
        "title": title,
        "id": publication_id,
        "file": name,
        "sha256": hashlib.sha256(pdf).hexdigest(),
        "bytes": len(pdf),
        "pages": pages,
        "trim": {"in": list(trim_in), "pt": [_to_pt(v) for v in trim_in]},
        "bleed": {"in": bleed_in, "pt": _to_pt(bleed_in)},
        "profile": profile,
        "marks": list(marks),
        "binding": binding,
        "colour": "CMYK 4/4",
        "pdfx": pdfx_version,
        "paper": paper,
        "stock": stock,
        "output_condition": {"identifier": identifier, "registry": "http://www.color.org", "condition": condition},
        "quantity": quantity or None,
        "proof": {"pdf": "PDF soft proof", "hard": "hard-copy contract proof", "none": "no proof"}.get(proof, proof),
        "finishing": _finishing(binding, trim_in, pages),
        "layout": "single pages in reading order, cover included",
        "files": {file: {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data), "use": FILE_USES.get(file.rsplit("-", 1)[-1], "")}
                  for file, data in sorted((files or {name: pdf}).items())},
        "imposed": {"creep_per_sheet_in": caliper_in, "sheets": pages // 4} if binding == "saddle-stitch" else None,
        "booklet": {"duplex": "print both sides, flip on short edge", "sheet": "US Letter landscape, 2-up",
                    "note": "for printing at home or in the office: no bleed, no marks"} if binding == "saddle-stitch" else None,
    }
    if contact:
        ticket["contact"] = {key: value for key, value in contact.items() if value}
    if due:
        ticket["due"] = due
    return ticket


FILE_USES = {"print.pdf": "the print PDF, single pages in reading order with trim, bleed and marks",
             "imposed.pdf": "press sheets: printer spreads in saddle-stitch order with bleed, marks and creep",
             "booklet.pdf": "home booklet: 2-up on US Letter, duplex flip on short edge",
             "print.jdf": "CIP4 JDF ticket for the same job"}


def _finishing(binding: str, trim_in: tuple[float, float], pages: int) -> dict:
    """How the printed sheets become the product."""
    if binding != "saddle-stitch":
        return {"binding": "none", "trim": list(trim_in)}
    return {"binding": "saddle stitch", "staples": 2, "fold": f"fold once to {trim_in[0]:g} x {trim_in[1]:g} in",
            "sheets": pages // 4, "trim": "three sides after stitching"}


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


def _save(doc: pikepdf.Pdf, seed: bytes, version: str = "") -> bytes:
    """Save deterministically with an /ID derived from the seed bytes' hash, at least at PDF `version` (an imposed file
    keeps its source's: a new pikepdf file says 1.3)."""
    file_id = pikepdf.String(hashlib.sha256(seed).digest()[:16])
    doc.trailer.ID = pikepdf.Array([file_id, file_id])
    buffer = io.BytesIO()
    doc.save(buffer, deterministic_id=True, compress_streams=True, min_version=version or doc.pdf_version,
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



def slug_line(doc: pikepdf.Pdf, page: pikepdf.Page, text: str, media: tuple, bleed: tuple) -> None:
    """The slug: `text` in K in the slug area below the bleed, from just right of the left crop mark to short of
    the bottom registration target (cut to fit)."""
    from brochure.editions.slug import draw_slug

    trim = tuple(float(v) for v in page.obj.TrimBox)
    left = trim[0] + 2 * MARK_GAP_PT
    right = (bleed[0] + bleed[2]) / 2 - TARGET_ARM_PT - 2 * MARK_GAP_PT
    draw_slug(doc, page, text, left, media[1] + (bleed[1] - media[1]) / 2 - 2, max_width=right - left)


def job_slug(pub) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """The slug's job and date (the publication's own date; an undated publication's slug names none, as no edition
    prints a date it was not given), and its title: 'JOB · DATE · page N · TITLE', so a long title is what gets cut."""
    date = f"{SLUG_SEPARATOR}{pub.metadata.date.isoformat()}" if pub.metadata.date else ""
    return f"{pub.metadata.id}{date}", pub.metadata.title


SLUG_SEPARATOR = "  \u00b7  "


def _slug(job: tuple[str, str], where: str) -> str:
    return f"{job[0]}{SLUG_SEPARATOR}{where}{SLUG_SEPARATOR}{job[1]}"
