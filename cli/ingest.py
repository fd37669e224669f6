"""``article-store ingest``: files and folders into the store, with a progress bar."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from cli.common import console, load_settings, open_store

if TYPE_CHECKING:
    from rich.progress import Task
    from rich.text import Text


def ingest(
    source: Annotated[
        Path,
        typer.Argument(
            help="A JSON Lines file (one article object per line; .jsonl.gz is read gzipped) "
            "or a folder of .txt/.html files.",
            exists=True,
        ),
    ],
    outlet: Annotated[
        str | None, typer.Option(help="Outlet for folder files (and lines without one).")
    ] = None,
    chunk: Annotated[int, typer.Option(help="Articles per transaction.", min=1, max=5000)] = 1000,
) -> None:
    """Ingest articles from a file or folder in bulk, with a progress bar (articles/s, ETA).

    Each chunk is one transaction; a bad line is reported and skipped, the others are
    stored. Re-running after an interrupt skips what is already in (same text: unchanged).
    Story grouping and annotation are queued as each chunk commits; a running worker
    (`article-store worker`, or `serve`'s) does them in batches."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    from service.articles import BatchItemResult
    from service.ingest_files import SourceItem, count_items, ingest_items, iter_source

    class RateColumn(ProgressColumn):
        def render(self, task: Task) -> Text:
            speed = task.finished_speed or task.speed
            return Text(f"{speed:,.0f} articles/s" if speed else "– articles/s", style="cyan")

    settings = load_settings()
    total = count_items(source)
    counts = {"created": 0, "revised": 0, "unchanged": 0, "failed": 0}
    errors: list[str] = []

    async def run(url: str) -> None:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            "eta",
            TimeRemainingColumn(),
            console=console,
            speed_estimate_period=60,
        ) as progress:
            task = progress.add_task("ingesting", total=total)

            def chunk_done(part: list[SourceItem], results: list[BatchItemResult]) -> None:
                for res in results:
                    if res.outcome is not None:
                        counts[res.outcome.status] += 1
                    else:
                        counts["failed"] += 1
                        detail = res.error.detail if res.error else "?"
                        errors.append(f"{part[res.index].where}: {detail}")
                progress.advance(task, len(part))

            await ingest_items(
                settings, url, iter_source(source, outlet), chunk=chunk, on_chunk=chunk_done
            )

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
