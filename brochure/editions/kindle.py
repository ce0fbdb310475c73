"""EPUB → the EPUB for Kindle (NAME.kindle.epub): Send-to-Kindle takes EPUB and converts it; this one follows
Amazon's text guidelines for reflowable books (KDP "Text Guidelines - Reflowable"), where the main EPUB does not.

What Amazon's guidelines ask and the main EPUB already has: a cover image named both ways (the manifest's
`cover-image` property and `<meta name="cover">`), a navigation document and an NCX, guide entries, reflowable
layout, no scripts, no obfuscated fonts, PNG/JPEG/GIF images, font sizes in em. What it does not have: "body text
must use the default font size (1em) and line height", "no imposed font colour throughout the book", no black or
white background on body text, and no left or right margin imposed on the body. Here the stylesheet's rules for
html and body lose those declarations, and headings get an explicit alignment (Kindle justifies text by default;
Amazon asks for a text-align on every heading). The text, structure and everything else are the EPUB's.
"""
from __future__ import annotations

import tinycss2

from brochure.editions import derived

STYLESHEET = "styles/book.css"
ROOT_SELECTORS = frozenset({"html", "body", ":root"})
# what the body text must leave to the reader (Amazon: default size and leading, no imposed colour or background,
# no left or right margin or padding throughout)
READER_OWNED = frozenset({"font-size", "line-height", "color", "background", "background-color", "margin", "margin-left",
                          "margin-right", "padding", "padding-left", "padding-right"})
HEADING_ALIGNMENT = "\n/* Kindle: justified by default; Amazon asks every heading for its own alignment */\n" \
                    "h1, h2, h3, h4, h5, h6 { text-align: left; }\n"


def kindle_epub(epub: bytes) -> bytes:
    """The Kindle EPUB of an EPUB: the reader's own size, leading, colour and margins for the body text."""
    package_name, _ = derived.package(epub)

    def edit(name: str, content: bytes) -> bytes:
        if name.endswith(STYLESHEET):
            return kindle_css(content.decode("utf-8")).encode("utf-8")
        return derived.without_claim(content) if name == package_name else content

    return derived.rewrite(epub, edit)


def kindle_css(css: str) -> str:
    """The EPUB's stylesheet with the html and body rules' reader-owned declarations left out, and heading alignment."""
    out = []
    for rule in tinycss2.parse_stylesheet(css, skip_comments=False, skip_whitespace=False):
        if rule.type == "qualified-rule":
            selectors = {part.strip() for part in tinycss2.serialize(rule.prelude).split(",")}
            if selectors <= ROOT_SELECTORS:
                kept = [declaration for declaration in _declarations(rule) if declaration.lower_name not in READER_OWNED]
                if kept:
                    body = "; ".join(f"{d.name}: {tinycss2.serialize(d.value).strip()}{' !important' if d.important else ''}" for d in kept)
                    out.append(f"{tinycss2.serialize(rule.prelude).strip()} {{ {body}; }}")
                continue
        out.append(tinycss2.serialize([rule]))
    return "".join(out).rstrip() + "\n" + HEADING_ALIGNMENT


def _declarations(rule) -> list:  # type: ignore[no-untyped-def]
    return [node for node in tinycss2.parse_declaration_list(rule.content, skip_comments=True, skip_whitespace=True)
            if node.type == "declaration"]
