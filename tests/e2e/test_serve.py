"""The real thing: `article-store serve` as a process, spoken to over a socket."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.server import CLI, _free_port, _start, _stop, _wait_ready, child_env

pytestmark = pytest.mark.e2e


@pytest.fixture
def data_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="as-e2e-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def server_env(data_dir: Path, make_database: Callable[[], str]) -> dict[str, str]:
    return child_env(data_dir, make_database() if os.environ.get("DATABASE_URL") else None)


def _postgres_running(data_dir: Path) -> bool:
    pid_file = data_dir / "pg" / "postmaster.pid"
    if not pid_file.exists():
        return False
    pid = int(pid_file.read_text().split()[0])
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def test_serve_starts_with_seeds_and_stops_cleanly(
    server_env: dict[str, str], data_dir: Path
) -> None:
    embedded = "DATABASE_URL" not in server_env
    port = _free_port()
    log = data_dir / "serve.log"
    proc = _start(server_env, port, log)
    try:
        _wait_ready(proc, port, log)
        r = httpx.get(f"http://127.0.0.1:{port}/v1/articles", timeout=5)
        assert r.status_code == 200
        assert len(r.json()["items"]) == 5
        assert r.headers["x-request-id"]
        bad = httpx.get(f"http://127.0.0.1:{port}/v1/articles?limit=0", timeout=5)
        assert bad.status_code == 422
        assert bad.headers["content-type"] == "application/problem+json"
        if embedded:
            assert _postgres_running(data_dir)
            # a second server on the same data dir must refuse, not share or corrupt it
            second = subprocess.run(
                [*CLI, "serve", "--port", str(_free_port())],
                env=server_env,
                capture_output=True,
                timeout=60,
            )
            assert second.returncode != 0
            assert b"in use" in second.stderr + second.stdout
            assert b"Traceback" not in second.stderr
    finally:
        code = _stop(proc)
    assert code == 0, log.read_text()
    if embedded:
        assert not _postgres_running(data_dir), "embedded PostgreSQL left running"

    # a second start reuses the data: the same five articles, nothing loaded twice
    proc = _start(server_env, port, log)
    try:
        _wait_ready(proc, port, log)
        r = httpx.get(
            f"http://127.0.0.1:{port}/v1/articles",
            headers={"Prefer": "count=exact"},
            timeout=5,
        )
        assert r.json()["total"] == 5
    finally:
        assert _stop(proc) == 0


def test_cli_user_errors_are_readable(server_env: dict[str, str]) -> None:
    env = dict(server_env)
    env["DATABASE_URL"] = "postgresql://postgres@127.0.0.1:1/none"
    r = subprocess.run([*CLI, "migrate"], env=env, capture_output=True, timeout=60)
    assert r.returncode == 1
    assert b"error:" in r.stderr
    assert b"Traceback" not in r.stderr
    r = subprocess.run([*CLI, "migrate", "sideways"], env=env, capture_output=True, timeout=60)
    assert r.returncode == 2
    assert b"upgrade" in r.stderr


def test_db_url_prints_the_url_in_use(server_env: dict[str, str]) -> None:
    r = subprocess.run([*CLI, "db-url"], env=server_env, capture_output=True, timeout=60)
    assert r.returncode == 0, r.stderr
    url = r.stdout.decode().strip()
    assert url.startswith("postgresql://")
    if "DATABASE_URL" in server_env:
        assert url == server_env["DATABASE_URL"]


def test_sigterm_stops_the_worker_and_the_embedded_postgres(
    server_env: dict[str, str], data_dir: Path
) -> None:
    """`docker stop`, systemd and `kill` send SIGTERM: nothing `serve` started may outlive it."""
    port = _free_port()
    log = data_dir / "serve.log"
    proc = _start(server_env, port, log, "--no-seed")
    try:
        _wait_ready(proc, port, log)
        children = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
        ).stdout.split()
        assert children, "serve started no worker process"
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
        assert code == 0, log.read_text()[-3000:]
        for pid in children:
            assert not Path(f"/proc/{pid}").exists(), f"worker {pid} outlived serve"
        if "DATABASE_URL" not in server_env:
            assert not _postgres_running(data_dir), "embedded PostgreSQL left running"
    finally:  # whatever a failure left behind (the group holds serve, worker and postgres)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


def test_eval_without_gold_scores_the_shipped_gold_from_any_directory(
    server_env: dict[str, str], data_dir: Path
) -> None:
    # the default gold file and the seed texts are package data, not paths into a checkout
    elsewhere = data_dir / "elsewhere"
    elsewhere.mkdir()
    r = subprocess.run(
        [*CLI, "eval", "--json"], env=server_env, cwd=elsewhere, capture_output=True, timeout=300
    )
    assert r.returncode == 0, r.stderr.decode()[-2000:]
    report = json.loads(r.stdout)
    gold_quotes = report["scores"]["all"]["tp"] + report["scores"]["all"]["fn"]
    assert gold_quotes >= 80, report["scores"]["all"]
    assert report["scores"]["all"]["f1"] > 0.9, report["scores"]["all"]


def test_x_forwarded_for_does_not_reset_the_anonymous_rate_limit(
    server_env: dict[str, str], data_dir: Path
) -> None:
    """A client that sends a new X-Forwarded-For with every request is still one client:
    the header is believed only from ARTICLE_STORE_TRUSTED_PROXIES (unset here)."""
    env = {**server_env, "ARTICLE_STORE_ANON_RATE_LIMIT_PER_MINUTE": "5"}
    port = _free_port()
    log = data_dir / "serve.log"
    proc = _start(env, port, log, "--no-worker")
    try:
        _wait_ready(proc, port, log)
        statuses = [
            httpx.get(
                f"http://127.0.0.1:{port}/v1/articles",
                params={"limit": 1},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
                timeout=5,
            ).status_code
            for n in range(12)
        ]
    finally:
        _stop(proc)
    assert statuses.count(200) <= 6, statuses
    assert 429 in statuses, statuses
