"""CSRF protection of the survey forms, without JavaScript: a same-origin check and a browser-bound token.

Two independent checks, both on every ``POST /s/{slug}``:

1. **Where the POST comes from.** Browsers say it in ``Sec-Fetch-Site`` (which a web page cannot set); only
   ``same-origin`` and ``none`` (typed or bookmarked by the user) pass. Older browsers that do not send it still
   send ``Origin`` on a form POST; it must name this host (``Host`` or ``X-Forwarded-Host``). ``Origin: null``
   (sandboxed frames, ``data:`` pages) is refused. A request with neither header (old browsers, scripts) goes on
   to check 2. ``Sec-Fetch-Site`` is decisive when present, because a reverse proxy that rewrites ``Host``
   would otherwise make every honest POST look cross-site; the header itself cannot be forged by a web page.
2. **Which browser the form was served to.** Every survey page sets a random per-browser cookie
   (``csi_browser``, SameSite=Lax, HttpOnly) and signs the form with an HMAC (``settings.secret_key``) over
   the survey, the draft id and that cookie. A forged POST from another site fails because the browser does
   not send a Lax cookie on a cross-site POST, and because an attacker who fetched a form for himself got a
   token bound to *his* cookie, which the victim's browser does not carry (double-submit, signed).

The cookie is not stored anywhere and identifies nothing; it only ties a form to the browser it was sent to.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

BROWSER_COOKIE = "csi_browser"
BROWSER_MAX_AGE = 400 * 86400  # the longest lifetime browsers allow: a tab restored months later still works
BROWSER_ID = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
ALLOWED_FETCH_SITES = frozenset({"same-origin", "none"})


def new_browser_id() -> str:
    return secrets.token_urlsafe(24)


def valid_browser_id(value: str | None) -> bool:
    return bool(value) and BROWSER_ID.match(value or "") is not None


def sign(secret: str, slug: str, draft_id: str, browser: str) -> str:
    msg = f"csrf\0{slug}\0{draft_id}\0{browser}".encode()
    return hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()


def check(secret: str, slug: str, draft_id: str, browser: str | None, token: str | None) -> bool:
    """The form's token was made for this survey, this draft and the browser now posting it."""
    if not token or not valid_browser_id(browser):
        return False
    return hmac.compare_digest(sign(secret, slug, draft_id, browser or ""), token)


#: How far in the future a signed start time may lie (clock steps between workers), in seconds.
START_SKEW_S = 5.0


def sign_start(secret: str, slug: str, draft_id: str, started_at: float) -> str:
    """``<time>.<hmac>``: when the first page of a not yet stored draft was served, on the server's clock.

    Why: an anonymous visit writes nothing until the first answered page is posted (service/web/flow.py), but
    speeder checks need the time the respondent first saw the survey. The server hands that time out signed with
    the app secret and takes it back with the first POST; the respondent can carry it but not change it.
    """
    stamp = f"{started_at:.3f}"
    msg = f"start\0{slug}\0{draft_id}\0{stamp}".encode()
    return f"{stamp}.{hmac.new(secret.encode(), msg, hashlib.sha256).hexdigest()}"


def check_start(secret: str, slug: str, draft_id: str, token: str | None, now: float) -> float | None:
    """The start time ``token`` carries if it was signed by us for this survey and draft and is not in the
    future; else None (forged, altered, for another draft, or from the future)."""
    stamp, sep, _ = (token or "").rpartition(".")
    if not sep or len(token or "") > 100:
        return None
    try:
        started = float(stamp)
    except ValueError:
        return None
    if not (0 < started <= now + START_SKEW_S) or not hmac.compare_digest(
            sign_start(secret, slug, draft_id, started), token or ""):
        return None
    return started


def cross_site(headers: Mapping[str, str]) -> str | None:
    """Why a POST is refused as coming from another site (a short reason for the log), or None if it may pass."""
    fetch_site = (headers.get("sec-fetch-site") or "").strip().lower()
    if fetch_site:
        return None if fetch_site in ALLOWED_FETCH_SITES else f"Sec-Fetch-Site: {fetch_site}"
    origin = headers.get("origin")
    if origin is None:
        return None
    origin = origin.strip()
    hosts = {h.strip().lower() for v in (headers.get("host"), headers.get("x-forwarded-host")) if v
             for h in v.split(",")}
    netloc = urlsplit(origin).netloc.lower() if origin.lower() != "null" else ""
    if netloc and netloc in hosts:
        return None
    return f"Origin: {origin[:100]}"
