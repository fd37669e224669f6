"""All SQL about stories: LSH candidate lookup, membership, confirm/split/merge."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, delete, exists, func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Reader
from db.models import ArticleLshBand, Story
from db.repositories import work_queues
from db.repositories.articles import ARTICLE_COLUMNS, articles, outlets, revisions
from db.repositories.filters import current_revision_of_article, page_limit

stories: Table = Story.__table__  # type: ignore[assignment]
bands: Table = ArticleLshBand.__table__  # type: ignore[assignment]

DbRow = Any


async def replace_bands(
    session: AsyncSession, article_id: int, buckets: Sequence[tuple[int, int]]
) -> None:
    """Make ``buckets`` (band, bucket) the article's LSH entries."""
    await session.execute(delete(bands).where(bands.c.article_id == article_id))
    if buckets:
        await session.execute(
            insert(bands)
            .values([{"band": b, "bucket": h, "article_id": article_id} for b, h in buckets])
            .on_conflict_do_nothing()
        )


async def find_band_candidates(
    session: AsyncSession,
    buckets: Sequence[tuple[int, int]],
    exclude_article_id: int,
    limit: int = 50,
) -> list[DbRow]:
    """Articles sharing at least one LSH bucket, most shared buckets first, with the
    fingerprint of their current revision."""
    if not buckets:
        return []
    shared = (
        select(bands.c.article_id, func.count().label("shared"))
        .where(tuple_(bands.c.band, bands.c.bucket).in_(list(buckets)))
        .where(bands.c.article_id != exclude_article_id)
        .group_by(bands.c.article_id)
        .order_by(func.count().desc(), bands.c.article_id)
        .limit(page_limit(limit))
        .subquery()
    )
    stmt = (
        select(
            articles.c.id,
            articles.c.story_id,
            articles.c.story_locked,
            revisions.c.fingerprint,
            shared.c.shared,
        )
        .join(shared, shared.c.article_id == articles.c.id)
        .join(
            revisions,
            current_revision_of_article(),
        )
        .order_by(shared.c.shared.desc(), articles.c.id)
    )
    return list((await session.execute(stmt)).all())


async def insert_story(session: AsyncSession, title: str | None, confirmed: bool = False) -> int:
    stmt = insert(stories).values(title=title, confirmed=confirmed).returning(stories.c.id)
    return int((await session.execute(stmt)).scalar_one())


async def lock_story(session: AsyncSession, story_id: int) -> DbRow | None:
    stmt = select(stories).where(stories.c.id == story_id).with_for_update()
    return (await session.execute(stmt)).first()


async def get_story(session: AsyncSession, story_id: int) -> DbRow | None:
    member_count = (
        select(func.count())
        .select_from(articles)
        .where(articles.c.story_id == stories.c.id)
        .scalar_subquery()
    )
    stmt = select(stories, member_count.label("member_count")).where(stories.c.id == story_id)
    return (await session.execute(stmt)).first()


async def set_confirmed(session: AsyncSession, story_id: int, confirmed: bool = True) -> None:
    await session.execute(
        update(stories).where(stories.c.id == story_id).values(confirmed=confirmed)
    )


async def assign_story(
    session: AsyncSession,
    article_ids: Sequence[int],
    story_id: int | None,
    *,
    locked: bool | None = None,
) -> None:
    values: dict[str, Any] = {"story_id": story_id}
    if locked is not None:
        values["story_locked"] = locked
    await session.execute(
        update(articles).where(articles.c.id.in_(list(article_ids))).values(**values)
    )


async def move_members(
    session: AsyncSession, from_story: int, to_story: int, *, locked: bool | None = None
) -> None:
    values: dict[str, Any] = {"story_id": to_story}
    if locked is not None:
        values["story_locked"] = locked
    await session.execute(
        update(articles).where(articles.c.story_id == from_story).values(**values)
    )


async def lock_members(session: AsyncSession, story_id: int) -> None:
    await session.execute(
        update(articles).where(articles.c.story_id == story_id).values(story_locked=True)
    )


async def member_ids(session: Reader, story_id: int) -> list[int]:
    stmt = select(articles.c.id).where(articles.c.story_id == story_id).order_by(articles.c.id)
    return [int(i) for i in (await session.execute(stmt)).scalars()]


async def find_members(session: AsyncSession, story_id: int, limit: int = 200) -> list[DbRow]:
    """Members oldest first (publication date, then id), with their current fingerprint."""
    stmt = (
        select(*ARTICLE_COLUMNS, articles.c.story_locked, revisions.c.fingerprint)
        .join(outlets, outlets.c.id == articles.c.outlet_id)
        .join(
            revisions,
            current_revision_of_article(),
        )
        .where(articles.c.story_id == story_id)
        .order_by(articles.c.published_sort, articles.c.id)
        .limit(page_limit(limit))
    )
    return list((await session.execute(stmt)).all())


async def delete_story(session: AsyncSession, story_id: int) -> None:
    await session.execute(delete(stories).where(stories.c.id == story_id))


async def delete_if_empty(session: AsyncSession, story_id: int) -> bool:
    """Delete the story when no article belongs to it any more."""
    members = exists().where(articles.c.story_id == story_id)
    result = await session.execute(
        delete(stories).where(stories.c.id == story_id, ~members).returning(stories.c.id)
    )
    return result.first() is not None


async def find_related_candidates(
    session: Reader,
    article_id: int,
    around: datetime,
    window: timedelta,
    limit: int,
) -> list[DbRow]:
    """Other articles published within ``window`` of ``around``, nearest first, with the
    text and fingerprint of their current revision."""
    stmt = (
        select(*ARTICLE_COLUMNS, revisions.c.body, revisions.c.fingerprint)
        .join(outlets, outlets.c.id == articles.c.outlet_id)
        .join(
            revisions,
            current_revision_of_article(),
        )
        .where(
            articles.c.id != article_id,
            articles.c.published_sort >= around - window,
            articles.c.published_sort <= around + window,
        )
        .order_by(func.abs(func.extract("epoch", articles.c.published_sort - around)))
        .limit(page_limit(limit))
    )
    return list((await session.execute(stmt)).all())


async def find_nearby_fingerprints(
    session: AsyncSession, article_id: int, window: timedelta, limit: int
) -> list[DbRow]:
    """Articles published within ``window`` of this one, nearest first, with the
    fingerprint of their current revision (uses the published_sort index)."""
    me = select(articles.c.published_sort).where(articles.c.id == article_id).scalar_subquery()
    stmt = (
        select(articles.c.id, articles.c.story_id, articles.c.story_locked, revisions.c.fingerprint)
        .join(
            revisions,
            current_revision_of_article(),
        )
        .where(
            articles.c.id != article_id,
            articles.c.published_sort >= me - window,
            articles.c.published_sort <= me + window,
        )
        .order_by(func.abs(func.extract("epoch", articles.c.published_sort - me)), articles.c.id)
        .limit(page_limit(limit))
    )
    return list((await session.execute(stmt)).all())


async def current_bodies(session: AsyncSession, article_ids: Sequence[int]) -> dict[int, str]:
    """The current revision's text of each article."""
    if not article_ids:
        return {}
    stmt = (
        select(articles.c.id, revisions.c.body)
        .join(
            revisions,
            current_revision_of_article(),
        )
        .where(articles.c.id.in_(list(article_ids)))
    )
    return {int(r.id): r.body for r in (await session.execute(stmt)).all()}


# --- batched grouping (the group_stories job) ------------------------------------------


async def grouping_queue_size(session: AsyncSession) -> int:
    return await work_queues.size(session, "story_grouping_queue")


async def take_grouping_batch(session: AsyncSession, limit: int) -> list[int]:
    """Remove up to ``limit`` queued article ids (lowest first) and return them; the rows
    come back if the transaction rolls back."""
    return await work_queues.take(session, "story_grouping_queue", limit)


async def lock_current_revisions(session: AsyncSession, article_ids: Sequence[int]) -> list[DbRow]:
    """The articles (locked, id order) with their current revision's id, text and
    fingerprint."""
    rows = await session.execute(
        text(
            "SELECT a.id, a.title, a.story_id, r.id AS revision_id, r.body, r.fingerprint "
            "FROM articles a JOIN article_revisions r "
            "  ON r.article_id = a.id AND r.number = a.current_revision "
            "WHERE a.id = ANY(:ids) ORDER BY a.id FOR UPDATE OF a"
        ),
        {"ids": list(article_ids)},
    )
    return list(rows.all())


async def set_fingerprints(
    session: AsyncSession, revision_ids: Sequence[int], fingerprints: Sequence[bytes]
) -> None:
    if revision_ids:
        await session.execute(
            text(
                "UPDATE article_revisions r SET fingerprint = v.fp "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:fps AS bytea[])) AS v(id, fp) "
                "WHERE r.id = v.id"
            ),
            {"ids": list(revision_ids), "fps": list(fingerprints)},
        )


async def replace_bands_many(
    session: AsyncSession, article_ids: Sequence[int], rows: Sequence[tuple[int, int, int]]
) -> None:
    """Make ``rows`` (band, bucket, article id) the LSH entries of ``article_ids``."""
    await session.execute(
        text("DELETE FROM article_lsh_bands WHERE article_id = ANY(:ids)"),
        {"ids": list(article_ids)},
    )
    if rows:
        await session.execute(
            text(
                "INSERT INTO article_lsh_bands (band, bucket, article_id) "
                "SELECT * FROM unnest(CAST(:b AS smallint[]), CAST(:h AS bigint[]), "
                "CAST(:a AS bigint[])) ON CONFLICT DO NOTHING"
            ),
            {"b": [r[0] for r in rows], "h": [r[1] for r in rows], "a": [r[2] for r in rows]},
        )


async def band_candidates_many(
    session: AsyncSession, article_ids: Sequence[int]
) -> list[tuple[int, int, int]]:
    """(article id, candidate id, shared buckets) for every pair sharing an LSH bucket."""
    if not article_ids:
        return []
    rows = await session.execute(
        text(
            "SELECT n.article_id AS new_id, b.article_id AS cand_id, count(*) AS shared "
            "FROM article_lsh_bands n JOIN article_lsh_bands b "
            "  ON b.band = n.band AND b.bucket = n.bucket AND b.article_id <> n.article_id "
            "WHERE n.article_id = ANY(:ids) GROUP BY 1, 2"
        ),
        {"ids": list(article_ids)},
    )
    return [(int(r.new_id), int(r.cand_id), int(r.shared)) for r in rows]


async def nearby_many(
    session: AsyncSession, article_ids: Sequence[int], window: timedelta, limit: int
) -> list[tuple[int, int]]:
    """(article id, candidate id): for each article the ``limit`` others published nearest
    to it within ``window`` (as :func:`find_nearby_fingerprints`, for many at once)."""
    if not article_ids:
        return []
    rows = await session.execute(
        text(
            "SELECT n.id AS new_id, c.id AS cand_id FROM articles n CROSS JOIN LATERAL ("
            "  SELECT a.id FROM articles a"
            "  WHERE a.id <> n.id AND a.published_sort >= n.published_sort - CAST(:w AS interval)"
            "    AND a.published_sort <= n.published_sort + CAST(:w AS interval)"
            "  ORDER BY abs(extract(epoch FROM a.published_sort - n.published_sort)), a.id"
            "  LIMIT :n) c "
            "WHERE n.id = ANY(:ids)"
        ),
        {"ids": list(article_ids), "w": window, "n": limit},
    )
    return [(int(r.new_id), int(r.cand_id)) for r in rows]


async def current_fingerprints(session: AsyncSession, article_ids: Sequence[int]) -> list[DbRow]:
    """(id, story_id, fingerprint of the current revision) of each article."""
    if not article_ids:
        return []
    rows = await session.execute(
        text(
            "SELECT a.id, a.story_id, r.fingerprint FROM articles a JOIN article_revisions r "
            "  ON r.article_id = a.id AND r.number = a.current_revision "
            "WHERE a.id = ANY(:ids)"
        ),
        {"ids": list(article_ids)},
    )
    return list(rows.all())


async def assign_stories_many(session: AsyncSession, assignments: dict[int, int]) -> None:
    """Set each article's story (article id → story id) in one statement."""
    if assignments:
        await session.execute(
            text(
                "UPDATE articles a SET story_id = v.story_id "
                "FROM unnest(CAST(:a AS bigint[]), CAST(:s AS bigint[])) AS v(id, story_id) "
                "WHERE a.id = v.id"
            ),
            {"a": list(assignments), "s": list(assignments.values())},
        )
