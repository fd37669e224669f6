"""GET /v1/articles and /v1/articles/{id} on the seed store."""

from __future__ import annotations

import httpx

PROBLEM = "application/problem+json"


async def test_list_articles_returns_the_five_seeds_newest_first(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/articles")
    assert r.status_code == 200
    body = r.json()
    assert len(body["items"]) == 5
    assert body["next_cursor"] is None
    dates = [i["published_at"] for i in body["items"]]
    assert dates == sorted(dates, reverse=True)
    outlets = {i["outlet"]["name"] for i in body["items"]}
    assert outlets == {
        "Stars and Stripes",
        "Associated Press",
        "The New York Times",
        "Unnamed outlet",
    }


async def test_keyset_pagination_visits_every_article_once(client: httpx.AsyncClient) -> None:
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, str | int] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        r = await client.get("/v1/articles", params=params)
        assert r.status_code == 200
        body = r.json()
        assert len(body["items"]) <= 2
        seen.extend(i["id"] for i in body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 5


async def test_outlet_filter_by_id_name_or_unknown(client: httpx.AsyncClient) -> None:
    ap = (await client.get("/v1/articles", params={"outlet": "Associated Press"})).json()
    outlet_id = ap["items"][0]["outlet"]["id"]
    by_id = (await client.get("/v1/articles", params={"outlet": str(outlet_id)})).json()
    assert [i["id"] for i in by_id["items"]] == [i["id"] for i in ap["items"]]
    both = await client.get(
        "/v1/articles", params={"outlet": ["associated press", "The New York Times"]}
    )
    assert len(both.json()["items"]) == len(ap["items"]) + 1
    # an outlet that does not exist is a 404 naming it, never "no filter" nor an empty page
    # that would read as "this outlet published nothing" (docs/api.md, "Filters")
    for path in ("/v1/articles", "/v1/quotes", "/v1/claims"):
        for value in ("No Such Outlet", "999999"):
            r = await client.get(
                path,
                params={"outlet": ["Associated Press", value]},
                headers={"Prefer": "count=exact"},
            )
            assert r.status_code == 404, r.text
            problem = r.json()
            assert problem["type"] == "/problems/unknown-filter-value"
            assert (problem["parameter"], problem["value"]) == ("outlet", value)


async def test_filter_by_outlet_and_dates(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/articles", params={"outlet": "associated press"})
    assert {i["external_id"] for i in r.json()["items"]} == {
        "seed-8d9fe1dad7f08927",
        "seed-f159f652e9ae8f04",
    }
    r = await client.get(
        "/v1/articles", params={"since": "2023-09-05T00:00:00Z", "until": "2023-09-11T21:00:00Z"}
    )
    assert [i["external_id"] for i in r.json()["items"]] == [
        "seed-8d9fe1dad7f08927",
        "seed-043e2c939a1b8cef",
    ]


async def test_prefer_count_exact_and_estimated(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/articles", params={"limit": 1}, headers={"Prefer": "count=exact"})
    assert r.json()["total"] == 5
    assert r.headers["preference-applied"] == "count=exact"
    # five rows are far below the estimate threshold: counted, so exact (it was an estimate
    # of 100 for 40 rows once)
    r = await client.get("/v1/articles", headers={"Prefer": "count=estimated"})
    assert r.headers["preference-applied"] == "count=estimated"
    assert (r.json()["total"], r.json()["total_is_estimate"]) == (5, False)
    r = await client.get("/v1/articles")
    assert r.json()["total"] is None and "preference-applied" not in r.headers


async def test_get_article_has_verbatim_body_without_dateline(client: httpx.AsyncClient) -> None:
    items = (await client.get("/v1/articles", params={"outlet": "The New York Times"})).json()
    article_id = items["items"][0]["id"]
    r = await client.get(f"/v1/articles/{article_id}")
    assert r.status_code == 200
    body = r.json()["body"]
    assert body.startswith("Putin wants Kim to agree to send Russia artillery shells")
    assert "date 2023-09-04" not in body
    assert r.json()["revision"] == 1
    assert len(r.json()["sha256"]) == 64


async def test_unknown_article_is_404_problem(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/articles/987654")
    assert r.status_code == 404
    assert r.headers["content-type"] == PROBLEM
    p = r.json()
    assert p["status"] == 404 and "987654" in p["detail"] and p["title"]


async def test_malformed_id_is_422_naming_the_field(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/articles/abc")
    assert r.status_code == 422
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["errors"][0]["field"] == "article_id"
    assert r.json()["errors"][0]["in"] == "path"


async def test_limit_out_of_range_is_422(client: httpx.AsyncClient) -> None:
    for bad in ("0", "501", "ten"):
        r = await client.get("/v1/articles", params={"limit": bad})
        assert r.status_code == 422, bad
        assert r.headers["content-type"] == PROBLEM
        err = r.json()["errors"][0]
        assert err["in"] == "query" and err["field"] == "limit"


async def test_malformed_cursor_is_400(client: httpx.AsyncClient) -> None:
    for bad in ("garbage!!", "eyJhIjoxfQ", "WyJhcnRpY2xlczp1cGRhdGVkIiwxXQ"):
        r = await client.get("/v1/articles", params={"cursor": bad})
        assert r.status_code == 400, bad
        assert r.headers["content-type"] == PROBLEM
        assert r.json()["parameter"] == "cursor"


async def test_cursor_from_other_sort_is_rejected(client: httpx.AsyncClient) -> None:
    first = (await client.get("/v1/articles", params={"limit": 1})).json()
    r = await client.get("/v1/articles", params={"cursor": first["next_cursor"], "sort": "updated"})
    assert r.status_code == 400


async def test_unknown_query_parameter_is_400(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/articles", params={"outlett": "AP"})
    assert r.status_code == 400
    assert r.headers["content-type"] == PROBLEM
    assert r.json()["parameters"] == ["outlett"]
    assert "outlet" in r.json()["detail"]


async def test_article_list_items_carry_their_annotation_status(
    client: httpx.AsyncClient,
) -> None:
    items = (await client.get("/v1/articles", params={"limit": 10})).json()["items"]
    assert items and all("annotation_status" in i for i in items)
    for item in items:
        detail = (await client.get(f"/v1/articles/{item['id']}")).json()
        assert item["annotation_status"] == detail.get("annotation_status")
    assert {i["annotation_status"] for i in items} <= {"pending", "running", "done", "failed"}


async def test_an_outlet_is_the_same_object_everywhere_and_outlets_are_listed(
    annotated: None, client: httpx.AsyncClient
) -> None:
    listed = (await client.get("/v1/outlets", params={"limit": 500})).json()["items"]
    by_id = {o["id"]: o for o in listed}
    assert [o["name"] for o in listed] == sorted(o["name"] for o in listed)
    articles = (await client.get("/v1/articles", params={"limit": 500})).json()["items"]
    assert sum(o["article_count"] for o in listed) == len(articles) == 5
    quotes = (await client.get("/v1/quotes", params={"limit": 5})).json()["items"]
    claims = (await client.get("/v1/claims", params={"limit": 5})).json()["items"]
    for item in (*articles, *quotes, *claims):
        outlet = item["outlet"]
        assert set(outlet) == {"id", "name"}
        assert by_id[outlet["id"]]["name"] == outlet["name"]
    page = (await client.get("/v1/outlets", params={"limit": 1})).json()
    rest = (await client.get("/v1/outlets", params={"cursor": page["next_cursor"]})).json()
    assert [o["id"] for o in page["items"] + rest["items"]] == list(by_id)
