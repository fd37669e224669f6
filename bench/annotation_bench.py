"""Annotation throughput: the whole job path (queue → pipeline → rows) against raw spaCy.

    python -m bench.annotation_bench [--synthetic 100] [--processes 1 2 4] [--no-write]

Texts: the repository's ~290 real news texts (seeds and the NLP gold sets, 40–1,500 words)
plus ``--synthetic`` Markov-chain articles of 0.5–6 KiB (bench/newstext.py), stored in bulk
on an embedded PostgreSQL in a temporary dir (or a scratch database on DATABASE_URL's
server) and grouped into stories. Then, in the same run on the same texts:

* **floor**: raw spaCy, ``spacy.load(en_core_web_sm…).pipe(texts, n_process=CPUs)`` (our
  components and everything after spaCy excluded), measured before the first pass and
  after every pass; a pass is compared with the mean of the floors just before and after it;
* **job path** for each ``--processes`` setting: `article-store worker --processes N`
  started and ready (spaCy loaded), then a new annotation run per revision is committed and
  handed to the queue, and the clock stops when the last run is ``done`` (entities,
  mentions, quotes, claims, topics written) and the ``cluster_claims`` job has put their
  claims in clusters (the clustering queue is empty and no clustering job is left). Each
  setting starts from the same store: the previous pass's annotation rows are truncated
  first, so every pass is a first annotation (inserts, as for an archive).

Words are whitespace-separated words of the texts. Figures go under "## Annotation
throughput" in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Annotation throughput"


def texts_for(synthetic: int) -> list[str]:
    from bench.newstext import NewsWriter, real_texts

    texts = list(real_texts())
    writer = NewsWriter(seed=11)
    rng = random.Random(11)
    texts += [writer.article(rng.randint(500, 6000))["body"] for _ in range(synthetic)]
    return texts


async def store(url: str, texts: list[str]) -> None:
    from db.engine import create_engine, session_factory
    from service import stories
    from service.articles import ArticleInput, ingest_batch

    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        items: list[ArticleInput] = [
            ArticleInput(outlet=f"Outlet {i % 12}", external_id=f"t{i}", body=t)
            for i, t in enumerate(texts)
        ]
        async with session_factory(engine)() as s:
            await ingest_batch(s, list(items), max_items=len(items))
        await stories.group_pending(session_factory(engine))
        async with session_factory(engine)() as s, s.begin():
            # the runs ingest recorded: the timed passes request their own
            await s.execute(text("DELETE FROM annotation_runs"))
    finally:
        await engine.dispose()


def raw_spacy(texts: list[str], processes: int) -> float:
    """Seconds for raw spaCy nlp.pipe over ``texts`` with ``processes`` processes."""
    import spacy

    from nlp.pipeline import SPACY_MODEL

    nlp = spacy.load(SPACY_MODEL)
    list(nlp.pipe(texts[:4]))  # warm-up
    t0 = time.perf_counter()
    for _ in nlp.pipe(texts, n_process=processes, batch_size=8):
        pass
    return time.perf_counter() - t0


async def _count(url: str, sql: str) -> int:
    import asyncpg

    from db.engine import libpq_url

    conn = await asyncpg.connect(libpq_url(url))
    try:
        return int(await conn.fetchval(sql))
    finally:
        await conn.close()


# What a pass writes; emptied before each pass, so every setting annotates the same store
# (a first annotation: inserts only, as an archive's; not the previous pass's deletes too).
ANNOTATION_TABLES = (
    "mentions, quotes, claim_topics, claims, claim_clusters, article_topics, entity_aliases, "
    "entities, claim_clustering_queue, annotation_runs"
)


async def job_path(url: str, processes: int) -> float:
    """Seconds from committing the runs to the last one done, with N worker processes."""
    import asyncpg

    from db.engine import create_engine, libpq_url, session_factory, transaction
    from service import annotation
    from service.queue import JobQueue
    from service.settings import Settings

    conn = await asyncpg.connect(libpq_url(url))
    try:
        await conn.execute(f"TRUNCATE {ANNOTATION_TABLES}")
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()

    env = dict(os.environ, DATABASE_URL=url, ARTICLE_STORE_LOG_LEVEL="WARNING")
    worker = subprocess.Popen(
        [sys.executable, "-m", "cli", "worker", "--processes", str(processes)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    engine = create_engine(url, pool_size=1, max_overflow=0)
    queue = JobQueue(Settings(database_url=url))
    try:
        deadline = time.time() + 180
        while (
            await _count(
                url,
                "SELECT count(*) FROM procrastinate_workers WHERE last_heartbeat > now() - interval '10 seconds'",
            )
            < processes
        ):
            if time.time() > deadline or worker.poll() is not None:
                raise SystemExit("the workers did not start")
            await asyncio.sleep(0.2)
        await queue.open()
        factory = session_factory(engine)
        t0 = time.perf_counter()
        async with transaction(factory) as s:
            ids = [int(r) for r in (await s.execute(text("SELECT id FROM article_revisions")))
                   .scalars()]  # fmt: skip
            runs = [await annotation.request_annotation(s, rid) for rid in ids]
        await queue.enqueue_runs(runs)
        first = min(runs)
        while True:
            done = await _count(
                url, f"SELECT count(*) FROM annotation_runs WHERE id >= {first} "
                "AND status IN ('done', 'failed')"
            )  # fmt: skip
            if done >= len(runs):
                break
            await asyncio.sleep(0.1)
        annotated = time.perf_counter() - t0
        # end to end: the claims of the runs are in clusters too (the cluster_claims job)
        while await _count(
            url,
            "SELECT (SELECT count(*) FROM claim_clustering_queue) + (SELECT count(*) FROM "
            "procrastinate_jobs WHERE task_name = 'cluster_claims' AND status IN ('todo', 'doing'))",
        ):
            await asyncio.sleep(0.1)
        elapsed = time.perf_counter() - t0
        failed = await _count(
            url, f"SELECT count(*) FROM annotation_runs WHERE id >= {first} AND status='failed'"
        )
        assert failed == 0, f"{failed} runs failed"
        retried = await _count(
            url, f"SELECT count(*) FROM annotation_runs WHERE id >= {first} AND attempts > 1"
        )
        deadlocks = await _count(
            url, "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
        )
        print(
            f"  ({processes} processes: runs done after {annotated:.1f} s, claims clustered "
            f"after {elapsed:.1f} s; {retried} runs retried; deadlocks so far {deadlocks})"
        )
        return elapsed
    finally:
        await queue.close()
        await engine.dispose()
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=60)
        except subprocess.TimeoutExpired:
            worker.kill()


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} / {five:.1f} (1 / 5 min)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--synthetic", type=int, default=100, help="Markov articles added")
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument("--no-write", action="store_true", help="do not update docs/")
    args = parser.parse_args()

    from bench.ingest_bench import scratch_database

    cpus = os.cpu_count() or 1
    texts = texts_for(args.synthetic)
    words = sum(len(t.split()) for t in texts)
    with scratch_database() as (url, where):
        asyncio.run(store(url, texts))
        load_start = _load()
        # the host's speed drifts by tens of percent from one minute to the next here, so
        # the floor is measured before and after every pass and each pass is compared with
        # the mean of the two floors around it
        floors = [raw_spacy(texts, cpus)]
        passes: list[tuple[int, float, float]] = []  # (processes, seconds, floor words/s)
        for n in args.processes:
            seconds = asyncio.run(job_path(url, n))
            floors.append(raw_spacy(texts, cpus))
            floor_n = words / ((floors[-2] + floors[-1]) / 2)
            passes.append((n, seconds, floor_n))
            print(
                f"{n} worker process(es): {words / seconds:,.0f} words/s, "
                f"{words / seconds / floor_n:.0%} of the floor around it",
                flush=True,
            )
        rows = asyncio.run(
            _count(url, "SELECT (SELECT count(*) FROM quotes) + (SELECT count(*) FROM claims)")
        )
        load_end = _load()
    floor_rates = [words / f for f in floors]
    ref = next((p for p in passes if p[0] == cpus), passes[-1])
    lines = [
        f"- {len(texts)} texts, {words:,} words (the repository's {len(texts) - args.synthetic} "
        f"real news texts + {args.synthetic} Markov articles of 0.5–6 KiB), on {where}; "
        f"{cpus} CPUs: {load_start} before the first floor, {load_end} at the end.",
        f"- Floor, raw spaCy `nlp.pipe(n_process={cpus})` on the same texts, before and after "
        f"every pass: {', '.join(f'{r:,.0f}' for r in floor_rates)} words/s.",
        f"- Job path with `article-store worker --processes {ref[0]}` (queue → our pipeline → "
        f"entities, mentions, quotes, claims, topics, clusters; {rows:,} quote + claim rows "
        f"each pass): **{words / ref[1]:,.0f} words/s** ({ref[1]:.1f} s), "
        f"**{words / ref[1] / ref[2]:.0%} of the floor** around it.",
        "",
        "| worker processes | seconds | words/s | floor around it, words/s | vs floor |",
        "|---:|---:|---:|---:|---:|",
        *(
            f"| {n} | {sec:.1f} | {words / sec:,.0f} | {fl:,.0f} | {words / sec / fl:.0%} |"
            for n, sec, fl in passes
        ),
    ]
    print("\n".join(lines))
    if not args.no_write:
        cmd = "python -m bench.annotation_bench"
        if args.synthetic != 100:
            cmd += f" --synthetic {args.synthetic}"
        if args.processes != [1, 2, 4]:
            cmd += " --processes " + " ".join(map(str, args.processes))
        _write_section(lines, cmd)


def _write_section(lines: list[str], command: str) -> None:
    text_ = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    section = f"{SECTION}\n\n`{command}` ({date.today()})\n\n" + "\n".join(lines) + "\n"
    if SECTION in text_:
        head, _, rest = text_.partition(SECTION)
        # the measured block only: the section's ### subsections (history, profiles) stay
        nxt = min((i for i in (rest.find("\n## "), rest.find("\n### ")) if i >= 0), default=-1)
        text_ = head + section + (rest[nxt:] if nxt >= 0 else "")
    else:
        text_ = text_.rstrip("\n") + "\n\n" + section
    DOC.write_text(text_)


if __name__ == "__main__":
    main()
