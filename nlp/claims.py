"""Check-worthy claims: sentences asserting something a fact-checker could verify.

Every sentence of the parsed ``Doc`` (the one the pipeline already made; nothing is parsed
twice) is a candidate. Its score comes from the learned model of :mod:`nlp.claims_model`
(trained on ClaimBuster debate sentences, model card in docs/nlp.md): a logistic regression
over word, character, entity-type, POS and dependency n-grams of the sentence, combined by a
second small logistic regression with the transparent features of :func:`sentence_features`
(numbers, dates, entities, opinion markers...). Scores are calibrated; candidates scoring at
least :data:`DEFAULT_THRESHOLD` are claims. The claimant is the speaker of the quote the
sentence lies in (quotes as found by :mod:`nlp.attribution`), else the reporter. Cost is one
pass over the tokens plus a bisect per sentence into the sorted quotes and mentions: linear in
the text.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import replace
from typing import NamedTuple

from spacy.tokens import Doc, Span

from nlp.claims_model import ClaimsModel, load_model, sigmoid
from nlp.lemmas import lemma_of
from nlp.lexicon import SPEECH_VERBS
from nlp.topics import classify
from nlp.types import Claim, Mention, Quote, TopicDef

DEFAULT_THRESHOLD = 0.5

# The transparent features (all in [0, 1]; see :func:`sentence_features`). The model's weights
# for them are learned (nlp.train), except documented priors (docs/nlp.md, model card).
FEATURES: tuple[str, ...] = (
    "number", "date", "entities", "attributed", "commitment", "past_event", "action_verb",
    "hedge", "opinion", "non_assertion", "question", "boilerplate", "no_verb", "short",
    "length", "description", "anaphoric_start",
)  # fmt: skip
# The stage-1 (text model) probability, stored with the features so a score can be recomputed.
TEXT_FEATURE = "text_model"

_ENTITY_LABELS = frozenset(
    {"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC", "EVENT", "LAW", "PRODUCT", "WORK_OF_ART"}
)
_NUMBER_LABELS = frozenset({"CARDINAL", "QUANTITY", "MONEY", "PERCENT", "ORDINAL"})
_DATE_LABELS = frozenset({"DATE", "TIME"})

COMMITMENT_LEMMAS: frozenset[str] = frozenset(
    {
        "will", "shall", "plan", "pledge", "promise", "vow", "agree", "intend", "commit",
        "seek", "want", "expect", "schedule", "aim", "hope", "urge", "threaten", "prepare",
    }
)  # fmt: skip
ACTION_LEMMAS: frozenset[str] = frozenset(
    {
        "supply", "provide", "sell", "buy", "seek", "send", "ship", "transfer", "export", "import",
        "deliver", "acquire", "receive", "arrive", "depart", "travel", "meet", "visit", "leave",
        "attack", "invade", "kill", "launch", "test", "fire", "block", "sanction", "impose",
        "ban", "accuse", "deny", "blame", "recognize", "recognise", "release", "warn", "sign",
        "violate", "deter", "stop", "increase", "decrease", "rise", "fall", "cost", "pay",
        "fund", "host", "lead", "include", "cross", "exchange", "deploy", "produce", "build",
    }
)  # fmt: skip
HEDGE_WORDS: frozenset[str] = frozenset(
    {
        "could", "may", "might", "possibly", "possible", "likely", "probably", "potentially",
        "potential", "perhaps", "reportedly", "allegedly", "apparently", "seem", "seems",
    }
)  # fmt: skip
OPINION_PATTERN = re.compile(
    r"\b(?:I|we)\s+(?:(?:do not|don['’]t)\s+)?(?:think|believe|feel|hope|guess|suppose|wish)\b"
    r"|\bin (?:my|our) (?:view|opinion)\b|\b(?:my|our) (?:goal|hope|view|position|aim)\b"
    r"|\bI(?:['’]m| am) (?:sure|confident|convinced|afraid|glad|happy)\b"
    r"|\bwe (?:have|had) (?:serious |grave |deep )?concerns?\b|\bwe are not seeking\b"
    r"|\b(?:it is|it['’]s) (?:interesting|important|clear|obvious|unfortunate|sad)\b"
    r"|\b(?:interesting|opportune|remarkable|regrettable|shameful|outrageous|absurd|ridiculous)\b"
    r"|\b(?:is|are|was|were) (?:seen|regarded|viewed) as\b|\bcharacteri[sz]ed?\b[^.;]{0,80}\bas\b"
    r"|^\W*(?:we|I) (?:urge|call on|appeal to|ask)\b",
    re.IGNORECASE,
)
NON_ASSERTION_PATTERN = re.compile(
    r"\b(?:declined|refused) to (?:give|provide|discuss|comment|say|elaborate|confirm)\b"
    r"|\b(?:did not|didn['’]t|does not|doesn['’]t|would not|wouldn['’]t) (?:immediately )?"
    r"(?:specify|elaborate|confirm|say|indicate|comment|respond|disclose)\b"
    r"|\b(?:unclear|uncertain|not certain|not known|unknown) (?:whether|if|how|when|where|why)\b"
    r"|\bit (?:is|was) (?:unclear|uncertain|not clear)\b|\b(?:is|was) not (?:certain|clear)\b"
    r"|\bnot authorized to\b|\bexpressed (?:his|her|their) views\b",
    re.IGNORECASE,
)
BOILERPLATE_PATTERN = re.compile(
    r"^\s*sign up\b|\bsubscribe\b|\bnewsletter\b|\bclick here\b|\bread more\b"
    r"|\bcontributed(?: to)?(?: this)?(?: report(?:ing)?)?\s*\.?\s*$|\ball rights reserved\b"
    r"|\bcopyright\b|©|\bin this (?:photo|image|picture)\b|\bphoto (?:released|provided|taken)\b"
    r"|\bvia AP\)|\(AP Photo|\bfile photo\b|\bfollow (?:us|him|her) on\b"
    r"|\bis based in\b.*\breports on\b|\bgraduated from\b|\bserved in the\b.*\b(?:Army|Navy|Guard)\b"
    r"|^\s*(?:editor['’]s note|this story has been|correction:)",
    re.IGNORECASE,
)
DESCRIPTION_PATTERN = re.compile(
    r"\b(?:wore|wearing|dressed in|beaming|smiling|waving|cheering|crowds? of"
    r"|(?:photos?|photographs?|images?|footage|video) (?:showed|shows|of)|was seen)\b",
    re.IGNORECASE,
)
ANAPHORIC_START = re.compile(
    r"^\W*(?:that|this|these|those|it)\b(?! is (?:also )?(?:the|a)\b)", re.IGNORECASE
)
_DATELINE = re.compile(r"[A-Z][A-Z.'’ -]+(?:, [A-Z][\w.'’ -]+)?(?: \([A-Za-z. ]+\))? [—–-]{1,2} ")
_TRAIL_JUNK = re.compile(r"[\s_]+$")
_LETTER = re.compile(r"[^\W\d_]")


def score(features: dict[str, float], model: ClaimsModel | None = None) -> float:
    """The check-worthiness in [0, 1] of a candidate with these stored ``features``.

    ``features`` holds the transparent features and :data:`TEXT_FEATURE` (what
    :func:`score_sentences` stores on each claim).
    """
    m = model or load_model()
    p = min(max(features.get(TEXT_FEATURE, 0.5), 1e-9), 1 - 1e-9)
    rest = {k: v for k, v in features.items() if k != TEXT_FEATURE}
    return m.combine(math.log(p / (1 - p)), rest)


def sentence_features(
    sent: Span, in_quote: bool = False, ent_labels: Sequence[str] | None = None
) -> dict[str, float]:
    """The transparent features of one sentence (all in [0, 1]; see :data:`FEATURES`).

    ``ent_labels``: the NER labels inside the sentence, when the caller has them (``sent.ents``
    scans the whole Doc, so calling it per sentence would be quadratic).
    """
    text = sent.text
    words = [t for t in sent if t.is_alpha or t.like_num]
    n_words = len(words)
    ent_count = 0
    number = date = 0.0
    for label in [e.label_ for e in sent.ents] if ent_labels is None else ent_labels:
        if label in _ENTITY_LABELS:
            ent_count += 1
        elif label in _NUMBER_LABELS:
            number = 1.0
        elif label in _DATE_LABELS:
            date = 1.0
    attributed = 1.0 if in_quote else 0.0
    commitment = past = action = has_verb = 0.0
    hedges = 0
    prev = ""
    for t in sent:
        lower = t.lower_
        if t.like_num and not t.is_alpha:
            number = 1.0
        if lower in HEDGE_WORDS:
            hedges += 1
        if t.pos_ in ("VERB", "AUX"):
            has_verb = 1.0
            lemma = lemma_of(t).lower()
            if lemma in SPEECH_VERBS and t.pos_ == "VERB":
                attributed = 1.0
            if lemma in COMMITMENT_LEMMAS:
                commitment = 1.0
            if lemma in ACTION_LEMMAS and t.pos_ == "VERB":
                action = 1.0
            if t.tag_ == "VBD" or (t.tag_ == "VBN" and prev in ("has", "have", "had")):
                past = 1.0
        if prev == "according" and lower == "to":
            attributed = 1.0
        prev = lower
    stripped = text.rstrip(' \t\r\n”"’)]')
    return {
        "number": number,
        "date": date,
        "entities": min(ent_count, 3) / 3,
        "attributed": attributed,
        "commitment": commitment,
        "past_event": past,
        "action_verb": action,
        "hedge": min(hedges, 2) / 2,
        "opinion": 1.0 if OPINION_PATTERN.search(text) else 0.0,
        # A sentence that also carries reported content ("While X declined to discuss it, Y
        # said ...") keeps half the penalty.
        "non_assertion": (0.5 if in_quote else 1.0) if NON_ASSERTION_PATTERN.search(text) else 0.0,
        "question": 1.0 if stripped.endswith("?") else 0.0,
        "boilerplate": 1.0 if BOILERPLATE_PATTERN.search(text) else 0.0,
        "no_verb": 0.0 if has_verb else 1.0,
        "short": 1.0 if n_words < 6 else 0.0,
        "length": min(n_words, 30) / 30,
        "description": 1.0 if DESCRIPTION_PATTERN.search(text) else 0.0,
        "anaphoric_start": 1.0 if ANAPHORIC_START.match(text) else 0.0,
    }


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    m = _TRAIL_JUNK.search(text, start, end)
    if m:
        end = m.start()
    m = _DATELINE.match(text, start, end)
    if m and m.end() < end:
        start = m.end()
    return start, end


class _Candidate(NamedTuple):
    """A sentence of :func:`score_sentences` before its text logit is known."""

    start: int
    end: int
    span: Span
    feats: dict[str, float]
    in_quote: bool
    quote_index: int | None
    entity_keys: list[str]
    labels: list[str]


def score_sentences(
    doc: Doc,
    text: str,
    quotes: Sequence[Quote] = (),
    mentions: Sequence[Mention] = (),
    topics: Sequence[TopicDef] = (),
    model: ClaimsModel | None = None,
) -> list[Claim]:
    """Every sentence of ``doc`` as a scored candidate (``text`` is ``doc.text``).

    Sentences without a letter are skipped. Sentences after an author-bio sentence in the same
    paragraph are boilerplate too. ``topics`` is classified only for candidates that pass
    :data:`DEFAULT_THRESHOLD` (use :func:`nlp.topics.classify` for others). ``model``: the
    check-worthiness model (default: the shipped one, :func:`nlp.claims_model.load_model`).
    """
    model = model or load_model()
    quote_order = sorted(range(len(quotes)), key=lambda i: (quotes[i].start, quotes[i].end))
    quote_starts = [quotes[i].start for i in quote_order]
    # Quotes are short and do not nest deeply: scan back from the first quote starting at or
    # after the sentence end over at most this many earlier quotes to find the overlapping ones.
    max_quote_len = max((q.end - q.start for q in quotes), default=0)
    ments = sorted(mentions, key=lambda m: m.start)
    ment_starts = [m.start for m in ments]
    ents = list(doc.ents)  # sorted by position
    ent_starts = [e.start_char for e in ents]
    # First every sentence's features and span, then the text model's logits of all spans in
    # one pass (ClaimsModel.text_logits), then the claims.
    found: list[_Candidate] = []
    bio_paragraph_end = -1
    for sent in doc.sents:
        start, end = _trim(text, sent.start_char, sent.end_char)
        if start >= end or not _LETTER.search(text, start, end):
            continue
        # Overlapping quotes: those starting before `end` and ending after `start`.
        best_i, best_overlap = None, 0
        j = bisect_left(quote_starts, end) - 1
        while j >= 0 and quote_starts[j] >= start - max_quote_len:
            q = quotes[quote_order[j]]
            overlap = min(end, q.end) - max(start, q.start)
            if overlap > best_overlap:
                best_i, best_overlap = quote_order[j], overlap
            j -= 1
        q_best = quotes[best_i] if best_i is not None else None
        in_quote = q_best is not None and (
            best_overlap >= 0.25 * (end - start)
            or best_overlap >= 0.5 * (q_best.end - q_best.start)
        )
        e = bisect_left(ent_starts, sent.start_char)
        labels_in: list[str] = []
        while e < len(ents) and ents[e].start_char < sent.end_char:
            labels_in.append(ents[e].label_)
            e += 1
        feats = sentence_features(sent, in_quote, labels_in)
        if start <= bio_paragraph_end:
            feats["boilerplate"] = 1.0
        elif feats["boilerplate"] and re.search(r"\bis based in\b", text[start:end]):
            nl = text.find("\n", end)
            bio_paragraph_end = len(text) if nl < 0 else nl
        k = bisect_left(ment_starts, start)
        keys: list[str] = []
        labels: list[str] = []
        while k < len(ments) and ments[k].start < end:
            if ments[k].end <= end and ments[k].entity_key not in keys:
                keys.append(ments[k].entity_key)
                labels.append(ments[k].label)
            k += 1
        span = doc.char_span(start, end, alignment_mode="expand") or sent
        found.append(_Candidate(start, end, span, feats, in_quote, best_i, keys, labels))
    logits = model.text_logits([c.span for c in found])
    out: list[Claim] = []
    for (start, end, _, feats, in_quote, best_i, keys, labels), z in zip(
        found, logits, strict=True
    ):
        q_best = quotes[best_i] if best_i is not None else None
        s = round(model.combine(z, feats), 4)
        feats[TEXT_FEATURE] = sigmoid(z)
        topic_matches = classify(text[start:end], topics, labels) if s >= DEFAULT_THRESHOLD else []
        if in_quote and q_best is not None:
            claimant_text, claimant_key, is_reporter, qi = (
                q_best.speaker_text,
                q_best.speaker_key,
                False,
                best_i,
            )
        else:
            claimant_text, claimant_key, is_reporter, qi = None, None, True, None
        out.append(
            Claim(
                start=start,
                end=end,
                text=text[start:end],
                score=s,
                claimant_text=claimant_text,
                claimant_key=claimant_key,
                is_reporter=is_reporter,
                quote_index=qi,
                entity_keys=tuple(keys),
                topics=tuple(topic_matches),
                features={k: round(v, 4) for k, v in feats.items()},
            )
        )
    return out


def extract_claims(
    doc: Doc,
    text: str,
    quotes: Sequence[Quote] = (),
    mentions: Sequence[Mention] = (),
    topics: Sequence[TopicDef] = (),
    threshold: float = DEFAULT_THRESHOLD,
    model: ClaimsModel | None = None,
) -> tuple[Claim, ...]:
    """The candidates of :func:`score_sentences` scoring at least ``threshold``, in text order."""
    return tuple(
        c
        for c in score_sentences(doc, text, quotes, mentions, topics, model)
        if c.score >= threshold
    )


def classify_claims(
    claims: Sequence[Claim], mentions: Sequence[Mention], topics: Sequence[TopicDef]
) -> tuple[Claim, ...]:
    """Re-classify stored claims under another taxonomy (e.g. one edited in the database)."""
    ments = sorted(mentions, key=lambda m: m.start)
    starts = [m.start for m in ments]
    out = []
    for c in claims:
        k = bisect_left(starts, c.start)
        labels = []
        while k < len(ments) and ments[k].start < c.end:
            labels.append(ments[k].label)
            k += 1
        out.append(replace(c, topics=tuple(classify(c.text, topics, labels))))
    return tuple(out)
