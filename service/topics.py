"""Topic use cases: the taxonomy, edits (admin), loading a file, reclassification.

The taxonomy lives in ``topics``: the IPTC Media Topics tree (``source`` ``iptc``, code in
``external_code``), the shipped custom topics under IPTC parents (``custom``) and user-made
topics (``user``), loaded by migration 0008 and updated by ``article-store topics load``
(:func:`load_iptc_release`: upsert by code, retire what a release retired, never drop a link).
``topic_closure`` holds every (ancestor, descendant) pair and is
rebuilt in the same transaction as each edit, so filters expand a topic to its subtree with one
index lookup. Edits are serialised by an advisory lock. Changing a topic's rules does not touch
existing links until :func:`reclassify_topic` runs (``POST /v1/topics/{slug}:reclassify``
queues it); it re-links claims to that one topic from their stored text and mention labels and
never touches curated links or claims whose topics a person set.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import Reader, transaction
from db.repositories import topics as repo
from nlp.topics import classify, topic_from_dict, topic_to_dict
from nlp.types import TopicDef
from service.errors import Conflict, InvalidInput, NotFound, Unavailable, UnknownFilterValue
from service.jobs import JobHandOff
from service.pagination import Page, decode_cursor, encode_cursor, listing_kind
from service.values import DEFAULT_LIMIT, Cursor, Limit

logger = logging.getLogger(__name__)

RECLASSIFY_BATCH = 1000
# a release that would retire more than this share of the live IPTC topics is refused
MAX_RETIRED_SHARE = 0.2


class TopicNotFound(NotFound):
    title = "Topic not found"


class TopicConflict(Conflict):
    title = "Topic conflict"


def _rules(rules: dict[str, Any] | None) -> dict[str, Any]:
    """Rules in their canonical stored shape (defaults filled, keyword weights as objects)."""
    return topic_to_dict(topic_from_dict({"slug": "x", "rules": rules or {}}))["rules"]


def topic_list_item(row: Any) -> dict[str, Any]:
    """A topic as lists show it (no rules)."""
    return {
        "slug": row.slug,
        "name": row.name,
        "parent": row.parent_slug,
        "iptc_code": row.external_code,
        "description": row.description or "",
        "source": row.source,
        "retired": row.retired_at is not None,
        "depth": int(row.depth or 0),
        "child_count": int(row.child_count or 0),
    }


def topic_item(row: Any) -> dict[str, Any]:
    """One topic with its matching rules."""
    return {**topic_list_item(row), "rules": _rules(row.rules)}


def topic_def(row: Any) -> TopicDef:
    return topic_from_dict(
        {
            "slug": row.slug,
            "name": row.name,
            "parent": row.parent_slug,
            "iptc_code": row.external_code,
            "description": row.description,
            "rules": row.rules,
        }
    )


async def load_topic_defs(session: AsyncSession) -> list[TopicDef]:
    """The live taxonomy stored in the database, as the pipeline's ``TopicDef``s: retired
    topics are left out, and a topic under a retired one hangs from its nearest live
    ancestor."""
    rows = await repo.all_topics(session)
    retired = {r.slug: r.parent_slug for r in rows if r.retired_at is not None}
    defs = []
    for r in rows:
        if r.slug in retired:
            continue
        d = topic_def(r)
        parent, hops = d.parent, 0
        while parent in retired and hops < 64:
            parent, hops = retired[parent], hops + 1
        if parent != d.parent:
            d = TopicDef(d.slug, d.name, parent, d.iptc_code, d.description, d.rules)
        defs.append(d)
    return defs


async def topic_tree(session: AsyncSession) -> list[dict[str, Any]]:
    """Root topics, each with its ``children`` (recursively), ordered by slug."""
    rows = await repo.all_topics(session)
    nodes = {r.slug: {**topic_item(r), "children": []} for r in rows}
    roots = []
    for r in rows:
        if r.parent_slug is not None and r.parent_slug in nodes:
            nodes[r.parent_slug]["children"].append(nodes[r.slug])
        else:
            roots.append(nodes[r.slug])
    return roots


_taxonomy_cache: tuple[str, tuple[TopicDef, ...]] | None = None


async def classification_taxonomy(session: AsyncSession) -> tuple[TopicDef, ...]:
    """:func:`load_topic_defs`, cached per process while the stored taxonomy is unchanged
    (checked each call by a digest of the rows computed in the database: a few ms, against
    ~50 ms for reading and parsing ~1,100 topics with their rules). The same tuple object is
    returned while nothing changed, so an annotator re-compiles only after an edit."""
    global _taxonomy_cache
    digest = await repo.taxonomy_digest(session)
    if _taxonomy_cache is None or _taxonomy_cache[0] != digest:
        _taxonomy_cache = (digest, tuple(await load_topic_defs(session)))
    return _taxonomy_cache[1]


def is_iptc_code(ref: str) -> bool:
    return ref.lower().startswith("medtop:")


async def _get_by_ref(session: Reader, ref: str) -> Any:
    if is_iptc_code(ref):
        return await repo.get_topic_by_code(session, ref)
    return await repo.get_topic(session, ref)


async def slug_of(session: AsyncSession, ref: str) -> str:
    """The slug of the topic ``ref`` names (a slug is itself; an IPTC code is looked up,
    :class:`TopicNotFound` when no topic has it)."""
    if not is_iptc_code(ref):
        return ref
    return str((await get_topic(session, ref))["slug"])


async def get_topic(session: Reader, ref: str) -> dict[str, Any]:
    """A topic by slug or by IPTC code (``medtop:15000000``)."""
    row = await _get_by_ref(session, ref)
    if row is None:
        raise TopicNotFound(f"no topic with slug or IPTC code {ref!r}", slug=ref)
    return topic_item(row)


class TopicListQuery(BaseModel):
    """The filters of GET /v1/topics (the route takes this model as its query parameters)."""

    model_config = ConfigDict(frozen=True)

    q: str | None = Field(
        None,
        min_length=1,
        max_length=200,
        description="Part of the topic's name or slug, case-insensitive.",
        examples=["football"],
    )
    code: str | None = Field(
        None,
        min_length=1,
        max_length=50,
        description="Only the topic with this IPTC Media Topics code (`medtop:…`).",
        examples=["medtop:15000000"],
    )
    parent: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Only the children of this topic (slug or IPTC code). An unknown topic "
        "is 404, as for `GET /v1/claims?topic=`.",
        examples=["sport"],
    )
    depth: int | None = Field(
        None,
        ge=0,
        le=64,
        description="Only topics at this depth of the tree: 0 for the top-level topics.",
        examples=[0],
    )
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor = None


async def list_topics(session: Reader, query: TopicListQuery) -> Page[dict[str, Any]]:
    """Topics by slug, filtered; keyset-paginated on the slug."""
    parent_id = None
    if query.parent is not None:
        parent = await _get_by_ref(session, query.parent)
        if parent is None:
            raise TopicNotFound(
                f"no topic with slug or IPTC code {query.parent!r}; GET /v1/topics lists them",
                slug=query.parent,
                parameter="parent",
            )
        parent_id = int(parent.id)
    kind = listing_kind("topics", query.model_dump())
    after = decode_cursor(query.cursor, kind, (str,))[0] if query.cursor else None
    flt = repo.TopicFilter(q=query.q, code=query.code, parent_id=parent_id, depth=query.depth)
    rows = await repo.find_topics(session, flt, after=after, limit=query.limit + 1)
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        next_cursor = encode_cursor(kind, (str(rows[-1].slug),))
    return Page(items=[topic_list_item(r) for r in rows], next_cursor=next_cursor)


async def resolve_topic_ids(
    session: Reader, slug_or_code: str, *, include_descendants: bool = True
) -> list[int]:
    """The topic ids a ``topic`` filter means: the topic (by slug or IPTC code) and, unless
    switched off, its descendants. An unknown topic is :class:`UnknownFilterValue` (404), as
    for every filter naming a resource: a typo must not look like "nothing about it"."""
    ids = await repo.filter_topic_ids(
        session, slug_or_code, include_descendants=include_descendants
    )
    if ids is None:
        raise UnknownFilterValue(
            f"no topic with slug or IPTC code {slug_or_code!r}; GET /v1/topics lists them",
            parameter="topic",
            value=slug_or_code,
        )
    return ids


@dataclass(frozen=True, slots=True)
class TopicInput:
    slug: str
    name: str
    parent: str | None = None
    iptc_code: str | None = None
    description: str | None = None
    rules: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class TopicChange:
    fields: frozenset[str]
    name: str | None = None
    parent: str | None = None
    iptc_code: str | None = None
    description: str | None = None
    rules: dict[str, Any] | None = None


async def _parent_id(session: AsyncSession, parent: str | None) -> int | None:
    if parent is None:
        return None
    row = await repo.get_topic(session, parent)
    if row is None:
        raise InvalidInput(f"parent topic {parent!r} does not exist", field="parent")
    return int(row.id)


async def create_topic(session: AsyncSession, data: TopicInput) -> dict[str, Any]:
    async with session.begin():
        await repo.lock_taxonomy(session)
        if await repo.get_topic(session, data.slug) is not None:
            raise TopicConflict(f"a topic with slug {data.slug!r} exists", slug=data.slug)
        await repo.insert_topic(
            session,
            {
                "slug": data.slug,
                "name": data.name,
                "parent_id": await _parent_id(session, data.parent),
                "external_code": data.iptc_code,
                "description": data.description,
                "rules": _rules(data.rules),
                "source": "user",
            },
        )
        await repo.rebuild_closure(session)
        row = await repo.get_topic(session, data.slug)
        assert row is not None
        return topic_item(row)


async def update_topic(session: AsyncSession, slug: str, change: TopicChange) -> dict[str, Any]:
    """Edit a topic. Setting ``parent`` to the topic itself or one of its descendants is a
    cycle (409). Rules changes apply to new annotation runs at once and to existing claims
    after ``reclassify``."""
    async with session.begin():
        await repo.lock_taxonomy(session)
        slug = await slug_of(session, slug)  # a topic by IPTC code too
        row = await repo.get_topic(session, slug, lock=True)
        if row is None:
            raise TopicNotFound(f"no topic with slug {slug!r}", slug=slug)
        values: dict[str, Any] = {}
        if "name" in change.fields:
            if not change.name:
                raise InvalidInput("name cannot be null or empty", field="name")
            values["name"] = change.name
        if "parent" in change.fields:
            parent_id = await _parent_id(session, change.parent)
            if parent_id is not None and await repo.is_in_subtree(session, int(row.id), parent_id):
                raise TopicConflict(
                    f"making {change.parent!r} the parent of {slug!r} would make a cycle: "
                    f"{change.parent!r} is {slug!r} or one of its descendants",
                    slug=slug,
                    parent=change.parent,
                )
            values["parent_id"] = parent_id
        if "iptc_code" in change.fields:
            if row.source == "iptc" and change.iptc_code != row.external_code:
                raise TopicConflict(
                    f"{slug!r} is the IPTC concept {row.external_code}; its code cannot change",
                    slug=slug,
                )
            values["external_code"] = change.iptc_code
        if "description" in change.fields:
            values["description"] = change.description
        if "rules" in change.fields:
            values["rules"] = _rules(change.rules)
        if values:
            await repo.update_topic(session, int(row.id), values)
        if "parent_id" in values:
            await repo.rebuild_closure(session)
        updated = await repo.get_topic(session, slug)
        assert updated is not None
        return topic_item(updated)


async def delete_topic(session: AsyncSession, slug: str, *, cascade: bool = False) -> list[str]:
    """Delete a topic (and its claim links). With children it is 409 unless ``cascade``,
    which deletes the whole subtree. Returns the deleted slugs."""
    async with session.begin():
        await repo.lock_taxonomy(session)
        slug = await slug_of(session, slug)  # a topic by IPTC code too
        row = await repo.get_topic(session, slug, lock=True)
        if row is None:
            raise TopicNotFound(f"no topic with slug {slug!r}", slug=slug)
        children = await repo.child_slugs(session, int(row.id))
        if children and not cascade:
            raise TopicConflict(
                f"topic {slug!r} has children ({', '.join(children)}); delete them first or "
                "pass cascade=true to delete the subtree",
                slug=slug,
                children=children,
            )
        ids = await repo.subtree_ids(session, int(row.id)) if cascade else [int(row.id)]
        all_rows = {int(r.id): str(r.slug) for r in await repo.all_topics(session)}
        await repo.delete_topics(session, ids)
        await repo.rebuild_closure(session)
        return sorted(all_rows[i] for i in ids if i in all_rows)


@dataclass(frozen=True, slots=True)
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)


def _values(d: TopicDef) -> dict[str, Any]:
    return {
        "name": d.name,
        "external_code": d.iptc_code,
        "description": d.description,
        "rules": topic_to_dict(d)["rules"],
    }


async def _check_tree(session: AsyncSession) -> None:
    """Rebuild the closure; a parent cycle through topics outside the file is a conflict."""
    from nlp.topics import validate_taxonomy

    await repo.rebuild_closure(session)
    try:
        validate_taxonomy([topic_def(r) for r in await repo.all_topics(session)])
    except ValueError as exc:
        raise TopicConflict(str(exc)) from exc


async def _set_parents(
    session: AsyncSession, defs: Sequence[TopicDef], ids: dict[str, int]
) -> None:
    unknown = sorted({str(d.parent) for d in defs if d.parent is not None and d.parent not in ids})
    if unknown:
        raise InvalidInput(f"unknown parents: {unknown}")
    await repo.update_topics(
        session,
        [{"topic_id": ids[d.slug], "parent_id": ids[d.parent] if d.parent else None} for d in defs],
    )


async def _upsert_by_slug(
    session: AsyncSession, defs: Sequence[TopicDef], source: str, report: LoadReport
) -> dict[str, int]:
    existing = {r.slug: int(r.id) for r in await repo.all_topics(session)}
    updates = [{"topic_id": existing[d.slug], **_values(d)} for d in defs if d.slug in existing]
    await repo.update_topics(session, updates)
    report.updated.extend(d.slug for d in defs if d.slug in existing)
    new = [d for d in defs if d.slug not in existing]
    existing.update(
        await repo.insert_topics(
            session, [{"slug": d.slug, "source": source, **_values(d)} for d in new]
        )
    )
    report.created.extend(d.slug for d in new)
    return existing


async def load_taxonomy(
    session: AsyncSession, defs: Sequence[TopicDef], *, source: str = "user"
) -> LoadReport:
    """Upsert a taxonomy file (slug-keyed, ``nlp.topics`` format) in one transaction: new
    slugs are created (with ``source``), existing ones get the file's name, parent, IPTC code,
    description and rules. Topics not in the file are left alone. Claims are not re-linked
    (run reclassify for that)."""
    from nlp.topics import validate_taxonomy

    try:
        validate_taxonomy(defs)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    report = LoadReport()
    async with session.begin():
        await repo.lock_taxonomy(session)
        ids = await _upsert_by_slug(session, defs, source, report)
        await _set_parents(session, defs, ids)
        await _check_tree(session)
    return report


def _free_slug(slug: str, code: str, taken: set[str]) -> str:
    candidate = slug if slug not in taken else f"{slug}-{code.split(':')[-1]}"
    taken.add(candidate)
    return candidate


async def load_iptc_release(
    session: AsyncSession, concepts: Sequence[TopicDef], custom: Sequence[TopicDef] = ()
) -> LoadReport:
    """Load an IPTC Media Topics release (``nlp.iptc.load_iptc(path)``) in one transaction.

    Upsert by code: a known concept keeps its row and slug (so every claim and article link
    stays) and gets the release's label, definition, parent and the current terms; a new one
    is inserted with its slug (``slug-<code>`` if a topic already has it, or the user topic
    of that slug becomes the concept). Concepts the release does not list (retired) are
    marked retired, never deleted; one that is live again is restored. ``custom`` topics
    (slug-keyed) are upserted after them. Nothing is deleted, no link is touched."""
    from nlp.topics import validate_taxonomy

    try:
        validate_taxonomy([*concepts, *custom])
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    if not concepts or any(not d.iptc_code for d in concepts):
        raise InvalidInput("an IPTC release needs at least one concept, each with its code")
    unnamed = [str(d.iptc_code) for d in concepts if not d.name.strip()]
    if unnamed:
        raise InvalidInput(f"concepts without an English label: {', '.join(unnamed[:5])}")
    report = LoadReport()
    async with session.begin():
        await repo.lock_taxonomy(session)
        rows = await repo.all_topics(session)
        by_code = {r.external_code: r for r in rows if r.source == "iptc"}
        by_slug = {r.slug: r for r in rows}
        taken = set(by_slug)
        ids: dict[str, int] = {}  # the file's slug -> row id
        updates, inserts = [], []
        for d in concepts:
            row = by_code.get(d.iptc_code)
            if row is None and d.slug in by_slug and by_slug[d.slug].source == "user":
                row = by_slug[d.slug]  # a user topic of that slug becomes the concept
            if row is not None:
                ids[d.slug] = int(row.id)
                updates.append(
                    {"topic_id": int(row.id), **_values(d), "source": "iptc", "retired_at": None}
                )
                (report.restored if row.retired_at is not None else report.updated).append(
                    str(row.slug)
                )
            else:
                slug = _free_slug(d.slug, str(d.iptc_code), taken)
                inserts.append({"slug": slug, "source": "iptc", **_values(d), "_file": d.slug})
                report.created.append(slug)
        await repo.update_topics(session, updates)
        created = await repo.insert_topics(
            session, [{k: v for k, v in i.items() if k != "_file"} for i in inserts]
        )
        ids.update({i["_file"]: created[i["slug"]] for i in inserts})
        # a custom topic's parent may be a concept: resolve parents by the file's slugs
        ids.update(
            {
                k: v
                for k, v in (await _upsert_by_slug(session, custom, "custom", report)).items()
                if k not in ids
            }
        )
        await _set_parents(session, [*concepts, *custom], ids)
        report.retired.extend(
            await repo.retire_iptc_topics(session, [str(d.iptc_code) for d in concepts])
        )
        live_before = sum(1 for r in rows if r.source == "iptc" and r.retired_at is None)
        if len(report.retired) > MAX_RETIRED_SHARE * live_before:
            raise InvalidInput(
                f"the file would retire {len(report.retired)} of {live_before} IPTC topics: "
                "a release retires a few concepts at a time, so this looks like a partial "
                "or wrong file (nothing was changed)"
            )
        await _check_tree(session)
    return report


async def load_shipped_taxonomy(session: AsyncSession) -> LoadReport:
    """The shipped IPTC tree and custom topics (what migration 0008 loads), with the current
    terms."""
    from nlp.iptc import load_custom_topics, load_iptc

    return await load_iptc_release(session, load_iptc(), load_custom_topics())


@dataclass(frozen=True, slots=True)
class ReclassifyReport:
    slug: str
    examined: int
    linked: int
    unlinked: int


async def reclassify_topic(
    factory: async_sessionmaker[AsyncSession], slug: str, batch: int = RECLASSIFY_BATCH
) -> ReclassifyReport:
    """Re-link every claim to one topic under its current rules (a job, in batches, one
    transaction each). Uses the claim's stored text and the labels of the entity mentions
    inside it, exactly what the pipeline classifies on. Curated links and claims whose topics
    were curated are left alone; the topic's other links are not touched."""
    async with transaction(factory) as session:
        row = await repo.get_topic(session, slug)
        if row is None:
            raise TopicNotFound(f"no topic with slug {slug!r}", slug=slug)
        topic_id, definition = int(row.id), topic_def(row)
    examined = linked = unlinked = 0
    after = 0
    while True:
        async with transaction(factory) as session:
            rows = await repo.claims_to_classify(session, after, batch)
            if not rows:
                break
            scores: dict[int, float] = {}
            for r in rows:
                matches = classify(r.text, [definition], list(r.labels or ()))
                if matches:
                    scores[int(r.id)] = matches[0].score
            n_linked, n_unlinked = await repo.set_auto_links(
                session, topic_id, [int(r.id) for r in rows], scores
            )
            examined += len(rows)
            linked += n_linked
            unlinked += n_unlinked
            after = int(rows[-1].id)
    logger.info(
        "reclassified topic %s: %d claims, %d linked, %d unlinked",
        slug,
        examined,
        linked,
        unlinked,
        extra={"topic": slug},
    )
    return ReclassifyReport(slug, examined, linked, unlinked)


async def request_reclassification(
    session: AsyncSession, jobs: JobHandOff | None, slug: str
) -> int:
    """Queue the reclassification of every stored claim against ``slug``; returns the job id.

    :class:`TopicNotFound` unless ``slug`` is a topic; :class:`Unavailable` (503) when the
    queue cannot take the job (nothing sweeps for these, so it is not deferred silently)."""
    async with session.begin():
        if await repo.get_topic(session, slug) is None:
            raise TopicNotFound(f"no topic with slug {slug!r}", slug=slug)
    if jobs is None:
        raise Unavailable("the job queue is unavailable; try again shortly")
    return await jobs.defer_reclassification(slug)
