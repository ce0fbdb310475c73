"""The live preview: an HTTP server on 127.0.0.1 serving the output folder, its index page and the build status."""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from brochure.errors import BrochureError
from brochure.render.templates import render

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Status:
    """What the last build left: its number, the publication's title, its files (name, bytes) or its error."""

    source: str
    generation: int = 0
    title: str = ""
    files: tuple[tuple[str, int], ...] = ()
    error: str = ""


@dataclass
class Preview:
    """The server and the status it shows; the watcher replaces `status` after every build."""

    server: ThreadingHTTPServer
    status: Status
    thread: threading.Thread = field(init=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.server.server_port}/"

    def close(self) -> None:
        """Stop serving and free the port."""
        self.server.shutdown()
        self.server.server_close()


class _Handler(SimpleHTTPRequestHandler):
    """Files from the output folder; `/` is the preview page and `/status.json` the build status; nothing cached."""

    preview: Preview

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path in ("/", "/index.html"):
            self._send(render("preview.html", state=self.preview.status).encode(), "text/html; charset=utf-8")
        elif path == "/status.json":
            status = self.preview.status
            self._send(json.dumps({"generation": status.generation, "error": status.error}).encode(), "application/json")
        else:
            super().do_GET()

    def _send(self, body: bytes, media_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", media_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, format: str, *args: object) -> None:
        """Keep the terminal for build messages."""


def serve(outdir: Path, status: Status, port: int) -> Preview:
    """Serve outdir on 127.0.0.1:port (0: any free port) from a background thread."""
    class Handler(_Handler):
        """This server's handler: it knows its own preview."""

    try:
        server = ThreadingHTTPServer((HOST, port), partial(Handler, directory=str(outdir)))
    except OSError as err:
        raise BrochureError(f"cannot serve the preview on {HOST}:{port}: {err.strerror}") from None
    server.daemon_threads = True
    preview = Preview(server, status)
    Handler.preview = preview
    preview.thread = threading.Thread(target=server.serve_forever, name="preview", daemon=True)
    preview.thread.start()
    return preview
