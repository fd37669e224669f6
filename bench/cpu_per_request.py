"""Server CPU per request, the API against the floor, on sequential requests.

    python -m bench.cpu_per_request --database-url postgresql://postgres@127.0.0.1:5432/bench_10k \\
        "/v1/claims?topic=conflict-war-peace" "/v1/articles/77/annotations" [--requests 300]

Starts the API (``article-store serve --workers 1 --no-worker``) and the floor
(:mod:`bench.floor`, one uvicorn worker) on the same database, sends each path ``--requests``
times one after the other (after 30 to warm up) and prints the CPU seconds each server's
processes used per request (user + system, from ``/proc``), and their ratio.

Throughput ratios (``python -m bench``) need a quiet machine; CPU per request moves much less
when something else is running, so it is the way to compare two versions of a route while the
machine is busy (run it on each and compare the API/floor ratios). PostgreSQL's CPU is the same
for both servers and not counted. Linux only (``/proc``).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import httpx

from bench.load import Server, api_server, floor_server

WARM_UP = 30


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of every process in the process group ``pgid`` (the servers start
    in their own session, workers included)."""
    ticks = 0
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:
            ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def measure(server: Server, path: str, n: int) -> tuple[float, int]:
    """(CPU ms per request, last status) of ``n`` sequential GETs."""
    assert server.proc is not None
    with httpx.Client(base_url=server.base, timeout=30) as client:
        for _ in range(WARM_UP):
            client.get(path)
        cpu0 = group_cpu_seconds(server.proc.pid)
        status = 0
        for _ in range(n):
            status = client.get(path).status_code
        cpu1 = group_cpu_seconds(server.proc.pid)
    return (cpu1 - cpu0) / n * 1000, status


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("paths", nargs="+", help="request paths with query, e.g. /v1/articles")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="cpu-per-request-"))
    servers = [
        api_server(args.database_url, 1, 4, tmp, tmp / "data"),
        floor_server(args.database_url, 1, 4, tmp),
    ]
    try:
        for s in servers:
            s.start()
        print(f"{'path':58} {'api ms':>7} {'floor ms':>8} {'api/floor':>9}  (CPU per request)")
        for path in args.paths:
            (api_cpu, api_status), (floor_cpu, floor_status) = (
                measure(s, path, args.requests) for s in servers
            )
            flag = (
                "" if api_status == floor_status == 200 else f"  status {api_status}/{floor_status}"
            )
            print(
                f"{path[:58]:58} {api_cpu:7.2f} {floor_cpu:8.2f} {api_cpu / floor_cpu:9.2f}{flag}"
            )
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    main()
