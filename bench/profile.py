"""Profile one API request in-process: SQL statements per request and where the Python time goes.

    python -m bench.profile --database-url postgresql://postgres@127.0.0.1:5432/bench_10k \\
        "/v1/claims?topic=conflict-war-peace" [--requests 300] [--top 25]

The app is built by :func:`api.app.create_app` and driven through httpx's ASGI transport (no
socket, no server), so the figures are the app's own cost per request: the statements it sends
(counted and timed with SQLAlchemy cursor events) and a cProfile of the whole request,
also written to ``PROFILE_DUMP`` (default ``/tmp/api.prof``) for ``pstats``.

cProfile inflates Python-heavy code several times over: a change it credits with a
millisecond may save nothing measurable (docs/benchmarks.md, session of 2026-12-02). Check
a change with the server's own CPU per request, or py-spy on a served worker.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import os
import pstats
import time
from typing import Any

import httpx
from sqlalchemy import event


async def _run(
    path: str, n: int, headers: dict[str, str], top: int, sort: str, show_sql: bool
) -> None:
    from api.app import create_app
    from service.settings import Settings

    settings = Settings(rate_limit_per_minute=0, anon_rate_limit_per_minute=0)
    app = create_app(settings)
    statements: list[tuple[str, float]] = []
    shown: set[str] = set()

    async with app.router.lifespan_context(app):
        engine = app.state.read_engine.sync_engine

        @event.listens_for(engine, "before_cursor_execute")
        def _before(
            conn: Any, cursor: Any, stmt: str, params: Any, context: Any, many: bool
        ) -> None:
            conn.info["t0"] = time.perf_counter()

        @event.listens_for(engine, "after_cursor_execute")
        def _after(
            conn: Any, cursor: Any, stmt: str, params: Any, context: Any, many: bool
        ) -> None:
            statements.append((stmt, time.perf_counter() - conn.info.pop("t0")))
            if show_sql and len(shown) < 10 and stmt not in shown:
                shown.add(stmt)
                print(f"-- {params}\n{stmt}\n")

        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            first = await client.get(path, headers=headers)
            print(f"GET {path} → {first.status_code}, {len(first.content):,} bytes")
            for _ in range(20):  # warm caches (compiled statements, plans)
                await client.get(path, headers=headers)
            statements.clear()
            t0 = time.perf_counter()
            for _ in range(n):  # timed without the profiler
                await client.get(path, headers=headers)
            plain = time.perf_counter() - t0
            statements.clear()
            prof = cProfile.Profile()
            t0 = time.perf_counter()
            prof.enable()
            for _ in range(n):
                await client.get(path, headers=headers)
            prof.disable()
            wall = time.perf_counter() - t0
    sql_s = sum(s for _, s in statements)
    print(
        f"{n} requests: {plain / n * 1000:.2f} ms each ({wall / n * 1000:.2f} under cProfile), "
        f"{len(statements) / n:.1f} statements each, {sql_s / n * 1000:.2f} ms of them in SQL"
    )
    seen: dict[str, list[float]] = {}
    for stmt, s in statements:
        seen.setdefault(" ".join(stmt.split())[:160], []).append(s)
    for stmt, times in sorted(seen.items(), key=lambda kv: -sum(kv[1])):
        print(f"  {len(times) / n:4.1f}× {sum(times) / len(times) * 1000:7.2f} ms  {stmt}")
    out = io.StringIO()
    prof.dump_stats(os.environ.get("PROFILE_DUMP", "/tmp/api.prof"))
    pstats.Stats(prof, stream=out).sort_stats(sort).print_stats(top)
    print(out.getvalue())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n")[0])
    ap.add_argument("path", help="request path with query, e.g. /v1/quotes?speaker=Miller")
    ap.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL"), required=False)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--header", action="append", default=[], help="Name: value")
    ap.add_argument("--top", type=int, default=30)
    ap.add_argument("--show-sql", action="store_true", help="print each distinct statement once")
    ap.add_argument("--sort", default="cumulative", help="pstats sort key (cumulative, tottime)")
    args = ap.parse_args(argv)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    if not os.environ.get("DATABASE_URL"):
        ap.error("--database-url or DATABASE_URL is required")
    headers = dict(h.split(":", 1) for h in args.header)
    headers = {k.strip(): v.strip() for k, v in headers.items()}
    asyncio.run(_run(args.path, args.requests, headers, args.top, args.sort, args.show_sql))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
