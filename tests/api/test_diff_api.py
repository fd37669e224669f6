"""Diffs through the API: revisions of one article, any two texts, formats, annotations."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from service.seeds import read_manifest
from tests.fixtures.paths import SEEDS_DIR
from tests.fixtures.texts import unrelated_text

PROBLEM = "application/problem+json"


async def _seed_ids(client: httpx.AsyncClient) -> dict[str, int]:
    items = (await client.get("/v1/articles")).json()["items"]
    by_ext = {i["external_id"]: i["id"] for i in items}
    return {s.file[:3]: by_ext[s.article.external_id] for s in read_manifest(SEEDS_DIR)}


def _apply(ops: list[dict[str, object]], old: str) -> str:
    out = []
    pos = 0
    for op in ops:
        assert op["old_start"] == pos
        assert old[op["old_start"] : op["old_end"]] == op["old_text"]  # type: ignore[misc]
        out.append(op["new_text"])
        pos = op["old_end"]  # type: ignore[assignment]
    assert pos == len(old)
    return "".join(out)  # type: ignore[arg-type]


async def test_ap_versions_diff_in_three_formats(client: httpx.AsyncClient) -> None:
    ids = await _seed_ids(client)
    params = {"left": str(ids["001"]), "right": str(ids["003"])}
    r = await client.get("/v1/diff", params={**params, "granularity": "sentence"})
    assert r.status_code == 200
    d = r.json()
    old = (await client.get(f"/v1/articles/{ids['001']}")).json()["body"]
    new = (await client.get(f"/v1/articles/{ids['003']}")).json()["body"]
    assert _apply(d["ops"], old) == new
    kinds = {c["kind"] for c in d["changes"]}
    assert {"added", "edited"} <= kinds
    assert d["annotations"]["quotes"] == {"only_old": [], "only_new": [], "both": []}

    r = await client.get("/v1/diff", params={**params, "format": "unified"})
    assert r.headers["content-type"].startswith("text/plain")
    assert r.text.startswith(f"--- article {ids['001']} revision 1\n+++ article {ids['003']}")
    assert "\n-" in r.text and "\n+" in r.text
    r = await client.get("/v1/diff", params={**params, "format": "html"})
    assert r.headers["content-type"].startswith("text/html")
    assert r.text.startswith('<div class="article-diff">') and "<ins>" in r.text


async def test_article_diff_defaults_backwards_and_ignore(
    client: httpx.AsyncClient, clean_store: None
) -> None:
    etag = (await client.get("/v1/articles/1")).headers["etag"]
    old = (await client.get("/v1/articles/1")).json()["body"]
    new = old.replace("'", "\u2019", 3) + "\nAn added sentence at the end."
    await client.put("/v1/articles/1", json={"body": new}, headers={"If-Match": etag})
    d = (await client.get("/v1/articles/1/diff")).json()
    assert (d["old"]["revision"], d["new"]["revision"]) == (1, 2)
    assert _apply(d["ops"], old) == new
    back = (await client.get("/v1/articles/1/diff", params={"from": 2, "to": 1})).json()
    assert _apply(back["ops"], new) == old
    quiet = (await client.get("/v1/articles/1/diff", params={"ignore": "quotes,whitespace"})).json()
    changed = [o for o in quiet["ops"] if o["op"] != "equal"]
    assert len(changed) == 1 and "added sentence" in changed[0]["new_text"]


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/v1/articles/1/diff?from=9", 404),
        ("/v1/articles/1/diff?to=9", 404),
        ("/v1/articles/999999/diff", 404),
        ("/v1/articles/1/diff?granularity=letter", 422),
        ("/v1/articles/1/diff?format=pdf", 422),
        ("/v1/articles/1/diff?ignore=case", 422),
        ("/v1/diff?left=1&right=abc", 422),
        ("/v1/diff?left=1@7&right=2", 404),
        ("/v1/diff?left=999999&right=2", 404),
        ("/v1/diff?left=1", 422),
    ],
)
async def test_diff_bad_input(client: httpx.AsyncClient, url: str, status: int) -> None:
    r = await client.get(url)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)


async def test_annotations_are_matched_by_speaker_and_text(
    client: httpx.AsyncClient, db_session: AsyncSession, clean_store: None
) -> None:
    ids = await _seed_ids(client)
    a, b = ids["001"], ids["003"]

    async def add_quote(article_id: int, speaker: str, quote: str) -> None:
        row = (
            await db_session.execute(
                text(
                    "SELECT r.id, r.body, a.outlet_id, a.published_sort FROM article_revisions r "
                    "JOIN articles a ON a.id = r.article_id AND r.number = a.current_revision "
                    "WHERE a.id = :id"
                ),
                {"id": article_id},
            )
        ).one()
        start = row.body.index(quote)
        await db_session.execute(
            text(
                "INSERT INTO quotes (revision_id, article_id, outlet_id, published_at, kind,"
                " span_start, span_end, text, speaker_text) VALUES (:r, :a, :o, :p, 'direct',"
                " :s, :e, :t, :sp)"
            ),
            {
                "r": row.id, "a": article_id, "o": row.outlet_id, "p": row.published_sort,
                "s": start, "e": start + len(quote), "t": quote, "sp": speaker,
            },
        )  # fmt: skip

    old = (await client.get(f"/v1/articles/{a}")).json()["body"]
    new = (await client.get(f"/v1/articles/{b}")).json()["body"]
    shared = next(w for w in ("Kim", "Putin", "Russia") if w in old and w in new)
    await add_quote(a, "Speaker One", shared)
    await add_quote(b, "speaker one", shared)
    await add_quote(a, "Speaker Two", old[:20])
    await db_session.commit()
    d = (await client.get("/v1/diff", params={"left": a, "right": b})).json()
    quotes = d["annotations"]["quotes"]
    assert d["annotations"]["available"] is True
    assert [q["text"] for q in quotes["both"]] == [shared]
    assert [q["speaker"] for q in quotes["only_old"]] == ["Speaker Two"]
    assert quotes["only_new"] == []


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    old=st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=120),
    new=st.text(st.characters(exclude_categories=["Cs", "Cc"]), min_size=1, max_size=120),
    granularity=st.sampled_from(["word", "sentence", "paragraph"]),
)
async def test_applying_json_diff_ops_rebuilds_the_new_text(
    client: httpx.AsyncClient, clean_store: None, old: str, new: str, granularity: str
) -> None:
    if not old.strip() or not new.strip():
        return
    r = await client.post("/v1/articles", json={"outlet": "Prop", "external_id": "p", "body": old})
    if r.json()["result"] == "unchanged":  # same text as an earlier example's last one
        pass
    etag = r.headers["etag"]
    art = r.json()["id"]
    r = await client.put(f"/v1/articles/{art}", json={"body": new}, headers={"If-Match": etag})
    assert r.status_code == 200, r.text
    stored_old = (
        await client.get(f"/v1/articles/{art}/revisions/{max(1, r.json()['revision'] - 1)}")
    ).json()["body"]
    d = await client.get(f"/v1/articles/{art}/diff", params={"granularity": granularity})
    assert d.status_code == 200
    assert _apply(d.json()["ops"], stored_old) == r_body(await client.get(f"/v1/articles/{art}"))


def r_body(r: httpx.Response) -> str:
    return str(r.json()["body"])


async def test_unified_diff_defaults_to_one_sentence_per_line(client: httpx.AsyncClient) -> None:
    r = await client.get("/v1/diff", params={"left": 2, "right": 4, "format": "unified"})
    assert r.status_code == 200
    changed = [ln for ln in r.text.splitlines() if ln[:1] in "+-" and ln[:3] not in ("+++", "---")]
    assert changed
    # whole sentences, not one token per line
    assert sum(len(ln.split()) >= 5 for ln in changed) > len(changed) / 2


async def _poll_healthz_until(client: httpx.AsyncClient, task: asyncio.Task[Any]) -> list[float]:
    """How long each /healthz poll waited (seconds) beyond its 20 ms pause, polling until
    ``task`` is done: a blocked event loop delays the request or the pause after it."""
    latencies = []
    while not task.done():
        started = time.perf_counter()
        r = await client.get("/healthz")
        assert r.status_code == 200
        await asyncio.sleep(0.02)
        latencies.append(time.perf_counter() - started - 0.02)
    return latencies


async def _post(client: httpx.AsyncClient, external_id: str, body: str) -> httpx.Response:
    r = await client.post(
        "/v1/articles", json={"outlet": "Long", "external_id": external_id, "body": body}
    )
    assert r.status_code == 201, r.text[:300]
    return r


async def test_healthz_answers_in_milliseconds_while_a_long_diff_runs(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, clean_store: None
) -> None:
    # two unrelated 200 kB texts: seconds of diff work, which ran on the event loop
    left = (await _post(client, "long-1", unrelated_text(200_000, 1, "."))).json()["id"]
    right = (await _post(client, "long-2", unrelated_text(200_000, 2, "."))).json()["id"]
    diff = asyncio.create_task(
        anon_client.get("/v1/diff", params={"left": left, "right": right, "format": "html"})
    )
    latencies = await _poll_healthz_until(anon_client, diff)
    r = diff.result()
    assert r.status_code == 200
    assert r.text.startswith('<div class="article-diff">')
    assert len(latencies) >= 3 and max(latencies) < 0.25, latencies


async def test_a_new_revision_of_unrelated_long_text_answers_within_the_budget(
    client: httpx.AsyncClient, anon_client: httpx.AsyncClient, clean_store: None
) -> None:
    # one 100 kB "sentence" per revision: the word diff never finished on the event loop
    first = await _post(client, "long-3", unrelated_text(100_000, 3))
    put = asyncio.create_task(
        client.put(
            f"/v1/articles/{first.json()['id']}",
            json={"body": unrelated_text(100_000, 4)},
            headers={"If-Match": first.headers["etag"]},
        )
    )
    started = time.perf_counter()
    latencies = await _poll_healthz_until(anon_client, put)
    assert put.result().status_code == 200, put.result().text[:300]
    assert time.perf_counter() - started < 15
    assert max(latencies) < 0.25, latencies
    r = await client.get(f"/v1/articles/{first.json()['id']}/diff")
    assert r.status_code == 200
    assert r.json()["degraded"] == ["size", "pairs"]
    assert r.headers["x-diff-degraded"] == "size,pairs"
    assert [op["op"] for op in r.json()["ops"]] == ["replace"]
    # the text operations say so too
    text = await client.get(f"/v1/articles/{first.json()['id']}/diff/unified")
    assert text.status_code == 200 and text.headers["x-diff-degraded"]
