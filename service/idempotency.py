"""Idempotency-Key records: claim a key before a write runs, keep its answer afterwards.

The HTTP side (``api/idempotency.py``) decides which requests take part and replays answers;
these use cases own the transactions on the ``idempotency_keys`` table.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import transaction
from db.repositories import access as repo


async def claim_key(
    factory: async_sessionmaker[AsyncSession],
    principal: str,
    key: str,
    method: str,
    path: str,
    request_hash: str,
) -> Any | None:
    """Claim ``key`` for ``principal``: ``None`` when this request now owns it, else the
    existing record (in progress or completed) to answer from."""
    async with transaction(factory) as session:
        claimed = await repo.claim_idempotency_key(
            session,
            {
                "principal": principal,
                "key": key,
                "method": method,
                "path": path,
                "request_hash": request_hash,
            },
        )
        return None if claimed else await repo.get_idempotency_record(session, principal, key)


async def finish_key(
    factory: async_sessionmaker[AsyncSession],
    principal: str,
    key: str,
    status: int,
    headers_json: str,
    body: bytes,
) -> None:
    """Keep the answer of a request that owned ``key``; a server error releases the key so
    the client's retry runs again."""
    async with transaction(factory) as session:
        if status >= 500:
            await repo.drop_idempotency_record(session, principal, key)
        else:
            await repo.complete_idempotency_record(
                session, principal, key, status, headers_json, body
            )
