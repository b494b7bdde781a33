"""At most a set number of analyses and reports per worker process, so the memory bound holds per process.

The bound of `service.analysis.load_data` (``CSI_MAX_ANALYSIS_BYTES``) is checked per request; the sync routes run
in the thread pool, so without this N parallel requests would take N times the bound. A request over the limit is
answered 503 at once with ``Retry-After``, rather than queueing (a queue of big analyses only delays the OOM).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from service.errors import AppError

RETRY_AFTER_S = 10


class Busy(AppError):
    """Every analysis slot of this worker is taken."""

    status_code = 503


class HeavyJobs:
    def __init__(self, slots: int):
        self.slots = slots
        self._sem = threading.BoundedSemaphore(slots)

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._sem.acquire(blocking=False):
            raise Busy(f"this worker is already running {self.slots} analysis/report job(s) "
                       f"(CSI_MAX_CONCURRENT_ANALYSES); retry in {RETRY_AFTER_S} s",
                       headers={"Retry-After": str(RETRY_AFTER_S)})
        try:
            yield
        finally:
            self._sem.release()
