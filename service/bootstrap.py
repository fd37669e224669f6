"""Start-up use cases shared by the CLI: which database, migrate, seed when empty."""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from db import migrate
from db.embedded import DataDirLocked, EmbeddedPostgres
from db.engine import create_engine, session_factory, transaction
from db.repositories.articles import count_all_articles
from service.seeds import load_seeds
from service.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Database:
    url: str
    embedded: bool
    owner: bool  # this process started it and will stop it
    server: EmbeddedPostgres | None = None  # the embedded server, when this process owns it


def _server_file(data_dir: Path) -> Path:
    return data_dir.expanduser() / "server.json"


@contextlib.contextmanager
def open_database(settings: Settings, *, allow_shared: bool = True) -> Iterator[Database]:
    """The configured database, or the embedded one (started now, stopped on exit).

    With ``allow_shared``, a data dir already served by a running ``article-store serve``
    is used through that server's PostgreSQL instead of failing.
    """
    if settings.database_url:
        yield Database(settings.database_url, embedded=False, owner=False)
        return
    pg = EmbeddedPostgres(settings.data_dir)
    try:
        url = pg.start()
    except DataDirLocked:
        info = _server_file(settings.data_dir)
        if allow_shared and info.exists():
            yield Database(json.loads(info.read_text())["url"], embedded=True, owner=False)
            return
        raise
    try:
        _remove_stale_server_file(settings)
        yield Database(url, embedded=True, owner=True, server=pg)
    finally:
        pg.stop()


def _remove_stale_server_file(settings: Settings) -> None:
    """We own the data dir now, so a server.json there was left by a `serve` that died."""
    path = _server_file(settings.data_dir)
    try:
        stale = json.loads(path.read_text())
    except FileNotFoundError:
        return
    except (OSError, ValueError):
        stale = {}
    logger.warning(
        "removing %s left by an earlier server (pid %s) that did not stop cleanly",
        path,
        stale.get("pid", "?") if isinstance(stale, dict) else "?",
    )
    path.unlink(missing_ok=True)


def publish_server_url(settings: Settings, url: str) -> None:
    path = _server_file(settings.data_dir)
    path.write_text(json.dumps({"url": url, "pid": os.getpid()}))


def unpublish_server_url(settings: Settings) -> None:
    _server_file(settings.data_dir).unlink(missing_ok=True)


async def seed_if_empty(settings: Settings, url: str, *, force: bool = False) -> int:
    """Load the seed articles when the store has none (or always with ``force``).

    Returns how many revisions were created (0 when everything was already there)."""
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        factory = session_factory(engine)
        async with transaction(factory) as session:
            if not force and await count_all_articles(session) > 0:
                return 0
            results = await load_seeds(session, settings.seeds_dir)
            return sum(1 for r in results if r.changed)
    finally:
        await engine.dispose()


def migrate_to_head(url: str) -> None:
    migrate.upgrade(url, "head")


async def run_worker(settings: Settings, url: str, *, concurrency: int = 1) -> int:
    """Run annotation jobs until SIGINT/SIGTERM; returns the process's exit code.

    Each (re)start first retries jobs left by dead workers and hands over runs nobody
    enqueued, so a restarted deployment resumes at once instead of at the next minute's
    sweep; a worker that stops by itself (database outage) is started again
    (service.worker_loop)."""
    from service.worker_loop import run_worker_process

    return await run_worker_process(
        settings.model_copy(update={"database_url": url}), concurrency=concurrency
    )
