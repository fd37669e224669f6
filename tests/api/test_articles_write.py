"""Writes: POST /v1/articles, :batch, PUT with If-Match, revisions, full-text search."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

PROBLEM = "application/problem+json"
HTML_PAGE = """<html><head><title>Ferry strike ends</title>
<meta name="author" content="Ann Writer"></head><body>
<nav>Home | World | Sports</nav>
<article><h1>Ferry strike ends after nine days</h1>
<p>The ferry workers' union accepted a new contract on Tuesday, ending a strike that
had stranded thousands of island residents for more than a week.</p>
<p>Union leader Maria Lopez said the agreement raised wages by six percent and capped
overtime, two demands members had made since the spring.</p>
<p>Service on all routes resumes Wednesday morning, the port authority said.</p>
</article><footer>Copyright</footer></body></html>"""


async def _counts(session: AsyncSession) -> tuple[int, int, int]:
    row = (
        await session.execute(
            text(
                "SELECT (SELECT count(*) FROM articles), (SELECT count(*) FROM article_revisions),"
                " (SELECT count(*) FROM outlets)"
            )
        )
    ).one()
    await session.rollback()
    return int(row[0]), int(row[1]), int(row[2])


def _article(**over: object) -> dict[str, object]:
    base: dict[str, object] = {
        "outlet": "Test Wire",
        "url": "https://Example.com/news/ferry-strike/?utm_source=x&id=7",
        "title": "Ferry strike ends",
        "published_at": "2024-03-05T10:00:00Z",
        "body": "The ferry strike ended on Tuesday.\nService resumes Wednesday.",
    }
    base.update(over)
    return base


async def test_post_creates_then_revises_then_is_a_no_op(
    client: httpx.AsyncClient, clean_store: None
) -> None:
    r = await client.post("/v1/articles", json=_article())
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["result"] == "created" and body["revision"] == 1
    assert r.headers["etag"] == body["etag"] == f'"{body["id"]}-1"'
    assert r.headers["location"] == f"/v1/articles/{body['id']}"
    assert body["url"] == "https://example.com/news/ferry-strike?id=7"

    # same identity under a cosmetic URL variant, different body → revision 2
    variant = _article(url="http://www.example.com/news/ferry-strike?id=7&fbclid=abc", body="New")
    r2 = await client.post("/v1/articles", json=variant)
    assert r2.status_code == 200 and r2.json()["result"] == "revised"
    assert r2.json()["id"] == body["id"] and r2.json()["revision"] == 2

    # byte-identical after normalising line endings → nothing stored
    r3 = await client.post("/v1/articles", json=_article(url=variant["url"], body="New"))
    assert r3.json()["result"] == "unchanged" and r3.json()["revision"] == 2
    revs = (await client.get(f"/v1/articles/{body['id']}/revisions")).json()["items"]
    assert [v["number"] for v in revs] == [1, 2]
    assert revs[0]["change_stats"] is None
    assert revs[1]["change_stats"]["words_added"] >= 1


async def test_crlf_variant_of_the_body_is_unchanged(
    client: httpx.AsyncClient, clean_store: None
) -> None:
    await client.post("/v1/articles", json=_article(external_id="crlf", url=None, body="a\nb\n"))
    r = await client.post(
        "/v1/articles", json=_article(external_id="crlf", url=None, body="a\r\nb\r\n")
    )
    assert r.json()["result"] == "unchanged"


async def test_reposting_every_seed_is_a_no_op(
    client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    from service.seeds import read_manifest
    from tests.fixtures.paths import SEEDS_DIR

    before = await _counts(db_session)
    for seed in read_manifest(SEEDS_DIR):
        a = seed.article
        r = await client.post(
            "/v1/articles",
            json={
                "outlet": a.outlet,
                "external_id": a.external_id,
                "title": a.title,
                "published_at": a.published_at.isoformat() if a.published_at else None,
                "body": a.body,
            },
        )
        assert r.status_code == 200 and r.json()["result"] == "unchanged", r.text
    assert await _counts(db_session) == before


async def test_html_is_extracted_and_raw_html_kept(
    client: httpx.AsyncClient, clean_store: None
) -> None:
    r = await client.post(
        "/v1/articles",
        json={"outlet": "Island News", "external_id": "ferry-1", "html": HTML_PAGE},
    )
    assert r.status_code == 201, r.text
    art = r.json()
    assert art["title"] and "Ferry strike" in art["title"]
    assert art["byline"] == "Ann Writer"
    rev = (await client.get(f"/v1/articles/{art['id']}/revisions/1")).json()
    assert rev["source_format"] == "html" and rev["raw_html"] == HTML_PAGE
    assert "Maria Lopez" in rev["body"] and "Home | World" not in rev["body"]


@pytest.mark.parametrize(
    ("payload", "status", "needle"),
    [
        ({"html": "<html><head><script>x()</script></head><body></body></html>"}, 422, "no "),
        ({"body": "x", "html": HTML_PAGE}, 422, "exactly one"),
        ({"body": "   \n"}, 422, "empty"),
        ({"body": "nul \x00 char"}, 422, "NUL"),
        ({"body": "no identity", "external_id": None}, 422, "url or an external_id"),
        ({"body": "unknown outlet", "outlet": 999999}, 422, "no outlet"),
        ({"body": "typo", "boddy": "x"}, 422, "boddy"),
    ],
)
async def test_bad_input_is_a_problem_and_nothing_is_stored(
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    clean_store: None,
    payload: dict[str, object],
    status: int,
    needle: str,
) -> None:
    before = await _counts(db_session)
    item = {"outlet": "Never Stored", "external_id": "bad-1", **payload}
    r = await client.post("/v1/articles", json=item)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    assert needle in r.json()["detail"]
    assert await _counts(db_session) == before


async def test_non_utf8_bytes_are_400_and_oversize_is_413(
    client: httpx.AsyncClient, db_session: AsyncSession, app: object, clean_store: None
) -> None:
    before = await _counts(db_session)
    raw = b'{"outlet": "X", "external_id": "e", "body": "caf\xe9"}'
    r = await client.post("/v1/articles", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400 and r.headers["content-type"].startswith(PROBLEM)
    # valid JSON escaping an unpaired surrogate: not encodable as UTF-8
    raw = b'{"outlet": "X", "external_id": "e", "body": "bad \\ud800 surrogate"}'
    r = await client.post("/v1/articles", content=raw, headers={"content-type": "application/json"})
    assert r.status_code == 400 and "UTF-8" in r.json()["detail"], r.text
    limit = app.state.settings.max_body_bytes  # type: ignore[attr-defined]
    big = {"outlet": "X", "external_id": "big", "body": "a" * (limit + 10)}
    r = await client.post("/v1/articles", json=big)
    assert r.status_code == 413 and r.headers["content-type"].startswith(PROBLEM)
    assert await _counts(db_session) == before


async def test_service_rejects_an_oversize_body_even_without_the_middleware(
    db_session: AsyncSession,
) -> None:
    from service.articles import ArticleInput, create_article
    from service.errors import PayloadTooLarge

    with pytest.raises(PayloadTooLarge):
        await create_article(
            db_session, ArticleInput(outlet="X", external_id="e", body="ab" * 100), max_bytes=50
        )


async def test_put_needs_if_match_and_rejects_a_stale_etag(
    client: httpx.AsyncClient, clean_store: None
) -> None:
    r = await client.get("/v1/articles/1")
    etag = r.headers["etag"]
    r = await client.put("/v1/articles/1", json={"body": "edited"})
    assert r.status_code == 428 and r.headers["content-type"].startswith(PROBLEM)
    r = await client.put("/v1/articles/1", json={"body": "edited"}, headers={"If-Match": etag})
    assert r.status_code == 200 and r.json()["revision"] == 2 and r.json()["result"] == "revised"
    assert r.headers["etag"] != etag
    r = await client.put("/v1/articles/1", json={"body": "again"}, headers={"If-Match": etag})
    assert r.status_code == 412
    assert r.json()["current_etag"] == '"1-2"'
    assert (await client.get("/v1/articles/1")).json()["body"] == "edited"
    r = await client.put("/v1/articles/999999", json={"body": "x"}, headers={"If-Match": "*"})
    assert r.status_code == 404


async def test_concurrent_puts_with_one_etag_exactly_one_wins(
    client: httpx.AsyncClient, clean_store: None
) -> None:
    etag = (await client.get("/v1/articles/2")).headers["etag"]

    async def put(i: int) -> int:
        r = await client.put(
            "/v1/articles/2", json={"body": f"concurrent edit {i}"}, headers={"If-Match": etag}
        )
        return r.status_code

    codes = await asyncio.gather(*(put(i) for i in range(100)))
    assert codes.count(200) == 1
    assert codes.count(412) == 99
    revs = (await client.get("/v1/articles/2/revisions")).json()["items"]
    assert [v["number"] for v in revs] == [1, 2]


async def test_batch_is_all_or_nothing_per_item(
    client: httpx.AsyncClient, db_session: AsyncSession, clean_store: None
) -> None:
    before = await _counts(db_session)
    items = [
        {"outlet": "Batch Wire", "external_id": "b1", "body": "First batch article."},
        {"outlet": "Batch Wire", "external_id": "b2", "html": "<html><body></body></html>"},
        {"outlet": "Batch Wire", "external_id": "b3", "body": "bad SURROGATE"},
        {"outlet": "Batch Wire", "external_id": "b1", "body": "First batch article, v2."},
        {"outlet": "Batch Wire", "external_id": "b1", "body": "First batch article, v2."},
    ]
    raw = json.dumps({"items": items}).replace("SURROGATE", "\\ud800")
    r = await client.post(
        "/v1/articles:batch", content=raw, headers={"content-type": "application/json"}
    )
    assert r.status_code == 200, r.text
    res = r.json()["results"]
    assert [x["result"] for x in res] == ["created", "error", "error", "revised", "unchanged"]
    assert res[1]["error"]["status"] == 422 and res[2]["error"]["status"] == 400
    assert r.json()["summary"] == {"created": 1, "revised": 1, "unchanged": 1, "failed": 2}
    after = await _counts(db_session)
    assert after == (before[0] + 1, before[1] + 2, before[2] + 1)


async def test_batch_limits(client: httpx.AsyncClient) -> None:
    r = await client.post("/v1/articles:batch", json={"items": []})
    assert r.status_code == 422
    many = [{"outlet": "X", "external_id": str(i), "body": "x"} for i in range(1001)]
    r = await client.post("/v1/articles:batch", json={"items": many})
    assert r.status_code == 422


async def test_revision_reads_and_404s(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/articles/2/revisions/1")
    assert r.status_code == 200
    rev = r.json()
    assert rev["number"] == 1 and len(rev["sha256"]) == 64 and rev["char_count"] == len(rev["body"])
    assert (await client.get("/v1/articles/2/revisions/9")).status_code == 404
    assert (await client.get("/v1/articles/999999/revisions")).status_code == 404
    assert (await client.get("/v1/articles/999999/revisions/1")).status_code == 404


async def test_full_text_search_is_ranked_and_paginated(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/articles", params={"q": "armored train"})
    assert r.status_code == 200
    items = r.json()["items"]
    assert items, "seeds mention Kim's armored train"
    r = await client.get("/v1/articles", params={"q": "Kim Putin", "limit": 2})
    seen = [i["id"] for i in r.json()["items"]]
    cursor = r.json()["next_cursor"]
    while cursor:
        r = await client.get(
            "/v1/articles", params={"q": "Kim Putin", "limit": 2, "cursor": cursor}
        )
        seen += [i["id"] for i in r.json()["items"]]
        cursor = r.json()["next_cursor"]
    assert len(seen) == len(set(seen)) == 5
    r = await client.get(
        "/v1/articles",
        params={"q": "Kim", "outlet": "Associated Press"},
        headers={"Prefer": "count=exact"},
    )
    assert r.json()["total"] == 2
    r = await client.get("/v1/articles", params={"q": "zzzunmatchedzzz"})
    assert r.json()["items"] == []
    # a cursor of another sort order is refused
    r = await client.get("/v1/articles", params={"limit": 1})
    r = await client.get("/v1/articles", params={"q": "Kim", "cursor": r.json()["next_cursor"]})
    assert r.status_code == 400


async def test_if_match_compares_strongly_and_a_malformed_one_is_a_400(
    client: httpx.AsyncClient, clean_store: None
) -> None:
    etag = (await client.get("/v1/articles/1")).headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    # a weak tag never matches in If-Match (RFC 9110 §13.1.1), even with the current value
    r = await client.put("/v1/articles/1", json={"body": "weak"}, headers={"If-Match": f"W/{etag}"})
    assert r.status_code == 412, r.text
    for malformed in (etag.strip('"'), '"1-1', "1-1, *x", "W/1-1"):
        r = await client.put(
            "/v1/articles/1", json={"body": "bad"}, headers={"If-Match": malformed}
        )
        assert r.status_code == 400, (malformed, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert "If-Match" in r.json()["detail"]
    # a list holding the current tag matches
    r = await client.put(
        "/v1/articles/1", json={"body": "listed"}, headers={"If-Match": f'"0-0", {etag}'}
    )
    assert r.status_code == 200, r.text
