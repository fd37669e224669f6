"""Running the service: serve, worker, migrate, seed, db-url."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
from typing import Annotated

import typer

from cli.common import console, fail, load_settings, open_store
from cli.supervise import Supervisor
from service.lifeline import SERVE_PID_ENV
from service.settings import get_settings


def serve(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
    workers: Annotated[int, typer.Option(help="HTTP worker processes.", min=1, max=64)] = 1,
    seed: Annotated[
        bool, typer.Option(help="Load the seed articles if the store is empty.")
    ] = True,
    with_worker: Annotated[
        bool,
        typer.Option(
            "--worker/--no-worker", help="Run an annotation worker process alongside the API."
        ),
    ] = True,
) -> None:
    """Run the HTTP API (on an embedded PostgreSQL unless DATABASE_URL is set)."""
    import uvicorn

    from api.logging import configure_logging
    from db.engine import redact
    from service import bootstrap

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    # SIGTERM (docker stop, systemd, kill) must unwind like Ctrl-C: uvicorn shuts down
    # gracefully, then re-raises the signal it caught; with the default handler that killed
    # this process on the spot and left the worker and the embedded PostgreSQL running.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    gave_up: list[str] = []

    def give_up(why: str) -> None:  # the supervisor could not keep the database alive
        logging.getLogger("article_store.supervise").critical("%s; stopping", why)
        gave_up.append(why)
        os.kill(os.getpid(), signal.SIGTERM)

    supervisor: Supervisor | None = None
    try:
        with open_store(settings, migrate=True, allow_shared=False) as db:
            where = f"embedded PostgreSQL in {settings.data_dir}" if db.embedded else redact(db.url)
            console.print(f"[green]database:[/] {where}")
            console.print("[green]migrations:[/] at head")
            if seed:
                created = asyncio.run(bootstrap.seed_if_empty(settings, db.url))
                if created:
                    console.print(f"[green]seeds:[/] loaded {created} seed articles")
            if db.embedded:
                bootstrap.publish_server_url(settings, db.url)
            os.environ["DATABASE_URL"] = db.url
            os.environ[SERVE_PID_ENV] = str(os.getpid())  # uvicorn's worker processes die with us
            get_settings.cache_clear()
            console.print(
                "[green]access:[/] reads are open; writes need a key: "
                "`article-store keys create --name NAME --scope write`"
            )
            console.print(
                f"[green]serving:[/] http://{host}:{port}/v1/articles  "
                f"(docs: http://{host}:{port}/docs)"
            )
            supervisor = Supervisor(run_worker=with_worker, pg=db.server, on_give_up=give_up)
            supervisor.start()
            if with_worker:
                console.print("[green]worker:[/] annotation worker started in the background")
            try:
                uvicorn.run(
                    "api.app:app_from_env",
                    factory=True,
                    host=host,
                    port=port,
                    workers=workers,
                    log_config=None,
                    # X-Forwarded-* only from configured proxies (uvicorn trusts 127.0.0.1 by
                    # default, which let any local client choose its address)
                    proxy_headers=bool(settings.trusted_proxies),
                    forwarded_allow_ips=settings.trusted_proxies or None,
                    # an in-flight batch of 1,000 articles must be able to finish (and be
                    # acknowledged) after SIGTERM/SIGINT, also on a busy machine
                    timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
                )
            except SystemExit:
                if not gave_up:
                    raise
            finally:
                supervisor.stop()
                if db.embedded:
                    bootstrap.unpublish_server_url(settings)
                    console.print("[green]stopping:[/] embedded PostgreSQL")
    finally:
        if supervisor is not None:
            supervisor.close()  # after the database stopped: the watchdog has nothing to do
    if gave_up:
        raise fail(gave_up[0])


GRACEFUL_SHUTDOWN_S = 60


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def worker(
    concurrency: Annotated[
        int,
        typer.Option(
            help="Jobs run at once in each process. 1 is fastest: a job is a batch of "
            "revisions whose rows are written in a few statements, so there is little "
            "database wait to fill, and two pipelines in one process contend for its "
            "interpreter (docs/benchmarks.md: 2 processes at 75-79 % of raw spaCy with 1, "
            "71-74 % with 2). Use more processes, not more jobs per process, for more cores.",
            min=1,
            max=32,
        ),
    ] = 1,
    processes: Annotated[
        int | None,
        typer.Option(
            help="Worker processes, each with its own spaCy (default: the number of CPUs).",
            min=1,
            max=64,
        ),
    ] = None,
) -> None:
    """Run annotation workers (any number, on any machine, against the same database)."""
    from api.logging import configure_logging
    from service import bootstrap

    settings = load_settings()
    configure_logging(settings.log_level, settings.log_format)
    n = processes or os.cpu_count() or 1
    with open_store(settings) as db:
        if n > 1:
            from cli.worker_pool import run_processes

            run_processes(n, concurrency, db.url)
            return
        code = asyncio.run(bootstrap.run_worker(settings, db.url, concurrency=concurrency))
    if code:
        raise typer.Exit(code)


def migrate(
    direction: Annotated[str, typer.Argument(help="upgrade or downgrade")] = "upgrade",
    revision: Annotated[
        str | None, typer.Argument(help="Target revision (default: head / one step down).")
    ] = None,
) -> None:
    """Apply (upgrade) or revert (downgrade) database migrations."""
    from db import migrate as mig

    if direction not in ("upgrade", "downgrade"):
        raise fail(f"direction must be 'upgrade' or 'downgrade', not {direction!r}", 2)
    with open_store(load_settings()) as db:
        if direction == "upgrade":
            mig.upgrade(db.url, revision or "head")
        else:
            mig.downgrade(db.url, revision or "-1")
        console.print(f"[green]{direction}d[/] to {mig.current(db.url) or 'base'}")


def seed() -> None:
    """Load the seed articles (idempotent: a second run changes nothing)."""
    from service import bootstrap

    settings = load_settings()
    with open_store(settings, migrate=True) as db:
        created = asyncio.run(bootstrap.seed_if_empty(settings, db.url, force=True))
        console.print(
            f"[green]seeds:[/] {created} revisions created"
            + (" (already loaded)" if created == 0 else "")
        )


def db_url() -> None:
    """Print the database URL in use (starting the embedded server if needed)."""
    with open_store(load_settings()) as db:
        typer.echo(db.url)


def register(app: typer.Typer) -> None:
    app.command()(serve)
    app.command()(worker)
    app.command()(migrate)
    app.command()(seed)
    app.command("db-url")(db_url)
