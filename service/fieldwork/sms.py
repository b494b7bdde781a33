"""SMS: a CSV for gateways that take a file, and a webhook sender for gateways with an HTTP API."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

import httpx

from service.mail.smtp import SendError
from service.responses.export.cells import spreadsheet_safe

#: The columns most bulk-SMS consoles import (phone number, message); the link is also a column of its own.
SMS_COLUMNS = ("phone", "link", "text")


def write_sms_csv(path: Path, rows: Iterable[tuple[str, str, str]]) -> int:
    """(phone, link, text) rows, UTF-8 with BOM (spreadsheets then read Chinese right). The text is
    formula-guarded; phone numbers (validated: digits, ``+``, spaces, dashes) and our own links are written as
    they are, since a gateway would send a guarded ``'+86...`` literally."""
    n = 0
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(SMS_COLUMNS)
        for row in rows:
            phone, link, text = row
            w.writerow([phone, link, spreadsheet_safe(text)])
            n += 1
    return n


class SmsWebhook:
    """POSTs ``{"phone": ..., "text": ...}`` as JSON to ``CSI_SMS_WEBHOOK_URL``; a 2xx answer means accepted."""

    def __init__(self, url: str, timeout: float = 15.0):
        self.url = url
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    def send(self, phone: str, text: str) -> None:
        try:
            r = self._client.post(self.url, json={"phone": phone, "text": text})
        except httpx.HTTPError as e:
            raise SendError(f"SMS webhook unreachable: {type(e).__name__}: {e}") from None
        if r.status_code // 100 != 2:
            # 4xx: the gateway refuses this message (bad number, ...); report it as a bounce, not worth retrying.
            raise SendError(f"SMS webhook answered {r.status_code}: {r.text[:200]}", bounced=400 <= r.status_code < 500)

    def close(self) -> None:
        self._client.close()
