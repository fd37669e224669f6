"""``article-store worker --processes N``: N worker processes, each with its own spaCy.

The parent starts ``article-store worker --processes 1`` N times against the same database,
forwards SIGTERM/SIGINT to them (each finishes or releases its current job), restarts a
child that died (after a short pause, so a crash loop does not spin) and exits once all
have stopped. Jobs are claimed by procrastinate with ``FOR UPDATE SKIP LOCKED``, so the
processes never take the same job.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from cli.common import console

RESTART_PAUSE_S = 2.0
STOP_TIMEOUT_S = 40.0


def run_processes(n: int, concurrency: int, url: str) -> None:
    env = dict(os.environ, DATABASE_URL=url)
    cmd = [sys.executable, "-m", "cli", "worker", "--processes", "1",
           "--concurrency", str(concurrency)]  # fmt: skip
    children = [subprocess.Popen(cmd, env=env) for _ in range(n)]
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
            time.sleep(0.5)
            for k, child in enumerate(children):
                if child.poll() is not None and not stopping:
                    console.print(
                        f"[yellow]worker:[/] process {child.pid} exited ({child.returncode}); "
                        "starting another"
                    )
                    time.sleep(RESTART_PAUSE_S)
                    if not stopping:
                        children[k] = subprocess.Popen(cmd, env=env)
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
