"""/v1/topics: the taxonomy tree, admin edits, cycles, deletes and reclassification."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from nlp.pipeline import Pipeline
from nlp.topics import load_taxonomy
from service import topics as topic_svc
from service.settings import Settings
from tests.fixtures.annotated import drain_jobs

pytestmark = pytest.mark.usefixtures("reset_store_after_module")


def _find(nodes: list[dict[str, Any]], slug: str) -> dict[str, Any] | None:
    for n in nodes:
        if n["slug"] == slug:
            return n
        found = _find(n["children"], slug)
        if found:
            return found
    return None


async def test_topics_tree_has_the_shipped_taxonomy_with_iptc_codes(
    taxonomy: None, anon_client: httpx.AsyncClient
) -> None:
    r = await anon_client.get("/v1/topics")
    assert r.status_code == 200, r.text
    roots = r.json()["items"]
    assert {n["slug"] for n in roots} >= {"conflict-war-peace", "politics", "economy"}
    conflict = _find(roots, "conflict-war-peace")
    assert conflict and conflict["iptc_code"] == "medtop:16000000" and conflict["parent"] is None
    arms = _find(roots, "arms-trade")
    assert arms and arms["parent"] == "conflict-war-peace"
    assert {c["slug"] for c in arms["children"]} == {"artillery", "missiles"}
    assert arms["rules"]["keywords"]
    assert (await anon_client.get("/v1/topics/arms-trade")).json()["name"] == arms["name"]
    r = await anon_client.get("/v1/topics/no-such-topic")
    assert r.status_code == 404 and "no-such-topic" in r.json()["detail"]


async def test_topic_edits_need_an_admin_key(
    taxonomy: None, anon_client: httpx.AsyncClient, app: FastAPI
) -> None:
    from service import access

    body = {"slug": "drones", "name": "Drones"}
    assert (await anon_client.post("/v1/topics", json=body)).status_code == 401
    writer = (await access.create_key(app.state.session_factory, "topics-writer", "write")).token
    headers = {"X-API-Key": writer}
    r = await anon_client.post("/v1/topics", json=body, headers=headers)
    assert r.status_code == 403 and r.json()["required_scope"] == "admin"
    r = await anon_client.patch("/v1/topics/space", json={"name": "x"}, headers=headers)
    assert r.status_code == 403
    r = await anon_client.post("/v1/topics/space:reclassify", headers=headers)
    assert r.status_code == 403


async def test_create_edit_cycle_and_delete_rules(
    clean_store: None, taxonomy: None, client: httpx.AsyncClient
) -> None:
    r = await client.post(
        "/v1/topics",
        json={
            "slug": "drones",
            "name": "Drones",
            "parent": "military-technology",
            "rules": {"keywords": ["drone", {"term": "uav", "weight": 0.5}]},
        },
    )
    assert r.status_code == 201, r.text
    assert r.headers["location"] == "/v1/topics/drones"
    assert r.json()["rules"]["keywords"] == ["drone", {"term": "uav", "weight": 0.5}]
    assert (
        await client.post("/v1/topics", json={"slug": "drones", "name": "x"})
    ).status_code == 409
    r = await client.post("/v1/topics", json={"slug": "x-y", "name": "x", "parent": "nope"})
    assert r.status_code == 422 and "nope" in r.text
    r = await client.post("/v1/topics", json={"slug": "Bad Slug", "name": "x"})
    assert r.status_code == 422
    # the parent topic now includes the new child (closure maintained)
    tree = (await client.get("/v1/topics")).json()["items"]
    science = _find(tree, "science-technology")
    assert science and _find(science["children"], "drones")

    # a cycle: science-technology under its own grandchild
    r = await client.patch("/v1/topics/science-technology", json={"parent": "drones"})
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    r = await client.patch("/v1/topics/drones", json={"parent": "drones"})
    assert r.status_code == 409
    # a legal move, then an edit
    r = await client.patch("/v1/topics/drones", json={"parent": "arms-trade", "iptc_code": "x:1"})
    assert r.status_code == 200 and r.json()["parent"] == "arms-trade"
    assert r.json()["iptc_code"] == "x:1"
    r = await client.patch("/v1/topics/drones", json={"name": None})
    assert r.status_code == 422
    r = await client.patch("/v1/topics/drones", json={"colour": "red"})
    assert r.status_code == 422

    # delete: children → 409 unless cascade
    r = await client.delete("/v1/topics/arms-trade")
    assert r.status_code == 409 and "cascade" in r.json()["detail"]
    assert (await client.delete("/v1/topics/drones")).status_code == 204
    assert (await client.delete("/v1/topics/drones")).status_code == 404
    assert (
        await client.delete("/v1/topics/arms-trade", params={"cascade": "true"})
    ).status_code == 204
    for slug in ("arms-trade", "artillery", "missiles"):
        assert (await client.get(f"/v1/topics/{slug}")).status_code == 404
    conflict = _find((await client.get("/v1/topics")).json()["items"], "conflict-war-peace")
    assert conflict and not _find(conflict["children"], "arms-trade")


async def test_load_taxonomy_is_idempotent_and_restores_edited_rules(
    clean_store: None, taxonomy: None, app: FastAPI, client: httpx.AsyncClient
) -> None:
    r = await client.patch("/v1/topics/space", json={"rules": {"keywords": ["moon"]}})
    assert r.json()["rules"]["keywords"] == ["moon"]
    async with app.state.session_factory() as s:
        report = await topic_svc.load_taxonomy(s, load_taxonomy())
    assert report.created == [] and "space" in report.updated
    assert (await client.get("/v1/topics/space")).json()["rules"]["keywords"] != ["moon"]


async def _links(session: AsyncSession, slug: str) -> dict[int, tuple[float, str]]:
    rows = await session.execute(
        text(
            "SELECT ct.claim_id, ct.score, ct.source FROM claim_topics ct "
            "JOIN topics t ON t.id = ct.topic_id WHERE t.slug = :s"
        ),
        {"s": slug},
    )
    return {int(r.claim_id): (float(r.score), r.source) for r in rows}


async def test_reclassify_after_a_rules_edit_relinks_but_keeps_curated_links(
    clean_store: None,
    annotated: None,
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Settings,
    pipeline: Pipeline,
) -> None:
    before = await _links(db_session, "food-security")
    await db_session.rollback()
    # curate one claim that mentions Ukraine: it gets food-security by hand
    claims = (await client.get("/v1/claims", params={"q": "Ukraine", "limit": 5})).json()["items"]
    curated_id = claims[0]["id"]
    r = await client.patch(f"/v1/claims/{curated_id}", json={"topics": ["food-security"]})
    assert r.status_code == 200, r.text
    assert [t["source"] for t in r.json()["topics"]] == ["curated"]

    # new rules: only "Ukraine" matches now
    r = await client.patch(
        "/v1/topics/food-security", json={"rules": {"keywords": ["Ukraine"], "weight": 0.7}}
    )
    assert r.status_code == 200
    r = await client.post("/v1/topics/food-security:reclassify")
    assert r.status_code == 202, r.text
    assert r.json()["status"] == "queued" and r.json()["job_id"]
    await drain_jobs(settings, pipeline)

    after = await _links(db_session, "food-security")
    assert after != before
    assert after[curated_id] == (1.0, "curated")
    ukraine = (
        (
            await db_session.execute(
                text(
                    "SELECT id FROM claims WHERE text ILIKE '%Ukraine%' AND NOT topics_curated "
                    "AND NOT not_a_claim"
                )
            )
        )
        .scalars()
        .all()
    )
    assert ukraine and all(after.get(int(i), (0, ""))[1] == "auto" for i in ukraine)
    assert all(src == "curated" or cid in ukraine for cid, (_, src) in after.items()), (
        "auto links left on claims the new rules do not match"
    )
    # the filter sees the new links
    items = (await client.get("/v1/claims", params={"topic": "food-security", "limit": 500})).json()
    assert {i["id"] for i in items["items"]} == set(after)
    # unknown topic
    assert (await client.post("/v1/topics/nope:reclassify")).status_code == 404
