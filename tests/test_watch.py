"""`brochure watch`: the real command in a subprocess, its preview fetched over HTTP while the source changes."""
from __future__ import annotations

import json
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT

POLL_SECONDS = 120  # generous: the machine is shared; nothing here is a timing assertion

SOURCE = """---
title: {title}
lang: en
id: sheet
date: 2024-01-02
---

## What is it?

A short fact sheet for the watcher.
"""


def _lines(stream, into: queue.Queue) -> None:
    for line in stream:
        into.put(line.rstrip("\n"))


def _wait_for(predicate, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + POLL_SECONDS
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    pytest.fail(f"gave up waiting for {what}")


def _fetch(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=30) as reply:
        return reply.read()


@pytest.fixture()
def watcher(tmp_path: Path):
    """`brochure watch` on a small publication, its stdout and stderr read line by line."""
    source = tmp_path / "sheet" / "sheet.md"
    source.parent.mkdir()
    source.write_text(SOURCE.format(title="First title"), encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "brochure", "watch", str(source), "-o", str(tmp_path / "out"), "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    out: queue.Queue = queue.Queue()
    err: queue.Queue = queue.Queue()
    for stream, lines in ((process.stdout, out), (process.stderr, err)):
        threading.Thread(target=_lines, args=(stream, lines), daemon=True).start()
    yield process, source, out, err
    if process.poll() is None:
        process.kill()
        process.wait()


@pytest.mark.slow
def test_watch_serves_a_preview_rebuilds_on_change_and_survives_a_bad_edit(watcher):
    process, source, out, err = watcher
    first = out.get(timeout=POLL_SECONDS)
    assert first.startswith("preview: http://127.0.0.1:"), first
    url = first.split()[1]

    def status() -> dict:
        return json.loads(_fetch(url + "status.json"))

    _wait_for(lambda: status()["generation"] >= 1, "the first build")
    page = _fetch(url).decode()
    assert "First title" in page and 'href="sheet.pdf?build=1"' in page and 'href="sheet.epub?build=1"' in page
    pdf_before = _fetch(url + "sheet.pdf")
    assert pdf_before.startswith(b"%PDF-")

    source.write_text(SOURCE.format(title="Second title"), encoding="utf-8")
    _wait_for(lambda: status()["generation"] >= 2, "the rebuild")
    assert "Second title" in _fetch(url).decode()
    assert _fetch(url + "sheet.pdf") != pdf_before

    source.write_text(SOURCE.format(title="Third title").replace("---\n\n##", "\n##", 1), encoding="utf-8")
    message = _wait_for(lambda: _drain_until(err, "error:"), "the error message")
    assert message == "error: sheet.md:1: front matter is not closed by a '---' line"
    assert status()["error"] == "sheet.md:1: front matter is not closed by a '---' line"
    assert "front matter is not closed" in _fetch(url).decode() and process.poll() is None

    source.write_text(SOURCE.format(title="Fourth title"), encoding="utf-8")
    _wait_for(lambda: status()["generation"] >= 4 and not status()["error"], "the repaired build")
    assert "Fourth title" in _fetch(url).decode()

    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=POLL_SECONDS) == 0
    leftover = _drain(err)
    assert not any("Traceback" in line for line in leftover), leftover


def test_watch_stops_cleanly_on_sigterm(watcher):
    process, _, out, err = watcher
    assert out.get(timeout=POLL_SECONDS).startswith("preview: ")
    process.terminate()
    assert process.wait(timeout=POLL_SECONDS) == 0
    assert _drain(err) == []


def test_watch_refuses_a_missing_source(tmp_path):
    done = subprocess.run([sys.executable, "-m", "brochure", "watch", str(tmp_path / "none.md"), "--port", "0"],
                          check=False, cwd=ROOT, capture_output=True, text=True, timeout=POLL_SECONDS)
    assert (done.returncode, done.stderr.strip()) == (2, f"error: {tmp_path / 'none.md'}: no such file")


def _drain(lines: queue.Queue) -> list[str]:
    found = []
    while not lines.empty():
        found.append(lines.get_nowait())
    return found


def _drain_until(lines: queue.Queue, prefix: str) -> str:
    for line in _drain(lines):
        if line.startswith(prefix):
            return line
    return ""


def test_watch_reports_a_port_in_use(tmp_path):
    source = tmp_path / "sheet.md"
    source.write_text(SOURCE.format(title="Sheet"), encoding="utf-8")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run([sys.executable, "-m", "brochure", "watch", str(source), "--port", str(port)],
                              check=False, cwd=ROOT, capture_output=True, text=True, timeout=POLL_SECONDS)
    assert (done.returncode, done.stderr.strip()) == (2, f"error: cannot serve the preview on 127.0.0.1:{port}: Address already in use")
