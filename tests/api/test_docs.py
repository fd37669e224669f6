"""The API docs page works on a closed network: every asset comes from the service itself."""

from __future__ import annotations

import importlib.metadata
import re

import httpx

ASSET_URL = re.compile(r"""(?:src|href)=["']([^"']+)["']""")
ELSEWHERE = re.compile(r"^(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


async def test_docs_page_loads_every_script_and_stylesheet_from_the_service(
    anon_client: httpx.AsyncClient,
) -> None:
    page = await anon_client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    urls = ASSET_URL.findall(page.text)
    assert any(u.endswith(".js") for u in urls) and any(u.endswith(".css") for u in urls), urls
    for url in urls:
        assert not ELSEWHERE.match(url), f"/docs names {url}, which is not on this service"
        asset = await anon_client.get(url)
        assert asset.status_code == 200, url
        assert asset.content, url
        if url.endswith((".js", ".css")):
            assert len(asset.content) > 10_000, url  # the real Swagger UI, not a stub
    # the page's one inline script points Swagger UI at our own schema, with no validator badge
    assert "url: '/openapi.json'" in page.text
    assert '"validatorUrl": null' in page.text


async def test_docs_content_security_policy_names_no_other_host(
    anon_client: httpx.AsyncClient,
) -> None:
    page = await anon_client.get("/docs")
    csp = page.headers["content-security-policy"]
    assert "http" not in csp, csp
    assert "script-src 'self'" in csp


async def test_redoc_is_not_offered(anon_client: httpx.AsyncClient) -> None:
    # no maintained package ships ReDoc's assets, and a CDN copy would not load offline
    assert (await anon_client.get("/redoc")).status_code == 404


async def test_openapi_version_is_the_package_version(anon_client: httpx.AsyncClient) -> None:
    schema = (await anon_client.get("/openapi.json")).json()
    assert schema["info"]["version"] == importlib.metadata.version("article-store")
