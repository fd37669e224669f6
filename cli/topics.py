"""``article-store topics``: load and list the topic taxonomy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from cli.common import console, fail, load_settings, open_store, run_with_sessions

topics_app = typer.Typer(help="Load and list the topic taxonomy.", no_args_is_help=True)


def _read_release(file: Path | None) -> tuple[str, list[Any], list[Any]]:
    """What ``file`` holds: ("iptc", concepts, custom) for an IPTC Media Topics release
    (IPTC's JSON-LD export or the shipped compact file; none: the shipped release and the
    custom topics), ("taxonomy", topics, []) for an article-store taxonomy file."""
    import json

    from nlp.iptc import load_custom_topics, load_iptc
    from nlp.topics import load_taxonomy

    if file is None:
        return "iptc", load_iptc(), load_custom_topics()
    raw = json.loads(file.read_text(encoding="utf-8"))
    if not isinstance(raw, dict | list):
        raise ValueError("expected a JSON object: an IPTC JSON-LD export or a taxonomy file")
    items = raw.get("topics") if isinstance(raw, dict) else raw
    if isinstance(raw, dict) and "conceptSet" in raw:
        return "iptc", load_iptc(file), []
    if isinstance(items, list) and items and isinstance(items[0], dict) and "code" in items[0]:
        return "iptc", load_iptc(file), []  # the compact form nlp/data ships
    if isinstance(items, list) and items:
        return "taxonomy", load_taxonomy(file), []
    raise ValueError(
        "neither an IPTC Media Topics JSON-LD export (no conceptSet) nor a taxonomy file "
        "(no topics)"
    )


@topics_app.command("load")
def topics_load(
    file: Annotated[
        Path | None,
        typer.Argument(
            help="An IPTC Media Topics release (IPTC's JSON-LD export, e.g. a newer "
            "cptall-en-GB mediatopic file) or an article-store taxonomy JSON. Default: the "
            "IPTC release and custom topics shipped in the package.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Load a newer IPTC Media Topics release (or a taxonomy file), in one transaction.

    IPTC concepts are upserted by code (a known code keeps its slug and links; new codes are
    added), concepts the release no longer lists are marked retired (kept with their links),
    custom and user topics are kept. Nothing is deleted. Existing claims are re-linked only
    by `POST /v1/topics/{slug}:reclassify`; new annotation runs use the new tree at once."""
    from service import topics as topic_svc

    try:
        kind, defs, custom = _read_release(file)
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise fail(f"cannot read {file}: {exc}", 2) from exc
    if kind == "iptc" and not defs:
        raise fail(f"{file} has no live IPTC concept", 2)

    async def run(factory: Any) -> Any:
        async with factory() as session:
            if kind == "iptc":
                return await topic_svc.load_iptc_release(session, defs, custom)
            return await topic_svc.load_taxonomy(session, defs)

    from service.errors import DomainError

    with open_store(load_settings(), migrate=True) as db:
        try:
            report = run_with_sessions(db.url, run)
        except DomainError as exc:  # a bad tree (unknown parent, cycle): nothing was written
            raise fail(f"cannot load {file or 'the shipped taxonomy'}: {exc}", 2) from exc
    console.print(
        f"[green]loaded[/] {len(defs) + len(custom)} topics: {len(report.created)} created, "
        f"{len(report.updated)} updated, {len(report.retired)} retired, "
        f"{len(report.restored)} restored"
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
