"""What the order tests share: a built catalog to order from (PML, a second title with its own limit, and a download-only
one), the real `brochure serve` in a process of its own, and orders to send it."""
from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from conftest import ROOT, run_cli

FIXTURES = ROOT / "tests" / "fixtures" / "orders"
LIMITS = {"pml": 50, "handwashing": 10, "wallet-card": 0}  # brochure.yaml's 50, then each front matter's own


def build_order_dist(folder: Path) -> Path:
    """Build the three publications with the project's brochure.yaml plus `orders: {limit_per_title: 50}`; the dist."""
    sources = folder / "publications"
    shutil.copytree(ROOT / "publications" / "pml", sources / "pml")
    for name in ("handwashing", "wallet-card"):
        shutil.copytree(FIXTURES / name, sources / name)
    config = (ROOT / "brochure.yaml").read_text(encoding="utf-8")
    (folder / "brochure.yaml").write_text(config + "orders:\n  limit_per_title: 50\n", encoding="utf-8")
    dist = folder / "dist"
    result = run_cli("build", sources, "-o", dist, "-q")
    assert result.code == 0, result.err
    return dist


def address(**changes: str) -> dict[str, str]:
    """A good US address (the Census Bureau's own), with changes."""
    base = {"name": "Ana Sánchez", "organization": "Clinica del Pueblo", "street": "4600 Silver Hill Rd", "city": "Suitland",
            "state": "MD", "zip": "20746", "email": "ana@example.org"}
    return {**base, **changes}


def order(*items: tuple[str, int], **changes: str) -> dict:
    return {"items": [{"id": ident, "quantity": copies} for ident, copies in (items or (("pml", 25),))], "ship_to": address(**changes)}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A running `brochure serve` (its own process group) and what it printed."""

    process: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None, timeout: float = 60) -> tuple[int, bytes]:
        """One request on a connection of its own: (status, body)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def post_order(self, data: dict, key: str | None = None) -> tuple[int, dict]:
        headers = {"Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
        status, body = self.request("POST", "/api/orders", json.dumps(data).encode(), headers)
        return status, json.loads(body)

    def kill(self) -> None:
        """kill -9: no shutdown of any kind."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()


def start_server(dist: Path, database_url: str, log: Path, rate_limit: int = 0, cwd: Path | None = None) -> Server:
    """`brochure serve DIST --database URL` on a free loopback port, once it answers."""
    port = free_port()
    stream = log.open("ab")
    process = subprocess.Popen([sys.executable, "-m", "brochure", "serve", str(dist), "--port", str(port), "--database", database_url,
                                "--rate-limit", str(rate_limit)], cwd=cwd or ROOT, stdout=stream, stderr=stream, start_new_session=True)
    server = Server(process, port, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, f"brochure serve ended ({process.returncode}): {log.read_text(errors='replace')}"
        try:
            if server.request("GET", "/api/publications", timeout=5)[0] == 200:
                return server
        except OSError:
            time.sleep(0.1)
    server.stop()
    raise AssertionError(f"brochure serve did not answer in 120 s: {log.read_text(errors='replace')}")
