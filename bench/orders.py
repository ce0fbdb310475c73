"""Order throughput of `brochure serve` on SQLite: orders per second and p50/p99 latency at 20 concurrent clients.

The PML publication is built into a temporary catalog, the real `brochure serve` started on a free loopback port with
a fresh SQLite database (WAL), and 20 client threads, each on a keep-alive connection of its own, post orders to
POST /api/orders (each with its own Idempotency-Key) for --seconds seconds after a short warm-up. Every answer must
be 201, and the database must then hold exactly the orders acknowledged. The client threads share the machine with
the server (Python's GIL on the client side): the numbers are a floor, not the server's ceiling.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
ORDER = {"items": [{"id": "pml", "quantity": 25}],
         "ship_to": {"name": "Bench Reader", "street": "4600 Silver Hill Rd", "city": "Suitland", "state": "MD", "zip": "20746", "email": "bench@example.org"}}


def build_catalog(folder: Path) -> Path:
    shutil.copytree(ROOT / "publications" / "pml", folder / "publications" / "pml")
    shutil.copy(ROOT / "brochure.yaml", folder / "brochure.yaml")
    subprocess.run([str(PYTHON), "-m", "brochure", "build", str(folder / "publications"), "-o", str(folder / "dist"), "-q"], check=True, cwd=ROOT)
    return folder / "dist"


def start(dist: Path, database: Path) -> tuple[subprocess.Popen, int]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([str(PYTHON), "-m", "brochure", "serve", str(dist), "--port", str(port), "--database", f"sqlite:///{database}",
                               "--rate-limit", "0"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(600):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server, port
        except OSError:
            time.sleep(0.1)
    raise SystemExit("brochure serve did not start")


def client(port: int, worker: int, until: float, warm_until: float, latencies: list[float], failures: list[str], acknowledged: list[int]) -> None:
    """Post orders on one keep-alive connection until `until`; record the latencies after the warm-up."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps(ORDER).encode()
    n = 0
    while (now := time.perf_counter()) < until:
        n += 1
        connection.request("POST", "/api/orders", body, {"Content-Type": "application/json", "Idempotency-Key": f"bench-{worker}-{n}"})
        response = connection.getresponse()
        response.read()
        took = time.perf_counter() - now
        if response.status != 201:
            failures.append(str(response.status))
            continue
        acknowledged.append(1)
        if now >= warm_until:
            latencies.append(took)
    connection.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument("--seconds", type=float, default=10.0, help="timed seconds (default 10, after 2 s of warm-up)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the numbers here as JSON")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="brochure-bench-orders-") as tmp:
        dist = build_catalog(Path(tmp))
        database = Path(tmp) / "orders.sqlite3"
        server, port = start(dist, database)
        try:
            latencies: list[float] = []
            failures: list[str] = []
            acknowledged: list[int] = []
            warm_until = time.perf_counter() + 2
            until = warm_until + args.seconds
            threads = [threading.Thread(target=client, args=(port, w, until, warm_until, latencies, failures, acknowledged)) for w in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
        with sqlite3.connect(database) as db:
            stored = db.execute("SELECT count(*) FROM orders").fetchone()[0]
    ordered = sorted(latencies)
    result = {
        "clients": args.clients, "seconds": args.seconds, "orders": len(ordered), "orders_per_second": len(ordered) / args.seconds,
        "p50_ms": 1000 * statistics.median(ordered), "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "failures": len(failures), "acknowledged": len(acknowledged), "stored": stored, "load": os.getloadavg()[0],
    }
    print(f"order throughput, SQLite, {args.clients} clients, {args.seconds:g} s: {result['orders_per_second']:.0f} orders/s, "
          f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; {len(failures)} failed answers; "
          f"{len(acknowledged)} acknowledged (warm-up included), {stored} stored; load {result['load']:.1f}")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {args.json}")
    return 1 if failures or stored != len(acknowledged) else 0


if __name__ == "__main__":
    sys.exit(main())
