"""Which characters the shipped fonts can set, and where a source uses one they cannot.

Why: the PDF editions use only the fonts under styles/fonts, so that every machine makes the same file. A
character none of them has is not an error to WeasyPrint: fontconfig quietly takes it from whatever font the
machine has (or draws an empty box), and the PDF differs from machine to machine. The reader reports each such
character once, with the line it is first used on.

The repertoire is read from styles/fonts.css: for each @font-face, the characters its font file maps, limited to
its unicode-range when it has one (exactly what WeasyPrint will use it for). Reading the fonts takes fontTools and
tinycss2, so the answer is kept under .cache/glyphs, keyed by the CSS and the font files.
"""
from __future__ import annotations

import marshal
import unicodedata
from functools import cache

from brochure import cache as build_cache
from brochure.assets import STYLES, font_stamps

FONT_CSS = STYLES / "fonts.css"
MAX_REPORTED = 10


@cache
def repertoire() -> frozenset[int]:
    """Every code point some @font-face of styles/fonts.css sets."""
    css = FONT_CSS.read_text(encoding="utf-8")
    cached = build_cache.entry("glyphs", "\n".join([css, *font_stamps()]), ".marshal")
    try:
        return frozenset(marshal.loads(cached.read_bytes()))  # noqa: S302 - our own cache file, written below
    except (OSError, ValueError, EOFError, TypeError):
        pass
    points = _read_repertoire(css)
    build_cache.store(cached, marshal.dumps(sorted(points)))
    return frozenset(points)


def _read_repertoire(css: str) -> set[int]:
    import tinycss2
    from fontTools.ttLib import TTFont

    points: set[int] = set()
    for rule in tinycss2.parse_stylesheet(css, skip_comments=True, skip_whitespace=True):
        if rule.type != "at-rule" or rule.lower_at_keyword != "font-face" or rule.content is None:
            continue
        declarations = {d.lower_name: d.value for d in tinycss2.parse_blocks_contents(rule.content)
                        if d.type == "declaration"}
        urls = [token.value for token in declarations.get("src", []) if token.type == "url"]
        if not urls:
            continue
        with TTFont(FONT_CSS.parent / urls[0], lazy=True) as font:
            mapped = set(font.getBestCmap())
        ranges = [token for token in declarations.get("unicode-range", []) if token.type == "unicode-range"]
        if ranges:
            mapped = {point for point in mapped if any(r.start <= point <= r.end for r in ranges)}
        points |= mapped
    return points


def unset_characters(text: str) -> list[tuple[str, int]]:
    """The characters of text no shipped font sets (whitespace and controls aside), each with the 0-based line of
    its first use, in order of first use."""
    known = repertoire()
    missing = {char for char in set(text) if ord(char) not in known and not char.isspace() and unicodedata.category(char)[0] != "C"}
    if not missing:
        return []
    first: dict[str, int] = {}
    for number, line in enumerate(text.split("\n")):
        for char in missing.intersection(line):
            first.setdefault(char, number)
    return sorted(first.items(), key=lambda item: (item[1], item[0]))


def describe(char: str) -> str:
    """'✓' (U+2713 CHECK MARK)"""
    return f"'{char}' (U+{ord(char):04X} {unicodedata.name(char, 'unnamed character')})"
