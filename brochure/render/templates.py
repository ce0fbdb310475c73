"""The Jinja2 environment: strict undefined, autoescape on, and the few filters templates need."""
from __future__ import annotations

import datetime as dt
import re
from functools import cache

import jinja2
import markupsafe

from brochure import cache as build_cache
from brochure.assets import TEMPLATES

MONTHS = {
    "en": "January February March April May June July August September October November December",
    "es": "enero febrero marzo abril mayo junio julio agosto septiembre octubre noviembre diciembre",
}


def month_year(date: dt.date, lang: str) -> str:
    """'July 2023' in the publication's language (no locale database needed)."""
    months = MONTHS.get(lang.split("-")[0], MONTHS["en"]).split()
    return f"{months[date.month - 1]} {date.year}"


def display_url(url: str) -> str:
    """An address as people read it: no scheme (https://, mailto:, tel:), no trailing slash."""
    return re.sub(r"^(?:[a-z]+://|mailto:|tel:)", "", url).rstrip("/")


def cmyk_fraction(percent: float) -> str:
    """A CMYK percentage as the 0–1 number device-cmyk() takes."""
    return f"{percent / 100:.3f}".rstrip("0").rstrip(".") or "0"


def no_orphan(text: str) -> markupsafe.Markup:
    """A display line whose last two words stay together where they are short enough to (a cover title or agency
    name never ends on one short word alone: "…Disorders and / Stroke"); they are kept in a span the styles keep
    from wrapping, so text extraction still reads ordinary spaces. Escaped like any other value."""
    words = str(text).split()
    if len(words) < 3 or len(words[-1]) > 10 or len(words[-2]) + len(words[-1]) > 17:  # long words wrap as they are
        return markupsafe.escape(" ".join(words))
    head, tail = " ".join(words[:-2]), " ".join(words[-2:])
    return markupsafe.Markup('{} <span class="keep">{}</span>').format(head, tail)


@cache
def environment() -> jinja2.Environment:
    """The one Jinja2 environment, loading brochure/templates."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=jinja2.select_autoescape(["html", "xhtml", "xml"], default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=False,
        keep_trailing_newline=True,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters.update(month_year=month_year, display_url=display_url, cmyk_fraction=cmyk_fraction, no_orphan=no_orphan)
    return env


class _BytecodeCache(jinja2.FileSystemBytecodeCache):
    """Jinja's file cache, except that a cache folder it cannot write to (read-only, full, immutable) costs only the
    saving of compiled templates, never the build."""

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().dump_bytecode(bucket)
        except OSError:
            pass


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept in the cache's jinja folder (keyed by template source), so a build does not
    recompile them."""
    folder = build_cache.cache_folder("jinja")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return _BytecodeCache(str(folder))


def render(template: str, **context: object) -> str:
    """Render a template by name with the given context."""
    return environment().get_template(template).render(**context)
