"""Bulk ingest benchmark: `article-store ingest`'s path and POST /v1/articles:batch against a
raw asyncpg COPY of the same rows, measured in the same run on the same database.

    python -m bench.ingest_bench [--articles 10000] [--chunk 1000] [--no-api] [--no-write]

Articles are realistic synthetic news (bench/newstext.py: a Markov chain over the
repository's news texts, ~10k distinct words, 1.2–2.0 KiB bodies, 20 outlets, one every
~53 minutes). On an embedded PostgreSQL in a temporary dir (or a scratch database on
DATABASE_URL's server) the bench times, one after the other:

1. **floor**: the same article and revision rows COPYed with asyncpg into two tables
   created ``LIKE articles/article_revisions INCLUDING ALL`` (same columns, generated
   full-text column, indexes), one transaction per chunk, rows prepared beforehand (again
   after step 4; the faster run counts);
2. **file ingest**: ``service.ingest_files.ingest_items`` over a JSON Lines file (what
   `article-store ingest FILE` runs: parsing, validation, identity lookup, COPY, runs, jobs);
3. **re-run** of the same file (everything ``unchanged``: what resuming after an interrupt
   costs);
4. **API**: another N articles through `article-store serve` (--no-worker), 1,000 per
   `POST /v1/articles:batch`;
5. the **story grouping** job over everything queued by 2 and 4.

No worker runs meanwhile, so the annotation jobs only queue. Figures go under
"## Ingest" in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
SECTION = "## Ingest"
OUTLETS = 20


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def make_articles(n: int, *, seed: int = 4, prefix: str = "bench") -> list[dict[str, Any]]:
    from bench.newstext import NewsWriter

    writer = NewsWriter(seed)
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    out = []
    for i in range(n):
        art = writer.article(target_chars=rng.randint(1150, 2000))
        out.append(
            {
                "outlet": f"Bench Outlet {i % OUTLETS}",
                "external_id": f"{prefix}-{i}",
                "url": f"https://bench{i % OUTLETS}.example/news/{prefix}/{i}",
                "title": art["title"],
                "published_at": (start + timedelta(minutes=53 * i)).isoformat(),
                "language": "en",
                "body": art["body"],
            }
        )
    return out


@contextmanager
def scratch_database() -> Iterator[tuple[str, str]]:
    """(URL, description): an embedded PostgreSQL in a temp dir, or a scratch database on
    DATABASE_URL's server; migrated to head; removed afterwards."""
    from db import migrate

    external = os.environ.get("DATABASE_URL")
    tmp = Path(tempfile.mkdtemp(prefix="as-bench-", dir="/tmp"))
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
            where = "DATABASE_URL's server (scratch database)"
        else:
            from db.embedded import EmbeddedPostgres

            pg = EmbeddedPostgres(tmp)
            url = pg.start()
            where = "embedded PostgreSQL"
        migrate.upgrade(url, "head")
        yield url, where
    finally:
        if pg is not None:
            pg.stop()
        if scratch and external:
            import psycopg

            from db.engine import libpq_url

            with psycopg.connect(libpq_url(external), autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)


async def raw_copy(url: str, articles: list[dict[str, Any]], chunk: int) -> float:
    """Seconds to COPY the articles' rows into LIKE-copies of the two tables (the floor)."""
    import asyncpg

    from db.engine import libpq_url
    from service.articles import body_sha256

    conn = await asyncpg.connect(libpq_url(url))
    try:
        await conn.execute(
            "CREATE TABLE floor_articles (LIKE articles INCLUDING ALL);"
            "CREATE TABLE floor_revisions (LIKE article_revisions INCLUDING ALL);"
        )
        outlet_ids = {f"Bench Outlet {i}": i + 1 for i in range(OUTLETS)}
        rows_a, rows_r = [], []
        for n, a in enumerate(articles, 1):
            published = datetime.fromisoformat(a["published_at"])
            rows_a.append(
                (n, outlet_ids[a["outlet"]], a["url"], a["external_id"], a["title"], None,
                 published, a["language"], 1)
            )  # fmt: skip
            rows_r.append(
                (n, n, 1, a["body"], body_sha256(a["body"]), a["title"], None, "text", None,
                 len(a["body"]), None)
            )  # fmt: skip
        cols_a = ("id", "outlet_id", "url", "external_id", "title", "byline", "published_at",
                  "language", "current_revision")  # fmt: skip
        cols_r = ("id", "article_id", "number", "body", "sha256", "title", "byline",
                  "source_format", "raw_html", "char_count", "fetched_at")  # fmt: skip
        t0 = time.perf_counter()
        for k in range(0, len(articles), chunk):
            async with conn.transaction():
                await conn.copy_records_to_table(
                    "floor_articles", records=rows_a[k : k + chunk], columns=cols_a
                )
                await conn.copy_records_to_table(
                    "floor_revisions", records=rows_r[k : k + chunk], columns=cols_r
                )
        elapsed = time.perf_counter() - t0
        await conn.execute("DROP TABLE floor_articles; DROP TABLE floor_revisions")
        return elapsed
    finally:
        await conn.close()


async def file_ingest(url: str, source: Path, chunk: int) -> tuple[float, dict[str, int]]:
    from service.ingest_files import ingest_items, iter_source
    from service.settings import Settings

    settings = Settings(database_url=url)
    counts: dict[str, int] = {}

    def done(part: object, results: list[Any]) -> None:
        for r in results:
            key = r.outcome.status if r.outcome else "failed"
            counts[key] = counts.get(key, 0) + 1

    t0 = time.perf_counter()
    await ingest_items(settings, url, iter_source(source), chunk=chunk, on_chunk=done)
    return time.perf_counter() - t0, counts


def api_ingest(url: str, articles: list[dict[str, Any]], batch: int) -> tuple[float, int, float]:
    """(seconds, created, median seconds per batch) through a real `article-store serve`."""
    env = dict(os.environ, DATABASE_URL=url, ARTICLE_STORE_LOG_LEVEL="WARNING")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port), "--no-seed", "--no-worker"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 120
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.5)
        key = subprocess.run(
            [sys.executable, "-m", "cli", "keys", "create", "--name", "bench", "--scope", "write"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        headers = {"Authorization": f"Bearer {key.strip().splitlines()[-1]}"}
        created = 0
        latencies = []
        with httpx.Client(base_url=base, timeout=300, headers=headers) as client:
            t0 = time.perf_counter()
            for k in range(0, len(articles), batch):
                t = time.perf_counter()
                body = orjson.dumps({"items": articles[k : k + batch]})
                r = client.post(
                    "/v1/articles:batch",
                    content=body,
                    headers={"content-type": "application/json"},
                )
                r.raise_for_status()
                latencies.append(time.perf_counter() - t)
                created += r.json()["summary"]["created"]
            elapsed = time.perf_counter() - t0
        latencies.sort()
        return elapsed, created, latencies[len(latencies) // 2]
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()


async def grouping(url: str) -> tuple[float, int, int]:
    """(seconds, articles grouped, stories formed) for the queued story grouping."""
    from sqlalchemy import text

    from db.engine import create_engine, session_factory, transaction
    from service import stories

    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        factory = session_factory(engine)
        t0 = time.perf_counter()
        done = await stories.group_pending(factory)
        elapsed = time.perf_counter() - t0
        async with transaction(factory) as s:
            n = int((await s.execute(text("SELECT count(*) FROM stories"))).scalar_one())
        return elapsed, done, n
    finally:
        await engine.dispose()


def _load() -> str:
    try:
        one, five, _ = os.getloadavg()
        return f"load average {one:.1f} (1 min) / {five:.1f} (5 min) at the start"
    except OSError:
        return "load unknown"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--chunk", type=int, default=1000, help="articles per transaction")
    ap.add_argument("--no-api", action="store_true", help="skip the HTTP batch measurement")
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args()

    load = _load()
    t = time.perf_counter()
    articles = make_articles(args.articles)
    gen_s = time.perf_counter() - t
    size = sum(len(a["body"].encode()) for a in articles) / len(articles)
    vocab = len({w for a in articles for w in a["body"].split()})
    tmp = Path(tempfile.mkdtemp(prefix="as-ingest-", dir="/tmp"))
    source = tmp / "archive.jsonl"
    source.write_bytes(b"".join(orjson.dumps(a) + b"\n" for a in articles))
    try:
        with scratch_database() as (url, where):
            floor_s = asyncio.run(raw_copy(url, articles, args.chunk))
            file_s, counts = asyncio.run(file_ingest(url, source, args.chunk))
            rerun_s, recounts = asyncio.run(file_ingest(url, source, args.chunk))
            assert counts.get("created") == len(articles), counts
            assert recounts.get("unchanged") == len(articles), recounts
            api = None
            if not args.no_api:
                api = api_ingest(url, make_articles(args.articles, seed=5, prefix="api"), 1000)
            # the floor again after the others: on a shared machine the load changes, and the
            # ratio is taken against the faster of the two (the conservative figure)
            floor_s = min(floor_s, asyncio.run(raw_copy(url, articles, args.chunk)))
            group_s, grouped, n_stories = asyncio.run(grouping(url))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    n = len(articles)
    floor = n / floor_s
    rate = n / file_s
    lines = [
        f"- {n:,} synthetic news articles (bench/newstext.py: {size / 1024:.2f} KiB bodies on "
        f"average, {vocab:,} distinct words in the bodies; generated in {gen_s:.1f} s, not "
        f"timed), {args.chunk:,} per transaction, on {where}; {os.cpu_count()} CPUs, {load}.",
        f"- Floor, asyncpg COPY of the same article + revision rows into `LIKE … INCLUDING ALL` "
        f"copies of the tables, the faster of a run before and one after the others: "
        f"**{floor:,.0f} articles/s** ({floor_s:.1f} s).",
        f"- `article-store ingest` path (`ingest_items` over the JSONL file: parse, validate, "
        f"identity lookup, COPY, runs, jobs): **{rate:,.0f} articles/s** ({file_s:.1f} s), "
        f"**{rate / floor:.0%} of the floor**.",
        f"- Re-run over the same file (all {n:,} unchanged: resuming): "
        f"{n / rerun_s:,.0f} articles/s ({rerun_s:.1f} s).",
    ]
    if api is not None:
        api_s, created, median = api
        lines.append(
            f"- `POST /v1/articles:batch` (1,000 per request, `serve --no-worker`, another "
            f"{created:,} new articles): **{created / api_s:,.0f} articles/s** ({api_s:.1f} s; "
            f"median {median:.2f} s per request), {created / api_s / floor:.0%} of the floor."
        )
    lines.append(
        f"- Story grouping job afterwards (`group_stories`, 500 per transaction): {grouped:,} "
        f"articles in {group_s:.1f} s = {grouped / group_s:,.0f} articles/s; {n_stories} "
        "stories formed."
    )
    print("\n".join(lines))
    if not args.no_write:
        cmd = f"python -m bench.ingest_bench --articles {args.articles}"
        if args.chunk != 1000:
            cmd += f" --chunk {args.chunk}"
        _write_section(lines, cmd)


def _write_section(lines: list[str], command: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    section = f"{SECTION}\n\n`{command}` ({stamp})\n\n" + "\n".join(lines) + "\n"
    if SECTION in text:
        head, _, rest = text.partition(SECTION)
        nxt = rest.find("\n## ")
        text = head + section + (rest[nxt:] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    DOC.write_text(text)


if __name__ == "__main__":
    main()
