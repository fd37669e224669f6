"""Topic use cases: the taxonomy as a tree, edits (admin), loading a file, reclassification.

The taxonomy lives in ``topics`` (loaded from ``nlp/data/taxonomy.json`` by migration 0005 or
``article-store topics load``); ``topic_closure`` holds every (ancestor, descendant) pair and is
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

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import transaction
from db.repositories import topics as repo
from nlp.topics import classify, topic_from_dict, topic_to_dict
from nlp.types import TopicDef
from service.errors import Conflict, InvalidInput, NotFound, Unavailable, UnknownFilterValue
from service.jobs import JobHandOff

logger = logging.getLogger(__name__)

RECLASSIFY_BATCH = 1000


class TopicNotFound(NotFound):
    title = "Topic not found"


class TopicConflict(Conflict):
    title = "Topic conflict"


def _rules(rules: dict[str, Any] | None) -> dict[str, Any]:
    """Rules in their canonical stored shape (defaults filled, keyword weights as objects)."""
    return topic_to_dict(topic_from_dict({"slug": "x", "rules": rules or {}}))["rules"]


def topic_item(row: Any) -> dict[str, Any]:
    return {
        "slug": row.slug,
        "name": row.name,
        "parent": row.parent_slug,
        "iptc_code": row.external_code,
        "description": row.description or "",
        "rules": _rules(row.rules),
    }


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
    """The taxonomy stored in the database, as the pipeline's ``TopicDef``s."""
    return [topic_def(r) for r in await repo.all_topics(session)]


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


async def get_topic(session: AsyncSession, slug: str) -> dict[str, Any]:
    row = await repo.get_topic(session, slug)
    if row is None:
        raise TopicNotFound(f"no topic with slug {slug!r}", slug=slug)
    return topic_item(row)


async def resolve_topic_ids(
    session: AsyncSession, slug_or_code: str, *, include_descendants: bool = True
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


async def load_taxonomy(session: AsyncSession, defs: Sequence[TopicDef]) -> LoadReport:
    """Upsert a taxonomy (e.g. the shipped file) in one transaction: new slugs are created,
    existing ones get the file's name, parent, IPTC code, description and rules. Topics not in
    the file are left alone. Claims are not re-linked (run reclassify for that)."""
    from nlp.topics import validate_taxonomy

    try:
        validate_taxonomy(defs)
    except ValueError as exc:
        raise InvalidInput(str(exc)) from exc
    created: list[str] = []
    updated: list[str] = []
    async with session.begin():
        await repo.lock_taxonomy(session)
        existing = {r.slug: r for r in await repo.all_topics(session)}
        ids = {slug: int(r.id) for slug, r in existing.items()}
        pending = list(defs)
        while pending:
            ready = [d for d in pending if d.parent is None or d.parent in ids]
            if not ready:
                raise InvalidInput(f"unknown parents: {sorted({str(d.parent) for d in pending})}")
            for d in ready:
                values = {
                    "name": d.name,
                    "parent_id": ids[d.parent] if d.parent is not None else None,
                    "external_code": d.iptc_code,
                    "description": d.description,
                    "rules": topic_to_dict(d)["rules"],
                }
                if d.slug in ids:
                    await repo.update_topic(session, ids[d.slug], values)
                    updated.append(d.slug)
                else:
                    ids[d.slug] = await repo.insert_topic(session, {"slug": d.slug, **values})
                    created.append(d.slug)
                pending.remove(d)
        await repo.rebuild_closure(session)
        # a parent cycle through topics outside the file would break the closure
        try:
            validate_taxonomy(await load_topic_defs(session))
        except ValueError as exc:
            raise TopicConflict(str(exc)) from exc
    return LoadReport(created=created, updated=updated)


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
