"""Claim clusters: the same claim made in different articles.

:func:`claim_similarity` is lexical plus entities: the overlap of content-word stems (Dice,
weighted by inverse document frequency over the claims being clustered), the rapidfuzz
``token_set_ratio`` of the stemmed content words (generous when one claim's words are contained in
the other's, as when an outlet shortens a claim; damped by the length ratio), and the overlap
(Jaccard) of entity keys.
:func:`cluster_claims` links every pair of claims from *different* articles whose similarity is at
least the threshold and returns the connected components (union-find). Figures measured on the
seeds, and why :data:`DEFAULT_CLUSTER_THRESHOLD` is what it is, are in docs/nlp.md.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

import numpy as np
from rapidfuzz import fuzz

from nlp.topics import normalise_words
from nlp.types import ClaimForClustering

DEFAULT_CLUSTER_THRESHOLD = 0.6

# Weights of the three parts (they sum to 1; without entities on both sides the lexical parts
# are rescaled to sum to 1).
W_DICE = 0.60
W_TOKEN_SET = 0.25
W_ENTITIES = 0.15

# Function words and reporting words that say nothing about what a claim asserts.
STOPWORDS: frozenset[str] = frozenset(
    {
        "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "from", "by",
        "with", "as", "that", "this", "these", "those", "it", "its", "he", "she", "they", "we",
        "his", "her", "their", "our", "i", "you", "him", "them", "us", "be", "is", "are", "was",
        "were", "been", "being", "am", "ha", "has", "have", "had", "do", "doe", "does", "did",
        "will", "would", "could", "can", "may", "might", "should", "shall", "must", "not", "no",
        "also", "than", "then", "there", "here", "which", "who", "whom", "whose", "what", "when",
        "where", "while", "if", "about", "into", "over", "after", "before", "so", "such",
        "more", "most", "other", "some", "any", "all", "both", "each", "very", "just", "only",
        "said", "say", "says", "told", "tell", "according", "report", "reported", "official",
        "officials", "mr", "ms", "mrs", "dr", "like", "possibly", "likely", "probably",
    }
)  # fmt: skip
_STOP_STEMS = frozenset(normalise_words(" ".join(sorted(STOPWORDS))))


def content_words(text: str) -> list[str]:
    """Stemmed content words of ``text`` (stop and reporting words removed), in order."""
    return list(_content_words(text))


@lru_cache(maxsize=65536)
def _content_words(text: str) -> tuple[str, ...]:
    # memoised: a worker compares each new claim with thousands of stored ones, and the
    # same stored claims again for every revision it annotates nearby
    return tuple(w for w in normalise_words(text) if w not in _STOP_STEMS and len(w) > 1)


def idf_weights(texts: Iterable[str]) -> dict[str, float]:
    """Inverse document frequency ``log(N / df)`` of each content word over ``texts``: words
    every claim of a story shares ("kim", "russia") weigh ~0, rare ones ("antitank") most."""
    df: Counter[str] = Counter()
    n = 0
    for t in texts:
        n += 1
        df.update(set(_content_words(t)))
    return {w: math.log(n / d) for w, d in df.items()}


def claim_similarity(
    a_text: str,
    b_text: str,
    a_entities: Iterable[str] = (),
    b_entities: Iterable[str] = (),
    idf: Mapping[str, float] | None = None,
    default: float | None = None,
) -> float:
    """Similarity of two claims in [0, 1] (see the module docstring).

    ``idf`` (from :func:`idf_weights` over the claims being compared) weights the word overlap;
    without it every content word counts the same, which rates claims sharing only the story's
    names ("Kim", "North Korea", "Russia") far higher.
    """
    aw, bw = _content_words(a_text), _content_words(b_text)
    return _similarity(aw, bw, frozenset(a_entities), frozenset(b_entities), idf, default)


def idf_default(idf: Mapping[str, float]) -> float:
    """The weight of a word ``idf`` has not seen: the rarest word's."""
    return max(idf.values(), default=1.0)


@dataclass(frozen=True, slots=True)
class PreparedClaim:
    """What :func:`prepared_similarity` needs of a claim, computed once per claim."""

    words: frozenset[str]
    joined: str  # the content words in order, space-separated (for token_set_ratio)
    entities: frozenset[str]

    @classmethod
    def of(cls, text: str, entities: Iterable[str] = ()) -> PreparedClaim:
        words = _content_words(text)
        return cls(frozenset(words), " ".join(words), frozenset(entities))

    def with_entities(self, entities: Iterable[str]) -> PreparedClaim:
        return PreparedClaim(self.words, self.joined, frozenset(entities))


def prepared_similarity(
    a: PreparedClaim,
    b: PreparedClaim,
    idf: Mapping[str, float] | None = None,
    default: float | None = None,
) -> float:
    """:func:`claim_similarity` of two prepared claims (``default``: :func:`idf_default`
    of ``idf``, when the caller compares many pairs)."""
    sa, sb = a.words, b.words
    if not sa or not sb:
        return 0.0
    dice = 2 * len(sa & sb) / (len(sa) + len(sb))
    if idf:
        if default is None:
            default = idf_default(idf)
        total = sum(idf.get(w, default) for w in sa) + sum(idf.get(w, default) for w in sb)
        if total > 0:
            dice = 2 * sum(idf.get(w, default) for w in sa & sb) / total
    # token_set_ratio is 1.0 whenever one word set contains the other; damp it by the size
    # ratio so a short claim made of the story's common words does not match every long one.
    balance = min(len(sa), len(sb)) / max(len(sa), len(sb))
    token_set = fuzz.token_set_ratio(a.joined, b.joined) / 100.0 * balance
    ae, be = a.entities, b.entities
    if ae and be:
        ents = len(ae & be) / len(ae | be)
        return W_DICE * dice + W_TOKEN_SET * token_set + W_ENTITIES * ents
    return (W_DICE * dice + W_TOKEN_SET * token_set) / (W_DICE + W_TOKEN_SET)


class ClaimIndex:
    """Prepared candidate claims with an inverted index, to find those a new claim repeats.

    :meth:`matches` gives exactly the candidates whose :func:`prepared_similarity` reaches
    the threshold, but scores only those that can: the IDF-weighted word overlap of every
    candidate sharing a word is accumulated with numpy, and a candidate whose best possible
    similarity (perfect token-set and entity parts) stays under the threshold is skipped.
    """

    def __init__(
        self, prepared: Sequence[PreparedClaim], idf: Mapping[str, float], default: float
    ) -> None:
        self.prepared = list(prepared)
        self.idf, self.default = idf, default
        postings: dict[str, list[int]] = defaultdict(list)
        for i, pc in enumerate(self.prepared):
            for w in pc.words:
                postings[w].append(i)
        self.postings = {w: np.asarray(ix, dtype=np.int64) for w, ix in postings.items()}
        self.sizes = np.asarray([len(pc.words) for pc in self.prepared], dtype=np.float64)
        self.weights = np.asarray(
            [sum(idf.get(w, default) for w in pc.words) for pc in self.prepared],
            dtype=np.float64,
        )

    def possible(self, claim: PreparedClaim, threshold: float) -> list[int]:
        """Indices of the candidates that can reach ``threshold`` with ``claim``: its best
        possible similarity with each (perfect token-set and entity parts) does. Neither
        side's entities are read, so the candidates may be prepared without them."""
        if not claim.words or not self.prepared:
            return []
        n = len(self.prepared)
        shared_w = np.zeros(n)
        shared_n = np.zeros(n)
        for w in claim.words:
            ix = self.postings.get(w)
            if ix is not None:
                shared_w[ix] += self.idf.get(w, self.default)
                shared_n[ix] += 1
        touched = np.nonzero(shared_n)[0]
        if not len(touched):
            return []
        size = float(len(claim.words))
        weight = sum(self.idf.get(w, self.default) for w in claim.words)
        total = weight + self.weights[touched]
        dice_u = 2 * shared_n[touched] / (size + self.sizes[touched])
        with np.errstate(divide="ignore", invalid="ignore"):
            dice_w = np.where(total > 0, 2 * shared_w[touched] / total, dice_u)
        dice = dice_w if self.idf else dice_u
        balance = np.minimum(size, self.sizes[touched]) / np.maximum(size, self.sizes[touched])
        best = np.maximum(
            W_DICE * dice + W_TOKEN_SET * balance + W_ENTITIES,
            (W_DICE * dice + W_TOKEN_SET * balance) / (W_DICE + W_TOKEN_SET),
        )
        return [int(i) for i in touched[best >= threshold - 1e-9]]

    def matches(self, claim: PreparedClaim, threshold: float) -> list[int]:
        """Indices of the candidates ``claim`` repeats (similarity ≥ ``threshold``)."""
        return [
            i
            for i in self.possible(claim, threshold)
            if prepared_similarity(claim, self.prepared[i], self.idf, self.default) >= threshold
        ]


def _similarity(
    aw: Sequence[str],
    bw: Sequence[str],
    ae: frozenset[str],
    be: frozenset[str],
    idf: Mapping[str, float] | None = None,
    default: float | None = None,
) -> float:
    return prepared_similarity(
        PreparedClaim(frozenset(aw), " ".join(aw), ae),
        PreparedClaim(frozenset(bw), " ".join(bw), be),
        idf,
        default,
    )


def cluster_claims(
    items: Sequence[ClaimForClustering],
    threshold: float = DEFAULT_CLUSTER_THRESHOLD,
    idf: Mapping[str, float] | None = None,
) -> list[list[int]]:
    """Groups of indices into ``items`` that make the same claim, each group spanning at least
    two articles; singletons are left out. Groups are sorted, largest first.

    Word overlap is weighted by ``idf`` (default: :func:`idf_weights` over ``items``). Only
    pairs sharing a content word are scored (an inverted index), so the cost follows the number
    of overlapping pairs, not all pairs.
    """
    words = [_content_words(it.text) for it in items]
    if idf is None:
        idf = idf_weights(it.text for it in items)
    default = idf_default(idf)
    ents = [frozenset(it.entity_keys) for it in items]
    index: dict[str, list[int]] = defaultdict(list)
    for i, ws in enumerate(words):
        for w in set(ws):
            index[w].append(i)
    parent = list(range(len(items)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    seen: set[tuple[int, int]] = set()
    for postings in index.values():
        for i, j in combinations(postings, 2):
            if (i, j) in seen or items[i].article_id == items[j].article_id:
                continue
            seen.add((i, j))
            if find(i) == find(j):
                continue
            if _similarity(words[i], words[j], ents[i], ents[j], idf, default) >= threshold:
                parent[find(i)] = find(j)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(items)):
        groups[find(i)].append(i)
    out = [g for g in groups.values() if len({items[i].article_id for i in g}) > 1]
    out.sort(key=lambda g: (-len(g), g[0]))
    return out
