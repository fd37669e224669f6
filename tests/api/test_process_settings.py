"""The API process runs with the settings its benchmarks were made with: database sessions
without parallel query and with a statement timeout, start-up objects frozen out of the GC."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import text


async def test_api_sessions_disable_parallel_query_and_set_a_timeout(app: FastAPI) -> None:
    async with app.state.session_factory() as session:
        workers = (await session.execute(text("SHOW max_parallel_workers_per_gather"))).scalar()
        timeout = (await session.execute(text("SHOW statement_timeout"))).scalar()
    assert (workers, timeout) == ("0", "10s")
    # read routes' connections (no session): the same settings, and autocommit
    async with app.state.read_connections.connect() as conn:
        workers = (await conn.execute(text("SHOW max_parallel_workers_per_gather"))).scalar()
        timeout = (await conn.execute(text("SHOW statement_timeout"))).scalar()
        # autocommit: each statement its own transaction (now() is a transaction's start)
        first = (await conn.execute(text("SELECT now()"))).scalar()
        second = (await conn.execute(text("SELECT now()"))).scalar()
    assert (workers, timeout) == ("0", "10s")
    assert first != second


async def test_startup_objects_are_frozen_out_of_the_gc(app: FastAPI) -> None:
    import gc

    # after start-up the long-lived objects sit in the permanent generation, so a full
    # collection under load does not walk them (it took ~110 ms: the API's p99 tail)
    assert gc.get_freeze_count() > 50_000
