"""The hot read endpoints return pre-serialised JSON (api.responses.JsonBytes), bypassing
FastAPI's response validation: every such response must still be exactly what its
documented ``response_model`` would have produced (no extra keys, same types, datetimes
in the same format), on the seeds annotated for real."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pydantic import BaseModel

from api.schemas.articles import ArticlePage
from api.schemas.claims import ClaimPage, ClusterPage
from api.schemas.diffs import DiffRead
from api.schemas.entities import EntityPage, SpeakerPage
from api.schemas.quotes import QuotePage, RevisionAnnotations

pytestmark = pytest.mark.usefixtures("reset_store_after_module")

CASES: list[tuple[str, dict[str, str], dict[str, str], type[BaseModel]]] = [
    ("/v1/quotes", {"speaker": "Miller", "limit": "5"}, {}, QuotePage),
    ("/v1/quotes", {"speaker": "nobody-at-all"}, {}, QuotePage),
    ("/v1/claims", {"topic": "arms-trade", "limit": "5"}, {}, ClaimPage),
    ("/v1/articles", {"limit": "2"}, {"Prefer": "count=exact"}, ArticlePage),
    ("/v1/articles", {}, {}, ArticlePage),
    ("/v1/quotes", {"limit": "3"}, {"Prefer": "count=exact"}, QuotePage),
    ("/v1/quotes/orphans", {}, {"Prefer": "count=exact"}, QuotePage),
    ("/v1/claims", {"limit": "3"}, {"Prefer": "count=exact"}, ClaimPage),
    ("/v1/claims/clusters", {}, {"Prefer": "count=exact"}, ClusterPage),
    ("/v1/claims/clusters", {}, {}, ClusterPage),
    ("/v1/speakers", {"limit": "3"}, {"Prefer": "count=exact"}, SpeakerPage),
    ("/v1/speakers", {}, {}, SpeakerPage),
    ("/v1/entities", {"limit": "3"}, {"Prefer": "count=exact"}, EntityPage),
    ("/v1/entities", {}, {}, EntityPage),
    ("/v1/articles/1/annotations", {}, {}, RevisionAnnotations),
    ("/v1/diff", {"left": "1", "right": "3"}, {}, DiffRead),
]


@pytest.mark.parametrize(("path", "params", "headers", "model"), CASES)
async def test_response_is_what_its_model_would_serialise(
    annotated: None,
    anon_client: httpx.AsyncClient,
    path: str,
    params: dict[str, str],
    headers: dict[str, str],
    model: type[BaseModel],
) -> None:
    r = await anon_client.get(path, params=params, headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    body: Any = r.json()
    expected = model.model_validate_json(r.content).model_dump(mode="json")
    assert body == expected
    if "Prefer" in headers:
        assert r.headers["Preference-Applied"] == "count=exact"
        assert isinstance(body["total"], int)


async def test_datetimes_are_utc_with_z(annotated: None, anon_client: httpx.AsyncClient) -> None:
    r = await anon_client.get("/v1/quotes", params={"speaker": "Miller", "limit": "1"})
    published = r.json()["items"][0]["published_at"]
    assert published.endswith("Z") and "+00:00" not in published
