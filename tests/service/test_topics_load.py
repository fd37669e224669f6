"""`article-store topics load FILE`: a newer IPTC Media Topics release is upserted by code in
one transaction, retired concepts are kept (with their links), nothing curated is dropped, and
a bad file is a clear error that writes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from typer.testing import CliRunner

from cli.main import app as cli_app
from db import migrate
from db.engine import libpq_url
from nlp.iptc import DATA, IPTC_FILE


def _jsonld(drop: set[str], rename: dict[str, str], add: list[dict[str, Any]]) -> dict[str, Any]:
    """The shipped release as IPTC's JSON-LD export, with concepts retired, relabelled, added."""
    compact = json.loads((DATA / IPTC_FILE).read_text(encoding="utf-8"))
    concepts = []
    for t in compact["topics"]:
        c: dict[str, Any] = {
            "qcode": t["code"],
            "prefLabel": {"en-GB": rename.get(t["code"], t["label"])},
            "definition": {"en-GB": t["definition"]},
        }
        if t["parent"]:
            c["broader"] = [f"http://cv.iptc.org/newscodes/mediatopic/{t['parent'][7:]}"]
        if t["code"] in drop:
            c["retired"] = "2025-01-01T00:00:00+00:00"
        concepts.append(c)
    return {"uri": "http://cv.iptc.org/newscodes/mediatopic/", "conceptSet": concepts + add}


def _rows(url: str, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with psycopg.connect(libpq_url(url)) as conn:
        return [tuple(r) for r in conn.execute(sql, args).fetchall()]


@pytest.fixture
def store_url(make_database: Callable[[], str]) -> str:
    url = make_database()
    migrate.upgrade(url, "head")
    return url


def _load(url: str, path: Path) -> Any:
    return CliRunner().invoke(cli_app, ["topics", "load", str(path)], env={"DATABASE_URL": url})


def test_a_newer_release_upserts_by_code_retires_and_keeps_links(
    store_url: str, tmp_path: Path
) -> None:
    url = store_url
    # a curated claim link to the concept the new release retires
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("INSERT INTO outlets (name) VALUES ('Wire')")
        conn.execute("INSERT INTO articles (outlet_id, external_id) SELECT id, 'a' FROM outlets")
        conn.execute(
            "INSERT INTO article_revisions (article_id, number, body, sha256, char_count) "
            "SELECT id, 1, 'A claim.', repeat('a', 64), 8 FROM articles"
        )
        conn.execute(
            "INSERT INTO claims (revision_id, article_id, outlet_id, published_at, span_start, "
            "span_end, text, score) SELECT id, article_id, 1, now(), 0, 8, 'A claim.', 0.9 "
            "FROM article_revisions"
        )
        conn.execute(
            "INSERT INTO claim_topics (claim_id, topic_id, score, source) "
            "SELECT c.id, t.id, 1, 'curated' FROM claims c, topics t WHERE t.slug = 'soccer'"
        )
    soccer = _rows(url, "SELECT id, external_code FROM topics WHERE slug = 'soccer'")[0]
    release = _jsonld(
        drop={soccer[1]},
        rename={"medtop:15000000": "sports"},
        add=[
            {
                "qcode": "medtop:99000001",
                "prefLabel": {"en-GB": "esports league"},
                "definition": {"en-GB": "Organised video game competitions."},
                "broader": ["http://cv.iptc.org/newscodes/mediatopic/15000000"],
            }
        ],
    )
    path = tmp_path / "mediatopic-2025.json"
    path.write_text(json.dumps(release), encoding="utf-8")
    result = _load(url, path)
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "1 created" in output and "1 retired" in output

    # retired, not deleted: same row, link kept
    assert _rows(url, "SELECT id, retired_at IS NOT NULL FROM topics WHERE slug = 'soccer'") == [
        (soccer[0], True)
    ]
    assert _rows(url, "SELECT count(*) FROM claim_topics WHERE topic_id = %s", soccer[0]) == [(1,)]
    # relabelled in place: the slug is stable; the new concept has its code and parent
    assert _rows(url, "SELECT name FROM topics WHERE slug = 'sport'") == [("Sports",)]
    assert _rows(
        url,
        "SELECT t.slug, p.slug FROM topics t JOIN topics p ON p.id = t.parent_id "
        "WHERE t.external_code = 'medtop:99000001'",
    ) == [("esports-league", "sport")]
    # the closure knows the new concept; custom topics stay where they were
    assert _rows(
        url,
        "SELECT c.depth FROM topic_closure c JOIN topics a ON a.id = c.ancestor_id "
        "JOIN topics d ON d.id = c.descendant_id "
        "WHERE a.slug = 'sport' AND d.slug = 'esports-league'",
    ) == [(1,)]
    assert _rows(url, "SELECT count(*) FROM topics WHERE source = 'custom'") == [(12,)]

    # loading the same release again changes nothing; the shipped one restores soccer
    again = _load(url, path)
    again_output = " ".join(again.output.split())
    assert again.exit_code == 0 and "0 created" in again_output and "0 retired" in again_output
    shipped = CliRunner().invoke(cli_app, ["topics", "load"], env={"DATABASE_URL": url})
    assert shipped.exit_code == 0, shipped.output
    assert "1 restored" in " ".join(shipped.output.split())
    assert _rows(url, "SELECT retired_at FROM topics WHERE slug = 'soccer'") == [(None,)]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read"),
        ('{"conceptSet": "x"}', "cannot read"),
        ('{"uri": "x"}', "neither an IPTC"),
        (
            json.dumps({"conceptSet": [{"qcode": "medtop:1", "broader": ["medtop:2"]}]}),
            "cannot",
        ),
    ],
)
def test_a_bad_file_is_a_clear_error_and_writes_nothing(
    store_url: str, tmp_path: Path, content: str, message: str
) -> None:
    before = _rows(store_url, "SELECT count(*), max(id) FROM topics")
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    result = _load(store_url, path)
    assert result.exit_code == 2, result.output
    output = " ".join(result.output.split())  # rich wraps long lines
    assert "error:" in output and message in output
    assert "Traceback" not in output
    assert _rows(store_url, "SELECT count(*), max(id) FROM topics") == before


async def test_retired_topics_are_listed_flagged_and_not_used_for_new_annotations(
    clean_store: None, taxonomy: None, client: httpx.AsyncClient, app: Any
) -> None:
    from sqlalchemy import text

    from db.engine import transaction
    from service import topics as topic_svc

    async with transaction(app.state.session_factory) as s:
        await s.execute(text("UPDATE topics SET retired_at = now() WHERE slug = 'soccer'"))
    r = await client.get("/v1/topics/soccer")
    assert r.status_code == 200 and r.json()["retired"] is True
    async with transaction(app.state.session_factory) as s:
        defs = await topic_svc.classification_taxonomy(s)
    slugs = {d.slug for d in defs}
    assert "soccer" not in slugs and "sport" in slugs
