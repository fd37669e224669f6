"""API keys, scopes and rate limits."""

from __future__ import annotations

import httpx
from fastapi import FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from api.app import create_app
from service import access
from service.settings import Settings

PROBLEM = "application/problem+json"
NEW_ARTICLE = {
    "outlet": "Test Wire",
    "external_id": "access-1",
    "title": "t",
    "body": "Some text about a meeting.",
}


async def test_reads_are_open_and_writes_need_a_key(anon_client: httpx.AsyncClient) -> None:
    assert (await anon_client.get("/v1/articles")).status_code == 200
    r = await anon_client.post("/v1/articles", json=NEW_ARTICLE)
    assert r.status_code == 401
    assert r.headers["content-type"] == PROBLEM
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert r.json()["required_scope"] == "write"


async def test_read_key_cannot_write_and_says_which_scope_is_missing(
    app: FastAPI, anon_client: httpx.AsyncClient
) -> None:
    key = await access.create_key(app.state.session_factory, "reader", "read")
    r = await anon_client.post("/v1/articles", json=NEW_ARTICLE, headers={"X-API-Key": key.token})
    assert r.status_code == 403
    assert r.json()["required_scope"] == "write"
    assert r.json()["key_scope"] == "read"


async def test_write_key_writes_with_either_header(
    app: FastAPI, anon_client: httpx.AsyncClient, clean_store: None
) -> None:
    key = await access.create_key(app.state.session_factory, "writer", "write")
    r = await anon_client.post(
        "/v1/articles", json=NEW_ARTICLE, headers={"Authorization": f"Bearer {key.token}"}
    )
    assert r.status_code == 201, r.text
    r = await anon_client.post(
        "/v1/articles",
        json={**NEW_ARTICLE, "external_id": "access-2"},
        headers={"X-API-Key": key.token},
    )
    assert r.status_code == 201


async def test_an_unknown_key_beside_a_good_one_is_401_in_either_header(
    app: FastAPI, anon_client: httpx.AsyncClient, clean_store: None
) -> None:
    """Found by schemathesis's ignored_auth check: a good Bearer key let a bad X-API-Key pass."""
    key = await access.create_key(app.state.session_factory, "both-headers", "write")
    good, bad = key.token, "ask_nope_nope"
    for headers in (
        {"Authorization": f"Bearer {good}", "X-API-Key": bad},
        {"Authorization": f"Bearer {bad}", "X-API-Key": good},
        # a header repeated: schemathesis's ignored_auth probe added a bad Authorization
        # after the good one, auth read the first and the idempotency layer the last
        httpx.Headers([("Authorization", f"Bearer {good}"), ("Authorization", f"Bearer {bad}")]),
        httpx.Headers([("X-API-Key", good), ("X-API-Key", bad)]),
    ):
        r = await anon_client.post("/v1/articles", json=NEW_ARTICLE, headers=headers)
        assert r.status_code == 401, (headers.keys(), r.text)
        assert r.headers["content-type"].startswith(PROBLEM)
        r = await anon_client.get("/v1/articles", headers=headers)
        assert r.status_code == 401
    both = {"Authorization": f"Bearer {good}", "X-API-Key": good}
    r = await anon_client.post("/v1/articles", json=NEW_ARTICLE, headers=both)
    assert r.status_code == 201, r.text
    count = await anon_client.get("/v1/articles", params={"outlet": "Test Wire"})
    assert [a["external_id"] for a in count.json()["items"]] == ["access-1"]


async def test_unknown_and_revoked_keys_are_401(
    app: FastAPI, anon_client: httpx.AsyncClient
) -> None:
    r = await anon_client.get("/v1/articles", headers={"X-API-Key": "ask_nope_nope"})
    assert r.status_code == 401
    key = await access.create_key(app.state.session_factory, "short-lived", "write")
    assert await access.revoke_key(app.state.session_factory, key.prefix)
    fresh = create_app(app.state.settings)  # no key cache from earlier requests
    async with (
        fresh.router.lifespan_context(fresh),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=fresh), base_url="http://t") as c,
    ):
        r = await c.get("/v1/articles", headers={"X-API-Key": key.token})
    assert r.status_code == 401


async def test_only_the_hash_is_stored(app: FastAPI, db_session: AsyncSession) -> None:
    key = await access.create_key(app.state.session_factory, "hashed", "read")
    rows = (
        await db_session.execute(
            text("SELECT key_hash, prefix FROM api_keys WHERE id = :i"), {"i": key.id}
        )
    ).one()
    assert rows.key_hash == access.hash_key(key.token)
    assert key.token not in rows.key_hash
    dump = (await db_session.execute(text("SELECT api_keys::text FROM api_keys"))).scalars().all()
    assert not any(key.token in row for row in dump)


async def test_reads_can_require_a_key(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"require_key_for_reads": True}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        r = await c.get("/v1/articles")
        assert r.status_code == 401
        assert r.json()["required_scope"] == "read"
        key = await access.create_key(app.state.session_factory, "reader2", "read")
        r = await c.get("/v1/articles", headers={"X-API-Key": key.token})
        assert r.status_code == 200


async def test_rate_limit_returns_429_with_headers(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"anon_rate_limit_per_minute": 3}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        codes = []
        for _ in range(5):
            r = await c.get("/v1/articles", params={"limit": 1})
            codes.append(r.status_code)
        assert codes[:3] == [200, 200, 200]
        assert codes[3:] == [429, 429]
        assert r.headers["content-type"] == PROBLEM
        assert int(r.headers["retry-after"]) >= 1
        assert r.headers["ratelimit-limit"] == "3"
        assert r.headers["ratelimit-remaining"] == "0"


async def test_openapi_declares_the_key_schemes(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    schemes = spec["components"]["securitySchemes"]
    assert {"HTTPBearer", "APIKeyHeader"} <= set(schemes)


async def test_a_used_key_records_when_it_was_last_used(app: FastAPI) -> None:
    from service import access

    factory = app.state.session_factory
    new = await access.create_key(factory, "last-used", "read")
    before = {k["id"]: k for k in await access.list_keys(factory)}[new.id]
    assert before["last_used_at"] is None
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        r = await c.get("/v1/articles", headers={"Authorization": f"Bearer {new.token}"})
    assert r.status_code == 200
    after = {k["id"]: k for k in await access.list_keys(factory)}[new.id]
    assert after["last_used_at"] is not None


async def test_failed_authentications_are_rate_limited_per_client_before_any_lookup(
    settings: Settings,
) -> None:
    """200 guessed keys: 5 lookups and 401s, then 429s that cost the database nothing."""
    from sqlalchemy import event

    app = create_app(settings.model_copy(update={"auth_failures_per_minute": 5}))
    lookups: list[str] = []

    def count(conn: object, cursor: object, statement: str, *args: object) -> None:
        if "api_keys" in statement:
            lookups.append(statement)

    async with app.router.lifespan_context(app):
        event.listen(app.state.engine.sync_engine, "before_cursor_execute", count)
        good = await access.create_key(app.state.session_factory, "guessed-around", "read")
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            ok = await c.get("/v1/articles", headers={"X-API-Key": good.token})
            assert ok.status_code == 200  # the real key is looked up (and cached) first
            lookups.clear()
            codes, last = [], None
            for i in range(200):
                last = await c.get("/v1/articles", headers={"X-API-Key": f"ask_guess_{i}"})
                codes.append(last.status_code)
            assert codes[:5] == [401] * 5
            assert set(codes[5:]) == {429}
            assert len(lookups) == 5, "a guess past the limit still reached the database"
            assert last is not None and last.headers["content-type"] == PROBLEM
            assert int(last.headers["retry-after"]) >= 1
            assert last.headers["ratelimit-limit"] == "5"
            assert last.headers["ratelimit-remaining"] == "0"
            assert "failed authentications" in last.json()["detail"]
            # a known key from the same address still works; no key at all too
            again = await c.get("/v1/articles", headers={"X-API-Key": good.token})
            assert again.status_code == 200
            assert (await c.get("/v1/articles")).status_code == 200
