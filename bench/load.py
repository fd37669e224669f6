"""Load driver: bounded, self-stopping async httpx loops against servers on 127.0.0.1.

(The fallback: ``python -m bench`` uses the compiled wrk through :mod:`bench.wrk` when
``wrk`` is on PATH, since this client takes most of a core from the servers it measures.)

For each endpoint: a short warm-up, then ``concurrency`` workers send requests back to back
for ``duration`` seconds; req/s, p50 and p99 are computed from every request's wall time.
The API (``article-store serve --workers W --no-worker``) and the floor
(:mod:`bench.floor` under uvicorn with the same worker count) run on the same database and
are never loaded together, so they do not compete for the two cores: each endpoint is
measured on the API, then on the floor.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import asyncpg
import httpx

from bench import queries as sql
from service.pagination import encode_cursor

HOST = "127.0.0.1"


@dataclass
class Endpoint:
    name: str
    make: Callable[[random.Random], tuple[str, dict[str, str]]]  # → (path?query, headers)
    api: bool = True  # False: the API has no such route yet (reported as pending)
    note: str = ""


@dataclass
class Result:
    endpoint: str
    requests: int
    errors: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "requests": self.requests,
            "errors": self.errors,
            "rps": round(self.rps, 1),
            "p50_ms": round(self.p50_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "statuses": {str(k): v for k, v in self.statuses.items()},
        }


def _pct(sorted_ms: list[float], p: float) -> float:
    if not sorted_ms:
        return float("nan")
    k = min(len(sorted_ms) - 1, max(0, math.ceil(p / 100 * len(sorted_ms)) - 1))
    return sorted_ms[k]


async def drive(
    base: str, ep: Endpoint, *, duration: float, warmup: float, concurrency: int, seed: int = 3
) -> Result:
    """Hit one endpoint for ``warmup`` + ``duration`` seconds; only the latter is counted."""
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0) as client:
        lat: list[float] = []
        statuses: dict[int, int] = {}
        errors = 0
        start = time.perf_counter()
        measure_from = start + warmup
        stop_at = measure_from + duration

        async def worker(i: int) -> None:
            nonlocal errors
            rng = random.Random(seed * 1000 + i)
            while True:
                now = time.perf_counter()
                if now >= stop_at:
                    return
                url, headers = ep.make(rng)
                t0 = time.perf_counter()
                try:
                    resp = await client.get(url, headers=headers)
                    await resp.aread()
                    status = resp.status_code
                except httpx.HTTPError:
                    status = 0
                t1 = time.perf_counter()
                if t0 >= measure_from and t1 <= stop_at:
                    lat.append((t1 - t0) * 1000)
                    statuses[status] = statuses.get(status, 0) + 1
                    if status != 200:
                        errors += 1

        await asyncio.gather(*(worker(i) for i in range(concurrency)))
        lat.sort()
        return Result(ep.name, len(lat), errors, duration, _pct(lat, 50), _pct(lat, 99), statuses)


# --- parameters drawn from the corpus ---------------------------------------------------------


@dataclass
class Params:
    popular_speaker: str
    mid_speaker: str
    rare_speakers: list[str]
    topic_slug: str
    topic_ids: list[int]
    leaf_topic_slug: str
    outlet_name: str
    since: datetime
    range_since: datetime
    range_until: datetime
    deep_cursor: str
    deep_page: int
    n_articles: int
    diff_ids: list[int]

    def as_dict(self) -> dict[str, Any]:
        return {
            "popular_speaker": self.popular_speaker,
            "mid_speaker": self.mid_speaker,
            "rare_speakers": self.rare_speakers[:5],
            "topic_slug": self.topic_slug,
            "topic_tree_size": len(self.topic_ids),
            "leaf_topic": self.leaf_topic_slug,
            "deep_page": self.deep_page,
            "outlet": self.outlet_name,
            "since": self.since.isoformat(),
            "range": [self.range_since.isoformat(), self.range_until.isoformat()],
        }


async def pick_params(url: str, page: int = 1000, limit: int = 50) -> Params:
    conn = await asyncpg.connect(url)
    try:
        n = int(await conn.fetchval("SELECT max(id) FROM entities"))
        popular = await conn.fetchval("SELECT name FROM entities WHERE id = 1")
        mid = await conn.fetchval("SELECT name FROM entities WHERE id = 20")
        rare = [
            r[0]
            for r in await conn.fetch(
                "SELECT e.name FROM entities e WHERE e.id > $1 "
                "AND EXISTS (SELECT 1 FROM quotes q WHERE q.speaker_id = e.id) "
                "ORDER BY e.id LIMIT 200",
                int(n * 0.8),
            )
        ]
        # the top-level topic with the most descendants (the heaviest "with descendants")
        topic = await conn.fetchrow(
            "SELECT p.slug, p.id FROM topics p JOIN topics c ON c.parent_id = p.id "
            "WHERE p.parent_id IS NULL GROUP BY p.id ORDER BY count(*) DESC, p.id LIMIT 1"
        )
        tree = await conn.fetch(
            "WITH RECURSIVE t AS (SELECT id FROM topics WHERE id = $1 UNION ALL "
            "SELECT c.id FROM topics c JOIN t ON c.parent_id = t.id) SELECT id FROM t",
            topic["id"],
        )
        # a topic without children (the least-linked one on a generated corpus: highest id)
        leaf = await conn.fetchval(
            "SELECT t.slug FROM topics t WHERE NOT EXISTS "
            "(SELECT 1 FROM topics c WHERE c.parent_id = t.id) "
            "AND EXISTS (SELECT 1 FROM claim_topics ct WHERE ct.topic_id = t.id) "
            "ORDER BY t.id DESC LIMIT 1"
        )
        outlet = await conn.fetchval("SELECT name FROM outlets WHERE id = 2")
        n_articles = int(await conn.fetchval("SELECT max(id) FROM articles"))
        page = min(page, max(2, n_articles // limit - 1))  # 10k articles have 200 pages
        # the cursor a client holds after `page - 1` pages of `limit` (newest first)
        last = await conn.fetchrow(
            "SELECT published_sort, id FROM articles ORDER BY published_sort DESC, id DESC "
            "OFFSET $1 LIMIT 1",
            (page - 1) * limit - 1,
        )
        deep = encode_cursor(sql.articles_cursor_kind(), (last["published_sort"], last["id"]))
        diff_ids = [
            r[0]
            for r in await conn.fetch(
                "SELECT id FROM articles WHERE current_revision > 1 AND id % 13 = 0 LIMIT 500"
            )
        ]
    finally:
        await conn.close()
    return Params(
        popular_speaker=popular,
        mid_speaker=mid,
        rare_speakers=rare,
        topic_slug=topic["slug"],
        topic_ids=[r[0] for r in tree],
        leaf_topic_slug=leaf or topic["slug"],
        outlet_name=outlet,
        since=datetime(2020, 1, 1, tzinfo=UTC),
        range_since=datetime(2019, 1, 1, tzinfo=UTC),
        range_until=datetime(2020, 1, 1, tzinfo=UTC),
        deep_cursor=deep,
        deep_page=page,
        n_articles=n_articles,
        diff_ids=diff_ids or [1],
    )


def endpoints(p: Params, claims_api: dict[str, str] | None) -> list[Endpoint]:
    """The benchmarked requests. ``claims_api``: extra query for /v1/claims, or None."""

    def fixed(path: str, query: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        url = f"{path}?{urlencode(query, doseq=True)}" if query else path
        return lambda _rng: (url, headers or {})

    return [
        Endpoint("quotes_speaker_popular", fixed("/v1/quotes", {"speaker": p.popular_speaker})),
        Endpoint(
            "quotes_speaker_rare",
            lambda rng: (
                "/v1/quotes?" + urlencode({"speaker": rng.choice(p.rare_speakers)}),
                {},
            ),
        ),
        Endpoint(
            "quotes_speaker_range",
            fixed(
                "/v1/quotes",
                {
                    "speaker": p.mid_speaker,
                    "since": p.range_since.isoformat(),
                    "until": p.range_until.isoformat(),
                },
            ),
        ),
        Endpoint(
            "claims_topic_tree",
            fixed("/v1/claims", {"topic": p.topic_slug, **(claims_api or {})}),
            api=claims_api is not None,
            note="" if claims_api is not None else "claims API pending",
        ),
        Endpoint(
            "claims_topic_leaf",
            fixed("/v1/claims", {"topic": p.leaf_topic_slug, **(claims_api or {})}),
            api=claims_api is not None,
        ),
        Endpoint("articles_page1", fixed("/v1/articles", {})),
        Endpoint("articles_page1000", fixed("/v1/articles", {"cursor": p.deep_cursor})),
        Endpoint(
            "articles_filtered",
            fixed("/v1/articles", {"outlet": p.outlet_name, "since": p.since.isoformat()}),
        ),
        Endpoint(
            "articles_count_exact",
            fixed(
                "/v1/articles",
                {"outlet": p.outlet_name, "since": p.since.isoformat()},
                {"Prefer": "count=exact"},
            ),
        ),
        Endpoint(
            "articles_count_estimated",
            fixed(
                "/v1/articles",
                {"outlet": p.outlet_name, "since": p.since.isoformat()},
                {"Prefer": "count=estimated"},
            ),
        ),
        Endpoint(
            "article_annotations",
            lambda rng: (f"/v1/articles/{rng.randint(1, p.n_articles)}/annotations", {}),
        ),
        Endpoint(
            "revision_diff",
            lambda rng: (f"/v1/articles/{rng.choice(p.diff_ids)}/diff", {}),
        ),
    ]


# --- servers ---------------------------------------------------------------------------------


_handed_out: set[int] = set()


def free_port() -> int:
    """A free port: any, or the first free one of ``BENCH_PORTS`` (``8080-8089``) on a
    machine whose users share out port ranges."""
    span = os.environ.get("BENCH_PORTS")
    candidates = [0]
    if span:
        low, _, high = span.partition("-")
        candidates = list(range(int(low), int(high or low) + 1))
    for port in candidates:
        if port in _handed_out:
            continue
        with socket.socket() as s:
            try:
                s.bind((HOST, port))
            except OSError:
                continue
            if port:
                _handed_out.add(port)  # not bound yet by its server: not handed out twice
            return int(s.getsockname()[1])
    raise RuntimeError(f"no free port in BENCH_PORTS={span}")


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    port: int
    proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self, timeout: float = 90.0) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        out = self.log.open("wb")
        self.proc = subprocess.Popen(
            self.argv, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        self.stop()
        raise RuntimeError(f"{self.name} did not become ready; see {self.log}")

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, 15)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, 9)
            self.proc.wait()


def api_server(db_url: str, workers: int, pool_size: int, log_dir: Path, data_dir: Path) -> Server:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": db_url,
        "ARTICLE_STORE_DATA_DIR": str(data_dir),
        "ARTICLE_STORE_ANON_RATE_LIMIT_PER_MINUTE": "0",
        "ARTICLE_STORE_RATE_LIMIT_PER_MINUTE": "0",
        "ARTICLE_STORE_READINESS_MIN_WORKERS": "0",  # the API alone, no annotation worker
        "ARTICLE_STORE_DB_POOL_SIZE": str(pool_size),
        "ARTICLE_STORE_LOG_FORMAT": "json",
        "ARTICLE_STORE_LOG_LEVEL": os.environ.get("ARTICLE_STORE_LOG_LEVEL", "INFO"),
    }
    env.pop("READ_DATABASE_URL", None)
    argv = [
        sys.executable,
        "-m",
        "cli",
        "serve",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-worker",
        "--no-seed",
    ]
    return Server("api", argv, env, log_dir / "api.log", port)


def floor_server(db_url: str, workers: int, pool_size: int, log_dir: Path) -> Server:
    port = free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "ARTICLE_STORE_DB_POOL_SIZE": str(pool_size)}
    argv = [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.floor:app",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    return Server("floor", argv, env, log_dir / "floor.log", port)


def claims_route(base: str) -> dict[str, str] | None:
    """Extra query parameters for /v1/claims by topic with descendants, if the API has it."""
    try:
        spec = httpx.get(f"{base}/openapi.json", timeout=10).json()
    except (httpx.HTTPError, ValueError):
        return None
    op = spec.get("paths", {}).get("/v1/claims", {}).get("get")
    if not op:
        return None
    names = {p.get("name") for p in op.get("parameters", [])}
    if "topic" not in names:
        return None
    for flag in ("descendants", "include_descendants", "with_descendants"):
        if flag in names:
            return {flag: "true"}
    return {}


async def explain_all(url: str, p: Params) -> dict[str, str]:
    """EXPLAIN (ANALYZE, BUFFERS) of each hot query, with the benchmark's parameters."""
    # the API's connection settings (service.settings.db_parallel_workers): the API's plans
    conn = await asyncpg.connect(url, server_settings={"max_parallel_workers_per_gather": "0"})
    out: dict[str, str] = {}
    try:
        popular_ids = [r[0] for r in await conn.fetch(sql.SPEAKER_IDS, p.popular_speaker.lower())]
        rare_ids = [r[0] for r in await conn.fetch(sql.SPEAKER_IDS, p.rare_speakers[0].lower())]
        mid_ids = [r[0] for r in await conn.fetch(sql.SPEAKER_IDS, p.mid_speaker.lower())]
        from service.pagination import decode_cursor

        after = decode_cursor(p.deep_cursor, sql.articles_cursor_kind(), (datetime, int))
        topic = await conn.fetchrow(sql.TOPIC_FILTER_IDS, p.topic_slug)
        tree = list(topic[1]) if topic is not None else []
        leaf = await conn.fetchrow(sql.TOPIC_FILTER_IDS, p.leaf_topic_slug)
        leaf_tree = list(leaf[1]) if leaf is not None else []
        outlet = await conn.fetchval(sql.OUTLET_IDS_NAMED, [p.outlet_name.lower()], [])
        diff_article = p.diff_ids[0]
        cases: list[tuple[str, str, tuple[Any, ...]]] = [
            ("speaker_ids (name → entity ids)", sql.SPEAKER_IDS, (p.popular_speaker.lower(),)),
            (
                "quotes_speaker_popular",
                sql.quotes_by_speaker(len(popular_ids), 51),
                (*popular_ids,),
            ),
            ("quotes_speaker_rare", sql.quotes_by_speaker(len(rare_ids), 51), (*rare_ids,)),
            (
                "quotes_speaker_range",
                sql.quotes_by_speaker(len(mid_ids), 51, ranged=True),
                (*mid_ids, p.range_since, p.range_until),
            ),
            ("claims_topic_tree: topic tree", sql.TOPIC_FILTER_IDS, (p.topic_slug,)),
            ("claims_topic_tree", sql.claims_by_topic(51), (tree,)),
            ("claims_topic_leaf", sql.claims_by_topic(51), (leaf_tree,)),
            ("articles_page1", sql.articles_page(51), ()),
            ("articles_page1000", sql.articles_after(51), (after[0], after[1])),
            ("articles_filtered", sql.articles_filtered(51), (outlet, p.since)),
            ("articles_count_exact", sql.articles_filtered(51, "exact"), (outlet, p.since)),
            ("annotations (one statement)", sql.REVISION_VIEW, (p.n_articles // 2,)),
            ("revision_diff (one statement)", sql.REVISION_DIFF, (diff_article,)),
        ]
        for _ in range(2):  # the second pass is the one kept: warm cache, like the load runs
            for name, query, args in cases:
                rows = await conn.fetch("EXPLAIN (ANALYZE, BUFFERS) " + query, *args)
                out[name] = "\n".join(r[0] for r in rows)
    finally:
        await conn.close()
    return out
