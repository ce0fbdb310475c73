"""Orders in the database: placed (idempotently) and read back by the web side, listed and taken into print runs by
the staff's commands. Every write is one transaction, committed before the caller answers; queries are SQLAlchemy's,
so every value is a bound parameter."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from brochure.orders.db import write_lock
from brochure.orders.models import Order, OrderItem, PrintRun
from brochure.orders.validate import OrderInput

ID_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"  # no 0/O, 1/I/L, U: read out over the phone
ID_GROUPS = 3  # XXXX-XXXX-XXXX: 58 bits, not guessed from another order's number


@dataclass(frozen=True)
class PlacedOrder:
    """An order as stored, as plain data."""

    id: str
    status: str
    created_at: dt.datetime
    items: tuple[tuple[str, int], ...]
    ship_to: dict[str, str]
    print_run: int | None = None

    def public(self) -> dict:
        """What the API answers about an order (never the address)."""
        return {"order": self.id, "status": self.status, "items": [{"id": ident, "quantity": copies} for ident, copies in self.items]}


class KeyReused(Exception):
    """An Idempotency-Key sent again with a different order."""


def new_order_id() -> str:
    """A random order number like 7KQ3-M9TD-2XHP."""
    return "-".join("".join(secrets.choice(ID_ALPHABET) for _ in range(4)) for _ in range(ID_GROUPS))


def order_hash(order: OrderInput) -> str:
    """A digest of the order's content: what an Idempotency-Key is checked against."""
    text = json.dumps({"items": order.items, "ship_to": order.ship_to}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def place_order(engine: Engine, order: OrderInput, key: str | None = None) -> tuple[PlacedOrder, bool]:
    """Store the order and return it with True; with a key already used for the same order, return that order and
    False (KeyReused for a different one). The order is committed when this returns."""
    digest = order_hash(order)
    if key:
        found = _by_key(engine, key)
        if found is not None:
            return _same(found, digest), False
    for _attempt in range(5):  # a new random id that happens to be taken is drawn again
        row = Order(id=new_order_id(), created_at=dt.datetime.now(dt.UTC), status="received", idempotency_key=key or None,
                    request_hash=digest, **order.ship_to,
                    items=[OrderItem(publication_id=ident, quantity=copies, position=n) for n, (ident, copies) in enumerate(order.items)])
        try:
            with write_lock(engine), Session(engine) as session, session.begin():
                session.add(row)
                session.flush()
                placed = _plain(row)
            return placed, True
        except IntegrityError:
            if key:  # the same key at the same moment from another request: that one won
                found = _by_key(engine, key)
                if found is not None:
                    return _same(found, digest), False
    raise RuntimeError("could not draw a free order number")


def _same(found: tuple[PlacedOrder, str | None], digest: str) -> PlacedOrder:
    placed, stored = found
    if stored != digest:
        raise KeyReused(placed.id)
    return placed


def _by_key(engine: Engine, key: str) -> tuple[PlacedOrder, str | None] | None:
    with Session(engine) as session:
        row = session.scalars(select(Order).options(selectinload(Order.items)).where(Order.idempotency_key == key)).first()
        return (_plain(row), row.request_hash) if row is not None else None


def get_order(engine: Engine, order_id: str) -> PlacedOrder | None:
    """One order by its number, or None."""
    with Session(engine) as session:
        row = session.scalars(select(Order).options(selectinload(Order.items)).where(Order.id == order_id)).first()
        return _plain(row) if row is not None else None


def list_orders(engine: Engine, pending_only: bool = False) -> list[PlacedOrder]:
    """Every order (or only those no print run has taken), oldest first."""
    query = select(Order).options(selectinload(Order.items)).order_by(Order.created_at, Order.id)
    if pending_only:
        query = query.where(Order.print_run_id.is_(None))
    with Session(engine) as session:
        return [_plain(row) for row in session.scalars(query)]


def new_run(engine: Engine) -> int:
    """A new, empty print run's number (committed: the number is never given twice)."""
    with write_lock(engine), Session(engine) as session, session.begin():
        run = PrintRun(created_at=dt.datetime.now(dt.UTC))
        session.add(run)
        session.flush()
        return run.id


CLAIM_BATCH = 500  # order numbers in one UPDATE (far below any database's limit on bound parameters)


def claim(session: Session, run: int, order_ids: list[str]) -> bool:
    """In the caller's transaction: put the orders in the run, marked exported, and say whether every one of them
    was still waiting (False: another export took some at the same moment; the caller rolls back)."""
    taken = 0
    for start in range(0, len(order_ids), CLAIM_BATCH):
        batch = order_ids[start:start + CLAIM_BATCH]
        result = session.execute(update(Order).where(Order.id.in_(batch), Order.print_run_id.is_(None))
                                 .values(print_run_id=run, status="exported").execution_options(synchronize_session=False))
        taken += result.rowcount  # type: ignore[attr-defined]
    return taken == len(order_ids)


def drop_run(engine: Engine, run: int) -> None:
    """Remove a print run that took no orders (its export failed)."""
    with write_lock(engine), Session(engine) as session, session.begin():
        if session.scalar(select(func.count()).select_from(Order).where(Order.print_run_id == run)) == 0:
            session.execute(delete(PrintRun).where(PrintRun.id == run))


def _plain(row: Order) -> PlacedOrder:
    created = row.created_at if row.created_at.tzinfo else row.created_at.replace(tzinfo=dt.UTC)  # SQLite keeps no zone
    return PlacedOrder(
        id=row.id, status=row.status, created_at=created, print_run=row.print_run_id,
        items=tuple((item.publication_id, item.quantity) for item in sorted(row.items, key=lambda i: i.position)),
        ship_to={key: getattr(row, key) for key in ("name", "organization", "street", "city", "state", "zip", "email")},
    )
