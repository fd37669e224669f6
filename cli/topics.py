"""``article-store topics``: load and list the topic taxonomy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import console, fail, load_settings, open_store, run_with_sessions

topics_app = typer.Typer(help="Load and list the topic taxonomy.", no_args_is_help=True)


@topics_app.command("load")
def topics_load(
    file: Annotated[
        Path | None,
        typer.Option(help="Taxonomy JSON (default: the one shipped in the package)."),
    ] = None,
) -> None:
    """Create or update topics from a taxonomy file (topics not in the file are kept).

    Existing claims are re-linked only by `POST /v1/topics/{slug}:reclassify`."""
    from nlp.topics import load_taxonomy
    from service import topics as topic_svc

    try:
        defs = load_taxonomy(file)
    except (OSError, ValueError, KeyError) as exc:
        raise fail(f"cannot read the taxonomy: {exc}", 2) from exc

    async def run(factory: Any) -> Any:
        async with factory() as session:
            return await topic_svc.load_taxonomy(session, defs)

    with open_store(load_settings(), migrate=True) as db:
        report = run_with_sessions(db.url, run)
    console.print(
        f"[green]loaded[/] {len(defs)} topics: {len(report.created)} created, "
        f"{len(report.updated)} updated"
    )


@topics_app.command("list")
def topics_list() -> None:
    """Print the taxonomy as a tree."""
    from service import topics as topic_svc

    async def run(factory: Any) -> Any:
        async with factory() as session:
            return await topic_svc.topic_tree(session)

    with open_store(load_settings()) as db:
        tree = run_with_sessions(db.url, run)

    def show(nodes: list[dict[str, Any]], depth: int) -> None:
        for n in nodes:
            code = f" ({n['iptc_code']})" if n["iptc_code"] else ""
            typer.echo(f"{'  ' * depth}{n['slug']}{code}")
            show(n["children"], depth + 1)

    show(tree, 0)


def register(app: typer.Typer) -> None:
    app.add_typer(topics_app, name="topics")
