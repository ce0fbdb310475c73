"""Ordering printed copies in a real browser: Debian's Chromium driven by Playwright against the real `brochure serve`.
Keyboard only, with JavaScript off (the pages are plain forms): add two titles, check out, see the confirmation; and
axe-core (the copy Ace ships, from node_modules) finds nothing on the catalog, cart, order form and confirmation."""
from __future__ import annotations

import pytest
import test_catalog_browser
from orders_support import build_order_dist, start_server
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from brochure.orders.db import open_engine
from brochure.orders.models import Order
from conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.browser]

suite_browser = test_catalog_browser.browser  # the suite's Chromium (only the shipped fonts), as a fixture of this module

AXE = ROOT / "node_modules" / "@daisy" / "axe-core-for-ace" / "axe.min.js"
assert AXE.is_file(), f"axe-core is missing ({AXE}): make setup installs it with Ace (npm ci)"
ADDRESS = {"ship-name": "Ana Sánchez", "ship-street": "4600 Silver Hill Rd", "ship-city": "Suitland", "ship-zip": "20746", "ship-email": "ana@example.org"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("orders-browser")
    database = f"sqlite:///{folder / 'orders.sqlite3'}"
    server = start_server(build_order_dist(folder), database, folder / "server.log")
    yield server, database
    server.stop()


def new_page(browser, javascript: bool):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=javascript, bypass_csp=True)
    page = context.new_page()
    page.problems = []
    page.on("response", lambda r: r.status >= 500 and page.problems.append(f"HTTP {r.status}: {r.url}"))
    # a form sent with mistakes is answered 422 on purpose (Chromium logs that as a failed load): any other error counts
    page.on("console", lambda m: m.type == "error" and "status of 422" not in m.text and page.problems.append(f"console: {m.text}"))
    return page


def focused(page) -> str:
    return page.evaluate("document.activeElement ? (document.activeElement.id || document.activeElement.textContent.trim()) : ''")


def tab_to(page, target: str, most: int = 80) -> None:
    """Press Tab until the element with id (or text) `target` has the focus."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if focused(page) == target:
            return
    raise AssertionError(f"Tab never reached {target!r} (last: {focused(page)!r})")


def test_keyboard_only_without_javascript_two_titles_to_a_confirmation(suite_browser, site):
    server, database = site
    page = new_page(suite_browser, javascript=False)
    page.goto(server.url + "/")
    for ident, copies in (("pml", "3"), ("handwashing", "2")):
        tab_to(page, f"quantity-{ident}")
        page.keyboard.press("Control+A")
        page.keyboard.type(copies)
        page.keyboard.press("Tab")
        assert focused(page) == "Add to order"
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url.endswith("/cart")
        if ident == "pml":
            tab_to(page, "Add more titles")
            with page.expect_navigation():
                page.keyboard.press("Enter")
    assert page.input_value("#quantity-pml") == "3" and page.input_value("#quantity-handwashing") == "2"
    tab_to(page, "Check out")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/checkout")
    for field, value in ADDRESS.items():
        tab_to(page, field)
        page.keyboard.type(value)
    tab_to(page, "ship-state")
    page.keyboard.type("MD")
    assert page.input_value("#ship-state") == "MD"
    tab_to(page, "Place the order")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    number = page.text_content("#order-number")
    assert page.url.endswith(f"/orders/{number}")
    assert "3 copies" in page.text_content("main") and "2 copies" in page.text_content("main")
    engine = open_engine(database)
    with Session(engine) as session:
        stored = session.scalars(select(Order).options(selectinload(Order.items)).where(Order.id == number)).one()
        assert [(i.publication_id, i.quantity) for i in stored.items] == [("handwashing", 2), ("pml", 3)] and stored.zip == "20746"
    engine.dispose()
    assert page.problems == []
    page.context.close()


def axe_violations(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("axe.run(document, {resultTypes: ['violations']}).then(r => r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', ')))")
    return found


def test_axe_finds_nothing_on_the_catalog_cart_form_and_confirmation(suite_browser, site):
    server, _ = site
    page = new_page(suite_browser, javascript=True)
    page.goto(server.url + "/")
    assert axe_violations(page) == [], "catalog"
    page.fill("#quantity-pml", "5")
    with page.expect_navigation():
        page.click("#pub-pml button")
    assert axe_violations(page) == [], "cart"
    page.goto(server.url + "/")
    page.fill("#quantity-handwashing", "40")  # over the limit: the catalog again, the error at its field
    with page.expect_navigation():
        page.evaluate("document.querySelector('#pub-handwashing form').submit()")
    assert page.locator("#quantity-handwashing-error").is_visible()
    assert axe_violations(page) == [], "catalog with an error"
    page.goto(server.url + "/checkout")
    assert axe_violations(page) == [], "order form"
    page.fill("#ship-name", "Ana Sánchez")
    with page.expect_navigation():
        page.click("text=Place the order")
    assert page.locator("#error-summary").is_visible() and page.get_attribute("#ship-zip", "aria-invalid") == "true"
    assert axe_violations(page) == [], "order form with errors"
    for field, value in ADDRESS.items():
        page.fill(f"#{field}", value)
    page.select_option("#ship-state", "MD")
    with page.expect_navigation():
        page.click("text=Place the order")
    assert "/orders/" in page.url
    assert axe_violations(page) == [], "confirmation"
    assert page.problems == []
    page.context.close()
