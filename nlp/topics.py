"""Topic taxonomy and rule-based topic classification.

The taxonomy is data (``nlp/data/taxonomy.json``, or rows the service loads from the database):
:func:`classify` takes the topic definitions as an argument and never reads globals, so a taxonomy
edited at runtime applies at once. Matching is lexical: keywords are compared on normalised word
stems (case, accents, hyphens and regular inflection ignored), so "anti-tank missiles" matches
the keyword "antitank missile". A text matching a child topic is *not* also linked to its parent;
callers that want a subtree expand descendants at query time (:func:`descendants`).
"""

from __future__ import annotations

import json
import math
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from nlp.types import TopicDef, TopicMatch, TopicRules

TAXONOMY_PATH = Path(__file__).parent / "data" / "taxonomy.json"

# Matches scoring below this are dropped (one keyword at the default weight 0.7 scores 0.50).
MIN_TOPIC_SCORE = 0.3
MAX_KEYWORD_WORDS = 5

_WORD = re.compile(r"[^\W_]+(?:[-‐‑–'’][^\W_]+)*")


def topic_from_dict(d: Mapping[str, Any]) -> TopicDef:
    """Build a :class:`TopicDef` from its JSON/DB shape (``rules`` may be missing or partial)."""
    rules = d.get("rules") or {}
    kw_items = rules.get("keywords") or []
    keywords: list[str] = []
    weights: list[tuple[str, float]] = []
    for item in kw_items:
        if isinstance(item, str):
            keywords.append(item)
        else:
            keywords.append(str(item["term"]))
            if item.get("weight") is not None:
                weights.append((str(item["term"]), float(item["weight"])))
    defaults = TopicRules()
    return TopicDef(
        slug=str(d["slug"]),
        name=str(d.get("name") or d["slug"]),
        parent=d.get("parent"),
        iptc_code=d.get("iptc_code"),
        description=str(d.get("description") or ""),
        rules=TopicRules(
            keywords=tuple(keywords),
            entity_types=tuple(rules.get("entity_types") or ()),
            weight=float(rules.get("weight", defaults.weight)),
            entity_weight=float(rules.get("entity_weight", defaults.entity_weight)),
            keyword_weights=tuple(weights),
        ),
    )


def topic_to_dict(t: TopicDef) -> dict[str, Any]:
    """The inverse of :func:`topic_from_dict` (keywords with their own weight as objects)."""
    own = dict(t.rules.keyword_weights)
    return {
        "slug": t.slug,
        "name": t.name,
        "parent": t.parent,
        "iptc_code": t.iptc_code,
        "description": t.description,
        "rules": {
            "keywords": [
                {"term": k, "weight": own[k]} if k in own else k for k in t.rules.keywords
            ],
            "entity_types": list(t.rules.entity_types),
            "weight": t.rules.weight,
            "entity_weight": t.rules.entity_weight,
        },
    }


def load_taxonomy(path: str | Path | None = None) -> list[TopicDef]:
    """Read a taxonomy file (default: the shipped ``nlp/data/taxonomy.json``) and validate it."""
    raw = json.loads(Path(path or TAXONOMY_PATH).read_text(encoding="utf-8"))
    items = raw["topics"] if isinstance(raw, dict) else raw
    topics = [topic_from_dict(d) for d in items]
    validate_taxonomy(topics)
    return topics


def validate_taxonomy(topics: Sequence[TopicDef]) -> None:
    """Raise ``ValueError`` on duplicate slugs, unknown parents or a parent cycle."""
    by_slug: dict[str, TopicDef] = {}
    for t in topics:
        if t.slug in by_slug:
            raise ValueError(f"duplicate topic slug {t.slug!r}")
        by_slug[t.slug] = t
    for t in topics:
        seen = {t.slug}
        parent = t.parent
        while parent is not None:
            if parent not in by_slug:
                raise ValueError(f"topic {t.slug!r} has unknown parent {parent!r}")
            if parent in seen:
                raise ValueError(f"topic {t.slug!r} is in a parent cycle")
            seen.add(parent)
            parent = by_slug[parent].parent


def descendants(slug: str, topics: Iterable[TopicDef]) -> set[str]:
    """``slug`` and every topic below it."""
    children: dict[str | None, list[str]] = {}
    for t in topics:
        children.setdefault(t.parent, []).append(t.slug)
    out, todo = set(), [slug]
    while todo:
        s = todo.pop()
        if s not in out:
            out.add(s)
            todo.extend(children.get(s, ()))
    return out


@lru_cache(maxsize=131072)
def stem(word: str) -> str:
    """A deliberately small, predictable English stemmer: lower case, accents off, regular
    plural and verb endings removed ("shells" -> "shell", "supplied" -> "supply",
    "sanctions" -> "sanction", "shipping" -> "ship")."""
    w = unicodedata.normalize("NFKD", word.casefold())
    w = "".join(c for c in w if not unicodedata.combining(c)).replace("’", "'")
    if w.endswith("'s"):
        w = w[:-2]
    n = len(w)
    if n > 4 and w.endswith("ies"):
        return w[:-3] + "y"
    if n > 4 and w.endswith("ied"):
        return w[:-3] + "y"
    if n > 5 and w.endswith("ing"):
        return _undouble(w[:-3])
    if n > 4 and w.endswith("ed") and not w.endswith("eed"):
        return _undouble(w[:-2])
    if n > 4 and w.endswith(("sses", "shes", "ches", "xes", "zes")):
        return w[:-2]
    if n > 3 and w.endswith("s") and not w.endswith(("ss", "us", "is")):
        return w[:-1]
    return w


def _undouble(w: str) -> str:
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "lsz":
        return w[:-1]
    return w


def normalise_words(text: str) -> list[str]:
    """Stems of ``text``'s words; a hyphenated word gives its joined form ("antitank")."""
    out: list[str] = []
    for m in _WORD.finditer(text):
        word = re.sub(r"[-‐‑–]", "", m.group())
        out.append(stem(word))
    return out


def _split_words(text: str) -> list[str]:
    out: list[str] = []
    for m in _WORD.finditer(text):
        out.extend(stem(p) for p in re.split(r"[-‐‑–]", m.group()) if p)
    return out


def _ngrams(words: Sequence[str], n_max: int) -> set[tuple[str, ...]]:
    grams: set[tuple[str, ...]] = set()
    for i in range(len(words)):
        for n in range(1, n_max + 1):
            if i + n > len(words):
                break
            grams.add(tuple(words[i : i + n]))
    return grams


# A compiled taxonomy: for each topic, its keyword variants (word tuples) with their weights.
_Compiled = tuple[tuple[TopicDef, tuple[tuple[tuple[tuple[str, ...], ...], float], ...]], ...]


@lru_cache(maxsize=16)
def _compile(topics: tuple[TopicDef, ...]) -> _Compiled:
    out = []
    for t in topics:
        own = dict(t.rules.keyword_weights)
        kws = []
        for kw in t.rules.keywords:
            variants = {tuple(normalise_words(kw)), tuple(_split_words(kw))}
            variants = {v for v in variants if 0 < len(v) <= MAX_KEYWORD_WORDS}
            if variants:
                kws.append((tuple(sorted(variants)), own.get(kw, t.rules.weight)))
        out.append((t, tuple(kws)))
    return tuple(out)


def classify(
    text: str,
    topics: Sequence[TopicDef],
    entity_labels: Sequence[str] = (),
    min_score: float = MIN_TOPIC_SCORE,
) -> list[TopicMatch]:
    """Topics ``text`` is about, best first.

    Score = ``1 - exp(-(sum of the weights of distinct matched keywords + entity_weight if an
    entity of one of the topic's entity_types occurs and a keyword matched))``, so in (0, 1);
    matches under ``min_score`` are dropped. Parents are not added for matched children.
    """
    if not text or not topics:
        return []
    try:
        compiled = _compile(tuple(topics))
    except TypeError:  # unhashable custom sequence items: compile without the cache
        compiled = _compile.__wrapped__(tuple(topics))
    joined = normalise_words(text)
    split = _split_words(text)
    grams = _ngrams(joined, MAX_KEYWORD_WORDS) | _ngrams(split, MAX_KEYWORD_WORDS)
    labels = set(entity_labels)
    matches = []
    for topic, kws in compiled:
        total = 0.0
        for variants, weight in kws:
            if any(v in grams for v in variants):
                total += weight
        if total <= 0:
            continue
        if labels and labels.intersection(topic.rules.entity_types):
            total += topic.rules.entity_weight
        score = round(1.0 - math.exp(-total), 3)
        if score >= min_score and score > 0:
            matches.append(TopicMatch(topic.slug, min(1.0, score)))
    matches.sort(key=lambda m: (-m.score, m.slug))
    return matches
