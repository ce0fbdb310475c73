"""Starting points: a fresh publication folder with valid front matter and a starter body (new_publication), and a
brochure.yaml with every key of the configuration explained (new_config)."""
from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from brochure.errors import BrochureError
from brochure.output import write_outputs
from brochure.render.templates import environment

SLUG = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")
LANGUAGES = ("en", "es")
TEMPLATE = "new-publication.md"


def new_publication(slug: str, title: str, lang: str = "en", folder: Path = Path("publications"), date: dt.date | None = None) -> Path:
    """Write folder/SLUG/SLUG.md and return its path; refuse a bad slug, an empty title or an existing folder."""
    if not SLUG.fullmatch(slug):
        raise BrochureError(f"slug '{slug}' must be lower-case letters and digits joined by single hyphens, e.g. lyme-disease")
    if not title.strip():
        raise BrochureError("the title must not be empty")
    if lang not in LANGUAGES:
        raise BrochureError(f"unknown language '{lang}' (use one of: {', '.join(LANGUAGES)})")
    target = folder / slug
    if target.exists():
        raise BrochureError(f"{target}: already exists; choose another slug or remove the folder")
    text = _template().render(title=title.strip(), lang=lang, slug=slug, date=date or dt.date.today())
    return write_outputs(target, {f"{slug}.md": text.encode("utf-8")})[0]


def _template():  # type: ignore[no-untyped-def]
    """The scaffold template, in an environment that can quote YAML text (JSON strings are valid YAML)."""
    env = environment().overlay(autoescape=False)
    env.filters["yaml_text"] = lambda value: json.dumps(value, ensure_ascii=False)
    return env.get_template(TEMPLATE)


def new_config(folder: Path, name: str) -> Path:
    """Write folder/brochure.yaml (every key, explained, with the agency's name) and return its path; never overwrite one."""
    from brochure.source.config import CONFIG_NAME, starter_config

    name = " ".join(name.split())
    if not name:
        raise BrochureError("the publisher's name must not be empty (--name)")
    target = folder / CONFIG_NAME
    if target.exists():
        raise BrochureError(f"{target}: already exists; edit it, or remove it first")
    return write_outputs(folder, {CONFIG_NAME: starter_config(name).encode("utf-8")})[0]
