"""Every list answers ``Prefer: count=exact|estimated`` the same way (``total``,
``total_is_estimate``, ``Preference-Applied``), and every list applies one rule to filters
that name a resource: one naming nothing that exists is a 404 ``unknown-filter-value``
problem; searches that match nothing are an empty list (docs/api.md, "Totals", "Filters")."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from bench import corpus
from db import migrate
from db.engine import libpq_url
from service.pagination import EXACT_UP_TO
from service.settings import Settings
from tests.fixtures.paths import SEEDS_DIR

pytestmark = pytest.mark.usefixtures("reset_store_after_module")

# the bound docs/api.md states for `count=estimated` past EXACT_UP_TO rows
ESTIMATE_BOUND = (0.5, 2.0)

LISTS: list[tuple[str, dict[str, Any]]] = [
    ("/v1/articles", {}),
    ("/v1/articles", {"outlet": "Associated Press"}),
    ("/v1/quotes", {}),
    ("/v1/quotes", {"speaker": "Watson"}),
    ("/v1/quotes", {"kind": "direct", "outlet": "The New York Times"}),
    ("/v1/quotes/orphans", {}),
    ("/v1/claims", {}),
    ("/v1/claims", {"topic": "conflict-war-peace"}),
    ("/v1/claims", {"sort": "score", "min_score": 0.5}),
    ("/v1/claims/clusters", {}),
    ("/v1/speakers", {}),
    ("/v1/speakers", {"q": "Mill"}),
    ("/v1/entities", {}),
    ("/v1/entities", {"type": "PERSON"}),
]


async def _page_through(
    client: httpx.AsyncClient, path: str, params: dict[str, Any], prefer: str
) -> tuple[list[Any], list[httpx.Response]]:
    items: list[Any] = []
    pages: list[httpx.Response] = []
    cursor = None
    while True:
        query = {**params, "limit": 3, **({"cursor": cursor} if cursor else {})}
        r = await client.get(path, params=query, headers={"Prefer": prefer})
        assert r.status_code == 200, r.text
        pages.append(r)
        items.extend(i["id"] for i in r.json()["items"])
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return items, pages


@pytest.mark.parametrize(("path", "params"), LISTS)
async def test_count_exact_is_the_number_of_items_paged_through(
    annotated: None, anon_client: httpx.AsyncClient, path: str, params: dict[str, Any]
) -> None:
    items, pages = await _page_through(anon_client, path, params, "count=exact")
    assert len(items) == len(set(items))
    for r in pages:
        assert r.headers["Preference-Applied"] == "count=exact"
        assert (r.json()["total"], r.json()["total_is_estimate"]) == (len(items), False)
    # the seeds are far below the threshold: an estimate is the exact count, and says so
    _, pages = await _page_through(anon_client, path, params, "count=estimated")
    for r in pages:
        assert r.headers["Preference-Applied"] == "count=estimated"
        assert (r.json()["total"], r.json()["total_is_estimate"]) == (len(items), False)


@pytest.mark.parametrize("path", sorted({p for p, _ in LISTS}))
async def test_no_total_unless_asked_and_unknown_preferences_are_ignored(
    annotated: None, anon_client: httpx.AsyncClient, path: str
) -> None:
    for headers in ({}, {"Prefer": "return=minimal"}, {"Prefer": "count=fuzzy"}):
        r = await anon_client.get(path, headers=headers)
        assert r.status_code == 200, r.text
        assert "Preference-Applied" not in r.headers
        assert (r.json()["total"], r.json()["total_is_estimate"]) == (None, None)
    # among other preferences, and with RFC 7240's optional quotes
    r = await anon_client.get(path, headers={"Prefer": 'return=minimal, count="exact"'})
    assert r.headers["Preference-Applied"] == "count=exact"
    assert isinstance(r.json()["total"], int)


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/quotes", {"speaker": "Nobody Atall"}),
        ("/v1/quotes", {"speaker_text": "nobody-calls-them-this"}),
        ("/v1/quotes", {"speaker_text": "the"}),
        ("/v1/quotes", {"q": "zzzyxq"}),
        ("/v1/claims", {"claimant": "Nobody Atall"}),
        ("/v1/claims", {"q": "zzzyxq"}),
        ("/v1/articles", {"q": "zzzyxq"}),
        ("/v1/speakers", {"q": "Nobody Atall"}),
        ("/v1/entities", {"q": "Nobody Atall"}),
        ("/v1/entities", {"type": "NO_SUCH_LABEL"}),
    ],
)
async def test_a_search_matching_nothing_is_an_empty_list_with_a_zero_total(
    annotated: None, anon_client: httpx.AsyncClient, path: str, params: dict[str, Any]
) -> None:
    for prefer in ("count=exact", "count=estimated"):
        r = await anon_client.get(path, params=params, headers={"Prefer": prefer})
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["items"], body["next_cursor"], body["total"]) == ([], None, 0)
        assert r.headers["Preference-Applied"] == prefer


UNKNOWN = 2**40
UNKNOWN_FILTERS: list[tuple[str, str, Any]] = [
    ("/v1/articles", "outlet", "No Such Outlet"),
    ("/v1/articles", "outlet", str(UNKNOWN)),
    ("/v1/articles", "story_id", UNKNOWN),
    ("/v1/quotes", "outlet", "No Such Outlet"),
    ("/v1/quotes", "speaker_id", UNKNOWN),
    ("/v1/quotes", "article_id", UNKNOWN),
    ("/v1/quotes", "story_id", UNKNOWN),
    ("/v1/quotes/orphans", "article_id", UNKNOWN),
    ("/v1/claims", "topic", "no-such-topic"),
    ("/v1/claims", "topic", "medtop:99999999"),
    ("/v1/claims", "outlet", "No Such Outlet"),
    ("/v1/claims", "claimant_id", UNKNOWN),
    ("/v1/claims", "article_id", UNKNOWN),
    ("/v1/claims", "story_id", UNKNOWN),
    ("/v1/claims", "cluster_id", UNKNOWN),
    ("/v1/claims/clusters", "topic", "no-such-topic"),
]


@pytest.mark.parametrize(("path", "parameter", "value"), UNKNOWN_FILTERS)
async def test_a_filter_naming_nothing_that_exists_is_a_404_saying_which(
    annotated: None, anon_client: httpx.AsyncClient, path: str, parameter: str, value: Any
) -> None:
    r = await anon_client.get(path, params={parameter: value})
    assert r.status_code == 404, r.text
    assert r.headers["content-type"] == "application/problem+json"
    problem = r.json()
    assert problem["type"] == "/problems/unknown-filter-value"
    assert (problem["parameter"], problem["value"]) == (parameter, value)
    assert str(value) in problem["detail"]
    # the problem type resolves to its documentation
    described = await anon_client.get(problem["type"])
    assert described.status_code == 200 and described.json()["status"] == 404


async def test_a_filter_naming_something_that_exists_is_never_404(
    annotated: None, anon_client: httpx.AsyncClient
) -> None:
    """The same parameters with values that exist answer 200 (an empty list if nothing
    matches): the 404 is about the value, not the parameter."""
    quote = (await anon_client.get("/v1/quotes", params={"limit": 1})).json()["items"][0]
    claim = (await anon_client.get("/v1/claims", params={"limit": 1})).json()["items"][0]
    article = (await anon_client.get(f"/v1/articles/{quote['article_id']}")).json()
    known: list[tuple[str, dict[str, Any]]] = [
        ("/v1/articles", {"outlet": str(article["outlet"]["id"])}),
        ("/v1/quotes", {"speaker_id": quote["speaker"]["id"]} if quote["speaker"] else {}),
        ("/v1/quotes", {"article_id": quote["article_id"]}),
        ("/v1/quotes/orphans", {"article_id": quote["article_id"]}),
        ("/v1/claims", {"topic": "arms-trade", "outlet": claim["outlet"]["name"]}),
        ("/v1/claims", {"article_id": claim["article_id"]}),
    ]
    if article["story_id"] is not None:
        known.append(("/v1/quotes", {"story_id": article["story_id"]}))
    if claim["cluster_id"] is not None:
        known.append(("/v1/claims", {"cluster_id": claim["cluster_id"]}))
    for path, params in known:
        r = await anon_client.get(path, params=params)
        assert r.status_code == 200, (path, params, r.text)


async def test_openapi_declares_prefer_and_preference_applied_on_every_list(
    anon_client: httpx.AsyncClient,
) -> None:
    schema = (await anon_client.get("/openapi.json")).json()
    ops = {op["operationId"]: op for ops in schema["paths"].values() for op in ops.values()}
    for op_id in (
        "list_articles",
        "list_quotes",
        "list_orphaned_quotes",
        "list_claims",
        "list_clusters",
        "list_speakers",
        "list_entities",
    ):
        op = ops[op_id]
        prefer = [p for p in op["parameters"] if p["name"].lower() == "prefer"]
        assert len(prefer) == 1 and prefer[0]["in"] == "header", op_id
        assert f"{EXACT_UP_TO:,}" in prefer[0]["description"], op_id
        assert "Preference-Applied" in op["responses"]["200"]["headers"], op_id
        page = op["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        properties = schema["components"]["schemas"][page.rsplit("/", 1)[-1]]["properties"]
        assert {"total", "total_is_estimate"} <= set(properties), op_id


# --- a generated store larger than the threshold ------------------------------------------

GENERATED_ARTICLES = 3000


@pytest.fixture(scope="module")
def generated_url(make_database: Any) -> Iterator[str]:
    """A store of generated articles (bench.corpus: ~42k quotes, ~21k claims), analysed."""
    url: str = make_database("as_totals")
    migrate.upgrade(url, "head")
    asyncio.run(corpus.generate(libpq_url(url), GENERATED_ARTICLES, processes=1, progress=False))
    yield url


@pytest.fixture(scope="module")
async def generated_client(
    generated_url: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        database_url=generated_url,
        data_dir=Path(tmp_path_factory.mktemp("generated")),
        seeds_dir=SEEDS_DIR,
        db_pool_size=2,
        rate_limit_per_minute=100_000,
        anon_rate_limit_per_minute=100_000,
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            yield c


async def _totals(
    client: httpx.AsyncClient, path: str, params: dict[str, Any]
) -> tuple[int, int, bool]:
    exact = await client.get(path, params={**params, "limit": 1}, headers={"Prefer": "count=exact"})
    estimated = await client.get(
        path, params={**params, "limit": 1}, headers={"Prefer": "count=estimated"}
    )
    assert exact.status_code == estimated.status_code == 200, (exact.text, estimated.text)
    assert estimated.headers["Preference-Applied"] == "count=estimated"
    assert exact.json()["total_is_estimate"] is False
    return exact.json()["total"], estimated.json()["total"], estimated.json()["total_is_estimate"]


async def test_estimates_are_within_the_stated_bound_on_a_generated_store(
    generated_client: httpx.AsyncClient,
) -> None:
    c = generated_client
    outlets = (await c.get("/v1/outlets", params={"limit": 50})).json()["items"]
    busiest = max(outlets, key=lambda o: o["article_count"])
    speakers = (await c.get("/v1/speakers", params={"limit": 100})).json()["items"]
    cases: list[tuple[str, dict[str, Any]]] = [
        ("/v1/articles", {}),
        ("/v1/articles", {"since": "2020-01-01T00:00:00Z"}),
        ("/v1/articles", {"outlet": busiest["name"]}),
        ("/v1/articles", {"has_revisions": "true"}),
        ("/v1/quotes", {}),
        ("/v1/quotes", {"outlet": busiest["name"]}),
        ("/v1/quotes", {"speaker_id": speakers[0]["id"]}),
        ("/v1/quotes", {"speaker_id": speakers[-1]["id"]}),
        ("/v1/quotes", {"kind": "direct", "since": "2018-01-01T00:00:00Z"}),
        ("/v1/claims", {}),
        ("/v1/claims", {"topic": "conflict-war-peace"}),
        ("/v1/claims", {"topic": "arms-trade", "include_descendants": "false"}),
        ("/v1/claims", {"min_score": 0.8, "sort": "score"}),
        ("/v1/claims", {"outlet": busiest["name"]}),
        ("/v1/entities", {}),
        ("/v1/entities", {"type": "PERSON"}),
        ("/v1/speakers", {}),
        ("/v1/claims/clusters", {}),
    ]
    above = 0
    for path, params in cases:
        exact, estimate, is_estimate = await _totals(c, path, params)
        if exact <= EXACT_UP_TO or path in ("/v1/speakers", "/v1/claims/clusters"):
            assert (estimate, is_estimate) == (exact, False), (path, params)
        else:
            above += 1
            assert is_estimate, (path, params)
            assert estimate > EXACT_UP_TO, (path, params, estimate)
            low, high = ESTIMATE_BOUND
            assert low * exact <= estimate <= high * exact, (path, params, exact, estimate)
    assert above >= 8  # the store is large enough for the estimate to be exercised


async def test_count_exact_is_the_number_of_items_on_a_generated_store(
    generated_client: httpx.AsyncClient,
) -> None:
    for path, since in (
        ("/v1/quotes", "2024-01-01T00:00:00Z"),
        ("/v1/claims", "2023-01-01T00:00:00Z"),
    ):
        seen = 0
        cursor = None
        while True:
            params: dict[str, Any] = {"since": since, "limit": 500}
            if cursor:
                params["cursor"] = cursor
            r = await generated_client.get(path, params=params, headers={"Prefer": "count=exact"})
            seen += len(r.json()["items"])
            total = r.json()["total"]
            cursor = r.json()["next_cursor"]
            if cursor is None:
                break
        assert seen == total and seen > EXACT_UP_TO, (path, seen, total)
