"""Idempotency-Key on POST: retries replay the first response and create nothing twice."""

from __future__ import annotations

import asyncio

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

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
