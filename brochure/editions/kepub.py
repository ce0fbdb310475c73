"""EPUB → Kobo kepub (NAME.kepub.epub): each sentence of the content documents in a `koboSpan`.

Kobo's reader tracks the reading position, highlights and reading statistics by spans it expects in the text:
`<span class="koboSpan" id="kobo.N.M">`, N counting the blocks that hold text (paragraphs, headings, list items, cells)
through a document, M the pieces of text in that block, a sentence each (a sentence a link or a bold word breaks
is several pieces, as in Kobo's own books). Images get a span of their own, and the body's content is wrapped in
`div#book-columns > div#book-inner`, as Kobo's books have. The navigation document is left alone (the reading
system's menus, not text), and so are the page-break markers (empty spans keep their place).
"""
from __future__ import annotations

import re

from lxml import etree

from brochure.checks.readability import ABBREVIATIONS
from brochure.editions import derived

XHTML_NS = "http://www.w3.org/1999/xhtml"
# where a text's block ends: the elements whose text is a paragraph of its own for Kobo's counter
BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "dt", "dd", "td", "th", "caption", "figcaption",
                    "blockquote", "address", "pre", "div", "section", "aside", "figure", "header", "footer", "body"})
SKIPPED = frozenset({"script", "style", "svg", "math", "head"})  # no spans inside these
# the readability report's English abbreviations, and Spanish and address ones a fact sheet has
NOT_AN_END = ABBREVIATIONS | frozenset({"sr.", "sra.", "srta.", "dra.", "ud.", "uds.", "núm.", "pág.", "tel.", "p.o.", "u.s.", "ee.uu."})
SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]»]*\s+")


def kepub(epub: bytes) -> bytes:
    """The kepub of an EPUB: its bytes with koboSpans in every content document, no conformance claim."""
    documents = derived.content_documents(epub)
    package_name, _ = derived.package(epub)

    def edit(name: str, content: bytes) -> bytes:
        if name in documents:
            return add_spans(content)
        return derived.without_claim(content) if name == package_name else content

    return derived.rewrite(epub, edit)


def sentences(text: str) -> list[str]:
    """text cut after each sentence's end and the spaces after it (not after an abbreviation such as "e.g." or
    "Dra."); the pieces put together are text itself."""
    pieces, start = [], 0
    for match in SENTENCE_END.finditer(text):
        last = text[:match.end()].split()[-1].lower().strip("\"'”’)]»(¿¡")
        if last in NOT_AN_END:
            continue
        pieces.append(text[start:match.end()])
        start = match.end()
    if start < len(text):
        pieces.append(text[start:])
    return pieces


def add_spans(xhtml: bytes) -> bytes:
    """One XHTML content document with Kobo's sentence spans and body wrappers."""
    root = etree.fromstring(xhtml)
    body = root.find(f"{{{XHTML_NS}}}body")
    if body is None:
        return xhtml
    edits = []
    paragraph, piece, last_block = 0, 0, None
    for node, slot, block in list(_text_places(body)):  # numbered in document order
        if block is not last_block:
            paragraph, piece, last_block = paragraph + 1, 0, block
        if slot == "img":
            piece += 1
            edits.append((node, slot, "", [_span(paragraph, piece)]))
            continue
        text = node.text if slot == "text" else node.tail
        lead = text[:len(text) - len(text.lstrip())]
        spans = []
        for part in sentences(text[len(lead):]):
            piece += 1
            spans.append(_span(paragraph, piece, part))
        edits.append((node, slot, lead, spans))
    for node, slot, lead, spans in reversed(edits):  # last first: an image's tail is spanned before the image is wrapped
        if slot == "img":
            _wrap(node, spans[0])
        else:
            _replace_text(node, slot, lead, spans)
    _wrap_body(body)
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="utf-8", doctype="<!DOCTYPE html>")


def _text_places(element: etree._Element, block: etree._Element | None = None):  # type: ignore[no-untyped-def]
    """(node, "text" | "tail" | "img", the block it belongs to) for each non-blank text and each image, in order."""
    name = etree.QName(element).localname if isinstance(element.tag, str) else ""
    if not name or etree.QName(element).namespace != XHTML_NS or name in SKIPPED:
        return
    own = element if name in BLOCKS or block is None else block
    if name == "img":
        yield element, "img", own
        return
    if element.text and element.text.strip():
        yield element, "text", own
    for child in element:
        yield from _text_places(child, own)
        if child.tail and child.tail.strip():
            yield child, "tail", own


def _span(paragraph: int, piece: int, text: str | None = None) -> etree._Element:
    span = etree.Element(f"{{{XHTML_NS}}}span", {"class": "koboSpan", "id": f"kobo.{paragraph}.{piece}"})
    span.text = text
    return span


def _replace_text(node: etree._Element, slot: str, lead: str, spans: list[etree._Element]) -> None:
    """Put spans where node's text (or tail) was, after its leading spaces."""
    if slot == "text":
        node.text = lead
        for position, span in enumerate(spans):
            node.insert(position, span)
    else:
        node.tail = lead
        for span in reversed(spans):
            node.addnext(span)


def _wrap(image: etree._Element, span: etree._Element) -> None:
    span.tail, image.tail = image.tail, None
    image.addprevious(span)
    span.append(image)


def _wrap_body(body: etree._Element) -> None:
    """The body's content inside div#book-columns > div#book-inner (Kobo's pagination styles hang on them)."""
    columns = etree.Element(f"{{{XHTML_NS}}}div", {"id": "book-columns"})
    inner = etree.SubElement(columns, f"{{{XHTML_NS}}}div", {"id": "book-inner"})
    inner.text, body.text = body.text, None
    for child in list(body):
        inner.append(child)
    body.append(columns)
