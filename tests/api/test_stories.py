"""Stories on the seeds (001+003 only), related articles, and client decisions."""

from __future__ import annotations

import itertools

import httpx

from service.seeds import read_manifest
from tests.fixtures.paths import SEEDS_DIR


async def _seed_ids(client: httpx.AsyncClient) -> dict[str, int]:
    items = (await client.get("/v1/articles")).json()["items"]
    by_ext = {i["external_id"]: i["id"] for i in items}
    return {s.file[:3]: by_ext[s.article.external_id] for s in read_manifest(SEEDS_DIR)}


async def test_seeds_group_001_with_003_and_no_other_pair(client: httpx.AsyncClient) -> None:
    ids = await _seed_ids(client)
    stories = {
        k: (await client.get(f"/v1/articles/{v}")).json()["story_id"] for k, v in ids.items()
    }
    assert stories["001"] is not None and stories["001"] == stories["003"]
    for a, b in itertools.combinations(sorted(ids), 2):
        if {a, b} != {"001", "003"}:
            assert stories[a] is None or stories[a] != stories[b], (a, b)
    r = await client.get(f"/v1/stories/{stories['001']}")
    assert r.status_code == 200
    story = r.json()
    assert [m["id"] for m in story["members"]] == [ids["001"], ids["003"]]  # by time
    assert story["similarities"][0]["similarity"] >= 0.45
    listed = await client.get("/v1/articles", params={"story_id": stories["001"]})
    assert {i["id"] for i in listed.json()["items"]} == {ids["001"], ids["003"]}


async def test_related_ranks_the_rewrite_first_but_not_as_a_version(
    client: httpx.AsyncClient,
) -> None:
    ids = await _seed_ids(client)
    r = await client.get(f"/v1/articles/{ids['004']}/related")
    assert r.status_code == 200
    top = r.json()["items"][0]
    assert top["article"]["id"] == ids["002"]
    assert top["same_story"] is False and top["version_similarity"] < 0.45
    scores = [i["score"] for i in r.json()["items"]]
    assert scores == sorted(scores, reverse=True)
    r = await client.get(f"/v1/articles/{ids['001']}/related")
    assert r.json()["items"][0]["article"]["id"] == ids["003"]
    assert r.json()["items"][0]["same_story"] is True
    assert (await client.get("/v1/articles/999999/related")).status_code == 404


async def test_split_is_kept_when_new_versions_arrive(
    client: httpx.AsyncClient, clean_store: None
) -> None:
    ids = await _seed_ids(client)
    story = (await client.get(f"/v1/articles/{ids['001']}")).json()["story_id"]
    r = await client.post(f"/v1/stories/{story}:split", json={"article_ids": [ids["003"]]})
    assert r.status_code == 200, r.text
    new_story = r.json()["new_story"]["id"]
    assert r.json()["story"]["confirmed"] and r.json()["new_story"]["confirmed"]

    # a new revision of 003 and a syndicated copy of 001 arrive
    body_001 = (await client.get(f"/v1/articles/{ids['001']}")).json()["body"]
    a3 = await client.get(f"/v1/articles/{ids['003']}")
    await client.put(
        f"/v1/articles/{ids['003']}",
        json={"body": a3.json()["body"] + "\n\nThis story has been updated."},
        headers={"If-Match": a3.headers["etag"]},
    )
    copy = await client.post(
        "/v1/articles",
        json={"outlet": "Syndicator", "external_id": "ap-copy", "body": body_001 + "\nAP"},
    )
    assert copy.status_code == 201
    assert copy.json()["story_id"] in (story, new_story)
    assert (await client.get(f"/v1/articles/{ids['003']}")).json()["story_id"] == new_story
    assert (await client.get(f"/v1/articles/{ids['001']}")).json()["story_id"] == story


async def test_merge_and_confirm(client: httpx.AsyncClient, clean_store: None) -> None:
    ids = await _seed_ids(client)
    story = (await client.get(f"/v1/articles/{ids['001']}")).json()["story_id"]
    split = await client.post(f"/v1/stories/{story}:split", json={"article_ids": [ids["003"]]})
    other = split.json()["new_story"]["id"]
    r = await client.post(f"/v1/stories/{story}:merge", json={"story_id": other})
    assert r.status_code == 200
    assert {m["id"] for m in r.json()["members"]} == {ids["001"], ids["003"]}
    assert all(m["story_locked"] for m in r.json()["members"])
    assert (await client.get(f"/v1/stories/{other}")).status_code == 404
    r = await client.post(f"/v1/stories/{story}:confirm")
    assert r.status_code == 200 and r.json()["confirmed"] is True


async def test_story_decision_errors(client: httpx.AsyncClient, clean_store: None) -> None:
    ids = await _seed_ids(client)
    story = (await client.get(f"/v1/articles/{ids['001']}")).json()["story_id"]
    r = await client.post(f"/v1/stories/{story}:split", json={"article_ids": [ids["000"]]})
    assert r.status_code == 422
    r = await client.post(
        f"/v1/stories/{story}:split", json={"article_ids": [ids["001"], ids["003"]]}
    )
    assert r.status_code == 422
    r = await client.post(f"/v1/stories/{story}:merge", json={"story_id": story})
    assert r.status_code == 422
    assert (await client.post("/v1/stories/999999:confirm")).status_code == 404
    assert (await client.get("/v1/stories/999999")).status_code == 404
