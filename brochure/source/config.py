"""The project's configuration (brochure.yaml), validated against one declared schema, and the template's words.

brochure.yaml is read the way front matter is (no aliases, no deep nesting): every key is looked up in SCHEMA,
an unknown key warns with the nearest known one, and a value of the wrong kind is an error at its own line
(`brochure.yaml:7: brand.colour_rgb must be a colour like #20558a`). Without any brochure.yaml the build warns
once and uses a neutral publisher block, so the editions are still valid; `brochure init` writes a starter file.
"""
from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from brochure.assets import STRINGS
from brochure.errors import Location, SourceError, warn
from brochure.model import Brand, PrintSpec, Publisher
from brochure.sandbox import is_web_address, local_image
from brochure.source.frontmatter import NoAliasLoader, yaml_problem

log = logging.getLogger(__name__)

CONFIG_NAME = "brochure.yaml"
TRIMS_IN = {"half-letter": (5.5, 8.5), "letter": (8.5, 11.0)}
# the sheet a trim is imposed 2-up on for the booklet: US Letter landscape, or tabloid (11 × 17 in) landscape
BOOKLET_SHEETS_IN = {"half-letter": (11.0, 8.5), "letter": (17.0, 11.0)}
BLEED_IN = 0.125  # the print edition's bleed on every edge: the one place it is set (CSS, PDF boxes, job ticket)
MARKS_IN = 0.25  # room outside the bleed for the crop and registration marks of the offset profile
PROFILES = {"offset": ("crop", "registration"), "pod": ()}  # printer profile → printer's marks outside the bleed
PDFX = {"pdf/x-4": "PDF/X-4", "pdf/x-1a": "PDF/X-1a:2003"}  # WeasyPrint variant → the GTS_PDFXVersion it writes
# paper coating → its press condition: the shipped ICC profile (styles/icc/), the ICC characterization registry name
# (the output intent's /OutputConditionIdentifier and the job ticket's profile) and what the condition is
OUTPUT_CONDITIONS = {
    "coated": ("CGATS-TR006-GRACoL-coated.icc", "CGATS TR 006", "GRACoL: commercial offset on grade 1 coated paper (ISO 12647-2 paper type 1)"),
    "uncoated": ("FOGRA29-uncoated.icc", "FOGRA29", "Offset on uncoated white paper (ISO 12647-2:2004 paper type 4)"),
}
ICC_REGISTRY = "http://www.color.org"
CALIPER_IN = 0.004  # a 70 lb text sheet is about 0.004 in thick: the default creep per sheet outside
MAX_TEXT = 2000  # characters in one value: a name or an address line, never a document
MAX_ORDER_COPIES = 10_000  # printed copies of one title that one order may ask for, at most
ORDER_LIMIT = 50  # orders.limit_per_title when brochure.yaml gives none


# ------------------------------------------------------------------------------------------------ the schema

Check = Callable[[Any], str | None]  # a value → None when it is good, else what it must be


def _text(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        return "text"
    return None if len(str(value)) <= MAX_TEXT else f"text of at most {MAX_TEXT} characters"


def _lines(value: Any) -> str | None:
    if not isinstance(value, list) or any(_text(item) for item in value):
        return "a list of text lines"
    return None


def _web_address(value: Any) -> str | None:
    if _text(value) or not is_web_address(str(value)):
        return "an address starting with https://, http://, mailto: or tel:"
    return None


def _colour(value: Any) -> str | None:
    return None if isinstance(value, str) and re.fullmatch(r"#[0-9A-Fa-f]{6}", value) else "a colour like #20558a"


def _cmyk(value: Any) -> str | None:
    numbers = isinstance(value, list) and len(value) == 4 and all(isinstance(v, (int, float)) and not isinstance(v, bool) and 0 <= v <= 100 for v in value)
    return None if numbers else "four CMYK percentages from 0 to 100, like [90, 55, 10, 20]"


def _count(value: Any) -> str | None:
    return None if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= 10_000_000 else "a whole number of copies from 1 to 10000000"


def _order_limit(value: Any) -> str | None:
    good = isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_ORDER_COPIES
    return None if good else f"a whole number of copies from 0 (download only) to {MAX_ORDER_COPIES}"


def _caliper(value: Any) -> str | None:
    good = isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 0.05
    return None if good else "a paper thickness in inches from 0 to 0.05, like 0.004"


def _date_text(value: Any) -> str | None:
    import datetime as dt

    if isinstance(value, dt.date):
        return None
    return None if isinstance(value, str) and re.fullmatch(r"(\d{4}-\d{2}-\d{2})?", value) else "a date like 2026-12-01"


def _one_of(choices: dict[str, Any]) -> Check:
    def check(value: Any) -> str | None:
        return None if value in choices else f"one of: {', '.join(choices)}"
    return check


@dataclass(frozen=True)
class Key:
    """One brochure.yaml key: how its value is checked, and what it means (brochure init writes the meaning)."""

    check: Check
    doc: str
    example: Any = None


SCHEMA: dict[str, dict[str, Key]] = {
    "publisher": {
        "name": Key(_text, "The agency's name: the cover band, the back cover, PDF Author and EPUB publisher.", "Example County Department of Public Health"),
        "office": Key(_text, "The office line on the back cover.", "Prepared by: Office of Health Communication"),
        "parent": Key(_text, "The parent body under the agency name.", "Example County Government"),
        "contact_name": Key(_text, "Who readers contact.", "Health Information Line"),
        "address": Key(_lines, "The contact address, one line per item.", ["100 Main Street", "Springfield, ST 00000"]),
        "phone": Key(_text, "The contact phone number.", "555-010-0100"),
        "url": Key(_web_address, "The agency's website.", "https://health.example.org"),
        "order_url": Key(_web_address, "Where printed copies are ordered (the catalog links it).", "https://health.example.org/order"),
        "catalog_url": Key(_web_address, "Where the catalog page is published (a translation's back cover names its address there).", "https://health.example.org/publications/"),
    },
    "brand": {
        "colour_rgb": Key(_colour, "The brand colour on screens (sRGB).", "#20558a"),
        "colour_cmyk": Key(_cmyk, "The same colour for the press, in CMYK percentages.", [90, 55, 10, 20]),
        "logo": Key(_text, "The agency's own logo (SVG or PNG) beside this file, on both covers of the PDFs; logo_alt describes it.", "logo.svg"),
        "logo_alt": Key(_text, "What the logo shows, for readers who cannot see it (required with logo).", "Example County Department of Public Health logo"),
    },
    "print": {
        "trim": Key(_one_of(TRIMS_IN), "half-letter (5.5 x 8.5 in, saddle-stitched) or letter (8.5 x 11 in).", "half-letter"),
        "profile": Key(_one_of(PROFILES), "offset (bleed and crop marks) or pod (print on demand: bleed, no marks).", "offset"),
        "pdfx": Key(_one_of(PDFX), "pdf/x-4 or pdf/x-1a.", "pdf/x-4"),
        "paper": Key(_text, "The stock: weight, coating (coated or uncoated picks the colour profile), colour.", "70 lb text, uncoated white"),
        "quantity": Key(_count, "How many copies the print shop makes (the command line's --quantity wins).", 1000),
        "caliper_in": Key(_caliper, "The paper's thickness in inches: the press sheets' creep per sheet.", CALIPER_IN),
        "proof": Key(_one_of({"pdf": 1, "hard": 1, "none": 1}), "The proof the shop sends before the run: pdf, hard (a printed proof) or none.", "hard"),
        "due": Key(_date_text, "When the copies are due (YYYY-MM-DD, like 2026-12-01); empty for no date.", ""),
        "contact_email": Key(_text, "Who the print shop asks about the job, e.g. print@health.example.org (the ticket's contact, beside the publisher's phone); empty for none.", ""),
    },
    "orders": {
        "limit_per_title": Key(_order_limit, "Printed copies of one title one order may ask for (brochure serve); front matter order_limit overrides it, 0 = download only.", ORDER_LIMIT),
    },
}


# The publisher block above is written in DEFAULT_LANGUAGE. `languages:` holds its text in other languages, one block
# per language tag (`languages: {es: {publisher: {name: …}, catalog: {order_info: …}}}`), each key checked like the
# default block's.
DEFAULT_LANGUAGE = "en"
LANGUAGE_PUBLISHER_KEYS = ("name", "office", "parent", "contact_name", "address", "phone", "url", "order_url")
TRANSLATED_KEYS = ("name", "office", "parent", "contact_name", "address")  # words: a block without them warns
LANGUAGE_SCHEMA: dict[str, dict[str, Key]] = {
    "publisher": {key: SCHEMA["publisher"][key] for key in LANGUAGE_PUBLISHER_KEYS},
    "catalog": {
        "order_info": Key(_text, "The catalog's ordering sentence in this language.", "Las copias impresas son gratuitas. Pídalas en https://health.example.org/order."),
        "title": Key(_text, "The catalog page's title in this language.", "Publicaciones del Departamento de Salud Pública"),
    },
}
_LANGUAGE_TAG = re.compile(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})*")


@dataclass(frozen=True)
class LanguageBlock:
    """One `languages.<tag>` block: the publisher's text and the catalog's words in that language."""

    publisher: dict[str, Any] = field(default_factory=dict)
    catalog: dict[str, str] = field(default_factory=dict)
    line: int = 1


# ------------------------------------------------------------------------------------------------ reading

@dataclass(frozen=True)
class Config:
    """Publisher defaults, brand colours and print settings, from the nearest brochure.yaml."""

    publisher: Publisher = field(default_factory=lambda: Publisher(name=""))
    brand: Brand = field(default_factory=Brand)
    print_spec: PrintSpec = field(default_factory=PrintSpec)
    path: Path | None = None
    keys: frozenset[tuple[str, str]] = frozenset()  # the (section, key) pairs the file set
    languages: dict[str, LanguageBlock] = field(default_factory=dict)  # language tag → its block (languages:)
    own_publisher: bool = False  # a publication folder's brochure.yaml named its own publisher: the catalog's
    # languages blocks are another agency's words, and its text is in no known language
    order_limit: int = ORDER_LIMIT  # orders.limit_per_title: printed copies of one title per order


    def publisher_for(self, lang: str, quiet: bool = False) -> Publisher:
        """The publisher block for a publication in `lang`: its language's block over the default one. Text taken from
        the default block carries DEFAULT_LANGUAGE (the templates mark it, so it is read in its own language), and a
        language whose block lacks some of the default's words gets one warning naming them."""
        primary = lang.split("-")[0].lower()
        if primary == DEFAULT_LANGUAGE or not self.publisher.name or self.own_publisher:
            return self.publisher
        block = self.languages.get(lang) or self.languages.get(primary) or LanguageBlock()
        own = {key: value for key, value in block.publisher.items()}
        merged = {**self.publisher.__dict__, **own}
        borrowed = tuple(key for key in TRANSLATED_KEYS if key not in own and getattr(self.publisher, key))
        if borrowed and self.path is not None and not quiet:
            where = Location(self.path, block.line)
            names = ", ".join(f"languages.{primary}.publisher.{key}" for key in borrowed)
            warn(log, f"no {names}: the {lang} editions print the publisher's {DEFAULT_LANGUAGE} text (marked "
                      f"{DEFAULT_LANGUAGE}); add a languages.{primary} block to translate it", where)
        return Publisher(**{**merged, "langs": tuple((key, DEFAULT_LANGUAGE) for key in borrowed)})

    def catalog_words(self, lang: str) -> dict[str, str]:
        """The catalog's own words (order_info, title) that brochure.yaml sets for a language: its languages block,
        or for DEFAULT_LANGUAGE nothing (the strings files' words fill the rest)."""
        block = self.languages.get(lang) or self.languages.get(lang.split("-")[0].lower())
        return dict(block.catalog) if block else {}


def find_config(folder: Path) -> Path | None:
    """The brochure.yaml in the folder or the nearest folder above it (a symbolic link is found, to be refused)."""
    for candidate in (folder, *folder.parents):
        if (candidate / CONFIG_NAME).is_file() or (candidate / CONFIG_NAME).is_symlink():
            return candidate / CONFIG_NAME
    return None


# What a brochure.yaml inside a publication's own folder (below the folder being built) may set: that publication's
# publisher block and trim, the fields its front matter could set too. The brand, the printer's settings and the
# ordering link are the catalog's, set only at or above the folder being built.
PUBLICATION_KEYS = frozenset({("publisher", key) for key in ("name", "office", "parent", "contact_name", "address", "phone", "url")}
                             | {("print", "trim")})


def config_files(folder: Path, root: Path | None = None) -> tuple[Path | None, tuple[Path, ...]]:
    """The configuration of a publication in `folder` when `root` is being built (a single source: its own folder):
    the nearest brochure.yaml at or above root, and the brochure.yaml files of the folders from below root down
    to `folder`, which may set only PUBLICATION_KEYS. Which files count never depends on what else is built."""
    folder = folder.absolute()
    root = (root or folder).absolute()
    between = folder.relative_to(root).parts if folder.is_relative_to(root) and folder != root else ()
    overlays = []
    for depth in range(1, len(between) + 1):
        candidate = root.joinpath(*between[:depth]) / CONFIG_NAME
        if candidate.is_file() or candidate.is_symlink():
            overlays.append(candidate)
    return find_config(root), tuple(overlays)


def config_for(folder: Path, root: Path | None = None) -> Config:
    """The configuration that applies to a publication in `folder` when `root` is built (see config_files)."""
    trusted, overlays = config_files(folder, root)
    config = load_config(trusted)
    for overlay in overlays:
        config = _overlaid(config, load_config(overlay, own_folder=True))
    return config


def _overlaid(config: Config, own: Config) -> Config:
    """A publication folder's own settings (its keys, already limited to PUBLICATION_KEYS) over the catalog's."""
    publisher = {key: getattr(own.publisher, key) for section, key in own.keys if section == "publisher"}
    spec = {key: getattr(own.print_spec, key) for section, key in own.keys if section == "print"}
    return Config(publisher=Publisher(**{**config.publisher.__dict__, **publisher}), brand=config.brand,
                  print_spec=PrintSpec(**{**config.print_spec.__dict__, **spec}), path=config.path,
                  keys=config.keys | own.keys, languages=config.languages, own_publisher=config.own_publisher or bool(publisher),
                  order_limit=config.order_limit)


def load_yaml(text: str) -> Any:
    """Safe YAML loading of the project's own files (the template's words), with libyaml's C parser when PyYAML has it."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader


MAX_CONFIG_BYTES = 64_000  # a brochure.yaml is a few dozen lines; read no more than this


def load_config(path: Path | None, own_folder: bool = False) -> Config:
    """Read and validate brochure.yaml (the defaults, with no publisher, when there is none). A publication folder's
    own file (own_folder) keeps only PUBLICATION_KEYS: any other key is ignored with a warning at its line."""
    if path is None:
        return Config()
    try:
        status = path.lstat()
    except OSError as err:
        raise SourceError(f"cannot read the configuration: {err.strerror}", Location(path)) from None
    return _cached_config(path, status.st_mtime_ns, status.st_size, own_folder)


def neutral_publisher(config: Config, lang: str) -> Publisher:
    """The publisher of a build that names none (no brochure.yaml, or no publisher.name in it, and no `publisher` in
    the front matter): the neutral name of the language's words, so every edition stays valid; with a warning saying
    how to name one. Call it once the source has read without error (a failing source gets its one error line)."""
    name = strings_for(lang)["neutral_publisher"]
    if config.path is None:
        warn(log, f"no {CONFIG_NAME} in the publication's folder or any folder above it: the editions name a neutral "
                  f"publisher ('{name}'); run `brochure init --name NAME` in the folder to create one")
    else:
        warn(log, f"no publisher.name: the editions name a neutral publisher ('{name}')", Location(config.path, 1))
    return Publisher(**{**config.publisher.__dict__, "name": name})


@cache
def _cached_config(path: Path, _mtime: int, _size: int, own_folder: bool) -> Config:
    data, lines = _read(path)
    _check(data, lines, path)
    if own_folder:
        data = _own_keys(data, lines, path)
    publisher = data.get("publisher") or {}
    brand = data.get("brand") or {}
    defaults = Brand()
    return Config(
        publisher=Publisher(
            name=" ".join(str(publisher.get("name", "")).split()),
            office=str(publisher.get("office", "")),
            parent=str(publisher.get("parent", "")),
            contact_name=str(publisher.get("contact_name", "")),
            address=tuple(str(line) for line in publisher.get("address", ())),
            phone=str(publisher.get("phone", "")),
            url=str(publisher.get("url", "")),
            order_url=str(publisher.get("order_url", "")),
            catalog_url=str(publisher.get("catalog_url", "")),
        ),
        brand=Brand(colour_rgb=str(brand.get("colour_rgb", defaults.colour_rgb)),
                    colour_cmyk=tuple(float(v) for v in brand.get("colour_cmyk", defaults.colour_cmyk)),  # type: ignore[arg-type]
                    logo=_logo(brand, lines, path), logo_alt=" ".join(str(brand.get("logo_alt", "")).split())),
        print_spec=_print_spec(data.get("print") or {}),
        path=path,
        keys=frozenset((section, key) for section, keys in data.items() if isinstance(keys, dict) for key in keys
                       if key in SCHEMA.get(section, {})),
        languages=_languages(data.get("languages") or {}, lines),
        order_limit=int((data.get("orders") or {}).get("limit_per_title", ORDER_LIMIT)),
    )


def _logo(brand: dict[str, Any], lines: dict[tuple[str, ...], int], path: Path) -> Path | None:
    """brand.logo: a safe image file beside brochure.yaml (or below it), with its alt text; None when not given."""
    if not brand.get("logo"):
        return None
    where = Location(path, lines.get(("brand", "logo"), 1))
    logo, _ = local_image(str(brand["logo"]), path.parent, where, what="logo", place=f"the folder of {CONFIG_NAME}")
    if not str(brand.get("logo_alt", "")).strip():
        raise SourceError("brand.logo needs brand.logo_alt: what the logo shows, for readers who cannot see it", where)
    return logo


def _print_spec(values: dict[str, Any]) -> PrintSpec:
    """The checked `print:` section as a PrintSpec: copies a number, caliper inches, the rest text."""
    kinds: dict[str, Callable[[Any], Any]] = {"quantity": int, "caliper_in": float}
    return PrintSpec(**{key: kinds.get(key, str)(value) for key, value in values.items() if key in SCHEMA["print"]})


def _languages(data: dict[str, Any], lines: dict[tuple[str, ...], int]) -> dict[str, LanguageBlock]:
    """The checked `languages:` section as blocks (publisher text normalised like the default block's)."""
    blocks = {}
    for tag, block in data.items():
        publisher = {key: (tuple(str(line) for line in value) if key == "address" else
                           " ".join(str(value).split()) if key == "name" else str(value))
                     for key, value in ((block or {}).get("publisher") or {}).items() if key in LANGUAGE_SCHEMA["publisher"]}
        catalog = {key: str(value) for key, value in ((block or {}).get("catalog") or {}).items() if key in LANGUAGE_SCHEMA["catalog"]}
        blocks[str(tag)] = LanguageBlock(publisher, catalog, lines.get(("languages", str(tag)), 1))
    return blocks


def _own_keys(data: dict[str, Any], lines: dict[tuple[str, ...], int], path: Path) -> dict[str, Any]:
    """A publication folder's brochure.yaml without the catalog's keys, each ignored with a warning at its line."""
    kept: dict[str, Any] = {}
    for section, keys in data.items():
        for key, value in (keys or {}).items():
            if (section, key) in PUBLICATION_KEYS:
                kept.setdefault(section, {})[key] = value
            else:
                warn(log, f"{section}.{key} is set for the whole catalog, not in a publication's own folder: it is "
                          f"ignored here (set it in the {CONFIG_NAME} of the folder you build)",
                     Location(path, lines.get((section, key), 1)))
    return kept


def _read(path: Path) -> tuple[dict[str, Any], dict[tuple[str, ...], int]]:
    """The file's mapping and the line of every key (by its dotted path), or a located error. Only a regular file
    of at most MAX_CONFIG_BYTES is read: a symbolic link (which could lead anywhere) is refused."""
    import stat

    status = path.lstat()
    if stat.S_ISLNK(status.st_mode):
        raise SourceError("the configuration is a symbolic link: it is read only from a regular file", Location(path))
    if not stat.S_ISREG(status.st_mode):
        raise SourceError("the configuration is not a regular file", Location(path))
    if status.st_size > MAX_CONFIG_BYTES:
        raise SourceError(f"the configuration is {status.st_size:,} bytes; the limit is {MAX_CONFIG_BYTES:,}", Location(path))
    try:
        with path.open("rb") as stream:
            text = stream.read(MAX_CONFIG_BYTES + 1).decode("utf-8")
    except OSError as err:
        raise SourceError(f"cannot read the configuration: {err.strerror}", Location(path)) from None
    except UnicodeDecodeError as err:
        line = err.object[:err.start].count(b"\n") + 1
        raise SourceError(f"invalid UTF-8 (byte 0x{err.object[err.start]:02x})", Location(path, line)) from None
    try:
        loader = NoAliasLoader(text)  # its reader refuses characters YAML does not allow (NUL, most controls)
    except yaml.YAMLError as err:
        problem, line = yaml_problem(err, text)
        raise SourceError(f"malformed configuration: {problem}", Location(path, line)) from None
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as err:
        problem, line = yaml_problem(err, text)
        raise SourceError(f"malformed configuration: {problem}", Location(path, line)) from None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SourceError("the configuration must be a mapping of sections (publisher, brand, print)", Location(path, 1))
    return data, _key_lines(node)


def _key_lines(node: yaml.Node | None, prefix: tuple[str, ...] = ()) -> dict[tuple[str, ...], int]:
    found: dict[tuple[str, ...], int] = {}
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = (*prefix, str(key.value))
            found.setdefault(name, key.start_mark.line + 1)
            found.update({k: v for k, v in _key_lines(value, name).items() if k not in found})
    return found


def _check(data: dict[str, Any], lines: dict[tuple[str, ...], int], path: Path) -> None:
    """Warn on each unknown key (with the nearest known one); stop at the first value of the wrong kind."""
    for section, value in data.items():
        where = Location(path, lines.get((str(section),), 1))
        if section == "languages":
            _check_languages(value, lines, path, where)
            continue
        if section not in SCHEMA:
            _unknown(str(section), SCHEMA, where)
            continue
        if value is None:
            continue
        if not isinstance(value, dict):
            raise SourceError(f"'{section}' must be a mapping of keys ({', '.join(SCHEMA[section])})", where)
        _check_keys(value, SCHEMA[section], (str(section),), lines, path, functools.partial(_elsewhere, section=str(section)))


def _check_languages(value: Any, lines: dict[tuple[str, ...], int], path: Path, where: Location) -> None:
    """`languages:` maps language tags to blocks of LANGUAGE_SCHEMA's sections, each key checked like the default's."""
    if value is None:
        return
    if not isinstance(value, dict):
        raise SourceError("'languages' must be a mapping of language tags (es, fr, …) to blocks", where)
    for tag, block in value.items():
        at = Location(path, lines.get(("languages", str(tag)), 1))
        if not _LANGUAGE_TAG.fullmatch(str(tag)):
            raise SourceError(f"languages.{tag} must be named by a lower-case BCP 47 language tag like es or pt-br", at)
        if block is None:
            continue
        if not isinstance(block, dict):
            raise SourceError(f"languages.{tag} must be a mapping of sections ({', '.join(LANGUAGE_SCHEMA)})", at)
        for section, keys in block.items():
            at = Location(path, lines.get(("languages", str(tag), str(section)), 1))
            name = f"languages.{tag}.{section}"
            if section not in LANGUAGE_SCHEMA:
                _unknown(name, {f"languages.{tag}.{s}": s for s in LANGUAGE_SCHEMA}, at)
                continue
            if keys is None:
                continue
            if not isinstance(keys, dict):
                raise SourceError(f"'{name}' must be a mapping of keys ({', '.join(LANGUAGE_SCHEMA[section])})", at)
            _check_keys(keys, LANGUAGE_SCHEMA[section], ("languages", str(tag), str(section)), lines, path)


def _check_keys(keys: dict[str, Any], known: dict[str, Key], prefix: tuple[str, ...], lines: dict[tuple[str, ...], int],
                path: Path, elsewhere: Callable[[str], dict[str, str]] = lambda key: {}) -> None:
    """Warn on each key of one section that `known` lacks (suggesting `elsewhere`'s, else the section's own keys);
    stop at the first value of the wrong kind."""
    name = ".".join(prefix)
    for key, item in keys.items():
        where = Location(path, lines.get((*prefix, str(key)), 1))
        if key not in known:
            _unknown(f"{name}.{key}", elsewhere(str(key)) or {f"{name}.{k}": k for k in known}, where)
            continue
        wanted = known[key].check(item)
        if wanted:
            raise SourceError(f"{name}.{key} must be {wanted}", where)


def _elsewhere(key: str, section: str) -> dict[str, str]:
    """The same key name in the other sections (a key put in the wrong section)."""
    return {f"{other}.{key}": key for other, keys in SCHEMA.items() if other != section and key in keys}


def _unknown(name: str, known: dict[str, Any], where: Location) -> None:
    import difflib  # only when a key is unknown

    leaf = name.rsplit(".", 1)[-1]
    near = [k for k in known if k.rsplit(".", 1)[-1] == leaf] or difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean '{near[0]}'?)" if near else ""
    warn(log, f"unknown configuration key '{name}'{hint}: it is ignored", where)


def check_print_spec(spec: PrintSpec, where: Location) -> None:
    """Refuse a trim, printer profile or PDF/X flavour the builder does not know (front matter's `trim` too)."""
    for value, allowed, what in ((spec.trim, TRIMS_IN, "trim"), (spec.profile, PROFILES, "printer profile"), (spec.pdfx, PDFX, "PDF/X flavour")):
        if value not in allowed:
            raise SourceError(f"unknown {what} '{value}' (use one of: {', '.join(allowed)})", where)


# ------------------------------------------------------------------------------------------------ brochure init

OPTIONAL_FILES = {("brand", "logo"), ("brand", "logo_alt")}  # brochure init shows them commented: the agency adds its own file


def starter_config(name: str) -> str:
    """A brochure.yaml with every key of the schema, its meaning as a comment, and the agency's name filled in."""
    lines = ["# brochure.yaml: the publisher, brand and print settings of every publication in this folder and below.",
             "# Front matter overrides the publisher's name and contact details for one publication.", ""]
    for section, keys in SCHEMA.items():
        lines.append(f"{section}:")
        for key, spec in keys.items():
            # The agency's own details are left for it to fill in (commented examples); brand and print get defaults.
            comment = "# " if (section == "publisher" and key != "name") or (section, key) in OPTIONAL_FILES else ""
            value = name if (section, key) == ("publisher", "name") else spec.example
            lines.append(f"  # {spec.doc}")
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                lines.append(f"  {comment}{key}:")
                lines += [f"  {comment}  - {_scalar(v)}" for v in value]
            else:
                lines.append(f"  {comment}{key}: {_scalar(value)}")
        lines.append("")
    lines += ["# The publisher's text in another language, for the publications in that language (any language tag):",
              "# languages:", "#   es:"]
    for section, keys in LANGUAGE_SCHEMA.items():
        lines.append(f"#     {section}:")
        for key, spec in keys.items():
            if key in ("name", "office", "parent", "contact_name", "order_info", "title"):
                lines.append(f"#       {key}: {_scalar(spec.example if section == 'catalog' else _SPANISH_EXAMPLES.get(key, spec.example))}")
    lines.append("")
    return "\n".join(lines)


_SPANISH_EXAMPLES = {"name": "Departamento de Salud Pública del Condado de Example", "office": "Preparado por: Oficina de Comunicación de Salud",
                     "parent": "Gobierno del Condado de Example", "contact_name": "Línea de Información de Salud"}


def _scalar(value: Any) -> str:
    return str(yaml.safe_dump(value, default_flow_style=True, width=10_000)).strip().removesuffix("...").strip()


# ------------------------------------------------------------------------------------------------ words

@cache
def strings_for(lang: str) -> dict[str, str]:
    """The template's words for a language (its primary subtag), falling back to English."""
    primary = lang.split("-")[0].lower()
    english = load_yaml((STRINGS / "en.yaml").read_text(encoding="utf-8"))
    own = STRINGS / f"{primary}.yaml"
    if primary != "en" and own.is_file():
        english.update(load_yaml(own.read_text(encoding="utf-8")))
    return english
