"""The order service's contract (orders_contract.py) against a real PostgreSQL: a throwaway cluster of Debian's
postgresql package (initdb and pg_ctl, as the postgres user when the suite runs as root) in a temporary folder, on a
free loopback port, for this module only. A fresh database for each test."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from orders_contract import *  # noqa: F403 - the shared contract's tests and fixtures
from orders_support import build_order_dist, free_port
from sqlalchemy import create_engine, text

pytestmark = pytest.mark.slow

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
assert BINARIES, "PostgreSQL's initdb and pg_ctl are missing: install Debian's postgresql (scripts/setup-system.sh does)"
BIN = Path(BINARIES[-1])


def _as_cluster_owner(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: as root, the command runs as the postgres user."""
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else args


@pytest.fixture(scope="module")
def cluster():
    """A running cluster (trust authentication on 127.0.0.1 only); its admin URL."""
    folder = Path(tempfile.mkdtemp(prefix="brochure-pg-"))
    data, sockets = folder / "data", folder / "sockets"
    sockets.mkdir()
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        for path in (folder, sockets):
            os.chown(path, owner.pw_uid, owner.pw_gid)
    port = free_port()
    subprocess.run(_as_cluster_owner([str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-instructions"]),
                   check=True, capture_output=True, timeout=120)
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c max_connections=300"
    started = subprocess.run(_as_cluster_owner([str(BIN / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(folder / "server.log"), "-w", "-t", "120", "start"]),
                             capture_output=True, text=True, timeout=180)
    assert started.returncode == 0, started.stdout + started.stderr + (folder / "server.log").read_text(errors="replace")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}"
    finally:
        subprocess.run(_as_cluster_owner([str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]), capture_output=True, timeout=120)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def order_dist(tmp_path_factory):
    return build_order_dist(tmp_path_factory.mktemp("orders-pg"))


_databases = iter(range(1, 10_000))


@pytest.fixture
def database_url(cluster):
    name = f"orders_{next(_databases)}"
    admin = create_engine(f"{cluster}/postgres".replace("postgresql://", "postgresql+psycopg://"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return f"{cluster}/{name}"


def test_the_schema_is_the_migrations(engine):
    with engine.connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0001"]
        tables = set(connection.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")).scalars())
    assert {"orders", "order_items", "print_runs"} <= tables
