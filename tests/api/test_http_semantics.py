"""HTTP details other services rely on: HEAD, conditional requests, cursors."""

from __future__ import annotations

import httpx
import pytest

READS = [
    "/v1/articles",
    "/v1/articles/1",
    "/v1/articles/1/revisions",
    "/v1/quotes",
    "/v1/speakers",
    "/v1/entities",
    "/v1/claims",
    "/v1/topics",
    "/v1/diff?left=2&right=4",
    "/healthz",
]


@pytest.mark.parametrize("path", READS)
async def test_head_works_wherever_get_does(anon_client: httpx.AsyncClient, path: str) -> None:
    get = await anon_client.get(path)
    head = await anon_client.head(path)
    assert head.status_code == get.status_code == 200, (path, head.status_code)
    assert head.content == b""
    assert head.headers["content-type"] == get.headers["content-type"]
    assert head.headers.get("etag") == get.headers.get("etag")


async def test_head_of_a_missing_resource_is_404(anon_client: httpx.AsyncClient) -> None:
    r = await anon_client.head("/v1/articles/424242")
    assert r.status_code == 404 and r.content == b""


@pytest.mark.parametrize("method", ["PATCH", "DELETE", "PUT"])
async def test_named_subresources_are_never_taken_for_ids(
    client: httpx.AsyncClient, method: str
) -> None:
    # /quotes/orphans and /claims/clusters are listings: other methods on them are 405
    for path in ("/v1/quotes/orphans", "/v1/claims/clusters"):
        r = await client.request(method, path, params={"limit": 5})
        assert r.status_code == 405, (method, path, r.status_code, r.text)


@pytest.mark.parametrize(
    ("path", "first", "other"),
    [
        ("/v1/articles", {"limit": 1}, {"limit": 1, "outlet": "Associated Press"}),
        ("/v1/quotes", {"limit": 1}, {"limit": 1, "kind": "direct"}),
        ("/v1/claims", {"limit": 1}, {"limit": 1, "min_score": 0.9}),
        ("/v1/speakers", {"limit": 1}, {"limit": 1, "q": "kim"}),
        ("/v1/entities", {"limit": 1}, {"limit": 1, "type": "PERSON"}),
        ("/v1/claims/clusters", {"limit": 1}, {"limit": 1, "topic": "politics"}),
    ],
)
async def test_a_cursor_is_bound_to_the_filters_that_made_it(
    annotated: None,
    client: httpx.AsyncClient,
    path: str,
    first: dict[str, object],
    other: dict[str, object],
) -> None:
    page = (await client.get(path, params=first)).json()
    assert page["next_cursor"], f"{path} has a single page: the seeds have more"
    cursor = page["next_cursor"]
    # the same filters (another page size is fine) walk on
    same = await client.get(path, params={**first, "limit": 2, "cursor": cursor})
    assert same.status_code == 200, same.text
    moved = await client.get(path, params={**other, "cursor": cursor})
    assert moved.status_code == 400, moved.text
    assert "filters" in moved.json()["detail"]
