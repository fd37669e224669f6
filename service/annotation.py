"""Annotation use cases: request a run, execute it (pipeline → rows), report status.

A run replaces the revision's machine annotations in ONE transaction, so readers see the
old set or the new set, never half. Curated quotes are never deleted by a run.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import Reader, transaction
from db.repositories import annotations as repo
from db.repositories import spans
from nlp.types import Annotations
from service import claims as claims_service
from service import entities as entities_svc
from service import quotes as quotes_svc
from service import topics as topics_service
from service.annotation_limits import AnnotationLimits, apply_limits
from service.curation import carry_curated, suppress_machine_under_curated
from service.errors import ArticleNotFound
from service.jobs import JobHandOff, unit_of_work
from textkit.anchoring import anchor_context
from textkit.names import name_key

logger = logging.getLogger(__name__)

PIPELINE_NAME = "article-store-spacy"

RunOutcome = Literal["done", "failed", "skipped", "missing"]


class Annotator(Protocol):
    name: str
    version: str

    def annotate(self, text: str) -> Annotations: ...


@dataclass(frozen=True, slots=True)
class AnnotationStatus:
    status: Literal["pending", "running", "done", "failed"] | None
    pipeline_version: str | None
    error: str | None
    queued_at: datetime | None
    finished_at: datetime | None
    limits_applied: str | None = None


async def request_annotation(session: AsyncSession, revision_id: int) -> int:
    """Record a pending run for this revision (inside the caller's transaction).

    The caller enqueues the returned run id after its transaction commits."""
    return await repo.create_run(session, revision_id, PIPELINE_NAME)


async def runs_waiting_for_a_job(
    factory: async_sessionmaker[AsyncSession], older_than_seconds: float = 0
) -> list[int]:
    async with transaction(factory) as session:
        cutoff = datetime.now(UTC) - timedelta(seconds=older_than_seconds)
        return await repo.runs_waiting_for_a_job(session, cutoff)


async def record_job(factory: async_sessionmaker[AsyncSession], run_id: int, job_id: int) -> None:
    async with transaction(factory) as session:
        await repo.set_run_job(session, run_id, job_id)


async def record_jobs(
    factory: async_sessionmaker[AsyncSession], jobs: list[tuple[list[int], int]]
) -> None:
    """Record which job took which runs ((run ids, job id) pairs), in one statement."""
    async with transaction(factory) as session:
        await repo.set_runs_jobs(
            session, [r for runs, _ in jobs for r in runs], [j for runs, j in jobs for _ in runs]
        )


@dataclass(slots=True)
class RunWrite:
    """One run's result on its way into the database: the claimed run row (revision id,
    article id, number, body, outlet id and name, published_sort), the run id, its
    annotations, and what the writers before have stored for it."""

    row: Any
    run_id: int
    ann: Annotations
    entity_ids: dict[str, int] = field(default_factory=dict)  # entity key → id
    quote_ids: list[int] = field(default_factory=list)  # in ann.quotes order
    claim_ids: list[int] = field(default_factory=list)  # in ann.claims order


async def _write_entities(session: AsyncSession, batch: list[RunWrite]) -> None:
    """Entities and aliases of every run of the batch, one upsert each. A person named
    differently in an earlier article joins that stored entity (cross-article linking)."""
    people = {e.key: e for w in batch for e in w.ann.entities if e.type == "PERSON"}
    linked = await entities_svc.link_known_people(session, list(people.values()))
    chosen: dict[tuple[str, str], str] = {}
    for w in batch:
        for e in w.ann.entities:
            if e.type == "PERSON" and e.key in linked:
                continue
            # the fullest name wins, as the upsert keeps the longer of stored and new
            name = chosen.get((e.key, e.type))
            if name is None or len(e.name) > len(name):
                chosen[(e.key, e.type)] = e.name
    # in key order: concurrent workers upserting overlapping entities lock them in the same
    # order, so they wait for each other instead of deadlocking
    entity_ids = await repo.upsert_entities(
        session, [(k, t, n, name_key(n)) for (k, t), n in sorted(chosen.items())]
    )
    alias_rows: set[tuple[int, str, str]] = set()
    for w in batch:
        w.entity_ids = {
            e.key: linked[e.key]
            if e.type == "PERSON" and e.key in linked
            else entity_ids[(e.key, e.type)]
            for e in w.ann.entities
        }
        for e in w.ann.entities:
            for alias in {e.name, *e.aliases}:
                if alias.strip():
                    alias_rows.add((w.entity_ids[e.key], alias, name_key(alias)))
    await repo.add_aliases(session, sorted(alias_rows))


async def _write_mentions(session: AsyncSession, batch: list[RunWrite]) -> None:
    await repo.insert_mentions(
        session,
        [
            {
                "revision_id": w.row.revision_id,
                "run_id": w.run_id,
                "entity_id": w.entity_ids[m.entity_key],
                "span_start": m.start,
                "span_end": m.end,
                "text": w.row.body[m.start : m.end],
                "label": m.label,
            }
            for w in batch
            for m in w.ann.mentions
            if m.entity_key in w.entity_ids
        ],
    )


def _quote_rows(w: RunWrite) -> list[dict[str, Any]]:
    body: str = w.row.body
    rows = []
    for q in w.ann.quotes:
        prefix, suffix = anchor_context(body, q.start, q.end)
        rows.append(
            {
                "run_id": w.run_id,
                "kind": q.kind,
                "span_start": q.start,
                "span_end": q.end,
                "text": body[q.start : q.end],
                "speaker_id": w.entity_ids.get(q.speaker_key) if q.speaker_key else None,
                "speaker_text": q.speaker_text,
                "speaker_start": q.speaker_start,
                "speaker_end": q.speaker_end,
                "cue": q.cue,
                "confidence": min(1.0, max(0.0, q.confidence)),
                "pipeline_version": w.ann.pipeline_version,
                "curated": False,
                "anchor_prefix": prefix,
                "anchor_suffix": suffix,
                "anchor_status": "exact",
            }
        )
    return rows


async def _write_quotes(session: AsyncSession, batch: list[RunWrite]) -> None:
    ids = await spans.insert_spans_many(
        session, spans.QUOTES, [(w.row, _quote_rows(w)) for w in batch]
    )
    for w, quote_ids in zip(batch, ids, strict=True):
        w.quote_ids = quote_ids


def _claim_rows(w: RunWrite) -> list[dict[str, Any]]:
    body: str = w.row.body
    return [
        {
            "run_id": w.run_id,
            "span_start": c.start,
            "span_end": c.end,
            "text": body[c.start : c.end],
            "claimant_id": w.entity_ids.get(c.claimant_key) if c.claimant_key else None,
            # the reporter's own assertion: the outlet is the claimant
            "claimant_text": w.row.outlet_name if c.is_reporter else c.claimant_text,
            "quote_id": w.quote_ids[c.quote_index]
            if c.quote_index is not None and c.quote_index < len(w.quote_ids)
            else None,
            "score": min(1.0, max(0.0, c.score)),
            "features": dict(c.features),
            "pipeline_version": w.ann.pipeline_version,
            "curated": False,
        }
        for c in w.ann.claims
    ]


async def _topic_ids(session: AsyncSession) -> dict[str, int]:
    """Topic slug → id, read once per transaction (claims and article topics both need it)."""
    cached: dict[str, int] | None = session.info.get("topic_ids")
    if cached is None:
        cached = session.info["topic_ids"] = await repo.topic_ids_by_slug(session)
    return cached


async def _write_claims(session: AsyncSession, batch: list[RunWrite]) -> None:
    """Claims of the runs, linked to their quote, claimant entity and topics (source auto)."""
    ids = await spans.insert_spans_many(
        session, spans.CLAIMS, [(w.row, _claim_rows(w)) for w in batch]
    )
    any_claims = any(w.ann.claims for w in batch)
    topic_ids = await _topic_ids(session) if any_claims else {}
    links = []
    for w, claim_ids in zip(batch, ids, strict=True):
        w.claim_ids = claim_ids
        for cid, c in zip(claim_ids, w.ann.claims, strict=True):
            for t in c.topics:
                if t.slug in topic_ids:
                    links.append(
                        {"claim_id": cid, "topic_id": topic_ids[t.slug], "score": t.score,
                         "source": "auto"}
                    )  # fmt: skip
    await repo.insert_claim_topics(session, links)


async def _write_article_topics(session: AsyncSession, batch: list[RunWrite]) -> None:
    """Each revision's ranked topics (top-level and most specific), replacing the previous
    run's. Topics deleted since the text was classified are skipped."""
    topic_ids = await _topic_ids(session) if any(w.ann.topics for w in batch) else {}
    await repo.replace_article_topics(
        session,
        [int(w.row.revision_id) for w in batch],
        [
            {
                "revision_id": w.row.revision_id,
                "topic_id": topic_ids[t.slug],
                "run_id": w.run_id,
                "rank": rank,
                "score": min(1.0, max(0.0, t.score)),
                "depth": t.depth,
            }
            for w in batch
            for rank, t in enumerate(w.ann.topics)
            if t.slug in topic_ids
        ],
    )


async def _apply_curations(session: AsyncSession, batch: list[RunWrite]) -> None:
    """Corrections last: curated quotes and claims of the previous revision are carried
    (re-anchored), machine spans lying under a curated span or tombstone are dropped. Only
    revisions that have (or inherit) curated spans need a statement of their own."""
    rev_ids = [int(w.row.revision_id) for w in batch]
    previous = await repo.previous_revision_ids(
        session, [(int(w.row.article_id), int(w.row.number)) for w in batch]
    )
    involved = [*rev_ids, *previous.values()]
    curated_q = await spans.revisions_with_curated(session, spans.QUOTES, involved)
    curated_c = await spans.revisions_with_curated(session, spans.CLAIMS, involved)
    for w in batch:
        rid = int(w.row.revision_id)
        prev = previous.get((int(w.row.article_id), int(w.row.number)))
        if prev is not None:
            if prev in curated_q or rid in curated_q:
                await carry_curated(session, quotes_svc.QUOTE_SPANS, prev, rid)
            if prev in curated_c or rid in curated_c:
                await claims_service.carry_curated_claims(session, prev, rid)
        elif rid in curated_q:
            await suppress_machine_under_curated(session, spans.QUOTES, rid)
        # curated claims win over overlapping machine ones (carried ones included)
        if rid in curated_c or (prev is not None and prev in curated_c):
            await suppress_machine_under_curated(session, spans.CLAIMS, rid)
    # (claims citing a dropped machine quote keep their text; their quote_id becomes NULL)


# What a run writes, in order, for a batch of runs: each writer takes every run of the
# batch and writes its table(s) with set-based statements (one more table is one more
# function here). The machine rows of the batch's revisions are deleted first.
WRITERS = (
    _write_entities,
    _write_mentions,
    _write_quotes,
    _write_claims,
    _write_article_topics,
    _apply_curations,
)


async def write_annotations(session: AsyncSession, batch: list[RunWrite]) -> None:
    """Replace the machine annotations of the batch's revisions with the runs' results,
    inside the caller's transaction (one transaction: readers see the old sets or the new)."""
    if not batch:
        return
    rev_ids = [int(w.row.revision_id) for w in batch]
    # claims join clusters in the batched cluster_claims job, not here (concurrent workers
    # merging clusters locked each other). Queued first, before any claim row is locked:
    # the job holds a queue row while it updates claims, so this order cannot close a cycle.
    await claims_service.queue_clustering(session, rev_ids)
    await repo.delete_mentions_of(session, rev_ids)
    await spans.delete_machine_spans_of(session, spans.QUOTES, rev_ids)
    await spans.delete_machine_spans_of(session, spans.CLAIMS, rev_ids)
    for writer in WRITERS:
        await writer(session, batch)


async def _write_annotations(
    session: AsyncSession, row: Any, run_id: int, ann: Annotations
) -> None:
    await write_annotations(session, [RunWrite(row, run_id, ann)])


async def _superseded(session: AsyncSession, run_id: int, revision_id: int) -> bool:
    """A newer run of the same revision makes this one moot: mark it so and say so."""
    if not await repo.newer_run_exists(session, run_id, revision_id):
        return False
    await repo.mark_run(
        session, run_id, status="failed", error="superseded by a newer run", finished_at=func.now()
    )
    return True


async def execute_run(
    factory: async_sessionmaker[AsyncSession],
    annotator: Annotator,
    run_id: int,
    limits: AnnotationLimits | None = None,
) -> RunOutcome:
    """Annotate the run's revision and replace its machine annotations atomically.

    Pipeline failures are recorded on the run (status ``failed`` with the reason) and not
    raised, so a bad text never becomes a crash loop. Database errors propagate, so the
    queue retries the job (:func:`record_failed_attempt` says so on the run). At most
    ``limits`` of each kind are stored; what was left out is recorded on the run."""
    async with transaction(factory) as session:
        row = await repo.claim_run(session, run_id)
        if row is None:
            return "missing"
        if row.status == "done":
            return "skipped"
        if await _superseded(session, run_id, row.revision_id):
            return "skipped"
        await repo.mark_run(
            session,
            run_id,
            status="running",
            started_at=func.now(),
            attempts=repo.runs.c.attempts + 1,
            error=None,
        )
        body: str = row.body
        # classify the article and its claims under the taxonomy in the database (the IPTC
        # tree, custom and user topics), not only the shipped file
        topic_defs = await topics_service.classification_taxonomy(session)
    _use_taxonomy(annotator, topic_defs)
    try:
        ann = await asyncio.to_thread(annotator.annotate, body)
    except Exception as exc:  # the pipeline's own failure: record it, do not retry forever
        logger.exception("annotation failed", extra={"run_id": run_id})
        async with transaction(factory) as session:
            await repo.mark_run(
                session,
                run_id,
                status="failed",
                finished_at=func.now(),
                error=f"{type(exc).__name__}: {exc}"[:2000],
                pipeline_version=annotator.version,
            )
        return "failed"
    ann, limited = apply_limits(ann, limits or AnnotationLimits())
    if limited:
        logger.warning("annotation run %s: %s", run_id, limited, extra={"run_id": run_id})
    async with transaction(factory) as session:
        row = await repo.claim_run(session, run_id)
        if row is None:
            return "missing"
        if await _superseded(session, run_id, row.revision_id):
            return "skipped"
        await _write_annotations(session, row, run_id, ann)
        await repo.mark_run(
            session,
            run_id,
            status="done",
            finished_at=func.now(),
            pipeline_version=ann.pipeline_version,
            error=None,
            limits_applied=limited,
        )
    return "done"


def _use_taxonomy(annotator: Annotator, topic_defs: tuple[Any, ...]) -> None:
    """Classify under the taxonomy in the database, not only the shipped file. The cached
    taxonomy is the same tuple while the rows are unchanged, so the identity check is enough
    and the annotator recompiles its topic index only after an edit."""
    if topic_defs and hasattr(annotator, "topics") and annotator.topics is not topic_defs:
        annotator.topics = topic_defs


async def _mark_superseded(session: AsyncSession, run_ids: list[int]) -> set[int]:
    """:func:`_superseded` for many runs: those with a newer run of their revision are marked
    failed ("superseded by a newer run"); returns their ids."""
    superseded = await repo.superseded_runs(session, run_ids)
    await repo.mark_runs(
        session,
        sorted(superseded),
        status="failed",
        error="superseded by a newer run",
        finished_at=func.now(),
    )
    return superseded


async def execute_runs(
    factory: async_sessionmaker[AsyncSession],
    annotator: Annotator,
    run_ids: list[int],
    limits: AnnotationLimits | None = None,
) -> list[RunOutcome]:
    """Annotate several runs' revisions together and replace their machine annotations.

    The texts go through the pipeline in one ``annotate_many`` (spaCy's ``nlp.pipe``), and
    the rows of all of them are written in one transaction with one set of statements
    (:func:`write_annotations`), so a revision's old set is replaced by its new one
    atomically, as with one run. A run already done, superseded by a newer run of its
    revision, or gone, is skipped. A text the pipeline fails on is marked ``failed`` with
    the reason (the others go on); database errors propagate, so the queue retries the job
    (done runs are then skipped; :func:`record_failed_attempt` says so on the runs). At most
    ``limits`` of each kind are stored per revision; what was left out is recorded on the
    run. Returns each run's outcome, in ``run_ids`` order."""
    outcome: dict[int, RunOutcome] = {r: "missing" for r in run_ids}
    async with transaction(factory) as session:
        rows = await repo.claim_runs(session, run_ids)
        todo = [r for r in rows if r.status != "done"]
        for r in rows:
            if r.status == "done":
                outcome[int(r.id)] = "skipped"
        superseded = await _mark_superseded(session, [int(r.id) for r in todo])
        todo = [r for r in todo if int(r.id) not in superseded]
        for run_id in superseded:
            outcome[run_id] = "skipped"
        await repo.mark_runs(
            session,
            [int(r.id) for r in todo],
            status="running",
            started_at=func.now(),
            attempts=repo.runs.c.attempts + 1,
            error=None,
        )
        topic_defs = await topics_service.classification_taxonomy(session) if todo else ()
    if not todo:
        return [outcome[r] for r in run_ids]
    _use_taxonomy(annotator, topic_defs)
    results = await asyncio.to_thread(_annotate_each, annotator, [r.body for r in todo])
    failed = {int(r.id): res for r, res in zip(todo, results, strict=True)
              if isinstance(res, Exception)}  # fmt: skip
    async with transaction(factory) as session:
        for run_id, exc in failed.items():
            await repo.mark_run(
                session,
                run_id,
                status="failed",
                finished_at=func.now(),
                error=f"{type(exc).__name__}: {exc}"[:2000],
                pipeline_version=annotator.version,
            )
            outcome[run_id] = "failed"
    ok: dict[int, Annotations] = {}
    limited: dict[int, str | None] = {}
    for r, res in zip(todo, results, strict=True):
        if not isinstance(res, Exception):
            ok[int(r.id)], limited[int(r.id)] = apply_limits(res, limits or AnnotationLimits())
            if limited[int(r.id)]:
                logger.warning(
                    "annotation run %s: %s", r.id, limited[int(r.id)], extra={"run_id": r.id}
                )
    async with transaction(factory) as session:
        rows = await repo.claim_runs(session, sorted(ok))
        superseded = await _mark_superseded(session, [int(r.id) for r in rows])
        batch = [RunWrite(r, int(r.id), ok[int(r.id)]) for r in rows if int(r.id) not in superseded]
        await write_annotations(session, batch)
        by_outcome: dict[tuple[str, str | None], list[int]] = {}
        for w in batch:
            by_outcome.setdefault((w.ann.pipeline_version, limited[w.run_id]), []).append(w.run_id)
        for (version, limits_applied), ids in by_outcome.items():
            await repo.mark_runs(
                session,
                ids,
                status="done",
                finished_at=func.now(),
                pipeline_version=version,
                error=None,
                limits_applied=limits_applied,
            )
        for run_id in superseded:
            outcome[run_id] = "skipped"
        for w in batch:
            outcome[w.run_id] = "done"
    return [outcome[r] for r in run_ids]


def _annotate_each(annotator: Annotator, texts: list[str]) -> list[Annotations | Exception]:
    """The annotations of each text, or the exception the pipeline raised on it: all texts
    in one batch (``annotate_many``) when none fails, else one by one to find the culprit."""
    many = getattr(annotator, "annotate_many", None)
    if many is not None:
        try:
            return list(many(texts))
        except Exception:
            logger.warning("a batch failed in the pipeline; annotating its texts one by one")
    out: list[Annotations | Exception] = []
    for text in texts:
        try:
            out.append(annotator.annotate(text))
        except Exception as exc:  # the pipeline's own failure: recorded on the run
            logger.exception("annotation failed")
            out.append(exc)
    return out


async def record_failed_attempt(
    factory: async_sessionmaker[AsyncSession], run_id: int, exc: BaseException, *, final: bool
) -> None:
    """A job attempt raised: the run says why, and is ``failed`` once no retry follows
    (``pending`` while one does), so no run stays ``running`` after its job gave up.

    When the database is what failed this may fail too; the sweep then marks the runs of
    jobs that ended (``fail_runs_of_ended_jobs``)."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        async with transaction(factory) as session:
            await repo.fail_unfinished_run(session, run_id, error, final=final)
    except Exception:
        logger.warning(
            "could not record the failure of annotation run %s", run_id, extra={"run_id": run_id}
        )


async def fail_runs_of_ended_jobs(factory: async_sessionmaker[AsyncSession]) -> int:
    """Runs still pending/running whose job failed or no longer exists become ``failed``."""
    async with transaction(factory) as session:
        return await repo.fail_runs_of_ended_jobs(session)


async def statuses_for_articles(
    session: Reader, article_ids: list[int]
) -> dict[int, AnnotationStatus]:
    rows = await repo.latest_runs_for_articles(session, article_ids)
    return {
        aid: AnnotationStatus(
            r.status, r.pipeline_version, r.error, r.queued_at, r.finished_at, r.limits_applied
        )
        for aid, r in rows.items()
    }


@dataclass(frozen=True, slots=True)
class QueuedRun:
    run_id: int
    revision: int


async def reannotate_article(
    session: AsyncSession, article_id: int, jobs: JobHandOff | None = None
) -> QueuedRun:
    """A new run for the article's current revision, in its own transaction; it goes to the
    queue once the transaction committed."""
    async with unit_of_work(session, jobs) as pending:
        current = await repo.current_revision(session, article_id)
        if current is None:
            raise ArticleNotFound(f"no article with id {article_id}", article_id=article_id)
        run_id = await request_annotation(session, int(current.id))
        pending.annotate(run_id)
        return QueuedRun(run_id, int(current.number))
