"""The EPUB in a real reading system: epub.js (npm, pinned in package-lock.json) in Debian's headless Chromium.

tests/fixtures/epub-reader/reader.html opens book.epub with epub.js, lists its table of contents, shows the
cover and the first section. It is served with http.server on 127.0.0.1; the page reaches nothing else.
docs/epub-reader.png is the screenshot the README shows: the test compares it with its own (pytest --update-golden
writes it). Chromium sees only the shipped fonts (Noto Serif and Sans stand for the reader's serif and sans-serif),
so the picture is the same whatever fonts the machine has.
"""
from __future__ import annotations

import functools
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from playwright import sync_api  # a missing tool is a failure, never a skip

from brochure.source.reader import read_publication
from conftest import PML, ROOT, seed_sentences

CHROMIUM = Path("/usr/bin/chromium")
READER = Path(__file__).parent / "fixtures" / "epub-reader" / "reader.html"
SCRIPTS = (ROOT / "node_modules" / "epubjs" / "dist" / "epub.min.js", ROOT / "node_modules" / "jszip" / "dist" / "jszip.min.js")
SCREENSHOT = ROOT / "docs" / "epub-reader.png"

pytestmark = [pytest.mark.slow, pytest.mark.browser]


class _Quiet(SimpleHTTPRequestHandler):
    """Serves the folder with the EPUB media type and without a log line per request."""

    extensions_map: ClassVar[dict[str, str]] = {**SimpleHTTPRequestHandler.extensions_map, ".epub": "application/epub+zip", ".js": "text/javascript"}

    def log_message(self, *args: object) -> None:
        pass


def test_epub_opens_in_epubjs_with_cover_contents_and_text(pml_build, tmp_path, golden, only_shipped_fonts):
    for file in (READER, *SCRIPTS):
        assert file.is_file(), f"{file} missing: run make setup (npm ci)"
        shutil.copy(file, tmp_path / file.name)
    shutil.copy(pml_build / "pml.epub", tmp_path / "book.epub")
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(tmp_path)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    origin = f"http://127.0.0.1:{server.server_address[1]}/"
    problems: list[str] = []
    try:
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"], env=only_shipped_fonts)
            page = browser.new_page(viewport={"width": 1300, "height": 730})
            page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
            page.on("request", lambda request: request.url.startswith((origin, "blob:", "data:")) or problems.append(f"request to {request.url}"))
            page.goto(origin + "reader.html")
            found = page.evaluate("window.opened")
            page.wait_for_timeout(300)  # let the second iframe paint its fonts
            png = page.screenshot()
            browser.close()
    finally:
        server.shutdown()
    pub = read_publication(PML)
    assert found["title"] == pub.metadata.title
    assert found["toc"] == [s.title for s in pub.sections if s.level == 2] + ["Back cover"]
    assert found["coverWidth"] >= 1000 and found["coverInView"] >= 1000
    assert seed_sentences()[2] in found["text"].replace("\u2019", "'")
    assert problems == []
    assert png.startswith(b"\x89PNG") and len(png) > 50_000
    golden.check_png(SCREENSHOT, png, tolerance=0.01)  # a newer Chromium may shade a few edges differently
