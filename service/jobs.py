"""The after-commit job hand-off: a write's jobs reach the queue only once it has committed.

Every write use case runs in a :func:`unit_of_work`. It opens the transaction and collects the
jobs the write asks for (:class:`PendingJobs`); when the transaction has committed, and only
then, the jobs are handed to the queue through a :class:`JobHandOff`. A rolled-back write
hands nothing over. The hand-over waits at most :data:`ENQUEUE_TIMEOUT_S`: with the database
unreachable the queue's pool would wait 30 s for a connection, holding an already committed
write's answer past most clients' timeouts. What could not be handed over is not lost: an
annotation run is committed as ``pending`` in the write's own transaction, and the worker's
minute sweep enqueues every pending run that has no job.

Routers and the CLI open one :class:`JobHandOff` per process and pass it to use cases; they
never touch the queue themselves (polarsource/polar's ``worker/_enqueue.py`` works the same
way: jobs are collected during the unit of work and flushed after it commits).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from service.errors import Unavailable
from service.settings import Settings

if TYPE_CHECKING:
    from service.queue import JobQueue

logger = logging.getLogger(__name__)

# How long a write's response may wait on the job queue after its transaction committed.
ENQUEUE_TIMEOUT_S = 3.0


@dataclass
class PendingJobs:
    """The jobs one unit of work asks for, in the order asked."""

    annotation_runs: list[int] = field(default_factory=list)
    story_grouping: bool = False

    def annotate(self, run_id: int | None) -> None:
        """Annotate this run once the transaction commits (``None``: nothing to do)."""
        if run_id is not None:
            self.annotation_runs.append(run_id)

    def group_stories(self) -> None:
        """The write queued articles for story grouping: start the grouping job after commit."""
        self.story_grouping = True


class JobHandOff:
    """One process's way to the job queue, for use cases (``None`` queue: none reachable)."""

    def __init__(self, queue: JobQueue | None) -> None:
        self._queue = queue

    @classmethod
    async def open(cls, settings: Settings) -> JobHandOff:
        """Open the queue; if it cannot be reached the hand-off still works, handing nothing
        over (the API keeps serving and the worker's sweep enqueues the runs later)."""
        from service.queue import JobQueue

        queue = JobQueue(settings)
        try:
            await queue.open()
        except Exception:
            logger.warning("job queue unavailable at start-up", exc_info=True)
            return cls(None)
        return cls(queue)

    async def close(self) -> None:
        if self._queue is not None:
            await self._queue.close()
            self._queue = None

    async def hand_over(self, jobs: PendingJobs) -> None:
        """Enqueue committed jobs, waiting at most ENQUEUE_TIMEOUT_S; failures are logged."""
        if not (jobs.annotation_runs or jobs.story_grouping) or self._queue is None:
            return
        try:
            async with asyncio.timeout(ENQUEUE_TIMEOUT_S):
                if jobs.story_grouping:
                    await self._queue.enqueue_story_grouping()
                await self._queue.enqueue_runs(jobs.annotation_runs)
        except Exception:  # TimeoutError included
            logger.warning(
                "could not enqueue annotation runs %s; the sweep will",
                jobs.annotation_runs,
                exc_info=True,
            )

    async def defer_reclassification(self, slug: str) -> int:
        """Queue a topic's reclassification now; nothing sweeps for these, so no queue is 503."""
        if self._queue is None:
            raise Unavailable("the job queue is unavailable; try again shortly")
        try:
            async with asyncio.timeout(ENQUEUE_TIMEOUT_S):
                job_id: int = await self._queue.reclassify_task.defer_async(slug=slug)
        except TimeoutError as exc:
            raise Unavailable("the job queue did not answer; try again shortly") from exc
        return job_id


@asynccontextmanager
async def unit_of_work(
    session: AsyncSession, hand_off: JobHandOff | None
) -> AsyncIterator[PendingJobs]:
    """One transaction on ``session``; the jobs collected in it go to the queue after commit."""
    jobs = PendingJobs()
    async with session.begin():
        yield jobs
    if hand_off is not None:
        await hand_off.hand_over(jobs)
