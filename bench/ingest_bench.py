"""Ingest benchmark: 10,000 plain-text articles through POST /v1/articles:batch.

    python -m bench.ingest_bench [--articles 10000] [--batch 500]

Starts `article-store serve` on 127.0.0.1 (embedded PostgreSQL in a temporary data dir,
or a scratch database on DATABASE_URL's server), posts synthetic articles and prints
articles/s; the figures are written under "## Ingest" in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
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
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
WORDS = [
    "minister",
    "said",
    "talks",
    "officials",
    "city",
    "council",
    "vote",
    "budget",
    "river",
    "police",
    "report",
    "week",
    "court",
    "judge",
    "ruling",
    "company",
    "shares",
    "market",
    "energy",
    "prices",
    "strike",
    "union",
    "workers",
    "school",
    "children",
    "hospital",
    "doctors",
    "storm",
    "coast",
    "election",
    "campaign",
    "rally",
    "border",
    "trade",
    "deal",
    "summit",
    "leaders",
    "army",
    "drills",
    "missile",
    "launch",
    "ferry",
    "port",
    "harbour",
    "bridge",
    "road",
    "fire",
    "crews",
    "museum",
    "festival",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _article(rng: random.Random, i: int, start: datetime) -> dict[str, object]:
    sentences = []
    for _ in range(rng.randint(12, 24)):
        words = [rng.choice(WORDS) for _ in range(rng.randint(8, 18))]
        sentences.append(" ".join(words).capitalize() + f" {rng.randint(1, 10**6)}.")
    return {
        "outlet": f"Bench Outlet {i % 20}",
        "external_id": f"bench-{i}",
        "url": f"https://bench{i % 20}.example/news/{i}",
        "title": " ".join(rng.choice(WORDS) for _ in range(8)),
        "published_at": (start + timedelta(minutes=53 * i)).isoformat(),
        "language": "en",
        "body": "\n\n".join(" ".join(sentences[k : k + 4]) for k in range(0, len(sentences), 4)),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--no-write", action="store_true", help="do not update docs/benchmarks.md")
    args = ap.parse_args()

    env = dict(os.environ)
    tmp = Path(tempfile.mkdtemp(prefix="as-bench-"))
    scratch_db = None
    if env.get("DATABASE_URL"):
        import psycopg
        from sqlalchemy.engine import make_url

        from db.engine import libpq_url

        scratch_db = f"as_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(libpq_url(env["DATABASE_URL"]), autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{scratch_db}"')
        env["DATABASE_URL"] = (
            make_url(env["DATABASE_URL"]).set(database=scratch_db).render_as_string(False)
        )
        where = "DATABASE_URL server (scratch database)"
    else:
        env["ARTICLE_STORE_DATA_DIR"] = str(tmp)
        where = "embedded PostgreSQL"
    env["ARTICLE_STORE_LOG_LEVEL"] = "WARNING"
    env["ARTICLE_STORE_RUN_WORKER"] = "false"
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "cli", "serve", "--port", str(port), "--no-seed"],
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
                if httpx.get(f"{base}/v1/articles?limit=1", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.time() > deadline or server.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.5)
        rng = random.Random(4)
        start = datetime(2024, 1, 1, tzinfo=UTC)
        articles = [_article(rng, i, start) for i in range(args.articles)]
        size = sum(len(str(a["body"]).encode()) for a in articles)
        latencies = []
        created = 0
        with httpx.Client(base_url=base, timeout=300) as client:
            t0 = time.perf_counter()
            for k in range(0, len(articles), args.batch):
                t = time.perf_counter()
                r = client.post("/v1/articles:batch", json={"items": articles[k : k + args.batch]})
                r.raise_for_status()
                latencies.append(time.perf_counter() - t)
                created += r.json()["summary"]["created"]
            elapsed = time.perf_counter() - t0
            # re-posting is a no-op: measure that too (sha256 comparison only)
            t1 = time.perf_counter()
            for k in range(0, min(len(articles), 2000), args.batch):
                client.post("/v1/articles:batch", json={"items": articles[k : k + args.batch]})
            noop = min(len(articles), 2000) / (time.perf_counter() - t1)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            server.kill()
        if scratch_db:
            import psycopg

            from db.engine import libpq_url

            with psycopg.connect(libpq_url(os.environ["DATABASE_URL"]), autocommit=True) as c:
                c.execute(f'DROP DATABASE IF EXISTS "{scratch_db}" WITH (FORCE)')
        shutil.rmtree(tmp, ignore_errors=True)

    rate = created / elapsed
    latencies.sort()
    lines = [
        f"- {created:,} new plain-text articles ({size / created / 1024:.1f} KiB of text each) "
        f"in batches of {args.batch} on {where}: **{rate:,.0f} articles/s** "
        f"({elapsed:.1f} s; per batch median {latencies[len(latencies) // 2]:.2f} s, "
        f"max {latencies[-1]:.2f} s). Includes fingerprinting, LSH story lookup, full-text "
        "indexing.",
        f"- Re-posting unchanged articles (no-op after the sha256 check): {noop:,.0f} articles/s.",
    ]
    for line in lines:
        print(line)
    if not args.no_write:
        _write_section(lines, f"python -m bench.ingest_bench --articles {args.articles}")


def _write_section(lines: list[str], command: str) -> None:
    text = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d")
    section = f"## Ingest\n\n`{command}` ({stamp}, {os.cpu_count()} CPUs)\n\n" + "\n".join(lines)
    if "## Ingest" in text:
        head, _, rest = text.partition("## Ingest")
        nxt = rest.find("\n## ")
        text = head + section + "\n" + (rest[nxt:] if nxt >= 0 else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.parent.mkdir(exist_ok=True)
    DOC.write_text(text)


if __name__ == "__main__":
    main()
