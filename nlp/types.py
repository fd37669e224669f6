"""Plain, frozen result types. Offsets are Unicode code points into the exact input string."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

QuoteKind = Literal["direct", "indirect", "mixed"]


@dataclass(frozen=True, slots=True)
class Entity:
    key: str
    name: str
    type: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    text: str
    label: str
    entity_key: str


@dataclass(frozen=True, slots=True)
class Quote:
    kind: QuoteKind
    start: int
    end: int
    text: str
    speaker_text: str | None
    speaker_start: int | None
    speaker_end: int | None
    speaker_key: str | None
    cue: str | None
    cue_start: int | None
    cue_end: int | None
    confidence: float


@dataclass(frozen=True, slots=True)
class Annotations:
    pipeline_name: str
    pipeline_version: str
    entities: tuple[Entity, ...]
    mentions: tuple[Mention, ...]
    quotes: tuple[Quote, ...]
    claims: tuple[Claim, ...] = ()
    topics: tuple[ArticleTopic, ...] = ()


@dataclass(frozen=True, slots=True)
class ArticleTopic:
    """A topic an article (one revision's text) is about (see :mod:`nlp.topic_classifier`).

    ``score`` in (0, 1] is the topic's share of the article's topical evidence; ``depth`` 0 is
    a top-level topic (one of IPTC's 17), deeper ones are the most specific topic the text
    supports under ``top`` (the slug of its top-level ancestor). ``iptc_code`` is ``None`` for a
    custom topic.
    """

    slug: str
    iptc_code: str | None
    name: str
    score: float
    depth: int
    top: str


@dataclass(frozen=True, slots=True)
class TopicMatch:
    """A topic a text was classified under; ``score`` in (0, 1]."""

    slug: str
    score: float


@dataclass(frozen=True, slots=True)
class Claim:
    """A check-worthy claim: a sentence asserting something verifiable (see docs/nlp.md).

    ``text == source[start:end]``. The claimant is the speaker of the quote the claim lies in
    (``quote_index`` into ``Annotations.quotes``), or the reporter (``is_reporter``, both
    claimant fields ``None``: the service substitutes the outlet). ``features`` are the inputs
    of ``score`` (see :data:`nlp.claims.WEIGHTS`); ``entity_keys`` the entities mentioned inside.
    """

    start: int
    end: int
    text: str
    score: float
    claimant_text: str | None
    claimant_key: str | None
    is_reporter: bool
    quote_index: int | None
    entity_keys: tuple[str, ...] = ()
    topics: tuple[TopicMatch, ...] = ()
    features: dict[str, float] = field(default_factory=dict, hash=False)


@dataclass(frozen=True, slots=True)
class TopicRules:
    """How a topic is recognised (see :func:`nlp.topics.classify`).

    Each distinct keyword (a word or phrase, matched case-, accent-, hyphen- and
    inflection-insensitively) adds ``weight`` (or its own weight from ``keyword_weights``); an
    entity of one of ``entity_types`` adds ``entity_weight`` when at least one keyword matched.
    """

    keywords: tuple[str, ...] = ()
    entity_types: tuple[str, ...] = ()
    weight: float = 0.7
    entity_weight: float = 0.2
    keyword_weights: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class TopicDef:
    """One node of the topic taxonomy (``nlp/data/taxonomy.json`` or the database)."""

    slug: str
    name: str
    parent: str | None
    iptc_code: str | None
    description: str
    rules: TopicRules = TopicRules()


@dataclass(frozen=True, slots=True)
class ClaimForClustering:
    """A claim as :func:`nlp.clusters.cluster_claims` sees it: claims of one article never link."""

    article_id: str
    text: str
    entity_keys: tuple[str, ...] = ()
