"""The editions, each made in memory from a Publication: download and print PDF (pdf.py, with press.py for imposition,
marks and the job ticket, pdfx.py for PDF/X colour), EPUB 3 (epub.py) and the cover picture (cover.py)."""
