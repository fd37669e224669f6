"""The seed loader: verbatim texts, dateline stripped, idempotent."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from nlp.text import strip_dateline
from service.seeds import load_seeds, read_manifest
from tests.fixtures.paths import SEEDS_DIR, SHARED_SEEDS


def test_seed_files_are_the_shared_ones_unchanged() -> None:
    files = sorted(p.name for p in SEEDS_DIR.glob("*.txt"))
    assert len(files) == 5
    if SHARED_SEEDS.exists():
        for name in files:
            assert (SEEDS_DIR / name).read_bytes() == (SHARED_SEEDS / name).read_bytes()


def test_dateline_prefix_is_metadata() -> None:
    assert strip_dateline(" date 2023-09-11 SEOUL, South Korea") == "SEOUL, South Korea"
    assert strip_dateline("No date 2023-09-11 here") == "No date 2023-09-11 here"


def test_manifest_describes_each_seed() -> None:
    seeds = {s.file[:3]: s.article for s in read_manifest(SEEDS_DIR)}
    assert seeds["000"].outlet == "Stars and Stripes"
    assert seeds["001"].outlet == seeds["003"].outlet == "Associated Press"
    assert seeds["004"].outlet == "The New York Times"
    assert seeds["002"].outlet not in {"The New York Times", "Associated Press"}
    assert len({a.external_id for a in seeds.values()}) == 5
    assert all(a.published_at is not None for a in seeds.values())
    assert seeds["003"].published_at.date().isoformat() == "2023-09-11"  # type: ignore[union-attr]


async def test_loading_seeds_twice_changes_nothing(
    clean_store: None, db_session: AsyncSession
) -> None:
    async def snapshot() -> list[tuple[object, ...]]:
        rows = await db_session.execute(
            text(
                "SELECT a.id, a.current_revision, a.updated_at, r.id, r.sha256 FROM articles a "
                "JOIN article_revisions r ON r.article_id = a.id ORDER BY r.id"
            )
        )
        return [tuple(r) for r in rows]

    before = await snapshot()
    await db_session.rollback()
    async with db_session.begin():
        results = await load_seeds(db_session, SEEDS_DIR)
    assert [r.changed for r in results] == [False] * 5
    assert await snapshot() == before
    assert len(before) == 5


async def test_stored_bodies_equal_the_files_minus_dateline(db_session: AsyncSession) -> None:
    for seed in read_manifest(SEEDS_DIR):
        raw = (SEEDS_DIR / seed.file).read_text(encoding="utf-8")
        body = (
            await db_session.execute(
                text(
                    "SELECT r.body FROM article_revisions r JOIN articles a ON a.id = r.article_id"
                    " WHERE a.external_id = :e"
                ),
                {"e": seed.article.external_id},
            )
        ).scalar_one()
        assert body == strip_dateline(raw)
        assert raw.endswith(body)
