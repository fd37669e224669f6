"""/v1/speakers, /v1/entities: search, detail, reversible merges, alias edits."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tests.fixtures.annotated import post_annotated

# shared fixtures: the seeds annotated for real; the store reset after this module
pytestmark = pytest.mark.usefixtures("reset_store_after_module")


async def _quotes(client: httpx.AsyncClient, **params: Any) -> set[int]:
    r = await client.get("/v1/quotes", params={**params, "limit": 500})
    assert r.status_code == 200, r.text
    return {i["id"] for i in r.json()["items"]}


async def _entity_named(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    r = await client.get("/v1/entities", params={"q": name, "type": "PERSON"})
    assert r.status_code == 200, r.text
    [item] = r.json()["items"]
    return item  # type: ignore[no-any-return]


async def test_speakers_are_quoted_entities_with_counts_most_quoted_first(
    annotated: None, client: httpx.AsyncClient
) -> None:
    r = await client.get("/v1/speakers")
    assert r.status_code == 200
    items = r.json()["items"]
    counts = [i["quote_count"] for i in items]
    assert counts == sorted(counts, reverse=True) and min(counts) >= 1
    miller = next(i for i in items if i["name"] == "Matthew Miller")
    assert miller["quote_count"] == len(await _quotes(client, speaker_id=miller["id"]))
    r = await client.get("/v1/speakers", params={"q": "watson"})
    assert [i["name"] for i in r.json()["items"]] == ["Adrienne Watson"]
    assert (await client.get("/v1/speakers", params={"q": "Nobody"})).json()["items"] == []
    # keyset pagination over (count, id)
    seen: list[int] = []
    cursor = None
    while True:
        page = (
            await client.get(
                "/v1/speakers", params={"limit": 3, **({"cursor": cursor} if cursor else {})}
            )
        ).json()
        seen.extend(i["id"] for i in page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [i["id"] for i in items]


async def test_entities_search_by_name_and_type(annotated: None, client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/entities", params={"q": "putin"})
    assert r.status_code == 200
    names = [i["name"] for i in r.json()["items"]]
    assert any("Putin" in n for n in names)
    r = await client.get("/v1/entities", params={"type": "ORG", "limit": 500})
    assert r.json()["items"] and {i["type"] for i in r.json()["items"]} == {"ORG"}
    everything = (await client.get("/v1/entities", params={"limit": 500})).json()["items"]
    keys = [i["name"] for i in everything]
    assert len(keys) > 50
    assert (await client.get("/v1/entities", params={"cursor": "zz"})).status_code == 400


async def test_entity_detail_has_aliases_counts_and_articles(
    annotated: None, client: httpx.AsyncClient
) -> None:
    miller = await _entity_named(client, "Matthew Miller")
    r = await client.get(f"/v1/entities/{miller['id']}")
    assert r.status_code == 200
    detail = r.json()
    assert {"Matthew Miller", "Miller"} <= {a["alias"] for a in detail["aliases"]}
    assert detail["quote_count"] >= 5 and detail["mention_count"] >= 1
    assert {a["outlet"]["name"] for a in detail["articles"]} >= {"Stars and Stripes"}
    assert detail["merged_into"] is None and detail["merged"] == []
    assert (await client.get("/v1/entities/99999999")).status_code == 404
    assert (await client.get("/v1/entities/abc")).status_code == 422


async def test_merge_is_resolved_at_read_time_and_unmerge_restores_everything(
    clean_store: None, annotated: None, client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    miller = await _entity_named(client, "Matthew Miller")
    pak = await _entity_named(client, "Jung Pak")
    miller_quotes = await _quotes(client, speaker="Miller")
    pak_quotes = await _quotes(client, speaker="Pak")
    assert miller_quotes and pak_quotes
    rows_before = (
        await db_session.execute(text("SELECT id, speaker_id FROM quotes ORDER BY id"))
    ).all()

    r = await client.post(f"/v1/entities/{pak['id']}/merge", json={"into": miller["id"]})
    assert r.status_code == 200, r.text
    survivor = r.json()
    assert survivor["id"] == miller["id"]
    assert [m["id"] for m in survivor["merged"]] == [pak["id"]]
    assert survivor["quote_count"] == len(miller_quotes | pak_quotes)
    # both names now find the merged set; the merged speaker is shown as the survivor
    assert await _quotes(client, speaker="Pak") == miller_quotes | pak_quotes
    assert await _quotes(client, speaker_id=pak["id"]) == miller_quotes | pak_quotes
    r = await client.get("/v1/quotes", params={"speaker": "Pak"})
    assert {i["speaker"]["id"] for i in r.json()["items"]} == {miller["id"]}
    merged = (await client.get(f"/v1/entities/{pak['id']}")).json()
    assert merged["merged_into"] == {"id": miller["id"], "name": "Matthew Miller"}
    assert pak["id"] not in {i["id"] for i in (await client.get("/v1/speakers")).json()["items"]}
    # no row moved
    await db_session.rollback()
    rows_merged = (
        await db_session.execute(text("SELECT id, speaker_id FROM quotes ORDER BY id"))
    ).all()
    assert rows_merged == rows_before

    r = await client.post(f"/v1/entities/{pak['id']}/unmerge")
    assert r.status_code == 200 and r.json()["merged_into"] is None
    assert await _quotes(client, speaker="Pak") == pak_quotes
    assert await _quotes(client, speaker="Miller") == miller_quotes
    r = await client.post(f"/v1/entities/{pak['id']}/unmerge")
    assert r.status_code == 409


async def test_merge_rules(clean_store: None, annotated: None, client: httpx.AsyncClient) -> None:
    miller = await _entity_named(client, "Matthew Miller")
    pak = await _entity_named(client, "Jung Pak")
    watson = await _entity_named(client, "Adrienne Watson")
    url = f"/v1/entities/{miller['id']}/merge"
    assert (await client.post(url, json={"into": miller["id"]})).status_code == 409
    assert (await client.post(url, json={"into": 99999999})).status_code == 404
    assert (await client.post(url, json={"into": "x"})).status_code == 422
    assert (await client.post(url, json={"into": pak["id"], "extra": 1})).status_code == 422
    # merging into a merged entity goes to its survivor; members follow a re-merge
    assert (await client.post(url, json={"into": pak["id"]})).status_code == 200
    r = await client.post(f"/v1/entities/{watson['id']}/merge", json={"into": miller["id"]})
    assert r.json()["id"] == pak["id"]
    r = await client.post(f"/v1/entities/{pak['id']}/merge", json={"into": miller["id"]})
    assert r.status_code == 409  # miller is merged into pak: a cycle


async def test_alias_edits_feed_the_speaker_filter(
    clean_store: None, annotated: None, client: httpx.AsyncClient
) -> None:
    watson = await _entity_named(client, "Adrienne Watson")
    assert await _quotes(client, speaker="NSC spokeswoman") == set()
    r = await client.post(f"/v1/entities/{watson['id']}/aliases", json={"alias": "NSC Spokeswoman"})
    assert r.status_code == 201, r.text
    alias = next(a for a in r.json()["aliases"] if a["alias"] == "NSC Spokeswoman")
    assert alias["source"] == "curated"
    assert await _quotes(client, speaker="nsc spokeswoman") == await _quotes(
        client, speaker="Watson"
    )
    r = await client.delete(f"/v1/entities/{watson['id']}/aliases/{alias['id']}")
    assert r.status_code == 200
    assert await _quotes(client, speaker="NSC spokeswoman") == set()
    r = await client.delete(f"/v1/entities/{watson['id']}/aliases/{alias['id']}")
    assert r.status_code == 404
    r = await client.post(f"/v1/entities/{watson['id']}/aliases", json={"alias": "..."})
    assert r.status_code == 422
    r = await client.post(f"/v1/entities/{watson['id']}/aliases", json={"name": "x"})
    assert r.status_code == 422


async def test_writes_need_a_key_and_merges_an_admin_key(
    annotated: None, anon_client: httpx.AsyncClient, app: Any
) -> None:
    from service import access

    assert (await anon_client.get("/v1/speakers")).status_code == 200
    assert (await anon_client.patch("/v1/quotes/1", json={"kind": "direct"})).status_code == 401
    assert (await anon_client.delete("/v1/quotes/1")).status_code == 401
    r = await anon_client.post("/v1/entities/1/merge", json={"into": 2})
    assert r.status_code == 401
    writer = (await access.create_key(app.state.session_factory, "tests-writer", "write")).token
    r = await anon_client.post(
        "/v1/entities/1/merge", json={"into": 2}, headers={"X-API-Key": writer}
    )
    assert r.status_code == 403 and r.json()["required_scope"] == "admin"


async def test_speakers_are_found_as_a_user_types_accent_free_and_common_words_match_nobody(
    clean_store: None, client: httpx.AsyncClient, settings: Any, pipeline: Any
) -> None:
    body = (
        'BERLIN — "We will not back down," Katrin Albers said on Tuesday.\n\n'
        '"The talks go on," added Luis Ortega Marín, the trade envoy.'
    )
    await post_annotated(client, settings, pipeline, body, "typ-1")

    async def speakers(q: str) -> list[str]:
        r = await client.get("/v1/speakers", params={"q": q})
        assert r.status_code == 200, r.text
        return [i["name"] for i in r.json()["items"]]

    async def quoted_by(name: str) -> set[str]:
        r = await client.get("/v1/quotes", params={"speaker": name})
        assert r.status_code == 200, r.text
        return {i["speaker"]["name"] for i in r.json()["items"]}

    assert await speakers("alb") == ["Katrin Albers"]
    assert await speakers("ALBÉ") == ["Katrin Albers"]
    assert await quoted_by("Albe") == {"Katrin Albers"}
    assert await quoted_by("kat alb") == {"Katrin Albers"}
    assert await quoted_by("Marin") == {"Luis Ortega Marín"}
    assert await quoted_by("ortega mar") == {"Luis Ortega Marín"}
    assert await quoted_by("Albers Ortega") == set()  # every word must match one name
    # an alias made of common words does not make a function word match anybody
    albers = (await client.get("/v1/speakers", params={"q": "albers"})).json()["items"][0]
    r = await client.post(
        f"/v1/entities/{albers['id']}/aliases", json={"alias": "the German minister"}
    )
    assert r.status_code in (200, 201), r.text
    assert await quoted_by("the") == set()
    assert await speakers("the") == []
    assert await quoted_by("the German minister") == {"Katrin Albers"}


async def test_opposite_merges_at_once_never_deadlock(
    client: httpx.AsyncClient, db_session: AsyncSession, clean_store: None
) -> None:
    ids = []
    for name in ("Opposite One", "Opposite Two"):
        row = await db_session.execute(
            text(
                "INSERT INTO entities (key, name, normalized_name, type) "
                "VALUES (:k, :n, :nk, 'PERSON') RETURNING id"
            ),
            {"k": name.lower(), "n": name, "nk": name.lower()},
        )
        ids.append(int(row.scalar_one()))
    await db_session.commit()
    a, b = ids
    for _ in range(5):
        # a → b and b → a at the same time: before, each locked its own entity first and
        # waited for the other's, and PostgreSQL aborted one with a deadlock (a 500)
        r1, r2 = await asyncio.gather(
            client.post(f"/v1/entities/{a}/merge", json={"into": b}),
            client.post(f"/v1/entities/{b}/merge", json={"into": a}),
        )
        assert sorted([r1.status_code, r2.status_code]) == [200, 409], (r1.text, r2.text)
        merged = a if r1.status_code == 200 else b
        assert (await client.post(f"/v1/entities/{merged}/unmerge")).status_code == 200


async def test_a_person_named_differently_in_another_article_is_the_same_entity(
    clean_store: None, client: httpx.AsyncClient, settings: Any, pipeline: Any
) -> None:
    first = (
        'MADRID — "The reform is ready," Luis Ortega Marín, the economy minister, said on '
        'Monday.\n\n"We will not wait," Pieter de Vries, the Dutch envoy, told reporters.\n\n'
        "Kim Jong Un said the tests would go on."
    )
    _, first_view = await post_annotated(client, settings, pipeline, first, "link-1")
    second = (
        'BRUSSELS — "Nothing is agreed yet," Luis Ortega said on Thursday.\n\n'
        '"We are close," de Vries said.\n\n'
        "Kim Tok Hun said the talks were over."
    )
    _, second_view = await post_annotated(client, settings, pipeline, second, "link-2")

    def speakers(view: dict[str, Any]) -> dict[str, int]:
        return {q["speaker"]["name"]: q["speaker"]["id"] for q in view["quotes"] if q["speaker"]}

    before, after = speakers(first_view), speakers(second_view)
    # "Luis Ortega" is the person named in full in the first article
    assert after["Luis Ortega Marín"] == before["Luis Ortega Marín"], after
    # a surname alone ("de Vries") says too little to link across articles
    assert after.get("de Vries", -1) != before["Pieter de Vries"], after
    # a different given name is a different person, whatever the family name
    assert "Kim Tok Hun" in after and after["Kim Tok Hun"] != before["Kim Jong Un"]
    r = await client.get("/v1/quotes", params={"speaker": "Luis Ortega"})
    assert {i["speaker"]["name"] for i in r.json()["items"]} == {"Luis Ortega Marín"}
    assert len(r.json()["items"]) == 2


async def test_a_short_name_that_fits_two_stored_people_is_not_linked(
    clean_store: None, client: httpx.AsyncClient, settings: Any, pipeline: Any
) -> None:
    for i, full in enumerate(["Ana Ruiz Delgado", "Ana Ruiz Torres"]):
        body = f'"The plan works," {full}, a city councillor, said on Monday.'
        await post_annotated(client, settings, pipeline, body, f"amb-{i}")
    _, view = await post_annotated(
        client, settings, pipeline, '"It does not," Ana Ruiz said on Tuesday.', "amb-2"
    )
    [quote] = view["quotes"]
    assert quote["speaker"]["name"] == "Ana Ruiz"
