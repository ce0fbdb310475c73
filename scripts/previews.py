"""Render the README's previews (docs/cover.png, docs/inside-page.png) from the PML download PDF, and
docs/large-print.png from its large-print edition.

Usage: python scripts/previews.py [PDF]   (default: build the PML download PDF in a temporary folder)
tests/test_docs.py and tests/test_large_print.py check the committed previews are these renders of the current PDFs.
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


def previews(pdf: bytes) -> dict[str, bytes]:
    """The preview PNGs of a download PDF, by file name."""
    return {name: rasterise_page(pdf, index, WIDTH_PX) for name, index in PREVIEWS.items()}


def large_print_previews(pdf: bytes) -> dict[str, bytes]:
    """The preview PNGs of a large-print edition, by file name."""
    return {name: rasterise_page(pdf, index, WIDTH_PX) for name, index in LARGE_PRINT_PREVIEWS.items()}


def build_pml_pdf(outdir: Path, edition: str = "pdf") -> bytes:
    """The PML download PDF (or another edition: "large"), built by the real command line."""
    source = ROOT / "publications" / "pml" / "pml.md"
    subprocess.run([sys.executable, "-m", "brochure", "-q", "build", str(source), "-o", str(outdir), "--format", edition], check=True)
    return (outdir / ("pml.pdf" if edition == "pdf" else "pml-large-print.pdf")).read_bytes()


def main(argv: list[str]) -> int:
    with tempfile.TemporaryDirectory() as scratch:
        pdf = Path(argv[0]).read_bytes() if argv else build_pml_pdf(Path(scratch))
        large = build_pml_pdf(Path(scratch), "large")
    for name, png in {**previews(pdf), **large_print_previews(large)}.items():
        (ROOT / "docs" / name).write_bytes(png)
        print(f"docs/{name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
