"""The catalog page in a real browser: Debian's Chromium driven by Playwright, over a local HTTP server.

The test writes a small dist/ (index.html, catalog.xml, fake PDFs, EPUBs and PNG covers) to a temporary
folder and serves it with http.server on 127.0.0.1. Python's http.server does not reliably know .epub:
the handler registers application/epub+zip, and a real deployment's web server must do the same.
Chromium sees only the shipped fonts, so the page lays out (and docs/catalog.png looks) the same on every machine.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import json
import textwrap
import threading
import xml.etree.ElementTree as ET
import zipfile
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright import sync_api  # a missing tool is a failure, never a skip

from brochure.catalog.render import DEFAULT_STRINGS, Catalog, Edition, Entry, render_catalog_page, render_opds_feed

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures" / "catalog"
FONTS = ROOT / "brochure" / "assets" / "styles" / "fonts"
SCREENSHOT = ROOT / "docs" / "catalog.png"
BRAND = (0x20, 0x55, 0x8A)
OPDS_TYPE = "application/atom+xml;profile=opds-catalog;kind=acquisition"

assert CHROMIUM.exists(), "Debian chromium must be installed at /usr/bin/chromium (make setup installs it)"

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# A fourth publication beside the three of the unit tests' sample, so the grid shows two full rows.
EXTRA_ENTRY = {
    "id": "febrile-seizures",
    "urn": "urn:uuid:5b0f6c1e-8d2a-4e37-9c41-7a3e2f9d0b64",
    "title": "Febrile Seizures",
    "subtitle": "Fact sheet",
    "summary": "Febrile seizures are convulsions in a young child caused by a spike in body temperature. Most are harmless and stop on their own.",
    "lang": "en",
    "updated": "2024-02-09",
    "publisher": "National Institute of Neurological Disorders and Stroke",
    "cover_href": "febrile-seizures/cover.png",
    "thumbnail_href": "febrile-seizures/cover-thumb.png",
    "editions": [
        {"kind": "pdf", "href": "febrile-seizures/febrile-seizures.pdf", "media_type": "application/pdf", "size_bytes": 356100, "pages": 8},
        {"kind": "booklet", "href": "febrile-seizures/febrile-seizures-booklet.pdf", "media_type": "application/pdf", "size_bytes": 349800, "pages": 4},
        {"kind": "epub", "href": "febrile-seizures/febrile-seizures.epub", "media_type": "application/epub+zip", "size_bytes": 164200, "pages": None},
    ],
}


# --- fake files ---------------------------------------------------------------------------------


def fake_pdf(pages: int, size: int) -> bytes:
    """A real PDF with `pages` blank half-letter pages, padded after %%EOF to about `size` bytes."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=396, height=612)
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    return data + b"\n" + b"%" * max(0, size - len(data) - 1)


def fake_epub(size: int) -> bytes:
    """A zip in EPUB's shape (mimetype first, stored), padded to about `size` bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/container.xml",
            '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            '<rootfiles><rootfile full-path="EPUB/package.opf" media-type="application/oebps-package+xml"/></rootfiles></container>',
        )
        z.writestr(zipfile.ZipInfo("EPUB/padding.bin"), b"\0" * max(0, size - 400), compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


def fake_cover(title: str, subtitle: str, publisher: str, width: int) -> bytes:
    """A brochure-like cover: agency band with the title, subtitle, body lines, agency footer."""
    from PIL import Image, ImageDraw, ImageFont

    height = round(width * 8.5 / 5.5)
    u = width / 300  # drawn at 300 px wide, scaled

    def font(name: str, px: float):
        path = FONTS / name
        return ImageFont.truetype(str(path), round(px * u)) if path.exists() else ImageFont.load_default(round(px * u))

    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    band = round(250 * u)
    draw.rectangle([0, 0, width, band], fill=BRAND)
    draw.rectangle([0, band, width, band + round(6 * u)], fill=(0xE0, 0xA5, 0x26))
    draw.text((20 * u, 18 * u), publisher.upper()[:44], font=font("NotoSans-Bold.ttf", 9), fill="white")
    y = 70 * u
    for line in textwrap.wrap(title, 18)[:5]:
        draw.text((20 * u, y), line, font=font("NotoSans-Bold.ttf", 25), fill="white")
        y += 33 * u
    draw.text((20 * u, band + 22 * u), subtitle, font=font("NotoSans-Regular.ttf", 16), fill=(0x17, 0x3F, 0x68))
    for i in range(7):
        y = band + (62 + i * 16) * u
        draw.rectangle([20 * u, y, (280 - (i % 3) * 40) * u, y + 6 * u], fill=(0xD5, 0xDC, 0xE4))
    draw.rectangle([0, height - 34 * u, width, height], fill=(0x17, 0x3F, 0x68))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def write_sample_dist(dist: Path) -> Catalog:
    """Every file the catalog links to, then index.html and catalog.xml built from their real sizes."""
    data = json.loads((FIXTURES / "sample.json").read_text(encoding="utf-8"))
    raw_entries = data["entries"] + [EXTRA_ENTRY]
    entries = []
    for raw in raw_entries:
        editions = []
        for ed in raw["editions"]:
            target = dist / ed["href"]
            target.parent.mkdir(parents=True, exist_ok=True)
            if ed["media_type"] == "application/pdf":
                target.write_bytes(fake_pdf(ed["pages"], ed["size_bytes"]))
            else:
                target.write_bytes(fake_epub(ed["size_bytes"]))
            editions.append(Edition(**{**ed, "size_bytes": target.stat().st_size}))
        (dist / raw["thumbnail_href"]).write_bytes(fake_cover(raw["title"], raw["subtitle"], raw["publisher"], 300))
        (dist / raw["cover_href"]).write_bytes(fake_cover(raw["title"], raw["subtitle"], raw["publisher"], 600))
        entries.append(
            Entry(**{**raw, "updated": dt.date.fromisoformat(raw["updated"]), "editions": tuple(editions)})
        )
    catalog = Catalog(**{**data, "updated": dt.date.fromisoformat(data["updated"]), "entries": tuple(entries)})
    (dist / "index.html").write_text(render_catalog_page(catalog, DEFAULT_STRINGS), encoding="utf-8")
    (dist / "catalog.xml").write_text(render_opds_feed(catalog), encoding="utf-8")
    return catalog


# --- server and browser -------------------------------------------------------------------------


class DistHandler(SimpleHTTPRequestHandler):
    """Serves dist/ with the media types the catalog's links declare (.epub is not known everywhere)."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".epub": "application/epub+zip",
        ".pdf": "application/pdf",
        ".png": "image/png",
        ".html": "text/html; charset=utf-8",
        ".xml": OPDS_TYPE,
    }

    def guess_type(self, path):  # type: ignore[no-untyped-def]
        """A Kobo kepub (NAME.kepub.epub) is application/kepub+zip, as its catalog link says."""
        return "application/kepub+zip" if str(path).endswith(".kepub.epub") else super().guess_type(path)

    def log_message(self, format, *args):  # keep pytest output clean
        pass


@dataclasses.dataclass
class Site:
    url: str
    dist: Path
    catalog: Catalog


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    dist = tmp_path_factory.mktemp("dist")
    catalog = write_sample_dist(dist)
    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(DistHandler, directory=str(dist)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{server.server_address[1]}/", dist, catalog)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture(scope="module")
def browser(only_shipped_fonts):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, env=only_shipped_fonts)
        try:
            yield browser
        finally:
            browser.close()


@dataclasses.dataclass
class Visit:
    page: object
    messages: list[str]


def open_page(browser, site: Site, *, width: int = 1280, height: int = 900, javascript: bool = True) -> Visit:
    context = browser.new_context(viewport={"width": width, "height": height}, java_script_enabled=javascript)
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and messages.append(f"console {m.type}: {m.text}"))
    page.on("pageerror", lambda e: messages.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: messages.append(f"request failed: {r.url} {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and messages.append(f"HTTP {r.status}: {r.url}"))
    page.goto(site.url, wait_until="load")
    # Covers load lazily: scroll through the page so that all of them load, then back to the top. (Scrolled by
    # script, not by a mouse wheel: a wheel's scroll can land after the scroll back and leave the page down.)
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    page.wait_for_function("Array.from(document.images).every(i => i.complete)", timeout=10_000)
    page.evaluate("window.scrollTo(0, 0)")
    page.wait_for_function("window.scrollY === 0")
    return Visit(page, messages)


@pytest.fixture
def visit(browser, site):
    v = open_page(browser, site)
    yield v
    v.page.context.close()


def visible_ids(page) -> list[str]:
    return page.eval_on_selector_all(".entry", "items => items.filter(i => i.offsetParent !== null).map(i => i.id)")


ALL_IDS = ["pub-febrile-seizures", "pub-pml-es", "pub-pml", "pub-stroke-signs"]


# --- tests --------------------------------------------------------------------------------------


def test_page_loads_cleanly(visit):
    page = visit.page
    assert page.title() == "Publication catalog | National Institute of Neurological Disorders and Stroke"
    assert page.locator("form[role=search]").is_visible(), "the script shows the filter"
    assert visible_ids(page) == ALL_IDS
    assert page.locator("#result-count").inner_text() == "Showing 4 of 4 publications"
    broken = page.evaluate("Array.from(document.images).filter(i => !i.naturalWidth).map(i => i.src)")
    assert broken == []
    page.wait_for_timeout(200)  # let late console messages arrive
    assert visit.messages == []


def test_typing_in_search_filters_by_title(visit):
    page = visit.page
    box = page.get_by_label("Search by title")
    box.press_sequentially("leuko")
    assert visible_ids(page) == ["pub-pml"]
    assert page.locator("#result-count").inner_text() == "Showing 1 of 4 publications"

    box.fill("")
    box.press_sequentially("LEUCOENCEFALOPATIA")  # no accent, other case: still found
    assert visible_ids(page) == ["pub-pml-es"]

    box.fill("")
    box.press_sequentially("progressive multifocal")  # every word must match
    assert visible_ids(page) == ["pub-pml"]

    box.fill("")
    box.press_sequentially("act fast")  # titles with markup characters match their text
    assert visible_ids(page) == ["pub-stroke-signs"]

    box.fill("")
    box.press_sequentially("zzz")
    assert visible_ids(page) == []
    assert page.locator("#no-results").is_visible()
    assert page.locator("#result-count").inner_text() == "Showing 0 of 4 publications"

    box.fill("")
    assert visible_ids(page) == ALL_IDS
    assert not page.locator("#no-results").is_visible()
    assert visit.messages == []


def test_language_select_filters(visit):
    page = visit.page
    select = page.get_by_label("Language", exact=True)
    assert select.evaluate("s => Array.from(s.options).map(o => o.value)") == ["", "en", "es"]
    select.select_option("es")
    assert visible_ids(page) == ["pub-pml-es"]
    assert page.locator("#result-count").inner_text() == "Showing 1 of 4 publications"
    select.select_option("en")
    assert visible_ids(page) == ["pub-febrile-seizures", "pub-pml", "pub-stroke-signs"]
    page.get_by_label("Search by title").press_sequentially("leuco")  # the Spanish title, English only
    assert visible_ids(page) == []
    select.select_option("")
    assert visible_ids(page) == ["pub-pml-es"]
    assert visit.messages == []


def test_every_link_serves_its_file_with_the_right_type(visit, site):
    page = visit.page
    links = page.eval_on_selector_all(
        "a.edition", "links => links.map(a => ({url: a.href, href: a.getAttribute('href'), type: a.type, text: a.textContent}))"
    )
    editions = {e.href: e for entry in site.catalog.entries for e in entry.editions}
    assert sorted(link["href"] for link in links) == sorted(editions)
    for link in links:
        edition = editions[link["href"]]
        response = page.request.get(link["url"])
        assert response.status == 200, link
        assert response.headers["content-type"] == edition.media_type == link["type"]
        body = response.body()
        assert len(body) == edition.size_bytes == (site.dist / edition.href).stat().st_size
        if edition.media_type == "application/pdf":
            assert body.startswith(b"%PDF-")
        else:  # a zip whose first entry is the stored mimetype
            assert body[:4] == b"PK\x03\x04" and body[30:58] == b"mimetypeapplication/epub+zip"

    # The feed and every link in it (covers included) resolve too.
    feed = page.request.get(site.url + "catalog.xml")
    assert feed.status == 200 and feed.headers["content-type"].startswith("application/atom+xml")
    root = ET.fromstring(feed.body())
    for link in root.iter("{http://www.w3.org/2005/Atom}link"):
        if link.get("type") == "text/html" or link.get("rel") in ("self", "start"):
            continue
        response = page.request.get(site.url + link.get("href"))
        assert response.status == 200, link.attrib
        assert response.headers["content-type"] == link.get("type")


def test_keyboard_skip_link_and_visible_focus(visit):
    page = visit.page
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    assert skip.evaluate("a => a === document.activeElement")
    box = skip.bounding_box()
    assert box and box["y"] >= 0 and box["height"] > 10, "the skip link shows when focused"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "filter-text"
    outline = page.evaluate("(() => { const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth]; })()")
    assert outline == ["solid", "3px"]
    for _ in range(2):
        page.keyboard.press("Tab")
    focused = page.evaluate("(() => { const e = document.activeElement; const s = getComputedStyle(e); return [e.tagName, s.outlineStyle, s.outlineWidth]; })()")
    assert focused == ["A", "solid", "3px"], "the first download link shows its focus"


CONTRAST_JS = """
() => {
  const lum = (c) => {
    const [r, g, b] = c.map((v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const rgba = (s) => s.match(/[\\d.]+/g).map(Number);
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgba(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const results = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || !el.offsetParent && el.tagName !== 'BODY') continue;
    if (el.closest('script, style, .skip-link')) continue;
    const fg = rgba(getComputedStyle(el).color).slice(0, 3);
    const bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    results.push({text: node.textContent.trim().slice(0, 40), ratio: (a + 0.05) / (b + 0.05)});
  }
  return results;
}
"""


def test_text_contrast_is_at_least_4_5(visit):
    results = visit.page.evaluate(CONTRAST_JS)
    assert len(results) > 40
    low = [r for r in results if r["ratio"] < 4.5]
    assert low == []


def test_without_javascript_every_entry_is_listed(browser, site):
    v = open_page(browser, site, javascript=False)
    try:
        page = v.page
        assert visible_ids(page) == ALL_IDS
        assert not page.locator("form[role=search]").is_visible()
        assert page.locator("a.edition").count() == 15  # PML has its kepub, Kindle EPUB and large print too
        assert v.messages == []
    finally:
        page.context.close()


def test_narrow_screen_has_no_horizontal_scroll(browser, site):
    v = open_page(browser, site, width=360, height=740)
    try:
        page = v.page
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        assert visible_ids(page) == ALL_IDS
        assert v.messages == []
    finally:
        page.context.close()


def test_screenshot(browser, site, golden):
    """docs/catalog.png is the page at desktop width, full page (in the shipped Noto Sans, whatever fonts the machine has).
    A newer Chromium may shade a few edges differently: up to 1% of the pixels may differ."""
    v = open_page(browser, site, width=1280, height=900)
    try:
        png = v.page.screenshot(full_page=True)
        assert png.startswith(b"\x89PNG") and len(png) > 20_000
        assert v.messages == []
    finally:
        v.page.context.close()
    golden.check_png(SCREENSHOT, png, tolerance=0.01)
