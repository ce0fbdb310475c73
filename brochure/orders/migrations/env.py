"""Alembic's environment: always run from brochure.orders.db.upgrade, on the connection it passes."""
from __future__ import annotations

from alembic import context

from brochure.orders.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=connection.dialect.name == "sqlite")
with context.begin_transaction():
    context.run_migrations()
