"""The ``article-store`` command line."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Annotated

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
) -> None:
    """Run the HTTP API (on an embedded PostgreSQL unless DATABASE_URL is set)."""
    import uvicorn

    from api.logging import configure_logging
    from db.engine import redact
    from service import bootstrap

    settings = _settings()
    configure_logging(settings.log_level, settings.log_format)
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
                f"[green]serving:[/] http://{host}:{port}/v1/articles  "
                f"(docs: http://{host}:{port}/docs)"
            )
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
                if db.embedded:
                    bootstrap.unpublish_server_url(settings)
                    console.print("[green]stopping:[/] embedded PostgreSQL")
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


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
