"""Publication → EPUB 3 with ebooklib: the only module that imports it; valid, accessible, reproducible."""
from __future__ import annotations

import datetime as dt
import hashlib
import html
import io
import re
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path

import lxml.html
from ebooklib import epub
from lxml import etree

from brochure import cache
from brochure.assets import STYLES
from brochure.editions import epubcss
from brochure.errors import BrochureError
from brochure.model import Publication
from brochure.render import templates
from brochure.render.html import EXTRA_PAGE_PREFIX
from brochure.render.printpages import insert_at

EPUB_STYLES = ("base.css", "epub.css")  # written as one styles/book.css, the tokens resolved (epubcss)
TOKEN_STYLES = ("tokens.css",)  # the design tokens; the brand colour's (templates/brand.css) come after them
A11Y_FEATURES = ("structuralNavigation", "tableOfContents", "readingOrder", "alternativeText", "displayTransformability")
# Claimed only on an EPUB that passed EPUBCheck, Nu and Ace: by `brochure build --check` (claim_conformance), and by
# any later build that makes the same EPUB, byte for byte, while the gate's pass is in the cache (gate_passed).
CONFORMANCE = "EPUB Accessibility 1.1 - WCAG 2.1 Level AA"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
OPF_NS = "http://www.idpf.org/2007/opf"
XHTML_NS = "http://www.w3.org/1999/xhtml"
EPUB_TYPE = "{http://www.idpf.org/2007/ops}type"


def book_identifier(pub: Publication) -> str:
    """A stable urn:uuid from the publisher's site and the publication id (never random)."""
    namespace = pub.metadata.publisher.url or "urn:brochure"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{namespace}/publications/{pub.metadata.id}')}"


def write_epub(pub: Publication, cover_png: bytes, page_starts: tuple[str | None, ...] = ()) -> bytes:
    """The EPUB 3 edition as bytes: cover, body, back matter, nav + NCX, a11y metadata.

    page_starts[i] is where print page i+1 begins (see pdf.page_starts): the id of the element it begins with, or
    "ID N", the id of the element it begins inside and how many of its non-space characters come before; each gets a page-break
    marker there, so that the EPUB's page list matches the printed copy word for word.
    """
    book = _book(pub, bool(page_starts))
    book.set_template("chapter", templates.render("epub_document.xhtml").encode())
    markers = _page_markers(page_starts)
    css = _stylesheets(pub, book)
    cover_image = epub.EpubImage(uid="cover-image", file_name="images/cover.png", media_type="image/png", content=cover_png)
    cover_image.properties = ["cover-image"]
    book.add_item(cover_image)
    # EPUB 2's way of naming the cover, beside EPUB 3's property: older reading systems and some e-ink library
    # views (Kobo's, Adobe RMSDK-based readers) take the library thumbnail from it. EPUBCheck accepts it.
    book.add_metadata(None, "meta", "", {"name": "cover", "content": cover_image.id})
    names = _image_names(pub)
    for image in pub.images:
        if names[image.src] not in {item.file_name for item in book.get_items()}:
            book.add_item(epub.EpubImage(file_name=names[image.src], media_type=_image_type(image.src), content=image.path.read_bytes()))
    cover = _chapter(book, pub, "cover.xhtml", pub.strings["cover"], "epub_cover.xhtml", css, markers)
    body = _chapter(book, pub, "body.xhtml", pub.metadata.title, "epub_body.xhtml", css, markers, body_html=_renamed(pub.body_html, names))
    back = _chapter(book, pub, "back.xhtml", pub.strings["back_cover"], "epub_back.xhtml", css, markers)
    book.toc = _toc(pub, back)
    book.guide = [
        {"type": "cover", "href": "cover.xhtml", "title": pub.strings["cover"]},
        {"type": "toc", "href": "nav.xhtml", "title": pub.strings["contents"]},
        {"type": "text", "href": "body.xhtml", "title": pub.strings["start_of_content"]},
        {"type": "backmatter", "href": "back.xhtml", "title": pub.strings["back_cover"]},
    ]
    nav = epub.EpubNav(title=pub.strings["contents"])
    for item in css:
        nav.add_item(item)
    book.add_item(nav)
    book.add_item(epub.EpubNcx())
    book.spine = [cover, nav, body, back]
    buffer = io.BytesIO()
    epub.write_epub(buffer, book, {"epub3_landmark": True, "epub3_pages": bool(page_starts), "landmark_title": pub.strings["landmarks"],
                                   "pages_title": pub.strings["page_list"], "mtime": _modified(pub), "play_order": {"enabled": False}})
    data = _repack(buffer.getvalue(), pub.metadata.stamp_date, lambda name, data: _polish(name, data, pub.metadata.lang))
    return claim_conformance(data, pub.metadata.publisher.name) if gate_passed(data) else data


def _book(pub: Publication, page_list: bool) -> epub.EpubBook:
    """The book and its package metadata (Dublin Core, dcterms, schema.org accessibility)."""
    m = pub.metadata
    book = epub.EpubBook()
    book.set_identifier(book_identifier(pub))
    book.set_title(m.title)
    book.set_language(m.lang)
    book.add_author(m.publisher.name or "Unknown publisher")
    if m.publisher.name:
        book.add_metadata("DC", "publisher", m.publisher.name)
    if m.date:
        book.add_metadata("DC", "date", m.date.isoformat())
    if m.summary:
        book.add_metadata("DC", "description", m.summary)
    for keyword in m.keywords:
        book.add_metadata("DC", "subject", keyword)
    book.add_metadata("DC", "rights", pub.strings["public_domain"])
    for prop, value in _a11y(pub, page_list):
        book.add_metadata(None, "meta", value, {"property": prop})
    return book


def _a11y(pub: Publication, page_list: bool) -> list[tuple[str, str]]:
    """EPUB Accessibility 1.1 metadata: what the book offers and how it may be read."""
    pairs = [("schema:accessMode", "textual"), ("schema:accessMode", "visual"), ("schema:accessModeSufficient", "textual")]
    pairs += [("schema:accessibilityFeature", feature) for feature in A11Y_FEATURES + (("pageNavigation",) if page_list else ())]
    if page_list:
        pairs += [("pageBreakSource", f"{pub.metadata.title}, print edition ({pub.print_spec.trim})" + (f", {pub.metadata.date.isoformat()}" if pub.metadata.date else ""))]
    pairs += [("schema:accessibilityHazard", "none")]
    pairs += [("schema:accessibilitySummary", "Structured with headings, a table of contents and landmarks; every image has a text alternative; no hazards.")]
    return pairs


def _stylesheets(pub: Publication, book: epub.EpubBook) -> list[epub.EpubItem]:
    """The shared typography and the EPUB rules as one CSS item, every design token and the brand colour written out
    as its value (reading systems without custom properties drop any declaration with var())."""
    tokens = epubcss.custom_properties(*((STYLES / name).read_text(encoding="utf-8") for name in TOKEN_STYLES),
                                       templates.render("brand.css", brand=pub.brand))
    content = epubcss.book_css([(STYLES / name).read_text(encoding="utf-8") for name in EPUB_STYLES], tokens)
    item = epub.EpubItem(uid="book-css", file_name="styles/book.css", media_type="text/css", content=content.encode())
    book.add_item(item)
    return [item]


def _chapter(book: epub.EpubBook, pub: Publication, file_name: str, title: str, template: str, css: list[epub.EpubItem],
             markers: dict[str, list[tuple[int, int]]], **context: object) -> epub.EpubHtml:
    """One XHTML document from a template; an empty result is an error, never a silent blank chapter."""
    chapter = epub.EpubHtml(title=title, file_name=file_name, lang=pub.metadata.lang)
    chapter.content = _mark_pages(templates.render(template, pub=pub, **context), markers, file_name)
    for item in css:
        chapter.add_item(item)
    book.add_item(chapter)
    if not chapter.get_content().strip():
        raise BrochureError(f"EPUB chapter {file_name} came out empty (its HTML did not parse)")
    return chapter


def _page_markers(page_starts: tuple[str | None, ...]) -> dict[str, list[tuple[int, int]]]:
    """Which print pages begin in which element, and after how many of its non-space characters (0: before it);
    pages with no element of their own go to a lead-in."""
    markers: dict[str, list[tuple[int, int]]] = {}
    for number, start in enumerate(page_starts, start=1):
        offset = 0
        if start is not None and " " in start:  # "ID N": inside the element, after N non-space characters
            start, characters = start.split(" ", 1)
            offset = int(characters)
        if start is None or start == "toc-title":
            start = "start" if number > 1 else "cover"
        elif start.startswith(EXTRA_PAGE_PREFIX):
            start = "back-cover"
        markers.setdefault(start, []).append((offset, number))
    return markers


def _marker(number: int) -> lxml.html.HtmlElement:
    return lxml.html.Element("span", {"id": f"page-{number}", "role": "doc-pagebreak", "aria-label": str(number), "epub:type": "pagebreak"})


def _mark_pages(html: str, markers: dict[str, list[tuple[int, int]]], file_name: str) -> str:
    """Insert page-break markers (epub:type pagebreak, role doc-pagebreak) where print pages begin: before the
    element a page begins with, or inside it before the first word of a page that begins mid-paragraph."""
    root = lxml.html.fragment_fromstring(html, create_parent="div")
    for element in list(root.iter()):
        anchor = element.attrib.pop("data-anchor", None) if isinstance(element.tag, str) else None
        wanted = markers.get(anchor or element.get("id", "")) if isinstance(element.tag, str) else None
        if not wanted:
            continue
        for offset, number in sorted(wanted, reverse=True):
            if offset:
                insert_at(element, offset, _marker(number))
            elif element.tag in ("li", "section", "aside") or element.getparent() is None:
                marker = _marker(number)
                marker.tail, element.text = element.text, None
                element.insert(0, marker)
            else:
                element.addprevious(_marker(number))
    return "".join(lxml.html.tostring(child, encoding="unicode") for child in root)


def _toc(pub: Publication, back: epub.EpubHtml) -> list[epub.Link]:
    """The table of contents: the sections with their subsections nested (never empty: an empty TOC makes an
    invalid nav)."""
    links: list = []
    for section, subsections in pub.outline:
        link = epub.Link(f"body.xhtml#{section.id}", section.title, section.id)
        if subsections:
            links.append((epub.Section(section.title, href=link.href), [epub.Link(f"body.xhtml#{s.id}", s.title, s.id) for s in subsections]))
        else:
            links.append(link)
    links.append(epub.Link(back.file_name, pub.strings["back_cover"], "back"))
    return links


def _modified(pub: Publication) -> dt.datetime:
    """dcterms:modified from the publication date (ebooklib would stamp the local time as UTC)."""
    return dt.datetime.combine(pub.metadata.stamp_date, dt.time(0, 0))


def _image_names(pub: Publication) -> dict[str, str]:
    """Each image reference → its file name inside the EPUB: the reference itself when it is a plain name, else one
    made of letters, digits, '.', '_', '-' and '/' (`my%20pic.png`, the file `my pic.png`, becomes `my-20pic.png`
    named both in the manifest and in the text: a percent escape would name one file in the zip and another in the
    href)."""
    sources = list(dict.fromkeys(image.src for image in pub.images))
    names = {src: src for src in sources if _plain(src) == src}  # plain names are kept as they are
    for src in sources:
        name, number = _plain(src), 1
        while src not in names and name in names.values():  # made alike (`a%20b.png`, `a-20b.png`): two files
            number += 1
            name = f"{number}-{_plain(src)}"
        names.setdefault(src, name)
    return names


def _plain(src: str) -> str:
    return re.sub(r"[^A-Za-z0-9._/-]", "-", src.replace("%", "-"))


def _renamed(body_html: str, names: dict[str, str]) -> str:
    """The body with each image's src attribute naming its file inside the EPUB."""
    def rename(match: re.Match[str]) -> str:
        src = html.unescape(match.group(1))
        return f'src="{names[src]}"' if src in names else match.group(0)

    return re.sub(r'src="([^"]*)"', rename, body_html)


def _image_type(name: str) -> str:
    suffix = name.rsplit(".", 1)[-1].lower()
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "png": "image/png", "gif": "image/gif", "svg": "image/svg+xml", "webp": "image/webp"}.get(suffix, "application/octet-stream")


def claim_conformance(data: bytes, certified_by: str) -> bytes:
    """The same EPUB with the EPUB Accessibility 1.1 conformance claim and its evaluator in the package metadata.

    Only for an EPUB that passed the validators: the claim must be true (brochure.check adds it).
    """
    claim = "".join(f'  <meta property="{prop}">{html.escape(value, quote=False)}</meta>\n' for prop, value in
                    (("dcterms:conformsTo", CONFORMANCE), ("a11y:certifiedBy", certified_by)))

    def add_claim(name: str, content: bytes) -> bytes:
        return content.replace(b"</metadata>", f"{claim}  </metadata>".encode(), 1) if name.endswith(".opf") else content

    with zipfile.ZipFile(io.BytesIO(data)) as source:
        date = source.getinfo("mimetype").date_time
    return _repack(data, dt.date(*date[:3]), add_claim)


def _gate_record(data: bytes) -> Path:
    """The cache entry that says the gate passed on the EPUB with these bytes (before its claim was added)."""
    return cache.entry("gate", "epub\n" + hashlib.sha256(data).hexdigest(), ".pass")


def gate_passed(data: bytes) -> bool:
    """Whether `brochure build --check` passed on an EPUB of exactly these bytes (its cached result)."""
    return _gate_record(data).is_file()


def remember_gate_pass(data: bytes) -> None:
    """Keep in the cache that the gate passed on the EPUB with these bytes (unclaimed, as write_epub makes them)."""
    cache.store(_gate_record(data), b"passed\n")


def conformance_claimed(data: bytes) -> bool:
    """Whether an EPUB's package claims EPUB Accessibility conformance."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        return any(CONFORMANCE.encode() in source.read(name) for name in source.namelist() if name.endswith(".opf"))


def _polish(name: str, data: bytes, lang: str) -> bytes:
    """What ebooklib cannot be told: xml:lang on the OPF package, doc-pagelist on the page list, the landmarks and
    page list hidden."""
    if name.endswith(".opf"):
        root = etree.fromstring(data)
        root.set(XML_LANG, lang)
        return etree.tostring(root, xml_declaration=True, encoding="utf-8")
    if name.endswith("nav.xhtml"):
        tree = etree.fromstring(data).getroottree()
        for number, nav in enumerate(tree.iter(f"{{{XHTML_NS}}}nav"), start=1):
            heading = nav.find(f"{{{XHTML_NS}}}h2")
            heading.set("id", heading.get("id") or f"nav-title-{number}")
            nav.set("aria-labelledby", heading.get("id"))  # three navs in one document: each needs its own name
            if nav.get(EPUB_TYPE) == "page-list":
                nav.set("role", "doc-pagelist")
            if nav.get(EPUB_TYPE) in ("landmarks", "page-list"):  # the reading system's menus, not a page to read
                nav.set("hidden", "hidden")
                nav.set("class", "navigation-aid")  # epub.css: for the reading systems that ignore hidden
        return etree.tostring(tree, xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>")
    return data


def _repack(data: bytes, date: dt.date, edit: Callable[[str, bytes], bytes] = lambda name, content: content) -> bytes:
    """Rewrite the zip reproducibly: mimetype first and stored, fixed timestamps, entries in order, each edited."""
    stamp = (max(date.year, 1980), date.month, date.day, 0, 0, 0)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w") as target:
        names = source.namelist()
        ordered = ["mimetype"] + sorted(name for name in names if name != "mimetype")
        for name in ordered:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_STORED if name == "mimetype" else zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, edit(name, source.read(name)), compresslevel=9 if name != "mimetype" else None)
    return out.getvalue()
