"""SQL for API keys and idempotency records."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import Table, delete, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import ApiKey, IdempotencyRecord

keys: Table = ApiKey.__table__  # type: ignore[assignment]
records: Table = IdempotencyRecord.__table__  # type: ignore[assignment]

DbRow = Any


async def insert_key(
    session: AsyncSession, name: str, prefix: str, key_hash: str, scope: str
) -> int:
    stmt = (
        insert(keys)
        .values(name=name, prefix=prefix, key_hash=key_hash, scope=scope)
        .returning(keys.c.id)
    )
    return int((await session.execute(stmt)).scalar_one())


async def find_active_key(session: AsyncSession, key_hash: str) -> DbRow | None:
    stmt = select(keys.c.id, keys.c.name, keys.c.scope).where(
        keys.c.key_hash == key_hash, keys.c.revoked_at.is_(None)
    )
    return (await session.execute(stmt)).first()


async def touch_key(session: AsyncSession, key_id: int) -> None:
    await session.execute(update(keys).where(keys.c.id == key_id).values(last_used_at=func.now()))


async def list_keys(session: AsyncSession) -> list[DbRow]:
    stmt = select(
        keys.c.id,
        keys.c.name,
        keys.c.prefix,
        keys.c.scope,
        keys.c.created_at,
        keys.c.last_used_at,
        keys.c.revoked_at,
    ).order_by(keys.c.id)
    return list((await session.execute(stmt)).all())


async def revoke_key(session: AsyncSession, id_or_prefix: str) -> int:
    cond = keys.c.prefix == id_or_prefix
    if id_or_prefix.isdigit():
        cond = or_(cond, keys.c.id == int(id_or_prefix))
    stmt = (
        update(keys)
        .where(cond, keys.c.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(keys.c.id)
    )
    return len((await session.execute(stmt)).all())


async def claim_idempotency_key(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a placeholder; False if a record for (principal, key) already exists."""
    stmt = pg_insert(records).values(**values).on_conflict_do_nothing().returning(records.c.key)
    return (await session.execute(stmt)).first() is not None


async def get_idempotency_record(session: AsyncSession, principal: str, key: str) -> DbRow | None:
    stmt = select(records).where(records.c.principal == principal, records.c.key == key)
    return (await session.execute(stmt)).first()


async def complete_idempotency_record(
    session: AsyncSession,
    principal: str,
    key: str,
    status: int,
    headers: str,
    body: bytes,
    api_key_id: int,
) -> None:
    await session.execute(
        update(records)
        .where(records.c.principal == principal, records.c.key == key)
        .values(
            status_code=status, response_headers=headers, response_body=body, api_key_id=api_key_id
        )
    )


async def drop_idempotency_record(
    session: AsyncSession, principal: str, key: str, *, older_than: timedelta | None = None
) -> None:
    stmt = delete(records).where(records.c.principal == principal, records.c.key == key)
    if older_than is not None:
        stmt = stmt.where(records.c.created_at < func.now() - older_than)
    await session.execute(stmt)


async def purge_idempotency_records(session: AsyncSession, older_than: timedelta) -> int:
    stmt = delete(records).where(records.c.created_at < func.now() - older_than)
    return int((await session.execute(stmt)).rowcount or 0)  # type: ignore[attr-defined]
