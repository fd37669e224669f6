"""Engines and sessions. URLs are accepted in any common PostgreSQL spelling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import Dialect, ExceptionContext, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

Reader = AsyncSession | AsyncConnection
"""What a read function takes: a session (inside a use case's transaction), or a bare Core
connection (read routes: :func:`read_connections`; no ORM session machinery per request)."""


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
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=max_overflow,
        # no pre-ping: it costs a round trip per request. A connection broken by a database
        # restart raises a disconnect error, which answers 503 and invalidates the pool,
        # so the next requests get fresh connections (tests/e2e/test_faults.py).
        pool_pre_ping=False,
        pool_timeout=10,
        connect_args={"server_settings": server_settings, "timeout": 10},
        # bound values are request data: never in error messages or logs (docs/security.md)
        hide_parameters=True,
    )
    event.listen(engine.sync_engine, "handle_error", _discard_after_driver_error)
    return engine


def _driver_cause(exc: BaseException) -> BaseException | None:
    # SQLAlchemy's asyncpg adapter raises its DBAPI error *from* asyncpg's exception
    if isinstance(exc, DBAPIError):
        exc = exc.orig if exc.orig is not None else exc
    return exc.__cause__


def is_driver_error(exc: BaseException) -> bool:
    """A statement failed in the driver or its protocol (a value asyncpg could not encode,
    a message exchange cut short, a lost connection), not in PostgreSQL. asyncpg raises an
    encoding failure as a ``DataError`` *from* the Python error; a server's error has no
    cause."""
    cause = _driver_cause(exc)
    if cause is None:
        return False
    return not isinstance(cause, asyncpg.PostgresError) or cause.__cause__ is not None


def is_unsendable_value(exc: BaseException) -> bool:
    """The driver refused a bound value (out of range, wrong type): the request's fault."""
    cause = _driver_cause(exc)
    if isinstance(cause, asyncpg.PostgresError):
        return cause.__cause__ is not None
    return isinstance(cause, ValueError | TypeError | OverflowError)


def _discard_after_driver_error(ctx: ExceptionContext) -> None:
    """After a driver error the connection's protocol state is unknown: a bind that failed
    after its statement was sent left a pooled connection that failed the next requests
    (issue 18). Close that connection instead of pooling it; the others stay."""
    if ctx.sqlalchemy_exception is None or ctx.is_disconnect:
        return
    if is_driver_error(ctx.original_exception):
        ctx.is_disconnect = True
        ctx.invalidate_pool_on_disconnect = False


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=False)


def read_connections(engine: AsyncEngine) -> AsyncEngine:
    """The engine read requests connect with (``async with read_connections(e).connect()``):
    autocommit, so no BEGIN/ROLLBACK round trips, and no ORM session around the connection.

    Shares the engine's pool. Each statement sees its own snapshot; read endpoints
    that need several statements to agree must use a regular session."""
    return engine.execution_options(isolation_level="AUTOCOMMIT")


async def connection_of(db: Reader) -> AsyncConnection:
    """The connection a :data:`Reader` runs statements on."""
    return db if isinstance(db, AsyncConnection) else await db.connection()


def dialect_of(db: Reader) -> Dialect:
    return db.dialect if isinstance(db, AsyncConnection) else db.get_bind().dialect


@asynccontextmanager
async def transaction(factory: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One unit of work: commits on success, rolls back on any error."""
    async with factory() as session, session.begin():
        yield session
