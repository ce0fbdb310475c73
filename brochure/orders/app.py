"""The web side of ordering (Starlette): the built catalog's files, the catalog with an order form per title, the
cart, the order form, the confirmation, and the order API. Nothing here lists orders: one is shown only to whoever
has its number. No address is ever logged."""
from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from urllib.parse import parse_qs

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Receive, Scope, Send

from brochure.orders import pages, store
from brochure.orders.guard import CART_COOKIE, CSRF_COOKIE, MAX_BODY, RateLimit, Signer, TooLarge, new_nonce, read_body
from brochure.orders.titles import Title, catalog_records, read_titles
from brochure.orders.validate import STATES, Problem, check_order
from brochure.source.config import strings_for
from brochure.source.frontmatter import unpublishable

log = logging.getLogger(__name__)

ORDER_ID = re.compile(r"[0-9A-Z]{4}(-[0-9A-Z]{4}){2}")
MAX_KEY = 255  # characters in an Idempotency-Key
FORM_KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")  # the order form's own key (guard.new_nonce)
PAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}
SAFE_HEADERS = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY")]


class _Catalog:
    """The built catalog's records and titles, read again when `brochure build` has rewritten them."""

    def __init__(self, dist: Path):
        self.dist = dist
        self.stamp: int | None = None
        self.records: list[dict] = []
        self.titles: dict[str, Title] = {}
        self.current()

    def current(self) -> _Catalog:
        stamp = (self.dist / ".manifest.json").stat().st_mtime_ns
        if stamp != self.stamp:
            self.records, self.titles, self.stamp = catalog_records(self.dist), read_titles(self.dist), stamp
        return self


class _DistFiles(StaticFiles):
    """The built catalog's files; its hidden files (the build's manifest, leftovers) are not served."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        if any(part.startswith(".") for part in Path(path).parts):
            return Response("Not Found", status_code=404, media_type="text/plain")
        return await super().get_response(path, scope)


class _SafeHeaders:
    """nosniff, same-origin referrers and no framing on every response."""

    def __init__(self, app):  # type: ignore[no-untyped-def]
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message) -> None:  # type: ignore[no-untyped-def]
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + SAFE_HEADERS
            await send(message)
        await self.app(scope, receive, send_with_headers if scope["type"] == "http" else send)


def create_app(dist: Path, engine: Engine, secret: str | None = None, rate_per_minute: int = 60) -> Starlette:
    """The order service for the catalog built in `dist`, keeping orders in `engine`'s database."""
    service = _Service(_Catalog(dist), engine, Signer(secret), RateLimit(rate_per_minute))
    routes = [
        Route("/", service.catalog_page, methods=["GET"]),
        Route("/api/publications", service.api_publications, methods=["GET"]),
        Route("/api/orders", service.api_orders, methods=["POST"]),
        Route("/cart", service.cart_page, methods=["GET"]),
        Route("/cart", service.cart_post, methods=["POST"]),
        Route("/checkout", service.checkout_page, methods=["GET"]),
        Route("/checkout", service.checkout_post, methods=["POST"]),
        Route("/orders/{order_id}", service.confirmation, methods=["GET"]),
        Mount("/", _DistFiles(directory=dist, html=True)),
    ]
    app = Starlette(routes=routes)
    app.add_middleware(_SafeHeaders)
    return app


class _Service:
    def __init__(self, catalog: _Catalog, engine: Engine, signer: Signer, rate: RateLimit):
        self.catalog, self.engine, self.signer, self.rate = catalog, engine, signer, rate

    # ------------------------------------------------------------------------------------------------ the API

    async def api_publications(self, request: Request) -> Response:
        return JSONResponse([title.public() for title in self.catalog.current().titles.values()])

    async def api_orders(self, request: Request) -> Response:
        refused = await self._refused(request, json_errors=True)
        if isinstance(refused, Response):
            return refused
        try:
            data = json.loads(refused)
        except ValueError as err:  # UnicodeDecodeError too
            return _errors(400, [Problem("", f"the body is not JSON: {err}")])
        key = request.headers.get("idempotency-key")
        if key is not None and (not key or len(key) > MAX_KEY or unpublishable(key) or not key.isprintable()):
            return _errors(422, [Problem("Idempotency-Key", f"must be 1 to {MAX_KEY} printable characters")])
        order, problems = check_order(data, self.catalog.current().titles)
        if order is None:
            return _errors(422, problems)
        try:
            placed, created = await run_in_threadpool(store.place_order, self.engine, order, key)
        except store.KeyReused:
            return _errors(422, [Problem("Idempotency-Key", "was sent before with a different order: use a new key for a new order")])
        replayed = {} if created else {"Idempotent-Replayed": "true"}  # the same order, answered again
        return JSONResponse(placed.public(), status_code=201, headers={"Location": f"/orders/{placed.id}", **replayed})

    async def _refused(self, request: Request, json_errors: bool) -> Response | bytes:
        """429 over the rate limit, 413 over the size limit; else the body."""
        client = request.client.host if request.client else "?"
        if not self.rate.allow(client):
            message = "too many requests from this address: wait a minute and try again"
            if json_errors:
                return _errors(429, [Problem("", message)], {"Retry-After": "60"})
            return self._page(request, "error.html", 429, heading="Too many requests", message=message)
        try:
            return await read_body(request, MAX_BODY)
        except TooLarge:
            message = f"the request is larger than {MAX_BODY // 1024} KB"
            if json_errors:
                return _errors(413, [Problem("", message)])
            return self._page(request, "error.html", 413, heading="Request too large", message=message)

    # ------------------------------------------------------------------------------------------------ the pages

    async def catalog_page(self, request: Request, problems: list[Problem] | None = None, values: dict | None = None,
                           status: int = 200) -> Response:
        catalog = self.catalog.current()
        return self._page(request, "catalog.html", status, entries=pages.catalog_entries(catalog.records, catalog.titles),
                          cart=self._cart(request), values=values or {}, **_problems(problems or []))

    async def cart_page(self, request: Request, problems: list[Problem] | None = None, status: int = 200) -> Response:
        return self._page(request, "cart.html", status, lines=self._lines(self._cart(request)), **_problems(problems or []))

    async def cart_post(self, request: Request) -> Response:
        form = await self._form(request)
        if isinstance(form, Response):
            return form
        titles, cart = self.catalog.current().titles, self._cart(request)
        if form.get("action") == "add":
            ident = form.get("id", "")
            title = titles.get(ident)
            if title is None or not title.orderable:
                return await self.catalog_page(request, [Problem("order", "that publication cannot be ordered")], status=422)
            copies, problem = _copies(form.get("quantity", ""), title, f"quantity-{ident}")
            if problem:
                return await self.catalog_page(request, [problem], {f"quantity-{ident}": form.get("quantity", "")}, 422)
            cart[ident] = copies
        else:
            removed = set(form.getlist("remove"))
            problems = []
            for ident in list(cart):
                if ident in removed or ident not in titles or not titles[ident].orderable:
                    del cart[ident]
                    continue
                copies, problem = _copies(form.get(f"quantity-{ident}", ""), titles[ident], f"quantity-{ident}")
                if problem:
                    problems.append(problem)
                else:
                    cart[ident] = copies
            if problems:
                return await self.cart_page(request, problems, 422)
        response = RedirectResponse("/cart", status_code=303)
        self._set_cart(request, response, cart)
        return response

    async def checkout_page(self, request: Request, problems: list[Problem] | None = None, values: dict | None = None,
                            status: int = 200) -> Response:
        lines = self._lines(self._cart(request))
        if not lines:
            return RedirectResponse("/cart", status_code=303)
        values = values or {"order_key": new_nonce()}  # the form's idempotency key: sent twice, it is one order
        return self._page(request, "checkout.html", status, lines=lines, fields=pages.ADDRESS_FIELDS, states=sorted(STATES),
                          values=values, **_problems(problems or []))

    async def checkout_post(self, request: Request) -> Response:
        form = await self._form(request)
        if isinstance(form, Response):
            return form
        cart = self._cart(request)
        values = {name: form.get(name, "") for name, *_ in pages.ADDRESS_FIELDS}
        key = form.get("order_key", "")
        key = key if FORM_KEY.fullmatch(key) else None  # what new_nonce() makes; anything else is not ours
        values["order_key"] = key or new_nonce()
        data = {"items": [{"id": ident, "quantity": copies} for ident, copies in cart.items()],
                "ship_to": {name: value for name, value in values.items() if name != "order_key"}}
        order, problems = check_order(data, self.catalog.current().titles)
        if order is None:
            if not cart:
                return RedirectResponse("/cart", status_code=303)
            return await self.checkout_page(request, problems, values, 422)
        try:
            placed, _created = await run_in_threadpool(store.place_order, self.engine, order, f"form:{key}" if key else None)
        except store.KeyReused:
            values["order_key"] = new_nonce()
            return await self.checkout_page(request, [Problem("", "this form was already sent with another order: check it and send it again")], values, 422)
        response = RedirectResponse(f"/orders/{placed.id}", status_code=303)
        self._set_cart(request, response, {})
        return response

    async def confirmation(self, request: Request) -> Response:
        order_id = str(request.path_params["order_id"])
        placed = await run_in_threadpool(store.get_order, self.engine, order_id) if ORDER_ID.fullmatch(order_id) else None
        if placed is None:
            return self._page(request, "error.html", 404, heading="No such order", message="There is no order with this number.")
        titles = self.catalog.current().titles
        lines = [{"id": ident, "title": titles[ident].title if ident in titles else ident, "lang": titles[ident].lang if ident in titles else "en",
                  "quantity": copies} for ident, copies in placed.items]
        return self._page(request, "confirmation.html", 200, order=placed, lines=lines)

    # ------------------------------------------------------------------------------------------------ helpers

    async def _form(self, request: Request):  # type: ignore[no-untyped-def]
        """The posted form (a CSRF-checked urlencoded body) or the response refusing it."""
        body = await self._refused(request, json_errors=False)
        if isinstance(body, Response):
            return body
        form = _Form(parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True, max_num_fields=200))
        if not self.signer.form_token_good(request.cookies.get(CSRF_COOKIE), form.get("csrf_token")):
            return self._page(request, "error.html", 403, heading="This form has expired",
                              message="The form could not be checked (it is old, or came from another site). Go back, reload the page and send it again.")
        return form

    def _cart(self, request: Request) -> dict[str, int]:
        titles = self.catalog.current().titles
        return {k: v for k, v in self.signer.read_cart(request.cookies.get(CART_COOKIE)).items() if k in titles and titles[k].orderable}

    def _lines(self, cart: dict[str, int]) -> list[dict]:
        titles = self.catalog.current().titles
        return [{"id": ident, "title": titles[ident].title, "lang": titles[ident].lang, "quantity": copies, "limit": titles[ident].order_limit}
                for ident, copies in sorted(cart.items(), key=lambda line: titles[line[0]].title.casefold())]

    def _set_cart(self, request: Request, response: Response, cart: dict[str, int]) -> None:
        secure = request.url.scheme == "https"
        if cart:
            response.set_cookie(CART_COOKIE, self.signer.write_cart(cart), max_age=30 * 24 * 3600, httponly=True, samesite="strict", secure=secure)
        else:
            response.delete_cookie(CART_COOKIE, httponly=True, samesite="strict", secure=secure)

    def _page(self, request: Request, template: str, status: int, **values: object) -> Response:
        """A page with the site's header and a CSRF token for its forms (and the cookie it pairs with, when new)."""
        nonce = request.cookies.get(CSRF_COOKIE)
        fresh = not nonce or len(nonce) > 64
        if fresh:
            nonce = new_nonce()
        records = self.catalog.current().records
        publisher = str(records[0]["publisher"]) if records else strings_for("en")["catalog_default_publisher"]
        site = {"publisher": publisher, "title": strings_for("en")["catalog_title"].format(publisher=publisher), "cart_count": len(self._cart(request))}
        html = pages.render(template, site=site, csrf=self.signer.form_token(str(nonce)), **values)
        response = HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
        if fresh:
            response.set_cookie(CSRF_COOKIE, str(nonce), httponly=True, samesite="strict", secure=request.url.scheme == "https")
        return response


class _Form:
    """A parsed urlencoded form: the first value of a field, or all of them."""

    def __init__(self, fields: dict[str, list[str]]):
        self.fields = fields

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, [default])[0]

    def getlist(self, name: str) -> list[str]:
        return self.fields.get(name, [])


def _copies(text: str, title: Title, field: str) -> tuple[int, Problem | None]:
    """Copies typed in a form, checked against the title's limit."""
    text = text.strip()
    if not text.isdigit() or not 1 <= int(text) <= title.order_limit:
        return 0, Problem(field, f"enter a number of copies from 1 to {title.order_limit}")
    return int(text), None


def _problems(problems: list[Problem]) -> dict:
    """The error summary's lines (each linked to its field) and each field's message, for the templates."""
    labels = {f"ship_to.{name}": label.removesuffix(" (optional)") for name, label, *_ in pages.ADDRESS_FIELDS}
    summary = []
    for problem in problems:
        if problem.field.startswith("items"):
            summary.append({"label": "Your order", "message": problem.message, "target": ""})
        elif problem.field.startswith(("ship_to.", "quantity-")):
            label = labels.get(problem.field, "Copies")
            summary.append({"label": label, "message": problem.message, "target": pages.field_id(problem.field)})
        else:
            summary.append({"label": "Your order", "message": problem.message, "target": ""})
    return {"problems": summary, "errors": pages.field_errors(problems)}


def _errors(status: int, problems: list[Problem], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"errors": [p.public() for p in problems]}, status_code=status, headers=headers)
