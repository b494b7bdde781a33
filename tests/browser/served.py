"""The real service under uvicorn on a free loopback port, for the browser tests: one way to start and stop it."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def served(database_url: str, **env: str) -> Iterator[str]:
    """uvicorn serving ``database_url`` (a migrated store) until the block ends; yields the base URL.

    Fails the test with the server's output when it does not answer ``/healthz`` within 30 s.
    """
    port = free_port()
    full_env = {**os.environ, "CSI_DATABASE_URL": database_url, "CSI_ENVIRONMENT": "test",
                "CSI_SECRET_KEY": secrets.token_urlsafe(32), **env}
    proc = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "--factory", "service.app:app_from_env", "--host", "127.0.0.1",
         "--port", str(port), "--log-level", "warning"],
        env=full_env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                out = proc.stdout.read().decode(errors="replace") if proc.stdout and proc.poll() is not None else ""
                pytest.fail(f"the service did not start:\n{out}")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
