"""Pure similarity measures for grouping article versions into stories and finding
related articles (no database, no HTTP).

* ``fingerprint`` — a 128-permutation MinHash of word 5-shingles (fixed seed, datasketch
  "affine32" scheme: 128 uint32 values), storable
  as ``bigint[]`` (``to_list``) or ``bytea`` (``to_bytes``); ``estimated_jaccard``
  compares two fingerprints without the texts (candidate search at ingest).
* ``version_similarity`` — are two texts versions of one report? The larger of the
  shingle Jaccard estimate and the share of the shorter text's sentences that have a
  near-identical sentence in the other (survives rewritten leads, reordering and many
  edited sentences, where shingle overlap collapses). Same story iff
  ``>= STORY_THRESHOLD``.
* ``related_score`` — topical relatedness: mean of the cosines of sublinear term
  frequencies of content words (names count double) and of word bigrams. No corpus
  statistics needed.

Thresholds are measured on the seed articles and synthetic edits: see docs/diffs.md
and tests/service/test_similarity.py.
"""

from __future__ import annotations

import itertools
import math
import re
import unicodedata
import zlib
from collections import Counter
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash
from rapidfuzz import fuzz, process

from textkit.diffing.text import normalize_quotes, sentence_spans

NUM_PERM = 128
SHINGLE_SIZE = 5
MINHASH_SEED = 20230911
# version_similarity at or above this: same story. Measured (docs/diffs.md): same-story
# pairs score >= 0.78 (AP versions 001/003: 0.783; synthetic edits of every seed >= 0.81),
# different stories <= 0.125 (NYT 004 vs its rewrite 002: 0.111); midpoint of the gap.
STORY_THRESHOLD = 0.45
# rapidfuzz ratio for two sentences to count as "the same sentence" across versions.
SENTENCE_MATCH_RATIO = 85.0
# Sentences shorter than this (words) are ignored when matching: bylines, "___", captions.
MIN_SENTENCE_WORDS = 6

_WORD_RE = re.compile(r"\w+")
_DROP_RE = re.compile(r"['.]")  # "U.S." == "US", "Moscow's" == "Moscows"
_CAPITALIZED_RE = re.compile(r"\b[A-Z][\w'’.-]*")
_STOPWORDS_TEXT = """a about above after again against all also am an and any are as at be because been
    before being below between both but by can could did do does doing down during each
    few for from further had has have having he her here hers herself him himself his how
    i if in into is it its itself just me more most my no nor not now of off on once only
    or other our ours out over own said same says she should so some such than that the
    their theirs them then there these they this those through to too under until up very
    was we were what when where which while who whom why will with would you your
    according told since still including like one two three new last week monday tuesday
    wednesday thursday friday saturday sunday mr mrs ms year years"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """MinHash signature of a text's word 5-shingles."""

    hashvalues: tuple[int, ...]
    shingles: int  # number of distinct shingles hashed (0 for texts under 5 words)

    def to_list(self) -> list[int]:
        """Unsigned 32-bit ints, e.g. for a Postgres ``bigint[]``."""
        return list(self.hashvalues)

    def to_bytes(self) -> bytes:
        return np.asarray(self.hashvalues, dtype="<u4").tobytes()

    @classmethod
    def from_list(cls, values: list[int], shingles: int = 0) -> Fingerprint:
        if len(values) != NUM_PERM:
            raise ValueError(f"expected {NUM_PERM} hash values, got {len(values)}")
        return cls(tuple(int(v) for v in values), shingles)

    @classmethod
    def from_bytes(cls, data: bytes, shingles: int = 0) -> Fingerprint:
        return cls.from_list(np.frombuffer(data, dtype="<u4").tolist(), shingles)


def shingle_words(text: str) -> list[str]:
    """Case-folded words, quotes and full stops removed, Unicode NFKC."""
    text = unicodedata.normalize("NFKC", normalize_quotes(text)).casefold()
    return _WORD_RE.findall(_DROP_RE.sub("", text))


_FNV_PRIME = np.uint64(0x100000001B3)


def shingle_hashes(words: list[str]) -> np.ndarray:
    """Distinct 32-bit hashes of the word 5-shingles (the whole text if shorter).

    Each distinct word is hashed once (crc32) and the shingle hash is a polynomial of
    its five word hashes, vectorised with numpy: ~10x faster than hashing joined
    shingle strings, and stable across processes (unlike ``hash()``).
    """
    if not words:
        return np.empty(0, dtype=np.uint64)
    ids: dict[str, int] = {}
    word_h = np.fromiter(
        (ids.setdefault(w, zlib.crc32(w.encode())) for w in words),
        dtype=np.uint64,
        count=len(words),
    )
    n = max(1, len(words) - SHINGLE_SIZE + 1)
    h = np.zeros(n, dtype=np.uint64)
    for k in range(min(SHINGLE_SIZE, len(words))):
        h = h * _FNV_PRIME + word_h[k : k + n]
    return np.unique((h ^ (h >> np.uint64(32))) & np.uint64(0xFFFFFFFF))


def _identity(x: int) -> int:
    return x


# Pinned explicitly: stored fingerprints must stay comparable across datasketch upgrades.
MINHASH_SCHEME = "affine32"
_PERMUTATIONS = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme=MINHASH_SCHEME).permutations


def fingerprint(text: str) -> Fingerprint:
    """MinHash (128 permutations, fixed seed) of the text's word 5-shingles."""
    hashes = shingle_hashes(shingle_words(text))
    mh = MinHash(
        num_perm=NUM_PERM,
        seed=MINHASH_SEED,
        hashfunc=_identity,
        permutations=_PERMUTATIONS,
        scheme=MINHASH_SCHEME,
    )
    if len(hashes):
        mh.update_batch(hashes.tolist())
    return Fingerprint(tuple(int(v) for v in mh.hashvalues), len(hashes))


def estimated_jaccard(a: Fingerprint, b: Fingerprint) -> float:
    """MinHash estimate of the Jaccard similarity of the two shingle sets."""
    if not a.shingles or not b.shingles:  # an empty text is like nothing
        return 0.0
    same = np.count_nonzero(np.asarray(a.hashvalues) == np.asarray(b.hashvalues))
    return float(same) / NUM_PERM


def sentence_keys(text: str) -> list[str]:
    """The normalised sentences :func:`sentence_match_score` compares (those of at least
    MIN_SENTENCE_WORDS words); compute once per text when comparing it with many."""
    keys = []
    for s, e in sentence_spans(text):
        words = shingle_words(text[s:e])
        if len(words) >= MIN_SENTENCE_WORDS:
            keys.append(" ".join(words))
    return keys


def sentence_match_score(a: str, b: str) -> float:
    """Share of the shorter text's sentences that have a near-identical sentence in the
    other (rapidfuzz ratio >= SENTENCE_MATCH_RATIO)."""
    return sentence_keys_score(sentence_keys(a), sentence_keys(b))


def sentence_keys_score(ka: list[str], kb: list[str]) -> float:
    """:func:`sentence_match_score` of two texts given their :func:`sentence_keys`."""
    if not ka or not kb:
        return 0.0
    short, long_ = (ka, kb) if len(ka) <= len(kb) else (kb, ka)
    matrix = process.cdist(short, long_, scorer=fuzz.ratio, score_cutoff=SENTENCE_MATCH_RATIO)
    matched = int(np.count_nonzero(matrix.max(axis=1) >= SENTENCE_MATCH_RATIO))
    return matched / len(short)


def version_similarity(a: str, b: str) -> float:
    """How likely two texts are versions of one report, in [0, 1]."""
    jaccard = estimated_jaccard(fingerprint(a), fingerprint(b))
    return max(jaccard, sentence_match_score(a, b))


def same_story(a: str, b: str) -> bool:
    return version_similarity(a, b) >= STORY_THRESHOLD


def _term_weights(text: str) -> dict[str, float]:
    names = {
        w
        for m in _CAPITALIZED_RE.finditer(normalize_quotes(text))
        for w in shingle_words(m.group())
    }
    counts = Counter(
        w for w in shingle_words(text) if len(w) > 2 and w not in _STOPWORDS and not w.isdigit()
    )
    return {w: (1.0 + math.log(n)) * (2.0 if w in names else 1.0) for w, n in counts.items()}


def _bigram_weights(text: str) -> dict[str, float]:
    words = shingle_words(text)
    counts = Counter(
        f"{x} {y}"
        for x, y in itertools.pairwise(words)
        if not (x in _STOPWORDS and y in _STOPWORDS)
    )
    return {k: 1.0 + math.log(n) for k, n in counts.items()}


def _cosine(wa: dict[str, float], wb: dict[str, float]) -> float:
    if not wa or not wb:
        return 0.0
    dot = sum(v * wb[k] for k, v in wa.items() if k in wb)
    na = math.sqrt(sum(v * v for v in wa.values()))
    nb = math.sqrt(sum(v * v for v in wb.values()))
    return dot / (na * nb)


def related_score(a: str, b: str) -> float:
    """Topical relatedness in [0, 1]: the mean of two cosines of sublinear term
    frequencies — content words (capitalised ones, i.e. names, places and organisations,
    weighted double) and word bigrams (shared phrasing: "armored train", "Pier 33")."""
    words = _cosine(_term_weights(a), _term_weights(b))
    phrases = _cosine(_bigram_weights(a), _bigram_weights(b))
    return (words + phrases) / 2
