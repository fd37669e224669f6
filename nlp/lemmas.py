"""Lemmas on demand: the model's own lemmatizer, run for the tokens that are asked about.

spaCy's rule lemmatizer is a Python loop over every token of every Doc (8 % of an
annotation worker's samples), while our rules read the lemma of a few tokens per sentence
(verbs, the heads of noun phrases, subjects and objects). :func:`defer_lemmatizer` takes
the lemmatizer out of the pipeline's run and :func:`lemma_of` gives a token the lemma that pipe
would have given it (same tables, same cache, same rule: a lemma already set, by the
attribute ruler, is kept), computed on first use and stored on the token.
"""

from __future__ import annotations

from typing import Any

from spacy.language import Language
from spacy.tokens import Token

# id(vocab) -> (vocab, lemmatizer): the vocab is kept alive beside its lemmatizer, so an id
# is never reused while registered
_LEMMATIZERS: dict[int, tuple[Any, Any]] = {}


def defer_lemmatizer(nlp: Language, name: str = "lemmatizer") -> None:
    """Stop running ``nlp``'s lemmatizer over every token; :func:`lemma_of` runs it per token."""
    if name not in nlp.pipe_names:
        return
    lemmatizer = nlp.get_pipe(name)
    _LEMMATIZERS[id(nlp.vocab)] = (nlp.vocab, lemmatizer)
    nlp.disable_pipe(name)


def lemma_of(token: Token) -> str:
    """The token's lemma, as the model's lemmatizer pipe sets it."""
    if token.lemma:
        return token.lemma_
    entry = _LEMMATIZERS.get(id(token.vocab))
    if entry is None:  # a Doc from a pipeline that lemmatizes (or has no lemmatizer at all)
        return token.lemma_
    value: str = entry[1].lemmatize(token)[0]
    token.lemma_ = value
    return value
