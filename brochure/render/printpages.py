"""Where the standard print edition's pages start, marked in another edition's text: the EPUB's page-break markers
and the large-print edition's margin numbers both put an element before the first word of each printed page.

A page start is what pdf.page_starts measured in the print layout: the id of the element the page begins with, or
"ID N", the id of the element it begins inside and how many of its non-space characters earlier pages hold.
"""
from __future__ import annotations

import lxml.html

from brochure.render.html import EXTRA_PAGE_PREFIX

# print pages the large-print edition has no place for: the cover, the print edition's extra pages (notes, ordering)
UNMARKED = ("cover",)
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
INSIDE = ("section", "nav", "main", "li")  # a marker at the start goes inside these, before anything else


def parse_start(start: str) -> tuple[str, int]:
    """("ID", N) of a page start "ID N", ("ID", 0) of one that begins with its element."""
    name, _, characters = start.partition(" ")
    return name, int(characters or 0)


def mark_print_pages(html: str, page_starts: tuple[str | None, ...], label: str) -> str:
    """A whole HTML document with `<span class="print-page">LABEL N</span>` where print page N begins (pages that
    begin nowhere in it, the cover and blank pages, get none)."""
    wanted: dict[str, list[tuple[int, int]]] = {}
    for number, start in enumerate(page_starts, start=1):
        if start is None:
            continue
        name, offset = parse_start(start)
        if name not in UNMARKED and not name.startswith(EXTRA_PAGE_PREFIX):
            wanted.setdefault(name, []).append((offset, number))
    if not wanted:
        return html
    root = lxml.html.document_fromstring(html)
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.get("id") not in wanted:
            continue
        for offset, number in sorted(wanted[element.get("id")], reverse=True):
            marker = lxml.html.Element("span", {"class": "print-page", "id": f"print-page-{number}"})
            marker.text = f"{label} {number}"
            if element.tag in INSIDE and not offset:
                marker.tail, element.text = element.text, None
                element.insert(0, marker)
            else:  # before the page's first word, inside its element: the number stays on the line that word starts
                if element.tag in HEADINGS and element.get("data-bookmark") is None:  # its bookmark: the heading alone
                    element.set("data-bookmark", " ".join(element.text_content().split()))
                insert_at(element, offset, marker)
    return lxml.html.tostring(root, encoding="unicode", doctype="<!DOCTYPE html>")


def insert_at(element: lxml.html.HtmlElement, offset: int, marker: lxml.html.HtmlElement) -> None:
    """Put marker inside element before its non-space character number offset (counted from 0, in document order,
    as the print layout counts them); at its end if it has fewer."""
    seen = 0
    for node, slot in _text_slots(element):
        text = (node.text if slot == "text" else node.tail) or ""
        for position, char in enumerate(text):
            if char.isspace() or char == "\u00ad":
                continue
            if seen == offset:
                before, after = text[:position], text[position:]
                if slot == "text":
                    node.text, marker.tail = before, after
                    node.insert(0, marker)
                else:
                    node.tail, marker.tail = before, after
                    node.addnext(marker)
                return
            seen += 1
    element.append(marker)


def _text_slots(element: lxml.html.HtmlElement):  # type: ignore[no-untyped-def]
    """(node, "text") and (node, "tail") for the text inside element, in document order."""
    yield element, "text"
    for child in element:
        if isinstance(child.tag, str):
            yield from _text_slots(child)
        yield child, "tail"
