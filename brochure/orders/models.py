"""The order tables (SQLAlchemy 2 declarative models). The schema itself is made by the migrations in migrations/:
a change here needs a new migration beside them."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class PrintRun(Base):
    """One `brochure orders export`: the orders it took, printed and shipped together."""

    __tablename__ = "print_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class Order(Base):
    """One order: where to ship, and whether a print run has taken it (print_run_id)."""

    __tablename__ = "orders"

    id: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(16), default="received")  # received, then exported
    idempotency_key: Mapped[str | None] = mapped_column(String(255), unique=True)
    request_hash: Mapped[str | None] = mapped_column(String(64))  # of the order the key came with
    name: Mapped[str] = mapped_column(String(100))
    organization: Mapped[str] = mapped_column(String(100), default="")
    street: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(2))
    zip: Mapped[str] = mapped_column(String(10))
    email: Mapped[str] = mapped_column(String(254))
    print_run_id: Mapped[int | None] = mapped_column(ForeignKey("print_runs.id"), index=True)
    items: Mapped[list[OrderItem]] = relationship(back_populates="order", order_by="OrderItem.position", cascade="all, delete-orphan")


class OrderItem(Base):
    """One line of an order: a publication and its copies."""

    __tablename__ = "order_items"
    __table_args__ = (CheckConstraint("quantity > 0", name="quantity_positive"),)

    order_id: Mapped[str] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    publication_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[int] = mapped_column(Integer)
    order: Mapped[Order] = relationship(back_populates="items")
