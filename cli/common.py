"""What every command shares: the consoles, the settings, and the one error wrapper."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service import bootstrap
from service.settings import Settings, get_settings

console = Console(stderr=True)  # messages and progress bars
out = Console()  # tables and reports
T = TypeVar("T")


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def load_settings() -> Settings:
    get_settings.cache_clear()
    try:
        return get_settings()
    except Exception as exc:  # pydantic ValidationError on bad env values
        raise fail(f"invalid configuration: {exc}") from exc


def _user_errors() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import OperationalError

    from db.embedded import EmbeddedPostgresError

    return (EmbeddedPostgresError, OperationalError, ConnectionError, OSError)


@contextmanager
def open_store(
    settings: Settings, *, migrate: bool = False, allow_shared: bool = True
) -> Iterator[bootstrap.Database]:
    """The database the command works on (embedded unless DATABASE_URL is set), migrated to
    head if asked; a database, connection or OS error inside becomes one ``error:`` line."""
    try:
        with bootstrap.open_database(settings, allow_shared=allow_shared) as db:
            if migrate:
                bootstrap.migrate_to_head(db.url)
            yield db
    except _user_errors() as exc:
        raise fail(str(exc).strip()) from exc


def run_with_sessions(
    url: str, fn: Callable[[async_sessionmaker[AsyncSession]], Awaitable[T]]
) -> T:
    """Run ``fn(session_factory)`` on a small pool of its own (closed afterwards)."""
    from db.engine import create_engine, session_factory

    async def run() -> T:
        engine = create_engine(url, pool_size=1, max_overflow=0)
        try:
            return await fn(session_factory(engine))
        finally:
            await engine.dispose()

    return asyncio.run(run())
