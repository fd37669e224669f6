"""The ``article-store`` command line: one entry, one error wrapper, one module per group.

``cli.main`` builds the Typer app from :mod:`cli.server` (serve, worker, migrate, seed,
db-url), :mod:`cli.ingest`, :mod:`cli.keys`, :mod:`cli.topics` and :mod:`cli.evaluate`.
Commands only parse arguments, call use cases in ``service/`` and print; a database or
configuration error becomes one readable ``error:`` line (:func:`cli.common.open_store`).
"""
