"""`brochure orders export`: the orders no print run has taken become one print run in a folder: print-run.json,
each publication's job ticket with its quantity set to the copies ordered, packing-list.csv and labels.pdf."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from brochure.errors import BrochureError, Location, warn
from brochure.orders import store
from brochure.orders.db import write_lock
from brochure.orders.labels import labels_pdf
from brochure.orders.titles import Title, read_titles
from brochure.output import write_outputs

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PrintRun:
    """What one export wrote."""

    run: int
    orders: tuple[str, ...]
    copies: dict[str, int]
    paths: tuple[Path, ...]


def export_run(engine: Engine, dist: Path, outdir: Path) -> PrintRun | None:
    """Write the print run of every waiting order into outdir and mark them exported; None when none is waiting.
    The files are made with no lock held (the server goes on taking orders), then written and the orders marked in
    one transaction: a failed write leaves them waiting, and two exports at once never share an order."""
    orders = store.list_orders(engine, pending_only=True)
    if not orders:
        return None
    titles = read_titles(dist) if (dist / ".manifest.json").is_file() else {}
    if not titles:
        warn(log, f"no built catalog in {dist}: the run has no job tickets (give the catalog with --dist)")
    run = store.new_run(engine)
    try:
        files = run_files(run, orders, titles, dist)
        with write_lock(engine), Session(engine) as session, session.begin():
            if not store.claim(session, run, [order.id for order in orders]):
                raise BrochureError("another export took some of these orders at the same time: nothing was written; run the export again")
            paths = write_outputs(outdir, files)
    except BaseException:
        store.drop_run(engine, run)
        raise
    copies = _copies(orders)
    return PrintRun(run, tuple(order.id for order in orders), {ident: sum(n for _, n in found) for ident, found in copies.items()}, tuple(paths))


def run_files(run: int, orders: list[store.PlacedOrder], titles: dict[str, Title], dist: Path) -> dict[str, bytes]:
    """The run's files by name."""
    copies = _copies(orders)
    stamp = dt.datetime.now(dt.UTC).replace(microsecond=0)
    files: dict[str, bytes] = {}
    publications = []
    for ident in sorted(copies):
        total = sum(n for _, n in copies[ident])
        ticket = _ticket(ident, titles.get(ident), dist, total, stamp, files)
        publications.append({"id": ident, "title": titles[ident].title if ident in titles else "", "copies": total,
                             "orders": [order for order, _ in copies[ident]], "ticket": ticket})
    summary = {"run": run, "created": stamp.isoformat().replace("+00:00", "Z"), "publications": publications, "orders": [o.id for o in orders]}
    files["print-run.json"] = (json.dumps(summary, indent=2, ensure_ascii=False) + "\n").encode()
    files["packing-list.csv"] = packing_list(orders, titles)
    files["labels.pdf"] = labels_pdf(orders, {ident: title.title for ident, title in titles.items()}, run)
    return files


def _copies(orders: list[store.PlacedOrder]) -> dict[str, list[tuple[str, int]]]:
    """Each publication's (order, copies) lines."""
    found: dict[str, list[tuple[str, int]]] = {}
    for order in orders:
        for ident, copies in order.items:
            found.setdefault(ident, []).append((order.id, copies))
    return found


def _ticket(ident: str, title: Title | None, dist: Path, copies: int, stamp: dt.datetime, files: dict[str, bytes]) -> str | None:
    """The print edition's job ticket (JSON, and its CIP4 JDF) with quantity = copies, added to files; its name."""
    if title is None or not title.ticket:
        warn(log, f"'{ident}' has no job ticket in {dist}: its copies are in print-run.json only")
        return None
    try:
        ticket = json.loads((dist / title.ticket).read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        warn(log, f"the job ticket cannot be read ({err}): its copies are in print-run.json only", Location(dist / title.ticket))
        return None
    from brochure.editions.jdf import job_jdf

    ticket["quantity"] = copies
    name = Path(title.ticket).name
    files[name] = (json.dumps(ticket, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    files[name.removesuffix(".json") + ".jdf"] = job_jdf(ticket, stamp.isoformat().replace("+00:00", "Z"))
    return name


PACKING_COLUMNS = ("order", "name", "organization", "street", "city", "state", "zip", "publication", "title", "copies")


def packing_list(orders: list[store.PlacedOrder], titles: dict[str, Title]) -> bytes:
    """packing-list.csv: one row per order line, with the address to ship it to."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(PACKING_COLUMNS)
    for order in orders:
        address = [_cell(order.ship_to[key]) for key in ("name", "organization", "street", "city", "state", "zip")]
        for ident, copies in order.items:
            writer.writerow([order.id, *address, ident, _cell(titles[ident].title if ident in titles else ""), copies])
    return out.getvalue().encode("utf-8")


def _cell(text: str) -> str:
    """A value a spreadsheet will not run as a formula."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
