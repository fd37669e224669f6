"""Quote and claim spans on a revision: one module for both tables.

Quotes and claims are the two kinds of span an annotation run writes and a person curates.
Their tables share the span columns, the ``curated`` flag and three columns copied from the
revision's article (``article_id``, ``outlet_id``, ``published_at``) so hot reads filter and
sort without a join. Every function here takes the table (``QUOTES`` or ``CLAIMS``); rows are
inserted with :func:`insert_spans`, which fills the copied columns from the revision itself, so
no caller writes them by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Table, and_, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Article, ArticleRevision, Claim, Quote
from db.repositories.bulk import copy_rows

QUOTES: Table = Quote.__table__  # type: ignore[assignment]
CLAIMS: Table = Claim.__table__  # type: ignore[assignment]
revisions: Table = ArticleRevision.__table__  # type: ignore[assignment]
articles: Table = Article.__table__  # type: ignore[assignment]

DbRow = Any


@dataclass(frozen=True, slots=True)
class RevisionContext:
    """A revision with what its spans copy from the article, and where it stands."""

    revision_id: int
    article_id: int
    number: int
    body: str
    outlet_id: int
    published_at: datetime  # the article's published_sort: what span rows copy
    story_id: int | None
    is_current: bool


async def revision_context(session: AsyncSession, revision_id: int) -> RevisionContext | None:
    stmt = (
        select(
            revisions.c.id,
            revisions.c.article_id,
            revisions.c.number,
            revisions.c.body,
            articles.c.outlet_id,
            articles.c.published_sort,
            articles.c.story_id,
            (articles.c.current_revision == revisions.c.number).label("is_current"),
        )
        .join(articles, articles.c.id == revisions.c.article_id)
        .where(revisions.c.id == revision_id)
    )
    row = (await session.execute(stmt)).first()
    if row is None:
        return None
    return RevisionContext(
        revision_id=int(row.id),
        article_id=int(row.article_id),
        number=int(row.number),
        body=row.body,
        outlet_id=int(row.outlet_id),
        published_at=row.published_sort,
        story_id=row.story_id,
        is_current=bool(row.is_current),
    )


def _copied_columns(ctx: Any) -> dict[str, Any]:
    """The article columns a span row copies (from a RevisionContext or a run's row)."""
    if isinstance(ctx, RevisionContext):
        return {
            "revision_id": ctx.revision_id,
            "article_id": ctx.article_id,
            "outlet_id": ctx.outlet_id,
            "published_at": ctx.published_at,
        }
    return {
        "revision_id": ctx.revision_id,
        "article_id": ctx.article_id,
        "outlet_id": ctx.outlet_id,
        "published_at": ctx.published_sort,
    }


async def insert_spans(
    session: AsyncSession, table: Table, revision: Any, rows: list[dict[str, Any]]
) -> list[int]:
    """Insert span rows of one revision; returns their ids in the order of ``rows``.

    ``revision`` is a :class:`RevisionContext` or a row with ``revision_id``, ``article_id``,
    ``outlet_id`` and ``published_sort``: the copied columns come from it."""
    if not rows:
        return []
    copied = _copied_columns(revision)
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    result = await session.execute(stmt, [{**r, **copied} for r in rows])
    return [int(r) for r in result.scalars()]


async def curated_of_revision(session: AsyncSession, table: Table, revision_id: int) -> list[DbRow]:
    """Every curated span of a revision, tombstones included, in text order."""
    stmt = (
        select(table)
        .where(table.c.revision_id == revision_id, table.c.curated.is_(True))
        .order_by(table.c.span_start, table.c.id)
    )
    return list((await session.execute(stmt)).all())


async def curated_spans(
    session: AsyncSession, table: Table, revision_id: int
) -> list[tuple[int, int]]:
    stmt = select(table.c.span_start, table.c.span_end).where(
        table.c.revision_id == revision_id, table.c.curated.is_(True)
    )
    return [(int(s), int(e)) for s, e in (await session.execute(stmt)).all()]


async def delete_machine_overlapping(
    session: AsyncSession, table: Table, revision_id: int, spans: Sequence[tuple[int, int]]
) -> int:
    """Drop machine spans that overlap any of ``spans`` (curated ones win). Returns count."""
    if not spans:
        return 0
    conds = [and_(table.c.span_start < e, table.c.span_end > s) for s, e in spans]
    result = await session.execute(
        delete(table).where(
            table.c.revision_id == revision_id, table.c.curated.is_(False), or_(*conds)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def mark_orphaned(session: AsyncSession, table: Table, span_ids: Sequence[int]) -> None:
    """Record that these curated spans could not follow their article's newer text."""
    if span_ids:
        await session.execute(
            update(table).where(table.c.id.in_(list(span_ids))).values(anchor_status="orphaned")
        )


async def delete_machine_spans(session: AsyncSession, table: Table, revision_id: int) -> None:
    """Drop a revision's machine spans (before a run writes its new set)."""
    await session.execute(
        delete(table).where(table.c.revision_id == revision_id, table.c.curated.is_(False))
    )


async def delete_machine_spans_of(
    session: AsyncSession, table: Table, revision_ids: Sequence[int]
) -> None:
    """:func:`delete_machine_spans` for many revisions in one statement."""
    await session.execute(
        delete(table).where(table.c.revision_id.in_(list(revision_ids)), table.c.curated.is_(False))
    )


async def insert_spans_many(
    session: AsyncSession, table: Table, items: Sequence[tuple[Any, list[dict[str, Any]]]]
) -> list[list[int]]:
    """:func:`insert_spans` for many revisions (``(revision, rows)`` pairs) in one COPY;
    returns each revision's new ids in the order of its rows."""
    flat = [{**r, **_copied_columns(rev)} for rev, rows in items for r in rows]
    if not flat:
        return [[] for _ in items]
    ids = await copy_rows(session, table, flat, ids=True)
    out, k = [], 0
    for _, rows in items:
        out.append(ids[k : k + len(rows)])
        k += len(rows)
    return out


async def revisions_with_curated(
    session: AsyncSession, table: Table, revision_ids: Sequence[int]
) -> set[int]:
    """Those of ``revision_ids`` that hold a curated span (or tombstone) in ``table``."""
    if not revision_ids:
        return set()
    stmt = (
        select(table.c.revision_id)
        .where(table.c.revision_id.in_(list(revision_ids)), table.c.curated.is_(True))
        .distinct()
    )
    return {int(r) for r in (await session.execute(stmt)).scalars()}
