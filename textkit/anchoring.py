"""Re-anchoring an annotation in a changed text (pure; no database).

An annotation is found again the way W3C Web Annotation's TextQuoteSelector (and
hypothesis/h) does it: by its exact text plus the text just before (``prefix``) and after
(``suffix``) it, with the old position as a tie-breaker. The result says how sure we are:

* ``exact``    – the text is unchanged at the same offsets;
* ``moved``    – the exact quoted text was found elsewhere (the best occurrence by context
                 and distance from the old position);
* ``fuzzy``    – only an approximate match was found (the quote was lightly edited);
* ``orphaned`` – nothing close enough: the quote is gone from the new text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

AnchorStatus = Literal["exact", "moved", "fuzzy", "orphaned"]

#: How similar (0–100) an approximate match found anywhere must be to count as ``fuzzy``.
FUZZY_THRESHOLD = 80.0
#: How similar a candidate pinned between the span's own unchanged prefix and suffix must be:
#: the context says where the span is, so a one-word edit of a short quote ("a crisis" →
#: "an emergency": 70 % alike) still finds it.
PINNED_THRESHOLD = 50.0
#: Context weight: how much a matching prefix/suffix outranks distance from the old place.
CONTEXT_WEIGHT = 1000.0
#: How many characters before and after a span are remembered as its context.
ANCHOR_CONTEXT = 32


def anchor_context(text: str, start: int, end: int) -> tuple[str, str]:
    """The ``(prefix, suffix)`` remembered with the span ``[start, end)`` of ``text``."""
    return text[max(0, start - ANCHOR_CONTEXT) : start], text[end : end + ANCHOR_CONTEXT]


@dataclass(frozen=True, slots=True)
class Anchor:
    start: int
    end: int
    status: AnchorStatus


def _context_score(new_text: str, start: int, end: int, prefix: str, suffix: str) -> float:
    """0–200: how well the text around [start, end) matches the remembered context."""
    score = 0.0
    if prefix:
        score += fuzz.ratio(new_text[max(0, start - len(prefix)) : start], prefix)
    if suffix:
        score += fuzz.ratio(new_text[end : end + len(suffix)], suffix)
    return score


def _occurrences(text: str, needle: str) -> list[int]:
    out = []
    i = text.find(needle)
    while i >= 0:
        out.append(i)
        i = text.find(needle, i + 1)
    return out


def _best_exact(new_text: str, exact: str, old_start: int, prefix: str, suffix: str) -> int | None:
    hits = _occurrences(new_text, exact)
    if not hits:
        return None
    n = max(1, len(new_text))

    def rank(i: int) -> float:
        closeness = 1.0 - abs(i - old_start) / n  # 0–1: a tie-breaker only
        return (
            _context_score(new_text, i, i + len(exact), prefix, suffix) * CONTEXT_WEIGHT + closeness
        )

    return max(hits, key=rank)


def _fuzzy(new_text: str, exact: str, prefix: str, suffix: str) -> tuple[int, int] | None:
    """The best approximate occurrence of ``exact`` (by edit distance) or None."""
    if not exact.strip() or not new_text:
        return None
    # Anchor on the context first: prefix end and suffix start, when they are still there.
    candidates: list[tuple[int, int, float]] = []
    if prefix and suffix:
        for p in _occurrences(new_text, prefix):
            s = new_text.find(suffix, p + len(prefix))
            if s >= 0 and s - (p + len(prefix)) <= 2 * len(exact) + 50:
                candidates.append((p + len(prefix), s, PINNED_THRESHOLD))
    # Then the best-aligned window anywhere (rapidfuzz's partial alignment).
    align = fuzz.partial_ratio_alignment(exact, new_text, score_cutoff=FUZZY_THRESHOLD)
    if align is not None:
        candidates.append((align.dest_start, align.dest_end, FUZZY_THRESHOLD))
    best: tuple[float, int, int] | None = None
    for s, e, threshold in candidates:
        if e <= s or not 0.5 <= (e - s) / len(exact) <= 2.0:
            continue
        sim = Levenshtein.normalized_similarity(exact, new_text[s:e]) * 100
        if sim < threshold:
            continue
        ranked = sim + _context_score(new_text, s, e, prefix, suffix) / 20
        if best is None or ranked > best[0]:
            best = (ranked, s, e)
    return (best[1], best[2]) if best else None


def reanchor(
    old_text: str,
    new_text: str,
    start: int,
    end: int,
    prefix: str | None = None,
    suffix: str | None = None,
) -> Anchor:
    """Where does ``old_text[start:end]`` lie in ``new_text``?

    ``prefix``/``suffix`` default to the 32 characters around the span in ``old_text``.
    The returned span always satisfies ``0 <= start <= end <= len(new_text)``; for
    ``orphaned`` it is empty (``start == end``) and must not be stored as the quote."""
    if not (0 <= start <= end <= len(old_text)):
        raise ValueError(f"span [{start}, {end}) is outside the old text")
    exact = old_text[start:end]
    if prefix is None:
        prefix = old_text[max(0, start - 32) : start]
    if suffix is None:
        suffix = old_text[end : end + 32]
    if not exact:
        return Anchor(0, 0, "orphaned")
    if new_text[start:end] == exact and (
        old_text == new_text
        or _context_score(new_text, start, end, prefix, suffix)
        >= (100 if prefix else 0) + (100 if suffix else 0) - 1e-9
    ):
        return Anchor(start, end, "exact")
    hit = _best_exact(new_text, exact, start, prefix, suffix)
    if hit is not None:
        return Anchor(hit, hit + len(exact), "exact" if hit == start else "moved")
    approx = _fuzzy(new_text, exact, prefix, suffix)
    if approx is not None:
        return Anchor(approx[0], approx[1], "fuzzy")
    return Anchor(0, 0, "orphaned")


__all__ = ["Anchor", "AnchorStatus", "reanchor"]
