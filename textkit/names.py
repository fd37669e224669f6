"""Name normalisation for lookups: case- and accent-insensitive, punctuation-folded."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^\w]+", re.UNICODE)


def name_key(value: str) -> str:
    """'Vladimir V. Putin' → 'vladimir v putin'; 'Kim Jong-un' → 'kim jong un'; 'Müller' → 'muller'."""
    decomposed = unicodedata.normalize("NFKD", value)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", stripped.casefold()).strip()
