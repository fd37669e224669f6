"""Starting and stopping real `article-store` processes for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

CLI = [sys.executable, "-m", "cli"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(env: dict[str, str], port: int, log: Path, *args: str) -> subprocess.Popen[bytes]:
    """`serve` (with ``args``) in its own process group, logging to ``log``."""
    return subprocess.Popen(
        [*CLI, "serve", "--port", str(port), *args],
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def child_env(data_dir: Path, database_url: str | None = None, **settings: str) -> dict[str, str]:
    """The environment of an `article-store` child under test: this process's environment
    without its own ``ARTICLE_STORE_*`` settings or ``DATABASE_URL``, then the data dir, JSON
    logs, ``settings`` (full ``ARTICLE_STORE_…`` names) and ``database_url`` when given
    (otherwise the child runs the embedded PostgreSQL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARTICLE_STORE_")}
    env.pop("DATABASE_URL", None)
    env.update(ARTICLE_STORE_DATA_DIR=str(data_dir), ARTICLE_STORE_LOG_FORMAT="json", **settings)
    if database_url:
        env["DATABASE_URL"] = database_url
    return env


def _make_key(env: dict[str, str], name: str = "e2e", scope: str = "write") -> str:
    """A new API key made with the CLI against ``env``'s database."""
    r = subprocess.run(
        [*CLI, "keys", "create", "--name", name, "--scope", scope],
        env=env,
        capture_output=True,
        timeout=120,
        check=True,
    )
    return r.stdout.decode().strip().splitlines()[-1]


def _api_ready(r: httpx.Response, workers: bool) -> bool:
    """Ready, or (unless ``workers``) ready but for annotation workers: a ``--no-worker``
    server's /readyz is 503 until some worker sends heartbeats."""
    if r.status_code == 200:
        return True
    if workers or r.status_code != 503:
        return False
    body = r.json()
    return body.get("database") == "ok" and body.get("queue") == "ok" and "workers" in body


def _wait_ready(
    proc: subprocess.Popen[bytes],
    port: int,
    log: Path,
    timeout: float = 90,
    *,
    workers: bool = False,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early:\n{log.read_text()}")
        try:
            if _api_ready(httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1), workers):
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"server not ready in {timeout}s:\n{log.read_text()}")


def _stop(proc: subprocess.Popen[bytes]) -> int:
    proc.send_signal(signal.SIGINT)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
