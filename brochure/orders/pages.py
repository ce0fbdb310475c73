"""The order service's HTML pages: the catalog with an order form per title, the cart, the order form and the
confirmation. Python hands the templates (assets/templates/orders/) plain data; the look is catalog.css and orders.css."""
from __future__ import annotations

from functools import cache
from urllib.parse import quote

from markupsafe import Markup

from brochure.assets import STYLES
from brochure.catalog.render import EDITION_KINDS, human_size, language_name, text_direction
from brochure.orders.titles import Title
from brochure.orders.validate import Problem
from brochure.render import templates
from brochure.source.config import strings_for

# The form's fields, in order: (name in ship_to, label, autocomplete token, input type, required).
ADDRESS_FIELDS = (
    ("name", "Name", "name", "text", True),
    ("organization", "Organization (optional)", "organization", "text", False),
    ("street", "Street address", "street-address", "text", True),
    ("city", "City", "address-level2", "text", True),
    ("state", "State", "address-level1", "text", True),
    ("zip", "ZIP code", "postal-code", "text", True),
    ("email", "Email", "email", "email", True),
)


@cache
def _env():  # type: ignore[no-untyped-def]
    env = templates.environment().overlay(trim_blocks=True, lstrip_blocks=True)
    env.filters.update(href=lambda value: quote(str(value), safe="/:#?&=%@+~!$,;'()*[]"), language_name=language_name, dir=text_direction)
    return env


@cache
def _stylesheet() -> Markup:
    """catalog.css and orders.css, inlined like the static page's (neither holds a closing tag)."""
    css = "\n".join((STYLES / name).read_text(encoding="utf-8") for name in ("catalog.css", "orders.css"))
    if "</" in css:
        raise ValueError("a stylesheet holds '</', which would end the style element")
    return Markup(css)


def render(name: str, **values: object) -> str:
    """One page of the service."""
    return _env().get_template(f"orders/{name}").render(css=_stylesheet(), **values)


def catalog_entries(records: list[dict], titles: dict[str, Title]) -> list[dict]:
    """The catalog's titles, as the server's catalog page shows them: sorted by title, each with its editions and
    whether (and how many) printed copies can be ordered."""
    words = strings_for("en")
    entries = []
    for record in sorted(records, key=lambda r: (str(r["title"]).casefold(), r["id"])):
        editions = sorted(record.get("editions", ()), key=lambda e: (EDITION_KINDS.index(e["kind"]) if e["kind"] in EDITION_KINDS else 9, e["href"]))
        entries.append({
            "id": record["id"], "title": record["title"], "subtitle": record.get("subtitle", ""), "summary": record.get("summary", ""),
            "lang": record["lang"], "thumbnail_href": record.get("thumbnail_href", ""), "order": titles.get(record["id"]),
            "editions": [{"kind": e["kind"], "href": e["href"], "media_type": e["media_type"], "label": words.get(f"catalog_edition_{e['kind']}", e["kind"]),
                          "meta": ", ".join(filter(None, (f"{e['pages']} pages" if e.get("pages") else "", human_size(int(e["size_bytes"])))))}
                         for e in editions],
        })
    return entries


def field_errors(problems: list[Problem]) -> dict[str, str]:
    """Each form field's first problem, by the field's API name (ship_to.zip)."""
    found: dict[str, str] = {}
    for problem in problems:
        found.setdefault(problem.field, problem.message)
    return found


def field_id(name: str) -> str:
    """The HTML id of the input for an API field name: ship_to.zip → ship-zip, items[0].quantity → item-0-quantity."""
    return name.replace("ship_to.", "ship-").replace("items[", "item-").replace("].", "-").replace("]", "").replace(".", "-")
