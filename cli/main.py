"""The ``article-store`` entry point: one Typer app, each command group in its own module."""

from __future__ import annotations

import sys

import typer

from cli import evaluate, ingest, keys, server, topics

app = typer.Typer(
    name="article-store",
    help="Store news articles, their revisions and what they say; serve them over HTTP.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
for group in (server, ingest, keys, topics, evaluate):
    group.register(app)


def main() -> None:
    try:
        app()
    except KeyboardInterrupt:
        sys.exit(130)


if __name__ == "__main__":
    main()
