"""The ``article-store`` command line."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from service.settings import Settings, get_settings

app = typer.Typer(
    name="article-store",
    help="Store news articles, their revisions and what they say; serve them over HTTP.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console(stderr=True)


def fail(message: str, code: int = 1) -> typer.Exit:
    console.print(f"[bold red]error:[/] {message}")
    return typer.Exit(code)


def _settings() -> Settings:
    get_settings.cache_clear()
    try:
        return get_settings()
    except Exception as exc:  # pydantic ValidationError on bad env values
        raise fail(f"invalid configuration: {exc}") from exc


def _user_errors() -> tuple[type[BaseException], ...]:
    from sqlalchemy.exc import OperationalError

    from db.embedded import EmbeddedPostgresError

    return (EmbeddedPostgresError, OperationalError, ConnectionError, OSError)


@app.command()
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

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    # SIGTERM (docker stop, systemd, kill) must unwind like Ctrl-C: uvicorn shuts down
    # gracefully, then re-raises the signal it caught; with the default handler that killed
    # this process on the spot and left the worker and the embedded PostgreSQL running.
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        with bootstrap.open_database(settings, allow_shared=False) as db:
            where = f"embedded PostgreSQL in {settings.data_dir}" if db.embedded else redact(db.url)
            console.print(f"[green]database:[/] {where}")
            bootstrap.migrate_to_head(db.url)
            console.print("[green]migrations:[/] at head")
            if seed:
                created = asyncio.run(bootstrap.seed_if_empty(settings, db.url))
                if created:
                    console.print(f"[green]seeds:[/] loaded {created} seed articles")
            if db.embedded:
                bootstrap.publish_server_url(settings, db.url)
            os.environ["DATABASE_URL"] = db.url
            get_settings.cache_clear()
            console.print(
                "[green]access:[/] reads are open; writes need a key: "
                "`article-store keys create --name NAME --scope write`"
            )
            console.print(
                f"[green]serving:[/] http://{host}:{port}/v1/articles  "
                f"(docs: http://{host}:{port}/docs)"
            )
            worker_proc = _spawn_worker() if with_worker else None
            try:
                uvicorn.run(
                    "api.app:app_from_env",
                    factory=True,
                    host=host,
                    port=port,
                    workers=workers,
                    log_config=None,
                    timeout_graceful_shutdown=20,
                )
            finally:
                if worker_proc is not None:
                    _stop_worker(worker_proc)
                if db.embedded:
                    bootstrap.unpublish_server_url(settings)
                    console.print("[green]stopping:[/] embedded PostgreSQL")
    except _user_errors() as exc:
        raise fail(str(exc).strip()) from exc


def _exit_cleanly(signum: int, frame: object) -> None:
    raise SystemExit(0)


def _spawn_worker() -> subprocess.Popen[bytes]:
    """The background annotation worker `serve` runs so the embedded default needs nothing else."""
    console.print("[green]worker:[/] annotation worker started in the background")
    return subprocess.Popen([sys.executable, "-m", "api.cli", "worker"], env=dict(os.environ))


def _stop_worker(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # finishes or releases its current job
        try:
            proc.wait(timeout=40)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@app.command()
def worker(
    concurrency: Annotated[
        int,
        typer.Option(
            help="Jobs run at once in this process (the pipeline runs in threads; 2 keeps "
            "a core busy while the other job waits on the database).",
            min=1,
            max=32,
        ),
    ] = 2,
) -> None:
    """Run an annotation worker (any number, on any machine, against the same database)."""
    from api.logging import configure_logging
    from service import bootstrap

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
    try:
        with bootstrap.open_database(settings) as db:
            asyncio.run(bootstrap.run_worker(settings, db.url, concurrency=concurrency))
    except _user_errors() as exc:
        raise fail(str(exc).strip()) from exc


@app.command()
def migrate(
    direction: Annotated[str, typer.Argument(help="upgrade or downgrade")] = "upgrade",
    revision: Annotated[
        str | None, typer.Argument(help="Target revision (default: head / one step down).")
    ] = None,
) -> None:
    """Apply (upgrade) or revert (downgrade) database migrations."""
    from db import migrate as mig
    from service import bootstrap

    if direction not in ("upgrade", "downgrade"):
        raise fail(f"direction must be 'upgrade' or 'downgrade', not {direction!r}", 2)
    settings = _settings()
    try:
        with bootstrap.open_database(settings) as db:
            if direction == "upgrade":
                mig.upgrade(db.url, revision or "head")
            else:
                mig.downgrade(db.url, revision or "-1")
            console.print(f"[green]{direction}d[/] to {mig.current(db.url) or 'base'}")
    except _user_errors() as exc:
        raise fail(str(exc).strip()) from exc


@app.command()
def seed() -> None:
    """Load the seed articles (idempotent: a second run changes nothing)."""
    from service import bootstrap

    settings = _settings()
    try:
        with bootstrap.open_database(settings) as db:
            bootstrap.migrate_to_head(db.url)
            created = asyncio.run(bootstrap.seed_if_empty(settings, db.url, force=True))
            console.print(
                f"[green]seeds:[/] {created} revisions created"
                + (" (already loaded)" if created == 0 else "")
            )
    except _user_errors() as exc:
        raise fail(str(exc).strip()) from exc


@app.command()
def ingest(
    source: Annotated[
        Path,
        typer.Argument(
            help="A JSON Lines file (one article object per line) or a folder of .txt/.html files.",
            exists=True,
        ),
    ],
    outlet: Annotated[
        str | None, typer.Option(help="Outlet for folder files (and lines without one).")
    ] = None,
    chunk: Annotated[int, typer.Option(help="Articles per transaction.", min=1, max=1000)] = 500,
) -> None:
    """Ingest articles from a file or folder, each all-or-nothing, with a progress bar."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from db.engine import create_engine, session_factory
    from service import bootstrap
    from service.ingest_files import SourceItem, ingest_chunk, iter_source

    settings = _settings()
    items = list(iter_source(source, outlet))
    counts = {"created": 0, "revised": 0, "unchanged": 0, "failed": 0}
    errors: list[str] = []

    async def run(url: str) -> None:
        engine = create_engine(url, pool_size=1, max_overflow=0)
        factory = session_factory(engine)
        try:
            with Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
            ) as progress:
                task = progress.add_task("ingesting", total=len(items))
                for start in range(0, len(items), chunk):
                    part: list[SourceItem] = items[start : start + chunk]
                    for res in await ingest_chunk(factory, part, settings.max_body_bytes):
                        if res.outcome is not None:
                            counts[res.outcome.status] += 1
                        else:
                            counts["failed"] += 1
                            detail = res.error.detail if res.error else "?"
                            errors.append(f"{part[res.index].where}: {detail}")
                    progress.advance(task, len(part))
        finally:
            await engine.dispose()

    try:
        with bootstrap.open_database(settings) as db:
            bootstrap.migrate_to_head(db.url)
            asyncio.run(run(db.url))
    except _user_errors() as exc:
        raise fail(str(exc).strip()) from exc
    for line in errors[:20]:
        console.print(f"[yellow]skipped:[/] {line}")
    if len(errors) > 20:
        console.print(f"[yellow]… and {len(errors) - 20} more[/]")
    console.print(
        f"[green]ingested:[/] {counts['created']} created, {counts['revised']} revised, "
        f"{counts['unchanged']} unchanged, {counts['failed']} failed"
    )
    if counts["failed"]:
        raise typer.Exit(1)


keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


async def _with_factory(url: str, fn: Any) -> Any:
    from db.engine import create_engine, session_factory

    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        return await fn(session_factory(engine))
    finally:
        await engine.dispose()


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    scope: Annotated[str, typer.Option(help="read, write or admin.")] = "read",
) -> None:
    """Create a key and print it once; only its SHA-256 hash is stored."""
    from service import access, bootstrap

    if scope not in ("read", "write", "admin"):
        raise fail(f"scope must be read, write or admin, not {scope!r}", 2)
    settings = _settings()
    try:
        with bootstrap.open_database(settings) as db:
            bootstrap.migrate_to_head(db.url)
            key = asyncio.run(
                _with_factory(db.url, lambda f: access.create_key(f, name, scope))  # type: ignore[arg-type]
            )
    except _user_errors() as exc:
        raise fail(str(exc).strip()) from exc
    console.print(f"[green]created[/] key {key.prefix} ({key.scope}) — shown once, store it now:")
    typer.echo(key.token)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never the keys themselves: they are not stored)."""
    from rich.table import Table

    from service import access, bootstrap

    settings = _settings()
    try:
        with bootstrap.open_database(settings) as db:
            rows = asyncio.run(_with_factory(db.url, access.list_keys))
    except _user_errors() as exc:
        raise fail(str(exc).strip()) from exc
    table = Table("id", "prefix", "name", "scope", "created", "last used", "revoked")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["prefix"],
            r["name"],
            r["scope"],
            str(r["created_at"])[:19],
            str(r["last_used_at"] or "")[:19],
            str(r["revoked_at"] or "")[:19],
        )
    Console().print(table)


@keys_app.command("revoke")
def keys_revoke(key: Annotated[str, typer.Argument(help="The key's id or prefix.")]) -> None:
    """Revoke a key (effective within seconds on every API process)."""
    from service import access, bootstrap

    settings = _settings()
    try:
        with bootstrap.open_database(settings) as db:
            done = asyncio.run(_with_factory(db.url, lambda f: access.revoke_key(f, key)))
    except _user_errors() as exc:
        raise fail(str(exc).strip()) from exc
    if not done:
        raise fail(f"no active key with id or prefix {key!r}")
    console.print(f"[green]revoked[/] {key}")


eval_app = typer.Typer(
    help="Score the NLP pipeline against gold files (quotes by default; `eval topics`).",
    invoke_without_command=True,
)
app.add_typer(eval_app, name="eval")


@eval_app.callback()
def eval_(
    ctx: typer.Context,
    gold: Annotated[
        Path,
        typer.Option(help="Gold quotes JSON (format in docs/nlp.md).", exists=True, dir_okay=False),
    ] = Path("tests/nlp/gold/seeds.json"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Score the NLP pipeline against gold quotes: P/R/F1 per kind and speaker accuracy."""
    if ctx.invoked_subcommand is not None:
        return
    from service.errors import DomainError
    from service.evaluation import evaluate_with_progress, print_report

    settings = _settings()
    try:
        report = evaluate_with_progress(gold, settings.seeds_dir, settings.spacy_model, console)
    except DomainError as exc:
        raise fail(exc.detail) from exc
    if as_json:
        import orjson

        typer.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        print_report(report, Console())


@eval_app.command("topics")
def eval_topics(
    gold: Annotated[
        Path,
        typer.Option(help="Gold topics JSON (format in docs/nlp.md).", exists=True, dir_okay=False),
    ] = Path("tests/nlp/gold/topics_dev.json"),
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Score article topics: top-1/top-3 accuracy of the top-level topic, per-topic P/R."""
    import orjson
    from rich.progress import Progress

    from nlp.evaluation import evaluate_topics, topic_report_lines
    from nlp.pipeline import Pipeline

    data = orjson.loads(gold.read_bytes())
    with Progress(console=console, transient=True) as bar:
        task = bar.add_task("loading the pipeline", total=None)
        pipeline = Pipeline(_settings().spacy_model)
        bar.update(task, description="annotating and scoring")
        report = evaluate_topics(
            data,
            lambda texts: (a.topics for a in pipeline.annotate_many(texts)),
            lambda article, done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        typer.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        typer.echo("\n".join(topic_report_lines(report)))


@app.command("db-url")
def db_url() -> None:
    """Print the database URL in use (starting the embedded server if needed)."""
    from service import bootstrap

    settings = _settings()
    try:
        with bootstrap.open_database(settings) as db:
            typer.echo(db.url)
    except _user_errors() as exc:
        raise fail(str(exc).strip()) from exc


topics_app = typer.Typer(help="Load and list the topic taxonomy.", no_args_is_help=True)
app.add_typer(topics_app, name="topics")


@topics_app.command("load")
def topics_load(
    file: Annotated[
        Path | None,
        typer.Option(help="Taxonomy JSON (default: the shipped nlp/data/taxonomy.json)."),
    ] = None,
) -> None:
    """Create or update topics from a taxonomy file (topics not in the file are kept).

    Existing claims are re-linked only by `POST /v1/topics/{slug}:reclassify`."""
    from nlp.topics import load_taxonomy
    from service import bootstrap
    from service import topics as topic_svc

    try:
        defs = load_taxonomy(file)
    except (OSError, ValueError, KeyError) as exc:
        raise fail(f"cannot read the taxonomy: {exc}", 2) from exc
    settings = _settings()

    async def run(factory: Any) -> Any:
        async with factory() as session:
            return await topic_svc.load_taxonomy(session, defs)

    try:
        with bootstrap.open_database(settings) as db:
            bootstrap.migrate_to_head(db.url)
            report = asyncio.run(_with_factory(db.url, run))
    except _user_errors() as exc:
        raise fail(str(exc).strip()) from exc
    console.print(
        f"[green]loaded[/] {len(defs)} topics: {len(report.created)} created, "
        f"{len(report.updated)} updated"
    )


@topics_app.command("list")
def topics_list() -> None:
    """Print the taxonomy as a tree."""
    from service import bootstrap
    from service import topics as topic_svc

    settings = _settings()

    async def run(factory: Any) -> Any:
        async with factory() as session:
            return await topic_svc.topic_tree(session)

    try:
        with bootstrap.open_database(settings) as db:
            tree = asyncio.run(_with_factory(db.url, run))
    except _user_errors() as exc:
        raise fail(str(exc).strip()) from exc

    def show(nodes: list[dict[str, Any]], depth: int) -> None:
        for n in nodes:
            code = f" ({n['iptc_code']})" if n["iptc_code"] else ""
            typer.echo(f"{'  ' * depth}{n['slug']}{code}")
            show(n["children"], depth + 1)

    show(tree, 0)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
