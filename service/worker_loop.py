"""An annotation worker process that outlives database outages, its own growth and its parent.

procrastinate's worker stops for good when one of its side tasks fails ("Side task listener
failed … stopping worker"), which is what a database restart of a few seconds does to the
LISTEN connection: after a 6-second outage no annotation ran again. Here the worker runs in a
loop: when it stops without having been asked to, it is started again after a backoff
(1 s, doubling, at most 30 s), and the first thing a fresh start does is the sweep (jobs of
dead workers retried, runs nobody enqueued handed over).

Two more reasons to stop, both ending the process so that whoever runs it starts a fresh one
(``serve``'s supervisor, a compose ``restart:`` policy):

* ``worker_max_rss_mb``: after a job, a process that grew past it finishes (a recycled worker
  gives its memory back; a spaCy process that parsed a 2 MB text keeps its arenas).
* ``ARTICLE_STORE_SUPERVISOR_FD``: set by ``serve`` to the read end of a pipe only ``serve``
  writes to. When ``serve`` dies, even by SIGKILL, the pipe reads EOF and the worker stops
  instead of living on under PID 1.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import threading
import time
from typing import Any

from service.settings import Settings

logger = logging.getLogger(__name__)

SUPERVISOR_FD_ENV = "ARTICLE_STORE_SUPERVISOR_FD"
SUPERVISOR_GONE_GRACE_S = 10.0
BACKOFF_FIRST_S = 1.0
BACKOFF_MAX_S = 30.0
STABLE_AFTER_S = 60.0  # a worker that ran this long restarts at the first backoff again


def rss_mb() -> float | None:
    """This process's resident memory in MiB (Linux), None where it cannot be read."""
    try:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


class WorkerLoop:
    """Runs the queue's worker until asked to stop; restarts it when it stops by itself."""

    def __init__(self, settings: Settings, *, concurrency: int = 1) -> None:
        from service.queue import WorkerResources

        self.settings = settings
        self.concurrency = concurrency
        self.resources = WorkerResources(settings)  # the pipeline survives restarts
        self.stop_requested = asyncio.Event()
        self.recycle_reason: str | None = None
        self.restarts = 0

    def request_stop(self, why: str) -> None:
        if not self.stop_requested.is_set():
            logger.info("worker stopping: %s", why)
        self.stop_requested.set()

    async def _memory_guard(self, call_next: Any, context: Any, worker: Any) -> Any:
        """A worker middleware: after each job, stop the worker if the process grew too big."""
        try:
            return await call_next()
        finally:
            limit = self.settings.worker_max_rss_mb
            used = rss_mb()
            if limit and used is not None and used > limit and self.recycle_reason is None:
                self.recycle_reason = f"resident memory {used:.0f} MiB over {limit} MiB"
                logger.warning("worker recycling: %s", self.recycle_reason)
                worker.stop()

    async def _run_once(self) -> None:
        from service.queue import JobQueue

        queue = JobQueue(self.settings, self.resources)
        try:
            await queue.open()
            try:
                await queue.sweep(orphans_older_than=0)
            except Exception:  # the periodic sweep tries again; never a reason not to work
                logger.warning("the start-up sweep failed", exc_info=True)
            task = asyncio.create_task(
                queue.run_worker(
                    concurrency=self.concurrency,
                    install_signal_handlers=False,
                    worker_middleware=[self._memory_guard],
                )
            )
            stop = asyncio.create_task(self.stop_requested.wait())
            await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if not task.done():
                task.cancel()  # procrastinate stops gracefully: the jobs in hand finish
            with contextlib.suppress(asyncio.CancelledError):
                await task
        finally:
            with contextlib.suppress(Exception):
                await queue.close()

    async def run(self) -> None:
        # load spaCy before taking jobs: the first job is not slowed by it, and a worker
        # registered with the queue is one ready to work
        await asyncio.to_thread(lambda: self.resources.pipeline)
        backoff = BACKOFF_FIRST_S
        while not self.stop_requested.is_set():
            started = time.monotonic()
            error: str | None = None
            try:
                await self._run_once()
            except Exception as exc:  # database unreachable, pool timeout, …
                error = f"{type(exc).__name__}: {exc}"[:500]
            if self.stop_requested.is_set() or self.recycle_reason is not None:
                return
            if time.monotonic() - started > STABLE_AFTER_S:
                backoff = BACKOFF_FIRST_S
            self.restarts += 1
            logger.warning(
                "worker stopped by itself (%s); starting it again in %.0f s",
                error or "a side task failed, e.g. the database went away",
                backoff,
                extra={"restarts": self.restarts},
            )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.stop_requested.wait(), timeout=backoff)
            backoff = min(BACKOFF_MAX_S, backoff * 2)


def _watch_supervisor(loop: asyncio.AbstractEventLoop, worker: WorkerLoop) -> None:
    raw = os.environ.get(SUPERVISOR_FD_ENV)
    if not raw:
        return
    try:
        fd = int(raw)
        os.set_blocking(fd, False)
    except (ValueError, OSError):
        logger.warning("ignoring %s=%r: not an open file descriptor", SUPERVISOR_FD_ENV, raw)
        return

    def readable() -> None:
        try:
            data = os.read(fd, 1)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:  # EOF: the supervising `serve` is gone
            loop.remove_reader(fd)
            worker.request_stop("the supervising `serve` process is gone")
            # its database goes with it, so a graceful stop could wait on connections for
            # long; the job in hand is retried by the next worker (stalled-job sweep)
            timer = threading.Timer(SUPERVISOR_GONE_GRACE_S, os._exit, args=(1,))
            timer.daemon = True
            timer.start()

    loop.add_reader(fd, readable)


async def run_worker_process(settings: Settings, *, concurrency: int = 1) -> int:
    """Run a worker until SIGINT/SIGTERM (or its supervisor's death). Returns the exit code:
    0 when asked to stop, 3 when it recycles itself (memory)."""
    worker = WorkerLoop(settings, concurrency=concurrency)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, worker.request_stop, f"signal {sig.name}")
    _watch_supervisor(loop, worker)
    await worker.run()
    return 0 if worker.recycle_reason is None else RECYCLE_EXIT_CODE


RECYCLE_EXIT_CODE = 3
