"""``article-store ingest``: files and folders into the store, with a progress bar."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from cli.common import console, load_settings, open_store


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
    """Ingest articles from a file or folder, each all-or-nothing, with a progress bar.

    Each committed chunk's annotation runs go to the job queue at once: a running worker
    annotates them within seconds."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from service.articles import BatchItemResult
    from service.ingest_files import SourceItem, ingest_items, iter_source

    settings = load_settings()
    items = list(iter_source(source, outlet))
    counts = {"created": 0, "revised": 0, "unchanged": 0, "failed": 0}
    errors: list[str] = []

    async def run(url: str) -> None:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        ) as progress:
            task = progress.add_task("ingesting", total=len(items))

            def chunk_done(part: list[SourceItem], results: list[BatchItemResult]) -> None:
                for res in results:
                    if res.outcome is not None:
                        counts[res.outcome.status] += 1
                    else:
                        counts["failed"] += 1
                        detail = res.error.detail if res.error else "?"
                        errors.append(f"{part[res.index].where}: {detail}")
                progress.advance(task, len(part))

            await ingest_items(settings, url, items, chunk=chunk, on_chunk=chunk_done)

    with open_store(settings, migrate=True) as db:
        asyncio.run(run(db.url))
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


def register(app: typer.Typer) -> None:
    app.command()(ingest)
