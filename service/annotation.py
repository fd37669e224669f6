"""Annotation use cases: request a run, execute it (pipeline → rows), report status.

A run replaces the revision's machine annotations in ONE transaction, so readers see the
old set or the new set, never half. Curated quotes are never deleted by a run.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from sqlalchemy import func
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import transaction
from db.repositories import annotations as repo
from db.repositories import spans
from nlp.types import Annotations
from service import claims as claims_service
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


async def _write_annotations(
    session: AsyncSession, row: Any, run_id: int, ann: Annotations
) -> None:
    body: str = row.body
    entity_ids = await repo.upsert_entities(
        session, [(e.key, e.type, e.name, name_key(e.name)) for e in ann.entities]
    )
    by_key = {e.key: entity_ids[(e.key, e.type)] for e in ann.entities}
    alias_rows: set[tuple[int, str, str]] = set()
    for e in ann.entities:
        for alias in {e.name, *e.aliases}:
            if alias.strip():
                alias_rows.add((by_key[e.key], alias, name_key(alias)))
    await repo.delete_mentions(session, row.revision_id)
    await spans.delete_machine_spans(session, spans.QUOTES, row.revision_id)
    await repo.add_aliases(session, sorted(alias_rows))
    await repo.insert_mentions(
        session,
        [
            {
                "revision_id": row.revision_id,
                "run_id": run_id,
                "entity_id": by_key[m.entity_key],
                "span_start": m.start,
                "span_end": m.end,
                "text": body[m.start : m.end],
                "label": m.label,
            }
            for m in ann.mentions
            if m.entity_key in by_key
        ],
    )
    quote_rows = []
    for q in ann.quotes:
        prefix, suffix = anchor_context(body, q.start, q.end)
        quote_rows.append(
            {
                "run_id": run_id,
                "kind": q.kind,
                "span_start": q.start,
                "span_end": q.end,
                "text": body[q.start : q.end],
                "speaker_id": by_key.get(q.speaker_key) if q.speaker_key else None,
                "speaker_text": q.speaker_text,
                "speaker_start": q.speaker_start,
                "speaker_end": q.speaker_end,
                "cue": q.cue,
                "confidence": min(1.0, max(0.0, q.confidence)),
                "pipeline_version": ann.pipeline_version,
                "curated": False,
                "anchor_prefix": prefix,
                "anchor_suffix": suffix,
                "anchor_status": "exact",
            }
        )
    quote_ids = await spans.insert_spans(session, spans.QUOTES, row, quote_rows)
    await _write_claims(session, row, run_id, ann, by_key, quote_ids)
    # corrections last: curated quotes of the previous revision are carried (re-anchored),
    # and machine quotes lying under a curated quote or tombstone are dropped
    previous = await repo.previous_revision_id(session, row.article_id, row.number)
    if previous is not None:
        await carry_curated(session, quotes_svc.QUOTE_SPANS, previous, row.revision_id)
        await claims_service.carry_curated_claims(session, previous, row.revision_id)
    else:
        await suppress_machine_under_curated(session, spans.QUOTES, row.revision_id)
    # curated claims win over overlapping machine ones; then the claims join clusters
    await claims_service.after_claims_written(session, row.revision_id)
    # (claims citing a dropped machine quote keep their text; their quote_id becomes NULL)


async def _write_claims(
    session: AsyncSession,
    row: Any,
    run_id: int,
    ann: Annotations,
    by_key: dict[str, int],
    quote_ids: list[int],
) -> None:
    """Claims of the run, linked to their quote, claimant entity and topics (source auto)."""
    body: str = row.body
    await spans.delete_machine_spans(session, spans.CLAIMS, row.revision_id)
    topic_ids = await repo.topic_ids_by_slug(session) if ann.claims else {}
    claim_rows = []
    for c in ann.claims:
        claim_rows.append(
            {
                "run_id": run_id,
                "span_start": c.start,
                "span_end": c.end,
                "text": body[c.start : c.end],
                "claimant_id": by_key.get(c.claimant_key) if c.claimant_key else None,
                # the reporter's own assertion: the outlet is the claimant
                "claimant_text": row.outlet_name if c.is_reporter else c.claimant_text,
                "quote_id": quote_ids[c.quote_index]
                if c.quote_index is not None and c.quote_index < len(quote_ids)
                else None,
                "score": min(1.0, max(0.0, c.score)),
                "features": dict(c.features),
                "pipeline_version": ann.pipeline_version,
                "curated": False,
            }
        )
    claim_ids = await spans.insert_spans(session, spans.CLAIMS, row, claim_rows)
    await repo.insert_claim_topics(
        session,
        [
            {"claim_id": cid, "topic_id": topic_ids[t.slug], "score": t.score, "source": "auto"}
            for cid, c in zip(claim_ids, ann.claims, strict=True)
            for t in c.topics
            if t.slug in topic_ids
        ],
    )


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
        # classify claims under the taxonomy in the database, not only the shipped file
        topic_defs = await topics_service.load_topic_defs(session)
    if topic_defs and hasattr(annotator, "topics"):
        annotator.topics = tuple(topic_defs)
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
    session: AsyncSession, article_ids: list[int]
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
