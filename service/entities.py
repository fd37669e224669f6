"""Entity use cases: search, speakers, detail, merge/unmerge, alias edits.

Merges are reversible: a merge sets ``merged_into_id`` on the merged entity (to the
survivor; merges stay one level deep), reads resolve it, and no mention or quote row moves.
Unmerging clears it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Reader
from db.repositories import entities as repo
from nlp.entities import name_tokens, same_person
from nlp.lexicon import NAME_PARTICLES
from nlp.types import Entity
from service.errors import (
    AliasNotFound,
    EntityNotFound,
    InvalidInput,
    InvalidMerge,
    UnknownFilterValue,
)
from service.pagination import (
    CountMode,
    Page,
    decode_cursor,
    encode_cursor,
    listing_kind,
    listing_total,
)
from textkit.names import name_key, name_prefix_query

# How many stored people sharing a surname word are looked at when linking a new name; past
# that many the name is too common to link safely and gets (or keeps) its own entity.
LINK_CANDIDATE_LIMIT = 200

_SPEAKERS = "speakers:count"
_ENTITIES = "entities:name"


def _normalized_query(q: str | None) -> str | None:
    """The name search for ``q`` (prefix words, see textkit.names.name_prefix_query);
    ``""`` when nothing searchable is left, None for no filter."""
    if q is None:
        return None
    return name_prefix_query(q)


async def list_speakers(
    session: Reader,
    q: str | None,
    *,
    cursor: str | None,
    limit: int,
    count: CountMode | None = None,
) -> Page[dict[str, Any]]:
    """Quoted entities, most-quoted first. A name matching nobody is an empty page. The
    cursor is bound to ``q`` (another search with it is a 400)."""
    kind = listing_kind(_SPEAKERS, {"q": q})
    after = decode_cursor(cursor, kind, (int, int)) if cursor else None
    normalized = _normalized_query(q)
    if normalized == "":
        return Page.empty(count)
    rows = await repo.find_speakers(session, normalized, after=after, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(kind, (int(rows[-1].quote_count), int(rows[-1].id)))
    # ranked by quote counts: the page aggregates every quote already, so count exactly
    total, is_estimate = await listing_total(
        session, count, repo.speakers_listing(normalized), aggregated=True
    )
    return Page(
        [
            {"id": r.id, "name": r.name, "type": r.type, "quote_count": int(r.quote_count)}
            for r in rows
        ],
        next_cursor,
        total,
        is_estimate,
    )


async def list_entities(
    session: Reader,
    q: str | None,
    types: list[str],
    *,
    cursor: str | None,
    limit: int,
    count: CountMode | None = None,
) -> Page[dict[str, Any]]:
    kind = listing_kind(_ENTITIES, {"q": q, "type": sorted(t.upper() for t in types)})
    after = decode_cursor(cursor, kind, (str, int)) if cursor else None
    normalized = _normalized_query(q)
    if normalized == "":
        return Page.empty(count)
    upper = [t.upper() for t in types]
    rows = await repo.find_entities(session, normalized, upper, after=after, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(kind, (rows[-1].normalized_name, int(rows[-1].id)))
    total, is_estimate = await listing_total(
        session, count, repo.entities_listing(normalized, upper)
    )
    return Page(
        [{"id": r.id, "name": r.name, "type": r.type} for r in rows],
        next_cursor,
        total,
        is_estimate,
    )


async def _require(session: Reader, entity_id: int, *, lock: bool = False) -> Any:
    row = await repo.get_entity(session, entity_id, lock=lock)
    if row is None:
        raise EntityNotFound(f"no entity with id {entity_id}", entity_id=entity_id)
    return row


async def get_entity(session: Reader, entity_id: int) -> dict[str, Any]:
    """The entity with everything merged into it: aliases, counts, articles.

    For an entity that was merged into another, ``merged_into`` names the survivor and the
    counts are those of the entity alone."""
    row = await _require(session, entity_id)
    members = [] if row.merged_into_id else await repo.merged_members(session, entity_id)
    ids = [entity_id, *(int(m.id) for m in members)]
    merged_into = None
    if row.merged_into_id is not None:
        survivor = await repo.get_entity(session, int(row.merged_into_id))
        if survivor is not None:
            merged_into = {"id": survivor.id, "name": survivor.name}
    aliases = await repo.aliases_of(session, ids)
    return {
        "id": row.id,
        "name": row.name,
        "type": row.type,
        "merged_into": merged_into,
        "merged": [{"id": m.id, "name": m.name, "type": m.type} for m in members],
        "aliases": [
            {"id": a.id, "alias": a.alias, "source": a.source, "entity_id": a.entity_id}
            for a in aliases
        ],
        "mention_count": await repo.mention_count(session, ids),
        "quote_count": await repo.quote_count(session, ids),
        "articles": [
            {
                "id": a.id,
                "title": a.title,
                "published_at": a.published_at,
                "outlet": {"id": a.outlet_id, "name": a.outlet_name},
            }
            for a in await repo.articles_of(session, ids)
        ],
    }


async def merge_entity(session: AsyncSession, entity_id: int, into_id: int) -> dict[str, Any]:
    """Merge ``entity_id`` into ``into_id`` (or into the entity that one was merged into).

    Entities previously merged into ``entity_id`` follow it. One transaction; returns the
    survivor's detail. Both rows are locked in id order, so opposite merges at the same time
    (a → b, b → a) queue instead of deadlocking: the second finds the first done (409)."""
    async with session.begin():
        locked = {i: await _require(session, i, lock=True) for i in sorted({entity_id, into_id})}
        source, target = locked[entity_id], locked[into_id]
        root = int(target.merged_into_id or target.id)
        if root == entity_id:
            raise InvalidMerge(
                f"entity {into_id} is {'itself' if into_id == entity_id else 'merged into it'}; "
                "an entity cannot be merged into itself",
                entity_id=entity_id,
                into=into_id,
            )
        del source
        await repo.set_merged_into(session, entity_id, root)
        await repo.repoint_members(session, entity_id, root)
    return await get_entity(session, root)


async def unmerge_entity(session: AsyncSession, entity_id: int) -> dict[str, Any]:
    """Undo a merge: the entity stands alone again with its own mentions and quotes."""
    async with session.begin():
        row = await _require(session, entity_id, lock=True)
        if row.merged_into_id is None:
            raise InvalidMerge(f"entity {entity_id} is not merged", entity_id=entity_id)
        await repo.set_merged_into(session, entity_id, None)
    return await get_entity(session, entity_id)


async def add_alias(session: AsyncSession, entity_id: int, alias: str) -> dict[str, Any]:
    """A curated alias: the entity is then found by that name too (speaker filter included)."""
    alias = alias.strip()
    normalized = name_key(alias)
    if not normalized:
        raise InvalidInput("the alias has no letters or digits", field="alias")
    async with session.begin():
        await _require(session, entity_id)
        await repo.add_alias(session, entity_id, alias, normalized)
    return await get_entity(session, entity_id)


async def delete_alias(session: AsyncSession, entity_id: int, alias_id: int) -> dict[str, Any]:
    async with session.begin():
        row = await _require(session, entity_id)
        members = [] if row.merged_into_id else await repo.merged_members(session, entity_id)
        ids = [entity_id, *(int(m.id) for m in members)]
        if not await repo.delete_alias(session, ids, alias_id):
            raise AliasNotFound(
                f"entity {entity_id} has no alias with id {alias_id}",
                entity_id=entity_id,
                alias_id=alias_id,
            )
    return await get_entity(session, entity_id)


async def entity_ids_for_filter(
    session: Reader, name: str | None, entity_id: int | None, *, id_parameter: str
) -> list[int] | None:
    """The entity ids a name filter (``speaker``, ``claimant``) and/or an id filter allow.

    A name matches any alias (case/accent-insensitive; each word a prefix of a word of the
    alias): a search, so a name matching nobody gives []. An id (``id_parameter``) is a
    reference: it stands for every entity merged with it, and an unknown one is
    :class:`UnknownFilterValue` (404). Both given: the intersection. None: no such filter."""
    ids: set[int] | None = None
    if entity_id is not None:
        root = await repo.get_entity(session, entity_id)
        if root is None:
            raise UnknownFilterValue(
                f"no entity with id {entity_id} ({id_parameter}); GET /v1/entities lists them",
                parameter=id_parameter,
                value=entity_id,
            )
        ids = set(await repo.member_ids(session, int(root.merged_into_id or root.id)))
    if name is not None:
        query = name_prefix_query(name)
        by_name = set(await repo.entity_ids_for_name(session, query)) if query else set()
        ids = by_name if ids is None else ids & by_name
    return sorted(ids) if ids is not None else None


def _name_words(name: str) -> int:
    """Words of a person's name that are not particles: "de Vries" has one."""
    return sum(w not in NAME_PARTICLES for w in name_tokens(name, "PERSON"))


async def link_known_people(session: AsyncSession, found: Sequence[Entity]) -> dict[str, int]:
    """Cross-article linking of people: for each person of a new annotation whose key is not
    stored yet, the id of the one stored person it names, if there is exactly one.

    Within an article the pipeline already joins "Ortega" to "Luis Ortega Marín"; across
    articles the keys differ when an article names the person differently ("Luis Ortega" in
    one, "Luis Ortega Marín" in another; "P. de Vries" and "Pieter de Vries"). A name of two or
    more words is linked to a stored person when :func:`nlp.entities.same_person` says they
    can be one person and no other stored person also fits (two fits: ambiguous, no link).
    One-word names are never linked across articles ("Smith" or "de Vries" alone says too
    little), and two
    full names with different given names never match ("Kim Tok Hun" is not "Kim Jong Un").
    When the new name is the fuller one, the stored person takes it as its canonical name.
    Returns entity key -> existing entity id; unlinked keys are absent."""
    people = [e for e in found if e.type == "PERSON" and _name_words(e.name) >= 2]
    known = await repo.existing_keys(session, [e.key for e in people], "PERSON")
    todo: list[tuple[Entity, tuple[str, ...], list[str]]] = []
    for person in people:
        if person.key in known:
            continue
        words = name_tokens(person.name, "PERSON")
        surnames = list(
            dict.fromkeys(w for w in words[1:] if w not in NAME_PARTICLES and len(w) > 1)
        )
        if surnames:
            todo.append((person, words, surnames))
    # every surname of the batch in one statement; a word shared by more than the limit
    # makes every name with it too common to link, so LIMIT + 1 rows per word decide exactly
    by_word = await repo.people_sharing_words(
        session, [w for _, _, s in todo for w in s], LINK_CANDIDATE_LIMIT + 1
    )
    renamed: dict[int, str] = {}  # a stored person given a fuller name by an earlier one here
    linked: dict[str, int] = {}
    for person, words, surnames in todo:
        candidates = {int(r.id): str(r.name) for w in surnames for r in by_word.get(w, ())}
        if len(candidates) > LINK_CANDIDATE_LIMIT:
            continue
        names = {i: renamed.get(i, n) for i, n in candidates.items()}
        fits = [
            i
            for i, n in sorted(names.items())
            if _name_words(n) >= 2 and same_person(person.name, n)
        ]
        if len(fits) != 1:
            continue
        match = fits[0]
        linked[person.key] = match
        if len(words) > len(name_tokens(names[match], "PERSON")):
            await repo.set_name(session, match, person.name, name_key(person.name))
            renamed[match] = person.name
    return linked
