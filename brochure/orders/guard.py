"""What keeps the order pages safe: the request size limit, a per-client rate limit, the signed cart cookie and the
CSRF token (a random cookie and, in each form, the same value signed with the server's key: a double submit that
another site can neither read nor forge)."""
from __future__ import annotations

import hmac
import secrets
import threading
import time

from itsdangerous import BadSignature, URLSafeSerializer, URLSafeTimedSerializer
from starlette.requests import Request

MAX_BODY = 64 * 1024  # bytes in a request body: an order is a few hundred
CSRF_COOKIE = "brochure_csrf"
CART_COOKIE = "brochure_cart"
CSRF_MAX_AGE = 24 * 3600  # seconds a form stays good
MAX_CART_LINES = 50


class TooLarge(Exception):
    """A request body over MAX_BODY."""


async def read_body(request: Request, limit: int = MAX_BODY) -> bytes:
    """The request's body, refused (TooLarge) past `limit` bytes, by its Content-Length or while it streams in."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge()
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge()
    return bytes(body)


class RateLimit:
    """A token bucket per client address: `per_minute` requests, refilled evenly; 0 turns it off."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self.buckets: dict[str, tuple[float, float]] = {}
        self.lock = threading.Lock()

    def allow(self, client: str) -> bool:
        """Take one request from the client's bucket: False when it is empty."""
        if self.per_minute <= 0:
            return True
        now = time.monotonic()
        with self.lock:
            tokens, then = self.buckets.get(client, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * self.per_minute / 60)
            if len(self.buckets) > 10_000:  # forget the oldest clients rather than grow without end
                for stale in sorted(self.buckets, key=lambda c: self.buckets[c][1])[:5_000]:
                    del self.buckets[stale]
            allowed = tokens >= 1
            self.buckets[client] = (tokens - 1 if allowed else tokens, now)
            return allowed


class Signer:
    """The server's key, signing the cart cookie and the forms' CSRF tokens."""

    def __init__(self, secret: str | None):
        secret = secret or secrets.token_urlsafe(32)  # without a configured key: forms last as long as the process
        self.cart = URLSafeSerializer(secret, salt="brochure-cart")
        self.csrf = URLSafeTimedSerializer(secret, salt="brochure-csrf")

    def form_token(self, nonce: str) -> str:
        """The token a form carries for the client's CSRF cookie."""
        return self.csrf.dumps(nonce)

    def form_token_good(self, nonce: str | None, token: str | None) -> bool:
        """The form's token is the signed value of the client's CSRF cookie, and recent."""
        if not nonce or not token:
            return False
        try:
            signed = self.csrf.loads(token, max_age=CSRF_MAX_AGE)
        except BadSignature:
            return False
        return isinstance(signed, str) and hmac.compare_digest(signed, nonce)

    def read_cart(self, cookie: str | None) -> dict[str, int]:
        """The cart cookie's lines (publication id → copies); empty when missing or tampered with."""
        if not cookie:
            return {}
        try:
            data = self.cart.loads(cookie)
        except BadSignature:
            return {}
        if not isinstance(data, dict):
            return {}
        return {str(k): v for k, v in list(data.items())[:MAX_CART_LINES] if isinstance(v, int) and not isinstance(v, bool) and v > 0}

    def write_cart(self, cart: dict[str, int]) -> str:
        return self.cart.dumps(dict(sorted(cart.items())))


def new_nonce() -> str:
    return secrets.token_urlsafe(24)

