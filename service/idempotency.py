"""Idempotency-Key records: claim a key before a write runs, keep its answer afterwards.

The HTTP side (``api/idempotency.py``) decides which requests take part and replays answers;
these use cases own the transactions on the ``idempotency_keys`` table.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import transaction
from db.repositories import access as repo

# How long a key's answer is replayed; an older record is gone (a retry runs again).
TTL = timedelta(hours=24)


async def claim_key(
    factory: async_sessionmaker[AsyncSession],
    principal: str,
    key: str,
    method: str,
    path: str,
    request_hash: str,
) -> Any | None:
    """Claim ``key`` for ``principal``: ``None`` when this request now owns it, else the
    existing record (in progress or completed) to answer from. A record past ``TTL`` is
    deleted first, so an expired key is a new one."""
    async with transaction(factory) as session:
        await repo.drop_idempotency_record(session, principal, key, older_than=TTL)
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


async def wait_for_answer(
    factory: async_sessionmaker[AsyncSession],
    principal: str,
    key: str,
    *,
    timeout: float,
    interval: float = 0.1,
) -> Any | None:
    """The record of ``key`` once its first request has finished (it carries a status), or
    None when that did not happen within ``timeout`` seconds or the key was released (the
    first request failed, so a retry should run again)."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        async with transaction(factory) as session:
            record = await repo.get_idempotency_record(session, principal, key)
        if record is None or record.status_code is not None:
            return record
        if asyncio.get_running_loop().time() >= deadline:
            return None
        await asyncio.sleep(interval)


async def finish_key(
    factory: async_sessionmaker[AsyncSession],
    principal: str,
    key: str,
    status: int,
    headers_json: str,
    body: bytes,
    *,
    api_key_id: int,
) -> None:
    """Keep the answer of an authenticated request that owned ``key``."""
    async with transaction(factory) as session:
        await repo.complete_idempotency_record(
            session, principal, key, status, headers_json, body, api_key_id
        )


async def release_key(factory: async_sessionmaker[AsyncSession], principal: str, key: str) -> None:
    """Forget ``key``: its answer is not one to replay (a server error, no valid API key, a
    rate limit), so the client's retry runs again."""
    async with transaction(factory) as session:
        await repo.drop_idempotency_record(session, principal, key)


async def purge_expired(factory: async_sessionmaker[AsyncSession]) -> int:
    """Delete every record older than ``TTL`` (the worker's minute sweep)."""
    async with transaction(factory) as session:
        return await repo.purge_idempotency_records(session, TTL)
