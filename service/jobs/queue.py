"""The job queue: one Huey instance built from ``CSI_QUEUE_URL``, with one task that carries a job id.

Why Huey (docs/DESIGN.md, "Background jobs"): it has an embedded SQLite storage, so the default install needs no
broker, and a Redis storage for several workers on several machines, behind one API. Why only the id: the job's
state (parameters, status, progress, attempts, heartbeat, artifact) lives in our database (service/jobs/
repository.py), so it can be listed and survives a queue that loses its messages; a message is a nudge to go and
look at a row. Huey's own result store and retries are therefore off: a retry after a crash is decided by the
reaper from the heartbeat (service/jobs/service.py), because Huey cannot see a worker that was killed with -9.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from huey import Huey, RedisHuey, SqliteHuey  # type: ignore[import-untyped]

from service.settings import Settings

__all__ = ["QUEUE_SCHEMES", "JobQueue", "make_huey"]

QUEUE_SCHEMES = ("sqlite:///", "redis://", "rediss://", "unix://")
TASK_NAME = "csi_run_job"


def make_huey(url: str, name: str) -> Huey:
    """A Huey for ``url``: ``sqlite:///PATH`` (embedded; the folder is created) or ``redis://...``."""
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
        if not path.name or str(path) == ":memory:":
            raise ValueError(f"CSI_QUEUE_URL {url!r}: the embedded queue needs a file (sqlite:///PATH), so that the "
                             "service and its workers share it")
        path.parent.mkdir(parents=True, exist_ok=True)
        # fsync on commit, like the store: an acknowledged request's message survives a power cut.
        return SqliteHuey(name=name, filename=str(path), results=False, fsync=True, timeout=30)
    if url.startswith(QUEUE_SCHEMES[1:]):
        return RedisHuey(name=name, url=url, results=False)
    raise ValueError(f"CSI_QUEUE_URL {url!r} is neither sqlite:///PATH (the embedded queue) nor redis://HOST:PORT/DB")


class JobQueue:
    """The queue of one process: enqueue job ids anywhere; run them where a runner is bound (a worker).

    The task is registered under a fixed name, so a message put by the API process is understood by any worker.
    """

    def __init__(self, settings: Settings):
        self.url = settings.queue
        self.huey = make_huey(self.url, settings.queue_name)
        self._runner: Callable[[str], object] | None = None

        def run_job(job_id: str) -> None:
            if self._runner is None:
                raise RuntimeError("this process runs no jobs (no runner bound); start `csi worker`")
            self._runner(job_id)

        run_job.__name__ = TASK_NAME
        self._task = self.huey.task(name=TASK_NAME)(run_job)

    @property
    def embedded(self) -> bool:
        """The SQLite queue: one machine; `csi serve` runs a worker in the service by default."""
        return self.url.startswith("sqlite:///")

    def enqueue(self, job_id: str) -> None:
        self._task(job_id)

    def bind(self, runner: Callable[[str], object]) -> None:
        """Run ``runner(job_id)`` for each message this process's consumer takes."""
        self._runner = runner

    def pending(self) -> int:
        """Messages waiting (tests and ``csi worker`` logs)."""
        return int(self.huey.pending_count())

    def flush(self) -> None:
        """Drop every message and the queue's keys (tests clean their Redis queue with it)."""
        self.huey.flush()

    def close(self) -> None:
        """Close the queue's connections (the SQLite file's; the Redis pool's)."""
        self.huey.storage.close()
        pool = getattr(self.huey.storage, "pool", None)
        if pool is not None:
            pool.disconnect()
