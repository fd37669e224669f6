"""All SQL about reading, curating and clustering claims. Hot reads use Core, explicit columns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Table,
    and_,
    any_,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Reader
from db.models import Article, ArticleRevision, Claim, ClaimTopic, Entity, Mention, Outlet, Topic
from db.models.claims import ClaimCluster
from db.repositories import shaped
from db.repositories.filters import filter_params, page_limit, where_shared_filters
from db.repositories.topics import topic_tree_subquery

claims: Table = Claim.__table__  # type: ignore[assignment]
claim_topics: Table = ClaimTopic.__table__  # type: ignore[assignment]
topics: Table = Topic.__table__  # type: ignore[assignment]
clusters: Table = ClaimCluster.__table__  # type: ignore[assignment]
revisions: Table = ArticleRevision.__table__  # type: ignore[assignment]
articles: Table = Article.__table__  # type: ignore[assignment]
entities: Table = Entity.__table__  # type: ignore[assignment]
mentions: Table = Mention.__table__  # type: ignore[assignment]
outlets: Table = Outlet.__table__  # type: ignore[assignment]

DbRow = Any
ClaimSort = Literal["date", "score"]

# The claimant as clients see it: entity merges resolved at read time (one level).
claimant = entities.alias("claimant")
survivor = entities.alias("claimant_survivor")
CLAIMANT_ID = func.coalesce(claimant.c.merged_into_id, claimant.c.id).label("claimant_id")
CLAIMANT_NAME = func.coalesce(survivor.c.name, claimant.c.name).label("claimant_name")

CLAIM_COLUMNS = (
    claims.c.id,
    claims.c.article_id,
    revisions.c.number.label("revision"),
    claims.c.text,
    claims.c.span_start,
    claims.c.span_end,
    CLAIMANT_ID,
    CLAIMANT_NAME,
    claims.c.claimant_text,
    claims.c.quote_id,
    claims.c.score,
    claims.c.cluster_id,
    claims.c.curated,
    claims.c.not_a_claim,
    claims.c.anchor_status,
    claims.c.published_at,
    claims.c.outlet_id,
    outlets.c.name.label("outlet"),
)


# A claim's topics as an array of (slug, name, score, source) rows, best first: a column
# of the hot statements (the claims page, a revision's annotations), so that a page is one
# statement instead of the page plus a statement for its claims' topics. (Measured raw on
# the 1M corpus this is as cheap for PostgreSQL as the separate statement; it saves the
# per-statement cost of the client.)
CLAIM_TOPICS = func.array(
    select(func.row(topics.c.slug, topics.c.name, claim_topics.c.score, claim_topics.c.source))
    .select_from(claim_topics.join(topics, topics.c.id == claim_topics.c.topic_id))
    .where(claim_topics.c.claim_id == claims.c.id)
    .order_by(claim_topics.c.score.desc(), topics.c.slug)
    .scalar_subquery()
).label("topics")


def _base(current_only: bool = True) -> Any:
    """Claims joined to their revision (current revisions only, by default), outlet and
    claimant."""
    joined = claims.join(revisions, revisions.c.id == claims.c.revision_id)
    if current_only:
        joined = joined.join(
            articles,
            and_(
                articles.c.id == claims.c.article_id,
                articles.c.current_revision == revisions.c.number,
            ),
        )
    joined = (
        joined.join(outlets, outlets.c.id == claims.c.outlet_id)
        .outerjoin(claimant, claimant.c.id == claims.c.claimant_id)
        .outerjoin(survivor, survivor.c.id == claimant.c.merged_into_id)
    )
    return select(*CLAIM_COLUMNS).select_from(joined)


def claims_of_revision(revision_id: ColumnElement[int]) -> Any:
    """A revision's claims (current or not) with their topics (:data:`CLAIM_TOPICS`), in
    text order; not-a-claim tombstones excluded. ``revision_id``: a bound value or the
    column of an enclosing statement."""
    return (
        _base(current_only=False)
        .add_columns(CLAIM_TOPICS)
        .where(claims.c.revision_id == revision_id, claims.c.not_a_claim.is_(False))
        .order_by(claims.c.span_start, claims.c.id)
    )


@dataclass(frozen=True, slots=True)
class ClaimFilter:
    topic_ids: Sequence[int] | None = None  # already expanded to descendants
    # or a topic's slug or IPTC code, expanded to its descendants inside the statement
    topic_ref: str | None = None
    claimant_ids: Sequence[int] | None = None  # every entity id (merged ones included)
    # the reporter's own assertions: claimant_text is the outlet's name, no entity
    claimant_outlet: str | None = None
    article_id: int | None = None
    outlet_ids: Sequence[int] | None = None
    story_id: int | None = None
    min_score: float | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None
    cluster_id: int | None = None


def _claim_params(flt: ClaimFilter, after: tuple[Any, int] | None = None) -> dict[str, Any]:
    params = filter_params(flt)
    if after is not None:
        params["after_key"], params["after_id"] = after
    return params


def _apply(stmt: Any, params: shaped.Params, *, for_estimate: bool = False) -> Any:
    """The filters for the parameters present (from :func:`_claim_params`). ``for_estimate``
    writes the topic tree as an IN list, which the planner estimates from the statistics
    of ``claim_topics.topic_id``; the array below it can only guess (28k for 19k rows)."""
    p = partial(shaped.param, params)
    stmt = stmt.where(claims.c.not_a_claim.is_(False))
    if "topic_ids" in params and for_estimate:
        stmt = stmt.where(
            select(claim_topics.c.claim_id)
            .where(
                claim_topics.c.claim_id == claims.c.id,
                claim_topics.c.topic_id.in_(
                    p("topic_ids", claim_topics.c.topic_id, expanding=True)
                ),
            )
            .exists()
        )
    elif "topic_ids" in params or "topic_ref" in params:
        if "topic_ids" in params:
            # EXISTS with one array parameter: the statement text (hence the prepared
            # statement and its cached generic plan) is the same for every topic tree. An IN
            # list of N parameters made a new statement per tree size, planned afresh every
            # time. The array goes through a scalar subquery so that custom and generic plans
            # cost the same: otherwise PostgreSQL 18 (the embedded server) keeps re-planning
            # this join on every request (7 ms), as 15 did before LIMIT was inlined.
            tree = cast(
                select(p("topic_ids", ARRAY(BigInteger))).scalar_subquery(),
                ARRAY(BigInteger),
            )
        else:
            # the topic tree resolved inside this statement (one round trip for claims by
            # topic); a reference naming no topic matches nothing (the caller tells it apart)
            tree = topic_tree_subquery(p("topic_ref", topics.c.slug))
        stmt = stmt.where(
            select(claim_topics.c.claim_id)
            .where(
                claim_topics.c.claim_id == claims.c.id,
                claim_topics.c.topic_id == any_(tree),
            )
            .exists()
        )
    if "claimant_ids" in params:
        by_entity: ColumnElement[bool] = claims.c.claimant_id.in_(
            p("claimant_ids", claims.c.claimant_id, expanding=True)
        )
        if "claimant_outlet" in params:
            # the reporter's own assertions: no claimant entity, the outlet's name as text
            by_entity = or_(
                by_entity,
                and_(
                    claims.c.claimant_id.is_(None),
                    claims.c.claimant_text == p("claimant_outlet", claims.c.claimant_text),
                ),
            )
        stmt = stmt.where(by_entity)
    if "min_score" in params:
        stmt = stmt.where(claims.c.score >= p("min_score", claims.c.score))
    stmt = where_shared_filters(stmt, claims, params)
    if "cluster_id" in params:
        stmt = stmt.where(claims.c.cluster_id == p("cluster_id", claims.c.cluster_id))
    return stmt


def claims_listing(flt: ClaimFilter) -> shaped.Listing:
    """Every claim ``flt`` selects, for its total (db.repositories.totals): built only when
    a total is asked for, once per shape."""
    return shaped.Listing("claims.listing", _listing, _claim_params(flt))


def _listing(params: shaped.Params) -> Any:
    return _apply(_base(), params, for_estimate=True)


def _claims_page(params: shaped.Params, sort: ClaimSort, limit: int) -> Any:
    stmt = _apply(_base().add_columns(CLAIM_TOPICS), params)
    key = claims.c.published_at if sort == "date" else claims.c.score
    if "after_key" in params:
        stmt = stmt.where(
            tuple_(key, claims.c.id)
            < tuple_(
                shaped.param(params, "after_key", key),
                shaped.param(params, "after_id", claims.c.id),
            )
        )
    return stmt.order_by(key.desc(), claims.c.id.desc()).limit(page_limit(limit))


async def find_claims(
    session: Reader,
    flt: ClaimFilter,
    *,
    sort: ClaimSort = "date",
    after: tuple[Any, int] | None = None,
    limit: int = 50,
) -> list[DbRow]:
    """Claims of each article's current revision, each row ending with its topics
    (:data:`CLAIM_TOPICS`); ``date``: newest first, keyset on (published_at, id); ``score``:
    highest first, keyset on (score, id). A hot read: built once per shape
    (:mod:`db.repositories.shaped`)."""
    return await shaped.fetch_all(
        session,
        "claims.page",
        lambda params: _claims_page(params, sort, limit),
        _claim_params(flt, after),
        inline=(sort, limit),
    )


def _topics_of_claims(params: shaped.Params) -> Any:
    return (
        select(
            claim_topics.c.claim_id,
            topics.c.slug,
            topics.c.name,
            claim_topics.c.score,
            claim_topics.c.source,
        )
        .join(topics, topics.c.id == claim_topics.c.topic_id)
        .where(
            claim_topics.c.claim_id == any_(shaped.param(params, "claim_ids", ARRAY(BigInteger)))
        )
        .order_by(claim_topics.c.claim_id, claim_topics.c.score.desc(), topics.c.slug)
    )


async def topics_for_claims(session: Reader, claim_ids: Sequence[int]) -> list[DbRow]:
    if not claim_ids:
        return []
    # one array parameter: the same statement text (one prepared statement) for every page size
    return await shaped.fetch_all(
        session, "claims.topics", _topics_of_claims, {"claim_ids": [int(i) for i in claim_ids]}
    )


async def get_claim(session: Reader, claim_id: int, *, lock: bool = False) -> DbRow | None:
    """One claim of any revision, with its features, revision id, body and curation flags."""
    stmt = (
        _base(current_only=False)
        .add_columns(
            claims.c.features,
            claims.c.revision_id,
            claims.c.topics_curated,
            revisions.c.body,
        )
        .where(claims.c.id == claim_id)
    )
    if lock:
        stmt = stmt.with_for_update(of=claims)
    return (await session.execute(stmt)).first()


async def update_claim(session: AsyncSession, claim_id: int, values: dict[str, Any]) -> None:
    await session.execute(update(claims).where(claims.c.id == claim_id).values(**values))


async def replace_topics(
    session: AsyncSession, claim_id: int, links: Sequence[tuple[int, float]], source: str
) -> None:
    await session.execute(delete(claim_topics).where(claim_topics.c.claim_id == claim_id))
    if links:
        await session.execute(
            insert(claim_topics),
            [{"claim_id": claim_id, "topic_id": t, "score": s, "source": source} for t, s in links],
        )


async def topic_links_of(session: AsyncSession, claim_ids: Sequence[int]) -> list[DbRow]:
    if not claim_ids:
        return []
    stmt = select(claim_topics).where(claim_topics.c.claim_id.in_(list(claim_ids)))
    return list((await session.execute(stmt)).all())


async def insert_topic_links(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(claim_topics), rows)
