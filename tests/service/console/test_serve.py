"""`csi serve` says where to go: the console (its setup page while no user exists), the API docs and each open
survey; and `/` sends a browser to the console."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
from sqlalchemy import Engine

from service.surveys.service import publish, set_status
from survey_defs import template_path

ROOT = Path(__file__).resolve().parents[3]


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_banner(store_url: str) -> tuple[list[str], int]:
    port = _port()
    env = {**os.environ, "CSI_DATABASE_URL": store_url, "PYTHONPATH": str(ROOT), "CSI_ENVIRONMENT": "test"}
    proc = subprocess.Popen([sys.executable, "-m", "service.cli", "serve", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watchdog = threading.Timer(90, proc.kill)  # a missing line must fail the test, not hang it
    watchdog.start()
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().rstrip() for _ in range(3)]
        deadline = time.monotonic() + 60
        while True:
            try:
                root = httpx.get(f"http://127.0.0.1:{port}/", timeout=5, follow_redirects=False)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline and proc.poll() is None, "csi serve did not come up"
                time.sleep(0.2)
        assert (root.status_code, root.headers["location"]) == (303, "/staff/")
    finally:
        watchdog.cancel()
        proc.terminate()
        proc.wait(15)
    return lines, port


def test_serve_prints_the_console_docs_and_open_survey_urls(engine: Engine, store_url: str) -> None:
    publish(engine, template_path("utility_csi").read_text(encoding="utf-8"), "utility_csi.yaml")
    publish(engine, template_path("utility_csi").read_text(encoding="utf-8").replace(
        "slug: utility_csi", "slug: closed_one"), "closed.yaml")
    set_status(engine, "closed_one", "closed")
    lines, port = _serve_banner(store_url)
    base = f"http://127.0.0.1:{port}"
    assert lines[0].split() == ["console", f"{base}/staff/setup", "(no", "user", "yet:", "create", "the", "first",
                                "admin", "here)"]
    assert lines[1:3] == [f"API docs  {base}/docs", f"survey    {base}/s/utility_csi"]
    assert "closed_one" not in "\n".join(lines)
