"""Annotation status on articles, re-annotation, and enqueueing after commit."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable

import httpx
import psycopg
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import libpq_url
from nlp.pipeline import Pipeline
from service.jobs import ENQUEUE_TIMEOUT_S, JobHandOff
from service.queue import JobQueue, WorkerResources
from service.settings import Settings


async def _jobs_for_runs(db: AsyncSession) -> dict[int, str]:
    rows = await db.execute(
        text(
            "SELECT r.id, j.status::text FROM annotation_runs r "
            "JOIN procrastinate_jobs j ON j.id = r.job_id"
        )
    )
    out = {int(r[0]): str(r[1]) for r in rows}
    await db.rollback()
    return out


async def test_new_article_is_pending_and_queued_after_commit(
    client: httpx.AsyncClient, clean_store: None, db_session: AsyncSession
) -> None:
    r = await client.post(
        "/v1/articles",
        json={"outlet": "Wire", "external_id": "ann-1", "body": '"Hello," she said.'},
    )
    assert r.status_code == 201
    article_id = r.json()["id"]
    detail = (await client.get(f"/v1/articles/{article_id}")).json()
    assert detail["annotation_status"] == "pending"
    assert detail["annotation"]["status"] == "pending"
    jobs = await _jobs_for_runs(db_session)
    assert list(jobs.values()) == ["todo"], "the run was not handed to the queue"


async def test_annotate_endpoint_queues_a_run_and_worker_completes_it(
    client: httpx.AsyncClient,
    clean_store: None,
    settings: Settings,
    pipeline: Pipeline,
    db_session: AsyncSession,
) -> None:
    r = await client.post("/v1/articles/1/annotate")
    assert r.status_code == 202
    run_id = r.json()["run_id"]
    assert r.json()["status"] == "pending"
    queue = JobQueue(settings, WorkerResources(settings, pipeline_factory=lambda: pipeline))
    await queue.open()
    try:
        await queue.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)
    finally:
        await queue.close()
    detail = (await client.get("/v1/articles/1")).json()
    assert detail["annotation_status"] == "done"
    assert detail["annotation"]["pipeline_version"] == pipeline.version
    done = (
        await db_session.execute(
            text("SELECT status FROM annotation_runs WHERE id = :r"), {"r": run_id}
        )
    ).scalar_one()
    assert done == "done"


async def test_annotate_unknown_article_is_404(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/articles/424242/annotate")
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


async def test_annotate_needs_write_scope(anon_client: httpx.AsyncClient) -> None:
    assert (await anon_client.post("/v1/articles/1/annotate")).status_code == 401


async def test_write_answers_promptly_when_the_queue_is_unreachable(
    app: FastAPI,
    client: httpx.AsyncClient,
    clean_store: None,
    make_database: Callable[[str], str],
    pg_server_url: str,
    db_session: AsyncSession,
) -> None:
    """The write commits, then the queue's database vanishes: the 201 must not wait on the
    queue's pool (30 s); the run stays pending for the worker's sweep."""
    queue_url = make_database("as_gone_queue")
    queue = JobQueue(Settings(database_url=queue_url))
    await queue.open()
    with psycopg.connect(libpq_url(pg_server_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{make_url(queue_url).database}" WITH (FORCE)')
    saved = app.state.jobs
    app.state.jobs = JobHandOff(queue)
    try:
        t0 = time.monotonic()
        r = await client.post(
            "/v1/articles",
            json={"outlet": "Wire", "external_id": "no-queue", "body": '"Hi," she said.'},
        )
        took = time.monotonic() - t0
    finally:
        app.state.jobs = saved
        with contextlib.suppress(Exception):
            async with asyncio.timeout(5):
                await queue.close()
    assert r.status_code == 201, r.text
    assert took < ENQUEUE_TIMEOUT_S + 5, f"the committed write waited {took:.1f}s on the queue"
    detail = (await client.get(f"/v1/articles/{r.json()['id']}")).json()
    assert detail["annotation_status"] == "pending"
    assert await _jobs_for_runs(db_session) == {}, "no job should exist: the queue was gone"
