"""Every text value of the configuration and the front matter, made hostile, lands as text in every output: the
catalog page and each EPUB document opened in Chromium beside a loopback server that counts requests (0), the PDFs'
metadata and links, the OPDS feed and the job ticket parsed back to the very same string."""
from __future__ import annotations

import http.server
import json
import threading
import xml.etree.ElementTree as ET
import zipfile

import pikepdf
import pytest
import yaml
from playwright import sync_api  # a missing tool is a failure, never a skip
from test_catalog_browser import CHROMIUM, CHROMIUM_ARGS

from conftest import run_cli

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CONFIG_TEXT = ("name", "office", "parent", "contact_name", "phone")
FRONT_TEXT = ("title", "subtitle", "summary", "publication_number")


class _Counter(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the standard library's name
        self.server.paths.append(self.path)  # type: ignore[attr-defined]
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def beacon():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    httpd.paths = []  # type: ignore[attr-defined]
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield httpd
    httpd.shutdown()


def hostile(field: str, port: int) -> str:
    """Markup that would fetch from the beacon if any output pasted it unescaped, in HTML, XML, CSS or a URL."""
    beacon = f"http://127.0.0.1:{port}/{field}"
    return (f"{field} \"'><img src=\"{beacon}-img\" onerror=\"fetch('{beacon}-js')\"><script>fetch('{beacon}-s')</script>"
            f"</title></style><style>@import '{beacon}-css';</style>]]>&amp; {{{{ 7*7 }}}} \\\" ) url({beacon}-url)")


@pytest.fixture(scope="module")
def built(tmp_path_factory, beacon):
    port = beacon.server_address[1]
    root = tmp_path_factory.mktemp("hostile-values")
    pubs = root / "pubs"
    config = {"publisher": {key: hostile(f"config-{key}", port) for key in CONFIG_TEXT}}
    config["publisher"]["address"] = [hostile("config-address", port)]
    config["publisher"]["url"] = f"https://127.0.0.1:{port}/config-url"  # a link may point anywhere; it is never fetched
    config["publisher"]["order_url"] = "mailto:orders@health.example.org"
    (pubs / "a").mkdir(parents=True)
    (pubs / "brochure.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    front = {key: hostile(f"front-{key}", port) for key in FRONT_TEXT}
    front.update(lang="en", date="2024-05-01", keywords=[hostile("front-keyword", port)])
    source = "---\n" + yaml.safe_dump(front, allow_unicode=True).replace("'2024-05-01'", "2024-05-01") + "---\n\n## About\n\nPlain text.\n"
    (pubs / "a" / "a.md").write_text(source, encoding="utf-8")
    other = {"title": "Other publisher", "lang": "en", "publisher": hostile("front-publisher", port),
             "publisher_address": [hostile("front-publisher_address", port)], "publisher_phone": hostile("front-publisher_phone", port)}
    (pubs / "b").mkdir()
    (pubs / "b" / "b.md").write_text("---\n" + yaml.safe_dump(other, allow_unicode=True) + "---\n\n## About\n\nText.\n", encoding="utf-8")
    result = run_cli("build", pubs, "-o", root / "dist", "-j", "1")
    assert result.code == 0, result.err
    return {"dist": root / "dist", "config": config, "front": front, "other": other, "port": port}


def _browse(urls: list[str]) -> list[str]:
    """Open each page in Chromium, give scripts and loads a moment; return the text each page shows."""
    shown = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        page = browser.new_page()
        for url in urls:
            page.goto(url, wait_until="load")
            page.wait_for_timeout(300)
            shown.append(page.inner_text("body"))
        browser.close()
    return shown


def test_the_catalog_page_shows_every_hostile_value_as_text_and_makes_no_request(built, beacon):
    (page,) = _browse([(built["dist"] / "index.html").as_uri()])
    assert beacon.paths == []
    assert built["front"]["title"] in page and built["other"]["title"] in page
    assert "<script>fetch(" in page  # shown as the characters typed, not run


def test_each_epub_document_shows_the_values_as_text_and_makes_no_request(built, beacon, tmp_path):
    pages = []
    for epub in sorted(built["dist"].glob("*/*.epub")):
        folder = tmp_path / epub.stem
        with zipfile.ZipFile(epub) as archive:
            archive.extractall(folder)
        pages += sorted(folder.rglob("*.xhtml"))
    assert len(pages) >= 8
    shown = "\n".join(_browse([page.as_uri() for page in pages]))
    assert beacon.paths == []
    for value in (built["front"]["title"], built["config"]["publisher"]["name"], built["other"]["publisher"]):
        assert value in shown


def test_the_feed_and_the_epub_metadata_parse_back_to_the_same_strings(built):
    feed = ET.parse(built["dist"] / "catalog.xml").getroot()
    atom = "{http://www.w3.org/2005/Atom}"
    titles = {entry.findtext(f"{atom}title") for entry in feed.iter(f"{atom}entry")}
    assert titles == {built["front"]["title"], built["other"]["title"]}
    with zipfile.ZipFile(built["dist"] / "a" / "a.epub") as archive:
        opf = ET.fromstring(archive.read("EPUB/content.opf"))
    dc = "{http://purl.org/dc/elements/1.1/}"
    assert opf.findtext(f".//{dc}title") == built["front"]["title"]
    assert built["front"]["keywords"][0] in {subject.text for subject in opf.iter(f"{dc}subject")}


def test_the_pdfs_carry_the_values_as_metadata_and_link_only_to_web_mail_and_phone_addresses(built):
    for pdf_path in sorted(built["dist"].glob("*/*.pdf")):
        with pikepdf.open(pdf_path) as pdf:
            expected = built["front"]["title"] if pdf_path.parent.name == "a" else built["other"]["title"]
            assert str(pdf.docinfo.get("/Title")) == expected
            for page in pdf.pages:
                for annotation in page.get("/Annots", []):
                    uri = annotation.get("/A", {}).get("/URI")
                    if uri is not None:
                        assert str(uri).split(":", 1)[0] in ("https", "http", "mailto", "tel"), str(uri)
                        assert "<" not in str(uri) and '"' not in str(uri)


def test_the_job_ticket_is_json_holding_the_title_as_it_was_given(built):
    ticket = json.loads((built["dist"] / "a" / "a-print.json").read_text(encoding="utf-8"))
    assert ticket["title"] == built["front"]["title"]
