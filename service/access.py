"""API keys: created once (shown once), stored as a SHA-256 hash, checked by scope."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import transaction
from db.repositories import access as repo

Scope = Literal["read", "write", "admin"]
SCOPE_RANK: dict[str, int] = {"read": 1, "write": 2, "admin": 3}
KEY_PREFIX = "ask_"


@dataclass(frozen=True, slots=True)
class Principal:
    key_id: int | None
    name: str
    scope: Scope | None  # None: anonymous

    def allows(self, needed: Scope) -> bool:
        return self.scope is not None and SCOPE_RANK[self.scope] >= SCOPE_RANK[needed]


def hash_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewKey:
    id: int
    token: str
    prefix: str
    scope: Scope


async def create_key(factory: async_sessionmaker[AsyncSession], name: str, scope: Scope) -> NewKey:
    """A new key with 256 bits of entropy; only its hash is stored."""
    prefix = secrets.token_hex(4)
    token = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    async with transaction(factory) as session:
        key_id = await repo.insert_key(session, name, prefix, hash_key(token), scope)
    return NewKey(key_id, token, prefix, scope)


async def authenticate(session: AsyncSession, token: str) -> Principal | None:
    """The active key behind ``token``, its ``last_used_at`` set to now (one transaction;
    callers cache the answer for seconds, so a busy key costs one write per cache period)."""
    if not token.startswith(KEY_PREFIX) or len(token) > 200:
        return None
    async with session.begin():
        row = await repo.find_active_key(session, hash_key(token))
        if row is None:
            return None
        await repo.touch_key(session, int(row.id))
    return Principal(int(row.id), str(row.name), row.scope)


async def list_keys(factory: async_sessionmaker[AsyncSession]) -> list[dict[str, Any]]:
    async with transaction(factory) as session:
        return [dict(r._mapping) for r in await repo.list_keys(session)]


async def revoke_key(factory: async_sessionmaker[AsyncSession], id_or_prefix: str) -> bool:
    async with transaction(factory) as session:
        return await repo.revoke_key(session, id_or_prefix) > 0
