"""How much one revision's annotation run may store, and what it says when it stores less.

A body near the 2 MB limit full of names gave 29,649 entities (and as many mentions and
aliases): one run's write became a transaction of hundreds of thousands of rows, and the
rows themselves were no longer useful to anyone (a "speaker" list of thirty thousand names).
A run keeps at most :class:`AnnotationLimits` of each kind and records on the run
(``annotation_runs.limits_applied``) what it left out and why, so a reader can tell a capped
set from a complete one.

What is kept: the quotes and mentions first in the text; the claims that score highest; the
entities that speak (a kept quote's speaker, a kept claim's claimant) and then the most
mentioned. References to what was dropped become ``None`` (a quote's speaker, a claim's
quote), as the writer already does for any unresolved key.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

from nlp.types import Annotations


@dataclass(frozen=True, slots=True)
class AnnotationLimits:
    entities: int = 10_000
    mentions: int = 50_000
    quotes: int = 5_000
    claims: int = 5_000


def apply_limits(ann: Annotations, limits: AnnotationLimits) -> tuple[Annotations, str | None]:
    """``ann`` within ``limits``, and a sentence saying what was cut (``None``: nothing)."""
    cut: list[str] = []

    quotes = ann.quotes
    if len(quotes) > limits.quotes:
        cut.append(f"{len(quotes):,} quotes found, the first {limits.quotes:,} kept")
        quotes = quotes[: limits.quotes]

    claims = ann.claims
    if any(c.quote_index is not None and c.quote_index >= len(quotes) for c in claims):
        claims = tuple(
            dataclasses.replace(c, quote_index=None)
            if c.quote_index is not None and c.quote_index >= len(quotes)
            else c
            for c in claims
        )
    if len(claims) > limits.claims:
        cut.append(f"{len(claims):,} claims found, the {limits.claims:,} best scored kept")
        best = sorted(range(len(claims)), key=lambda i: (-claims[i].score, i))[: limits.claims]
        claims = tuple(claims[i] for i in sorted(best))

    entities = ann.entities
    if len(entities) > limits.entities:
        cut.append(f"{len(entities):,} entities found, {limits.entities:,} kept")
        speaking = {q.speaker_key for q in quotes} | {c.claimant_key for c in claims}
        mentioned = Counter(m.entity_key for m in ann.mentions)
        order = sorted(
            range(len(entities)),
            key=lambda i: (entities[i].key not in speaking, -mentioned[entities[i].key], i),
        )
        entities = tuple(entities[i] for i in sorted(order[: limits.entities]))

    kept_keys = {e.key for e in entities}
    mentions = tuple(m for m in ann.mentions if m.entity_key in kept_keys)
    if len(mentions) > limits.mentions:
        cut.append(
            f"{len(mentions):,} mentions of kept entities, the first {limits.mentions:,} kept"
        )
        mentions = mentions[: limits.mentions]

    if not cut:
        return ann, None
    limited = dataclasses.replace(
        ann, entities=entities, mentions=mentions, quotes=quotes, claims=claims
    )
    return limited, "per-revision limits applied: " + "; ".join(cut)
