"""A real SMTP server for the tests (aiosmtpd on 127.0.0.1) and a real HTTP server standing in for an SMS gateway."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Inbox:
    """Collects every message the server accepted; ``on_message`` runs after each (before the 250 reply)."""

    def __init__(self, refuse: set[str] | None = None) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = refuse or set()
        self.on_message: Callable[[int], None] | None = None
        self._lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any) -> str:  # noqa: N802 (aiosmtpd hook name)
        if address in self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        msg = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(msg)  # type: ignore[arg-type]
            n = len(self.messages)
        if self.on_message is not None:
            self.on_message(n)
        return "250 Message accepted"

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in str(m["To"])]


@contextmanager
def smtp_server(inbox: Inbox | None = None) -> Iterator[tuple[Inbox, str]]:
    """(inbox, CSI_SMTP_URL) of a running server; stopped on exit."""
    inbox = inbox or Inbox()
    port = free_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=port)
    ctl.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}?timeout=10"
    finally:
        ctl.stop()


@contextmanager
def sms_gateway(fail_phones: set[str] | None = None) -> Iterator[tuple[list[dict[str, str]], str]]:
    """(received JSON bodies, URL) of a local HTTP server that answers 202, or 400 for ``fail_phones``."""
    got: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            got.append(body)
            code = 400 if body.get("phone") in (fail_phones or set()) else 202
            self.send_response(code)
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, *args: Any) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield got, f"http://127.0.0.1:{srv.server_address[1]}/sms"
    finally:
        srv.shutdown()
        srv.server_close()
        t.join(5)


def parts(msg: EmailMessage) -> tuple[str, str]:
    """(plain text, HTML) of a multipart/alternative mail."""
    assert msg.get_content_type() == "multipart/alternative", msg.get_content_type()
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    assert plain is not None and html is not None
    return str(plain.get_content()), str(html.get_content())
