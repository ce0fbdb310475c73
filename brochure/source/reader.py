"""read_publication(path) -> Publication: the only module that opens a source file."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import os
import re
from collections import Counter
from pathlib import Path

from brochure.errors import BrochureError, Location, SourceError, warn
from brochure.model import Image, Metadata, Publication, Publisher, Section, Translation
from brochure.sandbox import is_web_address, local_image
from brochure.source import frontmatter, glyphs, limits, markup
from brochure.source.config import check_print_spec, config_for, neutral_publisher, strings_for
from brochure.source.limits import MAX_LINES, MAX_SOURCE_BYTES

log = logging.getLogger(__name__)


def read_publication(path: Path | str, root: Path | None = None) -> Publication:
    """Read, validate and render one Markdown source into a Publication; `root` is the folder being built (the
    source's own folder when it is built alone), which decides what its configuration may set (config_for)."""
    path = Path(path).absolute()
    text = _read_text(path)
    data, key_lines, body, body_line = frontmatter.split(text, path)
    data = frontmatter.validate(data, key_lines, path)
    config = config_for(path.parent, root)
    metadata = _metadata(data, path, config, key_lines)
    body_html, found = markup.render(body, metadata.lang, path, body_line, metadata.title)
    images = _images(found.images, path, body, body_line, found.layout_seconds)
    metadata = dataclasses.replace(metadata, cover_image=_cover_image(data, path, key_lines))
    heading_lines = _heading_lines([title for _, title, _ in found.headings], body, body_line)
    print_spec = config.print_spec
    if "trim" in data:
        print_spec = type(print_spec)(**{**print_spec.__dict__, "trim": data["trim"]})
        check_print_spec(print_spec, Location(path, key_lines.get("trim", 1)))
    if not metadata.publisher.name:
        metadata = dataclasses.replace(metadata, publisher=neutral_publisher(config, metadata.lang))
    if root is not None and path.parent.absolute() != Path(root).absolute():  # a folder build: its other sources are known
        metadata = dataclasses.replace(metadata, translations=_translations(metadata, path, Path(root)))
    if metadata.date is None:  # after the whole source has read: a source that fails gets its one error line only
        warn(log, "no 'date' in the front matter, so no edition prints a revision date (add date: YYYY-MM-DD)", Location(path, 1))
    for finding in found.warnings:
        log.warning("%s", finding, extra={"finding": finding})
    _warn_unset_characters(text, path)
    return Publication(
        source=path,
        metadata=metadata,
        body_html=body_html,
        sections=tuple(Section(i, t, lvl, line) for (i, t, lvl), line in zip(found.headings, heading_lines, strict=True)),
        images=images,
        brand=config.brand,
        print_spec=print_spec,
        strings=strings_for(metadata.lang),
        other_languages=frozenset((found.langs | {lang for _, lang in metadata.publisher.langs}) - {metadata.lang}),
    )


def _warn_unset_characters(text: str, path: Path) -> None:
    """One warning per character no shipped font sets, at its first line: the PDF would take it from the machine."""
    unset = glyphs.unset_characters(text)
    for char, line in unset[: glyphs.MAX_REPORTED]:
        warn(log, f"no shipped font has {glyphs.describe(char)}: the PDF editions will take it from a font on this machine, "
                  "or show an empty box", Location(path, line + 1))
    if len(unset) > glyphs.MAX_REPORTED:
        warn(log, f"{len(unset) - glyphs.MAX_REPORTED} more characters no shipped font has", Location(path))


def declared_id(path: Path) -> tuple[str, int]:
    """The id a source declares in its front matter (or its file name's stem) and the line that says so; a source that
    cannot be read is taken at its stem (its build reports why)."""
    try:
        data, key_lines, _, _ = frontmatter.split(_read_text(path), path)
    except BrochureError:
        return path.stem, 1
    ident = data.get("id")
    return (str(ident), key_lines.get("id", 1)) if ident else (path.stem, 1)


def _translations(metadata: Metadata, path: Path, root: Path) -> tuple[Translation, ...]:
    """The other language editions of the publication's title among the sources of the folder being built (those
    whose translation_of, or id, is the same original): what its back cover names. An unknown translation_of is the
    folder build's error (batch.py), reported before any source is read."""
    title = metadata.translation_of or metadata.id
    found = []
    for other in sorted(root.glob("*/*.md")):
        if other.absolute() == path or not other.is_file():
            continue
        try:
            data, _, _, _ = frontmatter.split(_read_text(other), other)
        except BrochureError:
            continue
        ident = str(data.get("id") or other.stem)
        if ident != metadata.id and title in (ident, str(data.get("translation_of") or "")) and data.get("title") and data.get("lang"):
            lang = str(data["lang"])
            found.append(Translation(ident, lang, " ".join(str(data["title"]).split()), strings_for(lang)["this_publication_in"]))
    return tuple(sorted(found, key=lambda t: (t.lang, t.id)))


def declared_translation(path: Path) -> tuple[str, int]:
    """The id a source's front matter names as its original (translation_of) and its line; ("", 1) when it names
    none or cannot be read (its build reports why)."""
    try:
        data, key_lines, _, _ = frontmatter.split(_read_text(path), path)
    except BrochureError:
        return "", 1
    original = data.get("translation_of")
    return (str(original), key_lines.get("translation_of", 1)) if original else ("", 1)


def _read_text(path: Path) -> str:
    """The source as text: UTF-8 (a BOM is dropped), LF line ends; a clear error otherwise."""
    try:
        if not path.is_file():  # a folder, a FIFO (which would wait for a writer forever) or a device
            raise SourceError("no such file" if not path.exists() else "not a regular file", Location(path))
        if path.is_symlink() and not path.resolve().is_relative_to(path.parent.resolve()):
            raise SourceError("the source is a symbolic link leading out of its folder: publish the file itself", Location(path))
        with path.open("rb") as source:  # never more than the limit and one byte: a huge file is refused unread
            raw = source.read(MAX_SOURCE_BYTES + 1)
    except OSError as err:
        raise SourceError(f"cannot read the file: {err.strerror}", Location(path)) from None
    if len(raw) > MAX_SOURCE_BYTES:
        line = raw[:MAX_SOURCE_BYTES].count(b"\n") + 1
        size = path.stat().st_size
        raise SourceError(f"the source passes the {MAX_SOURCE_BYTES // 1_000_000} MB limit on this line ({size:,} bytes in all)", Location(path, line))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise SourceError(f"invalid UTF-8 (byte 0x{raw[err.start]:02x})", Location(path, line)) from None
    if "\x00" in text:
        raise SourceError("NUL byte in the text", Location(path, text[: text.index("\x00")].count("\n") + 1))
    bad = frontmatter.unpublishable(text)
    if bad:  # a control character or noncharacter: no XML, PDF text string or EPUB navigation can carry it
        line = text[: frontmatter.first_unpublishable(text)].count("\n") + 1
        raise SourceError(f"character {bad} cannot be published: remove it", Location(path, line))
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if text.count("\n") > MAX_LINES:
        raise SourceError(f"the source has more than {MAX_LINES:,} lines (the limit)", Location(path, MAX_LINES + 1))
    return text


def _metadata(data: dict, path: Path, config, key_lines: dict[str, int]) -> Metadata:  # type: ignore[no-untyped-def]
    """Fill the front matter's gaps from the project config and the file name."""
    if "publisher_url" in data and not is_web_address(str(data["publisher_url"])):
        raise SourceError("publisher_url must be an address starting with https://, http://, mailto: or tel:", Location(path, key_lines.get("publisher_url", 1)))
    ident = str(data.get("id") or path.stem)
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]*", ident):
        raise SourceError(f"id '{ident}' must be lower-case letters, digits and hyphens", Location(path, 1))
    lang = str(data["lang"])
    if not re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*", lang):
        raise SourceError(f"lang '{lang}' is not a BCP 47 language tag", Location(path, 1))
    original = str(data.get("translation_of", "")).strip()
    if original and (original == ident or not re.fullmatch(r"[a-z0-9][a-z0-9-]*", original)):
        what = "its own id" if original == ident else "not a publication id (lower-case letters, digits and hyphens)"
        raise SourceError(f"translation_of '{original}' is {what}", Location(path, key_lines.get("translation_of", 1)))
    publisher = _publisher(data, config.publisher_for(lang), Location(path, key_lines.get("publisher", 1)))
    return Metadata(
        title=data["title"].strip(),
        lang=lang,
        id=ident,
        date=data.get("date"),
        stamp=_default_date(),
        subtitle=data.get("subtitle", ""),
        summary=" ".join(str(data.get("summary", "")).split()),
        publication_number=data.get("publication_number", ""),
        keywords=tuple(str(k) for k in data.get("keywords", ())),
        publisher=publisher,
        translation_of=original,
        order_limit=data.get("order_limit", config.order_limit),
    )


PUBLISHER_KEYS = {"publisher": "name", "publisher_address": "address", "publisher_phone": "phone", "publisher_url": "url"}


def _publisher(data: dict, configured: Publisher, where: Location) -> Publisher:
    """The config's publisher with the front matter's fields over it. A publisher the front matter names that is not
    the config's takes nothing else from it: the config's parent body, office, contact and address are another
    agency's, and printing them under a different name would misattribute the publication."""
    changes = {field: data[key] for key, field in PUBLISHER_KEYS.items() if key in data}
    if "address" in changes:
        changes["address"] = tuple(str(line) for line in changes["address"])
    if "name" in changes:
        changes["name"] = " ".join(str(changes["name"]).split())
    if changes.get("name", configured.name) == configured.name or not configured.name:
        langs = tuple((name, lang) for name, lang in configured.langs if name not in changes)  # the front matter's are its own
        return Publisher(**{**configured.__dict__, **changes, "langs": langs})
    if not {"address", "phone", "url"} & changes.keys():
        warn(log, f"publisher '{changes['name']}' is not the configured one, so none of its contact details come from the "
                  "config: add publisher_address, publisher_phone or publisher_url", where)
    return Publisher(**changes)


def _default_date() -> dt.date:
    """SOURCE_DATE_EPOCH when set (reproducible builds), else a fixed date: never today."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.date(2000, 1, 1)


def _images(found: list[tuple[str, str, bool]], path: Path, body: str, body_line: int, text_seconds: float) -> tuple[Image, ...]:
    """Each image file the body uses (once, in order of first use); every use must have alt text, and the drawings shown
    keep the estimated layout time within the limit."""
    first: dict[str, Image] = {}
    elements: dict[str, int] = {}
    uses: Counter[str] = Counter()
    drawn = 0
    for src, alt, decorative in found:
        if src not in first:
            first[src], elements[src] = _image(src, alt, decorative, path, body, body_line)
        uses[src] += 1
        drawn += elements[src]
        if elements[src]:
            limits.check_drawings(text_seconds, drawn, Location(path, body_line + _ref_line(src, body, uses[src])))
        if not alt.strip() and not decorative:
            where = Location(path, body_line + _ref_line(src, body, uses[src]))
            raise SourceError(f"image '{src}' has no alt text (add it, or mark the image {{.decorative}})", where)
    return tuple(first.values())


def _image(src: str, alt: str, decorative: bool, path: Path, body: str, body_line: int) -> tuple[Image, int]:
    """Resolve an image inside the publication folder; it must exist and be a safe, valid image. Return it with the
    number of elements it has (an SVG's; 0 for other images)."""
    line = body_line + _ref_line(src, body)
    where = Location(path, line)
    resolved, elements = local_image(src, path.parent, where)
    return Image(src=src, path=resolved, alt=alt, line=line, decorative=decorative), elements


def _cover_image(data: dict, path: Path, key_lines: dict[str, int]) -> Image | None:
    """Front matter cover_image: a safe image of the publication's folder, with its alt text; None when not given."""
    if not data.get("cover_image"):
        return None
    src, line = str(data["cover_image"]), key_lines.get("cover_image", 1)
    where = Location(path, line)
    resolved, _ = local_image(src, path.parent, where, what="cover image")
    alt = " ".join(str(data.get("cover_image_alt", "")).split())
    if not alt:
        raise SourceError(f"cover_image '{src}' has no alt text (add cover_image_alt: what it shows)", where)
    return Image(src=src, path=resolved, alt=alt, line=line)


def _ref_line(src: str, body: str, use: int = 1) -> int:
    """0-based body line where an image is referenced for the `use`-th time (the last use found, else 0)."""
    found = 0
    for number, line in enumerate(body.split("\n")):
        use -= line.count(src)
        if line.count(src):
            found = number
        if use <= 0:
            return number
    return found


HEADING_WINDOW = 64  # how many heading lines ahead a title is looked for: bounds the cost (no quadratic search)


def _heading_lines(titles: list[str], body: str, body_line: int) -> list[int]:
    """Source line of each heading, for messages. The headings come in source order, so each title is looked for among
    the next HEADING_WINDOW heading lines by its first words; one not found there (its text was rewritten: entities,
    smart quotes) takes the next heading line in order, or the body's start when there is none left."""
    lines = body.split("\n")
    candidates = [n for n in range(len(lines)) if _is_heading(lines, n)]
    position, found = 0, []
    for title in titles:
        words = title.split()[:4]
        window = range(position, min(position + HEADING_WINDOW, len(candidates)))
        match = next((i for i in window if all(word in lines[candidates[i]] for word in words)), None)
        if match is None and position < len(candidates):
            match = position
        found.append(body_line + (candidates[match] if match is not None else 0))
        position = match + 1 if match is not None else position
    return found


def _is_heading(lines: list[str], number: int) -> bool:
    """An ATX (# ...), setext (underlined) or raw HTML heading line."""
    line = lines[number].lstrip()
    underline = lines[number + 1].strip() if number + 1 < len(lines) else ""
    return line.startswith("#") or "<h" in line.lower() or (bool(underline) and set(underline) <= set("=-"))


def line_of(path: Path, reference: str) -> int | None:
    """The first line of the source that mentions reference (a file a later stage refused), to locate its error."""
    try:
        text = _read_text(path)
    except SourceError:
        return None
    index = text.find(reference)
    return text[:index].count("\n") + 1 if reference and index >= 0 else None
