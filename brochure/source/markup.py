"""Markdown → body HTML, headings and images, through Python-Markdown extensions and tree processors."""
from __future__ import annotations

import html
import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote
from xml.etree import ElementTree as etree

import markdown
import nh3
from markdown.extensions import Extension
from markdown.extensions.attr_list import AttrListExtension
from markdown.extensions.def_list import DefListExtension
from markdown.extensions.fenced_code import FencedCodeExtension
from markdown.extensions.footnotes import FootnoteExtension
from markdown.extensions.md_in_html import MarkdownInHtmlExtension
from markdown.extensions.sane_lists import SaneListExtension
from markdown.extensions.smarty import SmartyExtension
from markdown.extensions.tables import TableExtension
from markdown.extensions.toc import TocExtension, strip_tags
from markdown.inlinepatterns import InlineProcessor
from markdown.postprocessors import Postprocessor
from markdown.treeprocessors import Treeprocessor
from markdown.util import ETX, HTML_PLACEHOLDER_RE, STX, AtomicString

from brochure.errors import Finding, Location, SourceError
from brochure.source.limits import check_cost, check_layout

log = logging.getLogger(__name__)

# Limits that keep every later stage (Python-Markdown, lxml, WeasyPrint's layout) well inside Python's recursion limit.
MAX_LIST_DEPTH = 32  # lists and block quotes, as typed in Markdown
MAX_HTML_DEPTH = 100  # elements of the body HTML, lists and raw HTML together
MAX_REMOVAL_WARNINGS = 20
CONTAINER = re.compile(r" {0,3}(?:>|(?:[-*+]|\d{1,9}[.)])(?= |$)) ?")
VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr"}
OPTIONAL_END_TAGS = {"caption", "colgroup", "dd", "dt", "li", "optgroup", "option", "p", "rp", "rt", "tbody", "td", "tfoot", "th", "thead", "tr"}
LIST_ITEM = re.compile(r"^(?P<indent> *)(?P<marker>[-*+]|\d{1,9}[.)])(?P<gap> +|$)")
ALLOWED_URL_SCHEMES = {"http", "https", "mailto", "tel"}
ALLOWED_TAGS = {
    "a", "abbr", "aside", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "details", "dfn",
    "div", "dl", "dt", "em", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "section", "small", "span", "strong", "sub",
    "summary", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul", "var",
}
ALLOWED_ATTRIBUTES = {
    "*": {"class", "id", "lang", "dir", "title", "role"},
    "a": {"href", "hreflang", "data-url"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan", "style"},
    "th": {"colspan", "rowspan", "scope", "style"},
    "ol": {"start", "type"},
    "abbr": {"title"},
}

QUOTES = {
    "en": {"left-single-quote": "&lsquo;", "right-single-quote": "&rsquo;", "left-double-quote": "&ldquo;", "right-double-quote": "&rdquo;"},
    "es": {"left-single-quote": "&lsquo;", "right-single-quote": "&rsquo;", "left-double-quote": "&laquo;", "right-double-quote": "&raquo;"},
}


@dataclass
class Found:
    """What the tree processor collects while it walks the body."""

    headings: list[tuple[str, str, int]] = field(default_factory=list)
    images: list[tuple[str, str, bool]] = field(default_factory=list)
    langs: set[str] = field(default_factory=set)  # every lang attribute in the body
    removed_html: list[str] = field(default_factory=list)
    dead_anchors: list[str] = field(default_factory=list)  # in-page link targets that no element has
    relative_links: list[str] = field(default_factory=list)  # links to a relative path: nothing a reader can follow
    duplicate_ids: list[str] = field(default_factory=list)  # ids typed twice, or taken by the templates
    skipped_headings: list[str] = field(default_factory=list)  # headings set one level up: they skipped a level
    html_depth: int = 0
    layout_seconds: float = 0.0  # the estimated layout time of the text (limits.check_layout), drawings aside
    warnings: list[Finding] = field(default_factory=list)  # for the reader to log once the whole source has passed


def render(body: str, lang: str, path: Path, first_line: int, title: str = "") -> tuple[str, Found]:
    """Render a Markdown body to an HTML fragment; return it with the headings and images found.

    Headings are re-levelled so that the top level the writer used (`#`, `##` or lower) is the section level, h2
    (h1 is the cover's title); a first `#` heading that repeats `title` is left out."""
    found = Found()
    md = markdown.Markdown(
        # Extension objects, not names: names make Python-Markdown scan every installed package's entry points.
        extensions=[
            FencedCodeExtension(), TableExtension(), FootnoteExtension(BACKLINK_TITLE="%d"), AttrListExtension(), DefListExtension(),
            MarkdownInHtmlExtension(), SaneListExtension(),
            SmartyExtension(substitutions=QUOTES.get(lang.split("-")[0], QUOTES["en"])),
            TocExtension(slugify=_slugify, toc_depth="1-6"), _Collect(found, title),
        ],
        output_format="xhtml",
    )
    text = normalise_list_indent(body)
    check_cost(text, path, first_line)  # before anything quadratic in the shapes it refuses reads the text
    source_html = _check_nesting(text, path, first_line)
    found.layout_seconds = check_layout(text, path, first_line)
    try:
        html = md.convert(text)
    except RecursionError:
        line = first_line + _most_nested_line(body)
        raise SourceError("emphasis, links or lists are nested too deeply to read", Location(path, line)) from None
    if found.html_depth > MAX_HTML_DEPTH:
        line = first_line + (source_html.deepest_line - 1 if source_html.deepest_line else 0)
        raise SourceError(f"lists, quotes and HTML are nested more than {MAX_HTML_DEPTH} elements deep", Location(path, line))
    html = _drop_dead_anchors(html, found)
    shown = found.removed_html[:MAX_REMOVAL_WARNINGS]  # each is located by a search of the body: keep that bounded
    found.warnings = [_warning(f"removed unsafe HTML {item}", Location(path, first_line + _line_of(body, item))) for item in shown]
    lines = body.split("\n")
    for href in list(dict.fromkeys(found.relative_links))[:MAX_REMOVAL_WARNINGS]:
        line = next((n for n, text in enumerate(lines) if f"({href}" in text or f"]: {href}" in text or f'"{href}"' in text), 0)
        found.warnings.append(_warning(f"link '{href}' is neither a web address (https://…) nor an anchor in this publication: "
                                       "its text is kept, the link left out", Location(path, first_line + line)))
    for duplicate in list(dict.fromkeys(found.duplicate_ids))[:MAX_REMOVAL_WARNINGS]:
        uses = [n for n, text in enumerate(lines) if f'id="{duplicate}"' in text or f"{{#{duplicate}" in text] or [0]
        found.warnings.append(_warning(f"id '{duplicate}' is used more than once (or by the template): only its first use keeps it",
                                       Location(path, first_line + uses[min(1, len(uses) - 1)])))
    for target in list(dict.fromkeys(found.dead_anchors))[:MAX_REMOVAL_WARNINGS]:
        line = next((n for n, text in enumerate(body.split("\n")) if f"#{target}" in text), 0)
        found.warnings.append(_warning(f"link to '#{target}' points to no heading or anchor in this publication", Location(path, first_line + line)))
    for heading in found.skipped_headings[:MAX_REMOVAL_WARNINGS]:
        words = heading.split()[:3]
        line = next((n for n, text in enumerate(lines) if text.lstrip().startswith("#") and all(w in text for w in words)), 0)
        found.warnings.append(_warning(f"heading '{heading}' skips a level after the heading before it: it is set one level "
                                       "below that one (levels in order, for screen readers and PDF/UA)", Location(path, first_line + line)))
    if len(found.removed_html) > len(shown):
        found.warnings.append(_warning(f"removed {len(found.removed_html) - len(shown)} more pieces of unsafe HTML", Location(path)))
    return html, found


def _warning(message: str, where: Location) -> Finding:
    return Finding("brochure", "warning", message, where)


def _check_nesting(text: str, path: Path, first_line: int) -> _Scan:
    """Refuse lists and quotes, or raw HTML, nested deeper than the limits; return the scan of the raw HTML."""
    in_fence = False
    for number, line in enumerate(text.split("\n")):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if not in_fence and _container_depth(line) > MAX_LIST_DEPTH:
            raise SourceError(f"lists and block quotes are nested more than {MAX_LIST_DEPTH} levels deep", Location(path, first_line + number))
    scan = _scan(text, typed=True)
    if scan.depth > MAX_HTML_DEPTH:
        raise SourceError(f"HTML elements are nested more than {MAX_HTML_DEPTH} deep", Location(path, first_line + scan.deepest_line - 1))
    return scan


def _container_depth(line: str) -> int:
    """How many lists and quotes a line of (re-indented) Markdown is inside: one per 4 spaces, one per marker."""
    line = line.expandtabs(4)
    depth, position = (len(line) - len(line.lstrip(" "))) // 4, len(line) - len(line.lstrip(" "))
    while match := CONTAINER.match(line, position):
        depth, position = depth + 1, match.end()
    return depth


def _most_nested_line(body: str) -> int:
    """0-based line with the most Markdown punctuation (where a recursion limit was most likely hit)."""
    lines = body.split("\n")
    return max(range(len(lines)), key=lambda n: sum(lines[n].count(mark) for mark in "*_[]>`<"))


def _slugify(value: str, separator: str) -> str:
    """Heading ids: lower-case ASCII words joined by hyphens (stable, readable anchors)."""
    import unicodedata

    text = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^\w]+", separator, text.lower()).strip(separator) or "section"
    # an XML name (the NCX's ids must be) starts with a letter; and the templates' own ids stay theirs
    return f"section{separator}{slug}" if slug[0].isdigit() or slug[0] == "_" or slug in TEMPLATE_IDS else slug


def normalise_list_indent(text: str) -> str:
    """Re-indent nested list items typed with 2 or 3 spaces (CommonMark) to Python-Markdown's 4."""
    out: list[str] = []
    stack: list[tuple[int, int]] = []  # (source content column, output content column) per open item
    in_fence = False
    for line in text.split("\n"):
        if line.lstrip().startswith(("```", "~~~")):
            in_fence = not in_fence
        if in_fence or not line.strip():
            out.append(line if in_fence or not stack else line)
            continue
        indent = len(line) - len(line.lstrip(" "))
        match = LIST_ITEM.match(line)
        while stack and indent < stack[-1][0] and not (match and indent >= stack[-1][0]):
            stack.pop()
        if match:
            depth_col = stack[-1][1] if stack else 0
            if not stack and indent >= 4:
                out.append(line)
                continue
            marker, gap = match.group("marker"), len(match.group("gap")) or 1
            out.append(" " * depth_col + line[indent:])
            stack.append((indent + len(marker) + gap, depth_col + 4))
        elif stack:
            out.append(" " * stack[-1][1] + line[min(indent, stack[-1][0]):])
        else:
            out.append(line)
    return "\n".join(out)


def _line_of(body: str, item: str) -> int:
    """0-based line of the body where a removed tag or attribute was typed, 0 when not found."""
    match = re.match(r"<(\w+)(?: ([\w:-]+)='(.*)')?>$", item)
    if not match:
        return 0
    tag, attribute, value = match.groups()
    probes = [re.compile(re.escape(value))] if value else []
    probes.append(re.compile(rf"<{tag}\b[^>]*{attribute or ''}", re.I))
    lines = body.split("\n")
    for probe in probes:
        for number, line in enumerate(lines):
            if probe.search(line):
                return number
    return 0


class _Scan(HTMLParser):
    """Walks an HTML fragment: its (tag, attribute) pairs, its images, its languages, how deep its elements nest and where."""

    def __init__(self, nesting: set[str]) -> None:
        super().__init__(convert_charrefs=True)
        self.nesting = nesting  # the tags that count towards the depth
        self.items: list[str] = []
        self.images: list[tuple[str, str, bool]] = []
        self.langs: set[str] = set()
        self.open = 0
        self.depth = 0
        self.deepest_line = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.items.append(f"<{tag}>")
        self.items.extend(f"<{tag} {name}={_normal(name, value)!r}>" for name, value in attrs)
        values = {name: value or "" for name, value in attrs}
        if tag == "img":
            self.images.append((values.get("src", ""), values.get("alt", ""), "decorative" in values.get("class", "").split()))
        if values.get("lang"):
            self.langs.add(values["lang"])
        if tag in self.nesting:
            self.open += 1
            if self.open > self.depth:
                self.depth, self.deepest_line = self.open, self.getpos()[0]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.nesting and self.open:
            self.open -= 1


def _normal(name: str, value: str | None) -> str | None:
    """An attribute value as compared before and after cleaning: a style's declarations without spaces or a final
    ';' (the sanitiser rewrites `text-align: center;`, which Markdown's aligned table cells carry, as `text-align:center`)."""
    if name != "style" or value is None:
        return value
    return ";".join(part.replace(" ", "") for part in value.split(";") if part.strip())


def _scan(fragment: str, typed: bool = False) -> _Scan:
    """Scan HTML; as typed by a writer, elements whose end tag may be left out do not count towards the depth."""
    nesting = ALLOWED_TAGS - VOID_TAGS - (OPTIONAL_END_TAGS if typed else set())
    scanner = _Scan(nesting)
    scanner.feed(fragment)
    scanner.close()
    return scanner


def sanitise(html: str) -> tuple[str, list[str]]:
    """Clean HTML with an allow-list; return the clean HTML and the tags and attributes removed."""
    clean, removed, _, _ = _sanitise(html)
    return clean, removed


def _sanitise(html: str) -> tuple[str, list[str], _Scan, _Scan]:
    """sanitise(), with the scans of the HTML as typed and as cleaned."""
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        url_schemes=ALLOWED_URL_SCHEMES,
        generic_attribute_prefixes={"aria-"},
        attributes=ALLOWED_ATTRIBUTES,
        filter_style_properties={"text-align"},
        link_rel=None,
        strip_comments=True,
    )
    typed, cleaned = _scan(html, typed=True), _scan(clean)
    removed = Counter(typed.items) - Counter(cleaned.items)
    return clean, sorted(removed), typed, cleaned


class _Sanitise(Postprocessor):
    """Runs the whole body, raw HTML the writer typed included, through the sanitiser."""

    def __init__(self, md: markdown.Markdown, found: Found):
        super().__init__(md)
        self.found = found

    def run(self, text: str) -> str:
        clean, removed, typed, cleaned = _sanitise(text)
        clean = self._links(self._unique_ids(clean))
        self.found.removed_html.extend(removed)
        self.found.images.extend(typed.images)  # as typed: a refused src is reported, not silently dropped
        self.found.html_depth = cleaned.depth
        self.found.langs |= cleaned.langs
        return clean

    def _unique_ids(self, html_text: str) -> str:
        """Each id once (an EPUB with a duplicate id is invalid): a later copy, or one the templates use, is dropped."""
        seen = set(TEMPLATE_IDS)

        def once(match: re.Match[str]) -> str:
            if match.group(1) in seen:
                self.found.duplicate_ids.append(match.group(1))
                return ""
            seen.add(match.group(1))
            return match.group(0)

        return re.sub(r' id="([^"]*)"', once, html_text)

    def _links(self, html_text: str) -> str:
        """Web addresses with characters a URL may not hold percent-encoded; a link to a relative path (a page of the
        agency's site, a typo), which no reader can follow from a PDF or an EPUB, loses its href and keeps its text."""
        def check(match: re.Match[str]) -> str:
            # Python-Markdown writes an e-mail autolink's href as entities, its '&' still a placeholder at this stage
            href = html.unescape(match.group(1).replace(f"{STX}amp{ETX}", "&"))
            if href.startswith("#") or re.match(r"(?i)(mailto|tel):", href):
                return match.group(0)
            if re.match(r"(?i)https?:", href):
                return f' href="{html.escape(quote(href, safe=URL_SAFE))}"'
            self.found.relative_links.append(href)
            return ""

        return re.sub(r' href="([^"]*)"', check, html_text)


class _Walk(Treeprocessor):
    """Collects headings, marks decorative images, external links and wide tables, re-levels the headings."""

    def __init__(self, md: markdown.Markdown, found: Found, title: str = ""):
        super().__init__(md)
        self.found = found
        self.title = title

    def plain_text(self, element: etree.Element) -> str:
        """An element's text as a reader sees it: smart quotes and dashes that Python-Markdown still keeps as
        placeholders at this stage put back (as the toc extension does), entities decoded."""
        text = HTML_PLACEHOLDER_RE.sub(lambda match: self._stashed_text(int(match.group(1))), "".join(element.itertext()))
        return " ".join(html.unescape(text).split())

    def _stashed_text(self, index: int) -> str:
        """The text of one stashed piece of raw HTML (smarty's entities are stashed this way)."""
        stashed = self.md.htmlStash.rawHtmlBlocks[index] if index < len(self.md.htmlStash.rawHtmlBlocks) else ""
        return strip_tags(stashed) if isinstance(stashed, str) else "".join(stashed.itertext())

    def run(self, root: etree.Element) -> None:
        self._drop_repeated_title(root)
        self._relevel(root)
        for link in root.iter("a"):  # a link is never hyphenated already; a span inside it would leave WeasyPrint 70's
            for span in [child for child in link if child.tag == "span" and child.get("class") in ("url", "phone")]:  # Link tag
                _unwrap(link, span)  # without its annotation
        for number, block in enumerate(_blocks(root), start=1):
            if not block.get("id"):
                block.set("id", f"b{number}")
        self._unique_ids(root)
        for element in root.iter():
            if element.tag in HEADINGS:
                self.found.headings.append((element.get("id", ""), self.plain_text(element), int(element.tag[1])))
            elif element.tag in ("td", "th") and any(len(word) >= LONG_WORD for word in "".join(element.itertext()).split()):
                element.set("class", ((element.get("class") or "") + " long-word").strip())
            elif element.tag == "table":
                rows = [child for child in element.iter("tr")]
                if rows and max(len(row) for row in rows) >= WIDE_TABLE_COLUMNS:
                    element.set("class", ((element.get("class") or "") + " wide").strip())
            elif element.tag == "img":
                if "decorative" in (element.get("class") or "").split():
                    element.set("alt", "")
                    element.set("role", "presentation")
            elif element.tag == "a" and re.match(r"(?i)https?:", element.get("href", "")):
                element.set("class", ((element.get("class") or "") + " external").strip())
                shown = element.get("href", "").split("://", 1)[-1].rstrip("/")
                if self.plain_text(element).split("://", 1)[-1].lower().rstrip("/") != shown.lower():
                    element.set("data-url", shown)


    def _unique_ids(self, root: etree.Element) -> None:
        """A heading or block id typed twice (`{#id}`), or one the templates use, gets a suffix: ids are unique."""
        seen = set(TEMPLATE_IDS)
        suffixes: Counter[str] = Counter()  # the last suffix tried per id: each copy is named in one step, never a search
        for element in root.iter():
            ident = element.get("id")
            if not ident:
                continue
            if ident in seen:
                self.found.duplicate_ids.append(ident)
                base = ident
                suffixes[base] = max(suffixes[base], 1)
                while ident in seen:
                    suffixes[base] += 1
                    ident = f"{base}-{suffixes[base]}"
                element.set("id", ident)
            seen.add(ident)

    def _drop_repeated_title(self, root: etree.Element) -> None:
        """A first `# Heading` that says the front matter's title again (exported fact sheets start so) is left out:
        the cover prints the title already."""
        first = root[0] if len(root) else None
        if first is not None and first.tag == "h1" and _same_words(self.plain_text(first), self.title):
            tail = first.tail
            root.remove(first)
            if tail and tail.strip():
                root.text = (root.text or "") + tail

    def _relevel(self, root: etree.Element) -> None:
        """Move every heading by the same step so the top level written is h2, the section level (h6 at most); then
        a heading that skips a level (`####` straight after `##`) is set one level below the heading before it:
        PDF/UA-1 (7.4.2) and screen readers' heading navigation need the levels in order."""
        levels = [int(element.tag[1]) for element in root.iter() if element.tag in HEADINGS]
        shift = 2 - min(levels) if levels else 0
        previous = 2  # the contents' heading (h2, after the cover's h1 title): a first heading may be an h3
        for element in root.iter():
            if element.tag not in HEADINGS:
                continue
            level = min(6, max(2, int(element.tag[1]) + shift))
            if level > previous + 1:
                self.found.skipped_headings.append(self.plain_text(element))
                level = previous + 1
            element.tag = f"h{level}"
            previous = level


def _unwrap(parent: etree.Element, child: etree.Element) -> None:
    """Replace a childless element by its text, keeping the text around it in order."""
    text = (child.text or "") + (child.tail or "")
    index = list(parent).index(child)
    if index:
        before = parent[index - 1]
        before.tail = (before.tail or "") + text
    else:
        parent.text = (parent.text or "") + text
    parent.remove(child)


HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
# ids the templates give their own elements (cover, contents, title, back cover): a heading may not take one
TEMPLATE_IDS = frozenset({"title", "cover", "toc-title", "start", "back-cover", "more-info-title", "main"})
LONG_WORD = 24  # characters: a word this long in a table cell may break anywhere (styles: .long-word)
WIDE_TABLE_COLUMNS = 6  # from here on a table is set smaller, with cells that wrap anywhere (styles: table.wide)


def _same_words(text: str, other: str) -> bool:
    """Whether two titles say the same words (case, punctuation and spacing aside)."""
    def words(value: str) -> list[str]:
        return re.findall(r"\w+", value.casefold())

    return bool(words(text)) and words(text) == words(other)


PHONE = r"(?<![\w-])(?:1[-. ])?(?:\(\d{3}\) ?|\d{3}[-.])\d{3}[-.]\d{4}(?![\w-])"


class _Unbreakable(InlineProcessor):
    """Text the styles never break or hyphenate, as a span of the given class: web addresses, domain names and
    e-mail addresses (`url`), phone numbers such as 555-010-0199 or (800) 232-4636 (`phone`)."""

    def __init__(self, pattern: str, md: markdown.Markdown, css_class: str):
        super().__init__(pattern, md)
        self.css_class = css_class

    def handleMatch(self, m: re.Match[str], data: str) -> tuple[etree.Element, int, int]:  # type: ignore[override]  # noqa: N802
        span = etree.Element("span")
        span.set("class", self.css_class)
        span.text = AtomicString(m.group(0))  # not matched again
        return span, m.start(0), m.end(0)


ADDRESS = (r"(?<![\w@/.-])(?:https?://[^\s<>()\"]*[^\s<>()\".,;:!?]"
           r"|(?:[\w.+-]+@)?(?:[A-Za-z0-9-]+\.)+(?:gov|org|com|net|edu|int|mil|us|info|io)\b(?:/[^\s<>()\"]*[^\s<>()\".,;:!?])?)")


URL_SAFE = ":/?#[]@!$&'()*+,;=%~"  # what a URL may hold unencoded (RFC 3986's reserved characters and %)


def _drop_dead_anchors(html_text: str, found: Found) -> str:
    """A link to `#id` that nothing in the body has (a typo, a heading renamed) loses its href, and is reported."""
    present = set(re.findall(r' id="([^"]*)"', html_text))

    def check(match: re.Match[str]) -> str:
        target = html.unescape(match.group(1))
        if target in present or target in TEMPLATE_IDS:
            return match.group(0)
        found.dead_anchors.append(target)
        return ""

    return re.sub(r' href="#([^"]*)"', check, html_text)


def _blocks(root: etree.Element) -> list[etree.Element]:
    """Top-level blocks and list items: the places a printed page can begin (for the EPUB page list)."""
    found = []
    for child in root:
        found.append(child)
        if child.tag in ("ul", "ol"):
            found.extend(child.iter("li"))
    return found


class _Collect(Extension):
    """Registers the sanitiser and the tree walker on a Markdown instance."""

    def __init__(self, found: Found, title: str = ""):
        super().__init__()
        self.found = found
        self.title = title

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - Python-Markdown's name
        md.postprocessors.register(_Sanitise(md, self.found), "brochure_sanitise", 25)
        md.treeprocessors.register(_Walk(md, self.found, self.title), "brochure_walk", 0)
        md.inlinePatterns.register(_Unbreakable(ADDRESS, md, "url"), "brochure_addresses", 5)
        md.inlinePatterns.register(_Unbreakable(PHONE, md, "phone"), "brochure_phones", 4)
