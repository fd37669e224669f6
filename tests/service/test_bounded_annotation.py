"""Bounded annotation work: huge annotation sets are written in statements of bounded size,
kept within per-revision limits that the run records, and a job that fails for good always
leaves its run ``failed`` with the error."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import transaction
from nlp.types import Annotations, Entity, Mention, Quote
from service import annotation
from service.annotation_limits import AnnotationLimits
from service.articles import ArticleInput, ingest_article
from service.queue import JobQueue, WorkerResources
from service.settings import Settings

NAMES = 29_649  # what an article near the body limit gave in issue 18


def _name(i: int) -> str:
    # distinct two-word names of letters only: "Bacd Efgh"
    letters = "abcdefghijklmnopqrstuvwxyz"
    a, b = divmod(i, 26 * 26 * 26)
    first = letters[a % 26].upper() + "".join(letters[(i // 26**k) % 26] for k in range(3))
    last = letters[b % 26].upper() + "".join(letters[(i // 7**k) % 26] for k in range(4))
    return f"{first}{i} {last}"


def _names_body() -> str:
    body = " and ".join(_name(i) for i in range(NAMES)) + " met."
    assert len(body.encode()) < 2 * 1024 * 1024  # under the default body limit
    return body


class NamesAnnotator:
    """Every name in the text is a person mentioned once; each tenth one is quoted."""

    name = "names"
    version = "names-1"

    def annotate(self, body: str) -> Annotations:
        entities, mentions, quotes = [], [], []
        pos = 0
        for i in range(NAMES):
            n = _name(i)
            start = body.index(n, pos)
            pos = start + len(n)
            entities.append(Entity(key=f"person:{i}", name=n, type="PERSON", aliases=(n,)))
            mentions.append(Mention(start, pos, n, "PERSON", f"person:{i}"))
            if i % 10 == 0:
                quotes.append(
                    Quote("direct", start, pos, n, None, None, None, f"person:{i}", None, None,
                          None, 0.5)
                )  # fmt: skip
        return Annotations(self.name, self.version, tuple(entities), tuple(mentions), tuple(quotes))


class BrokenWriteAnnotator:
    """Annotations whose write fails in the database (a span past the end of the text):
    an error the queue retries, unlike a pipeline failure."""

    name = "broken"
    version = "broken-1"

    def annotate(self, body: str) -> Annotations:
        q = Quote("direct", 0, len(body) + 10, body, None, None, None, None, None, None, None, 0.5)
        return Annotations(self.name, self.version, (), (), (q,))


@pytest.fixture
async def names_run(clean_store: None, settings: Settings) -> AsyncIterator[tuple[int, int]]:
    """(run id, article id) of a pending run over an article of 29,649 names."""
    from db.engine import create_engine, session_factory

    engine = create_engine(settings.database_url or "", pool_size=2, max_overflow=0)
    async with transaction(session_factory(engine)) as s:
        result = await ingest_article(
            s, ArticleInput(outlet="Names Wire", external_id="names", body=_names_body())
        )
    await engine.dispose()
    assert result.run_id is not None
    yield result.run_id, result.article_id


async def test_29649_entities_are_written_in_statements_the_driver_accepts(
    names_run: tuple[int, int], app: object, db_session: AsyncSession
) -> None:
    run_id, _ = names_run
    factory = app.state.session_factory  # type: ignore[attr-defined]
    roomy = AnnotationLimits(entities=100_000, mentions=100_000, quotes=100_000, claims=100_000)
    assert await annotation.execute_run(factory, NamesAnnotator(), run_id, roomy) == "done"
    run = (
        await db_session.execute(
            text("SELECT status, limits_applied, revision_id FROM annotation_runs WHERE id = :r"),
            {"r": run_id},
        )
    ).one()
    assert run.status == "done" and run.limits_applied is None
    # statistics for the 29,649 rows just written: with the empty tables' last ANALYZE the
    # alias x mention count below was planned as a nested loop and hit the 10 s statement
    # timeout on a busy CI machine (the run itself had finished)
    await db_session.execute(text("ANALYZE mentions, entity_aliases, quotes"))
    counts = (
        await db_session.execute(
            text(
                "SELECT (SELECT count(*) FROM mentions WHERE revision_id = :v), "
                "(SELECT count(DISTINCT entity_id) FROM mentions WHERE revision_id = :v), "
                "(SELECT count(*) FROM quotes WHERE revision_id = :v), "
                "(SELECT count(*) FROM entity_aliases a JOIN mentions m "
                " ON m.entity_id = a.entity_id AND m.revision_id = :v)"
            ),
            {"v": run.revision_id},
        )
    ).one()
    assert tuple(counts) == (NAMES, NAMES, NAMES // 10 + 1, NAMES)


async def test_a_run_over_the_limits_keeps_part_and_says_what_it_left_out(
    names_run: tuple[int, int], app: object, client: httpx.AsyncClient, db_session: AsyncSession
) -> None:
    run_id, article_id = names_run
    factory = app.state.session_factory  # type: ignore[attr-defined]
    small = AnnotationLimits(entities=1_000, mentions=500, quotes=100, claims=10)
    assert await annotation.execute_run(factory, NamesAnnotator(), run_id, small) == "done"
    run = (
        await db_session.execute(
            text("SELECT limits_applied, revision_id FROM annotation_runs WHERE id = :r"),
            {"r": run_id},
        )
    ).one()
    assert run.limits_applied == (
        "per-revision limits applied: 2,965 quotes found, the first 100 kept; "
        "29,649 entities found, 1,000 kept; "
        "1,000 mentions of kept entities, the first 500 kept"
    )
    mentions, quotes, speakers = (
        await db_session.execute(
            text(
                "SELECT (SELECT count(*) FROM mentions WHERE revision_id = :v), "
                "(SELECT count(*) FROM quotes WHERE revision_id = :v), "
                "(SELECT count(speaker_id) FROM quotes WHERE revision_id = :v)"
            ),
            {"v": run.revision_id},
        )
    ).one()
    assert (mentions, quotes) == (500, 100)
    assert speakers == 100  # the speaking entities were kept first
    detail = (await client.get(f"/v1/articles/{article_id}")).json()
    assert detail["annotation"]["status"] == "done"
    assert "29,649 entities found" in detail["annotation"]["limits_applied"]


async def _attempt_with(
    settings: Settings, db_session: AsyncSession, previous_attempts: int
) -> tuple[int, object]:
    """One worker pass over a job whose write fails, after ``previous_attempts`` attempts."""
    q = JobQueue(settings, WorkerResources(settings, pipeline_factory=BrokenWriteAnnotator))
    await q.open()
    try:
        factory = q.resources.factory
        async with transaction(factory) as s:
            rev = (await s.execute(text("SELECT min(id) FROM article_revisions"))).scalar_one()
            run_id = await annotation.request_annotation(s, rev)
        [job_id] = await q.enqueue_runs([run_id])
        await db_session.execute(
            text("UPDATE procrastinate_jobs SET attempts = :a WHERE id = :j"),
            {"a": previous_attempts, "j": job_id},
        )
        await db_session.commit()
        await q.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)
    finally:
        await q.close()
    run = (
        await db_session.execute(
            text("SELECT status, error, finished_at FROM annotation_runs WHERE id = :r"),
            {"r": run_id},
        )
    ).one()
    return run_id, run


async def test_a_job_failing_past_its_retries_leaves_its_run_failed_with_the_error(
    clean_store: None, settings: Settings, db_session: AsyncSession
) -> None:
    _, run = await _attempt_with(settings, db_session, previous_attempts=5)  # the last one
    assert run.status == "failed"  # type: ignore[attr-defined]
    assert "IntegrityError" in run.error  # type: ignore[attr-defined]
    assert run.finished_at is not None  # type: ignore[attr-defined]


async def test_a_failed_attempt_with_a_retry_to_come_leaves_the_run_pending(
    clean_store: None, settings: Settings, db_session: AsyncSession
) -> None:
    _, run = await _attempt_with(settings, db_session, previous_attempts=0)
    assert run.status == "pending"  # type: ignore[attr-defined]
    assert run.error.startswith("attempt failed, will be retried: IntegrityError")  # type: ignore[attr-defined]


async def test_the_sweep_fails_runs_whose_job_ended_without_them(
    clean_store: None, settings: Settings, db_session: AsyncSession
) -> None:
    """A job given up while the database was away could not record it: the sweep does."""
    q = JobQueue(settings, WorkerResources(settings, pipeline_factory=BrokenWriteAnnotator))
    await q.open()
    try:
        factory = q.resources.factory
        async with transaction(factory) as s:
            rev = (await s.execute(text("SELECT min(id) FROM article_revisions"))).scalar_one()
            run_id = await annotation.request_annotation(s, rev)
        [job_id] = await q.enqueue_runs([run_id])
        await db_session.execute(
            text("UPDATE annotation_runs SET status = 'running' WHERE id = :r"), {"r": run_id}
        )
        await db_session.execute(
            text("UPDATE procrastinate_jobs SET status = 'failed' WHERE id = :j"), {"j": job_id}
        )
        await db_session.commit()
        await q.sweep()
    finally:
        await q.close()
    run = (
        await db_session.execute(
            text("SELECT status, error FROM annotation_runs WHERE id = :r"), {"r": run_id}
        )
    ).one()
    assert run.status == "failed"
    assert run.error.startswith("the annotation job ended without finishing the run")
