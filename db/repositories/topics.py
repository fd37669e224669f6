"""All SQL about the topic taxonomy, its closure table and claim-topic links."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Table,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Reader
from db.models import Claim, ClaimTopic, Mention, Topic
from db.models.claims import TopicClosure
from db.repositories import shaped
from db.repositories.filters import page_limit

topics: Table = Topic.__table__  # type: ignore[assignment]
closure: Table = TopicClosure.__table__  # type: ignore[assignment]
claims: Table = Claim.__table__  # type: ignore[assignment]
claim_topics: Table = ClaimTopic.__table__  # type: ignore[assignment]
mentions: Table = Mention.__table__  # type: ignore[assignment]

DbRow = Any

_parent = topics.alias("parent")
TOPIC_COLUMNS = (
    topics.c.id,
    topics.c.slug,
    topics.c.name,
    topics.c.parent_id,
    _parent.c.slug.label("parent_slug"),
    topics.c.external_code,
    topics.c.description,
    topics.c.rules,
    topics.c.source,
    topics.c.retired_at,
)
# a topic's depth in the tree (0: a root) and its number of children, for listings
topic_depth = (
    select(func.max(closure.c.depth))
    .where(closure.c.descendant_id == topics.c.id)
    .scalar_subquery()
)
_child = topics.alias("child")
CHILD_COUNT = (
    select(func.count())
    .where(_child.c.parent_id == topics.c.id)
    .scalar_subquery()
    .label("child_count")
)

# The whole closure, recomputed from parent links (the taxonomy is small; edits are rare).
_REBUILD_CLOSURE = text(
    """
    INSERT INTO topic_closure (ancestor_id, descendant_id, depth)
    WITH RECURSIVE up(ancestor_id, descendant_id, depth) AS (
        SELECT id, id, 0 FROM topics
        UNION ALL
        SELECT t.parent_id, up.descendant_id, up.depth + 1
        FROM up JOIN topics t ON t.id = up.ancestor_id
        WHERE t.parent_id IS NOT NULL AND up.depth < 64
    )
    SELECT ancestor_id, descendant_id, depth FROM up
    """
)


def _select_topics() -> Any:
    return select(*TOPIC_COLUMNS, topic_depth.label("depth"), CHILD_COUNT).select_from(
        topics.outerjoin(_parent, _parent.c.id == topics.c.parent_id)
    )


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


@dataclass(frozen=True, slots=True)
class TopicFilter:
    q: str | None = None  # part of the name or slug, case-insensitive
    code: str | None = None  # an IPTC code, case-insensitive
    parent_id: int | None = None  # only this topic's children
    depth: int | None = None  # only topics at this depth (0: roots)


async def find_topics(
    session: Reader, flt: TopicFilter, *, after: str | None = None, limit: int = 50
) -> list[DbRow]:
    """Topics by slug, keyset-paginated on the slug (the taxonomy is ~1,100 rows: no index
    is needed for the name search or the depth)."""
    stmt = _select_topics()
    if flt.q is not None:
        pattern = _like(flt.q)
        stmt = stmt.where(
            or_(
                topics.c.name.ilike(pattern, escape="\\"),
                topics.c.slug.ilike(pattern, escape="\\"),
            )
        )
    if flt.code is not None:
        stmt = stmt.where(func.lower(topics.c.external_code) == flt.code.lower())
    if flt.parent_id is not None:
        stmt = stmt.where(topics.c.parent_id == flt.parent_id)
    if flt.depth is not None:
        stmt = stmt.where(topic_depth == flt.depth)
    if after is not None:
        stmt = stmt.where(topics.c.slug > after)
    stmt = stmt.order_by(topics.c.slug).limit(page_limit(limit))
    return list((await session.execute(stmt)).all())


async def get_topic_by_code(session: Reader, code: str) -> DbRow | None:
    """The topic with this IPTC code (case-insensitive); the IPTC concept itself first when a
    user topic carries the code too."""
    stmt = (
        _select_topics()
        .where(func.lower(topics.c.external_code) == code.lower())
        .order_by((topics.c.source == "iptc").desc(), topics.c.id)
        .limit(page_limit(1))
    )
    return (await session.execute(stmt)).first()


async def taxonomy_digest(session: AsyncSession) -> str:
    """A digest of every topic row (changes with any edit, load or delete)."""
    stmt = text("SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t.id), '')) FROM topics t")
    return str((await session.execute(stmt)).scalar_one())


async def all_topics(session: AsyncSession) -> list[DbRow]:
    stmt = _select_topics().order_by(topics.c.slug)
    return list((await session.execute(stmt)).all())


async def get_topic(session: Reader, slug: str, *, lock: bool = False) -> DbRow | None:
    stmt = _select_topics().where(topics.c.slug == slug)
    if lock:
        stmt = stmt.with_for_update(of=topics)
    return (await session.execute(stmt)).first()


def _topic_by_ref(wanted: Any) -> Any:
    """The topic a ``topic`` filter names: by slug, else by IPTC code (case-insensitive)."""
    return (
        select(topics.c.id)
        .where(
            or_(
                topics.c.slug == wanted,
                func.lower(topics.c.external_code) == func.lower(wanted),
            )
        )
        .order_by((topics.c.slug == wanted).desc(), topics.c.id)
        # inline as page_limit's, under a name of its own: this select is also a subquery
        # of a page statement, whose page_limit would otherwise be written here too
        .limit(bindparam("one_topic", 1, literal_execute=True))
    )


def topic_tree_subquery(wanted: Any) -> Any:
    """The ids of the topic ``wanted`` names and its descendants, as one array (NULL when it
    names none), for a statement that filters by topic without a round trip of its own."""
    topic = _topic_by_ref(wanted).scalar_subquery()
    tree = select(func.array_agg(closure.c.descendant_id)).where(closure.c.ancestor_id == topic)
    return cast(tree.scalar_subquery(), ARRAY(BigInteger))


def _filter_topic_ids(params: shaped.Params, include_descendants: bool) -> Any:
    wanted = shaped.param(params, "topic", topics.c.slug)
    descendants = (
        select(func.array_agg(closure.c.descendant_id))
        .where(closure.c.ancestor_id == topics.c.id)
        .scalar_subquery()
    )
    by_ref = _topic_by_ref(wanted)
    return by_ref.with_only_columns(
        topics.c.id, descendants if include_descendants else topics.c.id
    )


async def filter_topic_ids(
    session: Reader, slug_or_code: str, *, include_descendants: bool = True
) -> list[int] | None:
    """The ids a ``topic`` filter means, in one statement: the topic (by slug, else by IPTC
    code, case-insensitive) and, if asked, its descendants from the closure. None: no such
    topic. (On every claims-by-topic request: built once per shape, see ``shaped``.)"""
    rows = await shaped.fetch_all(
        session,
        "topics.filter_ids",
        lambda params: _filter_topic_ids(params, include_descendants),
        {"topic": slug_or_code},
        inline=include_descendants,
    )
    if not rows:
        return None
    row = rows[0]
    if not include_descendants:
        return [int(row[0])]
    return sorted(int(i) for i in row[1] or [row[0]])


async def subtree_ids(session: AsyncSession, topic_id: int) -> list[int]:
    """The topic and all its descendants (one index lookup in the closure)."""
    stmt = select(closure.c.descendant_id).where(closure.c.ancestor_id == topic_id)
    return [int(i) for i in (await session.execute(stmt)).scalars()]


async def is_in_subtree(session: AsyncSession, root_id: int, topic_id: int) -> bool:
    stmt = select(closure.c.depth).where(
        closure.c.ancestor_id == root_id, closure.c.descendant_id == topic_id
    )
    return (await session.execute(stmt)).first() is not None


async def child_slugs(session: AsyncSession, topic_id: int) -> list[str]:
    stmt = select(topics.c.slug).where(topics.c.parent_id == topic_id).order_by(topics.c.slug)
    return [str(s) for s in (await session.execute(stmt)).scalars()]


async def insert_topics(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> dict[str, int]:
    """Insert many topics (one statement); returns slug → id."""
    if not rows:
        return {}
    result = await session.execute(insert(topics).returning(topics.c.slug, topics.c.id), list(rows))
    return {str(s): int(i) for s, i in result.all()}


async def update_topics(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Update many topics by id (``rows``: ``{"topic_id": …, column: value…}``, all with the
    same columns), as one executemany."""
    if not rows:
        return
    columns = [k for k in rows[0] if k != "topic_id"]
    stmt = (
        update(topics)
        .where(topics.c.id == bindparam("topic_id"))
        .values({c: bindparam(f"v_{c}") for c in columns})
    )
    await session.execute(
        stmt,
        [{"topic_id": r["topic_id"], **{f"v_{c}": r[c] for c in columns}} for r in rows],
    )


async def retire_iptc_topics(session: AsyncSession, live_codes: Sequence[str]) -> list[str]:
    """Mark IPTC topics whose code is not in ``live_codes`` retired (kept, with their links);
    returns the slugs newly retired."""
    stmt = (
        update(topics)
        .where(
            topics.c.source == "iptc",
            topics.c.retired_at.is_(None),
            topics.c.external_code.not_in(list(live_codes)),
        )
        .values(retired_at=func.now())
        .returning(topics.c.slug)
    )
    return sorted(str(s) for s in (await session.execute(stmt)).scalars())


async def insert_topic(session: AsyncSession, values: dict[str, Any]) -> int:
    stmt = insert(topics).values(**values).returning(topics.c.id)
    return int((await session.execute(stmt)).scalar_one())


async def update_topic(session: AsyncSession, topic_id: int, values: dict[str, Any]) -> None:
    await session.execute(update(topics).where(topics.c.id == topic_id).values(**values))


async def delete_topics(session: AsyncSession, topic_ids: Sequence[int]) -> None:
    """Delete topics (children before parents: ``parent_id`` is ON DELETE RESTRICT)."""
    if not topic_ids:
        return
    depth = (
        select(func.max(closure.c.depth))
        .where(closure.c.descendant_id == topics.c.id)
        .scalar_subquery()
    )
    ordered = (
        await session.execute(
            select(topics.c.id).where(topics.c.id.in_(list(topic_ids))).order_by(depth.desc())
        )
    ).scalars()
    for tid in list(ordered):
        await session.execute(delete(topics).where(topics.c.id == tid))


async def rebuild_closure(session: AsyncSession) -> None:
    await session.execute(delete(closure))
    await session.execute(_REBUILD_CLOSURE)


async def lock_taxonomy(session: AsyncSession) -> None:
    """Serialise taxonomy edits (a transaction-scoped advisory lock) so the closure and the
    cycle check never see another edit half done."""
    await session.execute(select(func.pg_advisory_xact_lock(0x746F70696373)))


# -- reclassification -------------------------------------------------------------------------


async def claims_to_classify(session: AsyncSession, after_id: int, limit: int) -> list[DbRow]:
    """Claims (id order, from ``after_id``) whose topics are not curated, with the labels of
    the entity mentions inside each claim's span."""
    labels = (
        select(func.coalesce(func.array_agg(mentions.c.label), text("'{}'::varchar[]")))
        .where(
            mentions.c.revision_id == claims.c.revision_id,
            mentions.c.span_start >= claims.c.span_start,
            mentions.c.span_start < claims.c.span_end,
        )
        .scalar_subquery()
    )
    stmt = (
        select(claims.c.id, claims.c.text, labels.label("labels"))
        .where(
            claims.c.id > after_id,
            claims.c.topics_curated.is_(False),
            claims.c.not_a_claim.is_(False),
        )
        .order_by(claims.c.id)
        .limit(page_limit(limit))
    )
    return list((await session.execute(stmt)).all())


async def set_auto_links(
    session: AsyncSession, topic_id: int, claim_ids: Sequence[int], scores: dict[int, float]
) -> tuple[int, int]:
    """For one topic and a batch of claims: link ``scores``' claims (source auto, new score),
    unlink the batch's other auto links to the topic. Curated links are never touched.
    Returns (linked, unlinked)."""
    unlinked = 0
    drop = [c for c in claim_ids if c not in scores]
    if drop:
        result = await session.execute(
            delete(claim_topics).where(
                claim_topics.c.topic_id == topic_id,
                claim_topics.c.source == "auto",
                claim_topics.c.claim_id.in_(drop),
            )
        )
        unlinked = int(result.rowcount or 0)  # type: ignore[attr-defined]
    if scores:
        stmt = pg_insert(claim_topics).values(
            [
                {"claim_id": c, "topic_id": topic_id, "score": s, "source": "auto"}
                for c, s in scores.items()
            ]
        )
        stmt = stmt.on_conflict_do_update(
            index_elements=[claim_topics.c.claim_id, claim_topics.c.topic_id],
            set_={"score": stmt.excluded.score},
            where=claim_topics.c.source == "auto",
        )
        await session.execute(stmt)
    return len(scores), unlinked


async def topic_ids_for(session: AsyncSession, slugs: Sequence[str]) -> dict[str, int]:
    if not slugs:
        return {}
    stmt = select(topics.c.slug, topics.c.id).where(topics.c.slug.in_(list(slugs)))
    return {str(s): int(i) for s, i in (await session.execute(stmt)).all()}
