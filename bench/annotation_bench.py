"""Annotation throughput: the whole job path (queue → pipeline → rows) against raw nlp.pipe.

    python -m bench.annotation_bench [--copies 20] [--concurrency 1]

Stores the five seeds × ``copies`` as distinct articles (embedded PostgreSQL in a temporary
dir, or a scratch database on DATABASE_URL's server), then in the same process and on the
same texts times (1) the raw pipeline over all texts (``Pipeline.annotate_many``: nlp.pipe)
and (2) the job path: one annotation run per revision, enqueued on procrastinate, executed
by a worker that loads the body, annotates and writes entities/mentions/quotes. Prints both
rates and their ratio (target ≥ 85 %) and writes them under "## Annotation throughput" in
docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import replace
from datetime import date
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Annotation throughput"


async def _store(url: str, copies: int) -> list[str]:
    from db.engine import create_engine, session_factory, transaction
    from service.articles import ingest_article
    from service.seeds import read_manifest

    seeds = read_manifest(ROOT / "seeds")
    engine = create_engine(url, pool_size=2, max_overflow=0)
    texts = []
    try:
        async with transaction(session_factory(engine)) as session:
            for n in range(copies):
                for seed in seeds:
                    art = replace(seed.article, external_id=f"{seed.article.external_id}-{n}")
                    await ingest_article(session, art)
                    texts.append(art.body)
    finally:
        await engine.dispose()
    return texts


async def _job_path(url: str, pipeline: object, concurrency: int) -> tuple[float, int, int]:
    from db.engine import transaction
    from service import annotation
    from service.queue import JobQueue, WorkerResources
    from service.settings import Settings

    settings = Settings(database_url=url)
    queue = JobQueue(settings, WorkerResources(settings, pipeline_factory=lambda: pipeline))
    await queue.open()
    try:
        factory = queue.resources.factory
        t0 = time.perf_counter()
        async with transaction(factory) as s:
            ids = [
                int(r)
                for r in (await s.execute(text("SELECT id FROM article_revisions"))).scalars()
            ]
            runs = [await annotation.request_annotation(s, rid) for rid in ids]
        await queue.enqueue_runs(runs)
        await queue.run_worker(
            wait=False, install_signal_handlers=False, listen_notify=False, concurrency=concurrency
        )
        elapsed = time.perf_counter() - t0
        async with transaction(factory) as s:
            done = (
                await s.execute(text("SELECT count(*) FROM annotation_runs WHERE status='done'"))
            ).scalar_one()
            quotes = (await s.execute(text("SELECT count(*) FROM quotes"))).scalar_one()
        return elapsed, int(done), int(quotes)
    finally:
        await queue.close()


def _write_section(lines: list[str], command: str) -> None:
    text_ = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    section = f"{SECTION}\n\n`{command}` ({date.today()}, {os.cpu_count()} CPUs)\n\n" + "\n".join(
        lines
    )
    if SECTION in text_:
        head, _, rest = text_.partition(SECTION)
        nxt = rest.find("\n## ")
        text_ = head + section + "\n" + (rest[nxt:] if nxt >= 0 else "")
    else:
        text_ = text_.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text_)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--copies", type=int, default=20, help="copies of the five seeds")
    parser.add_argument("--concurrency", type=int, default=1, help="worker concurrency")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/")
    args = parser.parse_args()

    from db import migrate
    from db.embedded import EmbeddedPostgres
    from nlp.pipeline import Pipeline

    tmp = Path(tempfile.mkdtemp(prefix="as-bench-", dir="/tmp"))
    external = os.environ.get("DATABASE_URL")
    pg = None
    scratch = None
    try:
        if external:
            import psycopg
            from sqlalchemy.engine import make_url

            from db.engine import libpq_url

            scratch = f"as_bench_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(libpq_url(external), autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{scratch}"')
            url = make_url(external).set(database=scratch).render_as_string(hide_password=False)
        else:
            pg = EmbeddedPostgres(tmp)
            url = pg.start()
        migrate.upgrade(url, "head")
        texts = asyncio.run(_store(url, args.copies))
        pipeline = Pipeline()
        list(pipeline.annotate_many(texts[:5]))  # warm-up: model loaded, caches filled

        t0 = time.perf_counter()
        raw = list(pipeline.annotate_many(texts))
        raw_s = time.perf_counter() - t0
        job_s, done, quotes = asyncio.run(_job_path(url, pipeline, args.concurrency))
        assert done == len(texts), f"only {done} of {len(texts)} runs finished"
        raw_rate, job_rate = len(texts) / raw_s, len(texts) / job_s
        ratio = job_rate / raw_rate
        chars = sum(len(t) for t in texts)
        lines = [
            f"- {len(texts)} articles (the 5 seeds × {args.copies}, {chars / len(texts) / 1024:.1f} "
            f"KiB of text each), spaCy `{getattr(pipeline, 'version', '?')}`, one process.",
            f"- Raw pipeline (`Pipeline.annotate_many`, nlp.pipe): **{raw_rate:.1f} articles/s** "
            f"({raw_s:.2f} s; {sum(len(a.quotes) for a in raw)} quotes).",
            f"- Job path (run rows → procrastinate → worker, concurrency {args.concurrency} → "
            f"spaCy → entities/mentions/quotes rows): **{job_rate:.1f} articles/s** "
            f"({job_s:.2f} s; {quotes} quotes written).",
            f"- Ratio job path / raw: **{ratio:.0%}** (target ≥ 85 %).",
        ]
        print("\n".join(lines))
        if not args.no_write:
            cmd = f"python -m bench.annotation_bench --copies {args.copies}"
            if args.concurrency != 1:
                cmd += f" --concurrency {args.concurrency}"
            _write_section(lines, cmd)
    finally:
        if pg is not None:
            pg.stop()
        if scratch and external:
            import psycopg

            from db.engine import libpq_url

            with psycopg.connect(libpq_url(external), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
