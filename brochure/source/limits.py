"""The limits a source keeps to, and the scan that checks a Markdown body against them before it is rendered.

Size and line limits bound how much there is to read. They do not bound the cost: a few kilobytes of one shape
make Python-Markdown or the standard library's HTML parser rescan the rest of the text once per character, and
a few thousand headings make WeasyPrint's layout take minutes. Each limit below names the shape it refuses and
what it costs; the scan that enforces it runs in one pass (it is never quadratic itself), before Python-Markdown
sees the body, and stops at the first line past a limit with a located error.

The costs were measured on the build machine (2 shared cores, Python 3.11, Python-Markdown 3.11.3, WeasyPrint
70.0) so that any source inside every limit builds all its editions, or fails, within 30 s and 1 GB.
"""
from __future__ import annotations

import re
from pathlib import Path

from brochure.errors import Location, SourceError

# What is read at all. A brochure is a few pages; the 200-page benchmark is 114 kB in 2,100 lines. Text alone reaches
# the layout limit below at about 290 kB: these bound the reading, that one the build.
MAX_SOURCE_BYTES = 1_000_000
MAX_LINES = 20_000

# Python-Markdown's link, image, reference and footnote patterns scan from each '[' to its matching ']' (or the end of
# the paragraph), and from the '(' after a link's ']' to its matching ')', once for each of the patterns: a paragraph of
# unclosed '[' is rescanned once per '['. This bounds the characters scanned, summed over the body. A link's text is
# scanned once: a 1 MB source of ordinary links stays far below it; 30,000 '[' in a row (30 kB) are 450 million.
MAX_BRACKET_SCAN = 3_000_000

# The HTML parser (html.parser, under Python-Markdown's raw HTML handling and the sanitiser's scans) looks for the end of
# each '<' that may open a tag, comment or CDATA section; an opener never closed is looked for to the end of the text,
# and then the next one is tried from just after it: 20,000 '<a ' in a row are 1.8 billion characters scanned. This bounds
# the characters scanned for openers, summed over the body (a closed tag costs its own length).
MAX_HTML_SCAN = 3_000_000

# WeasyPrint's layout is linear in the text and the blocks, but a block costs as much as 130 bytes of text, and a heading
# (a bookmark, an entry in the contents with its page number) as much as 7 paragraphs: 10,000 one-word paragraphs took
# 116 s of CPU, 20,000 list items over 300 s and 1.2 GB, 5,000 headings over 200 s and 1.5 GB, while 150 kB of long
# paragraphs took 16 s. A source's layout time is estimated as it is scanned, at the rates measured for all three
# editions together (CPU seconds on this machine, the fixed ~2 s of a build aside), and kept under MAX_LAYOUT_SECONDS:
# with the limit at 25 s, 320 headings took 27.9 s (the worst case found: the fixed cost of a build comes on top),
# 2,370 one-word paragraphs 26.0 s, an SVG of 20,000 elements 18 to 22 s; at 24 s each shape gets a second less; the 200-page benchmark (114 kB, 475 blocks,
# 125 headings: estimated 23.6 s from its source) took 19 s.
LAYOUT_SECONDS_PER_KB = 0.081
LAYOUT_SECONDS_PER_BLOCK = 0.0103  # a paragraph, list item, table row, quote or raw HTML block element
LAYOUT_SECONDS_PER_HEADING = 0.068  # on top of its block's
LAYOUT_SECONDS_PER_SVG_ELEMENT = 0.00082  # each time the drawing is shown: one of 20,000 elements took 18.4 s in all
MAX_LAYOUT_SECONDS = 24
BLOCK_TAG = re.compile(r"<(?:(h[1-6])|p|li|tr|td|th|div|section|blockquote|table|figure|aside|details|dt|dd|pre|ul|ol|dl)\b", re.I)
LIST_OR_ROW = re.compile(r" *(?:[-*+]|\d{1,9}[.)])(?: |$)| *\|")

OPENER = re.compile(r"<[A-Za-z/!?]")
BRACKET = re.compile(r"\\.|[][()]", re.S)
FENCE = ("```", "~~~")


def check_cost(body: str, path: Path, first_line: int) -> None:
    """Refuse a Markdown body whose shape would take Python-Markdown, the HTML parser or the layout minutes."""
    _check_brackets(body, path, first_line)
    _check_html(body, path, first_line)


def check_layout(body: str, path: Path, first_line: int) -> float:
    """Refuse a body whose estimated layout time passes MAX_LAYOUT_SECONDS, at the line where it does; return the estimate."""
    size = blocks = headings = 0
    seconds = 0.0
    previous_blank, in_fence = True, False
    lines = body.split("\n")
    for number, line in enumerate(lines):
        size += len(line.encode("utf-8", "surrogatepass")) + 1
        stripped = line.strip()
        if stripped.startswith(FENCE):
            in_fence = not in_fence
        if stripped and not in_fence:
            underline = lines[number + 1].strip() if number + 1 < len(lines) else ""
            heading = stripped.startswith("#") or (bool(underline) and set(underline) <= set("=-"))
            blocks += previous_blank or heading or bool(LIST_OR_ROW.match(line))
            headings += heading
            for tag in BLOCK_TAG.finditer(line):
                blocks += 1
                headings += tag.group(1) is not None
        previous_blank = not stripped
        seconds = (size / 1000 * LAYOUT_SECONDS_PER_KB + blocks * LAYOUT_SECONDS_PER_BLOCK + headings * LAYOUT_SECONDS_PER_HEADING)
        if seconds > MAX_LAYOUT_SECONDS:
            raise SourceError(f"the source is too long to lay out in the time a build may take: by this line it has {size / 1000:,.0f} kB of "
                              f"text, {blocks:,} blocks and {headings:,} headings, about {seconds:.0f} s of layout (the limit is "
                              f"{MAX_LAYOUT_SECONDS} s); split the publication", Location(path, first_line + number))
    return seconds


def check_drawings(text_seconds: float, elements: int, where: Location) -> None:
    """Refuse the use of an SVG that takes the estimated layout time past MAX_LAYOUT_SECONDS (elements: of all the
    drawings shown so far, each use counted)."""
    seconds = text_seconds + elements * LAYOUT_SECONDS_PER_SVG_ELEMENT
    if seconds > MAX_LAYOUT_SECONDS:
        raise SourceError(f"the SVG drawings shown by this line have {elements:,} elements in all (each use counted): with the text, "
                          f"about {seconds:.0f} s of layout, more than the limit of {MAX_LAYOUT_SECONDS} s; simplify them, or use PNGs", where)


def _paragraphs(body: str) -> list[tuple[int, str]]:
    """Runs of non-blank lines outside fenced code (no inline text spans more), each with its 0-based first line."""
    found: list[tuple[int, str]] = []
    start, lines, in_fence = 0, [], False  # type: ignore[var-annotated]
    for number, line in enumerate(body.split("\n")):
        fence = line.lstrip().startswith(FENCE)
        if fence:
            in_fence = not in_fence
        if in_fence or fence or not line.strip():
            if lines:
                found.append((start, "\n".join(lines)))
            lines = []
            continue
        if not lines:
            start = number
        lines.append(line)
    if lines:
        found.append((start, "\n".join(lines)))
    return found


def _check_brackets(body: str, path: Path, first_line: int) -> None:
    """Sum, over every '[' and every '(' right after a ']', the characters to its match or the paragraph's end."""
    total = 0
    for start, text in _paragraphs(body):
        brackets: list[int] = []
        parens: list[tuple[int, bool]] = []  # (position, opens a link's destination)
        scanned: list[tuple[int, int]] = []  # (cost, position of the opener): summed below, in the order they close
        for match in BRACKET.finditer(text):
            char, position = match.group(), match.start()
            if char == "[":
                brackets.append(position)
            elif char == "]" and brackets:
                opened = brackets.pop()
                scanned.append((position - opened, opened))
            elif char == "(":
                parens.append((position, position > 0 and text[position - 1] == "]"))
            elif char == ")" and parens:
                opened, link = parens.pop()
                if link:
                    scanned.append((position - opened, opened))
        scanned += [(len(text) - opened, opened) for opened in brackets]
        scanned += [(len(text) - opened, opened) for opened, link in parens if link]
        for cost, opened in scanned:
            total += cost
            if total > MAX_BRACKET_SCAN:
                line = first_line + start + text.count("\n", 0, opened)
                raise SourceError(f"too many '[' without their ']' (or '(' without ')' after a link): Python-Markdown would rescan "
                                  f"the paragraph for each, more than {MAX_BRACKET_SCAN:,} characters in all (the limit); close them, "
                                  r"or write \[ for a bracket that opens no link", Location(path, line))


def _check_html(body: str, path: Path, first_line: int) -> None:
    """Follow html.parser through the body: each opener costs the characters to its end, or to the end of the text when
    it has none (and the parser then goes on from the next '>', or the next '<' when no '>' is left)."""
    size = len(body)
    last_gt, last_comment_end, last_cdata_end = body.rfind(">"), body.rfind("-->"), body.rfind("]]>")
    total, resume = 0, 0
    for match in OPENER.finditer(body):
        opened = match.start()
        if opened < resume:
            continue  # inside what the parser took as one tag, comment or text run
        if body.startswith("<!--", opened):
            end, last = "-->", last_comment_end
        elif body.startswith("<![", opened):
            end, last = "]]>", last_cdata_end
        else:
            end, last = ">", last_gt
        if last > opened:
            closed = body.find(end, opened + 2)
            total += closed - opened
            resume = closed + len(end)
        else:
            total += size - opened
            resume = body.find(">", opened + 1) + 1 if last_gt > opened else opened + 1
        if total > MAX_HTML_SCAN:
            line = first_line + body.count("\n", 0, opened)
            raise SourceError(f"too many '<' that open a tag, comment or CDATA section never closed: the HTML parser would rescan "
                              f"the rest of the source for each, more than {MAX_HTML_SCAN:,} characters in all (the limit); close "
                              "them, or write &lt; for a '<' that opens no tag", Location(path, line))
