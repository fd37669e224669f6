"""The learned check-worthiness model: features of a parsed sentence and the shipped weights.

Two stages (trained by ``python -m nlp.train claims``; model card in docs/nlp.md):

1. **Text model**: a logistic regression over five sparse blocks read off the sentence's tokens
   in the Doc the pipeline already parsed: word 1–2-grams, character 2–5-grams inside words,
   1–3-grams of words with entities replaced by their type and numbers by ``NUM``, 1–3-grams
   of fine POS tags, and dependency arcs (``dep:POS>HEAD_POS`` plus the lemma of subjects,
   roots, auxiliaries and objects). Each block is TF-IDF weighted (sublinear tf, smoothed idf)
   and L2-normalised on its own, as scikit-learn's ``TfidfVectorizer`` does; its output is the
   logit ``z``.
2. **Combiner**: a second logistic regression over ``z`` and the transparent features of
   :func:`nlp.claims.sentence_features`, fitted on out-of-fold ``z`` of the training data with
   balanced class weights. It calibrates the score (0.5 = equal odds under equal class priors)
   and lets the pipeline's own evidence (numbers, dates, entities, opinion markers) weigh in.

The weights are plain data (``nlp/data/claims_model.json.gz``: vocabulary, idf and coefficient
per block, combiner weights, training figures): no pickle, no scikit-learn at run time. Scoring
a sentence is one pass over its tokens plus dictionary look-ups.
"""

from __future__ import annotations

import gzip
import json
import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from spacy.tokens import Span

from nlp.lemmas import lemma_of

MODEL_FORMAT = "article-store claims model v1"
MODEL_RESOURCE = "claims_model.json.gz"
BLOCKS = ("word", "char", "entword", "tag", "dep")
# Dependency labels whose lemma is a feature ("who does what": subject, verb, object, modal).
_LEMMA_DEPS = frozenset({"nsubj", "nsubjpass", "ROOT", "aux", "dobj", "attr", "neg"})
_WORD_CACHE_SIZE = 200_000


def _ngrams(seq: Sequence[str], lo: int, hi: int) -> list[str]:
    out: list[str] = []
    for n in range(lo, hi + 1):
        out.extend(" ".join(seq[i : i + n]) for i in range(len(seq) - n + 1))
    return out


def _char_ngrams(words: Iterable[str], lo: int = 2, hi: int = 5) -> list[str]:
    """Character n-grams inside each word padded with a space (scikit-learn's ``char_wb``)."""
    out: list[str] = []
    for w in words:
        padded = f" {w} "
        size = len(padded)
        for n in range(lo, hi + 1):
            if n > size:
                break
            out.extend(padded[i : i + n] for i in range(size - n + 1))
            if n == size:
                break
    return out


def _token_sequences(sent: Span) -> tuple[list[str], list[str], list[str], list[str]]:
    """(words, entity-words, tags, dependency features) of a sentence: one pass over tokens."""
    words: list[str] = []
    entword: list[str] = []
    tags: list[str] = []
    deps: list[str] = []
    for t in sent:
        if t.is_space:
            continue
        lower = t.lower_
        words.append(lower)
        tags.append(t.tag_)
        ent = t.ent_type_
        if ent:
            if t.ent_iob_ == "B" or not entword or entword[-1] != "E_" + ent:
                entword.append("E_" + ent)
        elif t.like_num:
            entword.append("NUM")
        else:
            entword.append(lower)
        dep = t.dep_
        deps.append(f"{dep}:{t.pos_}>{t.head.pos_}")
        if dep in _LEMMA_DEPS:
            deps.append(f"{dep}={lemma_of(t).lower()}")
    return words, entword, tags, deps


# The n-gram blocks: name → the n-gram sizes (shared by span_features and Scorer).
_NGRAM_BLOCKS = {"word": (1, 2), "entword": (1, 3), "tag": (1, 3)}


def span_features(sent: Span) -> dict[str, list[str]]:
    """The feature strings of one sentence, per block (see the module docstring)."""
    words, entword, tags, deps = _token_sequences(sent)
    return {
        "word": _ngrams(words, *_NGRAM_BLOCKS["word"]),
        "char": _char_ngrams(words),
        "entword": _ngrams(entword, *_NGRAM_BLOCKS["entword"]),
        "tag": _ngrams(tags, *_NGRAM_BLOCKS["tag"]),
        "dep": deps,
    }


@dataclass(frozen=True, slots=True)
class Block:
    """One TF-IDF block: term → (idf, coefficient). :meth:`logit` is the reference scoring
    (the training features' logit); :class:`Scorer` computes the same for all blocks at once."""

    name: str
    weights: Mapping[str, tuple[float, float]]

    @classmethod
    def build(
        cls, name: str, terms: Sequence[str], idf: Sequence[float], coef: Sequence[float]
    ) -> Block:
        return cls(name, dict(zip(terms, zip(idf, coef, strict=True), strict=True)))

    def logit(self, terms: Iterable[str]) -> float:
        """The block's share of the logit: coef · tfidf(terms), L2-normalised over the block."""
        dot = sq = 0.0
        for term, count in Counter(terms).items():
            w = self.weights.get(term)
            if w is None:
                continue
            x = (1.0 + math.log(count)) * w[0]
            sq += x * x
            dot += x * w[1]
        return dot / math.sqrt(sq) if sq else 0.0


class Scorer:
    """Every block's logit of a sentence in one numpy pass (equal to the sum of
    :meth:`Block.logit` over :func:`span_features`, up to float rounding).

    All blocks' terms share one index space. The n-gram blocks' tokens get integer ids, in a
    separate range per block, so an n-gram is one integer (``((t1·K)+t2)·K+t3``, a unigram
    below ``K``, a bigram below ``K²``) and a sentence's n-grams are found in the vocabulary
    with one ``searchsorted``: no n-gram string is built. A word's character n-grams are
    looked up once per word (a bounded cache), dependency features by dictionary.
    """

    def __init__(self, blocks: Sequence[Block]) -> None:
        names = [b.name for b in blocks]
        idf: list[float] = []
        coef: list[float] = []
        block_of: list[int] = []
        self.tokens: dict[str, dict[str, int]] = {n: {} for n in _NGRAM_BLOCKS if n in names}
        self.direct: dict[str, dict[str, int]] = {}  # char and dep: term → global index
        next_token = 1  # 0 marks a token that no n-gram of the vocabulary contains
        ngram_terms: list[tuple[str, str, int]] = []
        for bi, b in enumerate(blocks):
            table: dict[str, int] = {}
            for term, (i, c) in b.weights.items():
                g = len(idf)
                idf.append(i)
                coef.append(c)
                block_of.append(bi)
                if b.name in self.tokens:
                    ngram_terms.append((b.name, term, g))
                else:
                    table[term] = g
            if b.name not in self.tokens:
                self.direct[b.name] = table
        for name, term, _ in ngram_terms:
            toks = self.tokens[name]
            for t in term.split(" "):
                if t not in toks:
                    toks[t] = next_token
                    next_token += 1
        self.k = next_token
        codes = np.asarray(
            [
                self._code([self.tokens[n][t] for t in term.split(" ")])
                for n, term, _ in ngram_terms
            ],
            dtype=np.int64,
        )
        order = np.argsort(codes, kind="stable")
        self.codes = codes[order]
        self.code_term = np.asarray([g for _, _, g in ngram_terms], dtype=np.intp)[order]
        self.idf = np.asarray(idf, dtype=np.float64)
        self.coef = np.asarray(coef, dtype=np.float64)
        self.block_of = np.asarray(block_of, dtype=np.intp)
        self.n_blocks = len(blocks)
        self.max_n = max((_NGRAM_BLOCKS[n][1] for n in self.tokens), default=1)
        self._char_cache: dict[str, list[int]] = {}

    def _code(self, ids: Sequence[int]) -> int:
        code = 0
        for t in ids:
            code = code * self.k + t
        return code

    def _char_ids(self, words: Sequence[str]) -> list[int]:
        table = self.direct.get("char")
        if table is None:
            return []
        cache = self._char_cache
        found: list[int] = []
        for w in words:
            ids = cache.get(w)
            if ids is None:
                if len(cache) > _WORD_CACHE_SIZE:
                    cache.clear()
                ids = cache[w] = [g for x in _char_ngrams((w,)) if (g := table.get(x)) is not None]
            found.extend(ids)
        return found

    def logit(self, sent: Span) -> float:
        """The sum of every block's logit for one sentence (the intercept excluded)."""
        return float(self.logits([sent])[0])

    def logits(self, sents: Sequence[Span]) -> np.ndarray:
        """:meth:`logit` of each sentence, all of them in one numpy pass (a sentence's
        numpy calls cost more than its arithmetic: scoring a document's sentences together
        is several times faster than one by one, with the same sums)."""
        seq: list[int] = []  # every sentence's n-gram token ids, 0 after each block
        seq_sent: list[int] = []  # the sentence of each position of `seq`
        found: list[int] = []  # the char and dep terms found by dictionary
        found_sent: list[int] = []
        dep = self.direct.get("dep")
        for si, sent in enumerate(sents):
            words, entword, tags, deps = _token_sequences(sent)
            seqs = {"word": words, "entword": entword, "tag": tags}
            # 0 between blocks and sentences: no n-gram crosses a 0, so the word block's
            # trigrams (and cross-block or cross-sentence n-grams) never match a term
            n0 = len(seq)
            for name, toks in self.tokens.items():
                seq.extend(toks.get(t, 0) for t in seqs[name])
                seq.append(0)
            seq_sent.extend([si] * (len(seq) - n0))
            f0 = len(found)
            found.extend(self._char_ids(words))
            if dep is not None:
                found.extend(g for d in deps if (g := dep.get(d)) is not None)
            found_sent.extend([si] * (len(found) - f0))
        n_sents = len(sents)
        if not n_sents:
            return np.zeros(0)
        arr = np.asarray(seq, dtype=np.int64)
        sid = np.asarray(seq_sent, dtype=np.int64)
        ok = arr > 0
        grams, gram_sent = [arr[ok]], [sid[ok]]
        code = arr
        for n in range(1, min(self.max_n, len(arr))):
            code = code[:-1] * self.k + arr[n:]
            ok = ok[:-1] & (arr[n:] > 0)
            grams.append(code[ok])
            gram_sent.append(sid[: len(ok)][ok])
        codes = np.concatenate(grams)
        codes_sent = np.concatenate(gram_sent)
        terms = np.asarray(found, dtype=np.int64)
        terms_sent = np.asarray(found_sent, dtype=np.int64)
        if len(self.codes) and len(codes):
            at = np.minimum(np.searchsorted(self.codes, codes), len(self.codes) - 1)
            hit = self.codes[at] == codes
            terms = np.concatenate([self.code_term[at[hit]], terms])
            terms_sent = np.concatenate([codes_sent[hit], terms_sent])
        out = np.zeros(n_sents)
        if not len(terms):
            return out
        n_terms = len(self.idf)
        uniq, counts = np.unique(terms_sent * n_terms + terms, return_counts=True)
        term, sent_of = uniq % n_terms, uniq // n_terms
        x = (1.0 + np.log(counts)) * self.idf[term]
        cell = sent_of * self.n_blocks + self.block_of[term]
        size = n_sents * self.n_blocks
        sq = np.bincount(cell, weights=x * x, minlength=size).reshape(n_sents, self.n_blocks)
        dot = np.bincount(cell, weights=x * self.coef[term], minlength=size)
        dot = dot.reshape(n_sents, self.n_blocks)
        nz = sq > 0
        np.divide(dot, np.sqrt(sq, where=nz, out=np.ones_like(sq)), where=nz, out=dot)
        dot[~nz] = 0.0
        return np.asarray(dot.sum(axis=1))


@dataclass(frozen=True)
class ClaimsModel:
    """Loaded weights: :meth:`text_logit` (stage 1) and :meth:`combine` (stage 2)."""

    version: str
    blocks: tuple[Block, ...]
    intercept: float
    combiner_bias: float
    combiner_weights: Mapping[str, float]
    meta: Mapping[str, Any] = field(default_factory=dict)
    scorer: Scorer = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "scorer", Scorer(self.blocks))  # derived from the blocks

    def text_logit(self, sent: Span) -> float:
        """Stage 1: the text model's logit for one sentence (equal to the logit over
        :func:`span_features`, computed by :class:`Scorer`)."""
        return self.intercept + self.scorer.logit(sent)

    def text_logits(self, sents: Sequence[Span]) -> list[float]:
        """:meth:`text_logit` of each sentence, scored together (:meth:`Scorer.logits`)."""
        return [self.intercept + float(z) for z in self.scorer.logits(sents)]

    def combine(self, text_logit: float, features: Mapping[str, float]) -> float:
        """The calibrated check-worthiness in [0, 1] from stage 1's logit and the features."""
        z = self.combiner_bias + self.combiner_weights.get("text_logit", 1.0) * text_logit
        for name, value in features.items():
            z += self.combiner_weights.get(name, 0.0) * value
        return sigmoid(z)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ClaimsModel:
        if data.get("format") != MODEL_FORMAT:
            raise ValueError(f"not a claims model: format {data.get('format')!r}")
        blocks = tuple(
            Block.build(b["name"], b["terms"], b["idf"], b["coef"]) for b in data["blocks"]
        )
        comb = data["combiner"]
        return cls(
            version=str(data["version"]),
            blocks=blocks,
            intercept=float(data["intercept"]),
            combiner_bias=float(comb["bias"]),
            combiner_weights={k: float(v) for k, v in comb["weights"].items()},
            meta={k: data[k] for k in ("trained", "data", "params", "figures") if k in data},
        )


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def read_model(path: Path | None = None) -> dict[str, Any]:
    """The model's JSON (``path``, or the one shipped inside the package)."""
    if path is None:
        raw = resources.files("nlp").joinpath("data", MODEL_RESOURCE).read_bytes()
    else:
        raw = Path(path).read_bytes()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    data: dict[str, Any] = json.loads(raw)
    return data


@lru_cache(maxsize=4)
def load_model(path: Path | None = None) -> ClaimsModel:
    """The shipped model (or the one at ``path``), loaded once per process and path."""
    return ClaimsModel.from_dict(read_model(path))


def write_model(data: Mapping[str, Any], path: Path) -> None:
    """Write a model dict as gzipped JSON, byte-for-byte reproducible (no gzip timestamp)."""
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    path.write_bytes(gzip.compress(raw, compresslevel=9, mtime=0))
