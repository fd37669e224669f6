"""Operational checks the probes report: is the database there, is the job queue usable."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

State = Literal["ok", "down"]


@dataclass(frozen=True, slots=True)
class Readiness:
    database: State
    queue: State

    @property
    def ready(self) -> bool:
        return self.database == "ok" and self.queue == "ok"


async def readiness(session: AsyncSession) -> Readiness:
    """The database answers, and the job queue's tables (in the same database) exist."""
    try:
        await session.execute(text("SELECT 1"))
    except Exception:
        return Readiness(database="down", queue="down")
    try:
        await session.execute(text("SELECT 1 FROM procrastinate_jobs LIMIT 0"))
    except Exception:
        return Readiness(database="ok", queue="down")
    return Readiness(database="ok", queue="ok")


@dataclass(frozen=True, slots=True)
class WorkStats:
    """What /metrics reports about the job queue and annotation runs."""

    queue_depth: list[tuple[str, str, int]]  # (queue, status, jobs) for todo/doing
    runs: list[tuple[str, int]]  # (status, runs)
    mean_run_seconds_last_hour: float


async def work_stats(session: AsyncSession) -> WorkStats:
    depth = await session.execute(
        text(
            "SELECT queue_name, status::text, count(*) FROM procrastinate_jobs "
            "WHERE status IN ('todo', 'doing') GROUP BY 1, 2"
        )
    )
    queue_depth = [(str(q), str(s), int(n)) for q, s, n in depth]
    runs = [
        (str(s), int(n))
        for s, n in await session.execute(
            text("SELECT status, count(*) FROM annotation_runs GROUP BY 1")
        )
    ]
    avg = (
        await session.execute(
            text(
                "SELECT avg(extract(epoch FROM finished_at - started_at)) "
                "FROM annotation_runs WHERE finished_at > now() - interval '1 hour'"
            )
        )
    ).scalar_one()
    return WorkStats(queue_depth, runs, float(avg or 0))
