"""Load generator for the benchmarks and the reliability soak: N keep-alive HTTP/1.1 connections, bounded POSTs.

Runs as its own process (``python bench/_loadgen.py CONFIG.json``) so it never shares an interpreter with the
server. Prints one JSON line: acknowledged count, responses by status, latencies (ms) and wall time.

The benchmark mode (bench/ingest.py) sends ``requests`` POSTs cycling over ``bodies``, each with a fresh
Idempotency-Key. The reliability mode (bench/soak.py, tests/reliability) adds what a flaky real world does:

- ``keys``: one Idempotency-Key per request (``bodies`` then holds one body per request), so the verifier can
  match every stored row to exactly what was sent;
- ``retry_every``: every n-th request is sent twice with the same key and the same bytes, alternately while the
  first attempt is still in flight (on another connection, to the next port when there are several) and later,
  after the first attempt was answered;
- ``tolerate_errors``: a dropped or refused connection (``kill -9`` of the server) or a 5xx is not fatal; the
  request is re-sent with the same key after a short back-off until ``deadline_s``, as a real client would;
- ``ports``: several service instances; connection i talks to ``ports[i % len(ports)]``;
- ``results``: a file that receives, per key, every attempt's (status, response id, time answered), so the
  verifier can tell "acknowledged before the kill" from "acknowledged after" and spot a key created twice.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import resource
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

NET_ERRORS = (ConnectionError, OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError, IndexError)


@dataclass
class Run:
    """Shared state of one run; a single event loop, so plain containers need no locks."""

    host: str
    ports: list[int]
    path: str
    bodies: list[bytes]
    keys: list[str] | None
    idem: bool
    tolerate: bool
    deadline: float
    todo: collections.deque[tuple[int, bool]] = field(default_factory=collections.deque)
    lat: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    acked: set[str] = field(default_factory=set)
    attempts: dict[str, list[tuple[int, int | None, float]]] = field(default_factory=dict)
    net_errors: int = 0
    resent: int = 0
    retries_sent: int = 0
    concurrent_retries: int = 0
    gave_up: list[str] = field(default_factory=list)
    retry_every: int = 0

    def key_of(self, k: int) -> str:
        return self.keys[k] if self.keys is not None else uuid.uuid4().hex

    def body_of(self, k: int) -> bytes:
        return self.bodies[k % len(self.bodies)]


class Conn:
    """One keep-alive connection that reconnects on demand."""

    def __init__(self, run: Run, port: int):
        self.run, self.port = run, port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(NET_ERRORS):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def post(self, key: str | None, body: bytes) -> tuple[int, bytes, dict[bytes, bytes]]:
        """One request/response exchange; raises on any network problem (the caller decides to retry)."""
        run = self.run
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(run.host, self.port)
        assert self.reader is not None
        head = (f"POST {run.path} HTTP/1.1\r\nHost: {run.host}\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n" + (f"Idempotency-Key: {key}\r\n" if key else "") + "\r\n")
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionResetError("server closed the connection")
        status = int(status_line.split()[1])
        length = 0
        headers: dict[bytes, bytes] = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get(b"content-length", b"0"))
        payload = await self.reader.readexactly(length)
        if headers.get(b"connection", b"").lower() == b"close":
            await self.close()
        return status, payload, headers


async def send_until_answered(run: Run, conn: Conn, k: int, key: str | None, body: bytes) -> None:
    """Send one request; with ``tolerate_errors`` re-send it (same key, same bytes) until a non-5xx answer."""
    backoff = 0.05
    while True:
        t0 = time.perf_counter()
        try:
            status, payload, headers = await conn.post(key, body)
        except NET_ERRORS:
            run.net_errors += 1
            await conn.close()
            if not run.tolerate or time.time() > run.deadline:
                if key:
                    run.gave_up.append(key)
                if not run.tolerate:
                    raise
                return
            run.resent += 1
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, 0.5)
            continue
        now = time.time()
        run.statuses[status] = run.statuses.get(status, 0) + 1
        rid: int | None = None
        if 200 <= status < 300:
            run.lat.append((time.perf_counter() - t0) * 1000)
            if key:
                run.acked.add(key)
                if run.keys is not None:
                    try:
                        rid = int(json.loads(payload)["id"])
                    except (ValueError, KeyError, TypeError):
                        rid = None
        if key and run.keys is not None:
            run.attempts.setdefault(key, []).append((status, rid, now))
        retry_after = 0.0
        if status == 429:
            retry_after = float(headers.get(b"retry-after", b"1") or 1)
        if run.tolerate and (status >= 500 or status == 429) and now < run.deadline:
            run.resent += 1
            await asyncio.sleep(max(backoff, min(retry_after, 5.0)))
            backoff = min(backoff * 2, 0.5)
            continue
        return


async def one_off(run: Run, port: int, k: int, key: str | None, body: bytes) -> None:
    """A concurrent duplicate on its own connection (to another instance when there are several)."""
    conn = Conn(run, port)
    try:
        await send_until_answered(run, conn, k, key, body)
    finally:
        await conn.close()


async def client(run: Run, i: int) -> None:
    conn = Conn(run, run.ports[i % len(run.ports)])
    try:
        while run.todo:
            k, is_retry = run.todo.pop()
            key = run.key_of(k) if run.idem else None
            body = run.body_of(k)
            if is_retry:
                run.retries_sent += 1
            dup = (not is_retry and run.retry_every and k % run.retry_every == 0 and key is not None)
            if dup and (k // run.retry_every) % 2 == 0:
                # Retry while the first attempt is in flight: both race for the same key.
                run.retries_sent += 1
                run.concurrent_retries += 1
                other = run.ports[(i + 1) % len(run.ports)]
                await asyncio.gather(send_until_answered(run, conn, k, key, body), one_off(run, other, k, key, body))
                continue
            await send_until_answered(run, conn, k, key, body)
            if dup:
                run.todo.appendleft((k, True))  # retried later, after other requests
    finally:
        await conn.close()


async def main(cfg: dict[str, Any]) -> dict[str, Any]:
    bodies = [json.dumps(b, ensure_ascii=False).encode() for b in cfg["bodies"]]
    keys = cfg.get("keys")
    n = int(cfg["requests"])
    if keys is not None and (len(keys) < n or len(bodies) < n):
        raise SystemExit("with `keys`, give one key and one body per request")
    run = Run(host=cfg["host"], ports=list(cfg.get("ports") or [cfg["port"]]), path=cfg["path"], bodies=bodies,
              keys=keys, idem=bool(cfg.get("idempotency", True)), tolerate=bool(cfg.get("tolerate_errors", False)),
              deadline=time.time() + float(cfg.get("deadline_s", 900)), retry_every=int(cfg.get("retry_every", 0)))
    run.todo.extend((k, False) for k in reversed(range(n)))
    t0 = time.perf_counter()
    await asyncio.gather(*(client(run, i) for i in range(int(cfg["concurrency"]))))
    wall = time.perf_counter() - t0
    lat = sorted(run.lat)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")

    if cfg.get("results"):
        with open(cfg["results"], "w", encoding="utf-8") as f:
            json.dump(run.attempts, f)
    acked = len(run.acked) if run.idem else len(lat)
    return {"sent": sum(run.statuses.values()), "acked": acked, "statuses": run.statuses, "wall_s": wall,
            "per_s": len(lat) / wall, "p50_ms": pct(0.50), "p99_ms": pct(0.99), "net_errors": run.net_errors,
            "resent": run.resent, "retries_sent": run.retries_sent, "concurrent_retries": run.concurrent_retries,
            "gave_up": len(run.gave_up),
            "peak_rss_mib": peak_rss_mib()}


def peak_rss_mib() -> float:
    """This process's peak resident set. VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so a child of a
    big parent would report the parent's size."""
    try:
        with open("/proc/self/status", encoding="ascii") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    with open(sys.argv[1], encoding="utf-8") as f:
        config = json.load(f)
    print(json.dumps(asyncio.run(main(config))))
