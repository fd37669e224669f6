"""Every error is application/problem+json, including the ones FastAPI makes itself."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from api.app import create_app
from service.settings import Settings

PROBLEM = "application/problem+json"


async def test_unknown_route_is_404_problem(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/nope")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["status"] == 404
    assert "/v1/nope" in r.json()["detail"]


async def test_wrong_method_is_405_problem(client: httpx.AsyncClient) -> None:
    r = await client.delete("/v1/articles")
    assert r.status_code == 405
    assert r.headers["content-type"] == PROBLEM
    assert "DELETE" in r.json()["detail"]


async def test_non_json_body_is_415(client: httpx.AsyncClient) -> None:
    r = await client.post(
        "/v1/articles", content=b"title=x", headers={"content-type": "text/plain"}
    )
    assert r.status_code == 415
    assert r.headers["content-type"] == PROBLEM
    assert "text/plain" in r.json()["detail"]


async def test_oversized_body_is_413(settings: Settings) -> None:
    app = create_app(settings.model_copy(update={"max_body_bytes": 100}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        r = await c.post("/v1/articles", json={"body": "x" * 500})
    assert r.status_code == 413
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["max_bytes"] == 100


async def test_request_id_is_echoed_or_generated(client: httpx.AsyncClient) -> None:
    r = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert r.headers["x-request-id"] == "abc-123"
    r = await client.get("/healthz", headers={"X-Request-ID": "bad id with spaces"})
    assert r.headers["x-request-id"] != "bad id with spaces"
    assert len(r.headers["x-request-id"]) == 32


async def test_unexpected_error_is_500_problem_without_traceback(
    settings: Settings, caplog: object
) -> None:
    app: FastAPI = create_app(settings)

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internal detail")

    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, raise_app_exceptions=False),
            base_url="http://t",
        ) as c,
    ):
        r = await c.get("/boom")
    assert r.status_code == 500
    assert r.headers["content-type"] == PROBLEM
    assert "secret" not in r.text and "Traceback" not in r.text
    assert r.json()["request_id"] == r.headers["x-request-id"]
    # the last-resort answer carries the security headers too
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-security-policy"].startswith("default-src 'none'")


async def test_health_and_readiness(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    r = await client.get("/readyz")  # 503 or 200 by the workers alive (tests/api/test_limits)
    assert r.status_code in (200, 503) and r.json()["database"] == "ok"


async def test_readiness_reports_503_when_database_is_unreachable(settings: Settings) -> None:
    dead = settings.model_copy(update={"database_url": "postgresql://postgres@127.0.0.1:1/nothing"})
    app = create_app(dead)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        r = await c.get("/readyz")
        assert r.status_code == 503
        assert r.headers["content-type"] == PROBLEM
        r = await c.get("/v1/articles")
        assert r.status_code == 503
        assert r.headers["retry-after"]


async def test_openapi_documents_every_route(client: httpx.AsyncClient) -> None:
    spec = (await client.get("/openapi.json")).json()
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            assert op.get("summary"), f"{method} {path} has no summary"
            assert op.get("description") or path in ("/healthz", "/readyz"), (
                f"{method} {path} has no description"
            )
    assert (await client.get("/docs")).status_code == 200


async def test_problem_types_are_kebab_case_and_each_resolves_to_its_description(
    client: httpx.AsyncClient,
) -> None:
    import re

    answers = [
        await client.get("/v1/articles/424242"),
        await client.get("/v1/articles", params={"limit": 0}),
        await client.get("/v1/articles", params={"limt": 1}),
        await client.get("/v1/quotes", params={"cursor": "bogus"}),
        await client.put("/v1/articles/1", json={"body": "x"}),
    ]
    types = {r.json()["type"] for r in answers}
    assert len(types) == len(answers), types
    for type_ in types:
        assert re.fullmatch(r"/problems/[a-z0-9]+(-[a-z0-9]+)*", type_), type_
        described = await client.get(type_)
        assert described.status_code == 200, type_
        info = described.json()
        assert info["type"] == type_ and info["title"] and info["description"]
    assert "/problems/article-not-found" in types and "/problems/validation-error" in types
    missing = await client.get("/problems/no-such-problem")
    assert missing.status_code == 404
