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


async def test_redoc_loads_its_script_from_the_service(anon_client: httpx.AsyncClient) -> None:
    page = await anon_client.get("/redoc")
    assert page.status_code == 200
    urls = ASSET_URL.findall(page.text)
    assert any(u.endswith("redoc.standalone.js") for u in urls), urls
    for url in urls:
        assert not ELSEWHERE.match(url), f"/redoc names {url}, which is not on this service"
        assert (await anon_client.get(url)).status_code == 200, url
    assert "fonts.googleapis" not in page.text


async def test_swagger_ui_shipped_reads_openapi_3_1(anon_client: httpx.AsyncClient) -> None:
    # FastAPI writes OpenAPI 3.1; Swagger UI 4 answers "Unable to render this definition"
    schema = (await anon_client.get("/openapi.json")).json()
    assert schema["openapi"].startswith("3.1")
    bundle = await anon_client.get("/docs/assets/swagger-ui-bundle.js")
    assert "isOAS31" in bundle.text


async def test_openapi_version_is_the_package_version(anon_client: httpx.AsyncClient) -> None:
    schema = (await anon_client.get("/openapi.json")).json()
    assert schema["info"]["version"] == importlib.metadata.version("article-store")
