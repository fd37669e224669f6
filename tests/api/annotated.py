"""Seed articles annotated for real (queue → worker → spaCy → rows), for API tests.

``annotated`` annotates the five seeds when the store has no finished runs (~4 s), so
read-only tests share one annotation and a test that writes (with ``clean_store``) gets a
fresh one. ``reset_store_after_module`` leaves the store as exactly the seeds for the
modules that follow.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text

from db.engine import transaction
from nlp.pipeline import Pipeline
from service import annotation
from service.queue import JobQueue, WorkerResources
from service.settings import Settings


async def annotate_seeds(settings: Settings, pipeline: Pipeline) -> None:
    queue = JobQueue(settings, WorkerResources(settings, pipeline_factory=lambda: pipeline))
    await queue.open()
    try:
        factory = queue.resources.factory
        async with transaction(factory) as s:
            ids = [
                int(r)
                for r in (
                    await s.execute(text("SELECT id FROM article_revisions ORDER BY id"))
                ).scalars()
            ]
            runs = [await annotation.request_annotation(s, rid) for rid in ids]
        await queue.enqueue_runs(runs)
        await queue.run_worker(wait=False, install_signal_handlers=False, listen_notify=False)
    finally:
        await queue.close()


@pytest.fixture
async def annotated(settings: Settings, pipeline: Pipeline, app: object) -> None:
    factory = app.state.session_factory  # type: ignore[attr-defined]
    async with transaction(factory) as s:
        done = (
            await s.execute(text("SELECT count(*) FROM annotation_runs WHERE status = 'done'"))
        ).scalar_one()
    if not done:
        await annotate_seeds(settings, pipeline)


@pytest.fixture(scope="module", autouse=True)
async def reset_store_after_module(database_url: str) -> AsyncIterator[None]:
    yield
    from tests.conftest import _reset_store

    await _reset_store(database_url)
