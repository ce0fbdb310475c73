"""The cover picture for the EPUB and the catalog: the PDF's cover page, rasterised (build.py caches it by content)."""
from __future__ import annotations

import io

COVER_WIDTH_PX = 1200
THUMB_WIDTH_PX = 300


def rasterise_first_page(pdf: bytes, width_px: int = COVER_WIDTH_PX) -> bytes:
    """PNG of a PDF's first page at the given width (deterministic for the same PDF)."""
    return rasterise_page(pdf, 0, width_px)


def rasterise_page(pdf: bytes, index: int, width_px: int) -> bytes:
    """PNG of one page of a PDF (0-based index) at the given width."""
    import pypdfium2  # lazily: the EPUB path with a cached cover never needs it
    document = pypdfium2.PdfDocument(pdf)
    try:
        page = document[index]
        scale = width_px / page.get_width()
        image = page.render(scale=scale).to_pil().convert("RGB")
    finally:
        document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def thumbnail(png: bytes, width_px: int = THUMB_WIDTH_PX) -> bytes:
    """A smaller PNG for catalog listings."""
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    height = round(image.height * width_px / image.width)
    out = io.BytesIO()
    image.resize((width_px, height), Image.Resampling.LANCZOS).save(out, format="PNG", optimize=True)
    return out.getvalue()
