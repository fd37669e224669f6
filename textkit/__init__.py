"""Pure text algorithms: no database, no HTTP, no use cases.

* :mod:`textkit.diffing` — word/sentence/paragraph diffs and their renderings;
* :mod:`textkit.similarity` — MinHash fingerprints and sentence matching (stories, related);
* :mod:`textkit.anchoring` — finding a span again in a changed text (quote + context);
* :mod:`textkit.names` — name keys for case- and accent-insensitive lookups;
* :mod:`textkit.urls` — URL normalisation for article identity.

Like ``nlp/``, it imports nothing from ``api/``, ``service/`` or ``db/``; ``service/`` calls it.
"""
