"""Build a publication's EPUB: python build_epub.py SOURCE.md -o OUTDIR."""
import sys

from brochure.cli import epub_main

sys.exit(epub_main())
