"""All SQL about claim clusters: the same claim across outlets, and its members."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Table,
    Text,
    and_,
    delete,
    func,
    insert,
    select,
    text,
    tuple_,
    type_coerce,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Reader
from db.models.claims import ClaimCluster
from db.repositories import work_queues
from db.repositories.claims import (
    articles,
    claim_topics,
    claims,
    entities,
    mentions,
    outlets,
    revisions,
)
from db.repositories.filters import page_limit

clusters: Table = ClaimCluster.__table__  # type: ignore[assignment]

DbRow = Any

_CLUSTER_COLUMNS = (claims.c.id, claims.c.article_id, claims.c.text, claims.c.cluster_id)


def _current_claims() -> Any:
    return (
        select(*_CLUSTER_COLUMNS)
        .select_from(
            claims.join(revisions, revisions.c.id == claims.c.revision_id).join(
                articles,
                and_(
                    articles.c.id == claims.c.article_id,
                    articles.c.current_revision == revisions.c.number,
                ),
            )
        )
        .where(claims.c.not_a_claim.is_(False))
    )


async def entity_ids_in_claims(
    session: AsyncSession, claim_ids: Sequence[int]
) -> dict[int, set[int]]:
    """The entities mentioned inside each claim's span (merges resolved)."""
    if not claim_ids:
        return {}
    ent = entities.alias("ment")
    stmt = (
        select(claims.c.id, func.coalesce(ent.c.merged_into_id, ent.c.id))
        .join(
            mentions,
            and_(
                mentions.c.revision_id == claims.c.revision_id,
                mentions.c.span_start >= claims.c.span_start,
                mentions.c.span_start < claims.c.span_end,
            ),
        )
        .join(ent, ent.c.id == mentions.c.entity_id)
        .where(claims.c.id.in_(list(claim_ids)))
    )
    out: dict[int, set[int]] = {}
    for cid, eid in (await session.execute(stmt)).all():
        out.setdefault(int(cid), set()).add(int(eid))
    return out


async def create_cluster(session: AsyncSession) -> int:
    stmt = insert(clusters).values({}).returning(clusters.c.id)
    return int((await session.execute(stmt)).scalar_one())


async def set_cluster(session: AsyncSession, claim_ids: Sequence[int], cluster_id: int) -> None:
    if claim_ids:
        await session.execute(
            update(claims).where(claims.c.id.in_(list(claim_ids))).values(cluster_id=cluster_id)
        )


async def create_clusters(session: AsyncSession, count: int) -> list[int]:
    """``count`` new clusters' ids, ascending."""
    if count <= 0:
        return []
    rows = await session.execute(
        text(
            "INSERT INTO claim_clusters (created_at) SELECT now() FROM generate_series(1, :n) "
            "RETURNING id"
        ),
        {"n": count},
    )
    return sorted(int(i) for i in rows.scalars())


async def merge_clusters_many(session: AsyncSession, moves: Sequence[tuple[int, int]]) -> None:
    """(cluster, the cluster it joins) pairs: every claim of the first moves, the first is
    deleted. One statement each, whatever the number of merges."""
    if not moves:
        return
    src, dst = [m[0] for m in moves], [m[1] for m in moves]
    await session.execute(
        text(
            "UPDATE claims c SET cluster_id = m.dst "
            "FROM unnest(CAST(:src AS bigint[]), CAST(:dst AS bigint[])) AS m(src, dst) "
            "WHERE c.cluster_id = m.src"
        ),
        {"src": src, "dst": dst},
    )
    await session.execute(
        text("DELETE FROM claim_clusters WHERE id = ANY(CAST(:src AS bigint[]))"), {"src": src}
    )


async def set_clusters(session: AsyncSession, assignments: Sequence[tuple[int, int]]) -> None:
    """(claim id, cluster id) pairs, in one statement."""
    if assignments:
        await session.execute(
            text(
                "UPDATE claims c SET cluster_id = v.k "
                "FROM unnest(CAST(:ids AS bigint[]), CAST(:ks AS bigint[])) AS v(id, k) "
                "WHERE c.id = v.id"
            ),
            {"ids": [a[0] for a in assignments], "ks": [a[1] for a in assignments]},
        )


async def clear_clusters(session: AsyncSession) -> None:
    await session.execute(update(claims).values(cluster_id=None))
    await session.execute(delete(clusters))


async def all_current_claims(session: AsyncSession) -> list[DbRow]:
    stmt = _current_claims().order_by(claims.c.published_at, claims.c.id)
    return list((await session.execute(stmt)).all())


def _cluster_summary(topic_ids: Sequence[int] | None) -> Any:
    stmt = (
        select(
            claims.c.cluster_id.label("id"),
            func.count().label("member_count"),
            func.count(func.distinct(claims.c.article_id)).label("article_count"),
            func.array_agg(func.distinct(outlets.c.name)).label("outlets"),
            func.min(claims.c.published_at).label("first_published_at"),
            func.max(claims.c.published_at).label("last_published_at"),
            type_coerce(
                func.array_agg(
                    aggregate_order_by(claims.c.text, claims.c.score.desc(), claims.c.id)
                ),
                ARRAY(Text),
            )[1].label("representative"),
        )
        .select_from(
            claims.join(revisions, revisions.c.id == claims.c.revision_id)
            .join(
                articles,
                and_(
                    articles.c.id == claims.c.article_id,
                    articles.c.current_revision == revisions.c.number,
                ),
            )
            .join(outlets, outlets.c.id == claims.c.outlet_id)
        )
        .where(claims.c.cluster_id.is_not(None), claims.c.not_a_claim.is_(False))
        .group_by(claims.c.cluster_id)
        .having(func.count(func.distinct(claims.c.article_id)) >= 2)
    )
    if topic_ids is not None:
        in_topic = (
            select(claims.c.cluster_id)
            .join(claim_topics, claim_topics.c.claim_id == claims.c.id)
            .where(claim_topics.c.topic_id.in_(list(topic_ids)), claims.c.cluster_id.is_not(None))
        )
        stmt = stmt.where(claims.c.cluster_id.in_(in_topic))
    return stmt


def clusters_listing(topic_ids: Sequence[int] | None) -> Any:
    """The statement of every listed cluster, for its total (db.repositories.totals)."""
    return _cluster_summary(topic_ids)


async def find_clusters(
    session: Reader,
    topic_ids: Sequence[int] | None,
    *,
    after: tuple[int, int] | None = None,
    limit: int = 50,
) -> list[DbRow]:
    """Clusters spanning at least two current articles, most articles first, keyset on
    (article_count, id)."""
    summary = _cluster_summary(topic_ids).subquery("cluster_summary")
    stmt = select(summary)
    if after is not None:
        stmt = stmt.where(
            tuple_(summary.c.article_count, summary.c.id) < tuple_(after[0], after[1])
        )
    stmt = stmt.order_by(summary.c.article_count.desc(), summary.c.id.desc()).limit(
        page_limit(limit)
    )
    return list((await session.execute(stmt)).all())


async def get_cluster(session: Reader, cluster_id: int) -> DbRow | None:
    stmt = _cluster_summary(None).where(claims.c.cluster_id == cluster_id)
    return (await session.execute(stmt)).first()


# --- the batched clustering job (cluster_claims) -------------------------------------------


async def queue_for_clustering(session: AsyncSession, revision_ids: Sequence[int]) -> None:
    """Leave these revisions' claims for the clustering job (service.claims.cluster_pending)."""
    await work_queues.enqueue(session, "claim_clustering_queue", revision_ids)


async def clustering_queue_size(session: AsyncSession) -> int:
    return await work_queues.size(session, "claim_clustering_queue")


# pg_advisory_xact_lock key of the clustering transactions ("clusters" in ASCII)
CLUSTERING_LOCK = 0x636C757374657273


async def try_clustering_lock(session: AsyncSession) -> bool:
    """Take the clustering lock for this transaction unless another transaction holds it:
    clusters are merged by one transaction at a time, so two never lock each other's
    claims (and a job never waits with a worker slot taken)."""
    got = await session.execute(select(func.pg_try_advisory_xact_lock(CLUSTERING_LOCK)))
    return bool(got.scalar_one())


async def take_clustering_batch(session: AsyncSession, limit: int) -> list[int]:
    """Remove up to ``limit`` queued revision ids (lowest first) and return them."""
    return await work_queues.take(session, "claim_clustering_queue", limit)


_POOL_COLUMNS = (*_CLUSTER_COLUMNS, claims.c.published_at, articles.c.story_id)


async def claims_of_revisions(session: AsyncSession, revision_ids: Sequence[int]) -> list[DbRow]:
    """The (not rejected) claims of these revisions if current, with their revision id,
    published_at and story id, in id order."""
    stmt = (
        _current_claims()
        .with_only_columns(*_POOL_COLUMNS, claims.c.revision_id)
        .where(claims.c.revision_id.in_(list(revision_ids)))
        .order_by(claims.c.id)
    )
    return list((await session.execute(stmt)).all())


async def candidates_in_window(
    session: AsyncSession,
    lo: datetime,
    hi: datetime,
    centre: datetime,
    story_ids: Sequence[int],
    limit: int,
) -> list[DbRow]:
    """Current claims published in [lo, hi] (nearest to ``centre`` first, at most ``limit``)
    and every current claim of the given stories, each with its published_at and story id."""
    near = (
        _current_claims()
        .with_only_columns(*_POOL_COLUMNS)
        .where(claims.c.published_at >= lo, claims.c.published_at <= hi)
        .order_by(func.abs(func.extract("epoch", claims.c.published_at - centre)))
        .limit(page_limit(limit))
    )
    rows = {int(r.id): r for r in (await session.execute(near)).all()}
    if story_ids:
        same_story = (
            _current_claims()
            .with_only_columns(*_POOL_COLUMNS)
            .where(articles.c.story_id.in_(sorted(set(story_ids))))
        )
        for r in (await session.execute(same_story)).all():
            rows.setdefault(int(r.id), r)
    return list(rows.values())
