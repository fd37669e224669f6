"""spaCy components: registered once, configured by name (see :class:`nlp.pipeline.Pipeline`).

``quote_marks`` runs before the parser: it pairs quotation marks, stores the quoted spans in
``doc.spans["quote_marks"]`` and keeps the parser from splitting sentences inside a quote (and
starts a sentence at every paragraph). ``attribution`` runs last: it clusters entities and
finds quotes, writing ``doc._.entity_index``, ``doc._.quote_records`` and
``doc.spans["quotes"]`` (labelled direct/indirect/mixed).
"""

from __future__ import annotations

import re

from spacy.language import Language
from spacy.tokens import Doc

from nlp.attribution import attribute
from nlp.entities import build_entities
from nlp.lexicon import SPEECH_FORMS
from nlp.quotemarks import find_quote_spans

if not Doc.has_extension("entity_index"):
    Doc.set_extension("entity_index", default=None)
if not Doc.has_extension("quote_records"):
    Doc.set_extension("quote_records", default=None)

_BREAKS = ("\n", "\r", "\u2028", "\u2029")


_SENT_END = frozenset({".", "?", "!", "…"})
_COMPLEMENT_WORDS = frozenset({"that", "to", "whether", "if", "how", "why", "what"})
_ATTRIBUTION = re.compile(r"[ \t\u00a0]+([^.!?\n\r\u2029“”\"«»]{1,80}?)[.!?](?=\s|$)")


def _attribution_follows(text: str, end: int) -> bool:
    """Is the closing mark at ``end`` followed by a short attribution that ends a sentence
    ("“We are done.” Smith said.", "“Why now?” the senator asked.")?"""
    m = _ATTRIBUTION.match(text, end)
    if m is None:
        return False
    words = [w.lower() for w in re.findall(r"[^\W\d_][\w'’.-]*", m.group(1))]
    verb = next((i for i, w in enumerate(words) if w in SPEECH_FORMS), None)
    if verb is None or len(words) > 7:
        return False
    after = words[verb + 1 :]  # "Smith said on Monday." yes; "She added that X fell." no
    return len(after) <= 3 and not any(w in _COMPLEMENT_WORDS for w in after)


_CLOSING = frozenset({'"', "”", "’", "''", "»"})


def _after_sentence_end(doc: Doc, i: int) -> bool:
    """Does token ``i`` (an opening mark) follow a sentence end (". ''Nobody ...")?"""
    j = i - 1
    while j >= 0 and doc[j].is_space:
        j -= 1
    if j < 0 or (j == i - 1 and not doc[j].whitespace_):  # "end.''": not a new sentence
        return False
    if doc[j].text in _CLOSING and j > 0:
        j -= 1
    if doc[j].text in _SENT_END:
        return True
    # "... said Rep. Adam Schiff, D-Calif. “We will ...”": an abbreviation ends it when the
    # quote opens with a capital (not "the U.S. “will not hesitate ...”")
    nxt = doc[i + 1].text[:1] if i + 1 < len(doc) else ""
    return doc[j].text.endswith(".") and len(doc[j].text) > 1 and nxt.isupper()


@Language.component("quote_marks")
def quote_marks(doc: Doc) -> Doc:
    text = doc.text  # once: Doc.text joins every token (per quote it was quadratic)
    spans = find_quote_spans(text)
    token_spans = []
    for q in spans:
        inner = doc.char_span(q.outer_start, q.outer_end, alignment_mode="expand")
        if inner is None:
            continue
        token_spans.append(doc.char_span(q.start, q.end, alignment_mode="expand") or inner)
        for t in inner[1:]:
            t.is_sent_start = False
        if _after_sentence_end(doc, inner.start):
            inner[0].is_sent_start = True
        if q.closed and inner.end < len(doc) and _attribution_follows(text, q.outer_end):
            doc[inner.end].is_sent_start = False  # "“Why now?” the senator asked."
    doc.spans["quote_marks"] = [s for s in token_spans if len(s)]
    after_break = False
    for t in doc:
        if t.is_space:
            after_break = after_break or any(b in t.text for b in _BREAKS)
            continue
        if after_break and t.i > 0:
            t.is_sent_start = True
        after_break = False
    return doc


@Language.factory("attribution")
class Attribution:
    def __init__(self, nlp: Language, name: str) -> None:
        self.name = name

    def __call__(self, doc: Doc) -> Doc:
        ents = build_entities(doc)
        records = attribute(doc, ents, find_quote_spans(doc.text))
        doc._.entity_index = ents
        doc._.quote_records = records
        spans = []
        for r in records:
            if r.end <= r.start:
                continue
            span = doc.char_span(r.start, r.end, label=r.kind, alignment_mode="expand")
            if span is not None:
                spans.append(span)
        doc.spans["quotes"] = spans
        return doc
