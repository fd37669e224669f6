"""The worker process's loop (service/worker_loop.py): memory recycling, for real."""

from __future__ import annotations

import asyncio

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.settings import Settings
from service.worker_loop import WorkerLoop, rss_mb


async def test_a_worker_over_its_memory_limit_recycles_itself_after_the_job(
    clean_store: None, settings: Settings, db_session: AsyncSession
) -> None:
    used = rss_mb()
    assert used is not None and used > 1
    loop = WorkerLoop(settings.model_copy(update={"worker_max_rss_mb": 1}), concurrency=1)
    # the seeds' five pending runs are handed over by the sweep a (re)start does first
    await asyncio.wait_for(loop.run(), timeout=180)
    assert loop.recycle_reason is not None
    assert loop.recycle_reason.startswith("resident memory") and "over 1 MiB" in loop.recycle_reason
    assert loop.restarts == 0  # a recycle ends the process, it is not restarted in place
    statuses = dict(
        (
            await db_session.execute(
                text("SELECT status, count(*) FROM annotation_runs GROUP BY status")
            )
        ).all()
    )
    # the job in hand finished first (the guard runs after a job; which job came first
    # depends on the queue: maintenance jobs, such as the start-up sweep, go first)
    assert statuses.get("running", 0) == 0, statuses
    doing = (
        await db_session.execute(
            text("SELECT count(*) FROM procrastinate_jobs WHERE status = 'doing'")
        )
    ).scalar_one()
    assert doing == 0


async def test_a_worker_under_its_limit_keeps_working_until_asked_to_stop(
    clean_store: None, settings: Settings, db_session: AsyncSession
) -> None:
    loop = WorkerLoop(settings.model_copy(update={"worker_max_rss_mb": 0}), concurrency=1)
    task = asyncio.create_task(loop.run())

    async def all_done() -> None:
        while True:
            n = (
                await db_session.execute(
                    text("SELECT count(*) FROM annotation_runs WHERE status <> 'done'")
                )
            ).scalar_one()
            await db_session.rollback()
            if n == 0:
                return
            await asyncio.sleep(0.5)

    await asyncio.wait_for(all_done(), timeout=180)
    assert not task.done()
    loop.request_stop("the test is over")
    await asyncio.wait_for(task, timeout=60)
    assert loop.recycle_reason is None and loop.restarts == 0
