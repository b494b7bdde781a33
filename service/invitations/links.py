"""Personal links that the sender can rebuild: the token of an invitation with contact data is derived.

A plain invitation token is random and shown once (only its SHA-256 is stored). An invitation that we send
ourselves must be sent again in a reminder, or after a crash, with the same link, so its token is
``base64url(HMAC-SHA256(CSI_SECRET_KEY, "csi-invitation:" + seed))[:32]`` (192 bits, the same length as a random
one) with a random 192-bit ``seed`` stored in invitation_contact. The database alone still gives no usable
token: rebuilding one needs the secret key too. Changing ``CSI_SECRET_KEY`` leaves links already sent valid (the
hash is what is checked) but reminders for those invitations then cannot rebuild them and say so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from urllib.parse import urlencode

SEED_BYTES = 24


def new_seed() -> str:
    return secrets.token_hex(SEED_BYTES)


def token_from_seed(secret: str, seed: str) -> str:
    mac = hmac.new(secret.encode(), b"csi-invitation:" + seed.encode(), hashlib.sha256).digest()[:SEED_BYTES]
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def survey_link(base_url: str, slug: str, token: str, lang: str | None = None) -> str:
    q = {"t": token, **({"lang": lang} if lang else {})}
    return f"{base_url.rstrip('/')}/s/{slug}?{urlencode(q)}"


def unsubscribe_link(base_url: str, slug: str, token: str, lang: str | None = None) -> str:
    q = {"t": token, **({"lang": lang} if lang else {})}
    return f"{base_url.rstrip('/')}/s/{slug}/unsubscribe?{urlencode(q)}"
