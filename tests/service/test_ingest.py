"""Ingest in the service layer: identity, HTML extraction, savepoints, LSH, files."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import create_engine
from service import stories
from service.articles import (
    ArticleInput,
    body_sha256,
    build_input,
    extract_html,
    ingest_batch,
)
from service.errors import InvalidEncoding, InvalidInput
from service.ingest_files import ingest_items, iter_source
from service.settings import Settings
from textkit.similarity import fingerprint


def test_body_sha256_ignores_line_ending_style() -> None:
    assert body_sha256("a\r\nb\rc") == body_sha256("a\nb\nc")


def test_html_without_text_is_invalid_and_explains_why() -> None:
    with pytest.raises(InvalidInput, match="no article text"):
        extract_html("<html><head><title>t</title></head><body><script></script></body></html>")
    with pytest.raises(InvalidInput, match="exactly one"):
        build_input(outlet="x", external_id="e")


def test_surrogates_are_an_encoding_error() -> None:
    from service.articles import _validate

    with pytest.raises(InvalidEncoding):
        _validate(ArticleInput(outlet="x", external_id="e", body="a\ud800"), 1000)


@given(st.text(min_size=1, max_size=300))
def test_fingerprints_round_trip_and_equal_texts_share_every_bucket(text: str) -> None:
    fp = stories.fingerprint_bytes(text)
    assert fp == fingerprint(text).to_bytes() and len(fp) == 512
    assert stories.lsh_buckets(fp) == stories.lsh_buckets(stories.fingerprint_bytes(text))
    if fingerprint(text).shingles:
        assert stories.fingerprint_similarity(fp, fp) == 1.0


def test_a_syndicated_copy_shares_lsh_buckets_and_an_unrelated_text_does_not() -> None:
    from tests.fixtures.paths import SEEDS_DIR

    bodies = sorted(p.read_text() for p in SEEDS_DIR.glob("00[13]_*.txt"))
    a, b = (stories.lsh_buckets(stories.fingerprint_bytes(t)) for t in bodies)
    assert set(a) & set(b)
    other = stories.lsh_buckets(
        stories.fingerprint_bytes((SEEDS_DIR / "000_e96bd463a1726657.txt").read_text())
    )
    assert not set(a) & set(other)


async def test_batch_rolls_back_only_the_failing_item(
    db_session: AsyncSession, clean_store: None
) -> None:
    items: list[ArticleInput | InvalidInput] = [
        ArticleInput(outlet="S", external_id="one", body="one"),
        ArticleInput(outlet="S", external_id="two", body="two \x00"),
        InvalidInput("pre-parsed failure"),
        ArticleInput(outlet="S", external_id="one", body="one, edited"),
    ]
    results = await ingest_batch(db_session, items)  # type: ignore[arg-type]
    assert [r.outcome.status if r.outcome else "error" for r in results] == [
        "created", "error", "error", "revised",
    ]  # fmt: skip


def test_iter_source_reads_jsonl_and_folders(tmp_path: Path) -> None:
    jl = tmp_path / "a.jsonl"
    jl.write_text(
        '{"outlet": "O", "external_id": "1", "body": "x", "published_at": "2024-01-01T00:00:00Z"}\n'
        "not json\n\n"
        '{"external_id": "2", "body": "y", "bogus": 1}\n'
    )
    got = list(iter_source(jl))
    assert isinstance(got[0].item, ArticleInput) and got[0].item.published_at is not None
    assert all(isinstance(s.item, InvalidInput) for s in got[1:]) and len(got) == 3
    folder = tmp_path / "f"
    folder.mkdir()
    (folder / "x.txt").write_text("plain text")
    (folder / "y.txt").write_bytes(b"caf\xe9")
    (folder / "z.md").write_text("ignored")
    items = list(iter_source(folder, outlet="Folder"))
    assert len(items) == 2
    assert isinstance(items[0].item, ArticleInput) and items[0].item.external_id == "x"
    assert isinstance(items[1].item, InvalidEncoding)


async def test_file_ingest_hands_each_chunks_runs_to_the_queue_at_once(
    tmp_path: Path, settings: Settings, database_url: str, clean_store: None
) -> None:
    """`article-store ingest` goes through the same unit of work as the API: every committed
    chunk's annotation runs get a queue job right away, not at the worker's next sweep."""
    source = tmp_path / "archive.jsonl"
    source.write_text(
        "".join(
            f'{{"outlet": "Archive", "external_id": "a{n}", "body": "Report {n}: the council '
            f'met on Monday, the mayor said."}}\n'
            for n in range(5)
        )
    )
    chunks: list[int] = []
    await ingest_items(
        settings,
        database_url,
        list(iter_source(source)),
        chunk=2,
        on_chunk=lambda part, results: chunks.append(len(results)),
    )
    assert chunks == [2, 2, 1]
    engine = create_engine(database_url, pool_size=1, max_overflow=0)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    text(
                        "SELECT r.status, j.status::text FROM annotation_runs r "
                        "JOIN article_revisions v ON v.id = r.revision_id "
                        "JOIN articles a ON a.id = v.article_id "
                        "LEFT JOIN procrastinate_jobs j ON j.id = r.job_id "
                        "WHERE a.external_id LIKE 'a%'"
                    )
                )
            ).all()
    finally:
        await engine.dispose()
    assert len(rows) == 5
    assert all(job == "todo" for _, job in rows), rows
