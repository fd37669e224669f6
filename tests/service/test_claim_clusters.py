"""Claim clusters written by annotation runs (incremental, ±7 days / same story) and by the
full recluster job, on the seeds annotated for real; and the clusters API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import transaction
from nlp.pipeline import Pipeline
from service import claims as claim_svc
from service.settings import Settings
from tests.fixtures.annotated import drain_jobs

pytestmark = pytest.mark.usefixtures("reset_store_after_module")


async def _artillery_cluster(client: httpx.AsyncClient) -> dict[str, Any]:
    r = await client.get("/v1/claims/clusters", params={"limit": 500})
    assert r.status_code == 200, r.text
    clusters = r.json()["items"]
    for c in clusters:
        detail = (await client.get(f"/v1/claims/clusters/{c['id']}")).json()
        if any("anti-tank missiles" in m["text"] for m in detail["members"]):
            return detail
    raise AssertionError(f"no artillery-shells cluster among {len(clusters)}")


async def test_the_artillery_shells_claim_is_one_cluster_over_three_outlets(
    annotated: None, client: httpx.AsyncClient
) -> None:
    cluster = await _artillery_cluster(client)
    assert cluster["outlet_count"] >= 3 and cluster["article_count"] >= 3
    assert cluster["member_count"] == len(cluster["members"])
    assert all("artillery" in m["text"].lower() for m in cluster["members"])
    assert {m["cluster_id"] for m in cluster["members"]} == {cluster["id"]}
    # the claims filter by cluster gives the same members
    r = await client.get("/v1/claims", params={"cluster_id": cluster["id"]})
    assert {i["id"] for i in r.json()["items"]} == {m["id"] for m in cluster["members"]}
    # and the topic filter on clusters keeps it
    r = await client.get("/v1/claims/clusters", params={"topic": "arms-trade", "limit": 500})
    assert cluster["id"] in {c["id"] for c in r.json()["items"]}
    assert (await client.get("/v1/claims/clusters/999999999")).status_code == 404


async def test_clusters_never_mix_one_articles_claims_only_and_paginate(
    annotated: None, client: httpx.AsyncClient
) -> None:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/v1/claims/clusters", params=params)).json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen and len({c["id"] for c in seen}) == len(seen)
    assert all(c["article_count"] >= 2 for c in seen)
    keys = [(c["article_count"], c["id"]) for c in seen]
    assert keys == sorted(keys, reverse=True)


async def test_reannotation_keeps_the_cluster_and_recluster_all_agrees(
    clean_store: None,
    annotated: None,
    client: httpx.AsyncClient,
    app: FastAPI,
    db_session: AsyncSession,
    settings: Settings,
    pipeline: Pipeline,
) -> None:
    before = await _artillery_cluster(client)
    texts = sorted(m["text"] for m in before["members"])
    aid = before["members"][0]["article_id"]
    assert (await client.post(f"/v1/articles/{aid}/annotate")).status_code in (200, 202)
    await drain_jobs(settings, pipeline)
    after = await _artillery_cluster(client)
    assert sorted(m["text"] for m in after["members"]) == texts

    n = await claim_svc.recluster_all(app.state.session_factory)
    assert n >= 1
    rebuilt = await _artillery_cluster(client)
    assert sorted(m["text"] for m in rebuilt["members"]) == texts
    orphans = (
        await db_session.execute(
            text(
                "SELECT count(*) FROM claim_clusters k WHERE NOT EXISTS "
                "(SELECT 1 FROM claims c WHERE c.cluster_id = k.id)"
            )
        )
    ).scalar_one()
    assert orphans == 0


async def test_measured_cluster_figures(annotated: None, db_session: AsyncSession) -> None:
    """The figures docs/nlp.md quotes for the stored pipeline (incremental assignment)."""
    rows = (
        await db_session.execute(
            text(
                "SELECT cluster_id, count(*) AS n, count(DISTINCT article_id) AS a, "
                "count(DISTINCT outlet_id) AS o FROM claims WHERE cluster_id IS NOT NULL "
                "GROUP BY cluster_id ORDER BY n DESC"
            )
        )
    ).all()
    total = (await db_session.execute(text("SELECT count(*) FROM claims"))).scalar_one()
    print(f"claims={total} clusters={len(rows)} sizes={[r.n for r in rows]}")
    print(f"multi-outlet={[(r.n, r.a, r.o) for r in rows if r.o >= 3]}")
    assert rows and max(r.o for r in rows) >= 3


async def _partition(session: AsyncSession) -> frozenset[frozenset[int]]:
    rows = (
        await session.execute(
            text(
                "SELECT array_agg(id ORDER BY id) FROM claims WHERE cluster_id IS NOT NULL "
                "GROUP BY cluster_id"
            )
        )
    ).scalars()
    return frozenset(frozenset(ids) for ids in rows)


async def test_clusters_come_from_the_batched_job_whatever_its_batch_size(
    clean_store: None, annotated: None, app: FastAPI, db_session: AsyncSession
) -> None:
    """Runs queue their revisions; the cluster_claims job drained the queue with the worker.
    Clustering the same revisions again one per transaction gives the same clusters."""
    queued = "SELECT count(*) FROM claim_clustering_queue"
    assert (await db_session.execute(text(queued))).scalar_one() == 0
    clustered = await _partition(db_session)
    assert any(len(c) >= 3 for c in clustered), clustered
    await db_session.rollback()

    factory = app.state.session_factory
    async with transaction(factory) as s:
        await s.execute(text("UPDATE claims SET cluster_id = NULL"))
        await s.execute(text("DELETE FROM claim_clusters"))
        await s.execute(
            text(
                "INSERT INTO claim_clustering_queue (revision_id) SELECT id FROM article_revisions"
            )
        )
        revisions = (await s.execute(text("SELECT count(*) FROM article_revisions"))).scalar_one()
    assert await claim_svc.clustering_pending(factory)
    assert await claim_svc.cluster_pending(factory, batch=1) == revisions
    assert not await claim_svc.clustering_pending(factory)
    assert await _partition(db_session) == clustered


async def test_a_clustering_job_that_finds_the_lock_taken_ends_at_once(
    clean_store: None, annotated: None, app: FastAPI
) -> None:
    """Two clustering transactions never run together: while one holds the advisory lock a
    second job takes nothing and ends; the holder's queue is drained afterwards."""
    from db.repositories.claim_clusters import CLUSTERING_LOCK

    factory = app.state.session_factory
    async with transaction(factory) as s:
        await s.execute(
            text(
                "INSERT INTO claim_clustering_queue (revision_id) SELECT id FROM article_revisions"
            )
        )
    async with factory() as holder, holder.begin():
        await holder.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": CLUSTERING_LOCK})
        assert await claim_svc.cluster_pending(factory) == 0
        assert await claim_svc.clustering_pending(factory)
    assert await claim_svc.cluster_pending(factory) > 0
    assert not await claim_svc.clustering_pending(factory)


async def test_an_annotation_job_clusters_a_backlog_itself_and_defers_the_rest(
    clean_store: None,
    annotated: None,
    app: FastAPI,
    db_session: AsyncSession,
    settings: Settings,
    pipeline: Pipeline,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """While an archive loads, a deferred cluster_claims job would run after every queued
    annotation job: at CLUSTER_INLINE_AT waiting revisions the finishing job clusters them;
    under it, only the job is deferred."""
    from service import queue as queue_mod

    factory = app.state.session_factory
    requeue = (
        "INSERT INTO claim_clustering_queue (revision_id) SELECT id FROM article_revisions "
        "ON CONFLICT DO NOTHING"
    )
    async with transaction(factory) as s:
        await s.execute(text(requeue))
        waiting = (
            await s.execute(text("SELECT count(*) FROM claim_clustering_queue"))
        ).scalar_one()
    q = queue_mod.JobQueue(settings, queue_mod.WorkerResources(settings, lambda: pipeline))
    await q.open()
    try:
        monkeypatch.setattr(queue_mod, "CLUSTER_INLINE_AT", waiting + 1)
        await q.after_annotation()  # under the threshold: deferred, nothing clustered here
        assert await claim_svc.clustering_backlog(factory) == waiting
        monkeypatch.setattr(queue_mod, "CLUSTER_INLINE_AT", waiting)
        await q.after_annotation()  # at it: clustered by this call
        assert await claim_svc.clustering_backlog(factory) == 0
    finally:
        await q.close()
    jobs = (
        await db_session.execute(
            text(
                "SELECT count(*) FROM procrastinate_jobs "
                "WHERE task_name = 'cluster_claims' AND status = 'todo'"
            )
        )
    ).scalar_one()
    assert jobs == 1  # one waiting job (queueing lock), for whatever comes next
