"""Test harness: a real PostgreSQL per test session.

* Default: an embedded PostgreSQL (the same one `article-store serve` uses) in a temp dir.
* With DATABASE_URL set: a fresh, uniquely named database on that server, dropped afterwards.

Tests that write call the ``clean_store`` fixture: the tables are emptied and the seeds
reloaded after the test, so every test starts from the five seed articles.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from api.app import create_app
from db import migrate
from db.embedded import EmbeddedPostgres
from db.engine import create_engine, libpq_url, session_factory, transaction
from db.models import Base
from nlp.pipeline import Pipeline
from nlp.topics import load_taxonomy as load_taxonomy_file
from service import access
from service.seeds import load_seeds
from service.settings import Settings
from service.topics import load_taxonomy

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = PROJECT_ROOT / "seeds"


def _create_database(server_url: str, name: str) -> str:
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server_url).set(database=name).render_as_string(hide_password=False)


def _drop_database(server_url: str, name: str) -> None:
    with psycopg.connect(libpq_url(server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pipeline() -> Pipeline:
    """The real spaCy pipeline, loaded once per test session."""
    return Pipeline()


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A URL to a PostgreSQL server on which tests may create databases."""
    external = os.environ.get("DATABASE_URL")
    if external:
        yield external
        return
    tmp = Path(tempfile.mkdtemp(prefix="as-test-", dir="/tmp"))
    pg = EmbeddedPostgres(tmp)
    url = pg.start()
    try:
        yield url
    finally:
        pg.stop()
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def make_database(pg_server_url: str) -> Iterator[object]:
    created: list[str] = []

    def factory(prefix: str = "as_test") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        created.append(name)
        return _create_database(pg_server_url, name)

    yield factory
    for name in created:
        _drop_database(pg_server_url, name)


@pytest.fixture(scope="session")
def database_url(make_database: object) -> str:
    url: str = make_database()  # type: ignore[operator]
    migrate.upgrade(url, "head")
    asyncio.run(_reset_store(url))
    return url


async def _reset_store(url: str) -> None:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with transaction(session_factory(engine)) as session:
            tables = ", ".join(
                f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name != "api_keys"
            )
            from sqlalchemy import text

            # a test that left a transaction open would otherwise hang the suite here
            await session.execute(text("SET LOCAL lock_timeout = '15s'"))
            await session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            # and the job queue, so no job left by one test acts on the next test's rows
            await session.execute(
                text(
                    "TRUNCATE procrastinate_events, procrastinate_periodic_defers, "
                    "procrastinate_jobs, procrastinate_workers RESTART IDENTITY CASCADE"
                )
            )
            await load_seeds(session, SEEDS_DIR)
        # the shipped taxonomy, as migration 0005 leaves it (its own transaction)
        async with session_factory(engine)() as session:
            await load_taxonomy(session, load_taxonomy_file())
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        seeds_dir=SEEDS_DIR,
        run_worker=False,
        db_pool_size=5,
        rate_limit_per_minute=100_000,
        anon_rate_limit_per_minute=100_000,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def admin_key(app: FastAPI) -> str:
    """An admin-scope API key; the default ``client`` sends it."""
    return (await access.create_key(app.state.session_factory, "tests-admin", "admin")).token


@pytest.fixture
async def client(app: FastAPI, admin_key: str) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client over ASGI, authenticated with an admin key."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(
        transport=transport,
        base_url="http://testserver",
        headers={"Authorization": f"Bearer {admin_key}"},
    ) as c:
        yield c


@pytest.fixture
async def anon_client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client over ASGI that sends no API key."""
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


@pytest.fixture
async def clean_store(database_url: str) -> AsyncIterator[None]:
    """For tests that write: afterwards the store is back to exactly the seeds."""
    yield
    await _reset_store(database_url)


@pytest.fixture
async def db_session(app: FastAPI) -> AsyncIterator[object]:
    """A session for direct SQL checks; request it *after* ``clean_store``."""
    async with app.state.session_factory() as session:
        yield session
        await session.rollback()
