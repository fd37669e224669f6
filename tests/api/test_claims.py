"""GET/PATCH /v1/claims on the seeds annotated for real: topic filters (with descendants),
claimant, pagination, bad input, curation across re-annotation and revisions, the diff."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from nlp.pipeline import Pipeline
from service.settings import Settings
from tests.fixtures.annotated import drain_jobs

# shared fixtures: the taxonomy loaded, the seeds annotated; the store reset after this module
pytestmark = pytest.mark.usefixtures("reset_store_after_module")


async def _all(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = await client.get("/v1/claims", params=query)
        assert r.status_code == 200, r.text
        page = r.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def test_arms_trade_returns_claims_from_at_least_four_of_five_articles(
    annotated: None, anon_client: httpx.AsyncClient
) -> None:
    items = await _all(anon_client, topic="arms-trade", limit=500)
    assert len({i["article_id"] for i in items}) >= 4
    for i in items:
        assert i["topics"], i
        assert {
            "id",
            "article_id",
            "revision",
            "text",
            "start",
            "end",
            "claimant",
            "claimant_text",
            "quote_id",
            "topics",
            "score",
            "cluster_id",
        } <= set(i)
        assert set(i["topics"][0]) >= {"slug", "name", "score"}
    texts = " ".join(i["text"] for i in items).lower()
    assert "artillery" in texts


async def test_parent_topic_includes_its_childrens_claims_unless_switched_off(
    annotated: None, client: httpx.AsyncClient
) -> None:
    parent = {i["id"] for i in await _all(client, topic="conflict-war-peace", limit=500)}
    for child in ("arms-trade", "artillery", "missiles", "armed-conflict"):
        ids = {i["id"] for i in await _all(client, topic=child, limit=500)}
        assert ids and ids <= parent, child
    only = await _all(client, topic="conflict-war-peace", include_descendants="false", limit=500)
    assert all(any(t["slug"] == "conflict-war-peace" for t in i["topics"]) for i in only)
    assert len(only) < len(parent)
    # the IPTC code names the same topic
    by_code = {i["id"] for i in await _all(client, topic="medtop:16000000", limit=500)}
    assert by_code == parent


async def test_bad_input_is_a_problem_not_an_empty_list(
    annotated: None, client: httpx.AsyncClient
) -> None:
    r = await client.get("/v1/claims", params={"topic": "arms-trad"})
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "arms-trad" in r.json()["detail"]
    r = await client.get("/v1/claims/clusters", params={"topic": "arms-trad"})
    assert r.status_code == 404
    for bad in ("2", "-0.1", "x"):
        r = await client.get("/v1/claims", params={"min_score": bad})
        assert r.status_code == 422, bad
        assert r.headers["content-type"].startswith("application/problem+json")
    assert (await client.get("/v1/claims", params={"topik": "x"})).status_code == 400
    assert (await client.get("/v1/claims", params={"cursor": "junk"})).status_code == 400
    assert (await client.get("/v1/claims", params={"sort": "best"})).status_code == 422
    assert (await client.get("/v1/claims/999999999")).status_code == 404


async def test_claimant_min_score_outlet_and_text_filters(
    annotated: None, client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    miller = await _all(client, claimant="Miller", limit=500)
    assert miller and {i["claimant"]["name"] for i in miller} == {"Matthew Miller"}
    by_id = await _all(client, claimant_id=miller[0]["claimant"]["id"], limit=500)
    assert {i["id"] for i in by_id} == {i["id"] for i in miller}
    assert await _all(client, claimant="Nobody Atall") == []
    # the outlet is the claimant of its reporters' own assertions
    nyt = await _all(client, claimant="the new york times", limit=500)
    assert nyt and all(
        i["claimant"] is None and i["claimant_text"] == "The New York Times" for i in nyt
    )
    high = await _all(client, min_score=0.9, limit=500)
    assert high and all(i["score"] >= 0.9 for i in high)
    assert len(high) < len(await _all(client, limit=500))
    shells = await _all(client, q="artillery shells", limit=500)
    assert shells and all("artillery" in i["text"].lower() for i in shells)
    outlet = shells[0]["outlet"]["name"]
    assert {i["outlet"]["name"] for i in await _all(client, outlet=outlet, limit=500)} == {outlet}
    article = shells[0]["article_id"]
    assert {i["article_id"] for i in await _all(client, article_id=article)} == {article}
    # text is exactly the revision's body[start:end]
    rows = (
        await db_session.execute(
            text(
                "SELECT count(*) FROM claims c JOIN article_revisions r ON r.id = c.revision_id "
                "WHERE substr(r.body, c.span_start + 1, c.span_end - c.span_start) <> c.text"
            )
        )
    ).scalar_one()
    assert rows == 0


async def test_keyset_pagination_by_date_and_by_score_sees_every_claim_once(
    annotated: None, client: httpx.AsyncClient
) -> None:
    everything = await _all(client, limit=500)
    for sort in ("date", "score"):
        paged = await _all(client, sort=sort, limit=7)
        assert [i["id"] for i in paged] != [] and len(paged) == len(everything)
        assert len({i["id"] for i in paged}) == len(paged)
        keys = [(i["published_at"] if sort == "date" else i["score"], i["id"]) for i in paged]
        assert keys == sorted(keys, reverse=True)
    r = await client.get("/v1/claims", params={"sort": "score", "limit": 3})
    cursor = r.json()["next_cursor"]
    r = await client.get("/v1/claims", params={"sort": "date", "cursor": cursor})
    assert r.status_code == 400


async def test_single_claim_has_features(annotated: None, client: httpx.AsyncClient) -> None:
    first = (await client.get("/v1/claims", params={"limit": 1})).json()["items"][0]
    r = await client.get(f"/v1/claims/{first['id']}")
    assert r.status_code == 200
    assert r.json()["features"] and r.json()["text"] == first["text"]


async def _reannotate(client: httpx.AsyncClient, article_id: int, s: Settings, p: Pipeline) -> None:
    r = await client.post(f"/v1/articles/{article_id}/annotate")
    assert r.status_code in (200, 202), r.text
    await drain_jobs(s, p)


async def test_curation_survives_reannotation_and_not_a_claim_hides_it(
    clean_store: None,
    annotated: None,
    client: httpx.AsyncClient,
    anon_client: httpx.AsyncClient,
    settings: Settings,
    pipeline: Pipeline,
) -> None:
    shells = await _all(client, q="artillery shells", limit=500)
    target, hidden = shells[0], shells[1]
    assert (
        await anon_client.patch(f"/v1/claims/{target['id']}", json={"topics": []})
    ).status_code == 401
    r = await client.patch(
        f"/v1/claims/{target['id']}",
        json={"topics": ["diplomacy"], "claimant_text": "a fact-checker"},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["curated"] and body["claimant_text"] == "a fact-checker"
    assert body["topics"] == [
        {"slug": "diplomacy", "name": body["topics"][0]["name"], "score": 1.0, "source": "curated"}
    ]
    r = await client.patch(f"/v1/claims/{target['id']}", json={"topics": ["no-such"]})
    assert r.status_code == 422 and "no-such" in r.text
    assert (await client.patch(f"/v1/claims/{target['id']}", json={})).status_code == 422
    r = await client.patch(f"/v1/claims/{hidden['id']}", json={"not_a_claim": True})
    assert r.status_code == 200 and r.json()["not_a_claim"]
    assert hidden["id"] not in {i["id"] for i in await _all(client, limit=500)}

    await _reannotate(client, target["article_id"], settings, pipeline)
    if hidden["article_id"] != target["article_id"]:
        await _reannotate(client, hidden["article_id"], settings, pipeline)
    after = {i["id"]: i for i in await _all(client, article_id=target["article_id"], limit=500)}
    assert target["id"] in after
    kept = after[target["id"]]
    assert kept["claimant_text"] == "a fact-checker"
    assert [t["slug"] for t in kept["topics"]] == ["diplomacy"]
    # no machine twin of the curated claim came back, nor of the hidden one
    same_span = [
        i for i in after.values() if i["start"] < target["end"] and i["end"] > target["start"]
    ]
    assert [i["id"] for i in same_span] == [target["id"]]
    again = await _all(client, article_id=hidden["article_id"], limit=500)
    assert not [i for i in again if i["start"] < hidden["end"] and i["end"] > hidden["start"]]


async def test_new_revision_carries_curated_claims_and_the_diff_lists_claims(
    clean_store: None,
    annotated: None,
    client: httpx.AsyncClient,
    settings: Settings,
    pipeline: Pipeline,
    app: FastAPI,
) -> None:
    shells = await _all(client, q="artillery shells", limit=500)
    target = shells[0]
    aid = target["article_id"]
    r = await client.patch(f"/v1/claims/{target['id']}", json={"topics": ["missiles"]})
    assert r.status_code == 200
    article = await client.get(f"/v1/articles/{aid}")
    etag = article.headers["etag"]
    body = (await client.get(f"/v1/articles/{aid}/annotations")).json()["text"]
    new_sentence = "The Kremlin said on Wednesday that Russia will send 500 tanks to Mongolia.\n\n"
    new_body = new_sentence + body
    r = await client.put(f"/v1/articles/{aid}", json={"body": new_body}, headers={"If-Match": etag})
    assert r.status_code in (200, 201), r.text
    await drain_jobs(settings, pipeline)

    current = await _all(client, article_id=aid, limit=500)
    assert {i["revision"] for i in current} == {2}
    carried = [i for i in current if i["curated"]]
    assert len(carried) == 1
    moved = carried[0]
    assert moved["text"] == target["text"] and moved["start"] == target["start"] + len(new_sentence)
    assert moved["anchor_status"] == "moved"
    assert [t["slug"] for t in moved["topics"]] == ["missiles"]

    r = await client.get(f"/v1/articles/{aid}/diff", params={"from": 1, "to": 2})
    assert r.status_code == 200, r.text
    claims = r.json()["annotations"]["claims"]
    assert any("Mongolia" in c["text"] for c in claims["only_new"])
    assert claims["both"]


async def test_claims_by_topic_uses_the_closure_and_indexes(
    annotated: None, db_session: AsyncSession
) -> None:
    from db.repositories import claims as repo
    from service.topics import resolve_topic_ids

    ids = await resolve_topic_ids(db_session, "conflict-war-peace")
    stmt = repo._apply(repo._base(), repo._claim_params(repo.ClaimFilter(topic_ids=ids)))
    stmt = stmt.order_by(repo.claims.c.published_at.desc(), repo.claims.c.id.desc()).limit(50)
    compiled = stmt.compile(
        dialect=db_session.get_bind().dialect, compile_kwargs={"literal_binds": True}
    )
    await db_session.execute(text("SET LOCAL enable_seqscan = off"))
    plan = "\n".join(r[0] for r in await db_session.execute(text(f"EXPLAIN {compiled}")))
    assert "Recursive" not in plan and "CTE" not in plan
    assert "Seq Scan on claim_topics" not in plan, plan
    # the topic filter is an index probe: by topic, or per claim (EXISTS … = ANY)
    assert "ix_claim_topics_topic_id_claim_id" in plan or "pk_claim_topics" in plan, plan
