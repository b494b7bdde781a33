"""Per-client rate limit on the public routes: a token bucket per client address, in a pure ASGI middleware.

Why: the public routes (survey pages ``/s/...``, ``POST /api/v1/surveys/{slug}/responses`` and ``GET
.../definition``) need no key, so they are where someone would try invitation tokens or resume codes by the
million, or flood a survey with junk. Tokens and resume codes are 192-bit random values, so guessing is hopeless
anyway; the limit makes trying expensive and keeps one client from starving the others.

Why in process memory and not in the database: the limit is a brake, not a correctness guarantee (idempotency and
single-use tokens are the database's job). A counter row updated on every request would add a write transaction
to the hot path and contend on one row per client; the in-memory bucket costs a dict lookup. The consequence,
documented in the README: the limit holds per worker process, so with N workers (and M instances) a client gets at
most N x M times the configured rate.

Which address: the ASGI ``client``, i.e. the connection's peer. ``csi serve`` tells uvicorn to rewrite it from
``X-Forwarded-For`` only when ``--forwarded-allow-ips`` names the proxy (then it is the client address that proxy
reports); by default no proxy is trusted, so a client cannot pick its own bucket by sending the header.

A bucket holds ``limit`` requests and refills at ``limit`` per minute; an empty bucket answers 429 with
``Retry-After``. Buckets of idle clients are dropped when the table grows past ``max_clients``, so spoofed or
many addresses cannot exhaust memory (a dropped client only gets a full bucket again).
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

Scope = dict[str, Any]


def is_public(method: str, path: str) -> bool:
    """The routes anyone may call without a key (what the limiter guards)."""
    if path.startswith("/s/"):
        return True
    if not path.startswith("/api/v1/surveys/"):
        return False
    parts = path[len("/api/v1/surveys/"):].split("/")
    return len(parts) == 2 and (
        (parts[1] == "responses" and method == "POST") or (parts[1] == "definition" and method in ("GET", "HEAD")))


class RateLimit:
    """Token bucket per client address on the public routes; ``per_minute <= 0`` disables it."""

    def __init__(self, app: Any, per_minute: int, max_clients: int = 100_000, clock: Any = time.monotonic):
        self.app = app
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.max_clients = max_clients
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if self.capacity <= 0 or scope["type"] != "http" or not is_public(scope["method"], scope["path"]):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        wait = self.take(client[0] if client else "unknown")
        if wait <= 0:
            await self.app(scope, receive, send)
            return
        await self._reject(send, scope["path"], math.ceil(wait))

    def take(self, who: str) -> float:
        """Spend one token of ``who``; 0 when allowed, else the seconds until a token is there."""
        now = self.clock()
        tokens, last = self.buckets.pop(who, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.rate)
        if tokens >= 1.0:
            self.buckets[who] = (tokens - 1.0, now)
            if len(self.buckets) > self.max_clients:
                self._prune(now)
            return 0.0
        self.buckets[who] = (tokens, now)
        return (1.0 - tokens) / self.rate

    def _prune(self, now: float) -> None:
        """Forget full buckets (idle a minute or more); if that is not enough, the least recently seen half."""
        full_after = 60.0
        self.buckets = {k: v for k, v in self.buckets.items() if now - v[1] < full_after}
        if len(self.buckets) > self.max_clients:
            keep = list(self.buckets.items())[len(self.buckets) // 2:]  # dict order = least recently seen first
            self.buckets = dict(keep)

    async def _reject(self, send: Any, path: str, retry_after: int) -> None:
        msg = f"too many requests from this address; retry in {retry_after} s"
        if path.startswith("/s/"):
            body, ctype = msg.encode(), b"text/plain; charset=utf-8"
        else:
            body = json.dumps({"detail": [{"loc": [], "msg": msg, "type": "rate_limited"}]}).encode()
            ctype = b"application/json"
        await send({"type": "http.response.start", "status": 429,
                    "headers": [(b"content-type", ctype), (b"content-length", str(len(body)).encode()),
                                (b"retry-after", str(retry_after).encode())]})
        await send({"type": "http.response.body", "body": body})
