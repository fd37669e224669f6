"""The hot reads send as few statements as docs/benchmarks.md ("Issue 17 reads") says: each
statement costs the API more Python than PostgreSQL takes to answer it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import event

# shared fixtures: the seeds annotated for real; the store reset after this module
pytestmark = pytest.mark.usefixtures("reset_store_after_module")


@contextmanager
def statements(app: FastAPI) -> Iterator[list[str]]:
    """The statements the app sends while the block runs."""
    sent: list[str] = []
    engines = {app.state.engine.sync_engine, app.state.read_engine.sync_engine}

    def count(conn: Any, cursor: Any, stmt: str, *args: Any) -> None:
        sent.append(stmt)

    for engine in engines:
        event.listen(engine, "before_cursor_execute", count)
    try:
        yield sent
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", count)


async def test_annotations_view_is_one_statement(
    annotated: None, app: FastAPI, anon_client: httpx.AsyncClient
) -> None:
    for params in ({}, {"revision": 1}):
        with statements(app) as sent:
            r = await anon_client.get("/v1/articles/1/annotations", params=params)
        assert r.status_code == 200 and r.json()["quotes"] and r.json()["claims"]
        assert len(sent) == 1, sent


async def test_revision_diff_is_one_statement(
    annotated: None, app: FastAPI, anon_client: httpx.AsyncClient
) -> None:
    with statements(app) as sent:
        r = await anon_client.get("/v1/articles/1/diff")
    assert r.status_code == 200 and r.json()["annotations"]["available"] is True
    assert len(sent) == 1, sent
    with statements(app) as sent:
        r = await anon_client.get("/v1/diff", params={"left": 1, "right": 2})
    assert r.status_code == 200
    # each side's article and revision, then the annotations of both in one statement
    assert len(sent) == 5, sent


async def test_claims_by_topic_is_one_statement(
    annotated: None, app: FastAPI, anon_client: httpx.AsyncClient
) -> None:
    first = (await anon_client.get("/v1/claims")).json()["items"][0]
    topic = first["topics"][0]["slug"]
    with statements(app) as sent:
        r = await anon_client.get("/v1/claims", params={"topic": topic})
    items = r.json()["items"]
    assert r.status_code == 200 and items and all(i["topics"] for i in items)
    assert len(sent) == 1, sent  # the page, its topic tree and each claim's topics in one
    # an empty page asks once more whether the topic exists: empty list or 404
    with statements(app) as sent:
        r = await anon_client.get("/v1/claims", params={"topic": topic, "until": "1900-01-01"})
    assert r.status_code == 200 and r.json()["items"] == []
    assert len(sent) == 2, sent
    with statements(app) as sent:
        r = await anon_client.get("/v1/claims", params={"topic": "no-such-topic-anywhere"})
    assert r.status_code == 404 and r.json()["parameter"] == "topic"
    assert len(sent) == 2, sent


async def test_articles_list_is_one_statement_plus_filters_and_total(
    annotated: None, app: FastAPI, anon_client: httpx.AsyncClient
) -> None:
    with statements(app) as sent:
        r = await anon_client.get("/v1/articles")
    items = r.json()["items"]
    assert r.status_code == 200 and items
    assert all(i["annotation_status"] == "done" and i["topics"] for i in items)
    assert len(sent) == 1, sent  # the page, each item with its status and topics
    outlet = items[0]["outlet"]["name"]
    with statements(app) as sent:
        r = await anon_client.get("/v1/articles", params={"outlet": outlet})
    assert r.status_code == 200 and r.json()["items"]
    assert len(sent) == 2, sent  # the outlet's id, then the page
    for count in ("exact", "estimated"):  # a few rows: estimated counts them exactly
        with statements(app) as sent:
            r = await anon_client.get(
                "/v1/articles", params={"outlet": outlet}, headers={"Prefer": f"count={count}"}
            )
        assert r.status_code == 200 and r.json()["total"] == len(r.json()["items"])
        assert len(sent) == 2, (count, sent)  # the outlet's id, the page with its count
    topic = items[0]["topics"][0]["slug"]
    with statements(app) as sent:
        r = await anon_client.get("/v1/articles", params={"topic": topic})
    assert r.status_code == 200 and r.json()["items"]
    assert len(sent) == 2, sent  # the topic tree, then the page
