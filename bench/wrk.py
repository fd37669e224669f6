"""Load driver on `wrk <https://github.com/wg/wrk>`_ (compiled, a few % of one core).

The async httpx driver in :mod:`bench.load` costs most of a core at a few hundred req/s, and
on a 2-core machine that CPU is taken from the servers under test. This driver sends the same
requests with wrk:

* The endpoint's random parameters are drawn up front: ``n_requests`` ``(path, headers)``
  pairs from a seeded :class:`random.Random`, written into a Lua script whose ``request()``
  hands them out round-robin (each wrk thread from its own offset).
* A short wrk run of ``warmup`` seconds comes first and is discarded; it also has a
  ``response()`` hook that tallies status codes (a hook slows wrk, so the measured run has
  none).
* The measured run's ``done()`` prints one JSON line: requests, duration, errors, p50/p99.
  wrk counts responses with status > 399 in ``errors.status``; those, socket errors and
  timeouts are the errors. 1xx/3xx are not errors to wrk: if the warm-up saw any, a warning
  is printed.

wrk records latency from sending a request to the end of its response (closed loop, like the
httpx driver: no correction for coordinated omission).
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
import tempfile
from collections.abc import Iterable
from pathlib import Path

from bench.load import Endpoint, Result

MARK = "WRKRESULT "
STATUS_MARK = "WRKSTATUS "


def available() -> str | None:
    """Path of the wrk binary, or None."""
    return shutil.which("wrk")


def version() -> str:
    exe = available()
    if exe is None:
        return "not installed"
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=False)
    first = (out.stdout or out.stderr).strip().splitlines()
    return first[0].split(" Copyright")[0] if first else "unknown"


def _lua_str(s: str) -> str:
    """A double-quoted Lua string literal for ``s`` (UTF-8 bytes, escaped)."""
    parts = ['"']
    for b in s.encode():
        ch = chr(b)
        if ch in ('"', "\\"):
            parts.append("\\" + ch)
        elif 32 <= b < 127:
            parts.append(ch)
        else:
            parts.append(f"\\{b:03d}")
    parts.append('"')
    return "".join(parts)


def _lua_headers(h: dict[str, str]) -> str:
    return "{" + ", ".join(f"[{_lua_str(k)}] = {_lua_str(v)}" for k, v in h.items()) + "}"


def script(requests: Iterable[tuple[str, dict[str, str]]], *, count_statuses: bool) -> str:
    """The Lua script: ``requests`` round-robin; ``done()`` prints a JSON line."""
    paths: list[str] = []
    header_sets: dict[str, int] = {}
    which: list[int] = []
    for path, headers in requests:
        paths.append(path)
        key = _lua_headers(headers)
        which.append(header_sets.setdefault(key, len(header_sets) + 1))
    if not paths:
        raise ValueError("no requests")
    lines = [
        "local paths = {",
        *(f"  {_lua_str(p)}," for p in paths),
        "}",
        "local header_sets = {",
        *(f"  {h}," for h in header_sets),
        "}",
        "local which = {" + ",".join(map(str, which)) + "}",
        "local n = #paths",
        "local reqs = {}",
        "local i = 0",
        "local threads = {}",
        "local thread_no = 0",
        "statuses = {}",
        "",
        "setup = function(thread)",
        "  thread:set('offset', thread_no * 997)",
        "  thread_no = thread_no + 1",
        "  table.insert(threads, thread)",
        "end",
        "",
        "init = function(args)",
        "  for k = 1, n do",
        "    reqs[k] = wrk.format('GET', paths[k], header_sets[which[k]])",
        "  end",
        "  i = (offset or 0) % n",
        "end",
        "",
        "request = function()",
        "  i = i % n + 1",
        "  return reqs[i]",
        "end",
        "",
    ]
    if count_statuses:
        lines += [
            "response = function(status, headers, body)",
            "  statuses[status] = (statuses[status] or 0) + 1",
            "end",
            "",
        ]
    lines += [
        "done = function(summary, latency, requests)",
        "  local e = summary.errors",
        "  io.write(string.format('" + MARK + '{"requests": %d, "duration_us": %d, '
        '"bytes": %d, "connect": %d, "read": %d, "write": %d, "status": %d, '
        '"timeout": %d, "p50_us": %.1f, "p99_us": %.1f, "max_us": %.1f}\\n\', '
        "summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, "
        "e.status, e.timeout, latency:percentile(50), latency:percentile(99), latency.max))",
    ]
    if count_statuses:
        lines += [
            "  local total = {}",
            "  for _, t in ipairs(threads) do",
            "    for code, c in pairs(t:get('statuses') or {}) do",
            "      total[code] = (total[code] or 0) + c",
            "    end",
            "  end",
            "  local out = {}",
            "  for code, c in pairs(total) do",
            "    table.insert(out, string.format('\"%d\": %d', code, c))",
            "  end",
            "  io.write('" + STATUS_MARK + "{' .. table.concat(out, ', ') .. '}\\n')",
        ]
    lines += ["end", ""]
    return "\n".join(lines)


def _run(
    base: str,
    script_path: Path,
    *,
    seconds: int,
    connections: int,
    threads: int,
    timeout_s: int,
) -> tuple[dict[str, float], dict[int, int] | None]:
    exe = available()
    if exe is None:
        raise RuntimeError("wrk is not installed (apt-get install wrk)")
    argv = [
        exe,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        f"--timeout={timeout_s}s",
        "--latency",
        "-s",
        str(script_path),
        base,
    ]
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120, check=False)
    result: dict[str, float] | None = None
    statuses: dict[int, int] | None = None
    for line in proc.stdout.splitlines():
        if line.startswith(MARK):
            result = json.loads(line[len(MARK) :])
        elif line.startswith(STATUS_MARK):
            statuses = {int(k): v for k, v in json.loads(line[len(STATUS_MARK) :]).items()}
    if proc.returncode != 0 or result is None:
        raise RuntimeError(
            f"wrk failed ({proc.returncode}): {' '.join(argv)}\n{proc.stdout}\n{proc.stderr}"
        )
    return result, statuses


def drive(
    base: str,
    ep: Endpoint,
    *,
    duration: float,
    warmup: float,
    concurrency: int,
    threads: int = 1,
    seed: int = 3,
    n_requests: int = 2000,
    timeout: float = 10.0,
) -> Result:
    """Hit one endpoint for ``warmup`` (discarded) then ``duration`` seconds with wrk.

    wrk takes whole seconds: both are rounded (a warm-up under 0.5 s is skipped). Requests
    slower than ``timeout`` count as errors (wrk's latency histogram is sized by it).
    """
    rng = random.Random(seed)
    reqs = [ep.make(rng) for _ in range(n_requests)]
    threads = max(1, min(threads, concurrency))
    kw = {"connections": concurrency, "threads": threads, "timeout_s": max(1, math.ceil(timeout))}
    seen: dict[int, int] = {}
    with tempfile.TemporaryDirectory(prefix="as-bench-wrk-") as tmp:
        if round(warmup) >= 1:
            warm = Path(tmp) / "warmup.lua"
            warm.write_text(script(reqs, count_statuses=True))
            _, warm_statuses = _run(base, warm, seconds=round(warmup), **kw)
            seen = warm_statuses or {}
            odd = {c: n for c, n in seen.items() if not 200 <= c < 300 and c < 400}
            if odd:
                print(f"  WARNING {ep.name}: non-2xx responses wrk counts as ok: {odd}")
        main = Path(tmp) / "measure.lua"
        main.write_text(script(reqs, count_statuses=False))
        r, _ = _run(base, main, seconds=max(1, round(duration)), **kw)
    requests = int(r["requests"])
    status_errors = int(r["status"])
    socket_errors = int(r["connect"] + r["read"] + r["write"] + r["timeout"])
    statuses: dict[int, int] = {}
    if requests - status_errors > 0:
        statuses[200] = requests - status_errors  # 2xx (and 3xx, which wrk does not flag)
    if status_errors:
        # wrk only counts "status > 399"; name the code if the warm-up saw just one
        codes = [c for c in seen if c >= 400]
        statuses[codes[0] if len(codes) == 1 else 400] = status_errors
    if socket_errors:
        statuses[0] = socket_errors
    nan = float("nan")
    return Result(
        ep.name,
        requests,
        status_errors + socket_errors,
        r["duration_us"] / 1e6,
        r["p50_us"] / 1000 if requests else nan,
        r["p99_us"] / 1000 if requests else nan,
        statuses,
    )
