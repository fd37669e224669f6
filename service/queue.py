"""The job queue (procrastinate on the same PostgreSQL): annotation jobs and maintenance.

* ``annotate_runs(run_ids)`` runs the NLP pipeline over a few revisions at once (nlp.pipe)
  and writes their rows together; ``annotate_revision(run_id)`` is the one-run job of
  earlier versions, kept for jobs still queued.
* ``group_stories`` groups the articles bulk ingest queued (service.stories.group_pending).
* ``cluster_claims`` puts the claims annotation runs wrote into clusters, many revisions
  per transaction, one job at a time (service.claims.cluster_pending); each annotation job
  that finished runs starts it unless one is waiting.
* ``sweep`` (every minute) retries jobs whose worker stopped sending heartbeats (a crashed
  or killed worker), enqueues runs that were committed but never handed to the queue,
  starts grouping and clustering jobs that a lost hand-off left undone, and
  deletes idempotency records past their 24 h (service.idempotency.TTL).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import procrastinate
from procrastinate import App, JobContext, PsycopgConnector, RetryStrategy
from procrastinate.types import JSONDict, JSONValue
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from db.engine import create_engine, libpq_url, session_factory
from service import annotation, idempotency
from service.annotation_limits import AnnotationLimits
from service.settings import Settings

logger = logging.getLogger(__name__)

ANNOTATION_QUEUE = "annotation"
# Annotation runs per job: the worker runs them through spaCy's nlp.pipe together and writes
# their rows with one set of statements (service.annotation.execute_runs).
RUNS_PER_JOB = 8
# Workers fetch the highest priority first, then the oldest job: maintenance (the sweep that
# retries stalled jobs, story grouping, topic and cluster rebuilds) goes before queued
# annotation jobs, or it would wait behind a whole archive's backlog (seen: a stalled
# grouping job never retried while 12,000 annotation jobs were queued). cluster_claims keeps
# the default: during a backlog the annotation jobs cluster themselves (CLUSTER_INLINE_AT),
# and fetched first it would run a small pass after every job.
MAINTENANCE_PRIORITY = 10
# Revisions waiting for clustering at which an annotation job clusters them itself.
CLUSTER_INLINE_AT = 64
MAINTENANCE_QUEUE = "maintenance"
ANNOTATION_RETRY = RetryStrategy(max_attempts=5, wait=2, exponential_wait=2)


class WorkerResources:
    """What a worker process needs, built lazily once: a DB pool and the NLP pipeline."""

    def __init__(self, settings: Settings, pipeline_factory: Callable[[], Any] | None = None):
        self.settings = settings
        self._pipeline_factory = pipeline_factory
        self._pipeline: Any = None
        self._engine: AsyncEngine | None = None
        self._factory: async_sessionmaker[AsyncSession] | None = None

    @property
    def factory(self) -> async_sessionmaker[AsyncSession]:
        if self._factory is None:
            assert self.settings.database_url
            self._engine = create_engine(self.settings.database_url, pool_size=2, max_overflow=2)
            self._factory = session_factory(self._engine)
        return self._factory

    @property
    def pipeline(self) -> Any:
        if self._pipeline is None:
            if self._pipeline_factory is not None:
                self._pipeline = self._pipeline_factory()
            else:
                from nlp.pipeline import Pipeline

                self._pipeline = Pipeline(self.settings.spacy_model)
        return self._pipeline

    async def close(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
            self._factory = None


class JobQueue:
    """The queue as the rest of the service sees it: open, enqueue, run a worker."""

    def __init__(self, settings: Settings, resources: WorkerResources | None = None) -> None:
        assert settings.database_url
        self.settings = settings
        self.resources = resources or WorkerResources(settings)
        self.app = App(
            connector=PsycopgConnector(
                conninfo=libpq_url(settings.database_url),
                min_size=1,
                max_size=4,
                kwargs={"application_name": "article-store-queue"},
            )
        )
        self._register_tasks()

    def _register_tasks(self) -> None:
        resources = self.resources

        limits = AnnotationLimits(
            entities=self.settings.max_entities_per_revision,
            mentions=self.settings.max_mentions_per_revision,
            quotes=self.settings.max_quotes_per_revision,
            claims=self.settings.max_claims_per_revision,
        )

        @self.app.task(
            name="annotate_revision",
            queue=ANNOTATION_QUEUE,
            retry=ANNOTATION_RETRY,
            pass_context=True,
        )
        async def annotate_revision(context: JobContext, run_id: int) -> str:
            try:
                outcome = await annotation.execute_run(
                    resources.factory, resources.pipeline, run_id, limits
                )
            except Exception as exc:
                # the run says why; after the last attempt it is failed, never left running
                last = ANNOTATION_RETRY.get_retry_decision(exception=exc, job=context.job) is None
                await annotation.record_failed_attempt(resources.factory, run_id, exc, final=last)
                raise
            logger.info("annotation run %s: %s", run_id, outcome, extra={"run_id": run_id})
            if outcome == "done":
                await self.after_annotation()
            return outcome

        @self.app.periodic(cron="* * * * *", periodic_id="sweep")
        @self.app.task(
            name="sweep",
            queue=MAINTENANCE_QUEUE,
            queueing_lock="sweep",
            priority=MAINTENANCE_PRIORITY,
        )
        async def sweep(timestamp: int) -> None:
            await self.sweep()

        self.sweep_task = sweep

        @self.app.task(
            name="annotate_runs",
            queue=ANNOTATION_QUEUE,
            retry=ANNOTATION_RETRY,
            pass_context=True,
        )
        async def annotate_runs(context: JobContext, run_ids: list[int]) -> dict[str, int]:
            try:
                outcomes = await annotation.execute_runs(
                    resources.factory, resources.pipeline, [int(r) for r in run_ids], limits
                )
            except Exception as exc:
                # each run says why; after the last attempt they are failed, never left running
                last = ANNOTATION_RETRY.get_retry_decision(exception=exc, job=context.job) is None
                for run_id in run_ids:
                    await annotation.record_failed_attempt(
                        resources.factory, int(run_id), exc, final=last
                    )
                raise
            counts: dict[str, int] = {}
            for outcome in outcomes:
                counts[outcome] = counts.get(outcome, 0) + 1
            logger.info("annotation runs %s: %s", run_ids, counts)
            if counts.get("done"):
                await self.after_annotation()
            return counts

        @self.app.task(
            name="group_stories",
            queue=MAINTENANCE_QUEUE,
            priority=MAINTENANCE_PRIORITY,
            # one waiting job is enough (it drains the whole queue) and one runs at a time,
            # so articles are grouped in id order against everything grouped before them
            queueing_lock="group_stories",
            lock="group_stories",
            retry=RetryStrategy(max_attempts=5, wait=2, exponential_wait=2),
        )
        async def group_stories() -> int:
            from service import stories

            return await stories.group_pending(resources.factory)

        @self.app.task(
            name="cluster_claims",
            queue=MAINTENANCE_QUEUE,
            # one waiting job drains the whole queue; one transaction at a time clusters (an
            # advisory lock, service.claims.cluster_pending: a job that finds it taken ends
            # at once). Not a procrastinate lock: a job queued behind a running one is only
            # fetched at the next poll, 5 s later.
            queueing_lock="cluster_claims",
            retry=RetryStrategy(max_attempts=5, wait=2, exponential_wait=2),
        )
        async def cluster_claims() -> int:
            from service import claims

            return await claims.cluster_pending(resources.factory)

        self.cluster_claims_task = cluster_claims
        self.annotate_task = annotate_revision
        self.annotate_runs_task = annotate_runs
        self.group_stories_task = group_stories

        @self.app.task(
            name="reclassify_topic",
            queue=MAINTENANCE_QUEUE,
            priority=MAINTENANCE_PRIORITY,
            retry=RetryStrategy(max_attempts=3, wait=5),
        )
        async def reclassify_topic(slug: str) -> str:
            from service import topics

            try:
                report = await topics.reclassify_topic(resources.factory, slug)
            except topics.TopicNotFound:
                return "missing"
            return f"{report.examined} examined, {report.linked} linked, {report.unlinked} unlinked"

        @self.app.task(
            name="recluster_claims", queue=MAINTENANCE_QUEUE, priority=MAINTENANCE_PRIORITY
        )
        async def recluster_claims() -> int:
            from service import claims

            return await claims.recluster_all(resources.factory)

        self.reclassify_task = reclassify_topic
        self.recluster_task = recluster_claims

    async def open(self) -> None:
        await self.app.open_async()

    async def close(self) -> None:
        await self.app.close_async()
        await self.resources.close()

    async def enqueue_runs(self, run_ids: Iterable[int]) -> list[int]:
        """Hand committed runs to the queue, RUNS_PER_JOB to a job (one statement for all the
        jobs, one for recording them on the runs); returns the job ids."""
        ids = list(run_ids)
        if not ids:
            return []
        chunks = [ids[k : k + RUNS_PER_JOB] for k in range(0, len(ids), RUNS_PER_JOB)]
        job_ids = await self.annotate_runs_task.batch_defer_async(
            *(JSONDict(run_ids=list[JSONValue](chunk)) for chunk in chunks)
        )
        await annotation.record_jobs(
            self.resources.factory, list(zip(chunks, job_ids, strict=True))
        )
        return list(job_ids)

    async def enqueue_story_grouping(self) -> None:
        """Start the story-grouping job unless one is already waiting."""
        with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
            await self.group_stories_task.defer_async()

    async def after_annotation(self) -> None:
        """Runs were written: their claims must join clusters. While annotation jobs are
        queued (an archive loading), a ``cluster_claims`` job deferred now would only be
        fetched after all of them; so once ``CLUSTER_INLINE_AT`` revisions wait, the job
        that just finished clusters them itself (one transaction at a time: another job
        holding the lock makes this a no-op). The rest goes to the deferred job."""
        from service import claims

        factory = self.resources.factory
        try:
            if await claims.clustering_backlog(factory) >= CLUSTER_INLINE_AT:
                await claims.cluster_pending(factory)
        except Exception:  # the runs are written; the deferred job clusters them later
            logger.warning("clustering after an annotation job failed", exc_info=True)
        await self.enqueue_clustering()

    async def enqueue_clustering(self) -> None:
        """Start the claim-clustering job unless one is already waiting."""
        with contextlib.suppress(procrastinate.exceptions.AlreadyEnqueued):
            await self.cluster_claims_task.defer_async()

    async def _recover_stalled(self, job: procrastinate.jobs.Job) -> None:
        logger.warning("retrying stalled job %s (%s)", job.id, job.task_name)
        try:
            await self.app.job_manager.retry_job(job)
        except procrastinate.exceptions.UniqueViolation:
            # a job with the same queueing lock is already waiting; these tasks (sweep,
            # group_stories, cluster_claims) drain a queue, so the waiting one does this
            # one's work. Retrying raised here on every start and crash-looped the worker.
            logger.warning(
                "stalled job %s (%s): a job with its queueing lock is already waiting; "
                "marking it failed",
                job.id,
                job.task_name,
            )
            if job.id is not None:
                await self.app.job_manager.finish_job_by_id_async(
                    job.id, status=procrastinate.jobs.Status.FAILED, delete_job=False
                )

    async def sweep(self, orphans_older_than: float = 10) -> tuple[int, int]:
        """Retry stalled jobs; enqueue orphaned pending runs. Returns (retried, enqueued)."""
        stalled = list(
            await self.app.job_manager.get_stalled_jobs(
                seconds_since_heartbeat=self.settings.worker_stalled_seconds
            )
        )
        for job in stalled:
            try:
                await self._recover_stalled(job)
            except Exception:  # e.g. another worker's sweep recovered it first
                logger.warning("could not recover stalled job %s", job.id, exc_info=True)
        orphans = await annotation.runs_waiting_for_a_job(
            self.resources.factory, orphans_older_than
        )
        await self.enqueue_runs(orphans)
        ended = await annotation.fail_runs_of_ended_jobs(self.resources.factory)
        if ended:
            logger.warning("%s annotation runs marked failed: their jobs ended", ended)
        from service import stories

        if await stories.grouping_pending(self.resources.factory):
            await self.enqueue_story_grouping()
        from service import claims

        if await claims.clustering_pending(self.resources.factory):
            await self.enqueue_clustering()
        await idempotency.purge_expired(self.resources.factory)
        return len(stalled), len(orphans)

    async def enqueue_orphans_now(self) -> int:
        orphans = await annotation.runs_waiting_for_a_job(self.resources.factory, 0)
        await self.enqueue_runs(orphans)
        return len(orphans)

    async def run_worker(self, *, concurrency: int = 1, wait: bool = True, **kwargs: Any) -> None:
        await self.app.run_worker_async(
            queues=[ANNOTATION_QUEUE, MAINTENANCE_QUEUE],
            concurrency=concurrency,
            wait=wait,
            update_heartbeat_interval=min(5.0, self.settings.worker_stalled_seconds / 3),
            stalled_worker_timeout=self.settings.worker_stalled_seconds,
            shutdown_graceful_timeout=30,
            delete_jobs=procrastinate.jobs.DeleteJobCondition.SUCCESSFUL,
            **kwargs,
        )

    async def queue_depth(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in await self.app.job_manager.list_queues_async():
            counts[row["name"]] = int(row.get("todo", 0)) + int(row.get("doing", 0))
        return counts


__all__ = ["JobQueue", "WorkerResources", "timedelta"]
