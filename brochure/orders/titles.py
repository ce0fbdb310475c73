"""What can be ordered: the titles of a built catalog, read from its records (dist/.manifest.json), never the sources."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from brochure.batch import MANIFEST
from brochure.errors import Location, SourceError
from brochure.source.config import ORDER_LIMIT


@dataclass(frozen=True)
class Title:
    """One publication of the catalog as the order service sees it."""

    id: str
    title: str
    lang: str
    order_limit: int  # copies one order may ask for; 0: download only
    printable: bool  # it has a print edition
    ticket: str = ""  # the print edition's job ticket, relative to dist/ ("pml/pml-print.json")

    @property
    def orderable(self) -> bool:
        """Printed copies can be ordered: a print edition and a limit above 0."""
        return self.printable and self.order_limit > 0

    def public(self) -> dict:
        """The title as GET /api/publications lists it (the limit is 0 for one that cannot be ordered)."""
        return {"id": self.id, "title": self.title, "lang": self.lang, "order_limit": self.order_limit if self.orderable else 0}


def catalog_records(dist: Path) -> list[dict]:
    """The catalog records of a built dist/ (what `brochure build FOLDER` keeps in its manifest), sorted by id."""
    path = dist / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise SourceError(f"no catalog here ({err.strerror}): build one with `brochure build publications -o {dist}`", Location(path)) from None
    except ValueError as err:
        raise SourceError(f"the catalog's records are damaged ({err}): build the catalog again", Location(path)) from None
    if not isinstance(manifest, dict):
        raise SourceError("the catalog's records are damaged: build the catalog again", Location(path))
    records = [entry["record"] for entry in manifest.values() if isinstance(entry, dict) and isinstance(entry.get("record"), dict)]
    return sorted(records, key=lambda r: str(r.get("id")))


def read_titles(dist: Path) -> dict[str, Title]:
    """Every title of the built catalog by id."""
    return {title.id: title for title in map(_title, catalog_records(dist))}


def _title(record: dict) -> Title:
    prints = [e["href"] for e in record.get("editions", ()) if e.get("kind") == "print"]
    ticket = prints[0].removesuffix(".pdf") + ".json" if prints else ""
    limit = record.get("order_limit", ORDER_LIMIT)  # a record from before order limits: the default
    return Title(id=str(record["id"]), title=str(record["title"]), lang=str(record["lang"]), order_limit=int(limit),
                 printable=bool(prints), ticket=ticket if ticket in record.get("files", ()) else "")
