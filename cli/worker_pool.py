"""``article-store worker --processes N``: N worker processes, each with its own spaCy.

The parent starts ``article-store worker --processes 1`` N times against the same database,
forwards SIGTERM/SIGINT to them (each finishes or releases its current job), restarts a
child that died (after a short pause, so a crash loop does not spin) and exits once all
have stopped. Jobs are claimed by procrastinate with ``FOR UPDATE SKIP LOCKED``, so the
processes never take the same job.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time

from cli.common import console
from service.worker_loop import SUPERVISOR_FD_ENV

RESTART_PAUSE_S = 2.0
STOP_TIMEOUT_S = 40.0


def run_processes(n: int, concurrency: int, url: str) -> None:
    env = dict(os.environ, DATABASE_URL=url)
    cmd = [sys.executable, "-m", "cli", "worker", "--processes", "1",
           "--concurrency", str(concurrency)]  # fmt: skip
    # under `serve` this parent watches serve's supervisor pipe; the children watch a pipe
    # of this parent's (only it holds the write end), so a SIGKILL of either leaves nobody
    # working under PID 1
    raw_fd = os.environ.get(SUPERVISOR_FD_ENV, "")
    supervisor_fd = int(raw_fd) if raw_fd.isdigit() else None
    lifeline_r, lifeline_w = os.pipe()  # both ends non-inheritable: pass_fds opens one
    env[SUPERVISOR_FD_ENV] = str(lifeline_r)

    def spawn() -> subprocess.Popen[bytes]:
        return subprocess.Popen(cmd, env=env, pass_fds=(lifeline_r,))

    children = [spawn() for _ in range(n)]
    console.print(f"[green]worker:[/] {n} processes, {concurrency} jobs at once each")
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    old = {s: signal.signal(s, stop) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        while not stopping:
            if supervisor_fd is None:
                time.sleep(0.5)
            elif select.select([supervisor_fd], [], [], 0.5)[0]:
                try:
                    gone = os.read(supervisor_fd, 1) == b""
                except OSError:
                    gone = True
                if gone:  # the supervising `serve` died: stop, do not live on under PID 1
                    stop(signal.SIGTERM, None)
                    break
            for k, child in enumerate(children):
                if child.poll() is not None and not stopping:
                    console.print(
                        f"[yellow]worker:[/] process {child.pid} exited ({child.returncode}); "
                        "starting another"
                    )
                    time.sleep(RESTART_PAUSE_S)
                    if not stopping:
                        children[k] = spawn()
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        os.close(lifeline_w)
        os.close(lifeline_r)
