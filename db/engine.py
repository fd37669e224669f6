"""Engines and sessions. URLs are accepted in any common PostgreSQL spelling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)


def _with_driver(url: str, driver: str) -> str:
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string(hide_password=True)}")
    return parsed.set(drivername=f"postgresql+{driver}").render_as_string(hide_password=False)


def async_url(url: str) -> str:
    """The URL for SQLAlchemy's asyncpg dialect."""
    return _with_driver(url, "asyncpg")


def sync_url(url: str) -> str:
    """The URL for SQLAlchemy's psycopg (3) dialect, used by migrations."""
    return _with_driver(url, "psycopg")


def libpq_url(url: str) -> str:
    """A plain ``postgresql://`` URL for libpq clients (psycopg, procrastinate, psql)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def redact(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def create_engine(
    url: str,
    *,
    pool_size: int = 10,
    max_overflow: int = 10,
    statement_timeout_ms: int | None = None,
    application_name: str = "article-store",
    parallel_workers: int | None = None,
) -> AsyncEngine:
    server_settings = {"application_name": application_name}
    if parallel_workers is not None:
        server_settings["max_parallel_workers_per_gather"] = str(parallel_workers)
    if statement_timeout_ms:
        server_settings["statement_timeout"] = str(statement_timeout_ms)
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        # no pre-ping: it costs a round trip per request. A connection broken by a database
        # restart raises a disconnect error, which answers 503 and invalidates the pool,
        # so the next requests get fresh connections (tests/e2e/test_faults.py).
        pool_pre_ping=False,
        pool_timeout=10,
        connect_args={"server_settings": server_settings, "timeout": 10},
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def read_session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions for read-only requests: autocommit, so no BEGIN/ROLLBACK round trips.

    Shares the engine's pool. Each statement sees its own snapshot; read endpoints
    that need several statements to agree must use a regular session."""
    return async_sessionmaker(
        engine.execution_options(isolation_level="AUTOCOMMIT"),
        expire_on_commit=False,
        autoflush=False,
    )


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on any error."""
    async with factory() as session, session.begin():
        yield session
