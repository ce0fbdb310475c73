"""The catalog of many publications, from plain data: a web page (dist/index.html) and an OPDS feed (dist/catalog.xml).

Nothing here reads a publication or a PDF: the integrator measures the built files and hands over
:class:`Catalog`. Output is deterministic: entries sorted by title then id, dates only from the data.
"""
from __future__ import annotations

import datetime
import re
import unicodedata
import uuid
from dataclasses import dataclass
from functools import cache
from urllib.parse import quote

import jinja2
from markupsafe import Markup

from brochure.assets import STYLES
from brochure.errors import Location, ResourceError
from brochure.render import templates
from brochure.source.config import strings_for

__all__ = [
    "Edition",
    "Entry",
    "Catalog",
    "DEFAULT_STRINGS",
    "EDITION_KINDS",
    "FEED_KINDS",
    "OPDS_ACQUISITION_TYPE",
    "render_catalog_page",
    "render_opds_feed",
    "page_file",
    "titles",
    "human_size",
    "feed_id",
]


@dataclass(frozen=True)
class Edition:
    kind: str          # "pdf" (download), "large" (large print), "print" (print PDF), "booklet", "epub", "kepub", "kindle"
    href: str          # relative to dist/, e.g. "pml/pml.pdf"
    media_type: str    # "application/pdf", "application/epub+zip"
    size_bytes: int
    pages: int | None  # page count for PDFs, None for EPUB


@dataclass(frozen=True)
class Entry:
    id: str            # publication id, e.g. "pml"
    urn: str           # stable identifier, e.g. "urn:uuid:…"
    title: str
    subtitle: str
    summary: str
    lang: str          # BCP 47, "en" / "es"
    updated: datetime.date  # the writer's date, else the build's fixed stamp (the feed requires one)
    publisher: str
    cover_href: str    # e.g. "pml/cover.png" (full size)
    thumbnail_href: str  # e.g. "pml/cover-thumb.png"
    editions: tuple[Edition, ...]
    dated: bool = True  # whether the writer gave the date: the page shows only such dates
    translation_of: str = ""  # the id of the original this entry translates: the page shows them as one title


@dataclass(frozen=True)
class Catalog:
    title: str         # e.g. "Publication catalog"
    publisher: str     # agency name (from config)
    order_info: str    # how to order printed copies (text), from config
    order_url: str     # may be ""
    updated: datetime.date
    entries: tuple[Entry, ...]
    pages: tuple[tuple[str, str], ...] = ()  # (language, file) of each catalog page, for hreflang links and the switch


# The order editions are listed in on the page.
EDITION_KINDS: tuple[str, ...] = ("pdf", "print", "booklet", "large", "epub", "kepub", "kindle")
# The editions of the public OPDS feed, in the order e-reader apps should meet them (they take the first they can
# open: the EPUB). The print master and the booklet are files for a press or a home printer, not for reading on a
# device: the catalog page offers them, the feed leaves them out.
FEED_KINDS: tuple[str, ...] = ("epub", "kepub", "kindle", "pdf", "large")

OPDS_ACQUISITION_TYPE = "application/atom+xml;profile=opds-catalog;kind=acquisition"

# The page's own words, in English: the catalog_ keys of brochure/assets/strings/en.yaml, beside the other templates'
# words (their one home; a language's own file translates them). Placeholders in braces are filled by the page.
DEFAULT_STRINGS: dict[str, str] = {key: value for key, value in strings_for("en").items() if key.startswith("catalog_")}

# Each language named in itself, for the language filter and the entries' language line.
LANGUAGE_NAMES: dict[str, str] = {
    "ar": "العربية",
    "de": "Deutsch",
    "en": "English",
    "es": "Español",
    "fr": "Français",
    "ht": "Kreyòl ayisyen",
    "it": "Italiano",
    "ja": "日本語",
    "ko": "한국어",
    "pl": "Polski",
    "pt": "Português",
    "ru": "Русский",
    "so": "Soomaali",
    "tl": "Tagalog",
    "vi": "Tiếng Việt",
    "zh": "中文",
    "zh-Hans": "简体中文",
    "zh-Hant": "繁體中文",
}
_RTL_LANGUAGES = frozenset({"ar", "fa", "he", "ps", "ur", "yi"})

_CSS_PATH = STYLES / "catalog.css"

# Characters XML 1.0 does not allow even escaped (C0 controls but tab/newline/return, surrogates,
# U+FFFE/U+FFFF); HTML forbids the same controls. They are dropped from every value put in a template.
_INVALID_XML_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
# Characters kept as they are in an href: URL syntax and percent escapes already there.
_HREF_SAFE = "/:#?&=%@+~!$,;'()*[]"


def human_size(size_bytes: int, decimal_separator: str = ".") -> str:
    """A file size for people, in SI units: "980 B", "9.8 kB", "412 kB", "1.2 MB"."""
    if size_bytes < 0:
        raise ValueError(f"a file size can't be negative: {size_bytes}")
    if size_bytes < 1000:
        return f"{size_bytes} B"
    value = float(size_bytes)
    for unit in ("kB", "MB", "GB", "TB"):
        value /= 1000
        text = f"{value:.1f}" if value < 9.95 else f"{value:.0f}"
        if float(text) < 1000 or unit == "TB":
            return f"{text.replace('.', decimal_separator)} {unit}"
    raise AssertionError("unreachable")


def language_name(tag: str) -> str:
    """The language's own name for a BCP 47 tag, or the tag itself when it is not known."""
    if tag in LANGUAGE_NAMES:
        return LANGUAGE_NAMES[tag]
    return LANGUAGE_NAMES.get(tag.split("-")[0].lower(), tag)


def image_type(href: str) -> str:
    """The media type of a cover image from its file name (the covers are PNG unless named otherwise)."""
    suffix = href.rsplit(".", 1)[-1].lower() if "." in href else ""
    return {"jpg": "image/jpeg", "jpeg": "image/jpeg", "webp": "image/webp", "svg": "image/svg+xml"}.get(
        suffix, "image/png"
    )


def text_direction(tag: str) -> str:
    """"rtl" for languages written right to left, else "ltr"."""
    return "rtl" if tag.split("-")[0].lower() in _RTL_LANGUAGES else "ltr"


def feed_id(catalog: Catalog) -> str:
    """The feed's stable id: a name-based UUID of the publisher and catalog title (Catalog has no urn)."""
    name = f"brochure-catalog:{catalog.publisher}:{catalog.title}"
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def rfc3339(day: datetime.date) -> str:
    """Midnight UTC of a date (a datetime is reduced to its date: output never depends on the hour)."""
    if isinstance(day, datetime.datetime):
        day = day.date()
    return f"{day.isoformat()}T00:00:00Z"


def _sort_key(entry: Entry) -> tuple[str, str, str]:
    folded = unicodedata.normalize("NFKD", entry.title)
    folded = "".join(c for c in folded if not unicodedata.combining(c)).casefold()
    return (folded, entry.title, entry.id)


def _sorted_entries(catalog: Catalog) -> list[Entry]:
    return sorted(catalog.entries, key=_sort_key)


def _sorted_editions(entry: Entry) -> list[Edition]:
    for edition in entry.editions:
        if edition.kind not in EDITION_KINDS:
            raise ValueError(
                f"publication {entry.id!r}: unknown edition kind {edition.kind!r} "
                f"(known: {', '.join(EDITION_KINDS)})"
            )
    return sorted(entry.editions, key=lambda e: (EDITION_KINDS.index(e.kind), e.href))


def _finalize(value: object) -> object:
    if isinstance(value, str):  # Markup too; re.sub returns a plain str, so Markup is wrapped again
        cleaned = _INVALID_XML_CHARS.sub("", value)
        return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


def _href(value: str) -> str:
    """An href with spaces and non-ASCII percent-encoded; escapes already present are kept."""
    return quote(_INVALID_XML_CHARS.sub("", value), safe=_HREF_SAFE)


@jinja2.pass_context
def _filesize_filter(context: jinja2.runtime.Context, size_bytes: int) -> str:
    strings = context.get("S") or DEFAULT_STRINGS
    return human_size(size_bytes, strings["catalog_decimal_separator"])


@jinja2.pass_context
def _pagecount_filter(context: jinja2.runtime.Context, pages: int) -> str:
    strings = context["S"]
    if pages == 1:
        return strings["catalog_pages_one"]
    return _fill(strings, "catalog_pages", pages=pages)


def _fill(strings: dict[str, str], key: str, **values: object) -> str:
    try:
        return strings[key].format(**values)
    except (KeyError, IndexError, ValueError) as err:
        raise ValueError(
            f"catalog string {key!r} = {strings[key]!r} can't be filled with {sorted(values)}: {err}"
        ) from err


@cache
def _env() -> jinja2.Environment:
    """The project's one Jinja environment (render.templates), overlaid with the catalog's filters, whitespace
    control and a finaliser that drops characters XML cannot hold."""
    env = templates.environment().overlay(finalize=_finalize, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(filesize=_filesize_filter, pagecount=_pagecount_filter, href=_href, rfc3339=rfc3339,
                       language_name=language_name, dir=text_direction, image_type=image_type)
    return env


def _page_strings(strings: dict[str, str]) -> dict[str, str]:
    """The page's words: the given ones, with DEFAULT_STRINGS for any catalog key that is missing."""
    merged = dict(DEFAULT_STRINGS)
    merged.update({k: v for k, v in strings.items() if k in DEFAULT_STRINGS})
    # Fail early, naming the key, on a translation whose placeholders don't match.
    _fill(merged, "catalog_results", shown=0, total=0)
    _fill(merged, "catalog_pages", pages=2)
    return merged


def _stylesheet() -> Markup:
    try:
        css = _CSS_PATH.read_text(encoding="utf-8")
    except OSError as err:
        raise ResourceError(f"the catalog stylesheet can't be read: {err}", Location(_CSS_PATH)) from err
    if "</" in css:  # would end the <style> element early
        raise ResourceError("the catalog stylesheet must not contain '</'", Location(_CSS_PATH))
    return Markup(css.strip())


def page_file(lang: str) -> str:
    """The catalog page in a language: index.html for English, index.LANG.html for another (beside it, so every
    relative address is the same on all pages and no page can take a publication's folder name)."""
    return "index.html" if lang.split("-")[0].lower() == "en" else f"index.{lang}.html"


def titles(catalog: Catalog, lang: str) -> list[tuple[Entry, list[Entry]]]:
    """The catalog's titles: each original with its translations, shown as the edition in `lang` when there is one
    (else the original) and the other editions by language. Sorted like the entries."""
    groups: dict[str, list[Entry]] = {}
    for entry in catalog.entries:
        groups.setdefault(entry.translation_of or entry.id, []).append(entry)
    primary = lang.split("-")[0].lower()
    found = []
    for key, editions in groups.items():
        editions.sort(key=lambda e: (e.lang.split("-")[0].lower() != primary, e.id != key, e.lang, e.id))
        found.append((editions[0], sorted(editions[1:], key=lambda e: (e.lang, e.id))))
    return sorted(found, key=lambda group: _sort_key(group[0]))


def _also_available(lang: str) -> str:
    """"Also available in English" in the edition's own language (its name alone when it has no strings file)."""
    own = strings_for(lang)
    return own["catalog_also_available"] if own["catalog_lang"] == lang.split("-")[0].lower() else language_name(lang)


def render_catalog_page(catalog: Catalog, strings: dict[str, str]) -> str:
    """dist/index.html (or a language's index.LANG.html): the catalog as one self-contained page (stylesheet and
    filter script inline), one entry per title with its other language editions."""
    words = _page_strings(strings)
    groups = [(entry, _sorted_editions(entry), [(other, _sorted_editions(other), _also_available(other.lang)) for other in others])
              for entry, others in titles(catalog, words["catalog_lang"])]
    tags = sorted({entry.lang for entry in catalog.entries}, key=lambda t: (language_name(t).casefold(), t))
    order_paragraphs = [p.strip() for p in re.split(r"\n\s*\n", catalog.order_info) if p.strip()]
    total = len(groups)
    own = page_file(words["catalog_lang"])
    others = [{"tag": tag, "href": name, "label": _page_strings(strings_for(tag))["catalog_this_catalog"]}
              for tag, name in catalog.pages if name != own]
    return _env().get_template("catalog.html").render(
        S=words,
        catalog=catalog,
        entries=groups,
        languages=[{"tag": t, "name": language_name(t)} for t in tags],
        pages=others,
        order_paragraphs=order_paragraphs,
        results_text=_fill(words, "catalog_results", shown=total, total=total),
        css=_stylesheet(),
    )


def render_opds_feed(catalog: Catalog) -> str:
    """dist/catalog.xml: an OPDS 1.2 acquisition feed with every publication and its open-access files."""
    entries = []
    pages = dict(catalog.pages)
    for entry in _sorted_entries(catalog):
        editions = sorted((e for e in _sorted_editions(entry) if e.kind in FEED_KINDS), key=lambda e: FEED_KINDS.index(e.kind))
        key = entry.translation_of or entry.id
        others = [(other, pages.get(other.lang, "index.html")) for other in _sorted_entries(catalog)
                  if other.id != entry.id and key in (other.id, other.translation_of)]
        entries.append((entry, editions, pages.get(entry.lang, "index.html"), others))
    labels = {kind: DEFAULT_STRINGS[f"catalog_edition_{kind}"] for kind in EDITION_KINDS}
    return _env().get_template("catalog.xml").render(
        catalog=catalog,
        feed_id=feed_id(catalog),
        entries=entries,
        labels=labels,
        acquisition_type=OPDS_ACQUISITION_TYPE,
    )
