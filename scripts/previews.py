"""Render the README's previews (docs/cover.png, docs/inside-page.png) from the PML download PDF,
docs/large-print.png from its large-print edition, and docs/epub-mupdf.png, its EPUB in a second engine (MuPDF's
mutool, at phone width).

Usage: python scripts/previews.py [PDF]   (default: build the PML download PDF in a temporary folder)
tests/test_docs.py, tests/test_large_print.py and tests/test_readers.py check the committed previews are these renders of the current PDFs.
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from brochure.editions.cover import rasterise_page

ROOT = Path(__file__).resolve().parent.parent
PREVIEWS = {"cover.png": 0, "inside-page.png": 1}  # file under docs/ → page index
LARGE_PRINT_PREVIEWS = {"large-print.png": 2}  # a body page with a print page's number in the margin
WIDTH_PX = 510
MUPDF_PREVIEW = ("epub-mupdf.png", 4)  # the EPUB's title and first section (page 4: after the cover and contents)
PHONE = ("-W", "360", "-H", "640", "-S", "19.2")  # a 360 px wide phone at 120% text (16 px x 1.2)


def previews(pdf: bytes) -> dict[str, bytes]:
    """The preview PNGs of a download PDF, by file name."""
    return {name: rasterise_page(pdf, index, WIDTH_PX) for name, index in PREVIEWS.items()}


def large_print_previews(pdf: bytes) -> dict[str, bytes]:
    """The preview PNGs of a large-print edition, by file name."""
    return {name: rasterise_page(pdf, index, WIDTH_PX) for name, index in LARGE_PRINT_PREVIEWS.items()}


def mupdf_preview(epub: Path) -> dict[str, bytes]:
    """The EPUB as MuPDF lays it out on a phone: one page, as PNG, by file name."""
    name, page = MUPDF_PREVIEW
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / name
        subprocess.run(["mutool", "draw", "-q", *PHONE, "-F", "png", "-o", str(out), str(epub), str(page)], check=True,
                       capture_output=True)
        return {name: out.read_bytes()}


def build_pml_pdf(outdir: Path, edition: str = "pdf") -> bytes:
    """The PML download PDF (or another edition: "large", "epub"), built by the real command line."""
    source = ROOT / "publications" / "pml" / "pml.md"
    subprocess.run([sys.executable, "-m", "brochure", "-q", "build", str(source), "-o", str(outdir), "--format", edition], check=True)
    return (outdir / {"pdf": "pml.pdf", "large": "pml-large-print.pdf", "epub": "pml.epub"}[edition]).read_bytes()


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        pdf = Path(argv[0]).read_bytes() if argv else build_pml_pdf(Path(scratch))
        large = build_pml_pdf(Path(scratch), "large")
        build_pml_pdf(Path(scratch), "epub")
        on_phone = mupdf_preview(Path(scratch) / "pml.epub")
    for name, png in {**previews(pdf), **large_print_previews(large), **on_phone}.items():
        (ROOT / "docs" / name).write_bytes(png)
        print(f"docs/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
