"""`brochure serve DIST` and `brochure orders list|export`: what the command line calls (cli.py imports this module
only for these commands, so a build never loads Starlette, SQLAlchemy or uvicorn)."""
from __future__ import annotations

import os
import sys
from pathlib import Path

from brochure.errors import BrochureError, Location

SECRET_ENV = "BROCHURE_SECRET_KEY"  # signs the cart and the forms; without it, a new key each start


def serve(dist: Path, host: str, port: int, database: str | None, rate_per_minute: int) -> int:
    """Serve the catalog and take orders until stopped (Ctrl-C or SIGTERM)."""
    import uvicorn

    from brochure.orders.app import create_app
    from brochure.orders.db import database_url, open_engine

    if not (dist / "index.html").is_file() or not (dist / ".manifest.json").is_file():
        raise BrochureError(f"no built catalog in {dist}: run `brochure build publications -o {dist}` first")
    url = database_url(database)
    engine = open_engine(url)
    app = create_app(dist, engine, os.environ.get(SECRET_ENV), rate_per_minute)
    print(f"serving {dist} on http://{host}:{port}/ (orders in {_shown(url)}; Ctrl-C stops)", file=sys.stderr, flush=True)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print("warning: listening beyond this machine over plain HTTP: put a TLS proxy in front (addresses travel in the forms)", file=sys.stderr, flush=True)
    # The access log has the method, path and status: no address, no body. Idle connections close after 5 s, and at
    # most 1000 requests are in hand at once (more get 503 rather than exhaust the machine).
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=True, server_header=False, proxy_headers=False,
                timeout_keep_alive=5, limit_concurrency=1000)
    return 0


def list_orders(database: str | None, pending_only: bool) -> int:
    """Print one line per order: number, date, status, copies per title (no address)."""
    from brochure.orders.db import open_engine
    from brochure.orders.store import list_orders as stored

    for order in stored(open_engine(database), pending_only):
        items = ", ".join(f"{ident} x{copies}" for ident, copies in order.items)
        run = f"run {order.print_run}" if order.print_run else "pending"
        print(f"{order.id}\t{order.created_at.isoformat(timespec='seconds')}\t{run}\t{items}")
    return 0


def export(database: str | None, dist: Path, outdir: Path) -> int:
    """Write the next print run into outdir; say so, or that no order is waiting."""
    from brochure.orders.db import open_engine
    from brochure.orders.export import export_run

    if outdir.exists() and any(outdir.iterdir()):
        raise BrochureError("the folder is not empty: give a new folder for each print run", Location(outdir))
    run = export_run(open_engine(database), dist, outdir)
    if run is None:
        print("no orders waiting: nothing exported")
        return 0
    for path in run.paths:
        print(path)
    copies = ", ".join(f"{ident} {n}" for ident, n in sorted(run.copies.items()))
    print(f"print run {run.run}: {len(run.orders)} orders; copies: {copies}")
    return 0


def _shown(url: str) -> str:
    """A database URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
