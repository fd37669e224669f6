"""Hostile input never produces a 500 or a partial write."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

PROBLEM = "application/problem+json"
INJECTIONS = [
    "' OR '1'='1",
    "'; DROP TABLE articles; --",
    '" OR ""="',
    "1; SELECT pg_sleep(5)",
    "%' UNION SELECT key_hash FROM api_keys --",
    "\\x00",
    "Robert'); DELETE FROM quotes;--",
]


async def _counts(db: AsyncSession) -> tuple[int, ...]:
    row = (
        await db.execute(
            text(
                "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_revisions),"
                " (SELECT count(*) FROM quotes), (SELECT count(*) FROM api_keys)"
            )
        )
    ).one()
    await db.rollback()
    return tuple(row)


@pytest.mark.parametrize("depth", [1_000, 100_000])
async def test_deeply_nested_json_is_a_4xx(
    client: httpx.AsyncClient, depth: int, db_session: AsyncSession
) -> None:
    before = await _counts(db_session)
    body = "[" * depth + "]" * depth
    r = await client.post(
        "/v1/articles", content=body, headers={"content-type": "application/json"}
    )
    assert 400 <= r.status_code < 500, r.text[:300]
    assert r.headers["content-type"] == PROBLEM
    assert await _counts(db_session) == before


async def test_ten_megabyte_body_is_413(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/articles",
        json={"outlet": "X", "external_id": "big", "body": "a" * (10 * 1024 * 1024)},
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == PROBLEM


@pytest.mark.parametrize("value", INJECTIONS)
async def test_injection_strings_in_text_filters_change_nothing(
    client: httpx.AsyncClient, db_session: AsyncSession, value: str
) -> None:
    before = await _counts(db_session)
    for path, params in [
        ("/v1/articles", {"outlet": value}),
        ("/v1/articles", {"q": value}),
        ("/v1/quotes", {"speaker": value}),
        ("/v1/quotes", {"q": value}),
        ("/v1/quotes", {"outlet": value}),
        ("/v1/speakers", {"q": value}),
        ("/v1/entities", {"q": value}),
    ]:
        r = await client.get(path, params=params)
        assert r.status_code in (200, 400, 422), (path, value, r.status_code, r.text[:200])
        if r.status_code == 200:
            assert r.json()["items"] == [] or (path == "/v1/articles" and "q" not in params)
    assert await _counts(db_session) == before


async def test_invalid_json_is_400_malformed(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/articles", content=b'{"outlet": ', headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.headers["content-type"] == PROBLEM
    assert "JSON" in r.json()["title"]


async def test_wrong_json_type_is_422_naming_the_field(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/articles", json={"outlet": "X", "external_id": 5, "body": []})
    assert r.status_code == 422
    fields = {e["field"] for e in r.json()["errors"]}
    assert {"external_id", "body"} <= fields
