"""The orders, their items and the print runs.

Revision ID: 0001
Revises:
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "print_runs",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(20), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("idempotency_key", sa.String(255), nullable=True, unique=True),
        sa.Column("request_hash", sa.String(64), nullable=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("organization", sa.String(100), nullable=False),
        sa.Column("street", sa.String(200), nullable=False),
        sa.Column("city", sa.String(100), nullable=False),
        sa.Column("state", sa.String(2), nullable=False),
        sa.Column("zip", sa.String(10), nullable=False),
        sa.Column("email", sa.String(254), nullable=False),
        sa.Column("print_run_id", sa.Integer, sa.ForeignKey("print_runs.id"), nullable=True),
    )
    op.create_index("ix_orders_print_run_id", "orders", ["print_run_id"])
    op.create_table(
        "order_items",
        sa.Column("order_id", sa.String(20), sa.ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("publication_id", sa.String(100), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.CheckConstraint("quantity > 0", name="quantity_positive"),
    )


def downgrade() -> None:
    op.drop_table("order_items")
    op.drop_index("ix_orders_print_run_id", "orders")
    op.drop_table("orders")
    op.drop_table("print_runs")
