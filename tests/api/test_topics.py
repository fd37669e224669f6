"""/v1/topics: the taxonomy tree, admin edits, cycles, deletes and reclassification."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from nlp.pipeline import Pipeline
from service import topics as topic_svc
from service.settings import Settings
from tests.fixtures.annotated import drain_jobs

pytestmark = pytest.mark.usefixtures("reset_store_after_module")


async def _children(client: httpx.AsyncClient, parent: str) -> set[str]:
    r = await client.get("/v1/topics", params={"parent": parent, "limit": 500})
    assert r.status_code == 200, r.text
    return {t["slug"] for t in r.json()["items"]}


async def test_topics_tree_has_the_shipped_taxonomy_with_iptc_codes(
    taxonomy: None, anon_client: httpx.AsyncClient
) -> None:
    r = await anon_client.get("/v1/topics", params={"depth": 0})
    assert r.status_code == 200, r.text
    roots = {t["slug"]: t for t in r.json()["items"]}
    assert len(roots) == 17 and {"conflict-war-peace", "politics", "economy", "sport"} <= set(roots)
    conflict = roots["conflict-war-peace"]
    assert conflict["iptc_code"] == "medtop:16000000" and conflict["parent"] is None
    assert conflict["source"] == "iptc" and conflict["depth"] == 0 and conflict["child_count"]
    arms = (await anon_client.get("/v1/topics/arms-trade")).json()
    assert arms["parent"] == "conflict-war-peace" and arms["source"] == "custom"
    assert arms["iptc_code"] is None and arms["depth"] == 1 and arms["rules"]["keywords"]
    assert await _children(anon_client, "arms-trade") == {"artillery", "missiles"}
    r = await anon_client.get("/v1/topics/no-such-topic")
    assert r.status_code == 404 and "no-such-topic" in r.json()["detail"]


async def test_topics_list_pages_through_the_whole_iptc_tree(
    taxonomy: None, anon_client: httpx.AsyncClient
) -> None:
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = (await anon_client.get("/v1/topics", params=params)).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    slugs = [t["slug"] for t in seen]
    assert slugs == sorted(slugs) and len(slugs) == len(set(slugs))
    iptc = [t for t in seen if t["source"] == "iptc"]
    assert len(iptc) >= 1000 and all(t["iptc_code"].startswith("medtop:") for t in iptc)
    assert {t["slug"] for t in seen if t["source"] == "custom"} >= {
        "arms-trade",
        "missiles",
        "nuclear-weapons",
    }
    assert "rules" not in seen[0]


async def test_topic_by_iptc_code_in_the_path_and_with_code(
    taxonomy: None, anon_client: httpx.AsyncClient, client: httpx.AsyncClient
) -> None:
    r = await anon_client.get("/v1/topics/medtop:15000000")
    assert r.status_code == 200, r.text
    assert r.json()["slug"] == "sport" and r.json()["rules"]["keywords"]
    assert (await anon_client.get("/v1/topics/MEDTOP:15000000")).json()["slug"] == "sport"
    assert (await anon_client.get("/v1/topics/medtop:99999999")).status_code == 404
    r = await anon_client.get("/v1/topics", params={"code": "medtop:20001065"})
    assert [t["slug"] for t in r.json()["items"]] == ["soccer"]
    assert r.json()["items"][0]["parent"] == "competition-discipline"
    assert (await anon_client.get("/v1/topics", params={"code": "medtop:1"})).json()["items"] == []
    # one path for GET, PATCH and DELETE: the writes take a code too (and need a key)
    assert (await anon_client.patch("/v1/topics/medtop:15000000", json={})).status_code == 401
    r = await client.patch("/v1/topics/medtop:15000000", json={"name": "Sport"})
    assert r.status_code == 200 and r.json()["slug"] == "sport", r.text
    assert (await client.delete("/v1/topics/medtop:99999999")).status_code == 404


async def test_topics_parent_and_depth_browse_the_tree(
    taxonomy: None, anon_client: httpx.AsyncClient
) -> None:
    sport = await _children(anon_client, "sport")
    assert {"competition-discipline", "sport-event", "transfer"} <= sport
    assert "soccer" in await _children(anon_client, "competition-discipline")
    assert await _children(anon_client, "medtop:15000000") == sport
    r = await anon_client.get("/v1/topics", params={"parent": "sport", "depth": 1})
    assert {t["slug"] for t in r.json()["items"]} == sport
    assert all(t["depth"] == 1 and t["parent"] == "sport" for t in r.json()["items"])
    r = await anon_client.get("/v1/topics", params={"parent": "sport", "depth": 2})
    assert r.json()["items"] == []
    r = await anon_client.get("/v1/topics", params={"depth": 1, "limit": 500})
    assert all(t["depth"] == 1 for t in r.json()["items"]) and len(r.json()["items"]) > 17
    # an unknown parent is 404, like an unknown claims topic
    r = await anon_client.get("/v1/topics", params={"parent": "no-such-topic"})
    assert r.status_code == 404 and r.json()["parameter"] == "parent"
    r = await anon_client.get("/v1/topics", params={"depth": -1})
    assert r.status_code == 422


async def test_topics_q_finds_topics_by_name_with_keyset_pages(
    taxonomy: None, anon_client: httpx.AsyncClient
) -> None:
    r = await anon_client.get("/v1/topics", params={"q": "FOOTBALL"})
    names = [t["name"] for t in r.json()["items"]]
    assert "American football" in names and all("football" in n.lower() for n in names)
    first = await anon_client.get("/v1/topics", params={"q": "football", "limit": 2})
    assert len(first.json()["items"]) == 2 and first.json()["next_cursor"]
    rest = await anon_client.get(
        "/v1/topics", params={"q": "football", "limit": 500, "cursor": first.json()["next_cursor"]}
    )
    paged = [t["name"] for t in first.json()["items"] + rest.json()["items"]]
    assert paged == names
    # the cursor belongs to its filters
    r = await anon_client.get(
        "/v1/topics", params={"q": "film", "cursor": first.json()["next_cursor"]}
    )
    assert r.status_code == 400
    # LIKE wildcards are literal
    assert (await anon_client.get("/v1/topics", params={"q": "%"})).json()["items"] == []


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
    assert r.json()["source"] == "user" and r.json()["depth"] == 3
    assert (
        await client.post("/v1/topics", json={"slug": "drones", "name": "x"})
    ).status_code == 409
    r = await client.post("/v1/topics", json={"slug": "x-y", "name": "x", "parent": "nope"})
    assert r.status_code == 422 and "nope" in r.text
    r = await client.post("/v1/topics", json={"slug": "Bad Slug", "name": "x"})
    assert r.status_code == 422
    assert "drones" in await _children(client, "military-technology")

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
    assert "arms-trade" not in await _children(client, "conflict-war-peace")


async def test_load_taxonomy_is_idempotent_and_restores_edited_rules(
    clean_store: None, taxonomy: None, app: FastAPI, client: httpx.AsyncClient
) -> None:
    r = await client.patch("/v1/topics/space", json={"rules": {"keywords": ["moon"]}})
    assert r.json()["rules"]["keywords"] == ["moon"]
    async with app.state.session_factory() as s:
        report = await topic_svc.load_shipped_taxonomy(s)
    assert report.created == [] and report.retired == [] and "space" in report.updated
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
