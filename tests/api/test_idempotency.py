"""Idempotency-Key on POST: retries replay the first response and create nothing twice."""

from __future__ import annotations

import asyncio

import httpx
import orjson
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import Message, Scope

from api.app import create_app
from service import idempotency
from service.settings import Settings

ARTICLE = {
    "outlet": "Idempotent Wire",
    "external_id": "idem-1",
    "title": "Once",
    "body": "A text that must be stored once.",
}


async def _count(db: AsyncSession) -> int:
    n = (
        await db.execute(
            text(
                "SELECT count(*) FROM article_revisions r JOIN articles a ON a.id = r.article_id "
                "WHERE a.external_id LIKE 'idem-%'"
            )
        )
    ).scalar_one()
    await db.rollback()
    return int(n)


async def test_retry_with_same_key_replays_the_first_response(
    client: httpx.AsyncClient, clean_store: None, db_session: AsyncSession
) -> None:
    headers = {"Idempotency-Key": "retry-1"}
    first = await client.post("/v1/articles", json=ARTICLE, headers=headers)
    assert first.status_code == 201
    second = await client.post("/v1/articles", json=ARTICLE, headers=headers)
    assert second.status_code == 201  # the first response, not 200 "unchanged"
    assert second.headers["idempotent-replayed"] == "true"
    assert second.json() == first.json()
    assert second.headers["etag"] == first.headers["etag"]
    assert await _count(db_session) == 1


async def test_same_key_with_a_different_body_is_rejected(
    client: httpx.AsyncClient, clean_store: None, db_session: AsyncSession
) -> None:
    headers = {"Idempotency-Key": "retry-2"}
    assert (await client.post("/v1/articles", json=ARTICLE, headers=headers)).status_code == 201
    r = await client.post(
        "/v1/articles", json={**ARTICLE, "body": "Different text."}, headers=headers
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert await _count(db_session) == 1


async def test_concurrent_duplicates_create_one_article(
    client: httpx.AsyncClient, clean_store: None, db_session: AsyncSession
) -> None:
    headers = {"Idempotency-Key": "race-1"}
    article = {**ARTICLE, "external_id": "idem-race"}
    responses = await asyncio.gather(
        *(client.post("/v1/articles", json=article, headers=headers) for _ in range(10))
    )
    codes = sorted(r.status_code for r in responses)
    assert set(codes) <= {201, 409}
    assert 201 in codes
    assert await _count(db_session) == 1


async def test_without_key_a_repost_is_an_ordinary_no_op(
    client: httpx.AsyncClient, clean_store: None
) -> None:
    article = {**ARTICLE, "external_id": "idem-plain"}
    assert (await client.post("/v1/articles", json=article)).status_code == 201
    r = await client.post("/v1/articles", json=article)
    assert r.status_code == 200
    assert "idempotent-replayed" not in r.headers


async def _records(db: AsyncSession) -> list[tuple[str, int | None, int | None]]:
    rows = (
        await db.execute(
            text("SELECT key, status_code, api_key_id FROM idempotency_records ORDER BY key")
        )
    ).all()
    await db.rollback()
    return [tuple(r) for r in rows]  # type: ignore[misc]


async def test_unauthenticated_writes_store_no_record(
    anon_client: httpx.AsyncClient, clean_store: None, db_session: AsyncSession
) -> None:
    for i in range(20):
        r = await anon_client.post(
            "/v1/articles", json=ARTICLE, headers={"Idempotency-Key": f"anon-{i}"}
        )
        assert r.status_code == 401
    r = await anon_client.post(
        "/v1/articles",
        json=ARTICLE,
        headers={"Idempotency-Key": "bad-key", "Authorization": "Bearer not-a-key"},
    )
    assert r.status_code == 401
    assert await _records(db_session) == []


async def test_a_rate_limited_answer_is_not_replayed(
    settings: Settings, admin_key: str, clean_store: None, db_session: AsyncSession
) -> None:
    # the 429 was stored and replayed after the limit had reset
    limited = create_app(settings.model_copy(update={"rate_limit_per_minute": 1}))
    async with limited.router.lifespan_context(limited):
        transport = httpx.ASGITransport(app=limited, raise_app_exceptions=False)
        async with httpx.AsyncClient(
            transport=transport,
            base_url="http://testserver",
            headers={"Authorization": f"Bearer {admin_key}"},
        ) as c:
            ok = await c.post("/v1/articles", json=ARTICLE, headers={"Idempotency-Key": "k-1"})
            assert ok.status_code == 201
            article = {**ARTICLE, "external_id": "idem-2"}
            r = await c.post("/v1/articles", json=article, headers={"Idempotency-Key": "k-2"})
            assert r.status_code == 429
    [(key, status, key_id)] = await _records(db_session)
    assert (key, status) == ("k-1", 201) and key_id is not None  # tied to the API key


async def test_a_record_expires_after_24_hours(
    app: FastAPI, client: httpx.AsyncClient, clean_store: None, db_session: AsyncSession
) -> None:
    headers = {"Idempotency-Key": "day-old"}
    assert (await client.post("/v1/articles", json=ARTICLE, headers=headers)).status_code == 201
    await db_session.execute(
        text("UPDATE idempotency_records SET created_at = now() - interval '25 hours'")
    )
    await db_session.commit()
    # an expired key is a new one: a different request runs instead of a 422
    changed = {**ARTICLE, "body": "A later text."}
    r = await client.post("/v1/articles", json=changed, headers=headers)
    assert r.status_code == 200 and "idempotent-replayed" not in r.headers
    await db_session.execute(
        text("UPDATE idempotency_records SET created_at = now() - interval '25 hours'")
    )
    await db_session.commit()
    assert await idempotency.purge_expired(app.state.session_factory) == 1
    assert await _records(db_session) == []


async def test_immediate_retries_wait_for_the_first_answer_and_replay_it(
    client: httpx.AsyncClient, clean_store: None, db_session: AsyncSession
) -> None:
    headers = {"Idempotency-Key": "race-wait"}
    article = {**ARTICLE, "external_id": "idem-wait"}
    responses = await asyncio.gather(
        *(client.post("/v1/articles", json=article, headers=headers) for _ in range(30))
    )
    assert [r.status_code for r in responses] == [201] * 30
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.headers.get("idempotent-replayed") == "true" for r in responses) == 29
    assert await _count(db_session) == 1


async def test_a_retry_that_cannot_wait_is_a_409_with_retry_after(
    client: httpx.AsyncClient, clean_store: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    import api.idempotency

    monkeypatch.setattr(api.idempotency, "IN_PROGRESS_WAIT_S", 0.0)
    headers = {"Idempotency-Key": "race-nowait"}
    article = {**ARTICLE, "external_id": "idem-nowait"}
    responses = await asyncio.gather(
        *(client.post("/v1/articles", json=article, headers=headers) for _ in range(10))
    )
    busy = [r for r in responses if r.status_code == 409]
    assert {r.status_code for r in responses} <= {201, 409}
    assert busy, "no retry overtook the first request"
    assert all(r.headers.get("retry-after") == "1" for r in busy)
    assert all(r.headers["content-type"] == "application/problem+json" for r in busy)


async def test_an_unkept_answer_frees_its_key_before_the_client_sees_it(
    settings: Settings, clean_store: None, db_session: AsyncSession
) -> None:
    """A 401 for a made-up key: its placeholder is gone by the time the answer starts, so a
    retry sent the moment the 401 arrives is answered again (401), not 409 "in progress"
    (schemathesis's ignored-auth probes over real HTTP met that 409)."""
    app = create_app(settings)
    body = orjson.dumps(ARTICLE)
    records_at_start: list[object] = []
    statuses: list[int] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            statuses.append(int(message["status"]))
            records_at_start.append(await _records(db_session))

    scope: Scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/articles",
        "raw_path": b"/v1/articles",
        "root_path": "",
        "query_string": b"",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", b"Bearer not-a-key"),
            (b"idempotency-key", b"probe-1"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }
    async with app.router.lifespan_context(app):
        await app(scope, receive, send)
    assert statuses == [401]
    assert records_at_start == [[]]
