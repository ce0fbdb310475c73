"""Ordering printed copies (brochure serve, brochure orders) against SQLite, as the README describes it: the API
contract (orders_contract.py, run against PostgreSQL too), the server-rendered cart and order form without
JavaScript, CSRF, the limits, the configuration keys, and what a build does not load."""
from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from orders_contract import *  # noqa: F403 - the shared contract's tests and fixtures
from orders_contract import count_orders, form_token
from orders_support import build_order_dist, order, start_server
from starlette.testclient import TestClient

from brochure.orders.app import create_app
from brochure.orders.db import database_url as resolve_url
from brochure.orders.db import open_engine
from conftest import ROOT, run_cli


@pytest.fixture(scope="module")
def order_dist(tmp_path_factory):
    return build_order_dist(tmp_path_factory.mktemp("orders"))


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path / 'orders.sqlite3'}"




# ------------------------------------------------------------------------------------------------ the database


def test_sqlite_is_in_wal_mode_with_foreign_keys_and_migrated(engine, database_url):
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    path = database_url.removeprefix("sqlite:///")
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT version_num FROM alembic_version").fetchall() == [("0001",)]
        assert {row[0] for row in raw.execute("SELECT name FROM sqlite_master WHERE type='table'")} >= {"orders", "order_items", "print_runs"}
    open_engine(database_url).dispose()  # migrating again leaves it as it is


def test_the_default_database_is_orders_sqlite3_here_or_the_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BROCHURE_DATABASE_URL", raising=False)
    assert resolve_url() == f"sqlite:///{tmp_path / 'orders.sqlite3'}"
    monkeypatch.setenv("BROCHURE_DATABASE_URL", "postgresql://u@db/orders")
    assert resolve_url() == "postgresql://u@db/orders"
    assert resolve_url("other.db") == f"sqlite:///{tmp_path / 'other.db'}"


# ------------------------------------------------------------------------------------------------ the pages


def test_add_two_titles_check_out_and_see_the_confirmation_without_javascript(client, engine):
    catalog = client.get("/")
    assert catalog.status_code == 200
    assert catalog.text.count("Order printed copies") == 2  # PML and the handwashing sheet; the wallet card is download only
    assert "Download only" in catalog.text and 'for="quantity-pml"' in catalog.text and 'max="10"' in catalog.text
    token = form_token(catalog.text)
    assert client.post("/cart", data={"csrf_token": token, "action": "add", "id": "pml", "quantity": "25"}, follow_redirects=False).status_code == 303
    cart = client.post("/cart", data={"csrf_token": token, "action": "add", "id": "handwashing", "quantity": "4"})
    assert cart.status_code == 200 and "Progressive Multifocal" in cart.text and 'value="4"' in cart.text
    form = client.get("/checkout")
    assert form.status_code == 200
    for field in ("name", "organization", "street", "city", "state", "zip", "email"):
        assert f'<label for="ship-{field}">' in form.text
    key = re.search(r'name="order_key" value="([^"]+)"', form.text).group(1)
    fields = {"csrf_token": token, "order_key": key, "name": "Ana Sánchez", "street": "4600 Silver Hill Rd", "city": "Suitland", "state": "MD",
              "zip": "20746", "email": "ana@example.org"}
    wrong = client.post("/checkout", data={**fields, "zip": "207", "email": ""})
    assert wrong.status_code == 422
    assert 'href="#ship-zip"' in wrong.text and 'aria-describedby="ship-zip-error"' in wrong.text and 'id="ship-zip-error"' in wrong.text
    assert 'href="#ship-email"' in wrong.text and 'value="4600 Silver Hill Rd"' in wrong.text  # what was typed is kept
    done = client.post("/checkout", data=fields, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"].startswith("/orders/")
    again = client.post("/checkout", data=fields, follow_redirects=False)  # sent twice (reload, double click): one order
    assert again.headers.get("location") in (done.headers["location"], "/cart")
    confirmation = client.get(done.headers["location"])
    number = done.headers["location"].rsplit("/", 1)[1]
    assert confirmation.status_code == 200 and f'<strong id="order-number">{number}</strong>' in confirmation.text
    assert "25 copies" in confirmation.text and "4 copies" in confirmation.text
    assert count_orders(engine) == 1
    assert "brochure_cart" not in client.cookies  # the cart is emptied


def test_a_quantity_over_the_limit_is_shown_at_its_field(client):
    token = form_token(client.get("/").text)
    answer = client.post("/cart", data={"csrf_token": token, "action": "add", "id": "handwashing", "quantity": "11"})
    assert answer.status_code == 422
    assert 'href="#quantity-handwashing"' in answer.text and 'aria-invalid="true" aria-describedby="quantity-handwashing-error"' in answer.text
    assert "from 1 to 10" in answer.text


def test_forms_without_the_csrf_token_are_refused(client, engine):
    client.get("/")
    assert client.post("/cart", data={"action": "add", "id": "pml", "quantity": "1"}).status_code == 403
    assert client.post("/cart", data={"csrf_token": "forged", "action": "add", "id": "pml", "quantity": "1"}).status_code == 403
    other = TestClient(client.app)  # another visitor's token does not fit this visitor's cookie
    token = form_token(other.get("/").text)
    client.cookies.set("brochure_csrf", "mine")
    assert client.post("/checkout", data={"csrf_token": token, "name": "x"}).status_code == 403
    assert count_orders(engine) == 0


def test_pages_escape_and_forbid_scripts(client):
    answer = client.post("/api/orders", json=order(name="</p><script>alert(1)</script>"))
    page = client.get(f"/orders/{answer.json()['order']}")
    assert "<script>" not in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src" not in policy
    assert page.headers["x-content-type-options"] == "nosniff" and page.headers["cache-control"] == "no-store"


def test_no_order_is_listed_or_guessed_on_the_web(client):
    placed = client.post("/api/orders", json=order()).json()["order"]
    assert client.get("/orders/").status_code == 404
    assert client.get("/orders/AAAA-AAAA-AAAA").status_code == 404
    assert client.get("/orders/../.manifest.json").status_code == 404
    assert client.get("/api/orders").status_code in (404, 405)  # nothing answers a GET with orders
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", placed)


def test_the_static_catalog_is_served_as_built(client, order_dist):
    assert client.get("/index.html").content == (order_dist / "index.html").read_bytes()  # unchanged, ordering link and all
    assert client.get("/catalog.xml").content == (order_dist / "catalog.xml").read_bytes()
    assert client.get("/pml/pml.pdf").headers["content-type"] == "application/pdf"
    assert client.get("/.manifest.json").status_code == 404
    assert "Order printed copies online" in (order_dist / "index.html").read_text(encoding="utf-8")


def test_too_many_orders_from_one_client_get_429(order_dist, engine):
    with TestClient(create_app(order_dist, engine, secret="test", rate_per_minute=3)) as limited:
        answers = [limited.post("/api/orders", json=order()).status_code for _ in range(5)]
    assert answers == [201, 201, 201, 429, 429]
    assert count_orders(engine) == 3


# ------------------------------------------------------------------------------------------------ the configuration


def test_limits_come_from_brochure_yaml_and_front_matter(tmp_path, caplog):
    from brochure.source.config import load_config

    (tmp_path / "brochure.yaml").write_text("orders:\n  limit_per_title: 12\n  limit_per_titel: 3\n", encoding="utf-8")
    assert load_config(tmp_path / "brochure.yaml").order_limit == 12
    assert "unknown configuration key 'orders.limit_per_titel' (did you mean 'orders.limit_per_title'?)" in caplog.text
    (tmp_path / "bad.yaml").write_text("orders:\n  limit_per_title: -1\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"bad.yaml:2: orders.limit_per_title must be a whole number of copies from 0"):
        load_config(tmp_path / "bad.yaml")


@pytest.mark.parametrize("value", ["-1", "yes", "ten", "10001"])
def test_a_bad_order_limit_in_front_matter_is_an_error_at_its_line(tmp_path, value):
    source = tmp_path / "sheet" / "sheet.md"
    source.parent.mkdir()
    source.write_text(f"---\ntitle: A sheet\nlang: en\norder_limit: {value}\n---\n\nText.\n", encoding="utf-8")
    result = run_cli("build", source, "-o", tmp_path / "out", "--format", "epub")
    assert result.code == 2
    assert "sheet.md:4: front-matter key 'order_limit' must be a whole number from 0 to 10000" in result.err


def test_a_build_loads_none_of_the_order_service():
    code = textwrap.dedent("""
        import sys
        import brochure.cli, brochure.build, brochure.batch
        loaded = sorted({name.split('.')[0] for name in sys.modules} & {'starlette', 'sqlalchemy', 'uvicorn', 'alembic', 'itsdangerous'})
        print(loaded)
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert done.stdout.strip() == "[]"


def test_the_commands_say_what_is_wrong(order_dist, tmp_path):
    missing = run_cli("serve", tmp_path / "no-dist")
    assert missing.code == 2 and "no built catalog in" in missing.err and "brochure build publications -o" in missing.err
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "print-run.json").write_text("{}", encoding="utf-8")
    used = run_cli("orders", "export", "--database", f"sqlite:///{tmp_path / 'o.sqlite3'}", "--dist", order_dist, "-o", tmp_path / "used")
    assert used.code == 2 and "used: the folder is not empty: give a new folder for each print run" in used.err
    help_text = run_cli("orders", "--help").out
    assert "list" in help_text and "export" in help_text


def test_an_export_without_the_catalog_says_so_and_keeps_the_copies(client, database_url, tmp_path):
    client.post("/api/orders", json=order(("pml", 7)))
    result = run_cli("orders", "export", "--database", database_url, "--dist", tmp_path / "no-dist", "-o", tmp_path / "run")
    assert result.code == 0, result.err
    assert "no built catalog in" in result.err and "--dist" in result.err and "'pml' has no job ticket" in result.err
    summary = json.loads((tmp_path / "run" / "print-run.json").read_text(encoding="utf-8"))
    assert summary["publications"] == [{"id": "pml", "title": "", "copies": 7, "orders": summary["orders"], "ticket": None}]
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == ["labels.pdf", "packing-list.csv", "print-run.json"]


def test_the_migrations_ship_inside_the_package():
    from brochure.orders.db import MIGRATIONS

    assert MIGRATIONS.is_relative_to(ROOT / "brochure") and (MIGRATIONS / "env.py").is_file()
    assert sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py")) == ["0001_orders.py"]


@pytest.mark.slow
def test_serve_takes_the_database_from_the_environment(order_dist, tmp_path, monkeypatch):
    monkeypatch.setenv("BROCHURE_DATABASE_URL", f"sqlite:///{tmp_path / 'from-env.sqlite3'}")
    server = start_server(order_dist, "", tmp_path / "server.log", cwd=tmp_path)
    try:
        status, body = server.post_order(order())
        assert status == 201
    finally:
        server.stop()
    assert (tmp_path / "from-env.sqlite3").is_file() and not (tmp_path / "orders.sqlite3").exists()
