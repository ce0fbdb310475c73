"""The catalog page and OPDS feed, rendered from plain data and read back with standard parsers."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from brochure.catalog.render import (
    DEFAULT_STRINGS,
    Catalog,
    Edition,
    Entry,
    feed_id,
    human_size,
    render_catalog_page,
    render_opds_feed,
)

FIXTURES = Path(__file__).parent / "fixtures" / "catalog"
GOLDEN_FEED = FIXTURES / "catalog.xml"

NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "dc": "http://purl.org/dc/terms/",
    "opds": "http://opds-spec.org/2010/catalog",
}
ACQUISITION = "http://opds-spec.org/acquisition/open-access"
OPDS_TYPE = "application/atom+xml;profile=opds-catalog;kind=acquisition"
TRICKY_TITLE = 'Stroke <Signs> & "Act FAST"'


def load_catalog(path: Path = FIXTURES / "sample.json") -> Catalog:
    data = json.loads(path.read_text(encoding="utf-8"))
    entries = tuple(
        Entry(
            **{
                **e,
                "updated": dt.date.fromisoformat(e["updated"]),
                "editions": tuple(Edition(**x) for x in e["editions"]),
            }
        )
        for e in data["entries"]
    )
    return Catalog(**{**data, "updated": dt.date.fromisoformat(data["updated"]), "entries": entries})


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


# --- a small DOM from html.parser -------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclasses.dataclass
class Node:
    tag: str
    attrs: dict[str, str | None]
    children: list[Node | str] = dataclasses.field(default_factory=list)
    parent: Node | None = None

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None) -> list[Node]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag) and (cls is None or cls in (n.attrs.get("class") or "").split())
        ]

    def find(self, tag: str | None = None, cls: str | None = None) -> Node:
        found = self.find_all(tag, cls)
        assert found, f"no <{tag} class={cls}> in <{self.tag}>"
        return found[0]


class TreeBuilder(HTMLParser):
    """Builds a Node tree and insists on strict nesting: every non-void element closed, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.doctype = ""

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag, attrs):
        names = [name for name, _ in attrs]
        assert len(names) == len(set(names)), f"duplicate attribute in <{tag}>: {names}"
        node = Node(tag, dict(attrs), parent=self.stack[-1])
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag, attrs):
        raise AssertionError(f"self-closing <{tag}/> in HTML")

    def handle_endtag(self, tag):
        assert tag not in VOID, f"end tag for void element </{tag}>"
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data):
        self.stack[-1].children.append(data)


def parse_html(html: str) -> tuple[Node, str]:
    builder = TreeBuilder()
    builder.feed(html)
    builder.close()
    assert builder.stack == [builder.root], f"unclosed: {[n.tag for n in builder.stack[1:]]}"
    return builder.root, builder.doctype


def squash(text: str) -> str:
    return " ".join(text.split())


# --- human sizes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "text"),
    [
        (0, "0 B"),
        (999, "999 B"),
        (1000, "1.0 kB"),
        (9_849, "9.8 kB"),
        (9_960, "10 kB"),
        (412_345, "412 kB"),
        (999_499, "999 kB"),
        (999_600, "1.0 MB"),
        (1_234_567, "1.2 MB"),
        (25_000_000, "25 MB"),
        (3_400_000_000, "3.4 GB"),
    ],
)
def test_human_size(size, text):
    assert human_size(size) == text


def test_human_size_decimal_separator_and_negative():
    assert human_size(1_234_567, ",") == "1,2 MB"
    with pytest.raises(ValueError):
        human_size(-1)


# --- OPDS feed ----------------------------------------------------------------------------------


def test_feed_golden(catalog, golden):
    golden.check_text(GOLDEN_FEED, render_opds_feed(catalog))


def test_feed_required_elements(catalog):
    root = ET.fromstring(render_opds_feed(catalog).encode("utf-8"))
    assert root.tag == "{http://www.w3.org/2005/Atom}feed"
    assert root.findtext("atom:id", namespaces=NS) == feed_id(catalog)
    assert root.findtext("atom:id", namespaces=NS).startswith("urn:uuid:")
    assert root.findtext("atom:title", namespaces=NS) == "Publication catalog"
    assert root.findtext("atom:updated", namespaces=NS) == "2024-06-03T00:00:00Z"
    assert root.findtext("atom:author/atom:name", namespaces=NS) == catalog.publisher
    links = {link.get("rel"): link for link in root.findall("atom:link", NS)}
    for rel in ("self", "start"):
        assert links[rel].get("href") == "catalog.xml"
        assert links[rel].get("type") == OPDS_TYPE

    by_id = {e.urn: e for e in catalog.entries}
    xml_entries = root.findall("atom:entry", NS)
    assert len(xml_entries) == 3
    for xml_entry in xml_entries:
        entry = by_id[xml_entry.findtext("atom:id", namespaces=NS)]
        assert xml_entry.findtext("atom:title", namespaces=NS) == entry.title
        assert xml_entry.findtext("atom:updated", namespaces=NS) == f"{entry.updated.isoformat()}T00:00:00Z"
        assert xml_entry.findtext("dc:language", namespaces=NS) == entry.lang
        assert xml_entry.findtext("dc:publisher", namespaces=NS) == entry.publisher
        assert xml_entry.findtext("atom:author/atom:name", namespaces=NS) == entry.publisher
        assert xml_entry.findtext("atom:summary", namespaces=NS) == entry.summary

        entry_links = xml_entry.findall("atom:link", NS)
        acquisitions = [(link.get("href"), link.get("type"), link.get("length")) for link in entry_links if link.get("rel") == ACQUISITION]
        # the public feed: every edition to read, not the print master or the booklet (files for a press or a printer)
        expected = {(e.href, e.media_type, str(e.size_bytes)) for e in entry.editions if e.kind not in ("print", "booklet")}
        assert set(acquisitions) == expected and len(acquisitions) == len(expected)
        types = [t for _, t, _ in acquisitions]
        assert types[0] == "application/epub+zip", "e-readers take the first acquisition: EPUB first"
        assert "application/pdf" in types

        images = {link.get("rel"): link for link in entry_links if link.get("rel", "").startswith("http://opds-spec.org/image")}
        assert images["http://opds-spec.org/image"].get("href") == entry.cover_href
        assert images["http://opds-spec.org/image/thumbnail"].get("href") == entry.thumbnail_href
        assert {link.get("type") for link in images.values()} == {"image/png"}


def test_feed_is_sorted_by_title_and_deterministic(catalog):
    shuffled = dataclasses.replace(catalog, entries=tuple(reversed(catalog.entries)))
    assert render_opds_feed(shuffled) == render_opds_feed(catalog)
    root = ET.fromstring(render_opds_feed(catalog))
    titles = [e.findtext("atom:title", namespaces=NS) for e in root.findall("atom:entry", NS)]
    # "Leucoencefalopatía…" < "Progressive…" < "Stroke…"
    assert titles == ["Leucoencefalopatía multifocal progresiva", "Progressive Multifocal Leukoencephalopathy", TRICKY_TITLE]


def test_feed_escapes_and_drops_characters_xml_forbids(catalog):
    nasty = dataclasses.replace(
        catalog.entries[0],
        title="A\x0bB <x> & 'q' \"d\" \x00",
        summary="]]> <![CDATA[ &amp;",
        editions=(Edition("pdf", "a b/ü&x.pdf", "application/pdf", 10, 1),),
    )
    feed = render_opds_feed(dataclasses.replace(catalog, title="T & <C>", entries=(nasty,)))
    root = ET.fromstring(feed)  # well-formed
    entry = root.find("atom:entry", NS)
    assert root.findtext("atom:title", namespaces=NS) == "T & <C>"
    assert entry.findtext("atom:title", namespaces=NS) == "AB <x> & 'q' \"d\" "
    assert entry.findtext("atom:summary", namespaces=NS) == "]]> <![CDATA[ &amp;"
    hrefs = [link.get("href") for link in entry.findall("atom:link", NS) if link.get("rel") == ACQUISITION]
    assert hrefs == ["a%20b/%C3%BC&x.pdf"]


def test_unknown_edition_kind_is_an_error(catalog):
    odd = dataclasses.replace(catalog.entries[0], editions=(Edition("zine", "x.pdf", "application/pdf", 1, 1),))
    bad = dataclasses.replace(catalog, entries=(odd,))
    with pytest.raises(ValueError, match="zine"):
        render_opds_feed(bad)
    with pytest.raises(ValueError, match="zine"):
        render_catalog_page(bad, {})


# --- HTML page ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def page(catalog) -> tuple[str, Node]:
    html = render_catalog_page(catalog, DEFAULT_STRINGS)
    root, doctype = parse_html(html)
    assert doctype.lower() == "doctype html"
    return html, root


def entry_nodes(root: Node) -> list[Node]:
    return root.find_all("li", "entry")


def test_page_structure_and_outline(page, catalog):
    html, root = page
    assert root.find("html").attrs["lang"] == "en"
    assert squash(root.find("title").text()) == f"Publication catalog | {catalog.publisher}"
    assert root.find("meta").attrs == {"charset": "utf-8"}
    headings = [(n.tag, squash(n.text())) for n in root.iter() if n.tag in {"h1", "h2", "h3", "h4", "h5", "h6"}]
    assert headings[0] == ("h1", "Publication catalog")
    assert [h for h, _ in headings].count("h1") == 1
    levels = [int(h[1]) for h, _ in headings]
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), f"skipped heading level: {headings}"
    assert [t for h, t in headings if h == "h3"] == [
        "Leucoencefalopatía multifocal progresiva",
        "Progressive Multifocal Leukoencephalopathy",
        TRICKY_TITLE,
    ]
    for landmark in ("header", "main", "footer"):
        assert len(root.find_all(landmark)) >= 1
    ids = [n.attrs["id"] for n in root.iter() if "id" in n.attrs]
    assert len(ids) == len(set(ids)), "duplicate ids"
    # Every form control has a label; the filter is hidden until the script shows it.
    form = root.find("form")
    assert "hidden" in form.attrs and form.attrs["role"] == "search"
    labelled = {n.attrs["for"] for n in root.find_all("label")}
    for control in root.find_all("input") + root.find_all("select"):
        assert control.attrs["id"] in labelled
    status = root.find(cls="count")
    assert status.attrs["role"] == "status" and status.attrs["aria-live"] == "polite"
    assert squash(status.text()) == "Showing 3 of 3 publications"
    assert status.attrs["data-template"] == "Showing {shown} of {total} publications"
    options = [(o.attrs["value"], squash(o.text())) for o in root.find_all("option")]
    assert options == [("", "All languages"), ("en", "English"), ("es", "Español")]
    assert len(root.find_all("script")) == 1 and "src" not in root.find("script").attrs
    assert "<link rel=\"stylesheet\"" not in html, "the stylesheet is inline"
    assert ".band" in root.find("style").text()


def test_page_entries_links_langs_and_sizes(page, catalog):
    _, root = page
    items = entry_nodes(root)
    by_id = {e.id: e for e in catalog.entries}
    assert [n.attrs["id"] for n in items] == ["pub-pml-es", "pub-pml", "pub-stroke-signs"]
    expected_links = {
        "pml": [
            ("pml/pml.pdf", "application/pdf", "Download PDF (8 pages, 412 kB)"),
            ("pml/pml-print.pdf", "application/pdf", "Print-ready PDF (8 pages, 1.2 MB)"),
            ("pml/pml-booklet.pdf", "application/pdf", "Booklet PDF (4 pages, 398 kB)"),
            ("pml/pml-large-print.pdf", "application/pdf", "Large-print PDF (8 pages, 455 kB)"),
            ("pml/pml.epub", "application/epub+zip", "EPUB e-book (188 kB)"),
            ("pml/pml.kepub.epub", "application/kepub+zip", "Kobo e-book (188 kB)"),
            ("pml/pml.kindle.epub", "application/epub+zip", "Kindle e-book (188 kB)"),
        ],
        "pml-es": [
            ("pml-es/pml-es.pdf", "application/pdf", "Download PDF (8 pages, 431 kB)"),
            ("pml-es/pml-es-print.pdf", "application/pdf", "Print-ready PDF (8 pages, 1.3 MB)"),
            ("pml-es/pml-es.epub", "application/epub+zip", "EPUB e-book (192 kB)"),
        ],
        "stroke-signs": [  # no print edition
            ("stroke-signs/stroke-signs.pdf", "application/pdf", "Download PDF (1 page, 99 kB)"),
            ("stroke-signs/stroke-signs.epub", "application/epub+zip", "EPUB e-book (950 B)"),
        ],
    }
    for item in items:
        entry = by_id[item.attrs["id"].removeprefix("pub-")]
        article = item.find("article")
        assert item.attrs["data-lang"] == entry.lang
        assert article.attrs["lang"] == entry.lang
        assert item.attrs["data-title"] == entry.title
        # The page's own words inside the entry are marked with the page's language.
        assert item.find("ul", "editions").attrs["lang"] == "en"
        assert item.find("dl", "facts").attrs["lang"] == "en"
        assert squash(item.find("dd").text()) == {"en": "English", "es": "Español"}[entry.lang]
        assert item.find("dd").attrs["lang"] == entry.lang
        img = item.find("img")
        assert img.attrs["src"] == entry.thumbnail_href and img.attrs["alt"] == entry.title
        assert squash(item.find("h3").text()) == entry.title
        assert squash(item.find(cls="subtitle").text()) == entry.subtitle
        assert squash(item.find(cls="summary").text()) == entry.summary
        assert item.find("time").attrs["datetime"] == entry.updated.isoformat()
        links = [(a.attrs["href"], a.attrs["type"], squash(a.text())) for a in item.find("ul", "editions").find_all("a")]
        assert links == expected_links[entry.id]
    assert not any(a.attrs.get("data-kind") == "print" for a in items[2].find_all("a"))


def test_page_order_info_and_feed_link(page, catalog):
    html, root = page
    order = root.find("section", "order")
    assert squash(order.find("h2").text()) == "Order printed copies"
    paragraphs = [squash(p.text()) for p in order.find_all("p")]
    assert paragraphs[:2] == [
        "Single printed copies of our fact sheets are free.",
        "Call 800-352-9424 or write to BRAIN, P.O. Box 5801, Bethesda, MD 20824.",
    ]
    link = order.find("a")
    assert link.attrs["href"] == catalog.order_url
    assert "format=print&amp;" not in link.attrs["href"] and "&amp;format=print" in html  # escaped in source
    alternates = [n for n in root.find_all("link") if n.attrs.get("rel") == "alternate"]
    assert alternates[0].attrs["href"] == "catalog.xml" and alternates[0].attrs["type"] == OPDS_TYPE
    no_url = render_catalog_page(dataclasses.replace(catalog, order_url=""), {})
    assert "class=\"order-link\"" not in no_url and "Single printed copies" in no_url
    no_order = render_catalog_page(dataclasses.replace(catalog, order_url="", order_info=""), {})
    assert "id=\"order-heading\"" not in no_order


def test_page_escapes_markup_in_data(page):
    html, root = page
    assert "<Signs>" not in html and "<right away>" not in html
    assert "Stroke &lt;Signs&gt; &amp; &#34;Act FAST&#34;" in html
    tricky = entry_nodes(root)[2]
    assert tricky.attrs["data-title"] == TRICKY_TITLE
    assert tricky.find("img").attrs["alt"] == TRICKY_TITLE
    assert squash(tricky.find(cls="summary").text()) == "Sudden numbness, confusion, or trouble speaking? Call 911 <right away> & note the time."


def test_page_spanish_strings(catalog):
    strings = yaml.safe_load((FIXTURES / "strings-es.yaml").read_text(encoding="utf-8"))
    assert set(strings) == set(DEFAULT_STRINGS), "the Spanish sample covers every key"
    html = render_catalog_page(catalog, {**strings, "contents": "Contenido"})  # other templates' keys are ignored
    root, _ = parse_html(html)
    assert root.find("html").attrs["lang"] == "es"
    assert squash(root.find(cls="count").text()) == "Se muestran 3 de 3 publicaciones"
    texts = [squash(a.text()) for a in entry_nodes(root)[1].find("ul", "editions").find_all("a")]
    assert texts[1] == "PDF para imprenta (8 páginas, 1,2 MB)"
    assert squash(entry_nodes(root)[2].find("a").text()) == "Descargar PDF (1 página, 99 kB)"


def test_page_missing_strings_fall_back_to_english_and_bad_ones_fail(catalog):
    html = render_catalog_page(catalog, {"catalog_search_label": "Find"})
    assert ">Find</label>" in html and "All languages" in html
    with pytest.raises(ValueError, match="catalog_results"):
        render_catalog_page(catalog, {"catalog_results": "{count} shown"})


def test_page_is_deterministic_and_handles_an_empty_catalog(catalog):
    shuffled = dataclasses.replace(catalog, entries=tuple(reversed(catalog.entries)))
    assert render_catalog_page(shuffled, {}) == render_catalog_page(catalog, {})
    empty = render_catalog_page(dataclasses.replace(catalog, entries=()), {})
    root, _ = parse_html(empty)
    assert not entry_nodes(root)
    assert "There are no publications in this catalog yet." in empty
    ET.fromstring(render_opds_feed(dataclasses.replace(catalog, entries=())))


def test_page_hrefs_with_spaces_are_encoded(catalog):
    entry = dataclasses.replace(
        catalog.entries[0],
        thumbnail_href="my pub/cover thumb.png",
        editions=(Edition("pdf", "my pub/fact sheet.pdf", "application/pdf", 2000, 2),),
    )
    root, _ = parse_html(render_catalog_page(dataclasses.replace(catalog, entries=(entry,)), {}))
    assert root.find("img").attrs["src"] == "my%20pub/cover%20thumb.png"
    assert root.find("a", "edition").attrs["href"] == "my%20pub/fact%20sheet.pdf"
