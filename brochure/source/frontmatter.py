"""Split the YAML front matter off a source and validate it against one declared schema."""
from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from brochure.errors import Location, SourceError, warn

log = logging.getLogger(__name__)

FENCE = "---"


@dataclass(frozen=True)
class Field:
    """One front-matter key: its type, whether it is required, and what it means."""

    kind: type
    required: bool
    doc: str


SCHEMA: dict[str, Field] = {
    "title": Field(str, True, "The publication's title, shown on the cover and in metadata."),
    "lang": Field(str, True, "BCP 47 language of the text, e.g. en or es: hyphenation, quotes, template words."),
    "subtitle": Field(str, False, "A line under the title on the cover."),
    "summary": Field(str, False, "One or two sentences for metadata and the catalog."),
    "id": Field(str, False, "Stable identifier (a slug); defaults to the file's stem. Drives dc:identifier."),
    "date": Field(dt.date, False, "Publication or revision date (YYYY-MM-DD); defaults to SOURCE_DATE_EPOCH or 2000-01-01."),
    "publication_number": Field(str, False, "e.g. 24-NS-1234; the back cover omits the line when absent."),
    "keywords": Field(list, False, "Subject keywords for metadata and the catalog."),
    "publisher": Field(str, False, "Overrides the agency name from brochure.yaml."),
    "publisher_address": Field(list, False, "Overrides the contact address lines from brochure.yaml."),
    "publisher_phone": Field(str, False, "Overrides the contact phone from brochure.yaml."),
    "publisher_url": Field(str, False, "Overrides the agency website from brochure.yaml."),
    "trim": Field(str, False, "Print trim: half-letter (5.5 x 8.5 in) or letter (8.5 x 11 in)."),
    "translation_of": Field(str, False, "The id of the publication this one translates: the catalog pairs the editions."),
    "cover_image": Field(str, False, "An image of the publication's folder for the front cover; cover_image_alt describes it."),
    "cover_image_alt": Field(str, False, "What the cover image shows, for readers who cannot see it (required with cover_image)."),
    "order_limit": Field(int, False, "Printed copies one order may ask for (brochure serve); 0 = download only; default brochure.yaml orders.limit_per_title."),
}
MAX_ORDER_LIMIT = 10_000  # the most copies order_limit may allow


MAX_DEPTH = 16  # front matter is a flat mapping with a few lists; deep nesting would exhaust the recursive composer


class NoAliasLoader(yaml.SafeLoader):
    """A safe loader that refuses aliases (no expansion bombs) and deep nesting (no recursion errors)."""

    depth = 0

    def compose_node(self, parent, index):  # type: ignore[no-untyped-def]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.MarkedYAMLError(None, None, "aliases are not allowed", event.start_mark)
        if self.depth >= MAX_DEPTH:
            raise yaml.MarkedYAMLError(None, None, f"values nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
        self.depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


    def construct_mapping(self, node, deep=False):  # type: ignore[no-untyped-def]
        """Keys are text, each given once: a key read as a number or a date (`1:`, `2024-01-01:`) or a key given
        twice is an error at its line (YAML would silently keep the last value)."""
        seen: set[str] = set()
        if isinstance(node, yaml.MappingNode):
            for key_node, _ in node.value:
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, str):
                    raise yaml.MarkedYAMLError(None, None, f"the key '{key_node.value}' is not text: quote it, or use a name", key_node.start_mark)
                if key in seen:
                    raise yaml.MarkedYAMLError(None, None, f"the key '{key}' is given twice", key_node.start_mark)
                seen.add(key)
        return super().construct_mapping(node, deep=deep)

    def construct_scalar(self, node):  # type: ignore[no-untyped-def]
        """Text that no edition can carry (a surrogate, a control character, a noncharacter such as U+FFFE, which
        XML, PDF text strings and the EPUB's metadata all refuse) is an error at its line."""
        value = super().construct_scalar(node)
        bad = unpublishable(value)
        if bad:
            raise yaml.MarkedYAMLError(None, None, f"the value holds {bad}, which no edition can carry", node.start_mark)
        return value


# Characters XML 1.0 does not allow (C0 controls but tab and line ends, surrogates) and the noncharacters.
_UNPUBLISHABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")


def unpublishable(text: str) -> str | None:
    """The first character of text that cannot be published, named (`U+0001 (a control character)`), or None."""
    found = _UNPUBLISHABLE.search(text)
    if found is None:
        return None
    code = ord(found.group())
    kind = "a surrogate" if 0xD800 <= code <= 0xDFFF else "a noncharacter" if code >= 0xFDD0 else "a control character"
    return f"U+{code:04X} ({kind})"


def yaml_problem(err: yaml.YAMLError, text: str) -> tuple[str, int]:
    """A YAML error as one line of text and the 1-based line of the YAML text it is on."""
    if isinstance(err, yaml.reader.ReaderError):  # a character YAML refuses: PyYAML names its position, not its line
        return f"character U+{err.character:04X} is not allowed in YAML", text[:err.position].count("\n") + 1
    if isinstance(err, yaml.MarkedYAMLError):
        mark = err.problem_mark or err.context_mark
        return " ".join(str(err.problem or err.context).split()), mark.line + 1 if mark else 1
    return " ".join(str(err).split()), 1


def first_unpublishable(text: str) -> int:
    """The index of the first character of text that cannot be published (len(text) when there is none)."""
    found = _UNPUBLISHABLE.search(text)
    return found.start() if found else len(text)


def _located_timestamp(loader: yaml.SafeLoader, node: yaml.Node):  # type: ignore[no-untyped-def]
    """A YAML date that is no day of the calendar (2024-02-30) is an error at its own line, not a traceback."""
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except ValueError as err:
        raise yaml.MarkedYAMLError(None, None, f"'{node.value}' is not a date on the calendar ({err})", node.start_mark) from None


NoAliasLoader.add_constructor("tag:yaml.org,2002:timestamp", _located_timestamp)


def split(text: str, path: Path) -> tuple[dict[str, Any], dict[str, int], str, int]:
    """Return (front matter, line of each key, body, line number of the body's first line)."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != FENCE:
        raise SourceError("no front matter: the file must start with a '---' line", Location(path, 1))
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in (FENCE, "..."))
    except StopIteration:
        raise SourceError("front matter is not closed by a '---' line", Location(path, 1)) from None
    data = _load_yaml("\n".join(lines[1:end]), path)
    return data, _key_lines(lines[1:end]), "\n".join(lines[end + 1 :]), end + 2


def _load_yaml(text: str, path: Path) -> dict[str, Any]:
    """Parse the YAML block; errors name the file's own line."""
    try:
        data = yaml.load(text, Loader=NoAliasLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as err:
        problem, line = yaml_problem(err, text)
        raise SourceError(f"malformed front matter: {problem}", Location(path, line + 1)) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SourceError("front matter must be a mapping of keys to values", Location(path, 2))
    return data


def validate(data: dict[str, Any], lines: dict[str, int], path: Path) -> dict[str, Any]:
    """Check keys and types against SCHEMA; warn on unknown keys with the nearest known one."""
    for key in sorted(data):
        if key not in SCHEMA:
            import difflib  # only when a key is unknown

            near = difflib.get_close_matches(str(key), SCHEMA, n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else ""
            warn(log, f"unknown front-matter key '{key}'{hint}", Location(path, lines.get(key, 1)))
    for key, spec in SCHEMA.items():
        if spec.required and not data.get(key):
            raise SourceError(f"front matter is missing the required key '{key}'", Location(path, 1))
        value = data.get(key)
        if value is None:
            continue
        if spec.kind is dt.date and isinstance(value, dt.datetime):
            value = data[key] = value.date()
        if spec.kind is str and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = data[key] = str(value)
        if spec.kind is int and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_ORDER_LIMIT):
            raise SourceError(f"front-matter key '{key}' must be a whole number from 0 to {MAX_ORDER_LIMIT}", Location(path, lines.get(key, 1)))
        if not isinstance(value, spec.kind):
            want = {str: "text", list: "a list", dt.date: "a date (YYYY-MM-DD)"}[spec.kind]
            raise SourceError(f"front-matter key '{key}' must be {want}", Location(path, lines.get(key, 1)))
        if isinstance(value, list) and not all(isinstance(item, (str, int, float)) for item in value):
            raise SourceError(f"front-matter key '{key}' must be a list of text", Location(path, lines.get(key, 1)))
    return {key: value for key, value in data.items() if key in SCHEMA}


def _key_lines(front: list[str]) -> dict[str, int]:
    """Map each top-level key to its line in the file (the front matter starts on line 2)."""
    found: dict[str, int] = {}
    for number, line in enumerate(front, start=2):
        match = re.match(r"([A-Za-z_][\w-]*)\s*:", line)
        if match and match.group(1) not in found:
            found[match.group(1)] = number
    return found
