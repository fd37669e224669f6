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
