"""GET/PATCH/DELETE /v1/quotes and /v1/articles/{id}/annotations on the annotated seeds."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service import quotes as quote_svc
from service.curation import carry_curated
from tests.db.test_schema_invariants import spans_not_matching_body
from tests.fixtures.annotated import post_annotated, revise_annotated

# shared fixtures: the seeds annotated for real; the store reset after this module
pytestmark = pytest.mark.usefixtures("reset_store_after_module")


async def _all(client: httpx.AsyncClient, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        r = await client.get("/v1/quotes", params=query)
        assert r.status_code == 200, r.text
        page = r.json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def _current_quote_ids_of_outlet(session: AsyncSession, outlet: str) -> set[int]:
    """What the outlet filter must return, read from the database directly."""
    rows = await session.execute(
        text(
            "SELECT q.id FROM quotes q JOIN outlets o ON o.id = q.outlet_id "
            "JOIN articles a ON a.id = q.article_id "
            "JOIN article_revisions r ON r.id = q.revision_id AND r.number = a.current_revision "
            "WHERE o.name = :o AND q.deleted_at IS NULL"
        ),
        {"o": outlet},
    )
    ids = {int(i) for i in rows.scalars()}
    await session.rollback()
    return ids


async def _entity_id(session: AsyncSession, person: str) -> int:
    """The person entity keyed ``person:<person>`` (the key, not the canonical name, which
    is whichever fullest form an annotation batch saw first)."""
    return int(
        (
            await session.execute(
                text("SELECT id FROM entities WHERE key = :k AND type = 'PERSON'"),
                {"k": f"person:{person}"},
            )
        ).scalar_one()
    )


async def test_quotes_filter_by_speaker_last_name_returns_exactly_matthew_millers_quotes(
    annotated: None, client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    items = await _all(client, speaker="Miller", limit=500)
    expected = (
        await db_session.execute(
            text(
                "SELECT count(*) FROM quotes q JOIN entities e ON e.id = q.speaker_id "
                "WHERE e.normalized_name = 'matthew miller' AND q.deleted_at IS NULL"
            )
        )
    ).scalar_one()
    assert len(items) == expected >= 5
    assert {i["speaker"]["name"] for i in items} == {"Matthew Miller"}
    # the speaker is found whatever the text called him: "he", "Miller", a description
    assert len({i["speaker_text"] for i in items}) > 1


async def test_speaker_filter_is_case_and_accent_insensitive(
    annotated: None, client: httpx.AsyncClient
) -> None:
    base = [i["id"] for i in await _all(client, speaker="Miller")]
    for variant in ("miller", "MILLER", "Millér", "matthew  MILLER", "Miller,"):
        assert [i["id"] for i in await _all(client, speaker=variant)] == base, variant


async def test_speaker_watson_finds_her_quotes_in_the_ap_and_the_nyt_reports(
    annotated: None, client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    items = await _all(client, speaker="Watson")
    assert items and {i["speaker"]["name"] for i in items} == {"Adrienne Watson"}
    for outlet in ("Associated Press", "The New York Times"):
        in_outlet = await _all(client, speaker="Watson", outlet=outlet)
        assert in_outlet, outlet
        assert {i["id"] for i in in_outlet} <= {i["id"] for i in items}
        of_outlet = await _current_quote_ids_of_outlet(db_session, outlet)
        assert {i["id"] for i in in_outlet} == of_outlet & {i["id"] for i in items}


async def test_unknown_speaker_is_an_empty_list_but_an_unknown_speaker_id_is_404(
    annotated: None, client: httpx.AsyncClient
) -> None:
    # a name is a search: matching nobody is an empty list
    for name in ("Nobody Atall", "!!!", "Miller Nobody"):
        r = await client.get("/v1/quotes", params={"speaker": name})
        assert r.status_code == 200
        assert r.json() == {
            "items": [],
            "next_cursor": None,
            "total": None,
            "total_is_estimate": None,
        }
    # an id is a reference: one that names no entity is a 404 saying which
    r = await client.get("/v1/quotes", params={"speaker_id": 2**40})
    assert r.status_code == 404
    assert (r.json()["parameter"], r.json()["value"]) == ("speaker_id", 2**40)


async def test_malformed_ids_and_params_are_problems(
    annotated: None, client: httpx.AsyncClient
) -> None:
    for url, params in [
        ("/v1/quotes", {"speaker_id": "abc"}),
        ("/v1/quotes", {"article_id": "0"}),
        ("/v1/quotes", {"limit": "501"}),
        ("/v1/quotes", {"kind": "rumour"}),
        ("/v1/quotes/abc", {}),
        ("/v1/quotes/0", {}),
        ("/v1/articles/x/annotations", {}),
    ]:
        r = await client.get(url, params=params)
        assert r.status_code == 422, (url, params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"]
    r = await client.get("/v1/quotes", params={"cursor": "not-a-cursor"})
    assert r.status_code == 400
    r = await client.get("/v1/quotes", params={"speakr": "Miller"})
    assert r.status_code == 400 and "speakr" in r.json()["detail"]
    r = await client.get("/v1/quotes/999999")
    assert r.status_code == 404 and r.json()["title"] == "Quote not found"


async def test_pagination_walks_every_quote_once_newest_first(
    annotated: None, client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    items = await _all(client, limit=7)
    ids = [i["id"] for i in items]
    assert len(ids) == len(set(ids))
    total = (
        await db_session.execute(text("SELECT count(*) FROM quotes WHERE deleted_at IS NULL"))
    ).scalar_one()
    assert len(ids) == total > 50
    keys = [(i["published_at"], i["id"]) for i in items]
    assert keys == sorted(keys, reverse=True)
    # a cursor from another listing order is rejected
    r = await client.get("/v1/articles", params={"limit": 1})
    other = r.json()["next_cursor"]
    assert (await client.get("/v1/quotes", params={"cursor": other})).status_code == 400


async def test_filters_kind_article_outlet_dates_and_full_text(
    annotated: None, client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    direct = await _all(client, kind="direct")
    assert direct and {i["kind"] for i in direct} == {"direct"}
    both = await _all(client, kind=["direct", "mixed"])
    assert {i["kind"] for i in both} <= {"direct", "mixed"} and len(both) >= len(direct)
    one = await _all(client, article_id=1)
    assert one and {i["article_id"] for i in one} == {1}
    ap = await _all(client, outlet="associated press")
    assert ap and ap == await _all(client, outlet="Associated Press")
    assert {i["id"] for i in ap} == await _current_quote_ids_of_outlet(
        db_session, "Associated Press"
    )
    early = await _all(client, until="2023-09-10T00:00:00Z")
    late = await _all(client, since="2023-09-10T00:00:00Z")
    assert early and late and len(early) + len(late) == len(await _all(client))
    sanctions = await _all(client, q="sanctions")
    assert sanctions and all("sanction" in i["text"].lower() for i in sanctions)
    miller_sanctions = await _all(client, q="sanctions", speaker="Miller")
    assert {i["id"] for i in miller_sanctions} <= {i["id"] for i in sanctions}
    # a story that does not exist is a reference to nothing: 404, not an empty list
    r = await client.get("/v1/quotes", params={"story_id": 2**40})
    assert r.status_code == 404 and r.json()["parameter"] == "story_id"


async def test_annotations_view_has_text_quotes_and_mentions_with_matching_offsets(
    annotated: None, client: httpx.AsyncClient
) -> None:
    r = await client.get("/v1/articles/1/annotations")
    assert r.status_code == 200
    view = r.json()
    assert view["revision"] == 1 and view["quotes"] and view["mentions"] and view["entities"]
    body = view["text"]
    for q in view["quotes"]:
        assert body[q["start"] : q["end"]] == q["text"]
    for m in view["mentions"]:
        assert body[m["start"] : m["end"]] == m["text"]
    assert (await client.get("/v1/articles/1/annotations", params={"revision": 1})).json() == view
    r = await client.get("/v1/articles/1/annotations", params={"revision": 9})
    assert r.status_code == 404 and r.json()["title"] == "Revision not found"
    assert (await client.get("/v1/articles/99999/annotations")).status_code == 404


async def test_patch_speaker_makes_the_quote_curated_and_findable_by_the_new_name(
    clean_store: None, annotated: None, client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    putin = await _entity_id(db_session, "vladimir putin")
    assert await _all(client, speaker="Putin") == []
    quote = (await _all(client, speaker="Miller"))[0]
    r = await client.patch(f"/v1/quotes/{quote['id']}", json={"speaker_id": putin})
    assert r.status_code == 200, r.text
    patched = r.json()
    assert patched["curated"] is True
    assert patched["speaker"]["id"] == putin and "Putin" in patched["speaker"]["name"]
    for name in ("Putin", "Vladimir V. Putin", "putin"):
        assert [i["id"] for i in await _all(client, speaker=name)] == [quote["id"]]
    assert quote["id"] not in {i["id"] for i in await _all(client, speaker="Miller")}
    # no speaker at all
    r = await client.patch(
        f"/v1/quotes/{quote['id']}", json={"speaker_id": None, "speaker_text": "an official"}
    )
    assert r.json()["speaker"] is None and r.json()["speaker_text"] == "an official"


async def test_patch_span_and_kind_keep_text_equal_to_the_body(
    clean_store: None, annotated: None, client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    quote = (await _all(client, article_id=1, kind="direct"))[0]
    start, end = quote["start"] + 2, quote["end"] - 1
    r = await client.patch(
        f"/v1/quotes/{quote['id']}", json={"start": start, "end": end, "kind": "mixed"}
    )
    assert r.status_code == 200, r.text
    body = (await client.get("/v1/articles/1")).json()["body"]
    assert r.json()["text"] == body[start:end] and r.json()["kind"] == "mixed"
    assert await spans_not_matching_body(db_session) == []
    for bad in (
        {"start": 10, "end": 5},
        {"start": 0, "end": len(body) + 1},
        {"kind": None},
        {"kind": "rumour"},
        {"speaker": "Putin"},
        {},
    ):
        r = await client.patch(f"/v1/quotes/{quote['id']}", json=bad)
        assert r.status_code == 422, (bad, r.text)
    r = await client.patch(f"/v1/quotes/{quote['id']}", json={"speaker_id": 2**40})
    assert r.status_code == 404 and r.json()["title"] == "Entity not found"
    r = await client.patch("/v1/quotes/999999", json={"kind": "direct"})
    assert r.status_code == 404


async def test_delete_keeps_a_tombstone_that_lists_and_reads_never_show(
    clean_store: None, annotated: None, client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    quote = (await _all(client, speaker="Miller"))[0]
    r = await client.delete(f"/v1/quotes/{quote['id']}")
    assert r.status_code == 204 and r.content == b""
    assert (await client.get(f"/v1/quotes/{quote['id']}")).status_code == 404
    assert (await client.delete(f"/v1/quotes/{quote['id']}")).status_code == 404
    assert (
        await client.patch(f"/v1/quotes/{quote['id']}", json={"kind": "direct"})
    ).status_code == 404
    assert quote["id"] not in {i["id"] for i in await _all(client)}
    view = (await client.get(f"/v1/articles/{quote['article_id']}/annotations")).json()
    assert quote["id"] not in {q["id"] for q in view["quotes"]}
    row = (
        await db_session.execute(
            text("SELECT curated, deleted_at FROM quotes WHERE id = :i"), {"i": quote["id"]}
        )
    ).one()
    assert row.curated and row.deleted_at is not None


async def test_curations_survive_reannotation_and_machine_duplicates_are_dropped(
    clean_store: None,
    annotated: None,
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Any,
    pipeline: Any,
) -> None:
    from tests.fixtures.annotated import annotate_seeds

    miller = await _all(client, speaker="Miller", article_id=1)
    deleted, edited = miller[0], miller[1]
    assert (await client.delete(f"/v1/quotes/{deleted['id']}")).status_code == 204
    r = await client.patch(f"/v1/quotes/{edited['id']}", json={"kind": "indirect"})
    assert r.status_code == 200
    before = {i["id"] for i in await _all(client, article_id=1)}
    await annotate_seeds(settings, pipeline)  # the same pipeline again over every revision
    after = await _all(client, article_id=1)
    assert edited["id"] in {i["id"] for i in after}
    assert next(i for i in after if i["id"] == edited["id"])["kind"] == "indirect"
    # the deleted quote did not come back, neither as itself nor as a fresh machine quote
    assert not [i for i in after if i["start"] < deleted["end"] and i["end"] > deleted["start"]]
    # ...and the edited one is not duplicated by its machine twin
    overlapping = [i for i in after if i["start"] < edited["end"] and i["end"] > edited["start"]]
    assert [i["id"] for i in overlapping] == [edited["id"]]
    assert len(after) == len(before)


async def test_carry_curated_quotes_reanchors_to_the_new_revision(
    clean_store: None, annotated: None, client: httpx.AsyncClient, app: Any
) -> None:
    miller = await _all(client, speaker="Miller", article_id=1)
    kept, dropped, tomb = miller[0], miller[1], miller[2]
    await client.patch(f"/v1/quotes/{kept['id']}", json={"kind": "mixed"})
    await client.patch(f"/v1/quotes/{dropped['id']}", json={"kind": "mixed"})
    await client.delete(f"/v1/quotes/{tomb['id']}")
    article = await client.get("/v1/articles/1")
    body = article.json()["body"]
    # the new revision adds a paragraph at the top and removes one curated quote's text
    new_body = "Editor's note: this story was updated.\n\n" + body.replace(dropped["text"], "")
    r = await client.put(
        "/v1/articles/1", json={"body": new_body}, headers={"If-Match": article.headers["ETag"]}
    )
    assert r.status_code == 200, r.text
    factory = app.state.session_factory
    async with factory() as session, session.begin():
        revs = (
            await session.execute(
                text(
                    "SELECT id, number FROM article_revisions WHERE article_id = 1 ORDER BY number"
                )
            )
        ).all()
        old_id, new_id = int(revs[0].id), int(revs[-1].id)
        report = await carry_curated(session, quote_svc.QUOTE_SPANS, old_id, new_id)
        again = await carry_curated(session, quote_svc.QUOTE_SPANS, old_id, new_id)
    assert report.carried == {kept["id"]: "moved", tomb["id"]: "moved"}
    assert report.orphaned == [dropped["id"]]
    assert again.carried == report.carried  # idempotent: nothing copied twice
    view = (await client.get("/v1/articles/1/annotations")).json()
    assert view["revision"] == 2 and view["text"] == new_body
    carried = [q for q in view["quotes"] if q["curated"]]
    assert [(q["text"], q["kind"], q["anchor_status"]) for q in carried] == [
        (kept["text"], "mixed", "moved")
    ]
    assert carried[0]["start"] == new_body.index(kept["text"]) != kept["start"]
    async with factory() as session:
        tombs = (
            (
                await session.execute(
                    text(
                        "SELECT text FROM quotes WHERE revision_id = :r AND deleted_at IS NOT NULL"
                    ),
                    {"r": new_id},
                )
            )
            .scalars()
            .all()
        )
        assert list(tombs) == [tomb["text"]]
        assert await spans_not_matching_body(session) == []


async def test_a_curated_quote_survives_a_one_word_edit_of_its_text_as_fuzzy(
    clean_store: None,
    client: httpx.AsyncClient,
    db_session: AsyncSession,
    settings: Any,
    pipeline: Any,
) -> None:
    """A corrected speaker outlives a light edit: the new revision gets the curated quote,
    re-anchored (fuzzy), and the machine quote found at the same place yields to it."""
    body = (
        "The city council of Leeds met on Monday to discuss the flood defences, and "
        "councillor Tom Berg voted against the plan.\n\n"
        '"We face a crisis," the mayor said after the vote.\n\n'
        "Critics said the plan came too late."
    )
    article_id, view = await post_annotated(client, settings, pipeline, body, "fuzzy-1")
    quote = next(q for q in view["quotes"] if q["text"] == "We face a crisis")
    berg = next(e["id"] for e in view["entities"] if e["name"] == "Tom Berg")
    r = await client.patch(f"/v1/quotes/{quote['id']}", json={"speaker_id": berg})
    assert r.status_code == 200 and r.json()["curated"] is True
    new_body = body.replace("a crisis", "an emergency")
    view = await revise_annotated(client, settings, pipeline, article_id, new_body)
    assert view["revision"] == 2
    at_place = [q for q in view["quotes"] if q["text"] == "We face an emergency"]
    assert len(at_place) == 1, view["quotes"]  # the machine twin yielded
    carried = at_place[0]
    assert carried["curated"] is True and carried["anchor_status"] == "fuzzy"
    assert carried["speaker"]["id"] == berg


async def test_an_orphaned_correction_is_marked_and_listed_not_only_logged(
    clean_store: None, client: httpx.AsyncClient, settings: Any, pipeline: Any
) -> None:
    body = (
        "Councillor Tom Berg of Leeds spoke first.\n\n"
        '"The bridge will reopen in May," the mayor said.\n\n'
        "Residents were sceptical."
    )
    article_id, view = await post_annotated(client, settings, pipeline, body, "orphan-1")
    quote = next(q for q in view["quotes"] if q["text"].startswith("The bridge will reopen"))
    r = await client.patch(f"/v1/quotes/{quote['id']}", json={"speaker_text": "the mayor"})
    assert r.status_code == 200 and r.json()["curated"] is True
    assert (await client.get("/v1/quotes/orphans")).json()["items"] == []
    new_body = body.replace('"The bridge will reopen in May," the mayor said.', "No comment.")
    await revise_annotated(client, settings, pipeline, article_id, new_body)
    orphans = (await client.get("/v1/quotes/orphans", params={"article_id": article_id})).json()
    assert [(o["id"], o["anchor_status"], o["revision"]) for o in orphans["items"]] == [
        (quote["id"], "orphaned", 1)
    ]
    assert (await client.get("/v1/quotes/orphans", params={"article_id": 1})).json()["items"] == []
    assert (await client.get("/v1/quotes/orphans", params={"cursor": "bogus"})).status_code == 400


async def test_quotes_from_unnamed_sources_are_found_by_their_speaker_text(
    clean_store: None, client: httpx.AsyncClient, settings: Any, pipeline: Any
) -> None:
    body = (
        "The ministry defended the plan on Friday.\n\n"
        '"The rollout will continue," a ministry spokeswoman said.\n\n'
        '"We are not worried," said a senior official, who asked not to be named.'
    )
    article_id, _ = await post_annotated(client, settings, pipeline, body, "anon-1")

    async def texts(**params: str) -> list[str]:
        return [q["text"] for q in await _all(client, article_id=article_id, **params)]

    assert await texts(speaker_text="spokeswoman") == ["The rollout will continue"]
    assert await texts(speaker_text="Spokes") == ["The rollout will continue"]
    assert await texts(speaker_text="senior off") == ["We are not worried"]
    assert await texts(speaker_text="the") == []  # function words name nobody
    assert await texts(speaker_text="minister") == []


async def test_patch_changes_only_the_fields_sent(
    clean_store: None, annotated: None, client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    putin = await _entity_id(db_session, "vladimir putin")
    await db_session.rollback()
    quote = (await _all(client, speaker="Miller"))[0]
    r = await client.patch(f"/v1/quotes/{quote['id']}", json={"speaker_id": putin})
    assert r.status_code == 200, r.text
    patched = r.json()
    assert patched["speaker"]["id"] == putin
    # speaker_text is the words in the text: a new speaker entity does not rewrite them
    assert patched["speaker_text"] == quote["speaker_text"]
    untouched = {k: v for k, v in quote.items() if k not in ("speaker", "curated")}
    assert {k: patched[k] for k in untouched} == untouched


async def test_annotations_view_includes_the_revisions_claims(
    annotated: None, client: httpx.AsyncClient
) -> None:
    view = (await client.get("/v1/articles/1/annotations")).json()
    assert view["claims"], "the seed article has check-worthy claims"
    for c in view["claims"]:
        assert view["text"][c["start"] : c["end"]] == c["text"]
    listed = (await client.get("/v1/claims", params={"article_id": 1, "limit": 500})).json()
    assert {c["id"] for c in view["claims"]} == {c["id"] for c in listed["items"]}
