"""Hostile input never produces a 500 or a partial write."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from dataclasses import asdict, replace

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.articles import ArticleListQuery
from service.claims import ClaimListQuery
from service.pagination import listing_kind
from service.quotes import QuoteListQuery

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
        if "outlet" in params:  # a name no outlet has: the unknown-filter rule, nothing else
            assert r.status_code in (404, 422), (path, value, r.status_code, r.text[:200])
            if r.status_code == 404:
                assert r.json()["type"] == "/problems/unknown-filter-value"
                assert r.json()["value"] == value
            continue
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


# --- issue 18: no value reaches the driver unchecked, and no request harms another --------


async def test_an_out_of_range_outlet_id_is_a_4xx_and_leaves_other_requests_alone(
    anon_client: httpx.AsyncClient,
) -> None:
    bad = await asyncio.gather(
        *[anon_client.get("/v1/articles?outlet=99999999999999999999") for _ in range(12)]
    )
    assert {r.status_code for r in bad} == {422}, bad[0].text
    assert all(r.headers["content-type"] == PROBLEM for r in bad)
    ok = await asyncio.gather(*[anon_client.get("/v1/articles?limit=1") for _ in range(30)])
    assert [r.status_code for r in ok] == [200] * 30


@pytest.mark.parametrize(
    "url",
    [
        "/v1/articles?outlet=%C2%B2",  # '²'.isdigit() is true, int('²') fails: a name
        "/v1/quotes?outlet=%C2%B2",
        "/v1/claims?outlet=%C2%B2",
    ],
)
async def test_a_digit_that_is_not_ascii_is_an_outlet_name(
    anon_client: httpx.AsyncClient, url: str
) -> None:
    r = await anon_client.get(url)
    # looked up as a name (no outlet has it), not parsed as an id (which failed with a 500)
    assert r.status_code == 404, r.text
    assert (r.json()["parameter"], r.json()["value"]) == ("outlet", "²")


def _cursor(payload: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


# every listing, the types its cursor carries; each value below broke one or more of them
# list cursors are bound to their filters (service.pagination.listing_kind): the kinds of
# these listings with exactly the query parameters below
_ARTICLES = ArticleListQuery()
LISTINGS = [
    ("/v1/articles", listing_kind("articles:published", asdict(_ARTICLES)), ("date", "id")),
    (
        "/v1/articles?sort=updated",
        listing_kind("articles:updated", asdict(replace(_ARTICLES, sort="updated"))),
        ("date", "id"),
    ),
    (
        "/v1/articles?q=kim",
        listing_kind("articles:rank", asdict(replace(_ARTICLES, q="kim"))),
        ("float", "id"),
    ),
    ("/v1/quotes", listing_kind("quotes:published", QuoteListQuery().model_dump()), ("date", "id")),
    ("/v1/claims", listing_kind("claims:date", ClaimListQuery().model_dump()), ("date", "id")),
    (
        "/v1/claims?sort=score",
        listing_kind("claims:score", ClaimListQuery(sort="score").model_dump()),
        ("float", "id"),
    ),
    (
        "/v1/claims/clusters",
        listing_kind("clusters:articles", {"topic": None, "descendants": True}),
        ("id", "id"),
    ),
    ("/v1/entities", listing_kind("entities:name", {"q": None, "type": []}), ("str", "id")),
    ("/v1/speakers", listing_kind("speakers:count", {"q": None}), ("id", "id")),
    ("/v1/articles/1/revisions", "revisions", ("revision",)),
]
_INTS = [2**63, -(2**63) - 1, 10**40, 1.5, True, "1", None, [1]]
TAMPERED: dict[str, list[object]] = {
    "date": [
        "0001-01-01T00:00:00+14:00",  # year 0 in UTC
        "9999-12-31T23:59:59-14:00",  # year 10000 in UTC
        "2024-01-01T00:00:00",  # no offset
        "2024-13-01T00:00:00Z",
        "x",
        5,
        None,
    ],
    "id": _INTS,
    "revision": [2**31, -1, *_INTS],  # revision numbers are int4
    "float": [2**1100, "1", None, True],
    "str": ["kim\u0000", 5, None],
}
VALID = {"date": "2024-01-01T00:00:00+00:00", "id": 1, "revision": 1, "float": 0.5, "str": "kim"}


def _cursor(payload: list[object]) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(("path", "kind", "types"), LISTINGS)
async def test_every_tampered_cursor_is_400(
    anon_client: httpx.AsyncClient, path: str, kind: str, types: tuple[str, ...]
) -> None:
    sep = "&" if "?" in path else "?"
    wrong = []
    for position, type_ in enumerate(types):
        for value in TAMPERED[type_]:
            values: list[object] = [VALID[t] for t in types]
            values[position] = value
            r = await anon_client.get(f"{path}{sep}cursor={_cursor([kind, *values])}")
            if r.status_code != 400 or r.headers["content-type"] != PROBLEM:
                wrong.append((value, r.status_code, r.text[:100]))
    assert not wrong, wrong
    # the untampered cursor is fine, and so is the next ordinary request
    r = await anon_client.get(f"{path}{sep}cursor={_cursor([kind, *(VALID[t] for t in types)])}")
    assert r.status_code == 200, r.text


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/articles", {"outlet": 2**63, "external_id": "x", "body": "text"}),
        ("POST", "/v1/articles", {"outlet": True, "external_id": "x", "body": "text"}),
        ("POST", "/v1/stories/1:merge", {"story_id": 9223372036854775808}),
        ("POST", "/v1/stories/1:merge", {"story_id": "2"}),
        ("POST", "/v1/stories/1:split", {"article_ids": [2**64]}),
        ("POST", "/v1/entities/1/merge", {"into": 2**63}),
        ("PATCH", "/v1/quotes/1", {"speaker_id": 2**63}),
        ("PATCH", "/v1/quotes/1", {"start": False}),
        ("PATCH", "/v1/quotes/1", {"end": "12"}),
        ("PATCH", "/v1/claims/1", {"not_a_claim": 0}),
        ("PATCH", "/v1/claims/1", {"claimant_id": 10**30}),
    ],
)
async def test_body_values_of_the_wrong_type_or_out_of_range_are_422(
    client: httpx.AsyncClient, db_session: AsyncSession, method: str, path: str, body: object
) -> None:
    before = await _counts(db_session)
    r = await client.request(method, path, json=body)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["errors"]
    assert await _counts(db_session) == before


@pytest.mark.parametrize(
    "url",
    [
        "/v1/articles?outlet=a%00b",
        "/v1/articles?q=a%00b",
        "/v1/quotes?speaker=a%00b",
        "/v1/quotes?q=a%00b",
        "/v1/claims?claimant=a%00b",
        "/v1/claims?topic=a%00b",
        "/v1/claims?q=a%00b",
        "/v1/speakers?q=a%00b",
        "/v1/entities?q=a%00b",
        "/v1/entities?type=A%00B",
        "/v1/topics/a%00b",
        "/v1/claims/clusters?topic=a%00b",
    ],
)
async def test_nul_in_a_query_or_path_parameter_is_400(
    anon_client: httpx.AsyncClient, url: str
) -> None:
    r = await anon_client.get(url)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == PROBLEM
    assert "NUL" in r.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "/v1/articles?since=0001-01-01T00:00:00%2B14:00",
        "/v1/quotes?until=0001-01-01T00:00:00%2B14:00",
        "/v1/claims?since=0001-01-01T00:00:00%2B14:00",
    ],
)
async def test_a_date_before_year_1_in_utc_is_422(anon_client: httpx.AsyncClient, url: str) -> None:
    r = await anon_client.get(url)
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == PROBLEM


async def test_entity_type_is_a_label_not_any_string(anon_client: httpx.AsyncClient) -> None:
    assert (await anon_client.get("/v1/entities?type=false")).status_code == 422
    assert (await anon_client.get("/v1/entities?type=PERSON")).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "raw", "status"),
    [
        ("POST", "/v1/articles", '{"outlet": "a\\u0000", "external_id": "x", "body": "t"}', 422),
        ("POST", "/v1/articles", '{"outlet": "Sur\\ud800", "external_id": "x", "body": "t"}', 400),
        ("POST", "/v1/topics", '{"slug": "nul", "name": "N\\u0000"}', 422),
        ("POST", "/v1/topics", '{"slug": "nul", "name": "N", "description": "\\u0000"}', 422),
        (
            "POST",
            "/v1/topics",
            '{"slug": "k", "name": "K", "rules": {"keywords": ["\\udc00"]}}',
            400,
        ),
        ("POST", "/v1/entities/1/aliases", '{"alias": "x\\u0000"}', 422),
        ("PATCH", "/v1/quotes/1", '{"speaker_text": "x\\u0000"}', 422),
        ("PATCH", "/v1/claims/1", '{"claimant_text": "x\\u0000"}', 422),
        ("PATCH", "/v1/claims/1", '{"topics": ["x\\u0000"]}', 422),
    ],
)
async def test_nul_or_a_lone_surrogate_in_any_body_text_is_a_4xx(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    method: str,
    path: str,
    raw: str,
    status: int,
) -> None:
    before = await _counts(db_session)
    r = await client.request(
        method, path, content=raw.encode(), headers={"content-type": "application/json"}
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["in"] == "body"
    assert await _counts(db_session) == before


async def test_an_oversized_chunked_body_is_413(client: httpx.AsyncClient, app: FastAPI) -> None:
    limit = app.state.settings.max_body_bytes

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: chunked
        yield b'{"outlet": "X", "external_id": "big", "body": "'
        for _ in range(limit // 65536 + 2):
            yield b"a" * 65536
        yield b'"}'

    r = await client.post(
        "/v1/articles", content=chunks(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 413, r.text[:300]
    assert r.headers["content-type"] == PROBLEM


async def test_one_bad_item_in_a_batch_is_rejected_alone(
    client: httpx.AsyncClient, db_session: AsyncSession, clean_store: None
) -> None:
    before = await _counts(db_session)
    raw = (
        '{"items": ['
        '{"outlet": "Wire", "external_id": "ok-1", "body": "First."},'
        '{"outlet": "Wire\\u0000", "external_id": "nul", "body": "Second."},'
        '{"outlet": "Wire", "external_id": "ok-2", "body": "Third."}]}'
    )
    r = await client.post(
        "/v1/articles:batch", content=raw.encode(), headers={"content-type": "application/json"}
    )
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["result"] for x in results] == ["created", "error", "created"]
    assert results[1]["error"]["status"] == 422 and "NUL" in results[1]["error"]["detail"]
    after = await _counts(db_session)
    assert after[:2] == (before[0] + 2, before[1] + 2)
