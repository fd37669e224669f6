"""Read benchmark: synthetic corpus → API under load → same queries on a bare floor server.

    python -m bench --quick                                  # 10k articles, ~2 minutes
    python -m bench --articles 1000000 --duration 20 \\
        --database-url postgresql://postgres@127.0.0.1:5432/bench_1m

Without ``--database-url`` an embedded PostgreSQL is started in ``--data-dir``. A corpus of
the requested size already there is reused; anything else is replaced (a store that is not a
bench corpus is refused unless ``--replace``). Load comes from wrk when it is on PATH
(``--driver``; the async httpx client otherwise). Prints a table and writes JSON (with the
`EXPLAIN (ANALYZE, BUFFERS)` of every hot query) to ``bench/results/``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg

from bench import corpus, load
from bench import wrk as wrk_driver

RESULTS = Path(__file__).resolve().parent / "results"


def _args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n")[0])
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--duration", type=float, default=10.0, help="seconds measured per endpoint")
    ap.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    ap.add_argument("--concurrency", type=int, default=8, help="requests in flight")
    ap.add_argument(
        "--driver",
        choices=["auto", "wrk", "httpx"],
        default="auto",
        help="load generator (auto: wrk if on PATH, else the async httpx client)",
    )
    ap.add_argument("--threads", type=int, default=1, help="wrk threads")
    ap.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="API/floor pairs per endpoint, in alternating order; the median ratio is kept",
    )
    ap.add_argument("--workers", type=int, default=2, help="server processes (API and floor)")
    ap.add_argument("--pool-size", type=int, default=5, help="connections per server process")
    ap.add_argument("--loaders", type=int, default=2, help="corpus loader processes")
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"))
    ap.add_argument(
        "--data-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "as-bench",
        help="embedded PostgreSQL directory (when no --database-url)",
    )
    ap.add_argument("--quick", action="store_true", help="10k articles, 3 s per endpoint")
    ap.add_argument("--replace", action="store_true", help="replace a non-bench store")
    ap.add_argument("--regenerate", action="store_true", help="reload even if the size matches")
    ap.add_argument("--load-only", action="store_true", help="build the corpus and stop")
    ap.add_argument("--only", nargs="*", help="endpoint names to run (default: all)")
    ap.add_argument("--no-explain", action="store_true")
    args = ap.parse_args(argv)
    if args.quick:
        args.articles, args.duration, args.warmup = 10_000, 3.0, 1.0
    if args.driver == "auto":
        args.driver = "wrk" if shutil.which("wrk") else "httpx"
    elif args.driver == "wrk" and not shutil.which("wrk"):
        ap.error("--driver wrk: wrk is not on PATH (apt-get install wrk)")
    if args.concurrency < 1 or args.threads < 1 or args.rounds < 1:
        ap.error("--concurrency, --threads and --rounds must be at least 1")
    return args


def _driver_label(args: argparse.Namespace) -> str:
    if args.driver == "wrk":
        threads = min(args.threads, args.concurrency)
        return f"{wrk_driver.version()}, {threads} thread(s), {args.concurrency} connections"
    return f"async httpx, {args.concurrency} requests in flight"


async def _store_state(url: str) -> tuple[int | None, int]:
    size = await corpus.corpus_size(url)
    conn = await asyncpg.connect(url)
    try:
        articles = int(await conn.fetchval("SELECT count(*) FROM articles"))
    finally:
        await conn.close()
    return size, articles


def _machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    with contextlib.suppress(OSError):
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split(":", 1)[1].strip()
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def _fmt(v: float | None, spec: str) -> str:
    return "—" if v is None else format(v, spec)


def print_table(rows: list[dict[str, Any]]) -> None:
    head = (
        f"{'endpoint':<26} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} │ "
        f"{'floor/s':>8} {'p50 ms':>8} {'p99 ms':>8} │ {'ratio':>6}  note"
    )
    print(head)
    print("─" * len(head))
    for r in rows:
        a, f = r.get("api"), r.get("floor")
        ratio = r.get("ratio")
        print(
            f"{r['endpoint']:<26} "
            f"{_fmt(a and a['rps'], '8.0f'):>8} {_fmt(a and a['p50_ms'], '8.1f'):>8} "
            f"{_fmt(a and a['p99_ms'], '8.1f'):>8} │ "
            f"{_fmt(f and f['rps'], '8.0f'):>8} {_fmt(f and f['p50_ms'], '8.1f'):>8} "
            f"{_fmt(f and f['p99_ms'], '8.1f'):>8} │ "
            f"{_fmt(ratio, '6.0%'):>6}  {r.get('note', '')}"
        )


def main(argv: list[str] | None = None) -> int:
    args = _args(argv)
    started = time.perf_counter()
    embedded = None
    url = args.database_url
    if not url:
        from db.embedded import EmbeddedPostgres

        args.data_dir.mkdir(parents=True, exist_ok=True)
        embedded = EmbeddedPostgres(args.data_dir / "pg")
        url = embedded.start()
        print(f"database: embedded PostgreSQL in {args.data_dir / 'pg'}")
    from db import migrate
    from db.engine import libpq_url, redact

    url = libpq_url(url)
    print(f"load driver: {args.driver} ({_driver_label(args)})", flush=True)
    out: dict[str, Any] = {
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "python -m bench " + " ".join(argv if argv is not None else sys.argv[1:]),
        "machine": _machine(),
        "settings": {
            k: (str(v) if isinstance(v, Path) else v)
            for k, v in vars(args).items()
            if k != "database_url"
        }
        | {"driver_detail": _driver_label(args)},
        "database": redact(url),
    }
    try:
        migrate.upgrade(url, "head")
        size, present = asyncio.run(_store_state(url))
        if present and size is None and not args.replace:
            print("the store holds articles that are not a bench corpus; use --replace")
            return 2
        if size != args.articles or args.regenerate:
            print(f"generating {args.articles:,} articles …", flush=True)
            report = asyncio.run(corpus.generate(url, args.articles, processes=args.loaders))
            out["load"] = report.as_dict()
            print(
                f"loaded {report.rows:,} rows in {report.total_seconds:.1f} s "
                f"(COPY {report.copy_seconds:.1f} s = {report.rows / report.copy_seconds:,.0f}"
                f" rows/s; indexes {report.index_seconds:.1f} s; vacuum/analyze "
                f"{report.vacuum_seconds:.1f} s): {report.table_rows}",
                flush=True,
            )
            bad = corpus.check_sample(url)
            out["load"]["offset_mismatches_in_sample"] = bad
            if bad:
                print(f"WARNING: {bad} quote/claim texts differ from body[start:end]")
        else:
            print(f"reusing the corpus of {size:,} articles")
        if args.load_only:
            print(json.dumps(out.get("load", {}), indent=2))
            return 0
        params = asyncio.run(load.pick_params(url))
        out["params"] = params.as_dict()
        out["results"] = run_load(args, url, params)
        if not args.no_explain:
            out["explain"] = asyncio.run(load.explain_all(url, params))
    finally:
        if embedded is not None:
            embedded.stop()
    print_table(out["results"])
    RESULTS.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}-{args.articles}.json"
    out["elapsed_seconds"] = round(time.perf_counter() - started, 1)
    path.write_text(json.dumps(out, indent=2, default=str))
    print(f"\nwrote {path} ({out['elapsed_seconds']:.0f} s in all)")
    return 0


def run_load(args: argparse.Namespace, url: str, params: load.Params) -> list[dict[str, Any]]:
    log_dir = RESULTS / "logs"
    data_dir = Path(tempfile.mkdtemp(prefix="as-bench-api-"))
    api = load.api_server(url, args.workers, args.pool_size, log_dir, data_dir)
    floor = load.floor_server(url, args.workers, args.pool_size, log_dir)

    def drive(base: str, ep: load.Endpoint) -> load.Result:
        kw = {"duration": args.duration, "warmup": args.warmup, "concurrency": args.concurrency}
        if args.driver == "wrk":
            return wrk_driver.drive(base, ep, threads=args.threads, **kw)
        return asyncio.run(load.drive(base, ep, **kw))

    # (api, floor) results of each round, per endpoint
    rounds: dict[str, list[tuple[load.Result | None, load.Result]]] = {}
    # Both servers are up, but only one is under load at a time: each endpoint is measured
    # on the API and on the floor, seconds apart, so that the ratio of one endpoint compares
    # two measurements under the same load from the machine's other users. With --rounds N
    # the pair is measured N times, the order alternating (API first, then floor first), and
    # the round with the median ratio is kept: this host's speed drifts by tens of percent
    # within a minute, and one pair can land on either side of a drift.
    api.start()
    try:
        floor.start()
        try:
            eps = load.endpoints(params, load.claims_route(api.base))
            if args.only:
                eps = [e for e in eps if e.name in args.only]
            for ep in eps:
                for r in range(args.rounds):
                    order = ["api", "floor"] if r % 2 == 0 else ["floor", "api"]
                    got: dict[str, load.Result] = {}
                    for side in order:
                        if side == "api" and not ep.api:
                            continue
                        got[side] = drive(api.base if side == "api" else floor.base, ep)
                        print(f"  {side:<5} {ep.name:<26} {got[side].rps:8.0f} req/s", flush=True)
                    rounds.setdefault(ep.name, []).append((got.get("api"), got["floor"]))
        finally:
            floor.stop()
    finally:
        api.stop()
    rows = []
    for ep in eps:
        a, f, ratios = _median_round(rounds[ep.name])
        note = ep.note
        if len(ratios) > 1:
            note = f"{note} ratios {min(ratios):.0%}–{max(ratios):.0%} in {len(ratios)} rounds"
            note = note.strip()
        if a is not None and a.errors:
            note = f"{note} api errors: {a.statuses}".strip()
        if f is not None and f.errors:
            note = f"{note} floor errors: {f.statuses}".strip()
        rows.append(
            {
                "endpoint": ep.name,
                "api": a.as_dict() if a else None,
                "floor": f.as_dict() if f else None,
                "ratio": round(a.rps / f.rps, 3) if a and f and f.rps else None,
                "note": note,
            }
        )
    return rows


def _median_round(
    pairs: list[tuple[load.Result | None, load.Result]],
) -> tuple[load.Result | None, load.Result, list[float]]:
    """The (api, floor) pair of the round with the median ratio (the lower middle one of an
    even count), and every round's ratio."""
    ratios = [a.rps / f.rps for a, f in pairs if a is not None and f.rps]
    if len(ratios) < len(pairs):  # no API route, or a floor that answered nothing
        return pairs[0][0], pairs[0][1], ratios
    order = sorted(range(len(pairs)), key=lambda i: ratios[i])
    a, f = pairs[order[(len(order) - 1) // 2]]
    return a, f, ratios


if __name__ == "__main__":
    raise SystemExit(main())
