"""Attribution: who says what, from quotation marks plus the dependency parse.

The rules, in order (see docs/nlp.md for the reasoning):

1. Quotation marks are paired on the raw text (:mod:`nlp.quotemarks`).
2. Cues are speech-verb lemmas outside quotation marks (:data:`nlp.lexicon.SPEECH_VERBS`) and
   "according to". A cue's *source* is its subject (``nsubj``), the subject of the verb it hangs
   off for participles ("..., adding that"), the object of "cite ... as saying", or the object
   of "according to". Its *content* is its clausal complement (``ccomp``), or, when the parser
   hung the cue off the reported clause ("..., he said"), that clause minus the cue.
3. A quote span that opens its sentence (or follows "X said:" / "said X,") and ends in
   punctuation is *direct*. Its cue is the cue whose content covers it, else the nearest cue in
   the sentence; without one it inherits the speaker of the previous direct quote in the same
   or previous paragraph, or of the paragraph it continues.
4. A cue whose content holds quoted fragments of two or more words besides unquoted words gives
   a *mixed* quote (text = the whole content, marks included); a cue whose content has no
   quote gives an *indirect* quote. Quoted fragments outside any content are scare quotes,
   titles or nicknames and are dropped.
5. Sources resolve to entities: a named entity, an appositive name ("a spokesperson, John
   Kirby"), a role noun ("the spokesman" -> the person introduced with that role), an outlet or
   organisation ("the agency" -> the ORG whose name holds the noun), a pronoun (he/she -> the
   latest person speaker nearby, else the latest person subject; it -> the latest organisation).
   Unnamed sources ("officials", "analysts") keep their text and no entity key.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from nlp.entities import EntityIndex, name_gender, name_tokens
from nlp.lemmas import lemma_of
from nlp.lexicon import (
    CLAUSE_ONLY_VERBS,
    CONTENT_STOP_WORDS,
    DIRECT_ONLY_VERBS,
    DOCUMENT_NOUNS,
    DOCUMENT_PARTICIPLES,
    GENDERED_WORDS,
    INFINITIVE_CUES,
    INFINITIVE_ONLY_VERBS,
    KEEP_TYPES_FOR_SPEAKERS,
    MIN_MIXED_FRAGMENT_WORDS,
    MIN_UNATTRIBUTED_QUOTE_WORDS,
    NEGATING_HEADS,
    NOMINAL_CUES,
    ORG_ROLE_NOUNS,
    PERSON_ROLE_NOUNS,
    PERSONAL_PRONOUNS,
    PHRASAL_CUES,
    PRONOUN_GENDER,
    ROLE_SYNONYMS,
    SPEECH_FORMS,
    SPEECH_VERBS,
    UNNAMED_SOURCE_NOUNS,
)
from nlp.quotemarks import QuoteSpan

_SUBJ = frozenset({"nsubj", "nsubjpass", "csubj"})
_CLAUSE_COMP = frozenset({"ccomp", "parataxis"})
_NP_LEFT = frozenset({"det", "amod", "compound", "poss", "nummod", "nmod", "quantmod", "case"})
_EDGE_PUNCT = frozenset(",;:—–-()[]")
# Verbs whose object after the verb is the addressee, never the source.
_OPEN_MARKS = frozenset({"“", '"', "„", "«", "‘", "''", "``"})
_ADDRESSEE_VERBS = frozenset(
    {"tell", "inform", "assure", "reassure", "ask", "urge", "warn", "remind", "brief", "advise",
     "notify", "implore", "press", "beg", "promise"}
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Speaker:
    start: int
    end: int
    text: str
    key: str | None


@dataclass(frozen=True, slots=True)
class QuoteRecord:
    """A quote in character offsets; the public :class:`nlp.types.Quote` is built from it."""

    kind: str
    start: int
    end: int
    speaker: Speaker | None
    cue_start: int | None
    cue_end: int | None
    confidence: float


@dataclass
class _Cue:
    token: Token  # the verb, or "according"
    end_token: Token  # last token of the cue phrase ("to" of "according to")
    source: Token | None
    content: tuple[int, int] | None  # token range [a, b)
    speaker: Speaker | None = None
    resolved: bool = False
    infinitive: bool = False  # content is an (object +) to-infinitive: "urged X to ..."
    headline: bool = False  # a Title-Case line whose verb was tagged PROPN
    nominal: bool = False  # a noun cue: "the governor's announcement that ..."


@dataclass(frozen=True, slots=True)
class _Cand:
    """A possible antecedent of he/she: a person mention, a person role noun phrase ("the
    transport minister", "one worker") or an already resolved pronoun."""

    tok: int  # head token
    key: str | None  # entity it denotes (None: an unnamed person)
    gender: str | None
    subject: int  # 2: of the main verb, 1: of another clause, 0: not a subject
    in_quote: bool


@dataclass
class _State:
    doc: Doc
    ents: EntityIndex
    quotes: list[QuoteSpan]
    token_quote: dict[int, int]  # token index -> quote index (tokens within the marks)
    token_para: list[int]
    speakers: list[tuple[int, int, str, str]] = field(default_factory=list)  # tok, para, key, type
    roles: list[tuple[int, str, frozenset[str]]] = field(default_factory=list)  # tok, key, words
    # Token.sent rescans the whole Doc on every call: look sentences up here instead
    sents: list[Span] = field(default_factory=list)
    text: str = ""  # Doc.text joins every token on each access: read it once
    sent_of: list[Span] = field(default_factory=list)
    sent_index: list[int] = field(default_factory=list)  # token -> index into sents
    gender: dict[str, str] = field(default_factory=dict)  # person entity key -> "m" / "f"
    # person-denoting noun phrases and resolved pronouns, in token order (see _person_cands)
    cands: list[_Cand] = field(default_factory=list)
    cand_pos: list[int] = field(default_factory=list)
    pronoun_key: dict[int, str | None] = field(default_factory=dict)


def _role(word: str) -> str:
    return ROLE_SYNONYMS.get(word, word)


def _paragraph_of_tokens(doc: Doc) -> list[int]:
    paras: list[int] = []
    p = 0
    for t in doc:
        paras.append(p)
        if t.is_space and ("\n" in t.text or "\r" in t.text or "\u2029" in t.text):
            p += 1
    return paras


def _token_quote_map(doc: Doc, quotes: list[QuoteSpan]) -> dict[int, int]:
    mapping: dict[int, int] = {}
    for qi, q in enumerate(quotes):
        span = doc.char_span(q.outer_start, q.outer_end, alignment_mode="expand")
        if span is None:
            continue
        for t in span:
            mapping.setdefault(t.i, qi)
    return mapping


def _person_roles(doc: Doc, ents: EntityIndex) -> list[tuple[int, str, frozenset[str]]]:
    """Role words around each person mention: "State Department spokesman Matthew Miller"."""
    out: list[tuple[int, str, frozenset[str]]] = []
    for ts, te, key in ents.mention_tokens:
        if ents.type_of(key) != "PERSON":
            continue
        root = doc[ts:te].root
        words: set[str] = set()

        def add_np(tok: Token, words: set[str], ts: int, te: int, limit: int = 10) -> None:
            for t in list(tok.subtree)[:40]:
                if t.i in range(ts, te) or t.is_punct or t.is_space:
                    continue
                if abs(t.i - tok.i) <= limit:
                    words.add(_role(lemma_of(t).lower()))

        for child in root.children:
            if child.i in range(ts, te):
                continue
            if child.dep_ in {"compound", "amod", "nmod", "appos"}:
                add_np(child, words, ts, te)
        if root.dep_ in {"appos", "compound"} and root.head.pos_ in {"NOUN", "PROPN"}:
            head = root.head
            words.add(_role(lemma_of(head).lower()))
            for child in head.children:
                if child.dep_ in {"compound", "amod", "nmod"} and child.i != root.i:
                    add_np(child, words, ts, te, 6)
        # names preceded by their title inside the NER span's left context
        i = ts - 1
        while (
            i >= 0
            and i >= ts - 4
            and doc[i].pos_ in {"NOUN", "PROPN", "ADJ"}
            and doc[i].ent_type_ != "PERSON"
        ):
            words.add(_role(lemma_of(doc[i]).lower()))
            i -= 1
        if words:
            out.append((ts, key, frozenset(words)))
    return out


def _np_range(head: Token) -> tuple[int, int]:
    """Token range of a noun phrase without its appositives, relative clauses or trailing PPs."""
    start = head.i
    for child in head.lefts:
        if child.dep_ in _NP_LEFT or child.dep_ in {"advmod", "compound"}:
            start = min(start, child.left_edge.i)
    end = head.i + 1
    for child in head.rights:
        if child.dep_ in {"compound", "flat", "case"} and child.i == end:
            end = child.i + 1
        elif (
            child.dep_ == "prep"
            and child.i == end
            and child.lower_ in {"for", "of", "at"}
            and lemma_of(head).lower() in PERSON_ROLE_NOUNS
        ):
            end = child.right_edge.i + 1  # "a spokesman for the ministry"
    if head.pos_ == "PROPN":  # a name the parser split: "the Harbour | Gazette reported"
        doc = head.doc
        while start > 0 and doc[start - 1].pos_ == "PROPN" and doc[start - 1].dep_ != "ROOT":
            start -= 1
        if start > 0 and doc[start - 1].lower_ == "the":
            start -= 1
    return start, end


def _speaker_from_tokens(state: _State, a: int, b: int, key: str | None) -> Speaker:
    doc = state.doc
    while a < b and (doc[a].is_punct or doc[a].is_space):
        a += 1
    while b > a and (doc[b - 1].is_punct or doc[b - 1].is_space):
        b -= 1
    if b <= a:
        b = a + 1
    s, e = doc[a].idx, doc[b - 1].idx + len(doc[b - 1].text)
    return Speaker(s, e, state.text[s:e], key)


def _mention_range(state: _State, i: int) -> tuple[int, int] | None:
    for ts, te, _ in state.ents.mention_tokens:
        if ts <= i < te:
            return ts, te
    return None


def _entity_in(state: _State, tokens: list[Token], prefer_person: bool) -> Token | None:
    best: Token | None = None
    for t in tokens:
        key = state.ents.entity_of_token(t.i)
        if key is None or state.ents.type_of(key) not in KEEP_TYPES_FOR_SPEAKERS:
            continue
        if prefer_person and state.ents.type_of(key) == "PERSON":
            return t
        if best is None:
            best = t
    return best


def _resolve_person_role(state: _State, head: Token) -> str | None:
    role = _role(lemma_of(head).lower())
    modifiers = {
        _role(lemma_of(t).lower())
        for t in head.subtree
        if t.i != head.i and not t.is_punct and t.pos_ in {"PROPN", "NOUN", "ADJ"}
    }
    # "A Dow spokeswoman", "a spokesman for the ministry": only someone of that organisation
    orgs = {_role(lemma_of(t).lower()) for t in _org_modifiers(state, head)}
    best: tuple[int, int, str] | None = None
    for tok_i, key, words in state.roles:
        if role not in words or (orgs and not orgs & words):
            continue
        score = len(modifiers & words)
        before = tok_i < head.i
        distance = head.i - tok_i if before else 10_000 + tok_i - head.i
        cand = (score, -distance, key)
        if best is None or cand > best:
            best = cand
    return best[2] if best else None


_SPOKES_ROLES = frozenset({"spokesman", "spokeswoman", "spokesperson", "representative"})
# Generic nouns for a company: "the firm said" -> the latest company named before.
_GENERIC_ORG_NOUNS = frozenset(
    {"company", "firm", "group", "carmaker", "automaker", "airline", "bank", "lender",
     "insurer", "retailer", "maker", "manufacturer", "chainmaker", "conglomerate", "operator",
     "club", "team", "association", "federation", "union", "broadcaster", "newspaper"}
)  # fmt: skip


def _org_modifiers(state: _State, head: Token) -> list[Token]:
    """Organisation words qualifying a role noun: "A *Dow* spokeswoman", "a *ministry*
    spokeswoman", "a spokesman for the *Interior Ministry*" (entity tokens or org nouns)."""
    toks = [
        t
        for child in head.children
        if (child.dep_ in {"compound", "nmod", "poss"} and child.i < head.i)
        or (child.dep_ == "prep" and child.lower_ in {"for", "of", "at"})
        for t in child.subtree
    ]

    def is_org(t: Token) -> bool:
        key = state.ents.token_key.get(t.i)
        if key is not None:
            return state.ents.type_of(key) in {"ORG", "GPE", "FAC"}
        if t.pos_ != "NOUN":
            return False
        # an organisation noun, or a word of an organisation named in the article ("a
        # spokeswoman for the trust" after "Brightmoor Health Trust")
        return lemma_of(t).lower() in ORG_ROLE_NOUNS or _resolve_org_role(state, t) is not None

    return [t for t in toks if is_org(t)]


def _latest_org(state: _State, head: Token) -> str | None:
    """The latest organisation named before ``head`` within five sentences, outside quotes."""
    lo = state.sents[max(0, state.sent_index[head.i] - 5)].start
    for ts, _te, key in reversed(state.ents.mention_tokens):
        if ts >= head.i or ts in state.token_quote:
            continue
        if ts < lo:
            break
        if state.ents.type_of(key) == "ORG":
            return key
    return None


def _resolve_org_role(state: _State, head: Token) -> str | None:
    noun = lemma_of(head).lower()
    best: tuple[int, str] | None = None
    for ts, _te, key in state.ents.mention_tokens:
        entity = state.ents.entities[key]
        if entity.type == "PERSON" or noun not in name_tokens(entity.name, entity.type):
            continue
        distance = head.i - ts if ts < head.i else 10_000 + ts - head.i
        if best is None or distance < best[0]:
            best = (distance, key)
    return best[1] if best else None


def _entity_genders(state: _State) -> dict[str, str]:
    """Gender evidence per person entity: honorifics and gendered role nouns next to its
    mentions ("Ms. Achterberg", "the chairwoman, Ann Lee", "spokesman John Kirby"), then the
    first given name of its canonical name (a first-name list)."""
    doc, ents = state.doc, state.ents
    votes: dict[str, list[str]] = {}
    for ts, te, key in ents.mention_tokens:
        if ents.type_of(key) != "PERSON":
            continue
        root = doc[ts:te].root
        near: list[Token] = [doc[i] for i in range(max(0, ts - 2), te)]
        near += [c for c in root.children if c.dep_ in {"compound", "appos", "amod"}]
        if root.dep_ in {"appos", "compound"}:
            near.append(root.head)
            near += [c for c in root.head.children if c.dep_ in {"compound", "amod"}]
        for t in near:
            g = GENDERED_WORDS.get(t.lower_.rstrip("."))
            if g is not None:
                votes.setdefault(key, []).append(g)
    out: dict[str, str] = {}
    for key, entity in ents.entities.items():
        if entity.type != "PERSON":
            continue
        v = votes.get(key, [])
        if v:
            m, f = v.count("m"), v.count("f")
            if m != f:
                out[key] = "m" if m > f else "f"
                continue
        g = name_gender(entity.name)
        if g is not None:
            out[key] = g
    return out


_UNNAMED_PERSON_NOUNS = frozenset(
    {"worker", "resident", "witness", "voter", "student", "official", "source", "diplomat",
     "activist", "supporter", "man", "woman", "passenger", "fan", "officer", "nurse", "teacher",
     "doctor", "farmer", "shopkeeper", "soldier", "employee", "member", "parent", "driver"}
)  # fmt: skip


def _is_subject(t: Token) -> int:
    """2: subject of the sentence's main verb, 1: of another clause, 0: not a subject."""
    if t.dep_ in {"appos", "compound"} and t.head.dep_ in _SUBJ:
        t = t.head
    if t.dep_ not in _SUBJ:
        return 0
    verb = t.head
    while verb.dep_ == "conj" and verb.head.i != verb.i:
        verb = verb.head
    return 2 if verb.dep_ == "ROOT" else 1


def _person_cands(state: _State) -> list[_Cand]:
    """Person mentions and singular person noun phrases, in token order (pronouns are added
    as they are resolved)."""
    doc, ents = state.doc, state.ents
    out: list[_Cand] = []
    for ts, te, key in ents.mention_tokens:
        if ents.type_of(key) != "PERSON":
            continue
        root = doc[ts:te].root
        out.append(
            _Cand(root.i, key, state.gender.get(key), _is_subject(root), ts in state.token_quote)
        )
    for t in doc:
        if t.pos_ != "NOUN" or t.tag_ != "NN" or t.i in ents.token_key or t.dep_ == "compound":
            continue
        lemma = lemma_of(t).lower()
        if not (
            lemma in PERSON_ROLE_NOUNS or lemma in _UNNAMED_PERSON_NOUNS or lemma in GENDERED_WORDS
        ):
            continue
        child_keys = [
            ents.token_key[c.i]
            for c in t.children
            if c.dep_ in {"appos", "compound"} and c.i in ents.token_key
        ]
        if any(ents.type_of(k) == "PERSON" for k in child_keys):
            continue  # "the mayor, Denise Whitfield": the name is the candidate
        np_key = _resolve_noun(state, t)
        gender = GENDERED_WORDS.get(lemma) or (state.gender.get(np_key) if np_key else None)
        out.append(_Cand(t.i, np_key, gender, _is_subject(t), t.i in state.token_quote))
    out.sort(key=lambda c: c.tok)
    return out


def _add_cand(state: _State, cand: _Cand) -> None:
    i = bisect_left(state.cand_pos, cand.tok)
    if i < len(state.cand_pos) and state.cand_pos[i] == cand.tok:
        return
    state.cand_pos.insert(i, cand.tok)
    state.cands.insert(i, cand)


_PRONOUN_SENTS = 4  # how many sentences back a he/she looks for its antecedent
_PARTY_EPITHETS = frozenset(
    {"republican", "democrat", "conservative", "liberal", "socialist", "tory", "independent",
     "centrist", "populist", "nationalist", "veteran", "lawmaker", "politician", "billionaire"}
)  # fmt: skip


def _demonym_epithet(head: Token) -> bool:
    """ "the Italian", "the Frenchman", "the 45-year-old": one person just named, spoken of
    by nationality or age (a singular NORP word, or an "N-year-old")."""
    if head.ent_type_ == "NORP" and head.tag_ in {"NN", "NNP", "JJ"}:  # not "the Italians"
        return True
    return head.lower_ == "old" and any(c.lower_ == "year" for c in head.subtree)


def _resolve_gendered(state: _State, tok: Token) -> str | None:
    """he/she/him/her/his: the nearest agreeing person, the subject first within a sentence.

    Candidates are people named or described ("the governor") in this sentence before the
    pronoun and in the four sentences before it, within this and the two previous paragraphs,
    outside quotation marks. Gender must agree when known (honorific, gendered role noun,
    first name, earlier pronoun). In the pronoun's own sentence the subject of an earlier
    clause is preferred, then the nearest; in an earlier sentence its subject, then its first
    agreeing mention. A description without a name ("one worker") resolves to no entity."""
    if tok.i in state.pronoun_key:
        return state.pronoun_key[tok.i]
    gender = PRONOUN_GENDER.get(tok.lower_)
    si = state.sent_index[tok.i]
    para = state.token_para[tok.i]
    in_quote = tok.i in state.token_quote
    lo = state.sents[max(0, si - _PRONOUN_SENTS)].start
    end = bisect_left(state.cand_pos, tok.i)
    start = bisect_left(state.cand_pos, lo)
    by_sent: dict[int, list[_Cand]] = {}
    for cand in state.cands[start:end]:
        if cand.gender is not None and gender is not None and cand.gender != gender:
            continue
        if cand.in_quote and not in_quote:
            continue
        if para - state.token_para[cand.tok] > 2:
            continue
        c_tok = state.doc[cand.tok]
        if c_tok.head.i == tok.head.i and tok.dep_ not in {"poss"} and c_tok.dep_ != "poss":
            continue  # co-arguments of one verb are different people: "Lee told him"
        by_sent.setdefault(state.sent_index[cand.tok], []).append(cand)
    chosen: _Cand | None = None
    found = False
    for s in range(si, max(-1, si - _PRONOUN_SENTS - 1), -1):
        group = by_sent.get(s)
        if not group:
            continue
        best_rank = max(c.subject for c in group)
        subjects = [c for c in group if c.subject == best_rank]
        # own sentence: the latest subject before the pronoun; earlier: the main subject
        chosen = subjects[-1] if s == si else subjects[0]
        found = True
        break
    key: str | None = chosen.key if chosen is not None else None
    if not found:  # the latest agreeing person quoted in this or the previous two paragraphs
        for s_tok, s_para, s_key, etype in reversed(state.speakers):
            if s_tok < tok.i and etype == "PERSON" and para - s_para <= 2:
                g = state.gender.get(s_key)
                if g is None or gender is None or g == gender:
                    key = s_key
                    break
    state.pronoun_key[tok.i] = key
    if key is not None and gender is not None and key not in state.gender:
        state.gender[key] = gender  # "Lee ... she said": Lee is a woman from now on
    if not in_quote:
        _add_cand(state, _Cand(tok.i, key, gender, _is_subject(tok), False))
    return key


def _resolve_they(state: _State, tok: Token) -> str | None:
    """they/their: an organisation that is the subject of this or a previous sentence ("The
    association said ... They added"); a plural or coordinated subject ("Officials ...",
    "Railfracht and NordCargo ...") stands for no single entity."""
    si = state.sent_index[tok.i]
    for s in range(si - 1, max(-1, si - 3), -1):
        sent = state.sents[s]
        subjects = [
            t
            for t in sent
            if t.i < tok.i and t.dep_ in {"nsubj", "nsubjpass"} and t.pos_ in {"NOUN", "PROPN", "PRON"}
            and t.i not in state.token_quote
        ]  # fmt: skip
        if not subjects:
            continue
        subj = subjects[0]
        if subj.pos_ == "PRON":
            if subj.lower_ != "they":
                return None
            return state.pronoun_key.get(subj.i)
        if subj.tag_ in {"NNS", "NNPS"} or any(c.dep_ == "conj" for c in subj.children):
            return None
        key = _resolve_noun(state, subj)
        if key is not None and state.ents.type_of(key) not in {"PERSON", "NORP"}:
            return key
        return None
    return None


def _they_key(state: _State, tok: Token) -> str | None:
    if tok.i not in state.pronoun_key:
        state.pronoun_key[tok.i] = _resolve_they(state, tok)
    return state.pronoun_key[tok.i]


def _resolve_pronoun(state: _State, tok: Token) -> str | None:
    kind = PERSONAL_PRONOUNS.get(tok.lower_)
    para = state.token_para[tok.i]
    if tok.lower_ in PRONOUN_GENDER:
        return _resolve_gendered(state, tok)
    if kind == "plural" and tok.lower_ in {"they", "them", "their"}:
        return _they_key(state, tok)
    if kind == "person":
        for s_tok, s_para, key, etype in reversed(state.speakers):
            if s_tok < tok.i and etype == "PERSON" and para - s_para <= 2:
                return key
        sent_start = state.sent_of[tok.i].start
        prev_sents_start = max(0, sent_start - 80)
        fallback: str | None = None
        for ts, _te, key in reversed(state.ents.mention_tokens):
            if ts >= tok.i or ts < prev_sents_start or state.ents.type_of(key) != "PERSON":
                continue
            if state.doc[ts:_te].root.dep_ in _SUBJ:
                return key
            fallback = fallback or key
        return fallback
    if kind == "org":
        # "The agency ... but it said": a subject earlier in the same sentence first
        for t in state.sent_of[tok.i]:
            if t.i >= tok.i:
                break
            if t.dep_ in _SUBJ and t.pos_ in {"NOUN", "PROPN"}:
                org_key = _resolve_noun(state, t)
                if org_key is not None and state.ents.type_of(org_key) != "PERSON":
                    return org_key
        for s_tok, _s_para, key, etype in reversed(state.speakers):
            if s_tok < tok.i and etype != "PERSON":
                return key
    return None


def _appositive(child: Token) -> bool:
    """An appositive, or a "conjunct" with no conjunction that the parser made of one:
    "their union, the Associated Society of Rail Drivers," (conj, but no "and"/"or")."""
    if child.dep_ == "appos":
        return True
    if child.dep_ != "conj" or child.i <= child.head.i:
        return False
    between = child.doc[child.head.i + 1 : child.left_edge.i]
    return not any(t.dep_ == "cc" for t in between) and any(t.text == "," for t in between)


def _finding_issuer(state: _State, head: Token) -> str | None:
    """Who is behind a survey, study or poll: "A survey by the Nikko Shimbun newspaper
    found", "a Gallup poll", "the bank's review" (an organisation or person in a by/from
    phrase, a possessive or a compound) — never a place or group it is about ("a survey of
    voters in Osaka": no one)."""
    for child in head.children:
        if child.dep_ in {"poss", "compound"} or (
            child.dep_ == "prep" and child.lower_ in {"by", "from"}
        ):
            t = _entity_in(state, list(child.subtree), prefer_person=False)
            if t is not None and state.ents.type_of(state.ents.token_key[t.i]) in {
                "ORG", "PERSON"
            }:  # fmt: skip
                return state.ents.token_key[t.i]
    return None


def _resolve_noun(state: _State, head: Token) -> str | None:
    """Entity key for a non-pronoun source head, or None for unnamed/unknown sources."""
    if (
        (head.lower_ in _PARTY_EPITHETS or _demonym_epithet(head))
        and head.tag_ in {"NN", "NNP", "JJ"}
        and any(c.dep_ == "det" and c.lower_ == "the" for c in head.children)
    ):
        # "The Kentucky Republican added": a person just named, like a pronoun
        return _resolve_gendered(state, head)
    key = state.ents.entity_of_token(head.i)
    if key is not None and state.ents.type_of(key) in KEEP_TYPES_FOR_SPEAKERS:
        return key
    for child in head.children:
        if _appositive(child):
            t = _entity_in(state, list(child.subtree), prefer_person=True)
            if t is not None and state.ents.type_of(state.ents.token_key[t.i]) == "PERSON":
                return state.ents.token_key[t.i]
    if head.pos_ == "NOUN" and lemma_of(head).lower() in _FINDING_NOUNS - DOCUMENT_NOUNS:
        return _finding_issuer(state, head)
    if head.pos_ == "NOUN" and lemma_of(head).lower() not in PERSON_ROLE_NOUNS:
        # "The drivers' union, Unite Transit," / "The chipmaker Valtronic" / "The island
        # nation of Tavalu": a common noun named by its appositive or of-phrase
        for child in head.children:
            named = (child.dep_ == "compound" or _appositive(child)) and child.i > head.i
            of_phrase = child.dep_ == "prep" and child.lower_ == "of" and child.i == head.i + 1
            if named or of_phrase:
                t = _entity_in(state, list(child.subtree), prefer_person=False)
                if t is not None and state.ents.type_of(state.ents.token_key[t.i]) in {
                    "ORG", "GPE", "FAC"
                }:  # fmt: skip
                    return state.ents.token_key[t.i]
    if head.pos_ == "PROPN":  # a name the NER missed here but found elsewhere ("KCNA reported")
        a, b = _np_range(head)
        key = state.ents.lookup(state.doc[a:b].text)
        if key is not None:
            return key
    lemma = lemma_of(head).lower()
    plural = head.tag_ in {"NNS", "NNPS"}
    if lemma in PERSON_ROLE_NOUNS and not plural:
        key = _resolve_person_role(state, head)
        if key is not None:
            return key
    if lemma in _SPOKES_ROLES and not plural:
        # an unnamed spokesperson speaks for the organisation: "A Dow spokeswoman said"
        for t in _org_modifiers(state, head):
            key = state.ents.token_key.get(t.i)
            if key is None:
                key = _resolve_org_role(state, t)
            if key is None and lemma_of(t).lower() in _GENERIC_ORG_NOUNS:
                key = _latest_org(state, t)  # "a spokesman for the company"
            if key is not None:
                return key
    if lemma in UNNAMED_SOURCE_NOUNS and lemma not in DOCUMENT_NOUNS:
        return None
    if lemma in PERSON_ROLE_NOUNS:
        return None
    mods = [t for c in head.children if c.dep_ in {"compound", "nmod", "appos"} for t in c.subtree]
    t = _entity_in(state, mods, prefer_person=False)
    if t is not None and state.ents.type_of(state.ents.token_key[t.i]) not in {"NORP"}:
        return state.ents.token_key[t.i]
    if lemma in ORG_ROLE_NOUNS or lemma in _GENERIC_ORG_NOUNS:
        key = _resolve_org_role(state, head)
        if key is not None:
            return key
    if lemma in _GENERIC_ORG_NOUNS and not plural and head.i not in state.token_quote:
        key = _latest_org(state, head)
        if key is not None:
            return key
    if lemma in DOCUMENT_NOUNS:
        t = _entity_in(state, list(head.subtree), prefer_person=True)
        if t is not None and state.ents.type_of(state.ents.token_key[t.i]) != "NORP":
            return state.ents.token_key[t.i]
    return None


def _relative_antecedent(source: Token) -> Token | None:
    """The noun a relative "who"/"which"/"that" stands for: "Gwen Pryce, who said ..."."""
    if source.tag_ not in {"WP", "WDT"} and source.lower_ not in {"who", "which", "that"}:
        return None
    verb = source.head
    while verb.dep_ == "conj" and verb.head.i != verb.i:
        verb = verb.head
    if verb.dep_ == "relcl" and verb.head.pos_ in {"NOUN", "PROPN"}:
        return verb.head
    return None


def _resolve_source(state: _State, source: Token) -> Speaker:
    antecedent = _relative_antecedent(source)
    if antecedent is not None:
        source = antecedent
    if source.pos_ == "PRON" or source.lower_ in PERSONAL_PRONOUNS:
        key = _resolve_pronoun(state, source)
        return _speaker_from_tokens(state, source.i, source.i + 1, key)
    key = _resolve_noun(state, source)
    mention = _mention_range(state, source.i)
    if mention is not None and state.ents.entity_of_token(source.i) == key:
        return _speaker_from_tokens(state, mention[0], mention[1], key)
    if key is not None:
        for child in source.children:  # "a spokesperson, John F. Kirby" -> the name
            if (child.dep_ == "compound" or _appositive(child)) and child.i > source.i:
                for t in child.subtree:
                    m = _mention_range(state, t.i)
                    if m is not None and state.ents.entity_of_token(t.i) == key:
                        return _speaker_from_tokens(state, m[0], m[1], key)
    a, b = _np_range(source)
    return _speaker_from_tokens(state, a, b, key)


def _infinitive_of(verb: Token) -> Token | None:
    """The to-infinitive complement of ``verb`` ("urged members *to reject* the offer")."""
    for child in verb.rights:
        if (
            child.dep_ in {"xcomp", "advcl", "ccomp"}
            and child.pos_ in {"VERB", "AUX"}
            and any(c.lower_ == "to" and c.dep_ == "aux" for c in child.lefts)
        ):
            return child
    return None


_ANONYMITY = frozenset({"name", "identify", "quote", "disclose"})
_FINDING_VERBS = frozenset({"find", "show"})
_FINDING_NOUNS = DOCUMENT_NOUNS | {
    "study", "audit", "survey", "review", "investigation", "analysis", "poll", "research",
    "data", "inquiry", "probe", "report", "assessment", "evaluation", "paper",
}  # fmt: skip


def _infinitive_content(verb: Token, inf: Token) -> tuple[int, int]:
    """The object (direct or after with/on) and the infinitive: "members to reject the offer"."""
    a = inf.left_edge.i
    for child in verb.rights:
        if child.i >= inf.i:
            break
        if child.dep_ in {"dobj", "iobj"}:
            a = min(a, child.left_edge.i)
        elif child.dep_ == "prep" and child.lower_ in {"with", "on", "upon"}:
            pobj = next((c for c in child.children if c.dep_ == "pobj"), None)
            if pobj is not None:
                a = min(a, pobj.left_edge.i)
    return a, inf.right_edge.i + 1


def _is_cue_verb(t: Token) -> bool:
    lemma = lemma_of(t).lower()
    if lemma in PHRASAL_CUES:
        return any(c.dep_ == "prt" and c.lower_ == PHRASAL_CUES[lemma] for c in t.children)
    if lemma in INFINITIVE_ONLY_VERBS:
        return _infinitive_of(t) is not None and (
            lemma != "call" or any(c.dep_ == "prep" and c.lower_ == "on" for c in t.children)
        )
    if t.dep_ == "acl" and lemma_of(t.head).lower() in DOCUMENT_NOUNS:
        return lemma in DOCUMENT_PARTICIPLES  # "a statement saying", "a report showing"
    if lemma in _FINDING_VERBS and lemma not in SPEECH_VERBS:  # "The report found that ..."
        return any(c.dep_ == "ccomp" for c in t.children) and any(
            c.dep_ == "nsubj" and lemma_of(c).lower() in _FINDING_NOUNS for c in t.children
        )
    return lemma in SPEECH_VERBS


def _nominal_cue(t: Token) -> tuple[Token, tuple[int, int]] | None:
    """(source, content) of a noun cue with a clause: "the governor's announcement that ..."."""
    if t.pos_ != "NOUN" or lemma_of(t).lower() not in NOMINAL_CUES or t.tag_ == "NNS":
        return None
    clause = None
    for child in t.rights:
        if child.dep_ in {"acl", "ccomp", "relcl"} and child.pos_ in {"VERB", "AUX"}:
            marks = [c for c in child.lefts if c.dep_ in {"mark", "aux"}]
            if any(m.lower_ in {"that", "to"} for m in marks):
                clause = child
                break
    if clause is None:
        return None
    source = next((c for c in t.children if c.dep_ == "poss"), None)
    if source is None:
        for child in t.children:
            if child.dep_ == "prep" and child.lower_ in {"by", "from"} and child.i < clause.i:
                source = next((c for c in child.children if c.dep_ == "pobj"), None)
                break
    if source is None:
        return None
    a, b = clause.left_edge.i, clause.right_edge.i + 1
    verb_subj = [c for c in clause.lefts if c.dep_ in {"nsubj", "csubj"} and c.pos_ == "VERB"]
    if verb_subj:  # misparse "[that the river would flood] came too late": the sentence's verb
        b = clause.i
    elif t.dep_ in _SUBJ and t.i < t.head.i < b:  # "The warning that X came too late"
        b = t.head.i
        while b > a and t.doc[b - 1].pos_ == "AUX":
            b -= 1
    return source, (a, b)


def _find_source(verb: Token) -> Token | None:
    subjects = [c for c in verb.children if c.dep_ in _SUBJ and c.dep_ != "csubj"]
    if subjects:  # "The chipmaker Valtronic warned" parsed as two subjects: take the name
        return next((c for c in reversed(subjects) if c.pos_ == "PROPN"), subjects[0])
    # "said Matthew Miller" sometimes parsed as an object or attribute of the verb; never
    # the addressee of tell/inform/... ("she told The Ledger") or a date ("argued Sunday")
    if lemma_of(verb).lower() not in _ADDRESSEE_VERBS:
        for child in verb.rights:
            if (
                child.dep_ in {"dobj", "attr", "npadvmod", "appos"}
                and child.pos_ == "PROPN"
                and child.ent_type_ not in {"DATE", "TIME"}
            ):
                return child
    head = verb.head
    if verb.dep_ == "acl" and lemma_of(head).lower() in DOCUMENT_NOUNS:
        # "The firm issued a statement saying ...": the issuer, else the document itself
        poss = next((c for c in head.children if c.dep_ == "poss"), None)
        if poss is not None:
            return poss
        if head.dep_ in {"dobj", "pobj"} and head.head.pos_ in {"VERB", "ADP"}:
            gov = head.head if head.dep_ == "dobj" else head.head.head
            if gov.pos_ in {"VERB", "AUX"}:
                src = next((c for c in gov.children if c.dep_ in {"nsubj"}), None)
                if src is not None:
                    return src
        return head
    final_source = _misparsed_final_cue(verb)
    if final_source is not None:
        # "CONTENT, the city's mayor, Hélène Laurent-Favier, confirmed on Monday." parsed
        # with the cue as a participle of a noun phrase: the phrase that can speak is the source
        return final_source
    if verb.dep_ in {"advcl", "xcomp", "conj", "pcomp", "acl"} and head.i != verb.i:
        if lemma_of(head) == "cite":  # "cited Russian officials as saying"
            for child in head.children:
                if child.dep_ == "dobj":
                    return child
        if verb.dep_ == "pcomp" and lemma_of(head.head) == "cite":
            for child in head.head.children:
                if child.dep_ == "dobj":
                    return child
        if head.pos_ not in {"VERB", "AUX"}:
            return None
        outer = head.head
        if head.dep_ == "ccomp" and lemma_of(outer) in SPEECH_VERBS and verb.tag_ == "VBG":
            # "X said W will monitor ..., reminding ...": X reminds, not W
            return _find_source(outer)
        if (
            head.dep_ == "relcl"
            and verb.tag_ == "VBG"
            and not _could_speak(head.head)
            and head.head.dep_ in {"dobj", "pobj", "attr"}
        ):
            # "X defended a bill that would let police search phones, telling parliament
            # that ...": a bill does not tell; the participle belongs to the main clause
            gov = head.head.head if head.head.dep_ != "pobj" else head.head.head.head
            if gov.pos_ in {"VERB", "AUX"}:
                return _find_source(gov)
        return _find_source(head)
    return None


def _could_speak(noun: Token) -> bool:
    """Could this noun be a source: a name, a person or organisation noun, a document?"""
    lemma = lemma_of(noun).lower()
    return (
        noun.pos_ in {"PROPN", "PRON"}
        or bool(noun.ent_type_)
        or lemma in PERSON_ROLE_NOUNS
        or lemma in ORG_ROLE_NOUNS
        or lemma in UNNAMED_SOURCE_NOUNS
        or lemma in DOCUMENT_NOUNS
    )


_ADJUNCT_DEPS = frozenset({"prep", "npadvmod", "advmod", "punct", "agent", "prt"})


def _misparsed_final_cue(verb: Token) -> Token | None:
    """The source of a sentence-final cue that the parser made a participle ("acl") of a
    noun phrase before it: "CONTENT, their union, the ASRD, announced on Tuesday.", "CONTENT
    about a contract, the city's mayor, X, confirmed on Monday." (hung off "contract"). The
    cue has no subject or object of its own and nothing but adjuncts after it to the end of
    the sentence; the source is the first noun of the phrase's appositive chain that can speak
    and follows a comma (so "the cuts announced on Tuesday" stays a participle)."""
    head = verb.head
    if verb.dep_ != "acl" or head.i >= verb.i or verb.tag_ not in {"VBD", "VBZ", "VBP", "VBN"}:
        return None
    if lemma_of(verb).lower() not in SPEECH_VERBS:
        return None
    if any(c.dep_ not in _ADJUNCT_DEPS for c in verb.children):
        return None
    doc = verb.doc
    if not all(t.is_punct or t.is_space for t in doc[verb.right_edge.i + 1 : verb.sent.end]):
        return None
    chain, t = [head], head
    while (
        nxt := next((c for c in t.children if _appositive(c) and c.i < verb.i), None)
    ) is not None:
        chain.append(nxt)
        t = nxt
    for noun in chain:
        start = noun.left_edge.i
        if _could_speak(noun) and start > 0 and doc[start - 1].text in {",", "—"}:
            return noun
    return None


def _content_range(verb: Token, sent: Span, cue_tokens: set[int]) -> tuple[int, int] | None:
    """Token range of what the cue reports."""
    comps = [c for c in verb.children if c.dep_ in _CLAUSE_COMP]
    inf = _infinitive_of(verb) if lemma_of(verb).lower() in INFINITIVE_CUES else None
    if inf is not None and lemma_of(inf).lower() in _ANONYMITY and inf.tag_ == "VBN":
        return None  # "who asked not to be named"
    if inf is not None and (not comps or inf in comps):
        return _infinitive_content(verb, inf)
    if comps:
        a = min(c.left_edge.i for c in comps)
        b = max(c.right_edge.i for c in comps) + 1
        return a, b
    doc = verb.doc
    as_content = _as_clause_content(verb, sent)
    if as_content is not None:
        return as_content
    head = verb.head
    if (
        verb.dep_ == "advcl"
        and head.i != verb.i
        and any(c.dep_ == "mark" and c.lower_ == "as" for c in verb.children)
    ):
        # "As the paper reported, the talks collapsed." / "..., as the paper reported."
        lo, hi = verb.left_edge.i, verb.right_edge.i + 1
        a, b = max(head.left_edge.i, sent.start), min(head.right_edge.i + 1, sent.end)
        if lo <= a + 1:
            return hi, b
        return a, lo
    # "CONTENT, they said." / "A, an official said, B" whatever the parser made of it
    source = _find_source(verb)
    if source is not None and source.i < verb.i:
        left, right = source.left_edge.i, verb.i + 1
        if any(t.pos_ in {"VERB", "AUX"} for t in doc[source.right_edge.i + 1 : verb.i]):
            left = -1
    elif source is not None:
        left, right = verb.i, source.right_edge.i + 1
    else:
        left, right = -1, verb.i + 1
    if left - 1 > sent.start and doc[left - 1].text in {",", "—"} and right < sent.end:
        rest = doc[right : sent.end]
        if not any(
            t.pos_ in {"VERB", "AUX"} or t.text in {'"', "“", "”", "''", "``"} for t in rest
        ):
            return sent.start, left - 1
        if verb.dep_ == "parataxis" and doc[right].text == ",":
            return sent.start, sent.end
    # "said in a statement that ..." where the parser hung the clause off the noun
    for i in range(verb.i + 1, min(sent.end, verb.i + 10)):
        t = doc[i]
        if t.lower_ in {"that", ":"} and i + 2 < sent.end:
            return i + 1, sent.end
        if t.pos_ in {"VERB", "AUX", "PUNCT"} or t.i in cue_tokens:
            break
    head = verb.head
    if verb.dep_ in {"parataxis", "ccomp", "advcl"} and head.i != verb.i and head.i < verb.i:
        # "Putin wants ..., the officials said": the parser hung the cue off the content
        between = [t for t in verb.doc[head.i : verb.left_edge.i] if t.text in {",", "—"}]
        if between or verb.dep_ == "parataxis":
            a = max(head.left_edge.i, sent.start)
            b = verb.left_edge.i
            return a, b
    return None


def _as_clause_content(verb: Token, sent: Span) -> tuple[int, int] | None:
    """ "As the paper reported, CONTENT." / "CONTENT, as the paper reported." by the words,
    whatever the parser made of them (it often hangs "as" off the wrong word)."""
    doc = verb.doc
    j = verb.i - 1
    while j >= sent.start and j >= verb.i - 7:
        t = doc[j]
        if t.pos_ in {"VERB", "AUX"} or t.text in {".", ";", "“", "”", '"'}:
            return None
        if t.lower_ == "as" and (j == sent.start or doc[j - 1].text in {",", "—"}):
            break
        j -= 1
    else:
        return None
    if j < sent.start or j < verb.i - 7 or doc[j].lower_ != "as":
        return None
    end = sent.end
    if j == sent.start:  # "As X reported, CONTENT"
        for k in range(verb.i + 1, min(sent.end, verb.i + 9)):
            if doc[k].text == ",":
                return (k + 1, end) if end - k > 3 else None
            if doc[k].pos_ in {"VERB", "AUX"}:
                return None
        return None
    tail = [t for t in doc[verb.i + 1 : sent.end] if not (t.is_punct or t.is_space)]
    if len(tail) > 5 or any(t.pos_ in {"VERB", "AUX"} for t in tail):
        return None
    return sent.start, j - 1  # "CONTENT, as X reported."


def _speaker_like(state: _State, verb: Token) -> bool:
    """Has ``verb`` a subject that could be a source (a name, pronoun or person/org noun)?"""
    subj = next((c for c in verb.children if c.dep_ in _SUBJ), None)
    if subj is None:
        return False
    lemma = lemma_of(subj).lower()
    return (
        subj.i in state.ents.token_key
        or subj.pos_ in {"PRON", "PROPN"}
        or lemma in PERSON_ROLE_NOUNS
        or lemma in UNNAMED_SOURCE_NOUNS
        or lemma in ORG_ROLE_NOUNS
    )


def _clause_runs_to(word: Token, b: int) -> bool:
    """Does the clause that ``word`` ("which", "although") opens run to token ``b``?"""
    head = word if word.dep_ == "prep" else word.head
    while (
        head.dep_ not in {"relcl", "advcl", "ccomp", "conj", "ROOT", "prep"}
        and head.head.i != head.i
    ):
        head = head.head
    end = head.right_edge.i + 1
    doc = word.doc
    while end < b and (doc[end].is_punct or doc[end].is_space):
        end += 1
    return end >= b and head.left_edge.i >= word.i


def _according_content(tok: Token, sent: Span) -> tuple[int, int] | None:
    head = sent.root
    a, b = max(head.left_edge.i, sent.start), min(head.right_edge.i + 1, sent.end)
    pp_a, pp_b = tok.left_edge.i, tok.right_edge.i + 1
    if pp_a <= a + 1:  # "According to X, CONTENT"
        return pp_b, b
    return a, pp_a  # "CONTENT, according to X"


def _trim_range(state: _State, a: int, b: int) -> tuple[int, int]:
    doc = state.doc
    while a < b and (
        doc[a].is_space
        or doc[a].text in _EDGE_PUNCT
        or (doc[a].lower_ in {"that", "for"} and doc[a].dep_ == "mark")
        or (doc[a].dep_ == "cc" and a + 1 < b)
    ):
        a += 1
    while b > a and (
        doc[b - 1].is_space
        or doc[b - 1].text in _EDGE_PUNCT
        or doc[b - 1].text == "."
        or (doc[b - 1].dep_ in {"cc", "mark"} and b - 1 > a)  # "..., while [Republicans say]"
    ):
        b -= 1
    return a, b


_DATELINE_LEAD = re.compile(r"^[A-Z][A-Z.'’ -]+(?:,[A-Za-z.'’ ]+)?(?:\([A-Za-z .]+\))?\s*[—–-]+\s*")


def _char_range(state: _State, a: int, b: int) -> tuple[int, int]:
    """Characters of tokens [a, b), widened to whole quotation marks it cuts through."""
    doc = state.doc
    s = doc[a].idx
    e = doc[b - 1].idx + len(doc[b - 1].text)
    dateline = _DATELINE_LEAD.match(state.text[s : s + 80])
    if dateline and s + dateline.end() < e:  # "SEOUL, South Korea (AP) — ..." is no one's words
        s += dateline.end()
    for q in state.quotes:
        if q.outer_start < s <= q.start:
            s = q.outer_start
        if q.end <= e < q.outer_end or (q.start < e <= q.end and e < q.outer_end):
            e = q.outer_end
    return s, e


def _words(doc: Doc, a: int, b: int) -> int:
    return sum(1 for t in doc[a:b] if not (t.is_punct or t.is_space))


def _quote_tokens(doc: Doc, q: QuoteSpan) -> tuple[int, int] | None:
    span = doc.char_span(q.start, q.end, alignment_mode="expand")
    if span is None or len(span) == 0:
        return None
    return span.start, span.end


def _is_direct(state: _State, qi: int, sent: Span, cue_index: set[int]) -> bool:
    doc = state.doc
    q = state.quotes[qi]
    if q.continues is not None:
        return True
    open_tok = doc.char_span(q.outer_start, q.outer_start + 1, alignment_mode="expand")
    if open_tok is None:
        return False
    i = open_tok.start - 1
    lead: list[Token] = []
    while i >= sent.start and state.token_quote.get(i) is None:
        lead.append(doc[i])
        i -= 1
    lead_words = [t for t in lead if not (t.is_punct or t.is_space)]
    dateline = _DATELINE_LEAD.match(state.text[lead[-1].idx : q.outer_start]) if lead else None
    if dateline and lead[-1].idx + dateline.end() >= q.outer_start:
        lead_words = []  # "MOSCOW (Wire) — ''There will be no talks ...''"
    content_text = state.text[q.start : q.end]
    ends_in_punct = content_text[-1:] in {",", ".", "?", "!", "…", ":", ";", "—"}
    after = state.text[q.outer_end : q.outer_end + 2].lstrip(" ")
    closes_sentence = not q.closed or after[:1] in {"", ".", ",", "?", "!", ")", "\n", "\r"}
    if not lead_words:
        if i >= sent.start:  # another quote precedes in the same sentence: "“a,” “b”" lists
            return ends_in_punct and _words(doc, *(_quote_tokens(doc, q) or (0, 0))) >= 3
        return (
            ends_in_punct or closes_sentence or _words(doc, *(_quote_tokens(doc, q) or (0, 0))) >= 4
        )
    # "X said: “...”" or "said X, “...”": attribution then a comma or colon
    last = lead[0]
    if last.text in {":", ","} and any(t.i in cue_index for t in lead):
        return _words(doc, *(_quote_tokens(doc, q) or (0, 0))) >= 2
    return _colon_lead(state, lead) is not None


def _introduced_speaker(state: _State, sent: Span, q_start: int) -> Speaker | None:
    """A quote paragraph with no attribution after a paragraph whose last sentence has a
    named person as its main subject and no quote ("Ellis was defiant.\n\n“Nobody ...”")."""
    doc = state.doc
    i = q_start - 1
    while i >= sent.start and (doc[i].is_space or doc[i].text in _OPEN_MARKS):
        i -= 1
    if i >= sent.start or sent.start == 0:
        return None  # the quote does not open its paragraph
    para = state.token_para[q_start]
    prev = state.sents[state.sent_index[sent.start] - 1]
    if state.token_para[prev.start] != para - 1 or any(t.i in state.token_quote for t in prev):
        return None
    for t in prev:
        key = state.ents.token_key.get(t.i)
        if _is_subject(t) == 2 and key is not None and state.ents.type_of(key) == "PERSON":
            a, b = _mention_range(state, t.i) or (t.i, t.i + 1)
            return _speaker_from_tokens(state, a, b, key)
        if _is_subject(t) == 2 and t.lower_ in PRONOUN_GENDER:
            key = state.pronoun_key.get(t.i)
            return _speaker_from_tokens(state, t.i, t.i + 1, key) if key else None
    return None


def _colon_lead(state: _State, lead: list[Token]) -> Token | None:
    """ "Jo Lee, Daily Ledger: “...”": a verbless lead of a few words ending in a colon that
    names a person (else an organisation) introduces that source's quote. ``lead`` is the
    sentence before the opening mark, nearest token first."""
    if not lead or lead[0].text != ":":
        return None
    words = [t for t in lead if not (t.is_punct or t.is_space)]
    if not 1 <= len(words) <= 8 or any(t.pos_ in {"VERB", "AUX"} for t in words):
        return None
    ordered = sorted(words, key=lambda t: t.i)
    return _entity_in(state, ordered, prefer_person=True)


def _headline_cue(state: _State, t: Token) -> _Cue | None:
    """ "Prime Minister Says Budget Will Balance": in a Title-Case line the tagger often
    makes the verb a proper noun; a speech-verb form between two capitalised phrases is a cue,
    the words before it the source, the words after it the content."""
    if t.pos_ != "PROPN" or t.lower_ not in SPEECH_FORMS or not t.text[:1].isupper():
        return None
    sent = state.sent_of[t.i]
    words = [w for w in sent if w.is_alpha]
    if len(words) < 4 or t.i == sent.start:
        return None
    caps = sum(1 for w in words if w.text[:1].isupper())
    last = next((w for w in reversed(sent) if not w.is_space), sent[-1])
    if caps < 0.7 * len(words) or last.text == ".":
        return None
    source = state.doc[t.i - 1]
    if source.pos_ not in {"PROPN", "NOUN"}:
        return None
    content = (t.i + 1, last.i + 1 if not last.is_punct else last.i)
    if content[1] - content[0] < 2:
        return None
    cue = _Cue(t, t, source, content)
    cue.headline = True
    return cue


def attribute(doc: Doc, ents: EntityIndex, quotes: list[QuoteSpan]) -> list[QuoteRecord]:
    """Find direct, mixed and indirect quotes in a parsed ``doc``."""
    state = _State(doc, ents, quotes, _token_quote_map(doc, quotes), _paragraph_of_tokens(doc))
    state.roles = _person_roles(doc, ents)
    state.sents = list(doc.sents)
    state.text = doc.text
    state.sent_of = [sent for sent in state.sents for _ in range(sent.start, sent.end)]
    state.sent_index = [si for si, sent in enumerate(state.sents) for _ in sent]
    state.gender = _entity_genders(state)
    state.cands = _person_cands(state)
    state.cand_pos = [c.tok for c in state.cands]
    for t in doc:  # every he/she outside quotes, in order, so later ones can build on them
        if t.lower_ in PRONOUN_GENDER and t.pos_ == "PRON" and t.i not in state.token_quote:
            _resolve_gendered(state, t)

    cues: list[_Cue] = []
    for t in doc:
        if t.i in state.token_quote:
            continue
        if t.lower_ == "according" and t.i + 1 < len(doc) and doc[t.i + 1].lower_ == "to":
            pobj = next((c for c in doc[t.i + 1].children if c.dep_ == "pobj"), None)
            if pobj is None:
                pobj = next((c for c in t.children if c.dep_ == "pobj"), None)
            cues.append(_Cue(t, doc[t.i + 1], pobj, _according_content(t, state.sent_of[t.i])))
        elif (
            t.pos_ in {"VERB", "AUX"}
            and t.dep_ not in {"amod", "aux", "auxpass"}
            and _is_cue_verb(t)
            and not any(c.dep_ in {"agent", "auxpass", "nsubjpass", "neg"} for c in t.children)
            and not (t.dep_ == "xcomp" and lemma_of(t.head) in NEGATING_HEADS)
        ):
            end_tok = t
            particle = PHRASAL_CUES.get(lemma_of(t).lower())
            if particle and t.i + 1 < len(doc) and doc[t.i + 1].lower_ == particle:
                end_tok = doc[t.i + 1]  # "pointed out"
            cue = _Cue(t, end_tok, _find_source(t), None)
            cue.infinitive = (
                lemma_of(t).lower() in INFINITIVE_CUES
                and _infinitive_of(t) is not None
                and not any(c.dep_ in _CLAUSE_COMP for c in t.children)
            )
            cues.append(cue)
        elif (headline := _headline_cue(state, t)) is not None:
            cues.append(headline)
        elif (nominal := _nominal_cue(t)) is not None:
            cue = _Cue(t, t, nominal[0], nominal[1])
            cue.nominal = True
            cues.append(cue)
    cue_index = {c.token.i for c in cues}
    for c in cues:
        if c.token.lower_ != "according" and not c.nominal and not c.headline:
            c.content = _content_range(c.token, state.sent_of[c.token.i], cue_index)

    # nested participle cues ("..., reminding both countries that ...") cut outer contents
    cue_positions = [c.token.i for c in cues]  # ascending: cues were found in token order
    for c in cues:
        if c.content is None:
            continue
        a, b = c.content
        for other in cues[bisect_right(cue_positions, a) : bisect_left(cue_positions, b)]:
            if (
                other is not c
                and other.token.dep_ in {"advcl", "conj"}
                and (
                    other.token.tag_ == "VBG"
                    or other.token.lower_ == "according"
                    # "A would strip coverage, while Republicans say B": its own source
                    or (
                        other.token.dep_ == "advcl"
                        and other.token.i > c.token.i
                        and any(ch.dep_ == "nsubj" for ch in other.token.children)
                        and any(ch.dep_ in _CLAUSE_COMP for ch in other.token.children)
                    )
                )
            ):
                b = min(b, other.token.left_edge.i)
            elif (
                other is not c
                and other.token.dep_ == "conj"
                and other.token.head.i not in cue_index
                and a <= other.token.head.i < other.token.i
                and not any(ch.dep_ in _SUBJ for ch in other.token.children)
                and lemma_of(other.token).lower() in SPEECH_VERBS
                and c.token.lower_ != "according"
                and (other.infinitive or any(ch.dep_ == "ccomp" for ch in other.token.children))
                and not _speaker_like(state, other.token.head)
            ):
                # "said the offer was fair and urged the union to ...": the parser hung the
                # second cue inside the first one's content; it is the same source's
                other.source = c.source
                cut = other.token.left_edge.i
                while cut > a and (doc[cut - 1].dep_ == "cc" or doc[cut - 1].is_punct):
                    cut -= 1
                b = min(b, cut)
            elif other.token.lower_ == "according" and doc[other.token.i - 1].text == ",":
                b = min(b, other.token.i - 1)  # "..., according to KCNA" is the outer cue
            elif (
                other is not c
                and c.infinitive
                and other.token.dep_ == "conj"
                and other.token.head.i in {c.token.i, c.content[0], *range(a, b)}
                and other.token.head.head.i == c.token.i
                and any(ch.dep_ in _CLAUSE_COMP for ch in other.token.children)
            ):
                # "pledged to “hold hands” ... and promised that ...": a second cue of the
                # same source, parsed as a conjunct inside the first one's content
                cut = other.token.left_edge.i
                while cut > a and (doc[cut - 1].dep_ == "cc" or doc[cut - 1].is_punct):
                    cut -= 1
                b = min(b, cut)
        # a trailing ", which critics dispute" / ", although ...": the reporter's words
        for i in range(a + 1, b - 1):
            if (
                doc[i].text in {",", "—", "–"}
                and (
                    doc[i + 1].lower_ in CONTENT_STOP_WORDS
                    or (doc[i + 1].lower_ == "without" and doc[i + 2].tag_ == "VBG")
                )
                and i + 1 not in state.token_quote
                and not (c.token.i > i and c.token.i < b)
                and _clause_runs_to(doc[i + 1], b)
            ):
                b = i
                break
        # "... that “A,” and that B": a second reported clause the parser hung elsewhere
        j = b
        sent_end = state.sent_of[c.token.i].end
        while j < sent_end and (doc[j].is_punct or doc[j].is_space):
            j += 1
        if (
            j + 1 < sent_end
            and doc[j].dep_ == "cc"
            and doc[j + 1].lower_ == "that"
            and doc[j + 1].dep_ == "mark"
        ):
            b = max(b, doc[j + 1].head.right_edge.i + 1)
        c.content = _trim_range(state, a, b) if b > a else None

    records: list[QuoteRecord] = []
    direct_speaker: dict[int, tuple[Speaker | None, _Cue | None, float]] = {}
    used_cues: set[int] = set()

    def speaker_of(c: _Cue) -> Speaker | None:
        if not c.resolved:
            c.resolved = True
            c.speaker = _resolve_source(state, c.source) if c.source is not None else None
            if c.speaker is not None and c.speaker.key is not None:
                etype = ents.type_of(c.speaker.key)
                state.speakers.append(
                    (c.token.i, state.token_para[c.token.i], c.speaker.key, etype)
                )
        return c.speaker

    quote_toks = {qi: r for qi, q in enumerate(quotes) if (r := _quote_tokens(doc, q)) is not None}
    colon_cue: tuple[int, _Cue] | None = None  # (paragraph, cue) of a "... X wrote:" line
    qpara = {qi: state.token_para[r[0]] for qi, r in quote_toks.items()}
    for sent in state.sents:
        s_cues = cues[bisect_left(cue_positions, sent.start) : bisect_left(cue_positions, sent.end)]
        s_quotes = sorted(
            {
                qi
                for i in range(sent.start, sent.end)
                if (qi := state.token_quote.get(i)) is not None
            }
        )
        direct = {
            qi for qi in s_quotes if qi in quote_toks and _is_direct(state, qi, sent, cue_index)
        }
        # a quote that only starts in this sentence (parser split inside it) is handled once
        direct -= set(direct_speaker)
        for c in s_cues:
            if c.token.lower_ != "according" and c.source is None:
                continue
            covered = [
                qi for qi in direct
                if c.content and qi in quote_toks
                and c.content[0] <= quote_toks[qi][1] and quote_toks[qi][0] <= c.content[1]
            ]  # fmt: skip
            if covered:
                for qi in covered:
                    if qi not in direct_speaker:
                        direct_speaker[qi] = (speaker_of(c), c, 0.95)
                        used_cues.add(c.token.i)
        # direct quotes with no cue covering them: nearest cue in the sentence
        for qi in sorted(direct):
            if qi in direct_speaker:
                continue
            q_tok = quote_toks[qi]
            candidates = [
                c for c in s_cues if c.source is not None and c.token.lower_ != "according"
            ]
            if candidates:
                c = min(candidates, key=lambda c: (abs(c.token.i - q_tok[0]), c.token.i < q_tok[0]))
                direct_speaker[qi] = (speaker_of(c), c, 0.9)
                used_cues.add(c.token.i)
                continue
            lead = []
            i = q_tok[0] - 1
            while i >= sent.start and (doc[i].text in _OPEN_MARKS or doc[i].is_space):
                i -= 1
            while i >= sent.start and i not in state.token_quote:
                lead.append(doc[i])
                i -= 1
            name = _colon_lead(state, lead)
            if name is not None:  # "Jo Lee, Daily Ledger: “...”"
                a, b = _mention_range(state, name.i) or (name.i, name.i + 1)
                key = state.ents.token_key.get(name.i)
                direct_speaker[qi] = (_speaker_from_tokens(state, a, b, key), None, 0.85)
                continue
            pending = colon_cue
            if (
                pending is not None
                and state.token_para[q_tok[0]] == pending[0] + 1
                and q_tok[0] - 1 <= sent.start + 1
            ):  # "... X wrote:" ending the previous paragraph
                direct_speaker[qi] = (speaker_of(pending[1]), pending[1], 0.85)
                used_cues.add(pending[1].token.i)
        # mixed and indirect quotes from the remaining cues
        for c in s_cues:
            if c.token.i in used_cues or c.content is None:
                continue
            a, b = c.content
            if b - a < 2:
                continue
            if c.token.lower_ != "according" and c.source is None:
                continue
            in_content = [
                qi
                for qi in s_quotes
                if qi in quote_toks and a <= quote_toks[qi][1] and quote_toks[qi][0] < b
            ]
            frag_words = sum(_words(doc, *quote_toks[qi]) for qi in in_content)
            free_words = sum(
                1
                for t in doc[a:b]
                if state.token_quote.get(t.i) is None and not (t.is_punct or t.is_space)
            )
            if in_content and free_words == 0:
                for qi in in_content:
                    if qi not in direct_speaker:
                        direct_speaker[qi] = (speaker_of(c), c, 0.9)
                continue
            has_verb = c.headline or any(t.pos_ in {"VERB", "AUX"} for t in doc[a:b])
            if in_content and frag_words >= MIN_MIXED_FRAGMENT_WORDS:
                kind, conf = "mixed", 0.8
            elif (
                has_verb
                and _words(doc, a, b) >= 3
                and (c.infinitive or lemma_of(c.token) not in DIRECT_ONLY_VERBS)
            ):
                kind, conf = "indirect", 0.7 if not c.nominal else 0.6
            else:
                continue
            if lemma_of(c.token) in CLAUSE_ONLY_VERBS and not has_verb:
                continue
            sp = speaker_of(c)
            if sp is None or sp.key is None:
                conf -= 0.1
            s, e = _char_range(state, a, b)
            if e <= s:
                continue
            cue_s, cue_e = c.token.idx, c.end_token.idx + len(c.end_token.text)
            records.append(QuoteRecord(kind, s, e, sp, cue_s, cue_e, conf))

        last_tok = next((t for t in reversed(sent) if not t.is_space), None)
        if last_tok is not None and last_tok.text == ":":
            pend = [c for c in s_cues if c.source is not None and c.token.i not in used_cues]
            colon_cue = (state.token_para[last_tok.i], pend[-1]) if pend else None
        elif colon_cue is not None and state.token_para[sent.start] > colon_cue[0] + 1:
            colon_cue = None

        # direct quotes still without a speaker: inherit from the previous direct quote
        for qi in sorted(direct):
            if qi in direct_speaker:
                continue
            q = quotes[qi]
            prev: tuple[Speaker | None, _Cue | None, float] | None = None
            if q.continues is not None and q.continues in direct_speaker:
                prev = direct_speaker[q.continues]
            else:  # paragraphs counted by text, not lines: blank lines do not separate more
                for pj in range(qi - 1, -1, -1):
                    gap = qpara[qi] - qpara.get(pj, qpara[qi] - 2)
                    if pj in direct_speaker and gap <= 1:
                        prev = direct_speaker[pj]
                        break
                    if gap > 1:
                        break
            if prev is not None and prev[0] is not None:
                direct_speaker[qi] = (prev[0], None, 0.7)
            elif (intro := _introduced_speaker(state, sent, quote_toks[qi][0])) is not None:
                direct_speaker[qi] = (intro, None, 0.6)
            else:
                direct_speaker[qi] = (None, None, 0.4)

    # a continued quote whose later paragraph carries the attribution gives it to earlier ones
    for qi in sorted(direct_speaker, reverse=True):
        q = quotes[qi]
        earlier = direct_speaker.get(q.continues) if q.continues is not None else None
        # the quote it continues may never have become a direct quote (a fragment inside
        # reported speech left open at the paragraph's end): then there is nothing to give
        if (
            q.continues is not None
            and earlier is not None
            and earlier[0] is None
            and direct_speaker[qi][0]
        ):
            sp, _c, _conf = direct_speaker[qi]
            direct_speaker[q.continues] = (sp, None, 0.7)

    for qi, (sp, dcue, conf) in direct_speaker.items():
        q = quotes[qi]
        toks = quote_toks.get(qi)
        if (
            dcue is None
            and sp is None
            and (toks is None or _words(doc, *toks) < MIN_UNATTRIBUTED_QUOTE_WORDS)
        ):
            continue
        end = q.end
        if state.text[end - 1 : end] == "," and end - 1 > q.start:
            end -= 1
        dcue_s = dcue.token.idx if dcue else None
        dcue_e = (dcue.end_token.idx + len(dcue.end_token.text)) if dcue else None
        if sp is not None and sp.key is None:
            conf -= 0.1
        records.append(QuoteRecord("direct", q.start, end, sp, dcue_s, dcue_e, conf))
    records.sort(key=lambda r: (r.start, r.end))
    return records
