"""All SQL about entities, their aliases and merges.

A merge only sets ``entities.merged_into_id`` (always to a surviving entity: one level);
mentions and quotes keep pointing at the entity the pipeline found, and reads resolve the
survivor. Undoing a merge is clearing the column.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    BindParameter,
    Integer,
    String,
    Table,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    tuple_,
    union,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Reader
from db.models import Article, ArticleRevision, Entity, EntityAlias, Mention, Outlet, Quote
from db.repositories import shaped
from db.repositories.filters import current_revision_of_article, page_limit

entities: Table = Entity.__table__  # type: ignore[assignment]
aliases: Table = EntityAlias.__table__  # type: ignore[assignment]
mentions: Table = Mention.__table__  # type: ignore[assignment]
quotes: Table = Quote.__table__  # type: ignore[assignment]
revisions: Table = ArticleRevision.__table__  # type: ignore[assignment]
articles: Table = Article.__table__  # type: ignore[assignment]
outlets: Table = Outlet.__table__  # type: ignore[assignment]

DbRow = Any

ROOT_ID = func.coalesce(entities.c.merged_into_id, entities.c.id)


def _name_matches(prefix_query: str | BindParameter[str]) -> Any:
    """Alias rows with a word starting with each word of the query (any order); the query
    is a ``to_tsquery`` text from :func:`textkit.names.name_prefix_query`. Served by the
    GIN index on ``to_tsvector('simple', normalized)``, which answers prefix queries."""
    return func.to_tsvector(text("'simple'::regconfig"), aliases.c.normalized).op("@@")(
        func.to_tsquery(text("'simple'::regconfig"), prefix_query)
    )


def _matching_roots(prefix_query: str | BindParameter[str]) -> Any:
    """Subquery: surviving entity ids with an alias (of theirs or a merged one) matching."""
    return (
        select(ROOT_ID.label("id"))
        .select_from(aliases)
        .join(entities, entities.c.id == aliases.c.entity_id)
        .where(_name_matches(prefix_query))
    )


def _ids_for_name_statement() -> Any:
    roots = _matching_roots(bindparam("name", type_=String)).cte("roots")
    # a UNION, not `id IN roots OR merged_into_id IN roots`: the OR of two subplans makes
    # PostgreSQL scan every entity (a seq scan of the whole table per speaker search). The
    # CTE matches the aliases once, not once per branch.
    return union(
        select(entities.c.id).where(entities.c.id.in_(select(roots.c.id))),
        select(entities.c.id).where(entities.c.merged_into_id.in_(select(roots.c.id))),
    )


async def entity_ids_for_name(session: Reader, prefix_query: str) -> list[int]:
    """Every entity id (survivors and those merged into them) answering to the name."""
    rows = await shaped.fetch_all(
        session,
        "entities.ids_for_name",
        lambda _: _ids_for_name_statement(),
        {"name": prefix_query},
    )
    return [int(r[0]) for r in rows]


async def member_ids(session: Reader, root_id: int) -> list[int]:
    stmt = select(entities.c.id).where(
        or_(entities.c.id == root_id, entities.c.merged_into_id == root_id)
    )
    return [int(i) for i in (await session.execute(stmt)).scalars()]


def _current_quotes() -> Any:
    """quotes ⋈ current revision, tombstones excluded (as a FROM clause)."""
    return quotes.join(revisions, revisions.c.id == quotes.c.revision_id).join(
        articles,
        and_(
            articles.c.id == quotes.c.article_id,
            articles.c.current_revision == revisions.c.number,
        ),
    )


def speakers_listing(prefix_query: str | None) -> Any:
    """Every quoted surviving entity (matching ``prefix_query``) with its quote count."""
    speaker = entities.alias("speaker")
    root_id = func.coalesce(speaker.c.merged_into_id, speaker.c.id)
    counts = (
        select(root_id.label("entity_id"), func.count().label("quote_count"))
        .select_from(_current_quotes().join(speaker, speaker.c.id == quotes.c.speaker_id))
        .where(quotes.c.deleted_at.is_(None))
        .group_by(root_id)
    )
    if prefix_query:
        counts = counts.where(root_id.in_(_matching_roots(prefix_query)))
    c = counts.subquery("c")
    return select(entities.c.id, entities.c.name, entities.c.type, c.c.quote_count).join(
        c, c.c.entity_id == entities.c.id
    )


async def find_speakers(
    session: Reader,
    prefix_query: str | None,
    *,
    after: tuple[int, int] | None,
    limit: int,
) -> list[DbRow]:
    """Surviving entities that are quoted, most-quoted first, keyset on (count, id)."""
    stmt = speakers_listing(prefix_query)
    quote_count = stmt.selected_columns.quote_count
    if after is not None:
        stmt = stmt.where(
            or_(
                quote_count < after[0],
                and_(quote_count == after[0], entities.c.id > after[1]),
            )
        )
    stmt = stmt.order_by(quote_count.desc(), entities.c.id).limit(page_limit(limit))
    return list((await session.execute(stmt)).all())


def entities_listing(prefix_query: str | None, types: Sequence[str] | None) -> Any:
    """Every surviving entity matching the name query and types."""
    stmt = select(
        entities.c.id, entities.c.name, entities.c.type, entities.c.normalized_name
    ).where(entities.c.merged_into_id.is_(None))
    if prefix_query:
        stmt = stmt.where(entities.c.id.in_(_matching_roots(prefix_query)))
    if types:
        stmt = stmt.where(entities.c.type.in_(list(types)))
    return stmt


async def find_entities(
    session: Reader,
    prefix_query: str | None,
    types: Sequence[str] | None,
    *,
    after: tuple[str, int] | None,
    limit: int,
) -> list[DbRow]:
    """Surviving entities by normalised name, keyset on (normalized_name, id)."""
    stmt = entities_listing(prefix_query, types)
    if after is not None:
        stmt = stmt.where(
            tuple_(entities.c.normalized_name, entities.c.id) > tuple_(after[0], after[1])
        )
    stmt = stmt.order_by(entities.c.normalized_name, entities.c.id).limit(page_limit(limit))
    return list((await session.execute(stmt)).all())


async def get_entity(session: Reader, entity_id: int, *, lock: bool = False) -> DbRow | None:
    stmt = select(
        entities.c.id,
        entities.c.key,
        entities.c.name,
        entities.c.type,
        entities.c.merged_into_id,
        entities.c.created_at,
    ).where(entities.c.id == entity_id)
    if lock:
        stmt = stmt.with_for_update()
    return (await session.execute(stmt)).first()


async def merged_members(session: Reader, root_id: int) -> list[DbRow]:
    stmt = (
        select(entities.c.id, entities.c.name, entities.c.type)
        .where(entities.c.merged_into_id == root_id)
        .order_by(entities.c.id)
    )
    return list((await session.execute(stmt)).all())


async def aliases_of(session: Reader, ids: Sequence[int]) -> list[DbRow]:
    stmt = (
        select(aliases.c.id, aliases.c.entity_id, aliases.c.alias, aliases.c.source)
        .where(aliases.c.entity_id.in_(list(ids)))
        .order_by(aliases.c.alias, aliases.c.id)
    )
    return list((await session.execute(stmt)).all())


async def mention_count(session: Reader, ids: Sequence[int]) -> int:
    stmt = (
        select(func.count())
        .select_from(
            mentions.join(revisions, revisions.c.id == mentions.c.revision_id).join(
                articles,
                current_revision_of_article(),
            )
        )
        .where(mentions.c.entity_id.in_(list(ids)))
    )
    return int((await session.execute(stmt)).scalar_one())


async def quote_count(session: Reader, ids: Sequence[int]) -> int:
    stmt = (
        select(func.count())
        .select_from(_current_quotes())
        .where(quotes.c.speaker_id.in_(list(ids)), quotes.c.deleted_at.is_(None))
    )
    return int((await session.execute(stmt)).scalar_one())


async def articles_of(session: Reader, ids: Sequence[int], limit: int = 100) -> list[DbRow]:
    """Articles whose current revision mentions or quotes the entity, newest first."""
    ids = list(ids)
    mentioned = (
        select(revisions.c.article_id)
        .join(mentions, mentions.c.revision_id == revisions.c.id)
        .where(mentions.c.entity_id.in_(ids))
    )
    quoted = select(quotes.c.article_id).where(
        quotes.c.speaker_id.in_(ids), quotes.c.deleted_at.is_(None)
    )
    stmt = (
        select(
            articles.c.id,
            articles.c.title,
            articles.c.published_at,
            outlets.c.id.label("outlet_id"),
            outlets.c.name.label("outlet_name"),
        )
        .join(outlets, outlets.c.id == articles.c.outlet_id)
        .where(or_(articles.c.id.in_(mentioned), articles.c.id.in_(quoted)))
        .order_by(articles.c.published_sort.desc(), articles.c.id.desc())
        .limit(page_limit(limit))
    )
    return list((await session.execute(stmt)).all())


async def set_merged_into(session: AsyncSession, entity_id: int, into_id: int | None) -> None:
    await session.execute(
        update(entities).where(entities.c.id == entity_id).values(merged_into_id=into_id)
    )


async def repoint_members(session: AsyncSession, old_root: int, new_root: int) -> list[int]:
    """Entities merged into ``old_root`` now point at ``new_root`` (keeps merges one level)."""
    stmt = (
        update(entities)
        .where(entities.c.merged_into_id == old_root)
        .values(merged_into_id=new_root)
        .returning(entities.c.id)
    )
    return [int(i) for i in (await session.execute(stmt)).scalars()]


async def add_alias(
    session: AsyncSession, entity_id: int, alias: str, normalized: str, source: str = "curated"
) -> DbRow | None:
    """Insert an alias; None when the entity already has exactly this alias."""
    stmt = (
        pg_insert(aliases)
        .values(entity_id=entity_id, alias=alias, normalized=normalized, source=source)
        .on_conflict_do_nothing()
        .returning(aliases.c.id, aliases.c.entity_id, aliases.c.alias, aliases.c.source)
    )
    return (await session.execute(stmt)).first()


async def delete_alias(session: AsyncSession, entity_ids: Sequence[int], alias_id: int) -> bool:
    result = await session.execute(
        delete(aliases).where(aliases.c.id == alias_id, aliases.c.entity_id.in_(list(entity_ids)))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def _people_sharing_words_statement() -> Any:
    """One statement for every surname of a batch (service.entities.link_known_people). The
    matching aliases (:func:`_matching_roots` with an OR of all the words: the GIN index) are
    MATERIALIZED with their tsvectors, computed once; only then is each word matched against
    them. Inlined into a join, PostgreSQL with the stale statistics of a store that is
    filling up (an archive's first load: the tables looked empty at the last ANALYZE) ran a
    seq scan of the aliases for every person entity, 1 s a lookup."""
    simple = text("'simple'::regconfig")
    words = select(func.unnest(bindparam("words", type_=ARRAY(String))).label("word")).cte("words")
    hits = (
        _matching_roots(bindparam("any_word", type_=String))
        .add_columns(func.to_tsvector(simple, aliases.c.normalized).label("tsv"))
        .cte("hits")
        .prefix_with("MATERIALIZED")
    )
    pairs = (
        select(words.c.word, hits.c.id)
        .distinct()
        .join_from(hits, words, hits.c.tsv.op("@@")(func.to_tsquery(simple, words.c.word)))
        .cte("pairs")
        .prefix_with("MATERIALIZED")
    )
    ranked = (
        select(
            pairs.c.word,
            entities.c.id,
            entities.c.key,
            entities.c.name,
            func.row_number().over(partition_by=pairs.c.word, order_by=entities.c.id).label("n"),
        )
        .join_from(pairs, entities, entities.c.id == pairs.c.id)
        .where(entities.c.type == "PERSON", entities.c.merged_into_id.is_(None))
        .subquery("ranked")
    )
    return (
        select(ranked.c.word, ranked.c.id, ranked.c.key, ranked.c.name)
        .where(ranked.c.n <= bindparam("per_word", type_=Integer))
        .order_by(ranked.c.word, ranked.c.id)
    )


_PEOPLE_SHARING_WORDS = _people_sharing_words_statement()


async def people_sharing_words(
    session: AsyncSession, words: Sequence[str], per_word: int
) -> dict[str, list[DbRow]]:
    """For each of ``words`` (normalised name words, :func:`nlp.entities.name_tokens`), the
    surviving PERSON entities with an alias (theirs or of an entity merged into them)
    containing it, lowest id first, at most ``per_word`` of them: the candidates for linking
    names seen in new articles. Rows: word, id, key, name; a word nobody has is absent."""
    unique = sorted(set(words))
    if not unique:
        return {}
    result = await session.execute(
        _PEOPLE_SHARING_WORDS,
        {"words": unique, "any_word": " | ".join(unique), "per_word": per_word},
    )
    found: dict[str, list[DbRow]] = {}
    for row in result:
        found.setdefault(str(row.word), []).append(row)
    return found


async def existing_keys(session: AsyncSession, keys: Sequence[str], type_: str) -> set[str]:
    if not keys:
        return set()
    stmt = select(entities.c.key).where(entities.c.type == type_, entities.c.key.in_(keys))
    return {str(k) for k in (await session.execute(stmt)).scalars()}


async def set_name(session: AsyncSession, entity_id: int, name: str, normalized: str) -> None:
    await session.execute(
        update(entities)
        .where(entities.c.id == entity_id)
        .values(name=name, normalized_name=normalized)
    )
