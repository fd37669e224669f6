"""Name normalisation for lookups: case- and accent-insensitive, punctuation-folded."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


# Words that never pick out a person on their own: an alias made of them ("the German
# minister") must not make `speaker=the` match, so they are dropped from name searches.
SEARCH_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "at",
        "by",
        "for",
        "from",
        "her",
        "his",
        "in",
        "its",
        "of",
        "on",
        "our",
        "that",
        "the",
        "their",
        "this",
        "to",
        "with",
    ]
)


def name_prefix_query(value: str) -> str:
    """A PostgreSQL ``to_tsquery('simple', …)`` text that finds names as a user types them:
    every word of ``value`` (case- and accent-folded, function words dropped) as a prefix,
    all required. ``'Albe'`` → ``'albe:*'``; ``'Ortega Mar'`` → ``'ortega:* & mar:*'``;
    ``''`` when nothing searchable is left (``'the'``). Safe to bind: :func:`name_key`
    leaves only word characters and spaces."""
    words = [w for w in name_key(value).split() if w not in SEARCH_STOPWORDS]
    return " & ".join(f"{w}:*" for w in words)


def name_key(value: str) -> str:
    """'Vladimir V. Putin' → 'vladimir v putin'; 'Kim Jong-un' → 'kim jong un'; 'Müller' → 'muller'."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()
