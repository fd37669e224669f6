"""What `serve` keeps alive besides the API: its annotation worker and its embedded PostgreSQL.

* **The worker** runs as a child process in its own session (the terminal's Ctrl-C is
  `serve`'s to handle). When it exits without `serve` having asked, it is started again after
  a backoff (1 s, doubling, at most 30 s; back to 1 s once a worker ran a minute), logged at
  WARNING; a worker that recycles itself (memory, exit code 3) is started again at once.
* **The embedded PostgreSQL** is checked every second; when its postmaster died it is started
  again on the same data dir (same socket, so the API's and the worker's URLs stay valid), at
  most ``PG_RESTART_ATTEMPTS`` times per outage with a backoff, logged. When it cannot be
  brought back, `serve` stops (exit code 1) rather than answer 503 forever.
* **Death of `serve`** (even SIGKILL) takes both down: `serve` holds the only write end of a
  pipe whose read end the worker and a small watchdog (``db.pg_watchdog``) wait on. EOF means
  `serve` is gone: the worker stops, the watchdog stops PostgreSQL. The next `serve` on the
  data dir removes the stale ``server.json`` and a PostgreSQL still running there.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from db.embedded import EmbeddedPostgres, EmbeddedPostgresError
from service.worker_loop import RECYCLE_EXIT_CODE, SUPERVISOR_FD_ENV

logger = logging.getLogger("article_store.supervise")

WORKER_BACKOFF_FIRST_S = 1.0
WORKER_BACKOFF_MAX_S = 30.0
WORKER_STABLE_AFTER_S = 60.0
PG_RESTART_ATTEMPTS = 5
PG_BACKOFF_FIRST_S = 1.0
CHECK_EVERY_S = 1.0
WORKER_STOP_TIMEOUT_S = 40


class Supervisor:
    """Started by `serve` once the database is up; ``stop()`` before the database stops."""

    def __init__(
        self,
        *,
        run_worker: bool,
        pg: EmbeddedPostgres | None,
        on_give_up: Callable[[str], None],
    ) -> None:
        self._with_worker = run_worker
        self._pg = pg
        self._on_give_up = on_give_up
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._worker: subprocess.Popen[bytes] | None = None
        self._worker_started = 0.0
        self._worker_backoff = WORKER_BACKOFF_FIRST_S
        self._worker_due = 0.0  # monotonic time of the next (re)start
        self._pg_failures = 0
        self._pg_due = 0.0
        self._watchdog: subprocess.Popen[bytes] | None = None
        # the lifeline: children hold the read end; only this process holds the write end
        # (os.pipe() descriptors are not inherited unless passed explicitly)
        self._life_r, self._life_w = os.pipe()
        self._thread = threading.Thread(target=self._watch, name="supervisor", daemon=True)
        self.worker_restarts = 0
        self.pg_restarts = 0

    def start(self) -> None:
        if self._pg is not None:
            self._watchdog = subprocess.Popen(
                [sys.executable, "-m", "db.pg_watchdog", str(self._pg.pgdata), str(self._life_r)],
                pass_fds=(self._life_r,),
                start_new_session=True,
            )
        if self._with_worker:
            self._spawn_worker()
        self._thread.start()

    # -- the worker -------------------------------------------------------------------

    def _spawn_worker(self) -> None:
        env = {**os.environ, SUPERVISOR_FD_ENV: str(self._life_r)}
        self._worker = subprocess.Popen(
            # one process (its jobs in threads): on a small machine more processes only
            # compete for the cores (docs/scaling.md); scale out with `article-store worker`
            [sys.executable, "-m", "cli", "worker", "--processes", "1"],
            env=env,
            pass_fds=(self._life_r,),
            start_new_session=True,
        )
        self._worker_started = time.monotonic()
        logger.info("annotation worker started (pid %s)", self._worker.pid)

    def _check_worker(self, now: float) -> None:
        proc = self._worker
        if proc is None:
            if now >= self._worker_due:
                self._spawn_worker()
            return
        code = proc.poll()
        if code is None:
            return
        self._worker = None
        if code == RECYCLE_EXIT_CODE:
            logger.warning(
                "annotation worker (pid %s) recycled itself; starting a new one", proc.pid
            )
            self._worker_due = now
            return
        if now - self._worker_started > WORKER_STABLE_AFTER_S:
            self._worker_backoff = WORKER_BACKOFF_FIRST_S
        self.worker_restarts += 1
        logger.warning(
            "annotation worker (pid %s) exited with %s; starting it again in %.0f s",
            proc.pid,
            _describe_exit(code),
            self._worker_backoff,
            extra={"restarts": self.worker_restarts},
        )
        self._worker_due = now + self._worker_backoff
        self._worker_backoff = min(WORKER_BACKOFF_MAX_S, self._worker_backoff * 2)

    # -- PostgreSQL -------------------------------------------------------------------

    def _check_postgres(self, now: float) -> None:
        pg = self._pg
        if pg is None or now < self._pg_due or pg.postmaster_alive():
            return
        attempt = self._pg_failures + 1
        logger.error(
            "embedded PostgreSQL is not running; restarting it (attempt %s of %s)",
            attempt,
            PG_RESTART_ATTEMPTS,
        )
        try:
            pg.restart()
        except EmbeddedPostgresError as exc:
            self._pg_failures = attempt
            if attempt >= PG_RESTART_ATTEMPTS:
                self._on_give_up(f"embedded PostgreSQL could not be restarted: {exc}")
                self._stopping.set()
                return
            delay = PG_BACKOFF_FIRST_S * 2 ** (attempt - 1)
            logger.warning("restart failed (%s); next attempt in %.0f s", exc, delay)
            self._pg_due = now + delay
            return
        self._pg_failures = 0
        self.pg_restarts += 1
        logger.warning("embedded PostgreSQL restarted", extra={"restarts": self.pg_restarts})

    # -- the loop ---------------------------------------------------------------------

    def _watch(self) -> None:
        while not self._stopping.wait(CHECK_EVERY_S):
            with self._lock:
                if self._stopping.is_set():
                    return
                now = time.monotonic()
                try:
                    self._check_postgres(now)
                    if self._with_worker and not self._stopping.is_set():
                        self._check_worker(now)
                except Exception:  # the supervisor itself must not die of one bad check
                    logger.exception("supervisor check failed")

    def stop(self) -> None:
        """Stop supervising, then stop the worker (it finishes or releases its job)."""
        self._stopping.set()
        with self._lock:
            proc, self._worker = self._worker, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=WORKER_STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()

    def close(self) -> None:
        """After the database stopped: cut the lifeline (the watchdog exits)."""
        for fd in (self._life_w, self._life_r):
            with contextlib.suppress(OSError):
                os.close(fd)
        if self._watchdog is not None:
            try:
                self._watchdog.wait(timeout=35)
            except subprocess.TimeoutExpired:
                self._watchdog.kill()


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"code {code}"
