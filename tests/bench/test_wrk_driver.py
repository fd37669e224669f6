"""bench.wrk against a tiny ASGI app under uvicorn (no database)."""

from __future__ import annotations

import math
import random
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from bench import wrk
from bench.load import Endpoint, free_port

pytestmark = pytest.mark.skipif(wrk.available() is None, reason="wrk is not installed")

# a header value that needs escaping in the generated Lua
SECRET = 'a"b\\c ü'

APP = textwrap.dedent(
    """
    SECRET = {secret!r}.encode()

    async def app(scope, receive, send):
        if scope["type"] != "http":
            return
        headers = dict(scope["headers"])
        ok = scope["path"] in ("/ok", "/readyz") and (
            scope["path"] == "/readyz" or headers.get(b"x-bench") == SECRET
        )
        await send(
            {{
                "type": "http.response.start",
                "status": 200 if ok else 404,
                "headers": [(b"content-type", b"text/plain")],
            }}
        )
        await send({{"type": "http.response.body", "body": b"ok" if ok else b"no"}})
    """
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    d: Path = tmp_path_factory.mktemp("wrkapp")
    (d / "tinyapp.py").write_text(APP.format(secret=SECRET))
    port = free_port()
    argv = [sys.executable, "-m", "uvicorn", "tinyapp:app", "--app-dir", str(d)]
    argv += ["--port", str(port), "--no-access-log", "--log-level", "warning"]
    proc = subprocess.Popen(argv)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("tiny server did not start")
            time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _make(rng: random.Random) -> tuple[str, dict[str, str]]:
    if rng.random() < 0.25:
        return "/missing", {}
    return f"/ok?i={rng.randint(1, 10**6)}&q=%22x%22", {"X-Bench": SECRET}


def test_wrk_driver_counts_requests_latency_and_404s(server: str) -> None:
    r = wrk.drive(server, Endpoint("tiny", _make), duration=1, warmup=1, concurrency=4)
    assert r.requests > 100
    assert 0.9 <= r.seconds <= 2.0
    assert 0 < r.p50_ms <= r.p99_ms < 1000
    share = r.errors / r.requests
    assert 0.15 < share < 0.35, r  # a quarter of the requests are 404s
    assert r.statuses == {200: r.requests - r.errors, 404: r.errors}
    assert r.rps > 100


def test_wrk_driver_all_ok_with_two_threads(server: str) -> None:
    ep = Endpoint("tiny_ok", lambda rng: ("/ok", {"X-Bench": SECRET}))
    r = wrk.drive(server, ep, duration=1, warmup=0, concurrency=2, threads=2)
    assert r.requests > 100 and r.errors == 0 and set(r.statuses) == {200}
    assert not math.isnan(r.p99_ms)


def test_lua_string_escaping() -> None:
    assert wrk._lua_str('a"b\\c') == '"a\\"b\\\\c"'
    assert wrk._lua_str("ü\n") == '"\\195\\188\\010"'
