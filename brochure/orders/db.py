"""The orders database: an engine for any SQLAlchemy URL (SQLite in WAL mode with foreign keys, or PostgreSQL), its
schema brought up to date by the Alembic migrations shipped in this package."""
from __future__ import annotations

import contextlib
import os
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

DEFAULT_FILE = "orders.sqlite3"
ENV_URL = "BROCHURE_DATABASE_URL"
MIGRATIONS = Path(__file__).resolve().parent / "migrations"
BUSY_TIMEOUT_MS = 30_000  # a writer waits this long for another (the server and an export at once)


def database_url(given: str | None = None) -> str:
    """The URL to use: the one given, else BROCHURE_DATABASE_URL, else orders.sqlite3 in the current folder. A plain
    path is taken as an SQLite file."""
    url = given or os.environ.get(ENV_URL) or DEFAULT_FILE
    return url if "://" in url else f"sqlite:///{Path(url).absolute()}"


def open_engine(url: str | None = None, migrate: bool = True) -> Engine:
    """An engine for the orders database, its schema migrated to the newest revision (unless migrate=False)."""
    url = database_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        if parsed.drivername == "postgresql":  # psycopg 3 is the driver the project installs
            url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    if migrate:
        upgrade(engine)
    return engine


def _sqlite_connect(connection, _record) -> None:  # type: ignore[no-untyped-def]
    """WAL (readers never wait for the writer; a committed order survives the process being killed), foreign keys
    on, and SQLAlchemy's own BEGIN (the driver's implicit one cannot be made IMMEDIATE)."""
    connection.isolation_level = None
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")  # in WAL mode: durable when the process dies, not when power fails
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection) -> None:  # type: ignore[no-untyped-def]
    """Every transaction takes the write lock first: two writers never deadlock upgrading a read lock."""
    connection.exec_driver_sql("BEGIN IMMEDIATE")


_SQLITE_WRITERS: dict[int, threading.Lock] = {}


def write_lock(engine: Engine) -> contextlib.AbstractContextManager:
    """What a write holds: for SQLite, one lock per engine, so that this process's threads take turns instead of
    meeting in SQLite's busy handler (which sleeps in steps and made the slowest 1% of orders wait 0.7 s); other
    processes still wait on the busy timeout. Other databases lock rows themselves."""
    if engine.dialect.name != "sqlite":
        return contextlib.nullcontext()
    return _SQLITE_WRITERS.setdefault(id(engine), threading.Lock())


def upgrade(engine: Engine) -> None:
    """Run the migrations up to the newest (a database already there is left as it is)."""
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
