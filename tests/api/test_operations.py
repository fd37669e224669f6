"""Operations endpoints and headers: /metrics, security headers."""

from __future__ import annotations

import httpx


async def test_metrics_expose_route_latency_pool_and_queue(client: httpx.AsyncClient) -> None:
    await client.get("/v1/articles")
    await client.get("/v1/articles/999999")
    r = await client.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    body = r.text
    assert (
        'article_store_http_request_duration_seconds_count{method="GET",route="/v1/articles",status="2xx"}'
        in body
    )
    assert 'route="/v1/articles/{article_id}",status="4xx"' in body
    assert "article_store_db_pool_connections" in body
    assert "article_store_annotation_runs" in body or "article_store_queue_jobs" in body


async def test_security_headers_on_api_and_docs(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/articles")
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"
    assert "default-src 'none'" in r.headers["content-security-policy"]
    docs = await client.get("/docs")
    assert docs.status_code == 200
    assert "frame-ancestors 'none'" in docs.headers["content-security-policy"]
    # the docs page's assets are served by the service itself (tests/api/test_docs.py)
    assert "script-src 'self' 'unsafe-inline';" in docs.headers["content-security-policy"]


async def test_cors_is_off_unless_configured(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/articles", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in r.headers


async def test_cors_allows_configured_origins_only(settings: object) -> None:
    from api.app import create_app
    from service.settings import Settings

    assert isinstance(settings, Settings)
    app = create_app(settings.model_copy(update={"cors_origins": ["https://newsroom.example"]}))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as c,
    ):
        ok = await c.get("/v1/articles", headers={"Origin": "https://newsroom.example"})
        assert ok.headers["access-control-allow-origin"] == "https://newsroom.example"
        other = await c.get("/v1/articles", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers
