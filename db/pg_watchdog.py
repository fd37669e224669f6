"""Stops an embedded PostgreSQL when the process that started it dies, however it dies.

``serve`` starts this with the read end of a pipe only ``serve`` writes to: the read blocks
until every write end is closed, which the kernel does when ``serve`` exits, also by
SIGKILL. PostgreSQL is detached by ``pg_ctl`` and cannot be given a parent-death signal, so
without this it lived on under PID 1 after a ``kill -9`` of ``serve``.

    python -m db.pg_watchdog <pgdata> <fd>
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path


def watch(pgdata: Path, fd: int) -> None:
    # the terminal's Ctrl-C or a signal to serve's group is serve's to handle: it stops
    # PostgreSQL itself and closes the pipe, which ends this watch
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    while True:
        try:
            if not os.read(fd, 64):
                break
        except InterruptedError:
            continue
        except OSError:
            break
    from db.embedded import leftover_postmaster_pid, stop_cluster

    if leftover_postmaster_pid(pgdata) is not None:
        stop_cluster(pgdata)


if __name__ == "__main__":
    watch(Path(sys.argv[1]), int(sys.argv[2]))
