"""Set-based SQL for bulk ingest: many articles per statement, revision bodies by COPY.

Every function takes the caller's session and runs inside its transaction. Arrays go in as
bound ``unnest`` parameters (one statement whatever the number of rows); revision rows,
the bulk of the bytes, go straight into ``article_revisions`` through asyncpg's binary COPY
on the session's own connection, with ids taken from the table's identity sequence first so
the caller knows them without a RETURNING.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import asyncpg
import orjson
from sqlalchemy import Table, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories import work_queues

DbRow = Any

# The columns bulk ingest writes into article_revisions, in COPY order.
REVISION_COPY_COLUMNS = (
    "id",
    "article_id",
    "number",
    "body",
    "sha256",
    "title",
    "byline",
    "source_format",
    "raw_html",
    "char_count",
    "fetched_at",
    "change_stats",
    "similarity_to_previous",
)


async def driver_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection under the session, inside its open transaction."""
    conn = await session.connection()
    raw = await conn.get_raw_connection()
    driver = raw.driver_connection
    assert isinstance(driver, asyncpg.Connection)
    return driver


async def outlet_ids_by_lower_name(session: AsyncSession, names: Sequence[str]) -> dict[str, int]:
    """lower(name) → id for the outlets among ``names`` (case-insensitive)."""
    if not names:
        return {}
    rows = await session.execute(
        text("SELECT lower(name) AS key, id FROM outlets WHERE lower(name) = ANY(:names)"),
        {"names": [n.lower() for n in names]},
    )
    return {str(r.key): int(r.id) for r in rows}


async def existing_outlet_ids(session: AsyncSession, ids: Sequence[int]) -> set[int]:
    if not ids:
        return set()
    rows = await session.execute(
        text("SELECT id FROM outlets WHERE id = ANY(:ids)"), {"ids": list(ids)}
    )
    return {int(i) for i in rows.scalars()}


_FIND_BY_IDENTITY = text(
    """
    SELECT s.idx, a.id
    FROM unnest(CAST(:idx AS int[]), CAST(:outlet_id AS bigint[]), CAST(:url AS text[]),
                CAST(:external_id AS text[])) AS s(idx, outlet_id, url, external_id)
    CROSS JOIN LATERAL (
        SELECT a.id FROM articles a
        WHERE a.outlet_id = s.outlet_id AND (a.url = s.url OR a.external_id = s.external_id)
        ORDER BY a.id
        LIMIT 1
    ) a
    """
)


async def find_by_identity(
    session: AsyncSession,
    idx: Sequence[int],
    outlet_ids: Sequence[int],
    urls: Sequence[str | None],
    external_ids: Sequence[str | None],
) -> dict[int, int]:
    """item index → id of the existing article with that identity (the lowest id when the
    url and the external id name two articles, as the single-article path does)."""
    if not idx:
        return {}
    rows = await session.execute(
        _FIND_BY_IDENTITY,
        {
            "idx": list(idx),
            "outlet_id": list(outlet_ids),
            "url": list(urls),
            "external_id": list(external_ids),
        },
    )
    return {int(r.idx): int(r.id) for r in rows}


async def lock_articles(session: AsyncSession, article_ids: Sequence[int]) -> dict[int, int]:
    """Lock the articles ``FOR UPDATE`` in id order (two batches never deadlock); returns
    id → current_revision as it is under the lock."""
    if not article_ids:
        return {}
    rows = await session.execute(
        text(
            "SELECT id, current_revision FROM articles WHERE id = ANY(:ids) ORDER BY id FOR UPDATE"
        ),
        {"ids": sorted(set(article_ids))},
    )
    return {int(r.id): int(r.current_revision) for r in rows}


_INSERT_ARTICLES = text(
    """
    INSERT INTO articles (outlet_id, url, external_id, title, byline, published_at, language,
                          current_revision)
    SELECT outlet_id, url, external_id, title, byline, published_at, language, 1
    FROM unnest(CAST(:outlet_id AS bigint[]), CAST(:url AS text[]),
                CAST(:external_id AS text[]), CAST(:title AS text[]), CAST(:byline AS text[]),
                CAST(:published_at AS timestamptz[]), CAST(:language AS text[]))
         WITH ORDINALITY AS s(outlet_id, url, external_id, title, byline, published_at,
                              language, ord)
    ORDER BY ord
    ON CONFLICT DO NOTHING
    RETURNING id, outlet_id, url, external_id
    """
)


async def insert_articles(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> list[DbRow]:
    """Insert new articles in one statement; rows whose identity a concurrent writer took
    first are skipped (the caller looks them up again). Returns (id, outlet_id, url,
    external_id) of the inserted ones."""
    if not rows:
        return []
    cols = ("outlet_id", "url", "external_id", "title", "byline", "published_at", "language")
    params = {c: [r[c] for r in rows] for c in cols}
    return list((await session.execute(_INSERT_ARTICLES, params)).all())


async def latest_revisions(session: AsyncSession, article_ids: Sequence[int]) -> dict[int, DbRow]:
    """article id → its newest revision's (number, sha256), without the text."""
    if not article_ids:
        return {}
    rows = await session.execute(
        text(
            "SELECT DISTINCT ON (article_id) article_id, number, sha256 FROM article_revisions "
            "WHERE article_id = ANY(:ids) ORDER BY article_id, number DESC"
        ),
        {"ids": list(set(article_ids))},
    )
    return {int(r.article_id): r for r in rows}


async def revision_bodies(
    session: AsyncSession, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], str]:
    """(article id, number) → body."""
    if not keys:
        return {}
    rows = await session.execute(
        text(
            "SELECT r.article_id, r.number, r.body FROM article_revisions r "
            "JOIN unnest(CAST(:a AS bigint[]), CAST(:n AS int[])) AS k(a, n) "
            "ON r.article_id = k.a AND r.number = k.n"
        ),
        {"a": [k[0] for k in keys], "n": [k[1] for k in keys]},
    )
    return {(int(r.article_id), int(r.number)): r.body for r in rows}


async def allocate_ids(session: AsyncSession, table: str, count: int) -> list[int]:
    """``count`` fresh values of ``table``'s identity sequence, ascending."""
    if count <= 0:
        return []
    rows = await session.execute(
        text(
            "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
            "FROM generate_series(1, :n) ORDER BY 1"
        ),
        {"table": table, "n": count},
    )
    return [int(i) for i in rows.scalars()]


async def copy_rows(
    session: AsyncSession, table: Table, rows: Sequence[Mapping[str, Any]], *, ids: bool = False
) -> list[int]:
    """COPY ``rows`` (dicts with the same keys: the columns written) into ``table`` on the
    session's connection, inside its transaction; returns their new ids, in row order, when
    ``ids`` (taken from the identity sequence first). Columns left out get their defaults,
    generated columns are computed, constraints and indexes apply as for INSERT. JSONB
    values are serialised here (the connection's codec takes JSON text).

    One COPY instead of a multi-row INSERT: no statement to build or bind per row count,
    no 32,767-parameter limit (annotation writes: service.annotation)."""
    if not rows:
        return []
    columns = list(rows[0])
    as_json = {c for c in columns if isinstance(table.c[c].type, JSONB)}
    records: list[tuple[Any, ...]] = [
        tuple(
            (None if r[c] is None else orjson.dumps(r[c]).decode()) if c in as_json else r[c]
            for c in columns
        )
        for r in rows
    ]
    new_ids: list[int] = []
    if ids:
        new_ids = await allocate_ids(session, table.name, len(records))
        records = [(i, *rec) for i, rec in zip(new_ids, records, strict=True)]
        columns = ["id", *columns]
    await _copy(session, table.name, records, columns)
    return new_ids


async def copy_revisions(session: AsyncSession, records: Sequence[tuple[Any, ...]]) -> None:
    """COPY revision rows (:data:`REVISION_COPY_COLUMNS` order) into article_revisions."""
    if records:
        await _copy(session, "article_revisions", records, REVISION_COPY_COLUMNS)


async def _copy(
    session: AsyncSession, table: str, records: Sequence[tuple[Any, ...]], columns: Sequence[str]
) -> None:
    """Binary COPY on the session's connection. A failure is raised as SQLAlchemy reports a
    failed INSERT: IntegrityError for a violated constraint, else DBAPIError, with
    ``orig.sqlstate`` (what callers, the API's error handlers and a job's error read)."""
    driver = await driver_connection(session)
    try:
        await driver.copy_records_to_table(table, records=records, columns=list(columns))
    except asyncpg.PostgresError as exc:
        kind = (
            IntegrityError
            if isinstance(exc, asyncpg.IntegrityConstraintViolationError)
            else DBAPIError
        )
        raise kind(f"COPY {table}", None, exc) from exc


_UPDATE_REVISED = text(
    """
    UPDATE articles a SET
        current_revision = v.number,
        title = coalesce(v.title, a.title),
        byline = coalesce(v.byline, a.byline),
        published_at = coalesce(v.published_at, a.published_at),
        language = coalesce(v.language, a.language),
        updated_at = now()
    FROM unnest(CAST(:id AS bigint[]), CAST(:number AS int[]), CAST(:title AS text[]),
                CAST(:byline AS text[]), CAST(:published_at AS timestamptz[]),
                CAST(:language AS text[]))
         AS v(id, number, title, byline, published_at, language)
    WHERE a.id = v.id
    """
)


async def update_revised(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Point revised articles at their new revision; metadata sent with it replaces the old."""
    if not rows:
        return
    cols = ("id", "number", "title", "byline", "published_at", "language")
    await session.execute(_UPDATE_REVISED, {c: [r[c] for r in rows] for c in cols})


async def create_runs(
    session: AsyncSession, revision_ids: Sequence[int], pipeline_name: str
) -> dict[int, int]:
    """A pending annotation run per revision; revision id → run id."""
    if not revision_ids:
        return {}
    rows = await session.execute(
        text(
            "INSERT INTO annotation_runs (revision_id, pipeline_name, status) "
            "SELECT unnest(CAST(:ids AS bigint[])), :name, 'pending' "
            "RETURNING id, revision_id"
        ),
        {"ids": list(revision_ids), "name": pipeline_name},
    )
    return {int(r.revision_id): int(r.id) for r in rows}


async def queue_story_grouping(session: AsyncSession, article_ids: Sequence[int]) -> None:
    """Leave these articles for the story-grouping job (service.stories.group_pending)."""
    await work_queues.enqueue(session, "story_grouping_queue", article_ids)
