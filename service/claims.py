"""Claim use cases: search, read, curate, cluster, and carry curations across revisions.

* Search filters on topic (with its descendants, through ``topic_closure``), claimant (any
  name or alias, like the quotes ``speaker`` filter), article, outlet, story, score, dates,
  full text and cluster; sorted by date or score, keyset-paginated.
* A curated claim is one a person corrected (``PATCH``: topics, claimant, not-a-claim).
  Re-annotation keeps curated rows and drops machine claims overlapping them
  (``service.annotation``); a new revision gets the curated claims of the previous one,
  re-anchored (:func:`carry_curated_claims`, mirroring ``service.quotes``).
* Clusters: a run that writes a revision's claims queues the revision
  (:func:`queue_clustering`); the single-flight ``cluster_claims`` job
  (:func:`cluster_pending`) then compares each claim with the claims of other articles of the
  same story or published within ±7 days (:func:`assign_clusters_many`), with
  :mod:`nlp.clusters`' similarity and threshold; matches join (or merge) clusters. Clusters
  are therefore settled seconds after the run is ``done``, not in its transaction.
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import Reader, transaction
from db.repositories import articles as article_repo
from db.repositories import claim_clusters as clusters_repo
from db.repositories import claims as repo
from db.repositories import entities as entity_repo
from db.repositories import shaped, spans
from db.repositories import topics as topic_repo
from nlp.clusters import (
    DEFAULT_CLUSTER_THRESHOLD,
    ClaimIndex,
    PreparedClaim,
    idf_default,
    idf_weights,
    prepared_similarity,
)
from nlp.clusters import cluster_claims as nlp_cluster_claims
from nlp.types import ClaimForClustering
from service import entities as entities_svc
from service.curation import CarryReport, SpanKind, carry_curated
from service.errors import EntityNotFound, InvalidInput, NotFound
from service.outlets import outlet_filter_ids
from service.pagination import (
    CountMode,
    Page,
    decode_cursor,
    encode_cursor,
    listing_kind,
    listing_total,
)
from service.references import require_referenced
from service.topics import resolve_topic_ids
from service.values import (
    DEFAULT_LIMIT,
    Cursor,
    FullText,
    Limit,
    Name,
    OptionalId,
    Outlets,
    Since,
    Until,
)
from textkit.anchoring import Anchor

logger = logging.getLogger(__name__)

CLUSTER_WINDOW = timedelta(days=7)
MAX_CLUSTER_CANDIDATES = 5000
# Revisions clustered per transaction by the cluster_claims job.
CLUSTERING_BATCH = 200
# New claims published within this span of each other share one candidate pool.
CLUSTER_GROUP_SPAN = timedelta(days=1)
ClaimSort = Literal["date", "score"]


class ClaimNotFound(NotFound):
    title = "Claim not found"


class ClusterNotFound(NotFound):
    title = "Claim cluster not found"


class ClaimListQuery(BaseModel):
    """The filters of GET /v1/claims, declared once: the route takes this model as its query
    parameters and hands it here as validated."""

    model_config = ConfigDict(frozen=True)

    topic: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Topic slug or IPTC code (`medtop:…`); includes its descendant topics. "
        "An unknown topic is 404.",
        examples=["arms-trade"],
    )
    include_descendants: bool = Field(True, description="Set false to match only the topic itself.")
    claimant: Name = Field(None, description="Claimant name or alias, each word a prefix.")
    claimant_id: OptionalId = Field(None, description="Claimant entity id.")
    article_id: OptionalId = Field(None, description="Only this article's claims.")
    outlet: Outlets = Field(default_factory=list)
    story_id: OptionalId = Field(None, description="Only claims of this story's articles.")
    min_score: float | None = Field(
        None, ge=0, le=1, description="Lowest check-worthiness score, 0–1."
    )
    since: Since = None
    until: Until = None
    q: FullText = Field(
        None,
        description="Full-text search in the claim (web-search syntax).",
        examples=["artillery shells"],
    )
    cluster_id: OptionalId = Field(None, description="Only claims of this cluster.")
    sort: ClaimSort = Field("date", description="date (newest first) or score (highest first).")
    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor = None


def claim_item(row: Any, topics: list[dict[str, Any]]) -> dict[str, Any]:
    """A claim row as the API shows it; ``row`` starts with ``repo.CLAIM_COLUMNS`` (unpacked
    by position, as in ``quotes.quote_item``)."""
    (
        id_,
        article_id,
        revision,
        text,
        start,
        end,
        claimant_id,
        claimant_name,
        claimant_text,
        quote_id,
        score,
        cluster_id,
        curated,
        not_a_claim,
        anchor_status,
        published_at,
        _outlet_id,
        outlet,
    ) = row[:_CLAIM_WIDTH]
    return {
        "id": id_,
        "article_id": article_id,
        "revision": revision,
        "text": text,
        "start": start,
        "end": end,
        "claimant": {"id": claimant_id, "name": claimant_name} if claimant_id is not None else None,
        "claimant_text": claimant_text,
        "quote_id": quote_id,
        "topics": topics,
        "score": score,
        "cluster_id": cluster_id,
        "outlet": {"id": _outlet_id, "name": outlet},
        "published_at": published_at,
        "curated": curated,
        "not_a_claim": not_a_claim,
        "anchor_status": anchor_status,
    }


_CLAIM_WIDTH = shaped.expect_columns(
    repo.CLAIM_COLUMNS,
    "id article_id revision text span_start span_end claimant_id claimant_name "
    "claimant_text quote_id score cluster_id curated not_a_claim anchor_status published_at outlet_id outlet",
    "service.claims.claim_item",
)


async def _items(session: Reader, rows: list[Any]) -> list[dict[str, Any]]:
    by_claim: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for claim_id, slug, name, score, source in await repo.topics_for_claims(
        session, [r[0] for r in rows]
    ):
        by_claim[claim_id].append({"slug": slug, "name": name, "score": score, "source": source})
    return [claim_item(r, by_claim.get(r[0], [])) for r in rows]


def claim_items(rows: list[Any]) -> list[dict[str, Any]]:
    """Items of rows that carry their topics after ``repo.CLAIM_COLUMNS`` (``repo.CLAIM_TOPICS``:
    the claims page, a revision's annotations)."""
    return [
        claim_item(
            r,
            [
                {"slug": slug, "name": name, "score": score, "source": source}
                for slug, name, score, source in r[_CLAIM_WIDTH]
            ],
        )
        for r in rows
    ]


def _cursor_kind(sort: ClaimSort) -> str:
    return f"claims:{sort}"


async def list_claims(
    session: Reader, query: ClaimListQuery, count: CountMode | None = None
) -> Page[dict[str, Any]]:
    """Claims of current revisions. A filter naming a resource that does not exist (topic,
    outlet, article, story, claimant id, cluster) is :class:`UnknownFilterValue`; a claimant
    name nobody answers to is an empty page (as for quotes)."""
    kind = listing_kind(_cursor_kind(query.sort), query.model_dump())
    after = None
    if query.cursor:
        after = decode_cursor(
            query.cursor, kind, (datetime, int) if query.sort == "date" else (float, int)
        )
    # A topic tree is resolved inside the page statement (one round trip), unless the count
    # (whose estimate wants the tree as a list) or the topic alone is asked for.
    topic_ref = (
        query.topic
        if query.topic is not None and query.include_descendants and count is None
        else None
    )
    topic_ids = (
        await resolve_topic_ids(session, query.topic, include_descendants=query.include_descendants)
        if query.topic is not None and topic_ref is None
        else None
    )
    await require_referenced(
        session,
        article_id=query.article_id,
        story_id=query.story_id,
        cluster_id=query.cluster_id,
    )
    outlet_ids = await outlet_filter_ids(session, query.outlet)
    claimant_ids = await entities_svc.entity_ids_for_filter(
        session, query.claimant, query.claimant_id, id_parameter="claimant_id"
    )
    claimant_outlet = None
    if query.claimant is not None and query.claimant_id is None:
        # "claimant=The New York Times" also finds the outlet's own (reporter) claims
        claimant_outlet = await article_repo.find_outlet_name(session, query.claimant)
    if claimant_ids == [] and claimant_outlet is None:
        return Page.empty(count)
    flt = repo.ClaimFilter(
        topic_ids=topic_ids,
        topic_ref=topic_ref,
        claimant_ids=claimant_ids,
        claimant_outlet=claimant_outlet,
        article_id=query.article_id,
        outlet_ids=outlet_ids,
        story_id=query.story_id,
        min_score=query.min_score,
        since=query.since,
        until=query.until,
        q=query.q,
        cluster_id=query.cluster_id,
    )
    rows = await repo.find_claims(session, flt, sort=query.sort, after=after, limit=query.limit + 1)
    if topic_ref is not None and not rows:
        await resolve_topic_ids(session, topic_ref)  # no claims, or no such topic (404)?
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        key = last.published_at if query.sort == "date" else float(last.score)
        next_cursor = encode_cursor(kind, (key, int(last.id)))
    total, is_estimate = await listing_total(session, count, repo.claims_listing(flt))
    return Page(claim_items(rows), next_cursor, total, is_estimate)


async def get_claim(session: Reader, claim_id: int) -> dict[str, Any]:
    row = await repo.get_claim(session, claim_id)
    if row is None:
        raise ClaimNotFound(f"no claim with id {claim_id}", claim_id=claim_id)
    item = (await _items(session, [row]))[0]
    item["features"] = row.features or {}
    return item


@dataclass(frozen=True, slots=True)
class ClaimChange:
    """A correction; only the fields in ``fields`` are applied."""

    fields: frozenset[str]
    topics: list[str] | None = None
    claimant_id: int | None = None
    claimant_text: str | None = None
    not_a_claim: bool | None = None


async def update_claim(session: AsyncSession, claim_id: int, change: ClaimChange) -> dict[str, Any]:
    """Correct a claim (one transaction); it becomes curated and survives re-annotation.

    ``topics`` replaces all its topic links with curated ones (score 1; reclassification
    leaves them alone); ``claimant_id``/``claimant_text`` set who makes the claim;
    ``not_a_claim`` hides it from every list (kept so re-annotation does not bring it back)."""
    async with session.begin():
        row = await repo.get_claim(session, claim_id, lock=True)
        if row is None:
            raise ClaimNotFound(f"no claim with id {claim_id}", claim_id=claim_id)
        values: dict[str, Any] = {"curated": True}
        if "topics" in change.fields:
            slugs = list(dict.fromkeys(change.topics or []))
            ids = await topic_repo.topic_ids_for(session, slugs)
            unknown = [s for s in slugs if s not in ids]
            if unknown:
                raise InvalidInput(
                    f"unknown topic(s): {', '.join(unknown)}; GET /v1/topics lists them",
                    field="topics",
                    slugs=unknown,
                )
            await repo.replace_topics(session, claim_id, [(ids[s], 1.0) for s in slugs], "curated")
            values["topics_curated"] = True
        if "claimant_id" in change.fields:
            if change.claimant_id is not None:
                entity = await entity_repo.get_entity(session, change.claimant_id)
                if entity is None:
                    raise EntityNotFound(
                        f"no entity with id {change.claimant_id}", field="claimant_id"
                    )
            # only the entity changes: claimant_text stays the words the text uses
            values["claimant_id"] = change.claimant_id
        if "claimant_text" in change.fields:
            values["claimant_text"] = change.claimant_text
        if "not_a_claim" in change.fields:
            if change.not_a_claim is None:
                raise InvalidInput("not_a_claim cannot be null", field="not_a_claim")
            values["not_a_claim"] = change.not_a_claim
            if change.not_a_claim:
                values["cluster_id"] = None
        await repo.update_claim(session, claim_id, values)
        await spans.delete_machine_overlapping(
            session, spans.CLAIMS, int(row.revision_id), [(int(row.span_start), int(row.span_end))]
        )
    return await get_claim(session, claim_id)


# -- after a run writes claims ----------------------------------------------------------------


async def assign_clusters_many(
    session: AsyncSession,
    revision_ids: list[int],
    threshold: float = DEFAULT_CLUSTER_THRESHOLD,
    window: timedelta = CLUSTER_WINDOW,
) -> int:
    """Put the claims of these revisions (current ones only; inside the caller's transaction)
    in clusters with the claims they repeat, with a few statements (the clustering job).

    A claim's candidates are current claims of other articles published within ``window``
    of it or in the same story. The revisions are taken in groups published within one day
    of each other; each group's candidate pool is fetched once: current claims published
    within ``window`` of the group (at most ``2 × MAX_CLUSTER_CANDIDATES``, nearest to the
    group's middle first) plus every claim of the group's stories, and the word weights
    (IDF) are computed over the pool. Each new claim is matched, in claim id order, against
    its own candidates in the pool; a claim matching claims of two clusters merges them.
    Returns how many new claims joined a cluster."""
    new = await clusters_repo.claims_of_revisions(session, revision_ids)
    if not new:
        return 0
    clustered = 0
    for group in _by_day(new):
        clustered += await _cluster_group(session, group, threshold, window)
    return clustered


def _by_day(claims_: list[Any]) -> list[list[Any]]:
    """New claims in groups whose publication dates lie within one day (date order)."""
    groups: list[list[Any]] = []
    for c in sorted(claims_, key=lambda c: (c.published_at, c.id)):
        if groups and c.published_at - groups[-1][0].published_at <= CLUSTER_GROUP_SPAN:
            groups[-1].append(c)
        else:
            groups.append([c])
    return groups


async def _cluster_group(
    session: AsyncSession, new: list[Any], threshold: float, window: timedelta
) -> int:
    dates = [c.published_at for c in new]
    stories = sorted({int(c.story_id) for c in new if c.story_id is not None})
    pool = await clusters_repo.candidates_in_window(
        session,
        min(dates) - window,
        max(dates) + window,
        dates[len(dates) // 2],
        stories,
        2 * MAX_CLUSTER_CANDIDATES,
    )
    rows: dict[int, Any] = {int(r.id): r for r in pool}
    rows.update((int(c.id), c) for c in new)
    if len(rows) == len(new) and len({c.article_id for c in new}) < 2:
        return 0  # nothing another article said to compare with
    idf = idf_weights([r.text for r in rows.values()])
    cluster_of: dict[int, int | None] = {
        cid: (int(r.cluster_id) if r.cluster_id is not None else None) for cid, r in rows.items()
    }
    members_of: dict[int, set[int]] = defaultdict(set)  # the pool's claims of each cluster
    for cid, k in cluster_of.items():
        if k is not None:
            members_of[k].add(cid)
    ids = sorted(rows)
    # The pool is prepared without its entities: the index's bound assumes a perfect entity
    # part, so only the new claims and the candidates that pass the bound need theirs (one
    # statement for a few hundred claims rather than for a pool of thousands).
    claim_index = ClaimIndex([PreparedClaim.of(rows[c].text) for c in ids], idf, idf_default(idf))
    position = {c: i for i, c in enumerate(ids)}

    def candidate(other: Any, of: Any) -> bool:
        if other.article_id == of.article_id:
            return False
        if abs(other.published_at - of.published_at) <= window:
            return True
        return of.story_id is not None and other.story_id == of.story_id

    # The decisions are made in memory, claim by claim in id order, and written at the end
    # with three set-based statements: one claim's row is then rewritten once per pass, not
    # once per merge it takes part in (a claims row has eleven indexes, one a GIN over its
    # text: a cluster merge that moved a big cluster's rows cost tens of milliseconds, ~700
    # such statements per 200 revisions of an archive). New clusters get placeholder ids
    # above every real one, so "the oldest cluster survives a merge" holds as before.
    initial = dict(cluster_of)
    new_ids = sorted(int(c.id) for c in new)
    possible = {
        cid: [
            ids[i]
            for i in claim_index.possible(claim_index.prepared[position[cid]], threshold)
            if candidate(rows[ids[i]], rows[cid])
        ]
        for cid in new_ids
    }
    needed = set(new_ids).union(*possible.values())
    ents = await clusters_repo.entity_ids_in_claims(session, sorted(needed))
    prepared = {
        cid: claim_index.prepared[position[cid]].with_entities(str(e) for e in ents.get(cid, ()))
        for cid in needed
    }
    next_new = _NEW_CLUSTER
    merged_into: dict[int, int] = {}  # real cluster merged away → the cluster it joined
    clustered = 0
    for nid in new_ids:
        matched = [
            m
            for m in possible[nid]
            if prepared_similarity(prepared[nid], prepared[m], idf, claim_index.default)
            >= threshold
        ]
        if not matched:
            continue
        members = [nid, *matched]
        existing = sorted({k for m in members if (k := cluster_of[m]) is not None})
        if existing:
            into = existing[0]
            for k in existing[1:]:
                if k < _NEW_CLUSTER:
                    merged_into[k] = into
                for cid in members_of.pop(k, ()):
                    cluster_of[cid] = into
                    members_of[into].add(cid)
        else:
            into, next_new = next_new, next_new + 1
        for m in members:
            if cluster_of[m] != into:
                cluster_of[m] = into
                members_of[into].add(m)
        clustered += 1
    await _write_cluster_decisions(session, initial, cluster_of, merged_into)
    return clustered


# Placeholder ids of the clusters a pass creates (above any real id) until it writes them.
_NEW_CLUSTER = 1 << 62


async def _write_cluster_decisions(
    session: AsyncSession,
    initial: dict[int, int | None],
    final: dict[int, int | None],
    merged_into: dict[int, int],
) -> None:
    """Write a pass's decisions: the new clusters, the merges (every member of a merged
    cluster moves, in the pool or not), and the claims that joined a cluster."""

    def root(k: int) -> int:
        while k in merged_into:
            k = merged_into[k]
        return k

    placeholders = sorted({k for k in final.values() if k is not None and k >= _NEW_CLUSTER})
    real = dict(
        zip(
            placeholders,
            await clusters_repo.create_clusters(session, len(placeholders)),
            strict=True,
        )
    )
    await clusters_repo.merge_clusters_many(session, [(k, root(k)) for k in sorted(merged_into)])
    joined = [
        (cid, real.get(k, k))
        for cid, k in sorted(final.items())
        if k is not None and initial[cid] is None
    ]
    await clusters_repo.set_clusters(session, joined)


async def queue_clustering(session: AsyncSession, revision_ids: list[int]) -> None:
    """Leave these revisions' claims for the ``cluster_claims`` job (caller's transaction)."""
    await clusters_repo.queue_for_clustering(session, revision_ids)


async def clustering_pending(factory: async_sessionmaker[AsyncSession]) -> bool:
    """Whether annotation runs left claims that are not clustered yet."""
    return await clustering_backlog(factory) > 0


async def clustering_backlog(factory: async_sessionmaker[AsyncSession]) -> int:
    """How many revisions wait in ``claim_clustering_queue``."""
    async with transaction(factory) as session:
        return await clusters_repo.clustering_queue_size(session)


async def cluster_pending(
    factory: async_sessionmaker[AsyncSession], batch: int = CLUSTERING_BATCH
) -> int:
    """Cluster the claims of every revision in ``claim_clustering_queue``, ``batch``
    revisions per transaction, lowest id first; returns how many revisions were taken. A
    failed batch rolls back with its queue rows.

    One transaction at a time clusters (an advisory lock,
    :func:`db.repositories.claim_clusters.try_clustering_lock`): a job that finds the lock
    held returns at once, and the holder looks at the queue again after releasing it, so
    revisions queued meanwhile are not left behind."""
    total = 0
    while True:
        started = time.perf_counter()
        async with transaction(factory) as session:
            if not await clusters_repo.try_clustering_lock(session):
                return total  # the holder re-checks the queue once it has released the lock
            ids = await clusters_repo.take_clustering_batch(session, batch)
            clustered = await assign_clusters_many(session, ids) if ids else 0
        if ids:
            logger.info(
                "clustered the claims of %s revisions (%s joined a cluster) in %.2f s",
                len(ids),
                clustered,
                time.perf_counter() - started,
            )
        total += len(ids)
        if len(ids) < batch and not await clustering_pending(factory):
            return total


async def recluster_all(
    factory: async_sessionmaker[AsyncSession], threshold: float = DEFAULT_CLUSTER_THRESHOLD
) -> int:
    """Recompute every cluster from scratch over the current claims (one transaction; a
    maintenance job after a threshold or matching change). Returns the number of clusters."""
    async with transaction(factory) as session:
        rows = await clusters_repo.all_current_claims(session)
        ents = await clusters_repo.entity_ids_in_claims(session, [int(r.id) for r in rows])
        await clusters_repo.clear_clusters(session)
        items = [
            ClaimForClustering(
                str(r.article_id), r.text, tuple(str(e) for e in ents.get(int(r.id), ()))
            )
            for r in rows
        ]
        groups = nlp_cluster_claims(items, threshold)
        for g in groups:
            cid = await clusters_repo.create_cluster(session)
            await clusters_repo.set_cluster(session, [int(rows[i].id) for i in g], cid)
        return len(groups)


async def list_clusters(
    session: Reader,
    topic: str | None,
    include_descendants: bool = True,
    cursor: str | None = None,
    limit: int = 50,
    count: CountMode | None = None,
) -> Page[dict[str, Any]]:
    kind = listing_kind("clusters:articles", {"topic": topic, "descendants": include_descendants})
    after = decode_cursor(cursor, kind, (int, int)) if cursor else None
    topic_ids = (
        await resolve_topic_ids(session, topic, include_descendants=include_descendants)
        if topic is not None
        else None
    )
    rows = await clusters_repo.find_clusters(session, topic_ids, after=after, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(kind, (int(rows[-1].article_count), int(rows[-1].id)))
    # ranked by member counts: the page aggregates every claim already, so count exactly
    total, is_estimate = await listing_total(
        session, count, clusters_repo.clusters_listing(topic_ids), aggregated=True
    )
    return Page([cluster_item(r) for r in rows], next_cursor, total, is_estimate)


def cluster_item(row: Any) -> dict[str, Any]:
    outlets = sorted(o for o in (row.outlets or []) if o)
    return {
        "id": row.id,
        "member_count": row.member_count,
        "article_count": row.article_count,
        "outlet_count": len(outlets),
        "outlets": outlets,
        "text": row.representative,
        "first_published_at": row.first_published_at,
        "last_published_at": row.last_published_at,
    }


async def get_cluster(session: Reader, cluster_id: int) -> dict[str, Any]:
    row = await clusters_repo.get_cluster(session, cluster_id)
    if row is None:
        raise ClusterNotFound(f"no claim cluster with id {cluster_id}", cluster_id=cluster_id)
    members = await repo.find_claims(
        session, repo.ClaimFilter(cluster_id=cluster_id), sort="date", limit=1000
    )
    return {**cluster_item(row), "members": await _items(session, members)}


# -- carrying curations to a new revision ----------------------------------------------------


def _claim_copy(c: Any, anchor: Anchor, old_body: str, new_body: str) -> dict[str, Any]:
    """What a curated claim keeps on a new revision: the correction and its tombstone flag;
    it joins clusters again and cites no machine quote of the new revision."""
    return {
        "claimant_id": c.claimant_id,
        "claimant_text": c.claimant_text,
        "quote_id": None,
        "score": c.score,
        "features": c.features,
        "pipeline_version": c.pipeline_version,
        "not_a_claim": c.not_a_claim,
        "topics_curated": c.topics_curated,
        "cluster_id": None,
    }


CLAIM_SPANS = SpanKind("claims", spans.CLAIMS, _claim_copy, stored_context=False)


async def carry_curated_claims(
    session: AsyncSession, from_revision_id: int, to_revision_id: int
) -> CarryReport:
    """:func:`service.curation.carry_curated` for claims, with their topic links."""
    report = await carry_curated(session, CLAIM_SPANS, from_revision_id, to_revision_id)
    links = await repo.topic_links_of(session, list(report.copies))
    await repo.insert_topic_links(
        session,
        [
            {
                "claim_id": report.copies[int(link.claim_id)],
                "topic_id": link.topic_id,
                "score": link.score,
                "source": link.source,
            }
            for link in links
        ],
    )
    return report
