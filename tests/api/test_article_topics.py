"""Article topics: each annotated revision gets ranked topics (article_topics), the article
list filters on them (GET /v1/articles?topic=, descendants included) and items carry them."""

from __future__ import annotations

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from db.engine import transaction
from nlp.pipeline import Pipeline
from service.settings import Settings
from tests.fixtures.annotated import drain_jobs, post_annotated, revise_annotated
from tests.fixtures.news import EXPECTED_TOP, FLOOD, FOOTBALL, MERGER

pytestmark = pytest.mark.usefixtures("reset_store_after_module")


async def _article_topics(app: FastAPI, article_id: int) -> list[tuple[int, str, int, float]]:
    async with transaction(app.state.session_factory) as s:
        rows = await s.execute(
            text(
                "SELECT r.number, t.slug, at.rank, at.score FROM article_topics at "
                "JOIN article_revisions r ON r.id = at.revision_id "
                "JOIN topics t ON t.id = at.topic_id WHERE r.article_id = :a "
                "ORDER BY r.number, at.rank"
            ),
            {"a": article_id},
        )
        return [(int(n), str(slug), int(rank), float(sc)) for n, slug, rank, sc in rows]


async def test_each_new_article_gets_its_top_level_topic_first(
    clean_store: None,
    taxonomy: None,
    client: httpx.AsyncClient,
    settings: Settings,
    pipeline: Pipeline,
) -> None:
    for name, (top, body) in EXPECTED_TOP.items():
        article_id, _ = await post_annotated(client, settings, pipeline, body, f"topics-{name}")
        article = (await client.get(f"/v1/articles/{article_id}")).json()
        topics = article["topics"]
        assert topics and topics[0]["slug"] == top, (name, topics)
        assert topics[0]["depth"] == 0 and topics[0]["iptc_code"].startswith("medtop:")
        assert 0 < topics[0]["score"] <= 1
        if len(topics) > 1 and topics[1]["depth"] > 0:  # its most specific topic, ranked next
            r = await client.get(f"/v1/topics/{topics[1]['slug']}")
            assert r.status_code == 200


async def test_articles_filter_on_topic_with_descendants_and_items_carry_topics(
    clean_store: None,
    taxonomy: None,
    client: httpx.AsyncClient,
    settings: Settings,
    pipeline: Pipeline,
) -> None:
    football, _ = await post_annotated(client, settings, pipeline, FOOTBALL, "t-football")
    merger, _ = await post_annotated(client, settings, pipeline, MERGER, "t-merger")

    r = await client.get("/v1/articles", params={"topic": "sport"})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["id"] for i in items] == [football]
    assert items[0]["topics"][0]["slug"] == "sport"
    # by IPTC code, and through a descendant: the specific topic the text supports
    by_code = await client.get("/v1/articles", params={"topic": "medtop:15000000"})
    assert [i["id"] for i in by_code.json()["items"]] == [football]
    soccer = await client.get("/v1/articles", params={"topic": "soccer"})
    assert [i["id"] for i in soccer.json()["items"]] == [football]
    assert [
        i["id"]
        for i in (await client.get("/v1/articles", params={"topic": "economy"})).json()["items"]
    ] == [merger]
    # the seeds (not annotated here) and the two others are not about weather
    assert (await client.get("/v1/articles", params={"topic": "weather"})).json()["items"] == []
    # an unknown topic is 404 naming it, as for claims?topic=
    r = await client.get("/v1/articles", params={"topic": "no-such-topic"})
    assert r.status_code == 404 and r.json()["parameter"] == "topic"
    assert "no-such-topic" in r.json()["detail"]
    # every list item has topics (empty for articles never annotated)
    listed = (await client.get("/v1/articles", params={"limit": 50})).json()["items"]
    assert all("topics" in i for i in listed)
    assert {i["id"]: bool(i["topics"]) for i in listed if i["id"] in (football, merger)} == {
        football: True,
        merger: True,
    }


async def test_a_new_revision_replaces_the_article_topics_and_the_filter_follows(
    clean_store: None,
    taxonomy: None,
    app: FastAPI,
    client: httpx.AsyncClient,
    settings: Settings,
    pipeline: Pipeline,
) -> None:
    article_id, _ = await post_annotated(client, settings, pipeline, FOOTBALL, "t-rev")
    first = await _article_topics(app, article_id)
    assert first and first[0][:3] == (1, "sport", 0)
    assert [rank for _, _, rank, _ in first] == list(range(len(first)))
    await revise_annotated(client, settings, pipeline, article_id, FLOOD)
    rows = await _article_topics(app, article_id)
    assert [r for r in rows if r[0] == 1] == first  # revision 1 keeps its own
    assert next(r for r in rows if r[0] == 2)[1] == "disaster-accident-emergency-incident"
    sport = (await client.get("/v1/articles", params={"topic": "sport"})).json()["items"]
    assert article_id not in [i["id"] for i in sport]  # the current revision is about a flood
    # re-annotating the same revision replaces its set (no duplicate, same ranks)
    r = await client.post(f"/v1/articles/{article_id}/annotate")
    assert r.status_code == 202, r.text
    await drain_jobs(settings, pipeline)
    assert await _article_topics(app, article_id) == rows
