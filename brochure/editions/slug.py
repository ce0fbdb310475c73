"""The slug line: job name, date and page in small type outside the trim, set in a subset of a shipped font.

Drawn with pikepdf after WeasyPrint (whose margin boxes stop at the trim), so the font is embedded here: a
TrueType subset of Noto Sans holding only the slug's characters, as a simple font with WinAnsi encoding (PDF/X
needs every font embedded). Characters WinAnsi cannot encode print as '?'.
"""
from __future__ import annotations

import io
from functools import cache

import pikepdf
from pikepdf import Name

SLUG_FONT = "NotoSans-Regular.ttf"
# Every character WinAnsi encodes from the space on (its five unassigned codes aside): the one subset all slugs share.
WINANSI = "".join(sorted({bytes([code]).decode("cp1252") for code in range(32, 256) if code not in (0x7F, 0x81, 0x8D, 0x8F, 0x90, 0x9D)}))
SLUG_SIZE_PT = 6.0
FONT_RESOURCE = Name("/BrochureSlug")


def slug_text(text: str) -> str:
    """The text as the slug can set it: WinAnsi characters, others as '?', no control characters."""
    kept = "".join(ch if ch.isprintable() else " " for ch in text)
    return kept.encode("cp1252", errors="replace").decode("cp1252")


def draw_slug(doc: pikepdf.Pdf, page: pikepdf.Page, text: str, x: float, y: float, max_width: float = 1e9,
              colour_ops: str = "0 0 0 1 k") -> None:
    """Set `text` on the page at (x, y) (its baseline start) in SLUG_SIZE_PT type, cut with '...' to max_width."""
    text = _fitted(slug_text(text), max_width)
    font = _font_object(doc, WINANSI)  # one subset for every slug: a subset per page cost 0.9 s each
    page.add_resource(font, Name.Font, FONT_RESOURCE)
    literal = "".join(f"\\{byte:03o}" for byte in text.encode("cp1252"))  # octal escapes: any byte is safe in ( )
    page.contents_add(f"q {colour_ops} BT {FONT_RESOURCE} {SLUG_SIZE_PT:g} Tf {x:.3f} {y:.3f} Td ({literal}) Tj ET Q\n".encode("ascii"))


def _fitted(text: str, max_width: float) -> str:
    """The text, or its start and '...', no wider than max_width at SLUG_SIZE_PT."""
    advances = _advances()

    def width(candidate: str) -> float:
        return sum(advances.get(ord(ch), 600) for ch in candidate) * SLUG_SIZE_PT / 1000

    if width(text) <= max_width:
        return text
    while text and width(text + "...") > max_width:
        text = text[:-1]
    return text.rstrip() + "..."


def _font_object(doc: pikepdf.Pdf, characters: str) -> pikepdf.Object:
    """A TrueType font dictionary (with its descriptor and subset program) for these characters, once per file."""
    cached = getattr(doc, "_brochure_slug_fonts", {})
    if characters not in cached:
        program, widths, metrics = _subset(characters)
        first, last = 32, 255
        stream = doc.make_stream(program)
        stream.Length1 = len(program)
        descriptor = pikepdf.Dictionary(Type=Name.FontDescriptor, FontName=Name("/BRSLUG+NotoSans"), Flags=32,
                                        FontBBox=list(metrics["bbox"]), ItalicAngle=0, Ascent=metrics["ascent"],
                                        Descent=metrics["descent"], CapHeight=metrics["cap"], StemV=80, FontFile2=stream)
        cached[characters] = doc.make_indirect(pikepdf.Dictionary(
            Type=Name.Font, Subtype=Name.TrueType, BaseFont=Name("/BRSLUG+NotoSans"), FirstChar=first, LastChar=last,
            Widths=[widths.get(code, 0) for code in range(first, last + 1)], Encoding=Name.WinAnsiEncoding,
            FontDescriptor=doc.make_indirect(descriptor)))
        doc._brochure_slug_fonts = cached  # type: ignore[attr-defined]
    return cached[characters]


@cache
def _advances() -> dict[int, int]:
    """Every character's advance width in the slug font, in 1/1000 em."""
    from fontTools.ttLib import TTFont

    from brochure.assets import STYLES

    font = TTFont(STYLES / "fonts" / SLUG_FONT, lazy=True)
    scale = 1000 / font["head"].unitsPerEm
    return {code: round(font["hmtx"][glyph][0] * scale) for code, glyph in font.getBestCmap().items()}


@cache
def _subset(characters: str) -> tuple[bytes, dict[int, int], dict]:
    """The font program subset to the characters, their widths (per WinAnsi code, in 1/1000 em) and its metrics:
    made once (fontTools takes ~0.9 s to read Noto Sans) and kept in the cache folder."""
    import marshal

    from brochure import cache as build_cache
    from brochure.assets import font_stamps

    path = build_cache.entry("glyphs", "\n".join(["slug font", SLUG_FONT, characters, *font_stamps()]), ".marshal")
    return marshal.loads(build_cache.remembered(path, lambda: marshal.dumps(_made_subset(characters))))  # noqa: S302 - our own cache


def _made_subset(characters: str) -> tuple[bytes, dict[int, int], dict]:
    from fontTools import subset
    from fontTools.ttLib import TTFont

    from brochure.assets import STYLES

    font = TTFont(STYLES / "fonts" / SLUG_FONT, recalcTimestamp=False)  # the same bytes every build
    options = subset.Options()
    options.notdef_outline = True
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=characters)
    subsetter.subset(font)
    scale = 1000 / font["head"].unitsPerEm
    cmap = font.getBestCmap()
    widths = {}
    for ch in characters:
        glyph = cmap.get(ord(ch))
        if glyph is not None:
            widths[ch.encode("cp1252")[0]] = round(font["hmtx"][glyph][0] * scale)
    head, os2 = font["head"], font["OS/2"]
    metrics = {"bbox": [round(v * scale) for v in (head.xMin, head.yMin, head.xMax, head.yMax)],
               "ascent": round(os2.sTypoAscender * scale), "descent": round(os2.sTypoDescender * scale),
               "cap": round(getattr(os2, "sCapHeight", 714) * scale)}
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue(), widths, metrics
