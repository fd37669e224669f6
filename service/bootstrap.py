"""Start-up use cases shared by the CLI: which database, migrate, seed when empty."""

from __future__ import annotations

import asyncio
import contextlib
import json
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


@dataclass(frozen=True, slots=True)
class Database:
    url: str
    embedded: bool
    owner: bool  # this process started it and will stop it


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
        yield Database(url, embedded=True, owner=True)
    finally:
        pg.stop()


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


async def run_worker(settings: Settings, url: str, *, concurrency: int = 1) -> None:
    """Run annotation jobs until SIGINT/SIGTERM.

    First retry jobs left by dead workers and hand over runs nobody enqueued, so a
    restarted deployment resumes at once instead of at the next minute's sweep."""
    from service.queue import JobQueue

    queue = JobQueue(settings.model_copy(update={"database_url": url}))
    await queue.open()
    try:
        # load spaCy before taking jobs: the first job is not slowed by it, and a worker
        # registered with the queue is one ready to work
        await asyncio.to_thread(lambda: queue.resources.pipeline)
        await queue.sweep(orphans_older_than=0)
        await queue.run_worker(concurrency=concurrency)
    finally:
        await queue.close()
