"""CSRF tokens for the survey forms: an HMAC (settings.secret_key) over the survey and the draft id.

There is no session cookie to steal or ride on; what a forged POST could abuse is a draft. The token proves the
form was served by us for exactly this draft, so a third-party page cannot post answers into someone's draft
(it would need both the unguessable draft id and our secret).
"""

from __future__ import annotations

import hashlib
import hmac


def sign(secret: str, slug: str, draft_id: str) -> str:
    return hmac.new(secret.encode(), f"csrf\0{slug}\0{draft_id}".encode(), hashlib.sha256).hexdigest()


def check(secret: str, slug: str, draft_id: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(sign(secret, slug, draft_id), token or "")
