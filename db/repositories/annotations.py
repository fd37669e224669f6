"""All SQL about annotation runs and the annotations they write (entities, mentions, quotes)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, delete, func, insert, select, text, update
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Reader
from db.models import (
    AnnotationRun,
    Article,
    ArticleRevision,
    ArticleTopic,
    Claim,
    ClaimTopic,
    Entity,
    EntityAlias,
    Mention,
    Outlet,
    Quote,
    Topic,
)
from db.repositories.bulk import copy_rows
from db.repositories.filters import current_revision_of_article

runs: Table = AnnotationRun.__table__  # type: ignore[assignment]
revisions: Table = ArticleRevision.__table__  # type: ignore[assignment]
articles: Table = Article.__table__  # type: ignore[assignment]
entities: Table = Entity.__table__  # type: ignore[assignment]
aliases: Table = EntityAlias.__table__  # type: ignore[assignment]
mentions: Table = Mention.__table__  # type: ignore[assignment]
quotes: Table = Quote.__table__  # type: ignore[assignment]
outlets: Table = Outlet.__table__  # type: ignore[assignment]
claims: Table = Claim.__table__  # type: ignore[assignment]
topics: Table = Topic.__table__  # type: ignore[assignment]
claim_topics: Table = ClaimTopic.__table__  # type: ignore[assignment]
article_topics: Table = ArticleTopic.__table__  # type: ignore[assignment]

DbRow = Any


async def create_run(session: AsyncSession, revision_id: int, pipeline_name: str) -> int:
    stmt = (
        insert(runs)
        .values(revision_id=revision_id, pipeline_name=pipeline_name, status="pending")
        .returning(runs.c.id)
    )
    return int((await session.execute(stmt)).scalar_one())


async def set_run_job(session: AsyncSession, run_id: int, job_id: int) -> None:
    await session.execute(update(runs).where(runs.c.id == run_id).values(job_id=job_id))


async def set_runs_jobs(
    session: AsyncSession, run_ids: Sequence[int], job_ids: Sequence[int]
) -> None:
    """Set each run's job id (``run_ids[i]`` → ``job_ids[i]``) in one statement."""
    if run_ids:
        await session.execute(
            text(
                "UPDATE annotation_runs r SET job_id = v.job_id "
                "FROM unnest(CAST(:runs AS bigint[]), CAST(:jobs AS bigint[])) AS v(id, job_id) "
                "WHERE r.id = v.id"
            ),
            {"runs": list(run_ids), "jobs": list(job_ids)},
        )


async def runs_waiting_for_a_job(session: AsyncSession, older_than: datetime) -> list[int]:
    """Pending runs that were never handed to the queue (e.g. a crash right after commit)."""
    stmt = (
        select(runs.c.id)
        .where(runs.c.status == "pending", runs.c.job_id.is_(None), runs.c.queued_at < older_than)
        .order_by(runs.c.id)
        .limit(1000)
    )
    return [int(r) for r in (await session.execute(stmt)).scalars()]


def _runs_with_revisions() -> Any:
    """Runs with what annotating them needs: the revision's body and numbering, the
    article's outlet and date."""
    return (
        select(
            runs.c.id,
            runs.c.status,
            runs.c.revision_id,
            revisions.c.body,
            revisions.c.article_id,
            revisions.c.number,
            articles.c.outlet_id,
            articles.c.published_sort,
            outlets.c.name.label("outlet_name"),
        )
        .join(revisions, revisions.c.id == runs.c.revision_id)
        .join(articles, articles.c.id == revisions.c.article_id)
        .join(outlets, outlets.c.id == articles.c.outlet_id)
    )


async def claim_run(session: AsyncSession, run_id: int) -> DbRow | None:
    """Lock the run and return it with its revision, or None when it no longer exists."""
    stmt = _runs_with_revisions().where(runs.c.id == run_id).with_for_update(of=runs)
    return (await session.execute(stmt)).first()


async def newer_run_exists(session: AsyncSession, run_id: int, revision_id: int) -> bool:
    stmt = select(func.count()).where(runs.c.revision_id == revision_id, runs.c.id > run_id)
    return bool((await session.execute(stmt)).scalar_one())


async def mark_run(session: AsyncSession, run_id: int, **values: Any) -> None:
    await session.execute(update(runs).where(runs.c.id == run_id).values(**values))


async def fail_unfinished_run(
    session: AsyncSession, run_id: int, error: str, *, final: bool
) -> None:
    """Record a failed job attempt on a run that has not finished (a done run stays done)."""
    await session.execute(
        update(runs)
        .where(runs.c.id == run_id, runs.c.status.in_(("pending", "running")))
        .values(
            status="failed" if final else "pending",
            error=error if final else f"attempt failed, will be retried: {error}"[:2000],
            finished_at=func.now() if final else None,
        )
    )


async def fail_runs_of_ended_jobs(session: AsyncSession) -> int:
    """Unfinished runs whose queue job failed, was cancelled or aborted, or is gone."""
    result = await session.execute(
        text(
            "UPDATE annotation_runs r SET status = 'failed', finished_at = now(), "
            "error = left('the annotation job ended without finishing the run' "
            "|| coalesce('; last error: ' || r.error, ''), 2000) "
            "WHERE r.status IN ('pending', 'running') AND r.job_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM procrastinate_jobs j WHERE j.id = r.job_id "
            "AND j.status IN ('todo', 'doing'))"
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


_UPSERT_ENTITIES = text(
    """
    INSERT INTO entities (key, type, name, normalized_name)
    SELECT * FROM unnest(CAST(:key AS text[]), CAST(:type AS text[]), CAST(:name AS text[]),
                         CAST(:normalized AS text[]))
    ON CONFLICT (key, type) DO UPDATE SET
        -- keep the fullest name seen so far as the canonical one
        name = CASE WHEN length(EXCLUDED.name) > length(entities.name)
                    THEN EXCLUDED.name ELSE entities.name END
    RETURNING id, key, type
    """
)


async def upsert_entities(
    session: AsyncSession, items: Sequence[tuple[str, str, str, str]]
) -> dict[tuple[str, str], int]:
    """(key, type, name, normalized_name) → entity id, one statement whatever the count
    (arrays are one parameter each). ``items`` must not repeat a (key, type); rows are
    written in the given order (callers sort them, so concurrent writers lock alike)."""
    if not items:
        return {}
    keys, types, names, normalized = (list(col) for col in zip(*items, strict=True))
    rows = await session.execute(
        _UPSERT_ENTITIES, {"key": keys, "type": types, "name": names, "normalized": normalized}
    )
    # the entity itself, not a merge survivor: merges are resolved when reading, so an
    # unmerge can still separate the rows written while the merge was in force
    return {(str(r.key), str(r.type)): int(r.id) for r in rows}


_ADD_ALIASES = text(
    """
    INSERT INTO entity_aliases (entity_id, alias, normalized, source)
    SELECT e, a, n, :source
    FROM unnest(CAST(:entity_id AS bigint[]), CAST(:alias AS text[]),
                CAST(:normalized AS text[])) AS v(e, a, n)
    ON CONFLICT DO NOTHING
    """
)


async def add_aliases(
    session: AsyncSession, items: Iterable[tuple[int, str, str]], source: str = "auto"
) -> None:
    """(entity id, alias, normalized alias) rows, those already there skipped; one statement."""
    rows = list(items)
    if rows:
        ids, names, normalized = (list(col) for col in zip(*rows, strict=True))
        await session.execute(
            _ADD_ALIASES,
            {"entity_id": ids, "alias": names, "normalized": normalized, "source": source},
        )


async def insert_mentions(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    await copy_rows(session, mentions, rows)


async def topic_ids_by_slug(session: AsyncSession) -> dict[str, int]:
    return {str(s): int(i) for s, i in await session.execute(select(topics.c.slug, topics.c.id))}


async def replace_article_topics(
    session: AsyncSession, revision_ids: Sequence[int], rows: list[dict[str, Any]]
) -> None:
    """The article topics of these revisions: their previous sets deleted, ``rows``
    inserted (one statement and one COPY for all)."""
    if revision_ids:
        await session.execute(
            delete(article_topics).where(article_topics.c.revision_id.in_(list(revision_ids)))
        )
    await copy_rows(session, article_topics, rows)


async def insert_claim_topics(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Topic links of newly written claims (one COPY; a (claim, topic) pair given twice is
    written once)."""
    unique = {(r["claim_id"], r["topic_id"]): r for r in reversed(rows)}
    await copy_rows(session, claim_topics, list(reversed(unique.values())))


async def latest_runs_for_articles(session: Reader, article_ids: Sequence[int]) -> dict[int, DbRow]:
    """The newest run of each article's current revision."""
    if not article_ids:
        return {}
    stmt = (
        select(
            articles.c.id.label("article_id"),
            runs.c.id,
            runs.c.status,
            runs.c.pipeline_version,
            runs.c.error,
            runs.c.limits_applied,
            runs.c.queued_at,
            runs.c.started_at,
            runs.c.finished_at,
        )
        .select_from(articles)
        .join(
            revisions,
            current_revision_of_article(),
        )
        .join(runs, runs.c.revision_id == revisions.c.id)
        .where(articles.c.id.in_(article_ids))
        .order_by(articles.c.id, runs.c.id.desc())
        .ext(distinct_on(articles.c.id))
    )
    return {int(r.article_id): r for r in (await session.execute(stmt)).all()}


async def current_revision(session: AsyncSession, article_id: int) -> DbRow | None:
    stmt = (
        select(revisions.c.id, revisions.c.number)
        .join(
            articles,
            current_revision_of_article(),
        )
        .where(articles.c.id == article_id)
    )
    return (await session.execute(stmt)).first()


async def previous_revision_id(session: AsyncSession, article_id: int, number: int) -> int | None:
    stmt = select(revisions.c.id).where(
        revisions.c.article_id == article_id, revisions.c.number == number - 1
    )
    return (await session.execute(stmt)).scalar_one_or_none()


# --- many runs at once (service.annotation.execute_runs) -------------------------------


async def claim_runs(session: AsyncSession, run_ids: Sequence[int]) -> list[DbRow]:
    """:func:`claim_run` for many runs: locked in id order, with their revisions."""
    stmt = (
        _runs_with_revisions()
        .where(runs.c.id.in_(list(run_ids)))
        .order_by(runs.c.id)
        .with_for_update(of=runs)
    )
    return list((await session.execute(stmt)).all())


async def superseded_runs(session: AsyncSession, run_ids: Sequence[int]) -> set[int]:
    """Those of ``run_ids`` whose revision has a newer run."""
    if not run_ids:
        return set()
    rows = await session.execute(
        text(
            "SELECT r.id FROM annotation_runs r WHERE r.id = ANY(:ids) AND EXISTS ("
            "  SELECT 1 FROM annotation_runs n WHERE n.revision_id = r.revision_id"
            "  AND n.id > r.id)"
        ),
        {"ids": list(run_ids)},
    )
    return {int(i) for i in rows.scalars()}


async def mark_runs(session: AsyncSession, run_ids: Sequence[int], **values: Any) -> None:
    if run_ids:
        await session.execute(update(runs).where(runs.c.id.in_(list(run_ids))).values(**values))


async def delete_mentions_of(session: AsyncSession, revision_ids: Sequence[int]) -> None:
    await session.execute(
        text("DELETE FROM mentions WHERE revision_id = ANY(:ids)"), {"ids": list(revision_ids)}
    )


async def previous_revision_ids(
    session: AsyncSession, keys: Sequence[tuple[int, int]]
) -> dict[tuple[int, int], int]:
    """(article id, number) → id of revision number - 1 of that article, where there is one."""
    wanted = [(a, n) for a, n in keys if n > 1]
    if not wanted:
        return {}
    rows = await session.execute(
        text(
            "SELECT k.a, k.n, r.id FROM unnest(CAST(:a AS bigint[]), CAST(:n AS int[])) "
            "AS k(a, n) JOIN article_revisions r ON r.article_id = k.a AND r.number = k.n - 1"
        ),
        {"a": [a for a, _ in wanted], "n": [n for _, n in wanted]},
    )
    return {(int(r.a), int(r.n)): int(r.id) for r in rows}
