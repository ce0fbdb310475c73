"""An order as the API or the order form gives it → a checked OrderInput, or the list of problems, each naming its
field the way the API reports it (`items[0].quantity`, `ship_to.zip`)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from brochure.orders.titles import Title
from brochure.source.frontmatter import unpublishable

MAX_ITEMS = 50  # lines in one order: more titles than any catalog offers for one shipment
# USPS state and territory codes, with the military "states" (AA, AE, AP).
STATES = frozenset("""AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND
OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI UM FM MH PW AA AE AP""".split())
# Each field of ship_to: (required, most characters, what it is for the message).
SHIP_TO = {
    "name": (True, 100, "the name to ship to"),
    "organization": (False, 100, "the organization"),
    "street": (True, 200, "the street address"),
    "city": (True, 100, "the city"),
    "state": (True, 2, "the state"),
    "zip": (True, 10, "the ZIP code"),
    "email": (True, 254, "the email address"),
}
_ZIP = re.compile(r"\d{5}(-?\d{4})?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@dataclass(frozen=True)
class Problem:
    """What is wrong with one field of an order."""

    field: str
    message: str

    def public(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


@dataclass(frozen=True)
class OrderInput:
    """A checked order: (publication id, copies) lines and the address, whitespace folded."""

    items: tuple[tuple[str, int], ...]
    ship_to: dict[str, str]


def check_order(data: Any, titles: dict[str, Title]) -> tuple[OrderInput | None, list[Problem]]:
    """The order, or None and every problem found (never only the first)."""
    if not isinstance(data, dict):
        return None, [Problem("", "the order must be a JSON object with items and ship_to")]
    problems = [Problem(str(key), "is not a field of an order (items, ship_to)") for key in sorted(map(str, data)) if key not in ("items", "ship_to")]
    items = _items(data.get("items"), titles, problems)
    ship_to = _ship_to(data.get("ship_to"), problems)
    return (OrderInput(items, ship_to), []) if not problems else (None, problems)


def _items(value: Any, titles: dict[str, Title], problems: list[Problem]) -> tuple[tuple[str, int], ...]:
    if not isinstance(value, list) or not value:
        problems.append(Problem("items", "is required: a list of at least one {id, quantity}"))
        return ()
    if len(value) > MAX_ITEMS:
        problems.append(Problem("items", f"has {len(value)} lines; an order has at most {MAX_ITEMS}"))
        return ()
    found: list[tuple[str, int]] = []
    for index, item in enumerate(value):
        where = f"items[{index}]"
        if not isinstance(item, dict):
            problems.append(Problem(where, "must be an object with id and quantity"))
            continue
        problems += [Problem(f"{where}.{key}", "is not a field of an item (id, quantity)") for key in sorted(map(str, item)) if key not in ("id", "quantity")]
        ident, quantity = item.get("id"), item.get("quantity")
        title = titles.get(ident) if isinstance(ident, str) else None
        if not isinstance(ident, str) or not ident:
            problems.append(Problem(f"{where}.id", "is required: a publication id from GET /api/publications"))
        elif title is None:
            problems.append(Problem(f"{where}.id", f"'{_shown(ident)}' is not a publication of this catalog"))
        elif not title.printable:
            problems.append(Problem(f"{where}.id", f"'{ident}' has no print edition: it can be downloaded, not ordered"))
        elif title.order_limit == 0:
            problems.append(Problem(f"{where}.id", f"'{ident}' is download only: printed copies cannot be ordered"))
        elif any(ident == other for other, _ in found):
            problems.append(Problem(f"{where}.id", f"'{ident}' is listed twice: give it once, with all its copies"))
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            problems.append(Problem(f"{where}.quantity", "is required: a whole number of copies"))
        elif quantity < 1:
            problems.append(Problem(f"{where}.quantity", "must be at least 1 copy"))
        elif title is not None and title.orderable and quantity > title.order_limit:
            problems.append(Problem(f"{where}.quantity", f"{quantity} copies is over the limit of {title.order_limit} per order for this title"))
        elif title is not None and title.orderable and isinstance(ident, str):
            found.append((ident, quantity))
    return tuple(found)


def _ship_to(value: Any, problems: list[Problem]) -> dict[str, str]:
    if not isinstance(value, dict):
        problems.append(Problem("ship_to", "is required: an object with name, street, city, state, zip and email"))
        return {}
    problems += [Problem(f"ship_to.{key}", "is not a field of the address") for key in sorted(map(str, value)) if key not in SHIP_TO]
    address: dict[str, str] = {}
    for key, (required, most, what) in SHIP_TO.items():
        where, raw = f"ship_to.{key}", value.get(key)
        if raw is not None and not isinstance(raw, str):
            problems.append(Problem(where, f"{what} must be text"))
            continue
        text = " ".join((raw or "").split())
        if not text:
            if required:
                problems.append(Problem(where, f"{what} is required"))
            address[key] = ""
            continue
        message = _field_problem(key, text, most, what)
        if message:
            problems.append(Problem(where, message))
        address[key] = text.upper() if key == "state" else text
    return address


def _field_problem(key: str, text: str, most: int, what: str) -> str | None:
    bad = unpublishable(text)
    if bad:
        return f"{what} holds {bad}, which a label cannot print"
    if key == "state":
        return None if text.upper() in STATES else f"'{_shown(text)}' is not a USPS state code (two letters, like MD)"
    if key == "zip":
        return None if _ZIP.fullmatch(text) else "must be 5 digits, or 9 (12345-6789)"
    if len(text) > most:
        return f"{what} is longer than {most} characters"
    if key == "email" and not _EMAIL.fullmatch(text):
        return "must be an email address like name@example.org"
    return None


def _shown(text: str) -> str:
    """A value quoted back in a message: short, and only what can be printed."""
    text = "".join(c for c in text if not unpublishable(c))
    return text if len(text) <= 40 else text[:39] + "…"
