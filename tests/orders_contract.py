"""The order service's contract, run against SQLite (test_orders.py) and PostgreSQL (test_orders_postgres.py): each
of those modules gives the fixtures `order_dist` (a built catalog) and `database_url` (an empty database), and takes
these tests with `from orders_contract import *`."""
from __future__ import annotations

import csv
import io
import json
import math
import re
import subprocess
import sys
import threading
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pikepdf
import pytest
from orders_support import LIMITS, address, order, start_server
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from starlette.testclient import TestClient

from brochure.orders.app import create_app
from brochure.orders.db import open_engine
from brochure.orders.models import Order
from conftest import run_cli

__all__ = [
    "engine", "client", "server",
    "test_publications_lists_every_title_with_its_limit", "test_an_order_is_received_with_201", "test_bad_input_gets_422_naming_the_field",
    "test_malformed_json_gets_400", "test_a_body_over_64_kb_gets_413", "test_the_same_idempotency_key_gives_the_same_order",
    "test_one_key_sent_by_many_clients_at_once_makes_one_order", "test_200_concurrent_orders_make_200_orders",
    "test_every_acknowledged_order_survives_kill_9", "test_export_writes_a_print_run_once", "test_two_exports_at_once_share_no_order",
    "test_a_hostile_name_is_escaped_everywhere", "test_a_forged_form_key_is_not_stored",
]


@pytest.fixture
def engine(database_url):
    engine = open_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def client(order_dist, engine):
    with TestClient(create_app(order_dist, engine, secret="test", rate_per_minute=0)) as client:
        yield client


@pytest.fixture
def server(order_dist, database_url, tmp_path):
    running = start_server(order_dist, database_url, tmp_path / "server.log")
    yield running
    running.stop()


def form_token(page: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def count_orders(engine) -> int:
    with Session(engine) as session:
        return session.scalar(select(func.count()).select_from(Order))


def test_publications_lists_every_title_with_its_limit(client):
    answer = client.get("/api/publications")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/json"
    listed = {entry["id"]: entry for entry in answer.json()}
    assert {ident: entry["order_limit"] for ident, entry in listed.items()} == LIMITS
    assert listed["pml"] == {"id": "pml", "title": "Progressive Multifocal Leukoencephalopathy", "lang": "en", "order_limit": 50}
    assert all(set(entry) == {"id", "title", "lang", "order_limit"} for entry in listed.values())


def test_an_order_is_received_with_201(client, engine):
    answer = client.post("/api/orders", json=order(("pml", 25), ("handwashing", 10)))
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["status"] == "received" and body["items"] == [{"id": "pml", "quantity": 25}, {"id": "handwashing", "quantity": 10}]
    assert answer.headers["location"] == f"/orders/{body['order']}"
    assert count_orders(engine) == 1
    page = client.get(f"/orders/{body['order']}")
    assert page.status_code == 200 and body["order"] in page.text and "Wash Your Hands" in page.text


BAD_ORDERS = [
    (order(("pml", 51)), "items[0].quantity", "over the limit of 50"),
    (order(("handwashing", 11)), "items[0].quantity", "limit of 10"),
    (order(("pml", 0)), "items[0].quantity", "at least 1"),
    (order(("pml", "5")), "items[0].quantity", "whole number"),
    (order(("pml", True)), "items[0].quantity", "whole number"),
    (order(("nope", 1)), "items[0].id", "not a publication"),
    (order(("wallet-card", 1)), "items[0].id", "download only"),
    (order(("pml", 1), ("pml", 2)), "items[1].id", "listed twice"),
    ({"items": [], "ship_to": address()}, "items", "at least one"),
    ({"ship_to": address()}, "items", "required"),
    ({"items": [{"id": "pml", "quantity": 1}]}, "ship_to", "required"),
    (order(state="ZZ"), "ship_to.state", "USPS"),
    (order(zip="2074"), "ship_to.zip", "5 digits"),
    (order(zip="20746-12"), "ship_to.zip", "5 digits"),
    (order(email="not-an-address"), "ship_to.email", "email"),
    (order(name=""), "ship_to.name", "required"),
    (order(street="x" * 201), "ship_to.street", "longer than 200"),
    (order(city="Suit\x00land"), "ship_to.city", "U+0000"),
    ({**order(), "coupon": "FREE"}, "coupon", "not a field"),
]


@pytest.mark.parametrize(("data", "field", "words"), BAD_ORDERS, ids=[f"{field}-{n}" for n, (_, field, _) in enumerate(BAD_ORDERS)])
def test_bad_input_gets_422_naming_the_field(client, engine, data, field, words):
    answer = client.post("/api/orders", json=data)
    assert answer.status_code == 422, answer.text
    errors = answer.json()["errors"]
    assert any(e["field"] == field and words in e["message"] for e in errors), errors
    assert all(set(e) == {"field", "message"} for e in errors)
    assert count_orders(engine) == 0


def test_malformed_json_gets_400(client, engine):
    for body in (b'{"items": [', b"\xff\xfe", b""):
        answer = client.post("/api/orders", content=body, headers={"Content-Type": "application/json"})
        assert answer.status_code == 400 and answer.json()["errors"][0]["field"] == ""
    assert count_orders(engine) == 0


def test_a_body_over_64_kb_gets_413(client, engine):
    big = json.dumps({**order(), "padding": "x" * 65_536}).encode()
    assert client.post("/api/orders", content=big, headers={"Content-Type": "application/json"}).status_code == 413

    def chunks():  # no Content-Length: counted as it streams in
        for _ in range(70):
            yield b" " * 1024
    assert client.post("/api/orders", content=chunks(), headers={"Content-Type": "application/json"}).status_code == 413
    assert count_orders(engine) == 0


def test_the_same_idempotency_key_gives_the_same_order(client, engine):
    first = client.post("/api/orders", json=order(), headers={"Idempotency-Key": "run-42"})
    again = client.post("/api/orders", json=order(), headers={"Idempotency-Key": "run-42"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    other = client.post("/api/orders", json=order(("pml", 3)), headers={"Idempotency-Key": "run-42"})
    assert other.status_code == 422 and other.json()["errors"][0]["field"] == "Idempotency-Key"
    assert count_orders(engine) == 1
    assert client.post("/api/orders", json=order(), headers={"Idempotency-Key": "run-43"}).json()["order"] != first.json()["order"]


@pytest.mark.slow
def test_one_key_sent_by_many_clients_at_once_makes_one_order(server, engine):
    barrier = threading.Barrier(20)

    def send(_):
        barrier.wait()
        return server.post_order(order(), key="same-key")
    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(send, range(20)))
    assert {status for status, _ in answers} == {201}
    assert len({body["order"] for _, body in answers}) == 1
    assert count_orders(engine) == 1


@pytest.mark.slow
def test_200_concurrent_orders_make_200_orders(server, engine, database_url):
    barrier = threading.Barrier(200, timeout=60)

    def send(n):
        barrier.wait()
        return server.post_order(order(("pml", 1 + n % 50), ("handwashing", 1 + n % 10), name=f"Client {n}"), key=f"concurrent-{n}")
    with ThreadPoolExecutor(200) as pool:
        answers = list(pool.map(send, range(200)))
    assert [status for status, _ in answers] == [201] * 200, [body for status, body in answers if status != 201][:3]
    numbers = {body["order"] for _, body in answers}
    assert len(numbers) == 200
    assert count_orders(engine) == 200
    listed = run_cli("orders", "list", "--database", database_url)
    assert listed.code == 0, listed.err
    assert {line.split("\t")[0] for line in listed.out.splitlines()} == numbers
    assert "Client" not in listed.out and "Silver Hill" not in listed.out  # the listing names no one
    log = server.log.read_text(errors="replace")
    assert "Silver Hill" not in log and "Client 1" not in log and "ana@example.org" not in log, "an address reached the log"
    assert " 500" not in log


@pytest.mark.slow
def test_every_acknowledged_order_survives_kill_9(server, engine):
    acknowledged: list[str] = []
    lock = threading.Lock()
    stop = threading.Event()

    def keep_ordering(worker):
        n = 0
        while not stop.is_set():
            n += 1
            try:
                status, body = server.post_order(order(("pml", 1)), key=f"kill-{worker}-{n}")
            except (OSError, ValueError):  # the server is gone
                return
            if status == 201:
                with lock:
                    acknowledged.append(body["order"])
                    if len(acknowledged) >= 201:
                        stop.set()
    threads = [threading.Thread(target=keep_ordering, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    assert stop.wait(300), f"only {len(acknowledged)} orders acknowledged"
    server.kill()  # mid-flight: other requests were being written
    for thread in threads:
        thread.join(60)
    with Session(engine) as session:
        stored = set(session.scalars(select(Order.id)))
    assert len(acknowledged) >= 201
    assert set(acknowledged) <= stored, f"{len(set(acknowledged) - stored)} acknowledged orders lost"


def test_export_writes_a_print_run_once(client, engine, database_url, order_dist, tmp_path):
    placed = [client.post("/api/orders", json=order(("pml", 20 + n % 5), ("handwashing", 1 + n % 10), name=f"Reader {n}")).json()["order"]
              for n in range(33)]
    run = tmp_path / "run-1"
    result = run_cli("orders", "export", "--database", database_url, "--dist", order_dist, "-o", run)
    assert result.code == 0, result.err
    assert "print run 1: 33 orders" in result.out
    summary = json.loads((run / "print-run.json").read_text(encoding="utf-8"))
    assert summary["orders"] == placed
    copies = {p["id"]: p for p in summary["publications"]}
    assert copies["pml"]["copies"] == sum(20 + n % 5 for n in range(33)) and copies["handwashing"]["copies"] == sum(1 + n % 10 for n in range(33))
    assert copies["pml"]["orders"] == placed
    for ident in ("pml", "handwashing"):  # the print edition's own ticket, with the copies ordered
        built = json.loads((order_dist / ident / f"{ident}-print.json").read_text(encoding="utf-8"))
        ticket = json.loads((run / f"{ident}-print.json").read_text(encoding="utf-8"))
        assert ticket == {**built, "quantity": copies[ident]["copies"]}
        jdf = ET.parse(run / f"{ident}-print.jdf").getroot()
        assert str(copies[ident]["copies"]) in {el.get("Amount") for el in jdf.iter() if el.get("Amount")}
    rows = list(csv.DictReader(io.StringIO((run / "packing-list.csv").read_text(encoding="utf-8"))))
    assert len(rows) == 66 and rows[0]["order"] == placed[0] and rows[0]["name"] == "Reader 0" and rows[0]["zip"] == "20746"
    assert {row["publication"] for row in rows} == {"pml", "handwashing"}
    check_labels(run / "labels.pdf", [f"Reader {n}" for n in range(33)])
    again = run_cli("orders", "export", "--database", database_url, "--dist", order_dist, "-o", tmp_path / "run-2")
    assert again.code == 0 and "nothing exported" in again.out
    assert not (tmp_path / "run-2").exists()
    listed = run_cli("orders", "list", "--database", database_url, "--pending")
    assert listed.code == 0 and listed.out == ""
    later = client.post("/api/orders", json=order(("pml", 2))).json()["order"]
    third = run_cli("orders", "export", "--database", database_url, "--dist", order_dist, "-o", tmp_path / "run-3")
    assert third.code == 0, third.err
    assert json.loads((tmp_path / "run-3" / "print-run.json").read_text(encoding="utf-8"))["orders"] == [later]


@pytest.mark.slow
def test_two_exports_at_once_share_no_order(server, database_url, order_dist, tmp_path):
    placed = {server.post_order(order(("pml", 1)), key=f"race-{n}")[1]["order"] for n in range(60)}
    runs = [tmp_path / f"run-{n}" for n in range(2)]
    commands = [[sys.executable, "-m", "brochure", "orders", "export", "--database", database_url, "--dist", str(order_dist), "-o", str(run)] for run in runs]
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for command in commands]
    late = [server.post_order(order(("handwashing", 2)), key=f"late-{n}") for n in range(10)]  # the server keeps taking orders
    outcomes = [(process.wait(300), process.stdout.read(), process.stderr.read()) for process in processes]
    assert all(status == 201 for status, _ in late)
    assert all(code == 0 or "another export took some of these orders" in err for code, _, err in outcomes), outcomes
    taken = [json.loads((run / "print-run.json").read_text(encoding="utf-8"))["orders"] for run in runs if (run / "print-run.json").is_file()]
    assert taken and sum(len(found) for found in taken) == len(set().union(*taken))  # no order in two runs
    assert placed <= set().union(*taken) or any(code for code, _, _ in outcomes)  # a run that lost the race wrote nothing


def check_labels(path: Path, names: list[str]) -> None:
    """labels.pdf: US Letter, Avery 5160 (3 columns 2.75 in apart, 10 rows 1 in apart, from 3/16 in and 1/2 in), one
    label per name, in order."""
    with pikepdf.open(path) as pdf:
        assert len(pdf.pages) == math.ceil(len(names) / 30)
        for page in pdf.pages:
            assert [float(v) for v in page.mediabox] == [0, 0, 612, 792]
    found = []
    for number in range(1, math.ceil(len(names) / 30) + 1):
        html = subprocess.run(["pdftotext", "-bbox", "-f", str(number), "-l", str(number), str(path), "-"], capture_output=True, text=True, check=True).stdout
        words = ET.fromstring(html.replace("<!DOCTYPE", "<!--").replace('"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">', "-->"))
        namespace = "{http://www.w3.org/1999/xhtml}"
        starts = [(float(w.get("yMin")), float(w.get("xMin")), w.text) for w in words.iter(f"{namespace}word") if w.text == "Reader"]
        for y, x, _ in sorted(starts):
            column, row = round((x - 13.5 - 10.8) / 198), round((y - 36) / 72 - 0.05)
            assert abs(x - (13.5 + 10.8 + 198 * column)) < 1 and 0 <= column < 3 and 0 <= row < 10, (x, y)
            found.append((number, row, column))
        assert len(starts) == min(30, len(names) - 30 * (number - 1))
    assert found == sorted(found) and len(set(found)) == len(names)


def test_a_hostile_name_is_escaped_everywhere(client, database_url, order_dist, tmp_path):
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    answer = client.post("/api/orders", json=order(name=hostile, organization="=HYPERLINK(\"http://evil\")", city="<b>Town</b>"))
    assert answer.status_code == 201, answer.text
    page = client.get(f"/orders/{answer.json()['order']}").text
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>Town" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page and "&lt;b&gt;Town&lt;/b&gt;" in page
    run = tmp_path / "run"
    assert run_cli("orders", "export", "--database", database_url, "--dist", order_dist, "-o", run).code == 0
    rows = list(csv.DictReader(io.StringIO((run / "packing-list.csv").read_text(encoding="utf-8"))))
    assert rows[0]["name"] == hostile and rows[0]["organization"].startswith("'=")  # no formula for a spreadsheet to run
    text = subprocess.run(["pdftotext", str(run / "labels.pdf"), "-"], capture_output=True, text=True, check=True).stdout
    assert "<script>alert" in text  # printed as the text it is


def test_a_forged_form_key_is_not_stored(client, engine):
    token = form_token(client.get("/").text)
    client.post("/cart", data={"csrf_token": token, "action": "add", "id": "pml", "quantity": "2"})
    fields = {"csrf_token": token, "name": "Ana", "street": "1 Main St", "city": "Suitland", "state": "MD", "zip": "20746", "email": "a@example.org"}
    done = client.post("/checkout", data={**fields, "order_key": "x\x00" * 200}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/orders/")
    assert count_orders(engine) == 1
