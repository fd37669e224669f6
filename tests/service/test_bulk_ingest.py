"""Bulk ingest (service.bulk_ingest) keeps the single-article path's guarantees, and the
batched story grouping job decides what the per-article grouping decided."""

from __future__ import annotations

import gzip
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import orjson
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import create_engine, session_factory, transaction
from service import stories
from service.articles import ArticleInput, body_sha256, ingest_article, ingest_batch
from service.errors import InvalidInput
from service.ingest_files import count_items, ingest_items, iter_source
from service.seeds import read_manifest
from service.settings import Settings
from tests.fixtures.paths import SEEDS_DIR


@pytest.fixture
async def factory(database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(database_url, pool_size=2, max_overflow=0)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


async def _rows(factory: async_sessionmaker[AsyncSession], sql: str) -> list[tuple[object, ...]]:
    async with transaction(factory) as s:
        return [tuple(r) for r in (await s.execute(text(sql))).all()]


async def test_bulk_keeps_identity_numbering_hashes_and_reports_bad_items(
    factory: async_sessionmaker[AsyncSession], clean_store: None
) -> None:
    async with factory() as s:
        first = await ingest_batch(
            s,
            [
                ArticleInput(outlet="Bulk Wire", url="https://bulk.example/a?utm_source=x",
                             body="Alpha text."),
                ArticleInput(outlet="bulk wire", external_id="b", body="Beta text."),
                ArticleInput(outlet="Bulk Wire", external_id="c", body="   "),
                ArticleInput(outlet="Bulk Wire", body="no identity"),
                ArticleInput(outlet=999_999, external_id="d", body="unknown outlet id"),
                ArticleInput(outlet="Bulk Wire", external_id="e" * 501, body="too long an id"),
            ],
        )  # fmt: skip
    assert [r.outcome.status if r.outcome else type(r.error).__name__ for r in first] == [
        "created", "created", "InvalidInput", "InvalidInput", "InvalidInput", "InvalidInput",
    ]  # fmt: skip
    a_id, b_id = first[0].outcome.article_id, first[1].outcome.article_id  # type: ignore[union-attr]
    async with factory() as s:
        second = await ingest_batch(
            s,
            [
                # the same URL after normalisation, new text: revision 2 of a
                ArticleInput(outlet="BULK WIRE", url="https://bulk.example/a",
                             external_id="a-ext", body="Alpha text, corrected.",
                             title="Alpha"),
                # CRLF variant of b's text: unchanged
                ArticleInput(outlet="Bulk Wire", external_id="b", body="Beta text.\r\n".strip()),
                # a again later in the batch: revision 3, then the same text again: unchanged
                ArticleInput(outlet="Bulk Wire", url="https://bulk.example/a?utm_medium=y",
                             body="Alpha, third."),
                ArticleInput(outlet="Bulk Wire", url="https://bulk.example/a",
                             body="Alpha, third."),
            ],
        )  # fmt: skip
    assert [(r.outcome.status, r.outcome.article_id, r.outcome.revision) for r in second] == [  # type: ignore[union-attr]
        ("revised", a_id, 2), ("unchanged", b_id, 1), ("revised", a_id, 3),
        ("unchanged", a_id, 3),
    ]  # fmt: skip
    revs = await _rows(
        factory,
        f"SELECT number, sha256, title, change_stats IS NOT NULL, similarity_to_previous "
        f"FROM article_revisions WHERE article_id = {a_id} ORDER BY number",
    )
    assert [r[0] for r in revs] == [1, 2, 3]
    assert revs[2][1] == body_sha256("Alpha, third.")
    assert revs[0][3] is False and revs[1][3] is True and revs[2][3] is True
    assert 0 < float(revs[1][4]) < 1  # type: ignore[arg-type]
    art = await _rows(
        factory, f"SELECT current_revision, title, url, external_id FROM articles WHERE id = {a_id}"
    )
    assert art == [(3, "Alpha", "https://bulk.example/a", None)]
    # one outlet (names match case-insensitively), one pending run per stored revision
    assert await _rows(factory, "SELECT count(*) FROM outlets WHERE lower(name) = 'bulk wire'") == [
        (1,)
    ]
    runs = await _rows(
        factory,
        "SELECT count(*) FROM annotation_runs r JOIN article_revisions v ON v.id = r.revision_id "
        f"WHERE v.article_id IN ({a_id}, {b_id}) AND r.status = 'pending'",
    )
    assert runs == [(4,)]


async def test_an_error_in_the_batch_stores_nothing_of_it(
    factory: async_sessionmaker[AsyncSession], clean_store: None
) -> None:
    """No partial batch: a batch that fails as a whole (here: too many items) writes nothing."""
    items = [ArticleInput(outlet="X", external_id=str(i), body="x") for i in range(3)]
    async with factory() as s:
        with pytest.raises(InvalidInput):
            await ingest_batch(s, items, max_items=2)  # type: ignore[arg-type]
    assert await _rows(factory, "SELECT count(*) FROM outlets WHERE name = 'X'") == [(0,)]


async def test_grouping_job_groups_like_the_single_article_path(
    factory: async_sessionmaker[AsyncSession], clean_store: None
) -> None:
    """The seeds again, in bulk, under another outlet, with a syndicated copy of 001: before
    the job no article has a story; after it each joins its twin among the seeds already in
    (grouped articles are candidates), 001, 003 and the copy share one story (as the
    per-article grouping decided for the seeds) and no other two bulk articles do."""
    seeds = read_manifest(SEEDS_DIR)
    items = [replace(s.article, outlet="Bulk Seeds", url=None) for s in seeds]
    copy = replace(
        seeds[1].article, outlet="Bulk Seeds", url=None, external_id="copy-of-001",
        body=seeds[1].article.body + "\n\nDistributed by a syndicate.",
    )  # fmt: skip
    async with factory() as s:
        results = await ingest_batch(s, [*items, copy])
    ids = [r.outcome.article_id for r in results]  # type: ignore[union-attr]
    id_list = ", ".join(map(str, ids))
    assert await _rows(factory, f"SELECT count(*) FROM articles WHERE id IN ({id_list}) "
                       "AND story_id IS NOT NULL") == [(0,)]  # fmt: skip
    assert await stories.grouping_pending(factory)
    assert await stories.group_pending(factory, batch=4) == 6
    assert not await stories.grouping_pending(factory)
    story = dict(await _rows(factory, "SELECT id, story_id FROM articles"))
    twin = dict(
        await _rows(
            factory,
            "SELECT a.external_id, a.id FROM articles a JOIN outlets o ON o.id = a.outlet_id "
            "WHERE o.name <> 'Bulk Seeds'",
        )
    )
    for seed, bulk_id in zip(seeds, ids, strict=False):
        assert story[bulk_id] is not None
        assert story[bulk_id] == story[twin[seed.article.external_id]]
    assert story[ids[1]] == story[ids[3]] == story[ids[5]]
    assert len({story[ids[k]] for k in (0, 1, 2, 4)}) == 4
    # the job wrote what the per-article path writes: fingerprints and 64 LSH bands each
    fp = await _rows(
        factory,
        "SELECT count(*) FROM article_revisions WHERE fingerprint IS NOT NULL "
        f"AND article_id IN ({id_list})",
    )
    bands = await _rows(
        factory, f"SELECT count(*) FROM article_lsh_bands WHERE article_id IN ({id_list})"
    )
    assert fp == [(6,)] and bands == [(6 * stories.BANDS,)]


REPORT = (
    "The harbour authority of Port Ellery closed the northern quay on Tuesday after "
    "inspectors found cracks in the concrete deck. Ferries to the islands will use the "
    "southern berth until repairs are finished, the authority said in a statement. "
    "Fishermen complained that the southern berth is too shallow for the larger trawlers. "
    "Engineers expect the work to take six weeks and to cost about two million euros. "
    "The quay was last rebuilt in 1987, when storms destroyed the old wooden pier."
)


async def test_batch_members_and_a_later_single_article_meet_in_one_story(
    factory: async_sessionmaker[AsyncSession], clean_store: None
) -> None:
    """Two versions of one report in one batch, and a third posted on its own while they
    wait for the grouping job: the job puts the later batch member with the earlier one and
    finds the single article too (a grouped article is a candidate whatever its id)."""
    async with factory() as s:
        batch = await ingest_batch(
            s,
            [
                ArticleInput(outlet="Early", external_id="v1", body=REPORT),
                ArticleInput(outlet="Early", external_id="v2",
                             body=REPORT.replace("six weeks", "two months")),
                ArticleInput(outlet="Early", external_id="other",
                             body="A different report about a school budget vote. " * 4),
            ],
        )  # fmt: skip
    async with transaction(factory) as s:
        single = await ingest_article(
            s, ArticleInput(outlet="Late", external_id="v3", body=REPORT + " Updated.")
        )
    assert single.run_id is not None
    await stories.group_pending(factory)
    v1, v2, other = (r.outcome.article_id for r in batch)  # type: ignore[union-attr]
    rows = dict(
        await _rows(
            factory,
            f"SELECT id, story_id FROM articles WHERE id IN ({v1}, {v2}, {other}, "
            f"{single.article_id})",
        )
    )
    assert rows[v1] is not None and rows[v1] == rows[v2] == rows[single.article_id]
    assert rows[other] is None


async def test_file_ingest_reads_gzip_and_a_rerun_stores_nothing_twice(
    tmp_path: Path,
    settings: Settings,
    database_url: str,
    factory: async_sessionmaker[AsyncSession],
    clean_store: None,
) -> None:
    source = tmp_path / "archive.jsonl.gz"
    lines = [
        orjson.dumps({"outlet": "Gz", "external_id": f"g{n}", "body": f"Report {n}, in full."})
        for n in range(7)
    ]
    with gzip.open(source, "wb") as fh:
        fh.write(b"\n".join([*lines[:3], b"{broken", *lines[3:]]) + b"\n")
    assert count_items(source) == 8

    async def run() -> dict[str, int]:
        counts: dict[str, int] = {}

        def done(part: object, results: list[object]) -> None:
            for r in results:
                key = r.outcome.status if r.outcome else "failed"  # type: ignore[attr-defined]
                counts[key] = counts.get(key, 0) + 1

        await ingest_items(settings, database_url, iter_source(source), chunk=3, on_chunk=done)
        return counts

    assert await run() == {"created": 7, "failed": 1}
    # interrupted or not: the second run finds every article in, with the same text
    assert await run() == {"unchanged": 7, "failed": 1}
    revs = await _rows(
        factory,
        "SELECT count(*) FROM article_revisions v JOIN articles a ON a.id = v.article_id "
        "JOIN outlets o ON o.id = a.outlet_id WHERE o.name = 'Gz'",
    )
    assert revs == [(7,)]
