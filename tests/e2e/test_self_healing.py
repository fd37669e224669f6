"""A server that heals itself, for real: killed workers, a database blip, a dead postmaster
and a killed `serve` — annotation resumes (or everything stops) without a human."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from db.embedded import EmbeddedPostgres
from tests.e2e.server import (
    CLI,
    _free_port,
    _make_key,
    _start,
    _stop,
    _wait_ready,
    child_env,
)

pytestmark = pytest.mark.e2e


@pytest.fixture
def tmp_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="as-h-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def _env(data_dir: Path, **extra: str) -> dict[str, str]:
    return child_env(data_dir, ARTICLE_STORE_WORKER_STALLED_SECONDS="4", **extra)


def _serve(env: dict[str, str], port: int, log: Path, *args: str) -> subprocess.Popen[bytes]:
    return _start(env, port, log, "--no-seed", *args)


def _key(env: dict[str, str]) -> str:
    return _make_key(env, "healing")


def _until(check: Callable[[], bool], timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.HTTPError):
            if check():
                return True
        time.sleep(every)
    return False


def _annotated(base: str, key: str, external_id: str, timeout: float = 120) -> str | None:
    """Post an article and wait for its annotation; returns the final status seen."""
    r = httpx.post(
        f"{base}/v1/articles",
        headers={"X-API-Key": key},
        json={
            "outlet": "Healing Wire",
            "external_id": external_id,
            "body": '"We will rebuild," the mayor, Ana Lima, said on Monday.',
        },
        timeout=30,
    )
    assert r.status_code == 201, r.text
    article = r.json()["id"]
    seen: list[str | None] = [None]

    def done() -> bool:
        seen[0] = httpx.get(f"{base}/v1/articles/{article}", timeout=5).json()["annotation_status"]
        return seen[0] == "done"

    _until(done, timeout)
    return seen[0]


def _workers_of(proc: subprocess.Popen[bytes]) -> list[psutil.Process]:
    """serve's live worker processes (a killed one is a zombie until serve reaps it)."""
    found = []
    for p in psutil.Process(proc.pid).children(recursive=True):
        with contextlib.suppress(psutil.Error):
            if "cli worker" in " ".join(p.cmdline()) and p.status() != psutil.STATUS_ZOMBIE:
                found.append(p)
    return found


def _kill_everything(proc: subprocess.Popen[bytes], data_dir: Path) -> None:
    """Whatever a failed test left behind."""
    with contextlib.suppress(psutil.Error):
        for child in psutil.Process(proc.pid).children(recursive=True):
            child.kill()
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    from db.embedded import stop_cluster

    if (data_dir / "pg" / "postmaster.pid").exists():
        stop_cluster(data_dir / "pg")


def test_a_killed_worker_is_restarted_and_annotation_resumes(tmp_dir: Path) -> None:
    env = _env(tmp_dir / "data")
    port, log = _free_port(), tmp_dir / "serve.log"
    base = f"http://127.0.0.1:{port}"
    proc = _serve(env, port, log)
    try:
        _wait_ready(proc, port, log, workers=True)
        key = _key(env)
        [first] = _workers_of(proc)
        first.kill()  # kill -9
        first.wait(10)
        assert _until(lambda: any(w.pid != first.pid for w in _workers_of(proc)), 30), (
            log.read_text()[-3000:]
        )
        assert "exited with signal SIGKILL; starting it again" in log.read_text()
        assert _annotated(base, key, "after-kill") == "done", log.read_text()[-3000:]
        # and a worker that dies again is restarted again (with a longer backoff)
        [second] = _workers_of(proc)
        second.kill()
        assert _until(lambda: any(w.pid != second.pid for w in _workers_of(proc)), 30)
        assert _annotated(base, key, "after-second-kill") == "done"
    finally:
        _stop(proc)
        _kill_everything(proc, tmp_dir / "data")


def test_readyz_reports_a_dead_worker_until_one_is_back(tmp_dir: Path) -> None:
    """With workers run apart from the API (compose): the API sees their heartbeats stop."""
    env = _env(tmp_dir / "data")
    port, log = _free_port(), tmp_dir / "serve.log"
    base = f"http://127.0.0.1:{port}"
    proc = _serve(env, port, log, "--no-worker")
    worker: subprocess.Popen[bytes] | None = None
    try:
        _wait_ready(proc, port, log)
        assert httpx.get(f"{base}/readyz", timeout=5).json()["workers"] == 0
        worker = subprocess.Popen(
            [*CLI, "worker"],
            env=env,
            stdout=(tmp_dir / "worker.log").open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        assert _until(lambda: httpx.get(f"{base}/readyz", timeout=5).status_code == 200, 60)
        worker.kill()
        worker.wait(10)
        # heartbeats stop; within the stalled window (4 s here) readiness says so
        assert _until(lambda: httpx.get(f"{base}/readyz", timeout=5).status_code == 503, 20)
        body = httpx.get(f"{base}/readyz", timeout=5).json()
        assert (body["database"], body["workers"]) == ("ok", 0)
    finally:
        if worker is not None and worker.poll() is None:
            worker.kill()
        _stop(proc)


def test_a_worker_survives_a_database_blip_and_resumes(tmp_dir: Path) -> None:
    """A 6-second outage: the same worker process reconnects (it used to exit)."""
    pg = EmbeddedPostgres(tmp_dir / "db")
    url = pg.start()
    env = _env(tmp_dir / "data", DATABASE_URL=url)
    port, log = _free_port(), tmp_dir / "serve.log"
    base = f"http://127.0.0.1:{port}"
    proc = _serve(env, port, log, "--no-worker")
    wlog = tmp_dir / "worker.log"
    worker = subprocess.Popen(
        [*CLI, "worker"], env=env, stdout=wlog.open("ab"), stderr=subprocess.STDOUT
    )
    try:
        _wait_ready(proc, port, log, workers=True)
        key = _key(env)
        assert _annotated(base, key, "before-blip") == "done"
        pg.stop()
        time.sleep(6)
        pg.start()
        # the API answers 503 until its pool reconnects, and is ready once the worker's
        # heartbeats are back
        assert _until(lambda: httpx.get(f"{base}/readyz", timeout=5).status_code == 200, 60)
        assert _annotated(base, key, "after-blip") == "done", wlog.read_text()[-3000:]
        assert worker.poll() is None, "the worker exited instead of reconnecting"
        assert "starting it again" in wlog.read_text()
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(60)
        _stop(proc)
        pg.stop()


def test_serve_restarts_its_embedded_postgres_when_the_postmaster_dies(tmp_dir: Path) -> None:
    env = _env(tmp_dir / "data")
    port, log = _free_port(), tmp_dir / "serve.log"
    base = f"http://127.0.0.1:{port}"
    proc = _serve(env, port, log)
    try:
        _wait_ready(proc, port, log, workers=True)
        key = _key(env)
        pid_file = tmp_dir / "data" / "pg" / "postmaster.pid"
        postmaster = int(pid_file.read_text().split()[0])
        os.kill(postmaster, signal.SIGKILL)
        # crash recovery of the restarted postmaster can take tens of seconds on a loaded
        # machine: wait for the supervisor's log line first, then for readiness
        assert _until(lambda: "embedded PostgreSQL restarted" in log.read_text(), 180), (
            log.read_text()[-3000:]
        )
        assert _until(lambda: httpx.get(f"{base}/readyz", timeout=5).status_code == 200, 120), (
            log.read_text()[-3000:]
        )
        assert int(pid_file.read_text().split()[0]) != postmaster
        assert _annotated(base, key, "after-postmaster-kill") == "done", log.read_text()[-3000:]
    finally:
        _stop(proc)
        _kill_everything(proc, tmp_dir / "data")


def test_kill_9_of_serve_takes_its_children_down_and_the_next_serve_cleans_up(
    tmp_dir: Path,
) -> None:
    data = tmp_dir / "data"
    env = _env(data)
    port, log = _free_port(), tmp_dir / "serve.log"
    proc = _serve(env, port, log, "--workers", "2")  # uvicorn's worker processes too
    try:
        _wait_ready(proc, port, log, workers=True)
        key, base = _key(env), f"http://127.0.0.1:{port}"
        ids = [
            httpx.post(
                f"{base}/v1/articles",
                headers={"X-API-Key": key},
                json={"outlet": "Kill Wire", "external_id": f"k{i}", "body": f"Text {i} here."},
                timeout=30,
            ).json()["id"]
            for i in (1, 2)
        ]
        diff = httpx.get(f"{base}/v1/diff", params={"left": ids[0], "right": ids[1]}, timeout=60)
        assert diff.status_code == 200  # the diff process pool is running too
        postmaster = psutil.Process(int((data / "pg" / "postmaster.pid").read_text().split()[0]))
        children = psutil.Process(proc.pid).children(recursive=True)
        assert _workers_of(proc), "serve started no worker"
        proc.kill()  # kill -9: no handler, no finally
        proc.wait(10)
        left = [p for p in [*children, postmaster] if _alive(p)]
        deadline = time.monotonic() + 45
        while left and time.monotonic() < deadline:
            time.sleep(0.5)
            left = [p for p in left if _alive(p)]
        assert not left, f"outlived serve: {[(p.pid, p.cmdline()) for p in left]}"
        assert (data / "server.json").exists()  # stale: its writer is dead
        again = _serve(env, port, log)
        try:
            _wait_ready(again, port, log)
            assert "left by an earlier server" in log.read_text()
        finally:
            _stop(again)
    finally:
        _kill_everything(proc, data)


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False
