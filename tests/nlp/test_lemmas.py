"""Lemmas on demand are the lemmas the model's lemmatizer pipe sets."""

from __future__ import annotations

import spacy

from bench.newstext import real_texts
from nlp.lemmas import lemma_of
from nlp.pipeline import SPACY_MODEL, Pipeline

TEXT = (
    "The ministers said on Monday that the talks had stalled. “We were told nothing,” "
    "added Maria Lopez, whose spokesmen later denied the reports. Prices rose 3 % as "
    "analysts warned the central bank's governors were losing patience; she'd argued "
    "they're running out of options."
)


def test_each_token_gets_the_lemma_the_pipe_would_have_given_it(pipeline: Pipeline) -> None:
    assert "lemmatizer" not in pipeline.nlp.pipe_names  # deferred: not run over every token
    doc = pipeline.nlp(TEXT, disable=["attribution"])  # our rules would ask for some
    assert sum(t.lemma != 0 for t in doc) < len(doc) / 4  # hardly any set yet

    reference = spacy.load(SPACY_MODEL)(TEXT)  # the model as shipped, lemmatizer pipe and all
    assert [t.text for t in doc] == [t.text for t in reference]
    assert [lemma_of(t) for t in doc] == [t.lemma_ for t in reference]
    assert [t.lemma_ for t in doc] == [t.lemma_ for t in reference]  # stored once computed
    assert {"say", "stall", "tell", "deny", "rise", "warn", "argue", "run"} <= {
        t.lemma_ for t in doc
    }


def test_every_token_of_the_shipped_news_gets_the_pipes_lemma(pipeline: Pipeline) -> None:
    """The lemma index turned into sets (nlp.lemmas) gives the same lemmas, word for word."""
    texts = list(real_texts())[:120]
    reference = spacy.load(SPACY_MODEL)
    checked = 0
    for doc, ref in zip(
        pipeline.nlp.pipe(texts, disable=["attribution"]), reference.pipe(texts), strict=True
    ):
        assert [lemma_of(t) for t in doc] == [t.lemma_ for t in ref]
        checked += len(doc)
    assert checked > 15_000
