"""Stories: grouping the versions (and syndicated copies) of one report.

On every new revision, ``group_article`` takes the text's MinHash fingerprint
(textkit.similarity, stored on the revision), finds candidates through MinHash LSH
buckets (``article_lsh_bands``: 64 bands of 2 values, an index lookup, never a scan)
and among the articles published within a few days, verifies each with
``version_similarity`` (>= STORY_THRESHOLD) and joins the best match's story, or creates
one with it. Client decisions are kept: an article whose story a client confirmed,
split or merged has ``story_locked`` set and is never moved automatically again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from itertools import combinations
from typing import Any

import numpy as np
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import Reader, transaction
from db.repositories import articles as article_repo
from db.repositories import stories as repo
from service.errors import ArticleNotFound, InvalidInput, StoryNotFound
from textkit.similarity import (
    NUM_PERM,
    STORY_THRESHOLD,
    fingerprint,
    related_score,
    sentence_keys,
    sentence_keys_score,
    version_similarity,
)

BANDS = 64
ROWS = NUM_PERM // BANDS
_EMPTY = 0xFFFFFFFF  # MinHash value of a text with no shingles

# Candidates verified per new revision: LSH matches, plus the articles published nearest
# in time whose estimated Jaccard is at least JACCARD_FLOOR (heavily edited versions can
# share few 5-shingles yet most sentences; version_similarity decides).
MAX_CANDIDATES = 50
NEARBY_WINDOW = timedelta(days=3)
NEARBY_CANDIDATES = 200
JACCARD_FLOOR = 0.02
RELATED_WINDOW = timedelta(days=14)
RELATED_CANDIDATES = 300
PAIRWISE_TEXT_LIMIT = 12


def fingerprint_bytes(text: str) -> bytes:
    """The MinHash signature of ``text`` (textkit.similarity) as 128 uint32, 512 bytes."""
    return fingerprint(text).to_bytes()


def _signature(fp: bytes) -> np.ndarray[Any, Any]:
    return np.frombuffer(fp, dtype="<u4")


def fingerprint_similarity(a: bytes | None, b: bytes | None) -> float:
    """Estimated Jaccard similarity of two stored fingerprints (0 if either is empty)."""
    if not a or not b or len(a) != len(b):
        return 0.0
    sa, sb = _signature(a), _signature(b)
    if bool(np.all(sa == _EMPTY)) or bool(np.all(sb == _EMPTY)):
        return 0.0
    return float(np.count_nonzero(sa == sb)) / len(sa)


def _jaccards(fp: bytes, others: list[bytes]) -> list[float]:
    """:func:`fingerprint_similarity` of ``fp`` with each of ``others`` (same length), in
    one numpy comparison."""
    if not others:
        return []
    sig = _signature(fp)
    if bool(np.all(sig == _EMPTY)):
        return [0.0] * len(others)
    matrix = np.frombuffer(b"".join(others), dtype="<u4").reshape(len(others), -1)
    same = np.count_nonzero(matrix == sig, axis=1) / len(sig)
    empty = np.all(matrix == _EMPTY, axis=1)
    return [0.0 if e else float(v) for v, e in zip(same, empty, strict=True)]


def lsh_buckets(fp: bytes) -> list[tuple[int, int]]:
    """(band, bucket): the signature cut into BANDS bands of ROWS values, each packed
    into one signed 64-bit bucket. Two texts share a bucket with probability
    1 - (1 - J**2)**64: 0.47 at J=0.1, 0.93 at J=0.2, > 0.99 at J=0.3."""
    sig = _signature(fp)
    if bool(np.all(sig == _EMPTY)):
        return []
    out = []
    for band in range(BANDS):
        h = 0
        for v in sig[band * ROWS : (band + 1) * ROWS]:
            h = (h << 32) | int(v)
        h &= 0xFFFFFFFFFFFFFFFF
        out.append((band, h - (1 << 64) if h >= (1 << 63) else h))
    return out


async def group_article(
    session: AsyncSession,
    article_id: int,
    fp: bytes,
    body: str,
    *,
    title: str | None = None,
) -> int | None:
    """Index the article's new fingerprint and put it in a story if it has a match.

    Runs inside the caller's transaction. An article already in a story keeps it (a new
    revision does not make it another report; a client can split it), so a locked
    article is never moved. Returns the article's story id."""
    buckets = lsh_buckets(fp)
    await repo.replace_bands(session, article_id, buckets)
    row = await article_repo.lock_article(session, article_id)
    assert row is not None
    if row.story_id is not None:
        return int(row.story_id)
    candidates: dict[int, Any] = {}
    for cand in await repo.find_band_candidates(session, buckets, article_id, MAX_CANDIDATES):
        candidates[int(cand.id)] = cand
    nearby = await repo.find_nearby_fingerprints(
        session, article_id, NEARBY_WINDOW, NEARBY_CANDIDATES
    )
    for cand in nearby:
        if int(cand.id) not in candidates and (
            fingerprint_similarity(fp, cand.fingerprint) >= JACCARD_FLOOR
        ):
            candidates[int(cand.id)] = cand
    if not candidates:
        return None
    bodies = await repo.current_bodies(session, list(candidates))
    best: Any = None
    best_score = 0.0
    for cid, cand in sorted(candidates.items()):
        score = version_similarity(body, bodies[cid])
        if score >= STORY_THRESHOLD and score > best_score:
            best, best_score = cand, score
    if best is None:
        return None
    story_id = best.story_id
    if story_id is None:
        story_id = await repo.insert_story(session, title)
        await repo.assign_story(session, [int(best.id)], story_id)
    await repo.assign_story(session, [article_id], int(story_id))
    return int(story_id)


# --- reads -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoryView:
    story: dict[str, Any]
    members: list[dict[str, Any]]
    similarities: list[dict[str, Any]]


async def get_story(session: AsyncSession, story_id: int) -> StoryView:
    row = await repo.get_story(session, story_id)
    if row is None:
        raise StoryNotFound(f"no story with id {story_id}", story_id=story_id)
    members = await repo.find_members(session, story_id)
    bodies = (
        await repo.current_bodies(session, [int(m.id) for m in members])
        if len(members) <= PAIRWISE_TEXT_LIMIT
        else None
    )
    pairs = []
    for a, b in combinations(members[:50], 2):
        if bodies is not None:
            score, measure = version_similarity(bodies[a.id], bodies[b.id]), "version"
        else:
            score, measure = fingerprint_similarity(a.fingerprint, b.fingerprint), "jaccard"
        pairs.append(
            {
                "article_ids": [int(a.id), int(b.id)],
                "similarity": round(score, 4),
                "measure": measure,
            }
        )
    out_members = []
    for m in members:
        d = dict(m._mapping)
        d.pop("fingerprint", None)
        out_members.append(d)
    return StoryView(dict(row._mapping), out_members, pairs)


async def related_articles(
    session: Reader, article_id: int, *, limit: int = 10, min_score: float = 0.0
) -> list[dict[str, Any]]:
    """Other articles about the same event, best first, each with a score in [0, 1].

    Candidates are articles published within RELATED_WINDOW; the score is
    ``related_score`` of the two current texts. Versions of the same story are
    included and flagged (``same_story``); ``version_similarity`` tells a version
    (high) from a rewrite of the report (low)."""
    article = await article_repo.get_article(session, article_id)
    if article is None:
        raise ArticleNotFound(f"no article with id {article_id}", article_id=article_id)
    current = await article_repo.get_revision(session, article_id, int(article.current_revision))
    assert current is not None
    candidates = await repo.find_related_candidates(
        session, article_id, article.published_sort, RELATED_WINDOW, RELATED_CANDIDATES
    )
    scored: list[dict[str, Any]] = []
    for cand in candidates:
        score = float(related_score(current.body, cand.body))
        if score <= min_score:
            continue
        d = dict(cand._mapping)
        d.pop("body")
        d.pop("fingerprint")
        scored.append(
            {
                "article": d,
                "score": round(score, 4),
                "version_similarity": round(version_similarity(current.body, cand.body), 4),
                "same_story": article.story_id is not None and cand.story_id == article.story_id,
            }
        )
    scored.sort(key=lambda item: (-float(item["score"]), int(item["article"]["id"])))
    return scored[:limit]


# --- client decisions (each one transaction) -------------------------------------------


async def _locked_story(session: AsyncSession, story_id: int) -> Any:
    row = await repo.lock_story(session, story_id)
    if row is None:
        raise StoryNotFound(f"no story with id {story_id}", story_id=story_id)
    return row


async def confirm_story(session: AsyncSession, story_id: int) -> None:
    """The grouping is right: keep every current member in it for good."""
    async with session.begin():
        await _locked_story(session, story_id)
        await repo.set_confirmed(session, story_id)
        await repo.lock_members(session, story_id)


async def split_story(session: AsyncSession, story_id: int, article_ids: list[int]) -> int:
    """Move ``article_ids`` out into a new confirmed story; both stories are locked.

    Returns the new story's id."""
    ids = sorted(set(article_ids))
    async with session.begin():
        await _locked_story(session, story_id)
        members = set(await repo.member_ids(session, story_id))
        strangers = [i for i in ids if i not in members]
        if strangers:
            raise InvalidInput(
                f"article(s) {strangers} are not members of story {story_id}",
                field="article_ids",
            )
        if len(ids) == len(members):
            raise InvalidInput(
                "cannot split off every member; leave at least one article in the story",
                field="article_ids",
            )
        new_id = await repo.insert_story(session, None, confirmed=True)
        await repo.assign_story(session, ids, new_id, locked=True)
        await repo.set_confirmed(session, story_id)
        await repo.lock_members(session, story_id)
        return new_id


async def merge_stories(session: AsyncSession, story_id: int, other_id: int) -> None:
    """Move every member of ``other_id`` into ``story_id`` (confirmed) and drop the other."""
    if other_id == story_id:
        raise InvalidInput("cannot merge a story with itself", field="story_id")
    async with session.begin():
        # lock in id order so two opposite merges cannot deadlock
        for sid in sorted((story_id, other_id)):
            await _locked_story(session, sid)
        await repo.move_members(session, other_id, story_id, locked=True)
        await repo.delete_story(session, other_id)
        await repo.set_confirmed(session, story_id)
        await repo.lock_members(session, story_id)


# --- batched grouping: the group_stories job -------------------------------------------

# Articles grouped per transaction by the group_stories job.
GROUPING_BATCH = 500


async def grouping_pending(factory: async_sessionmaker[AsyncSession]) -> bool:
    """Whether bulk ingest left articles that are not grouped yet."""
    async with transaction(factory) as session:
        return await repo.grouping_queue_size(session) > 0


async def group_pending(
    factory: async_sessionmaker[AsyncSession], batch: int = GROUPING_BATCH
) -> int:
    """Group every article in ``story_grouping_queue``, ``batch`` per transaction, lowest id
    first; returns how many were processed. A failed batch rolls back with its queue rows."""
    total = 0
    while True:
        async with transaction(factory) as session:
            done = await group_batch(session, batch)
        total += done
        if done < batch:
            return total


async def group_batch(session: AsyncSession, limit: int) -> int:
    """:func:`group_article` for up to ``limit`` queued articles with a few statements.

    Same decisions as one article at a time in id order: each article's candidates are the
    grouped articles plus the batch's articles with a lower id (never a later one: that one
    finds this one when its turn comes), the best verified match's story is joined, or a
    story is created with it; an article already in a story keeps it. Fingerprints and LSH
    bands are written for every article of the batch."""
    ids = await repo.take_grouping_batch(session, limit)
    if not ids:
        return 0
    rows = await repo.lock_current_revisions(session, ids)
    fps: dict[int, bytes] = {int(r.id): fingerprint_bytes(r.body) for r in rows}
    await repo.set_fingerprints(session, [int(r.revision_id) for r in rows], list(fps.values()))
    band_rows = [(b, h, aid) for aid, fp in fps.items() for b, h in lsh_buckets(fp)]
    await repo.replace_bands_many(session, list(fps), band_rows)

    in_batch = {int(r.id) for r in rows}
    to_group = sorted(int(r.id) for r in rows if r.story_id is None)
    if not to_group:
        return len(ids)
    body_of = {int(r.id): r.body for r in rows}
    title_of = {int(r.id): r.title for r in rows}

    def eligible(aid: int, cid: int) -> bool:
        return cid not in in_batch or cid < aid

    lsh: dict[int, list[tuple[int, int]]] = {aid: [] for aid in to_group}
    for aid, cid, shared in await repo.band_candidates_many(session, to_group):
        if eligible(aid, cid):
            lsh[aid].append((shared, cid))
    nearby = await repo.nearby_many(session, to_group, NEARBY_WINDOW, NEARBY_CANDIDATES)
    cand_ids = {cid for pairs in lsh.values() for _, cid in pairs} | {c for _, c in nearby}
    info = {int(r.id): r for r in await repo.current_fingerprints(session, sorted(cand_ids))}
    story_of: dict[int, int | None] = {
        cid: (int(r.story_id) if r.story_id is not None else None) for cid, r in info.items()
    }
    story_of.update({aid: None for aid in to_group})

    def fp_of(cid: int) -> bytes | None:
        if cid in fps:
            return fps[cid]
        return info[cid].fingerprint if cid in info else None

    candidates: dict[int, set[int]] = {}
    for aid in to_group:
        ranked = sorted(lsh[aid], key=lambda p: (-p[0], p[1]))[:MAX_CANDIDATES]
        candidates[aid] = {cid for _, cid in ranked}
    near_of: dict[int, list[int]] = {}
    for aid, cid in nearby:
        if aid in candidates and eligible(aid, cid) and cid not in candidates[aid]:
            near_of.setdefault(aid, []).append(cid)
    for aid, cids in near_of.items():
        with_fp = [(c, f) for c in cids if (f := fp_of(c))]
        for cid, jac in zip(
            [c for c, _ in with_fp], _jaccards(fps[aid], [f for _, f in with_fp]), strict=True
        ):
            if jac >= JACCARD_FLOOR:
                candidates[aid].add(cid)
    needed = sorted({c for cs in candidates.values() for c in cs} - set(body_of))
    bodies = {**body_of, **(await repo.current_bodies(session, needed))}
    keys: dict[int, list[str]] = {}

    def similarity(aid: int, cid: int) -> float:
        """version_similarity(body of aid, body of cid), from the stored fingerprints and
        sentence keys computed once per text."""
        for k in (aid, cid):
            if k not in keys:
                keys[k] = sentence_keys(bodies[k])
        fc = fp_of(cid) or fingerprint_bytes(bodies[cid])
        return max(fingerprint_similarity(fps[aid], fc), sentence_keys_score(keys[aid], keys[cid]))

    assigned: dict[int, int] = {}
    for aid in to_group:
        best, best_score = None, 0.0
        for cid in sorted(candidates[aid]):
            score = similarity(aid, cid)
            if score >= STORY_THRESHOLD and score > best_score:
                best, best_score = cid, score
        if best is None:
            continue
        story_id = story_of.get(best)
        if story_id is None:
            story_id = await repo.insert_story(session, title_of[aid])
            story_of[best] = assigned[best] = story_id
        story_of[aid] = assigned[aid] = story_id
    await repo.assign_stories_many(session, assigned)
    return len(ids)
