"""The annotation job path, for real: runs → procrastinate queue → worker → spaCy → rows."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from db.engine import transaction
from nlp.pipeline import Pipeline
from nlp.types import Annotations
from service import annotation
from service.queue import JobQueue, WorkerResources
from service.settings import Settings
from tests.db.test_schema_invariants import spans_not_matching_body


@pytest.fixture
async def queue(settings: Settings, pipeline: Pipeline) -> AsyncIterator[JobQueue]:
    q = JobQueue(settings, WorkerResources(settings, pipeline_factory=lambda: pipeline))
    await q.open()
    yield q
    await q.close()


async def _revision_ids(factory: async_sessionmaker[AsyncSession]) -> list[int]:
    async with transaction(factory) as s:
        return [
            int(r) for r in (await s.execute(text("SELECT id FROM article_revisions"))).scalars()
        ]


async def _request_runs(
    factory: async_sessionmaker[AsyncSession], revision_ids: list[int]
) -> list[int]:
    async with transaction(factory) as s:
        return [await annotation.request_annotation(s, rid) for rid in revision_ids]


async def _drain(queue: JobQueue) -> None:
    await queue.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)


async def test_worker_annotates_every_seed_and_spans_match_the_text(
    clean_store: None, queue: JobQueue, db_session: AsyncSession
) -> None:
    # ingesting the seeds recorded one pending run per revision; hand them to the queue
    assert await queue.enqueue_orphans_now() == 5
    await _drain(queue)
    statuses = (
        await db_session.execute(text("SELECT status, pipeline_version FROM annotation_runs"))
    ).all()
    assert [s.status for s in statuses] == ["done"] * 5
    assert all(s.pipeline_version for s in statuses)
    counts = dict(
        (await db_session.execute(text("SELECT kind, count(*) FROM quotes GROUP BY kind"))).all()
    )
    assert counts.get("direct", 0) >= 10 and counts.get("indirect", 0) >= 20
    assert await spans_not_matching_body(db_session) == []
    claims = (
        await db_session.execute(
            text(
                "SELECT c.claimant_text, c.quote_id, q.revision_id AS qrev, c.revision_id, "
                "c.score, c.features FROM claims c LEFT JOIN quotes q ON q.id = c.quote_id"
            )
        )
    ).all()
    assert len(claims) >= 50
    assert all(c.qrev in (None, c.revision_id) for c in claims)
    assert all(0 <= c.score <= 1 and c.features for c in claims)
    assert any(c.claimant_text == "The New York Times" for c in claims)  # reporter's own
    assert any(c.quote_id is not None for c in claims)
    # Matthew Miller is a resolved speaker entity with his quotes
    miller = (
        await db_session.execute(
            text(
                "SELECT count(*) FROM quotes q JOIN entities e ON e.id = q.speaker_id "
                "WHERE e.normalized_name = 'matthew miller'"
            )
        )
    ).scalar_one()
    assert miller >= 2


async def test_rerun_replaces_machine_annotations_and_keeps_curated(
    clean_store: None, queue: JobQueue, db_session: AsyncSession
) -> None:
    factory = queue.resources.factory
    rev = (await _revision_ids(factory))[0]
    await queue.enqueue_runs(await _request_runs(factory, [rev]))
    await _drain(queue)
    first = (
        (await db_session.execute(text("SELECT id FROM quotes WHERE revision_id = :r"), {"r": rev}))
        .scalars()
        .all()
    )
    assert first
    await db_session.execute(
        text("UPDATE quotes SET curated = true WHERE id = :q"), {"q": first[0]}
    )
    await db_session.commit()
    await queue.enqueue_runs(await _request_runs(factory, [rev]))
    await _drain(queue)
    second = (
        await db_session.execute(
            text("SELECT id, curated FROM quotes WHERE revision_id = :r"), {"r": rev}
        )
    ).all()
    ids = {r.id for r in second}
    assert first[0] in ids, "a curated quote was deleted by re-annotation"
    assert not (set(first[1:]) & ids), "old machine quotes were left behind"
    # a fresh machine set, minus the machine copy of the curated quote
    assert len(second) == len(first)


class ExplodingPipeline:
    name = "exploding"
    version = "0"

    def annotate(self, text: str) -> Annotations:
        raise ValueError("cannot annotate this text")


async def test_pipeline_failure_is_recorded_not_retried_forever(
    clean_store: None, settings: Settings, db_session: AsyncSession
) -> None:
    q = JobQueue(settings, WorkerResources(settings, pipeline_factory=ExplodingPipeline))
    await q.open()
    try:
        factory = q.resources.factory
        runs = await _request_runs(factory, (await _revision_ids(factory))[:1])
        await q.enqueue_runs(runs)
        await q.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)
    finally:
        await q.close()
    run = (
        await db_session.execute(
            text("SELECT status, error, attempts FROM annotation_runs WHERE id = :r"),
            {"r": runs[0]},
        )
    ).one()
    assert run.status == "failed"
    assert "cannot annotate this text" in run.error
    assert run.attempts == 1
    jobs = (
        (
            await db_session.execute(
                text(
                    "SELECT status FROM procrastinate_jobs "
                    "WHERE task_name IN ('annotate_revision', 'annotate_runs')"
                )
            )
        )
        .scalars()
        .all()
    )
    assert list(jobs) in ([], ["succeeded"])  # the job itself finished; nothing left to loop


async def test_job_of_a_dead_worker_is_retried_by_the_sweep(
    clean_store: None, queue: JobQueue, db_session: AsyncSession
) -> None:
    factory = queue.resources.factory
    runs = await _request_runs(factory, (await _revision_ids(factory))[:1])
    [job_id] = await queue.enqueue_runs(runs)
    # a worker takes the job and dies (SIGKILL): its heartbeat stops, the job stays 'doing'
    await db_session.execute(text("SELECT procrastinate_register_worker_v1()"))
    worker_id = (
        await db_session.execute(text("SELECT max(id) FROM procrastinate_workers"))
    ).scalar_one()
    fetched = (
        await db_session.execute(
            text("SELECT id FROM procrastinate_fetch_job_v2(ARRAY['annotation'], :w)"),
            {"w": worker_id},
        )
    ).scalar_one()
    assert fetched == job_id
    await db_session.execute(
        text(
            "UPDATE procrastinate_workers SET last_heartbeat = now() - interval '10 minutes' "
            "WHERE id = :w"
        ),
        {"w": worker_id},
    )
    await db_session.commit()
    retried, _ = await queue.sweep()
    assert retried == 1
    await _drain(queue)
    status = (
        await db_session.execute(
            text("SELECT status FROM annotation_runs WHERE id = :r"), {"r": runs[0]}
        )
    ).scalar_one()
    assert status == "done"


async def test_runs_committed_but_never_enqueued_are_picked_up(
    clean_store: None, queue: JobQueue, db_session: AsyncSession
) -> None:
    factory = queue.resources.factory
    await _request_runs(factory, await _revision_ids(factory))
    # the five from ingesting the seeds and the five just requested
    assert await queue.enqueue_orphans_now() == 10
    await _drain(queue)
    rows = await db_session.execute(text("SELECT status, count(*) FROM annotation_runs GROUP BY 1"))
    statuses = {str(status): int(count) for status, count in rows}
    # per revision the newest run does the work; the older one is marked superseded
    assert statuses == {"done": 5, "failed": 5}
    superseded = (
        await db_session.execute(
            text("SELECT count(*) FROM annotation_runs WHERE error = 'superseded by a newer run'")
        )
    ).scalar_one()
    assert superseded == 5


async def test_a_text_of_thousands_of_quotes_finishes(
    clean_store: None, settings: Settings, pipeline: Pipeline, db_session: AsyncSession
) -> None:
    from service.articles import ArticleInput, ingest_article

    body = "\n\n".join(f'"Statement number {i}," the spokesman said.' for i in range(1500))
    q = JobQueue(settings, WorkerResources(settings, pipeline_factory=lambda: pipeline))
    await q.open()
    try:
        async with transaction(q.resources.factory) as s:
            result = await ingest_article(
                s, ArticleInput(outlet="Many Quotes", external_id="many", body=body)
            )
        await q.enqueue_runs([result.run_id])  # type: ignore[list-item]
        await q.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)
    finally:
        await q.close()
    run = (
        await db_session.execute(
            text("SELECT status FROM annotation_runs WHERE id = :r"), {"r": result.run_id}
        )
    ).scalar_one()
    assert run in ("done", "failed")
    if run == "done":
        n = (
            await db_session.execute(
                text("SELECT count(*) FROM quotes WHERE revision_id = :r"),
                {"r": result.revision_id},
            )
        ).scalar_one()
        assert n >= 1000


async def test_an_annotated_revision_has_ranked_article_topics_from_the_database_tree(
    clean_store: None, queue: JobQueue, db_session: AsyncSession
) -> None:
    from service import topics as topic_svc

    factory = queue.resources.factory
    # a user topic made in the database: the run classifies under it (the DB tree, not the
    # shipped file)
    async with factory() as s:
        await topic_svc.create_topic(
            s,
            topic_svc.TopicInput(
                slug="kim-putin-summit",
                name="Kim–Putin summit",
                parent="diplomacy",
                rules={"keywords": ["Vostochny", "Kim Jong Un", "cosmodrome"]},
            ),
        )
    assert await queue.enqueue_orphans_now() == 5
    await _drain(queue)
    rows = (
        await db_session.execute(
            text(
                "SELECT at.revision_id, at.rank, at.depth, at.score, t.slug, t.source "
                "FROM article_topics at JOIN topics t ON t.id = at.topic_id "
                "ORDER BY at.revision_id, at.rank"
            )
        )
    ).all()
    by_revision: dict[int, list[str]] = {}
    for r in rows:
        by_revision.setdefault(int(r.revision_id), []).append(str(r.slug))
        assert 0 < r.score <= 1
    assert len(by_revision) == 5, "every annotated seed revision has article topics"
    firsts = [r for r in rows if r.rank == 0]
    assert all(r.depth == 0 and r.source == "iptc" for r in firsts)
    assert {r.slug for r in firsts} <= {"conflict-war-peace", "politics"}
    linked = (
        await db_session.execute(
            text(
                "SELECT count(*) FROM claim_topics ct JOIN topics t ON t.id = ct.topic_id "
                "WHERE t.slug = 'kim-putin-summit'"
            )
        )
    ).scalar_one()
    assert linked >= 1


class FailsOnOneText:
    """The real pipeline, except that it raises on texts containing ``marker`` (one text of a
    batch going wrong must not fail the others)."""

    def __init__(self, pipeline: Pipeline, marker: str) -> None:
        self.pipeline, self.marker = pipeline, marker
        self.name, self.version = pipeline.name, pipeline.version
        self.batches: list[int] = []

    def annotate(self, text: str) -> Annotations:
        if self.marker in text:
            raise ValueError("this one text breaks the pipeline")
        return self.pipeline.annotate(text)

    def annotate_many(self, texts: list[str]) -> list[Annotations]:
        self.batches.append(len(texts))
        return [self.annotate(t) for t in texts]


async def test_one_job_annotates_a_batch_of_runs_and_isolates_a_failing_text(
    clean_store: None, settings: Settings, pipeline: Pipeline, db_session: AsyncSession
) -> None:
    """Five revisions in one job (RUNS_PER_JOB ≥ 5): annotated in one batch, their rows
    written together and each revision's spans match its text; a run superseded by a newer
    run of its revision is skipped; the text the pipeline fails on is marked failed alone."""
    from service.queue import RUNS_PER_JOB

    assert RUNS_PER_JOB >= 5
    bodies = dict((await db_session.execute(text("SELECT id, body FROM article_revisions"))).all())
    failing_rev = min(bodies)
    annotator = FailsOnOneText(pipeline, bodies[failing_rev][:60])
    q = JobQueue(settings, WorkerResources(settings, pipeline_factory=lambda: annotator))
    await q.open()
    try:
        factory = q.resources.factory
        runs = await _request_runs(factory, sorted(bodies))  # newer than the seeds' own runs
        await q.enqueue_runs(runs)
        # the seeds' first runs are superseded by these: give them a job of their own
        await q.enqueue_orphans_now()
        await q.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)
    finally:
        await q.close()
    assert annotator.batches[0] == 5  # one pipeline call for the whole job, then one by one
    rows = (
        await db_session.execute(
            text("SELECT id, revision_id, status, error FROM annotation_runs ORDER BY id")
        )
    ).all()
    mine = {r.revision_id: r for r in rows if r.id in runs}
    assert mine[failing_rev].status == "failed" and "breaks" in mine[failing_rev].error
    assert all(mine[rid].status == "done" for rid in bodies if rid != failing_rev)
    older = [r for r in rows if r.id not in runs]
    assert all(r.status == "failed" and r.error == "superseded by a newer run" for r in older)
    quotes = dict(
        (
            await db_session.execute(
                text("SELECT revision_id, count(*) FROM quotes GROUP BY revision_id")
            )
        ).all()
    )
    assert failing_rev not in quotes and all(
        quotes.get(rid) for rid in bodies if rid != failing_rev
    )
    assert await spans_not_matching_body(db_session) == []


async def test_maintenance_jobs_are_fetched_before_a_backlog_of_annotation_jobs(
    clean_store: None, queue: JobQueue, db_session: AsyncSession
) -> None:
    """Workers take the highest priority first, then the oldest job: a sweep or story
    grouping deferred after thousands of annotation jobs must not wait for all of them."""
    factory = queue.resources.factory
    runs = await _request_runs(factory, await _revision_ids(factory))
    await queue.enqueue_runs(runs)
    await queue.enqueue_story_grouping()
    await queue.sweep_task.defer_async(timestamp=0)
    order = (
        await db_session.execute(
            text(
                "SELECT task_name FROM procrastinate_jobs WHERE status = 'todo' "
                "ORDER BY priority DESC, id"  # procrastinate's fetch order
            )
        )
    ).scalars()
    names = list(order)
    assert names[:2] == ["group_stories", "sweep"], names
    assert set(names[2:]) == {"annotate_runs"}


async def test_a_stalled_job_whose_queueing_lock_is_taken_again_is_ended_not_retried(
    clean_store: None, queue: JobQueue, db_session: AsyncSession
) -> None:
    """Seen on a 100k archive: a story-grouping job left 'doing' by a killed worker, and a
    second one waiting. Retrying the first would break the queueing lock's uniqueness; that
    raised in every worker's start-up sweep and the workers crash-looped. The sweep ends the
    stalled job (the waiting one drains the same queue) and goes on."""
    await queue.enqueue_story_grouping()
    await db_session.execute(
        text(
            "UPDATE procrastinate_jobs SET status = 'doing', worker_id = NULL "
            "WHERE task_name = 'group_stories'"
        )
    )
    await db_session.commit()
    await queue.enqueue_story_grouping()  # the lock is free again: a second job waits
    await queue.sweep()
    rows = (
        await db_session.execute(
            text(
                "SELECT status FROM procrastinate_jobs WHERE task_name = 'group_stories' ORDER BY id"
            )
        )
    ).scalars()
    assert list(rows) == ["failed", "todo"]
