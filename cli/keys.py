"""``article-store keys``: create, list and revoke API keys."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.common import console, fail, load_settings, open_store, out, run_with_sessions

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    scope: Annotated[str, typer.Option(help="read, write or admin.")] = "read",
) -> None:
    """Create a key and print it once; only its SHA-256 hash is stored."""
    from service import access

    if scope not in ("read", "write", "admin"):
        raise fail(f"scope must be read, write or admin, not {scope!r}", 2)
    with open_store(load_settings(), migrate=True) as db:
        key = run_with_sessions(db.url, lambda f: access.create_key(f, name, scope))  # type: ignore[arg-type]
    console.print(f"[green]created[/] key {key.prefix} ({key.scope}) — shown once, store it now:")
    typer.echo(key.token)


@keys_app.command("list")
def keys_list() -> None:
    """List keys (never the keys themselves: they are not stored)."""
    from rich.table import Table

    from service import access

    with open_store(load_settings()) as db:
        rows = run_with_sessions(db.url, access.list_keys)
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
    out.print(table)


@keys_app.command("revoke")
def keys_revoke(key: Annotated[str, typer.Argument(help="The key's id or prefix.")]) -> None:
    """Revoke a key (effective within seconds on every API process)."""
    from service import access

    with open_store(load_settings()) as db:
        done = run_with_sessions(db.url, lambda f: access.revoke_key(f, key))
    if not done:
        raise fail(f"no active key with id or prefix {key!r}")
    console.print(f"[green]revoked[/] {key}")


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")
