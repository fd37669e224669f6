"""The tables that hand work to the batched background jobs: ids waiting for a job.

``story_grouping_queue`` (article ids, the ``group_stories`` job) and
``claim_clustering_queue`` (revision ids, the ``cluster_claims`` job): a write queues ids
in its transaction, the job takes many at a time, lowest first, and deletes them in the
transaction that does their work, so a failed batch comes back with its rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

WorkQueue = Literal["story_grouping_queue", "claim_clustering_queue"]

# each queue's id column (table and column names are these constants, never input)
_ID_COLUMN: dict[str, str] = {
    "story_grouping_queue": "article_id",
    "claim_clustering_queue": "revision_id",
}


async def enqueue(session: AsyncSession, queue: WorkQueue, ids: Sequence[int]) -> None:
    """Queue ``ids`` (those already waiting stay queued once), in id order."""
    if ids:
        column = _ID_COLUMN[queue]
        await session.execute(
            text(
                f"INSERT INTO {queue} ({column}) "
                "SELECT unnest(CAST(:ids AS bigint[])) ORDER BY 1 ON CONFLICT DO NOTHING"
            ),
            {"ids": sorted(set(ids))},
        )


async def size(session: AsyncSession, queue: WorkQueue) -> int:
    return int((await session.execute(text(f"SELECT count(*) FROM {queue}"))).scalar_one())


async def take(session: AsyncSession, queue: WorkQueue, limit: int) -> list[int]:
    """Remove up to ``limit`` queued ids (lowest first) and return them, sorted; the rows
    come back if the transaction rolls back."""
    column = _ID_COLUMN[queue]
    rows = await session.execute(
        text(
            f"DELETE FROM {queue} WHERE {column} IN ("
            f"  SELECT {column} FROM {queue} ORDER BY {column}"
            f"  LIMIT :n FOR UPDATE SKIP LOCKED) RETURNING {column}"
        ),
        {"n": limit},
    )
    return sorted(int(i) for i in rows.scalars())
