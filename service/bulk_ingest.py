"""Bulk ingest: many articles in one transaction with a handful of set-based statements.

What `POST /v1/articles:batch` and `article-store ingest` run. The guarantees are those of
the single-article path (:func:`service.articles.ingest_article`):

* identity by outlet + normalised URL or external id (the lowest article id when the two
  name different articles); same text (sha256 after normalising line endings) is a no-op;
  a changed text is the next revision number, with its word-diff statistics;
* each item is validated on its own and a bad one is reported with the problem it would have
  had alone, before anything is written; the good ones are written together in the caller's
  transaction, so a batch is never half stored;
* an item repeating an identity seen earlier in the batch is applied after it (items are
  cut into *rounds* in which no two share an identity; a round is one set of statements).

What it does not do per article is the expensive part: the story grouping (fingerprint, LSH
lookup, candidate verification) is left in ``story_grouping_queue`` for the batched
``group_stories`` job (:func:`service.stories.group_pending`), and each new revision gets a
pending annotation run for the batched annotation jobs; both are handed to the queue after
commit by :class:`service.jobs.JobHandOff`.

Statements per round: identity lookup (one ``unnest`` + ``LATERAL``), lock of the existing
articles (id order), insert of the new ones, newest revision of the existing ones, the
revision ids from the sequence, one binary COPY of the revision rows, one update of the
revised articles, one insert of the annotation runs, one of the grouping queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories import articles as article_repo
from db.repositories import bulk as repo
from service import annotation, cpu_pool
from service.errors import DomainError, InvalidInput
from textkit.urls import normalize_url

# At most this many articles per call (the API's batch limit is lower: service.articles).
MAX_BULK = 5000


@dataclass(frozen=True, slots=True)
class BulkWritten:
    """What one item did: the same fields as :class:`service.articles.IngestResult`."""

    article_id: int
    revision: int
    revision_id: int | None
    created: bool
    changed: bool
    run_id: int | None


@dataclass(slots=True)
class _Item:
    index: int
    data: Any  # service.articles.ArticleInput
    outlet_id: int
    url: str | None
    sha256: str


def _identity_keys(item: _Item) -> list[tuple[str, int, str]]:
    keys = []
    if item.url is not None:
        keys.append(("url", item.outlet_id, item.url))
    if item.data.external_id is not None:
        keys.append(("external_id", item.outlet_id, item.data.external_id))
    return keys


def _rounds(items: list[_Item]) -> list[list[_Item]]:
    """Items cut into rounds, in order, so no two items of a round share an identity key and
    an item always comes in a later round than every earlier item it shares a key with."""
    last_round: dict[tuple[str, int, str], int] = {}
    rounds: list[list[_Item]] = []
    for it in items:
        keys = _identity_keys(it)
        r = max((last_round[k] + 1 for k in keys if k in last_round), default=0)
        for k in keys:
            last_round[k] = r
        if r == len(rounds):
            rounds.append([])
        rounds[r].append(it)
    return rounds


async def _resolve_outlets(
    session: AsyncSession, prepared: list[tuple[int, Any, str | None]]
) -> tuple[dict[int, int], dict[int, DomainError]]:
    """item index → outlet id; item index → error. Names are matched case-insensitively and
    missing ones created (as the single path does); numeric ids must exist."""
    names: dict[str, tuple[str, str | None]] = {}
    numbers: set[int] = set()
    errors: dict[int, DomainError] = {}
    for index, data, _ in prepared:
        if isinstance(data.outlet, int):
            numbers.add(data.outlet)
        else:
            name = data.outlet.strip()
            if not name:
                errors[index] = InvalidInput("outlet is empty", field="outlet")
            else:
                names.setdefault(name.lower(), (name, data.outlet_domain))
    by_name = await repo.outlet_ids_by_lower_name(session, [n for n, _ in names.values()])
    for key, (name, domain) in names.items():
        if key not in by_name:
            by_name[key] = await article_repo.upsert_outlet(session, name, domain)
    known = await repo.existing_outlet_ids(session, sorted(numbers))
    out: dict[int, int] = {}
    for index, data, _ in prepared:
        if index in errors:
            continue
        if isinstance(data.outlet, int):
            if data.outlet in known:
                out[index] = data.outlet
            else:
                errors[index] = InvalidInput(f"no outlet with id {data.outlet}", field="outlet")
        else:
            out[index] = by_name[data.outlet.strip().lower()]
    return out, errors


async def ingest_many(
    session: AsyncSession, items: list[Any], *, max_bytes: int
) -> list[BulkWritten | DomainError]:
    """Ingest ``items`` (ArticleInput, or the DomainError an item already failed with) inside
    the caller's transaction; one result per item, in order. Story grouping is queued and
    annotation runs are created pending (the caller hands them to the queue after commit)."""
    from service.articles import body_sha256, validate_input

    if len(items) > MAX_BULK:
        raise InvalidInput(f"at most {MAX_BULK} articles at once", field="items")
    results: list[BulkWritten | DomainError | None] = [None] * len(items)
    prepared: list[tuple[int, Any, str | None]] = []
    for index, data in enumerate(items):
        if isinstance(data, DomainError):
            results[index] = data
            continue
        try:
            validate_input(data, max_bytes)
            url = normalize_url(data.url) if data.url else None
        except DomainError as exc:
            results[index] = exc
            continue
        prepared.append((index, data, url))
    outlet_of, outlet_errors = await _resolve_outlets(session, prepared)
    for index, error in outlet_errors.items():
        results[index] = error
    good = [
        _Item(index, data, outlet_of[index], url, body_sha256(data.body))
        for index, data, url in prepared
        if index in outlet_of
    ]
    for part in _rounds(good):
        for it, written in zip(part, await _write_round(session, part), strict=True):
            results[it.index] = written
    assert all(r is not None for r in results)
    return results  # type: ignore[return-value]


async def _find(session: AsyncSession, part: list[_Item]) -> dict[int, int]:
    return await repo.find_by_identity(
        session,
        [it.index for it in part],
        [it.outlet_id for it in part],
        [it.url for it in part],
        [it.data.external_id for it in part],
    )


async def _write_round(session: AsyncSession, part: list[_Item]) -> list[BulkWritten]:
    """One round: items with pairwise distinct identities."""
    existing = await _find(session, part)
    await repo.lock_articles(session, list(existing.values()))
    fresh = [it for it in part if it.index not in existing]
    inserted = await repo.insert_articles(
        session,
        [
            {
                "outlet_id": it.outlet_id,
                "url": it.url,
                "external_id": it.data.external_id,
                "title": it.data.title,
                "byline": it.data.byline,
                "published_at": it.data.published_at,
                "language": it.data.language,
            }
            for it in fresh
        ],
    )
    by_key: dict[tuple[str, int, str], int] = {}
    for row in inserted:
        if row.url is not None:
            by_key[("url", int(row.outlet_id), row.url)] = int(row.id)
        if row.external_id is not None:
            by_key[("external_id", int(row.outlet_id), row.external_id)] = int(row.id)
    created: dict[int, int] = {}
    lost: list[_Item] = []
    for it in fresh:
        ids = [by_key[k] for k in _identity_keys(it) if k in by_key]
        if ids:
            created[it.index] = ids[0]
        else:  # a concurrent writer inserted this identity since our lookup
            lost.append(it)
    if lost:
        again = await _find(session, lost)
        await repo.lock_articles(session, list(again.values()))
        existing.update(again)

    latest = await repo.latest_revisions(session, list(existing.values()))
    revised: list[tuple[_Item, int, int]] = []  # item, article id, new number
    out: dict[int, BulkWritten] = {}
    for it in part:
        if it.index in created:
            continue
        article_id = existing[it.index]
        prev = latest.get(article_id)
        if prev is not None and prev.sha256 == it.sha256:
            out[it.index] = BulkWritten(article_id, int(prev.number), None, False, False, None)
        else:
            revised.append((it, article_id, int(prev.number) + 1 if prev is not None else 1))

    stats = await _diff_stats(session, revised)
    new_revisions = [(it, created[it.index], 1) for it in fresh if it.index in created]
    writes = new_revisions + revised
    revision_ids = await repo.allocate_ids(session, "article_revisions", len(writes))
    records = []
    for (it, article_id, number), rid in zip(writes, revision_ids, strict=True):
        d = it.data
        change, similarity = stats.get(it.index, (None, None))
        records.append(
            (
                rid,
                article_id,
                number,
                d.body,
                it.sha256,
                d.title,
                d.byline,
                d.source_format,
                d.raw_html,
                len(d.body),
                d.fetched_at,
                change,
                similarity,
            )
        )
    await repo.copy_revisions(session, records)
    await repo.update_revised(
        session,
        [
            {
                "id": article_id,
                "number": number,
                "title": it.data.title,
                "byline": it.data.byline,
                "published_at": it.data.published_at,
                "language": it.data.language,
            }
            for it, article_id, number in revised
        ],
    )
    runs = await repo.create_runs(session, revision_ids, annotation.PIPELINE_NAME)
    await repo.queue_story_grouping(session, [aid for _, aid, _ in writes])
    for (it, article_id, number), rid in zip(writes, revision_ids, strict=True):
        out[it.index] = BulkWritten(
            article_id, number, rid, it.index in created, True, runs.get(rid)
        )
    return [out[it.index] for it in part]


async def _diff_stats(
    session: AsyncSession, revised: list[tuple[_Item, int, int]]
) -> dict[int, tuple[str, float]]:
    """item index → (change_stats as JSON, similarity) against the previous revision, all
    computed in one call to the CPU pool (off the event loop, within the diff budget)."""
    with_previous = [(it, aid, n) for it, aid, n in revised if n > 1]
    if not with_previous:
        return {}
    bodies = await repo.revision_bodies(session, [(aid, n - 1) for _, aid, n in with_previous])
    pairs = [(bodies[(aid, n - 1)], it.data.body) for it, aid, n in with_previous]
    computed = await cpu_pool.run(cpu_pool.diff_stats_many_job, pairs)
    return {
        it.index: (orjson.dumps(s.to_dict()).decode(), s.similarity)
        for (it, _, _), s in zip(with_previous, computed, strict=True)
    }
