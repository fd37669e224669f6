"""Topics of an article and of its claims, over a whole taxonomy (the IPTC tree by default).

Evidence is lexical and transparent. Every topic's rules (``TopicDef.rules``: curated terms
from ``nlp/data/topic_terms.json`` plus the IPTC label) are compiled once per taxonomy into one
inverted index from word-stem n-grams to ``(topic, weight)`` postings (:class:`TopicIndex`), so
a text is scanned once whatever the size of the tree: a few milliseconds per article.

* **Evidence of a topic** = Σ over its distinct matched terms of ``weight · (1 + ln count)``
  (counts sublinear; a term in the first :data:`LEAD_WORDS` words counts
  :data:`LEAD_BOOST` times; for articles, sentences of publishing boilerplate — copyright,
  sign-up prompts, wire credits — are skipped), plus ``entity_weight`` when an entity of one
  of its ``entity_types`` occurs and a term matched. A term counts once per subtree when the
  evidence rolls up (at the highest weight any topic in the subtree gives it).
* **Article** (:meth:`TopicIndex.classify_article`): evidence rolls up the tree; top-level
  topics are ranked by their subtree's evidence and scored by their *share* of all evidence.
  Under each kept top-level topic the classifier descends while one child holds at least half
  of the evidence below the current node (and at least :data:`MIN_SPECIFIC`): the node where
  it stops is "the most specific level the text supports".
* **Claim** (:meth:`TopicIndex.classify_claim`): the same evidence over the sentence alone.
  The article's ranked topics are a prior: a top-level topic the article is about needs only
  a weak match, one it is not about needs :data:`OFF_TOPIC_MIN` (a strong term or two), so a
  claim in a sport story is not about conflict because someone "fired" a shot. A sentence
  with no topical words inherits the article's first topic (and its specific topic) at half
  the article's share, marked by a score below :data:`INHERITED_MAX`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING

from nlp.topics import _WORD, _split_words, normalise_words, stem
from nlp.types import ArticleTopic, Claim, Mention, TopicDef, TopicMatch

if TYPE_CHECKING:
    from spacy.tokens import Doc

MAX_TERM_WORDS = 5
LEAD_WORDS = 60  # the headline/lead: terms here count LEAD_BOOST times
LEAD_BOOST = 1.5
MIN_ARTICLE_EVIDENCE = 0.6  # less than this in total: the article gets no topics
MIN_SHARE = 0.12  # a second/third top-level topic needs this share of the evidence
MAX_TOP_LEVEL = 3
MIN_SPECIFIC = 1.0  # a specific topic needs this much evidence in its subtree
SPECIFIC_SHARE = 0.5  # ... and this share of the evidence below its parent
MIN_CLAIM_SCORE = 0.3  # a claim topic's own score 1 - exp(-evidence) at least this
ON_TOPIC_MIN = 0.3  # evidence a claim needs for a top-level topic the article is about
OFF_TOPIC_MIN = 1.0  # ... and for one the article is not about
INHERITED_MAX = 0.25  # inherited claim topics score at most this (below MIN_CLAIM_SCORE)


_HYPHENS = re.compile(r"[-‐‑–]")
# Publishing boilerplate (copyright lines, sign-up prompts, wire credits) says nothing about the
# story but is full of media words; sentences containing it are skipped for article topics.
_BOILERPLATE = re.compile(
    r"(?:\bcopyright\s*(?:©\s*)?\d{4}|©\s*\d{4}|\ball rights reserved|\bsign up (?:for|to)"
    r"|\b(?:our|free|daily|weekly|morning|evening) newsletter|\bsubscribe (?:now|here|to our)"
    r"|\bfollow us on|\breporting by|\bediting by|\bwriting by|\bcontributed to this report"
    r"|\btrust principles|\bmay not be (?:published|reproduced))\b",
    re.IGNORECASE,
)
_BOILERPLATE_HINTS = (
    "copyright", "©", "rights reserved", "sign up", "newsletter", "subscribe", "follow us",
    "reporting by", "editing by", "writing by", "contributed to this", "trust principles",
    "may not be",
)  # fmt: skip
_SENTENCE_END = re.compile(r"[.!?\n]")


def _without_boilerplate(text: str) -> str:
    """``text`` with every sentence that contains a boilerplate phrase blanked out (linear: the
    phrases are found first, then each is widened to its sentence)."""
    low = text.casefold()
    if not any(k in low for k in _BOILERPLATE_HINTS):
        return text
    cuts: list[tuple[int, int]] = []
    for m in _BOILERPLATE.finditer(text):
        if cuts and m.start() < cuts[-1][1]:
            continue
        start = max(text.rfind(c, 0, m.start()) for c in ".!?\n") + 1
        end_m = _SENTENCE_END.search(text, m.end())
        cuts.append((start, end_m.end() if end_m else len(text)))
    if not cuts:
        return text
    parts, pos = [], 0
    for a, b in cuts:
        parts += [text[pos:a], " "]
        pos = b
    parts.append(text[pos:])
    return "".join(parts)


@lru_cache(maxsize=1 << 16)
def _word_stem(word: str) -> str:
    return stem(_HYPHENS.sub("", word))


def _exact_key(word: str) -> str:
    return "=" + _HYPHENS.sub("", word.casefold())


# One-word "-ing" terms whose stem is an unrelated word ("boxing" → "box", "rowing" → "row",
# "banking" → "bank"): matched only as written (or plural), through an ``=word`` key that no
# stem can equal. Others ("flooding", "recycling") keep matching their inflections.
EXACT_ING: frozenset[str] = frozenset(
    {
        "boxing", "rowing", "banking", "sailing", "fishing", "hunting", "surfing", "bowling",
        "curling", "diving", "fencing", "housing", "shipping", "building", "spring", "casting",
        "mining", "training", "parking", "booking", "landing", "skating", "racing",
        "ring", "string", "timing", "rating", "ratings", "voting", "polling", "dating",
    }
)  # fmt: skip


def _variants(term: str) -> set[tuple[str, ...]]:
    """The word-stem forms a term is indexed under (see :data:`EXACT_ING`)."""
    lower = _HYPHENS.sub("", term.strip().casefold())
    if lower in EXACT_ING:
        return {(_exact_key(lower),), (_exact_key(lower + "s"),)}
    return {tuple(normalise_words(term)), tuple(_split_words(term))}


def _stems(text: str) -> list[str]:
    """:func:`nlp.topics.normalise_words` with the per-word work cached (news repeats words)."""
    return list(map(_word_stem, _WORD.findall(text)))


@dataclass(frozen=True, slots=True)
class _Node:
    topic: TopicDef
    parent: int  # -1 for a root
    root: int
    depth: int
    entity_types: frozenset[str]
    entity_weight: float


class TopicIndex:
    """A taxonomy compiled for classification. Build once (:func:`topic_index` caches it)."""

    def __init__(self, topics: Sequence[TopicDef]) -> None:
        self.topics: tuple[TopicDef, ...] = tuple(topics)
        pos = {t.slug: i for i, t in enumerate(self.topics)}
        parent = [pos.get(t.parent, -1) if t.parent is not None else -1 for t in self.topics]
        nodes: list[_Node] = []
        for i, t in enumerate(self.topics):
            depth, root, p = 0, i, parent[i]
            while p >= 0 and depth < 64:
                depth, root, p = depth + 1, p, parent[p]
            nodes.append(
                _Node(t, parent[i], root, depth, frozenset(t.rules.entity_types),
                      t.rules.entity_weight)
            )  # fmt: skip
        self.nodes: tuple[_Node, ...] = tuple(nodes)
        self.roots: tuple[int, ...] = tuple(i for i, n in enumerate(nodes) if n.parent < 0)
        children: list[list[int]] = [[] for _ in nodes]
        for i, n in enumerate(nodes):
            if n.parent >= 0:
                children[n.parent].append(i)
        self.children: tuple[tuple[int, ...], ...] = tuple(tuple(c) for c in children)
        postings: dict[tuple[str, ...], dict[int, float]] = {}
        for i, t in enumerate(self.topics):
            own = dict(t.rules.keyword_weights)
            for kw in t.rules.keywords:
                weight = own.get(kw, t.rules.weight)
                if weight <= 0:
                    continue
                for variant in _variants(kw):
                    if 0 < len(variant) <= MAX_TERM_WORDS:
                        slot = postings.setdefault(variant, {})
                        slot[i] = max(slot.get(i, 0.0), weight)
        self.terms: dict[tuple[str, ...], tuple[tuple[int, float], ...]] = {
            g: tuple(p.items()) for g, p in postings.items()
        }
        self.prefixes: frozenset[tuple[str, ...]] = frozenset(
            g[:n] for g in self.terms for n in range(1, len(g))
        )
        self.by_slug: dict[str, int] = pos

    # -- evidence ---------------------------------------------------------------------------

    def _counts(self, text: str, lead_words: int) -> dict[tuple[str, ...], float]:
        """Position-weighted counts of the taxonomy's terms in ``text`` (one left-to-right scan,
        extending an n-gram only while it is the prefix of some term)."""
        surface = _WORD.findall(text)
        words = list(map(_word_stem, surface))
        counts: dict[tuple[str, ...], float] = {}
        n_words = len(words)
        terms, prefixes = self.terms, self.prefixes
        for i in range(n_words):
            w = LEAD_BOOST if i < lead_words else 1.0
            exact = (_exact_key(surface[i]),)
            if exact in terms:
                counts[exact] = counts.get(exact, 0.0) + w
            gram: tuple[str, ...] = ()
            for n in range(MAX_TERM_WORDS):
                if i + n >= n_words:
                    break
                gram = (*gram, words[i + n])
                if gram in terms:
                    counts[gram] = counts.get(gram, 0.0) + w
                if gram not in prefixes:
                    break
        return counts

    def _scores(
        self, text: str, entity_labels: Iterable[str], lead_words: int
    ) -> tuple[dict[int, float], dict[int, float]]:
        """(own evidence per topic, subtree evidence per topic).

        Subtree evidence counts each matched term once per subtree, at the highest weight any
        topic in the subtree gives it: a word listed both under ``politics`` and under
        ``parliament`` is one piece of evidence for ``politics``, not two.
        """
        counts = self._counts(text, lead_words)
        own: dict[int, float] = {}
        sub: dict[int, float] = {}
        nodes = self.nodes
        for gram, c in counts.items():
            f = 1.0 + math.log(c) if c >= 1.0 else c
            best: dict[int, float] = {}
            for ti, weight in self.terms[gram]:
                own[ti] = own.get(ti, 0.0) + weight * f
                p = ti
                while p >= 0:
                    if weight > best.get(p, 0.0):
                        best[p] = weight
                    p = nodes[p].parent
            for p, weight in best.items():
                sub[p] = sub.get(p, 0.0) + weight * f
        labels = set(entity_labels)
        if labels:
            for ti in list(own):
                node = nodes[ti]
                if node.entity_types and labels & node.entity_types:
                    own[ti] += node.entity_weight
                    p = ti
                    while p >= 0:
                        sub[p] += node.entity_weight
                        p = nodes[p].parent
        return own, sub

    def evidence(
        self, text: str, entity_labels: Iterable[str] = (), lead_words: int = 0
    ) -> dict[int, float]:
        """Evidence per topic index (only topics with some), see the module docstring."""
        return self._scores(text, entity_labels, lead_words)[0]

    def _specific(self, root: int, ev: dict[int, float], sub: dict[int, float]) -> int:
        node = root
        while True:
            kids = [k for k in self.children[node] if k in sub]
            if not kids:
                return node
            best = max(kids, key=lambda k: (sub[k], -k))
            below = sub[node] - ev.get(node, 0.0)
            if sub[best] < MIN_SPECIFIC or sub[best] < SPECIFIC_SHARE * below:
                return node
            node = best

    def _article_topic(self, i: int, score: float) -> ArticleTopic:
        n = self.nodes[i]
        return ArticleTopic(
            slug=n.topic.slug,
            iptc_code=n.topic.iptc_code,
            name=n.topic.name,
            score=round(score, 3),
            depth=n.depth,
            top=self.nodes[n.root].topic.slug,
        )

    # -- articles ---------------------------------------------------------------------------

    def classify_article(
        self, text: str, entity_labels: Iterable[str] = ()
    ) -> tuple[ArticleTopic, ...]:
        """Ranked topics of an article: each kept top-level topic, then its most specific one.

        Scores are shares of the article's topical evidence (the top-level ones sum to ≤ 1); a
        specific topic's score is its subtree's share, so never above its top-level topic's.
        """
        ev, sub = self._scores(_without_boilerplate(text), entity_labels, LEAD_WORDS)
        ranked = sorted(((sub[r], r) for r in self.roots if r in sub), key=lambda x: (-x[0], x[1]))
        total = sum(v for v, _ in ranked)
        if total < MIN_ARTICLE_EVIDENCE:
            return ()
        out: list[ArticleTopic] = []
        for v, r in ranked[:MAX_TOP_LEVEL]:
            if out and v / total < MIN_SHARE:
                break
            out.append(self._article_topic(r, v / total))
            spec = self._specific(r, ev, sub)
            if spec != r:
                out.append(self._article_topic(spec, sub[spec] / total))
        return tuple(out)

    def classify_doc(self, doc: Doc) -> tuple[ArticleTopic, ...]:
        """:meth:`classify_article` on a parsed Doc (its text and NER labels; no re-parse)."""
        return self.classify_article(doc.text, [e.label_ for e in doc.ents])

    # -- claims -----------------------------------------------------------------------------

    def classify_claim(
        self,
        text: str,
        entity_labels: Iterable[str] = (),
        context: Sequence[ArticleTopic] = (),
        inherit: bool = True,
    ) -> tuple[TopicMatch, ...]:
        """Topics of one sentence, best first; ``context`` is its article's ranked topics.

        Own matches: every topic with evidence whose score ``1 - exp(-evidence)`` ≥
        :data:`MIN_CLAIM_SCORE`, under a top-level topic with enough evidence in the sentence
        (:data:`ON_TOPIC_MIN` if the article is about it, else :data:`OFF_TOPIC_MIN`). Parents
        are not added for matched children (filters expand descendants). With no own match and
        ``inherit``, the article's first top-level topic and its specific topic are returned
        with half the article's share as score (≤ :data:`INHERITED_MAX`).
        """
        prior = {a.slug: a.score for a in context if a.depth == 0}
        ev, sub = self._scores(text, entity_labels, 0)
        kept_roots = {
            r
            for r in self.roots
            if r in sub
            and sub[r] >= (ON_TOPIC_MIN if self.nodes[r].topic.slug in prior else OFF_TOPIC_MIN)
        }
        scored: list[tuple[float, float, str]] = []
        for ti, v in ev.items():
            node = self.nodes[ti]
            if node.root not in kept_roots:
                continue
            score = round(1.0 - math.exp(-v), 3)
            if score >= MIN_CLAIM_SCORE:
                tie = prior.get(self.nodes[node.root].topic.slug, 0.0)
                scored.append((score, tie, node.topic.slug))
        if scored:
            scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
            return tuple(TopicMatch(slug, score) for score, _, slug in scored)
        if not inherit or not context or context[0].slug not in self.by_slug:
            return ()
        first = context[0]
        out = [TopicMatch(first.slug, round(min(INHERITED_MAX, first.score / 2), 3))]
        for a in context[1:]:
            if a.depth == 0:
                break
            if a.top == first.slug and a.slug in self.by_slug:
                out.append(TopicMatch(a.slug, round(min(INHERITED_MAX, a.score / 2), 3)))
        return tuple(out)

    def classify_claims(
        self,
        claims: Sequence[Claim],
        mentions: Sequence[Mention] = (),
        context: Sequence[ArticleTopic] = (),
    ) -> tuple[Claim, ...]:
        """``claims`` with their topics set by :meth:`classify_claim` (mention labels inside
        each claim's span as entity labels; one pass over the sorted mentions)."""
        ments = sorted(mentions, key=lambda m: m.start)
        out = []
        k = 0
        for c in sorted(range(len(claims)), key=lambda i: claims[i].start):
            claim = claims[c]
            while k < len(ments) and ments[k].start < claim.start:
                k += 1
            j, labels = k, []
            while j < len(ments) and ments[j].start < claim.end:
                labels.append(ments[j].label)
                j += 1
            out.append((c, replace(claim, topics=self.classify_claim(claim.text, labels, context))))
        out.sort()
        return tuple(c for _, c in out)


@lru_cache(maxsize=4)
def _cached_index(topics: tuple[TopicDef, ...]) -> TopicIndex:
    return TopicIndex(topics)


def topic_index(topics: Sequence[TopicDef] | TopicIndex) -> TopicIndex:
    """The compiled index of a taxonomy (cached by content, so an edited taxonomy recompiles)."""
    if isinstance(topics, TopicIndex):
        return topics
    return _cached_index(tuple(topics))


@lru_cache(maxsize=1)
def default_index() -> TopicIndex:
    """The shipped taxonomy (IPTC tree + custom topics) compiled."""
    from nlp.iptc import load_topics

    return TopicIndex(load_topics())


def classify_article(
    text: str,
    topics: Sequence[TopicDef] | TopicIndex | None = None,
    entity_labels: Iterable[str] = (),
) -> tuple[ArticleTopic, ...]:
    """Ranked topics of an article's text (default taxonomy unless ``topics`` is given)."""
    index = default_index() if topics is None else topic_index(topics)
    return index.classify_article(text, entity_labels)


def classify_claim(
    text: str,
    topics: Sequence[TopicDef] | TopicIndex | None = None,
    entity_labels: Iterable[str] = (),
    context: Sequence[ArticleTopic] = (),
) -> tuple[TopicMatch, ...]:
    """Topics of a claim sentence; ``context`` = its article's topics (see the class)."""
    index = default_index() if topics is None else topic_index(topics)
    return index.classify_claim(text, entity_labels, context)


__all__ = [
    "TopicIndex",
    "classify_article",
    "classify_claim",
    "default_index",
    "topic_index",
]
