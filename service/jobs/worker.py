"""A worker: Huey's consumer threads running report jobs, plus a housekeeping thread (the reaper and the purge).

``csi worker`` runs one in the foreground (`Worker.run`: Huey's consumer loop with its signal handling; SIGINT or
SIGTERM finish the running jobs first). ``csi serve`` can run one in the background of the service process
(`Worker.start` / `Worker.stop`, no signal handlers: uvicorn owns them).

Why the housekeeping is a thread and not a Huey periodic task: Huey's periodic tasks are scheduled by the minute
and run through the queue, so with every worker thread busy rendering long reports the reaper would wait behind
them, the very moment it is needed. The thread runs `reap` at start and every ``CSI_JOB_HEARTBEAT_S``, and
`purge_artifacts` at start and hourly.
"""

from __future__ import annotations

import logging
import threading
import time

from huey.consumer import Consumer  # type: ignore[import-untyped]
from sqlalchemy import Engine

from service.jobs.queue import JobQueue
from service.jobs.service import purge_artifacts, reap
from service.jobs.tasks import run_report_job
from service.settings import Settings

log = logging.getLogger("csi.jobs")

PURGE_EVERY_S = 3600.0


class _QuietConsumer(Consumer):  # type: ignore[misc]
    """A consumer that leaves the process's signals alone (inside `csi serve`)."""

    def _set_signal_handlers(self) -> None:
        pass


class Worker:
    """``threads`` jobs at once; memory up to ``threads`` x ``CSI_MAX_ANALYSIS_BYTES``."""

    def __init__(self, settings: Settings, engine: Engine, *, threads: int = 1, queue: JobQueue | None = None,
                 poll_s: float = 1.0):
        self.settings = settings
        self.engine = engine
        self.queue = queue or JobQueue(settings)
        self.queue.bind(lambda job_id: run_report_job(engine, settings, job_id))
        self.threads = threads
        self._poll_s = poll_s
        self._stop = threading.Event()
        self._housekeeping: threading.Thread | None = None
        self._consumer: Consumer | None = None

    def _consumer_of(self, cls: type[Consumer]) -> Consumer:
        # periodic=False: no Huey periodic tasks (see the module's docstring); max_delay bounds the polling of the
        # embedded queue when it is idle (Redis blocks on the list instead).
        return cls(self.queue.huey, workers=self.threads, worker_type="thread", periodic=False,
                   max_delay=self._poll_s, check_worker_health=True, health_check_interval=10)

    def housekeeping_once(self, now: float | None = None, purge: bool = False) -> None:
        try:
            reap(self.engine, self.queue, self.settings, now)
            if purge:
                purge_artifacts(self.engine, self.settings, now)
        except Exception:  # the database or the queue is away for a moment: try again next round
            log.exception("job housekeeping failed")

    def _housekeep(self) -> None:
        last_purge = time.monotonic()
        self.housekeeping_once(purge=True)
        while not self._stop.wait(self.settings.job_heartbeat_s):
            purge = time.monotonic() - last_purge >= PURGE_EVERY_S
            if purge:
                last_purge = time.monotonic()
            self.housekeeping_once(purge=purge)

    def _start_housekeeping(self) -> None:
        self._housekeeping = threading.Thread(target=self._housekeep, name="csi-job-housekeeping", daemon=True)
        self._housekeeping.start()

    def start(self) -> None:
        """In the background (inside `csi serve`)."""
        self._consumer = self._consumer_of(_QuietConsumer)
        self._start_housekeeping()
        self._consumer.start()
        log.info("embedded job worker started (%d thread(s), queue %s)", self.threads, self.queue.url)

    def stop(self, graceful: bool = True) -> None:
        """Stop taking jobs; with ``graceful`` wait for the running ones."""
        self._stop.set()
        if self._consumer is not None:
            self._consumer.stop(graceful=graceful)
        if self._housekeeping is not None:
            self._housekeeping.join()
        self.queue.close()

    def run(self) -> None:
        """In the foreground until SIGINT/SIGTERM (``csi worker``)."""
        self._consumer = self._consumer_of(Consumer)
        self._start_housekeeping()
        try:
            self._consumer.run()
        finally:
            self._stop.set()
            if self._housekeeping is not None:
                self._housekeeping.join()
            self.queue.close()
