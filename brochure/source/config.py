"""The project's configuration (brochure.yaml) and the template's words in each language."""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from brochure.assets import STRINGS
from brochure.errors import Location, SourceError
from brochure.model import Brand, PrintSpec, Publisher

CONFIG_NAME = "brochure.yaml"
TRIMS_IN = {"half-letter": (5.5, 8.5), "letter": (8.5, 11.0)}
# the sheet a trim is imposed 2-up on for the booklet: US Letter landscape, or tabloid (11 × 17 in) landscape
BOOKLET_SHEETS_IN = {"half-letter": (11.0, 8.5), "letter": (17.0, 11.0)}
PROFILES = {"offset": ("crop", "registration"), "pod": ()}  # printer profile → printer's marks outside the bleed
PDFX = {"pdf/x-4": "PDF/X-4", "pdf/x-1a": "PDF/X-1a:2003"}  # WeasyPrint variant → the GTS_PDFXVersion it writes


@dataclass(frozen=True)
class Config:
    """Publisher defaults, brand colours and print settings, from the nearest brochure.yaml."""

    publisher: Publisher = field(default_factory=lambda: Publisher(name=""))
    brand: Brand = field(default_factory=Brand)
    print_spec: PrintSpec = field(default_factory=PrintSpec)
    path: Path | None = None


def find_config(folder: Path) -> Path | None:
    """The brochure.yaml in the publication's folder or the nearest folder above it."""
    for candidate in (folder, *folder.parents):
        if (candidate / CONFIG_NAME).is_file():
            return candidate / CONFIG_NAME
    return None


def load_yaml(text: str) -> Any:
    """Safe YAML loading, with libyaml's C parser when PyYAML has it (ten times faster than the Python one)."""
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - a safe loader


def load_config(path: Path | None) -> Config:
    """Read brochure.yaml (or the defaults when there is none)."""
    if path is None:
        return Config()
    try:
        data = load_yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError) as err:
        raise SourceError(f"cannot read the configuration: {err}", Location(path)) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        raise SourceError(f"malformed configuration: {err}", Location(path, mark.line + 1 if mark else None)) from None
    if not isinstance(data, dict):
        raise SourceError("the configuration must be a mapping", Location(path, 1))
    return Config(
        publisher=_publisher(data.get("publisher") or {}),
        brand=_brand(data.get("brand") or {}),
        print_spec=_print_spec(data.get("print") or {}, path),
        path=path,
    )


def _publisher(data: dict[str, Any]) -> Publisher:
    """The publisher block: agency name, office line and contact details."""
    return Publisher(
        name=str(data.get("name", "")),
        office=str(data.get("office", "")),
        parent=str(data.get("parent", "")),
        contact_name=str(data.get("contact_name", "")),
        address=tuple(str(line) for line in data.get("address", ())),
        phone=str(data.get("phone", "")),
        url=str(data.get("url", "")),
        order_url=str(data.get("order_url", "")),
    )


def _brand(data: dict[str, Any]) -> Brand:
    """Brand colours: sRGB for screens, CMYK percentages for the press."""
    defaults = Brand()
    cmyk = tuple(float(v) for v in data.get("colour_cmyk", defaults.colour_cmyk))
    return Brand(colour_rgb=str(data.get("colour_rgb", defaults.colour_rgb)), colour_cmyk=cmyk)  # type: ignore[arg-type]


def _print_spec(data: dict[str, Any], path: Path) -> PrintSpec:
    """Print settings, checked against the known trims, profiles and PDF/X flavours."""
    spec = PrintSpec(**{k: str(v) for k, v in data.items() if k in PrintSpec.__dataclass_fields__})
    check_print_spec(spec, Location(path))
    return spec


def check_print_spec(spec: PrintSpec, where: Location) -> None:
    """Refuse a trim, printer profile or PDF/X flavour the builder does not know."""
    for value, allowed, what in ((spec.trim, TRIMS_IN, "trim"), (spec.profile, PROFILES, "printer profile"), (spec.pdfx, PDFX, "PDF/X flavour")):
        if value not in allowed:
            raise SourceError(f"unknown {what} '{value}' (use one of: {', '.join(allowed)})", where)


@cache
def strings_for(lang: str) -> dict[str, str]:
    """The template's words for a language (its primary subtag), falling back to English."""
    primary = lang.split("-")[0].lower()
    folder = STRINGS
    english = load_yaml((folder / "en.yaml").read_text(encoding="utf-8"))
    own = folder / f"{primary}.yaml"
    if primary != "en" and own.is_file():
        english.update(load_yaml(own.read_text(encoding="utf-8")))
    return english
