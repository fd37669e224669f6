"""Annotation status on articles, re-annotation, and enqueueing after commit."""

from __future__ import annotations

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from nlp.pipeline import Pipeline
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
