"""Limits and concurrency: filter-value caps, statement timeouts, one URL ingested by many."""

from __future__ import annotations

import asyncio

import httpx
import psycopg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from db.engine import libpq_url
from service.settings import Settings

PROBLEM = "application/problem+json"


async def test_too_many_filter_values_is_400(client: httpx.AsyncClient) -> None:
    params = [("outlet", f"o{i}") for i in range(51)]
    r = await client.get("/v1/articles", params=params)
    assert r.status_code == 400
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["max_values"] == 50
    # 50 values are accepted (ones naming no outlet would be a 404, docs/api.md "Filters")
    ok = await client.get("/v1/articles", params=[("outlet", "Associated Press")] * 50)
    assert ok.status_code == 200
    unknown = await client.get("/v1/articles", params=params[:50])
    assert unknown.status_code == 404 and unknown.json()["value"] == "o0"


async def test_readyz_reports_database_queue_and_live_workers(
    client: httpx.AsyncClient, settings: Settings, db_session: AsyncSession
) -> None:
    """Not ready while no annotation worker sends heartbeats (none, dead or stalled), counted
    in the queue's table so a worker in another process or machine counts too."""
    await db_session.execute(text("DELETE FROM procrastinate_workers"))
    await db_session.commit()
    r = await client.get("/readyz")
    assert r.status_code == 503
    assert r.headers["content-type"] == PROBLEM
    assert (r.json()["database"], r.json()["queue"], r.json()["workers"]) == ("ok", "ok", 0)
    assert "worker" in r.json()["detail"] and r.headers["retry-after"]
    worker_id = (
        await db_session.execute(text("SELECT procrastinate_register_worker_v1()"))
    ).scalar_one()
    await db_session.commit()
    try:
        r = await client.get("/readyz")
        assert r.status_code == 200
        assert r.json() == {"status": "ok", "database": "ok", "queue": "ok", "workers": 1}
        # its heartbeat stops (a killed worker): older than worker_stalled_seconds
        await db_session.execute(
            text(
                "UPDATE procrastinate_workers SET last_heartbeat = now() - make_interval("
                "secs => :s + 1) WHERE id = :w"
            ),
            {"s": settings.worker_stalled_seconds, "w": worker_id},
        )
        await db_session.commit()
        assert (await client.get("/readyz")).status_code == 503
        # a deployment may choose not to check workers
        app = create_app(settings.model_copy(update={"readiness_min_workers": 0}))
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
        ):
            r = await c.get("/readyz")
        assert r.status_code == 200 and r.json()["workers"] == 0
    finally:
        await db_session.execute(text("DELETE FROM procrastinate_workers"))
        await db_session.commit()


async def test_statement_timeout_is_503_with_retry_hint(settings: Settings) -> None:
    """A query stuck behind a lock hits the statement timeout: 503, not a hung worker."""
    assert settings.database_url
    app = create_app(settings.model_copy(update={"statement_timeout_ms": 300}))
    with psycopg.connect(libpq_url(settings.database_url)) as blocker:
        blocker.execute("LOCK TABLE articles IN ACCESS EXCLUSIVE MODE")
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
        ):
            r = await c.get("/v1/articles")
        blocker.rollback()
    assert r.status_code == 503
    assert r.headers["content-type"] == PROBLEM
    assert int(r.headers["retry-after"]) >= 1
    assert "timeout" in r.json()["detail"]
    assert "SELECT" not in r.text


async def test_concurrent_ingest_of_one_url_makes_one_article_with_consistent_revisions(
    client: httpx.AsyncClient, clean_store: None, db_session: AsyncSession
) -> None:
    async def post(i: int) -> httpx.Response:
        return await client.post(
            "/v1/articles",
            json={
                "outlet": "Race Wire",
                "url": "https://race.example/story?utm_source=x"
                if i % 2
                else "https://RACE.example/story/",
                "body": f"Version {i % 5} of the story.",
            },
        )

    responses = await asyncio.gather(*(post(i) for i in range(30)))
    assert {r.status_code for r in responses} <= {200, 201}
    assert sum(r.status_code == 201 for r in responses) == 1
    changed = sum(r.json()["result"] in ("created", "revised") for r in responses)
    rows = (
        await db_session.execute(
            text(
                "SELECT a.id, r.number, a.current_revision FROM articles a "
                "JOIN article_revisions r ON r.article_id = a.id "
                "JOIN outlets o ON o.id = a.outlet_id WHERE o.name = 'Race Wire' ORDER BY r.number"
            )
        )
    ).all()
    assert len({r.id for r in rows}) == 1, "the same URL became several articles"
    numbers = [r.number for r in rows]
    assert numbers == list(range(1, len(numbers) + 1)), "revision numbers skip or repeat"
    assert len(numbers) == changed
    assert rows[0].current_revision == numbers[-1]
