"""Processes that must not outlive the process that started them.

Python's own helpers give no such tie: a process pool's workers wait on a queue whose write
end they all hold, uvicorn's worker processes serve on after their supervisor died. A
watcher thread notices the parent's death as a change of ``getppid()`` (the orphan is
re-parented to PID 1 or a subreaper) and ends the process. Checked once a second, so it
costs nothing and needs no platform call (``prctl(PR_SET_PDEATHSIG)`` is Linux-only and
tied to the parent *thread*).
"""

from __future__ import annotations

import os
import signal
import threading
import time

SERVE_PID_ENV = "ARTICLE_STORE_SERVE_PID"


def exit_with_parent(parent: int, *, graceful: bool = False) -> None:
    """Once ``parent`` is no longer this process's parent: exit (``graceful``: SIGTERM to
    ourselves, so a server shuts down its own way; otherwise at once)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        if graceful:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(30.0)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def tie_to_serve() -> None:
    """In a process `serve` spawned (a uvicorn worker of ``--workers N``): die with it."""
    raw = os.environ.get(SERVE_PID_ENV)
    if raw and raw.isdigit() and int(raw) != os.getpid() and os.getppid() == int(raw):
        exit_with_parent(int(raw), graceful=True)
