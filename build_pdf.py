"""Build a publication's PDF: python build_pdf.py SOURCE.md -o OUTDIR [--edition print]."""
import sys

from brochure.cli import pdf_main

sys.exit(pdf_main())
