"""Operational checks the probes report: is the database there, is the job queue usable,
is any annotation worker alive."""

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
    workers: int = 0  # annotation workers whose heartbeat is recent
    workers_needed: int = 0

    @property
    def workers_state(self) -> State:
        return "ok" if self.workers >= self.workers_needed else "down"

    @property
    def ready(self) -> bool:
        return self.database == "ok" and self.queue == "ok" and self.workers_state == "ok"


async def readiness(
    session: AsyncSession, *, heartbeat_within_s: float = 30.0, workers_needed: int = 1
) -> Readiness:
    """The database answers, the job queue's tables (in the same database) exist, and at
    least ``workers_needed`` workers sent a heartbeat in the last ``heartbeat_within_s``.

    Workers are counted from the queue's own table (procrastinate_workers), not from a
    child process: the API and its workers may run in separate processes or machines."""
    try:
        await session.execute(text("SELECT 1"))
    except Exception:
        return Readiness(database="down", queue="down", workers_needed=workers_needed)
    try:
        alive = (
            await session.execute(
                text(
                    "SELECT count(*) FROM procrastinate_workers "
                    "WHERE last_heartbeat > now() - make_interval(secs => :s)"
                ),
                {"s": heartbeat_within_s},
            )
        ).scalar_one()
    except Exception:
        return Readiness(database="ok", queue="down", workers_needed=workers_needed)
    return Readiness("ok", "ok", workers=int(alive), workers_needed=workers_needed)


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
