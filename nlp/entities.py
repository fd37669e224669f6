"""Entities: NER spans cleaned, clustered within an article, and keyed across articles."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path

from spacy.tokens import Doc, Span, Token

from nlp.lemmas import lemma_of
from nlp.lexicon import (
    ACRONYM_STOPWORDS,
    GENDERED_WORDS,
    HONORIFICS,
    KEPT_LABELS,
    KEY_TYPE,
    KNOWN_ALIASES,
    NAME_PARTICLES,
    ORG_NAME_WORDS,
    ORG_ROLE_NOUNS,
    PERSON_ROLE_NOUNS,
    SPEECH_VERBS,
)
from nlp.types import Entity, Mention

_EDGE_JUNK = " \t\r\n\u00a0\u200b[](){}<>\"'“”‘’«»,;:.!?—–-*_/"
_POSSESSIVE = re.compile(r"(?:['’]s|s['’]|['’])$")
_LEADING_THE = re.compile(r"^(?:the|The|THE)\s+")
_INITIAL = re.compile(r"^[a-z]$")


@lru_cache(maxsize=65_536)
def _fold(text: str) -> str:
    """Lowercase, strip accents, unify apostrophes/hyphens."""
    decomposed = unicodedata.normalize("NFKD", text)
    no_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return no_marks.casefold()


@lru_cache(maxsize=65_536)  # pure and called for every mention and candidate token
def name_tokens(name: str, type: str) -> tuple[str, ...]:
    """Normalised words of a name: folded, hyphens split, punctuation and honorifics dropped."""
    folded = _fold(name)
    folded = _POSSESSIVE.sub("", folded.strip())
    # "U.S." -> "us", "Jong-un" -> "jong un", "O'Brien" -> "obrien"
    folded = re.sub(r"(?<=\w)\.(?=\w)", "", folded)
    folded = re.sub(r"['’`]", "", folded)
    words = [w for w in re.split(r"[^\w]+", folded) if w]
    if type == "PERSON":
        while len(words) > 1 and words[0] in HONORIFICS:
            words.pop(0)
        if len(words) > 2:
            words = [
                w for i, w in enumerate(words) if not (0 < i < len(words) - 1 and _INITIAL.match(w))
            ]
    elif words and words[0] == "the":
        words = words[1:]
    return tuple(words)


def entity_key(name: str, type: str) -> str:
    """Canonical cross-article key of an entity, e.g. ``person:kim jong un``.

    Accents, case, hyphens ("Kim Jong-un" = "Kim Jong Un"), middle initials
    ("Vladimir V. Putin" = "Vladimir Putin"), honorifics and a leading "the" are ignored;
    well-known short forms map to their long form ("U.S." = "United States").
    Different given names stay different ("Kim Jong Il" != "Kim Jong Un").
    """
    words = " ".join(name_tokens(name, type))
    words = KNOWN_ALIASES.get(words, words)
    return f"{KEY_TYPE.get(type, type.lower())}:{words}"


_FIRST_NAMES = Path(__file__).parent / "data" / "first_names.tsv"


@cache
def _first_name_genders() -> dict[str, str]:
    """First name -> "m"/"f" (nlp/data/first_names.tsv, derived from nomquamgender, MIT)."""
    out: dict[str, str] = {}
    for line in _FIRST_NAMES.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, _, gender = line.partition("\t")
            out[name] = gender
    return out


def _raw_words(name: str) -> list[str]:
    folded = re.sub(r"(?<=\w)\.(?=\w)", "", _fold(name))
    return [w for w in re.split(r"[^\w]+", re.sub(r"['’`]", "", folded)) if w]


def name_gender(name: str) -> str | None:
    """ "m", "f" or None for a person's name: an honorific ("Mr.", "Ms.") first, else the first
    given name of a name with two or more words, looked up in a first-name list where only
    names used overwhelmingly (≥ 95 %) for one gender are kept ("Kim", "Jean": None)."""
    words = _raw_words(name)
    if not words:
        return None
    if words[0] in GENDERED_WORDS:
        return GENDERED_WORDS[words[0]]
    while words and words[0] in HONORIFICS:
        words.pop(0)
    if len(words) < 2:
        return None
    return _first_name_genders().get(words[0])


def _same_name_words(short: tuple[str, ...], long_: tuple[str, ...]) -> bool:
    """Is ``short`` a partial form of ``long_`` (both normalised, ``len(short) < len(long_)``)?

    The surname ("Ortega Marín", "de Vries", "Marín"), the given name plus first surname ("Luis
    Ortega"), the family name of an East Asian name ("Kim"), or a middle surname of a name of
    three or more words ("Ortega"). A partial form never starts with a lone particle's
    neighbour only: "Vries" alone is not "de Vries"' short form unless it is the last word.
    """
    n = len(short)
    if n == 0 or n >= len(long_):
        return False
    for i in range(len(long_) - n + 1):
        if long_[i : i + n] != short:
            continue
        if i + n == len(long_) or i == 0:  # a suffix or a prefix
            return True
        if n == 1 and short[0] not in NAME_PARTICLES and len(long_) >= 3:
            return True  # "Ortega" of "Luis Ortega Marín"
        if n >= 2 and i >= 1:  # "Ortega Marín Díaz" inner run
            return True
    return False


def _initial_match(a: tuple[str, ...], b: tuple[str, ...]) -> bool:
    """Same length, every word equal or a one-letter initial of the other ("J. Smith")."""
    return len(a) == len(b) and all(
        x == y or (len(x) == 1 and y.startswith(x)) or (len(y) == 1 and x.startswith(y))
        for x, y in zip(a, b, strict=True)
    )


def same_person(a: str, b: str) -> bool:
    """Could the person names ``a`` and ``b`` denote the same person? Pure, for cross-article
    linking: accents, case, hyphens, honorifics and middle initials are ignored; one name may
    be a partial form of the other (a surname, a double surname or one part of it, a
    surname with its particle, given name + first surname, an initial for a given name).
    Two full names with different given names are different people ("Kim Tok Hun" is not
    "Kim Jong Un", "Kim Jong Il" is not "Kim Jong Un")."""
    x, y = name_tokens(a, "PERSON"), name_tokens(b, "PERSON")
    if not x or not y:
        return False
    if x == y or _initial_match(x, y):
        return True
    short, long_ = (x, y) if len(x) < len(y) else (y, x)
    if _same_name_words(short, long_):
        return True
    # "Pieter de Vries" / "P. de Vries", "Luis Ortega" / "L. Ortega Marín"
    return len(short) >= 2 and _initial_match(short, long_[: len(short)]) and len(short[0]) == 1


def name_search_keys(name: str) -> tuple[str, ...]:
    """Search keys of a person's name, accent-folded and lowercase, for prefix search: the
    whole name, every word that is not a particle, and every surname run from each word after
    the first to the end, with and without its particle ("Pieter de Vries" -> "pieter de
    vries", "pieter", "vries", "de vries"; "Luis Ortega Marín" -> ..., "ortega marin",
    "marin"). Honorifics are dropped; hyphenated parts are keys on their own and joined."""
    words = list(name_tokens(name, "PERSON"))
    if not words:
        return ()
    keys: list[str] = [" ".join(words)]
    keys.extend(w for w in words if w not in NAME_PARTICLES)
    for i in range(1, len(words)):
        run = words[i:]
        keys.append(" ".join(run))
        while run and run[0] in NAME_PARTICLES:
            run = run[1:]
            if run:
                keys.append(" ".join(run))
    folded = _fold(name)
    for part in re.findall(r"\w+(?:-\w+)+", folded):  # "ferraro-bianchi"
        keys.append(part)
    return tuple(dict.fromkeys(k for k in keys if k))


@dataclass
class _Cluster:
    label_votes: Counter[str] = field(default_factory=Counter)
    surfaces: list[str] = field(default_factory=list)
    tokens: tuple[str, ...] = ()
    first: int = 0

    @property
    def label(self) -> str:
        return self.label_votes.most_common(1)[0][0]


@dataclass(frozen=True)
class EntityMention:
    """A cleaned entity span in token and character coordinates."""

    start: int  # char
    end: int  # char
    tok_start: int
    tok_end: int
    label: str
    text: str


@dataclass
class EntityIndex:
    """Entities of one document and lookups the attribution rules need."""

    entities: dict[str, Entity]
    mentions: list[Mention]
    token_key: dict[int, str]  # token index -> entity key
    mention_tokens: list[tuple[int, int, str]]  # (tok_start, tok_end, key) in document order

    def entity_of_token(self, i: int) -> str | None:
        return self.token_key.get(i)

    def type_of(self, key: str) -> str:
        return self.entities[key].type

    def lookup(self, surface: str) -> str | None:
        """Key of the entity named (or abbreviated) by ``surface``, if any."""
        words = name_tokens(surface, "ORG")
        if not words:
            return None
        acronym = _is_acronym(surface.strip())
        for key, entity in self.entities.items():
            for form in (entity.name, *entity.aliases):
                toks = name_tokens(form, entity.type)
                if toks == words or (entity.type == "PERSON" and words == name_tokens(form, "ORG")):
                    return key
            if (
                acronym
                and len(words) == 1
                and _initials(name_tokens(entity.name, entity.type)) == words[0]
            ):
                return key
        return None


def _clean_span(doc: Doc, doc_text: str, ent: Span) -> EntityMention | None:
    text = ent.text
    start = ent.start_char
    left = len(text) - len(text.lstrip(_EDGE_JUNK))
    m = _LEADING_THE.match(text[left:])
    if m and ent.label_ != "WORK_OF_ART":
        left += m.end()
    core = text[left:]
    core_stripped = core.rstrip(_EDGE_JUNK.replace(".", ""))  # keep "U.S." final period
    poss = _POSSESSIVE.search(core_stripped)
    if poss and len(core_stripped) > poss.end() - poss.start() + 1:
        core_stripped = core_stripped[: poss.start()]
    core_stripped = core_stripped.rstrip(_EDGE_JUNK.replace(".", ""))
    if core_stripped.endswith(".") and not re.search(r"(?:^|[\s.])\w\.$", core_stripped):
        core_stripped = core_stripped.rstrip(".")
    if not core_stripped or not any(c.isalpha() for c in core_stripped):
        return None
    s = start + left
    e = s + len(core_stripped)
    span = doc.char_span(s, e, alignment_mode="expand")
    if span is None:
        return None
    return EntityMention(s, e, span.start, span.end, ent.label_, doc_text[s:e])


def _name_run_ok(tokens: list[Token]) -> bool:
    return all(
        (t.pos_ == "PROPN" and t.text[:1].isupper() and t.text.replace("-", "").isalpha())
        or (t.lower_ in NAME_PARTICLES and 0 < k < len(tokens) - 1)
        for k, t in enumerate(tokens)
    )


def _with_missed_names(doc: Doc, raw: list[EntityMention]) -> list[EntityMention]:
    """Add the person names the small model's NER missed: a run of two to four capitalised
    proper nouns starting with a given name from the first-name list ("Ana Ruiz"), and a lone
    proper noun that is the last word of a person found that way or by the NER ("Ruiz")."""
    doc_text = doc.text  # once: Doc.text joins every token
    covered: set[int] = set()
    for ent in doc.ents:  # a one-word ORG/GPE may be the surname of a missed name
        if ent.label_ == "PERSON" or len(ent) > 1 or ent.label_ not in {"ORG", "GPE", "NORP"}:
            covered.update(range(ent.start, ent.end))
    names = _first_name_genders()
    added: list[EntityMention] = []
    i, n = 0, len(doc)
    while i < n:
        t = doc[i]
        if i in covered or t.pos_ != "PROPN" or _fold(t.text) not in names:
            i += 1
            continue
        j = i + 1
        while j < n and j - i < 4 and j not in covered:
            nxt = doc[j]
            particle = nxt.lower_ in NAME_PARTICLES and j + 1 < n and doc[j + 1].pos_ == "PROPN"
            if not (particle or _name_run_ok([nxt])):
                break
            j += 1
        run = list(doc[i:j])
        if j - i >= 2 and _name_run_ok(run) and not _looks_org(run):
            s, e = doc[i].idx, doc[j - 1].idx + len(doc[j - 1].text)
            added.append(EntityMention(s, e, i, j, "PERSON", doc_text[s:e]))
            covered.update(range(i, j))
        i = max(j, i + 1)
    # a given name the NER left out: "Carmen [Ruiz Delgado]"
    for k, m in enumerate(raw):
        p = m.tok_start - 1
        if (
            m.label == "PERSON"
            and p >= 0
            and p not in covered
            and doc[p].pos_ == "PROPN"
            and doc[p].text[:1].isupper()
            and _fold(doc[p].text) in names
        ):
            raw[k] = EntityMention(
                doc[p].idx, m.end, p, m.tok_end, m.label, doc_text[doc[p].idx : m.end]
            )
            covered.add(p)
    known = [
        toks
        for m in [*raw, *added]
        if m.label == "PERSON" and len(toks := name_tokens(m.text, "PERSON")) >= 2
    ]
    # indexed by word: a partial form shares its first word with the name (linear, not
    # quadratic, in a text of thousands of names)
    known_by_word: defaultdict[str, list[tuple[str, ...]]] = defaultdict(list)
    for full in dict.fromkeys(known):
        for w in set(full):
            known_by_word[w].append(full)
    # a partial form of a known name the NER missed: "Ruiz Delgado", "Ruiz", "Van Houten"
    i = 0
    while i < n:
        if i in covered or doc[i].pos_ != "PROPN" or not doc[i].text[:1].isupper():
            i += 1
            continue
        j = i
        while j < n and j - i < 3 and j not in covered and (
            (doc[j].pos_ == "PROPN" and doc[j].text[:1].isupper())
            or (doc[j].lower_ in NAME_PARTICLES and j + 1 < n and doc[j + 1].pos_ == "PROPN")
        ):  # fmt: skip
            j += 1
        words = tuple(w for t in doc[i:j] for w in name_tokens(t.text, "PERSON"))
        if words and any(
            words == full or _same_name_words(words, full) for full in known_by_word[words[0]]
        ):
            s, e = doc[i].idx, doc[j - 1].idx + len(doc[j - 1].text)
            added.append(EntityMention(s, e, i, j, "PERSON", doc_text[s:e]))
            covered.update(range(i, j))
        i = max(j, i + 1)
    if not added:
        return raw
    taken = {i for m in added for i in range(m.tok_start, m.tok_end)}
    kept = [m for m in raw if not any(i in taken for i in range(m.tok_start, m.tok_end))]
    return sorted([*kept, *added], key=lambda m: m.start)


def _with_missed_orgs(doc: Doc, raw: list[EntityMention]) -> list[EntityMention]:
    """Add the organisation names the small model's NER missed where the grammar says a name
    speaks: a run of two to five capitalised proper nouns that is the subject of a speech verb
    ("CityLink Buses said") or names a speaking organisation noun in apposition ("the drivers'
    union, Unite Transit,"). A run holding a role word or honorific ("Prime Minister") or
    starting with a given name (a person, found by ``_with_missed_names``) is left alone."""
    doc_text = doc.text  # once: Doc.text joins every token
    covered = {i for m in raw for i in range(m.tok_start, m.tok_end)}
    names = _first_name_genders()
    added: list[EntityMention] = []
    for head in doc:
        if head.i in covered or head.pos_ != "PROPN" or not head.text[:1].isupper():
            continue
        if head.dep_ in {"nsubj", "nsubjpass"}:
            speaks = head.head.pos_ == "VERB" and lemma_of(head.head).lower() in SPEECH_VERBS
        elif head.dep_ in {"appos", "conj"}:  # a comma-led conj is an apposition misparsed
            speaks = (
                head.head.pos_ == "NOUN"
                and lemma_of(head.head).lower() in ORG_ROLE_NOUNS
                and doc[head.left_edge.i - 1].text == ","
                and not any(t.dep_ == "cc" for t in doc[head.head.i + 1 : head.left_edge.i])
            )
        else:
            continue
        if not speaks:
            continue
        start = head.i
        while (
            start - 1 >= 0
            and doc[start - 1].dep_ == "compound"
            and doc[start - 1].head.i in range(start, head.i + 1)
            and doc[start - 1].pos_ == "PROPN"
            and doc[start - 1].text[:1].isupper()
        ):
            start -= 1
        run = list(doc[start : head.i + 1])
        words = [_fold(t.text) for t in run]
        if not 2 <= len(run) <= 5 or any(i in covered for i in range(start, head.i + 1)):
            continue
        if not all(t.text.replace("-", "").replace("&", "").isalnum() for t in run):
            continue
        if any(w in HONORIFICS or w in PERSON_ROLE_NOUNS for w in words) or words[0] in names:
            continue
        s, e = run[0].idx, run[-1].idx + len(run[-1].text)
        added.append(EntityMention(s, e, start, head.i + 1, "ORG", doc_text[s:e]))
        covered.update(range(start, head.i + 1))
    if not added:
        return raw
    return sorted([*raw, *added], key=lambda m: m.start)


def _looks_org(tokens: list[Token]) -> bool:
    return any(_fold(t.text) in ORG_NAME_WORDS for t in tokens)


def _looks_like_person(text: str) -> bool:
    """An ORG/GPE span the small model mislabelled that is a person's name: two to four
    capitalised words, the first a given name in the first-name list, no organisation word
    ("Pieter de Vries", "Giulia Ferraro-Bianchi"; not "Kestrel Foods", "Victoria Park")."""
    surface = text.split()
    words = _raw_words(text)
    while len(words) > 2 and words[0] in HONORIFICS and len(surface) > 2:  # "Governor Ann Lee"
        words, surface = words[1:], surface[1:]
    if not 2 <= len(surface) <= 4 or not words or any(w in ORG_NAME_WORDS for w in words):
        return False
    if not all(w[:1].isupper() or _fold(w) in NAME_PARTICLES for w in surface):
        return False
    return words[0] in _first_name_genders()


def _is_acronym(text: str) -> bool:
    letters = text.replace(".", "")
    return 2 <= len(letters) <= 7 and letters.isalpha() and letters.isupper()


def _initials(tokens: tuple[str, ...]) -> str:
    return "".join(t[0] for t in tokens if t not in ACRONYM_STOPWORDS)


# Labels the small model gives to person names it misreads ("Ana Ruiz Torres" as a work of
# art, "Pieter de Vries" as an organisation); ``_looks_like_person`` decides.
_MISLABEL_CANDIDATES = frozenset({"ORG", "GPE", "NORP", "WORK_OF_ART", "PRODUCT", "FAC", "LOC"})


def _names_an_organisation(doc: Doc, m: EntityMention) -> bool:
    """A "person" the small model found that is the name of the organisation noun after it:
    "the *Nikko Shimbun* newspaper", "the *Ortega* group" (a compound of an organisation
    noun such as newspaper, company or party; "the Ana Ruiz case" is still a person)."""
    if m.tok_end >= len(doc) or m.tok_end - m.tok_start < 1:
        return False
    last, nxt = doc[m.tok_end - 1], doc[m.tok_end]
    return (
        nxt.pos_ == "NOUN"
        and lemma_of(nxt).lower() in ORG_ROLE_NOUNS
        and last.dep_ == "compound"
        and last.head.i == nxt.i
    )


def build_entities(doc: Doc) -> EntityIndex:
    """Cluster NER mentions of ``doc`` into canonical entities."""
    raw: list[EntityMention] = []
    doc_text = doc.text
    for ent in doc.ents:
        if ent.label_ not in KEPT_LABELS:
            continue
        cleaned = _clean_span(doc, doc_text, ent)
        if cleaned is not None and name_tokens(cleaned.text, cleaned.label):
            if cleaned.label == "PERSON" and _names_an_organisation(doc, cleaned):
                cleaned = EntityMention(
                    cleaned.start, cleaned.end, cleaned.tok_start, cleaned.tok_end, "ORG",
                    cleaned.text,
                )  # fmt: skip
            elif (
                cleaned.label in _MISLABEL_CANDIDATES
                and _looks_like_person(cleaned.text)
                and not _names_an_organisation(doc, cleaned)
            ):
                cleaned = EntityMention(
                    cleaned.start, cleaned.end, cleaned.tok_start, cleaned.tok_end, "PERSON",
                    cleaned.text,
                )  # fmt: skip
            raw.append(cleaned)

    raw = _with_missed_orgs(doc, _with_missed_names(doc, raw))

    # 1. people with two or more name words form clusters by their normalised words
    persons: dict[tuple[str, ...], _Cluster] = {}
    for m in raw:
        toks = name_tokens(m.text, m.label)
        if m.label == "PERSON" and len(toks) >= 2:
            c = persons.setdefault(toks, _Cluster(tokens=toks, first=m.start))
            c.label_votes[m.label] += 1

    # every partial form of every full name → the full names it is a partial form of (a
    # partial form is a run of the name's words, :func:`_same_name_words`): a partial name is
    # looked up, not compared with every name sharing its first word (with thousands of
    # names sharing a given name that was quadratic)
    partial_of: defaultdict[tuple[str, ...], set[tuple[str, ...]]] = defaultdict(set)

    def index_partials(full: tuple[str, ...]) -> None:
        for n in range(1, len(full)):
            for i in range(len(full) - n + 1):
                short = full[i : i + n]
                if _same_name_words(short, full):
                    partial_of[short].add(full)

    for pname in persons:
        index_partials(pname)

    def person_for(toks: tuple[str, ...]) -> tuple[str, ...] | None:
        """Full-name cluster a partial name ("Kim", "Mr. Putin") refers to: of the full names
        it is a partial form of, the one with most votes (then the earliest)."""
        best: tuple[int, int, tuple[str, ...]] | None = None
        for full in partial_of.get(toks, ()):
            c = persons.get(full)
            if c is None:
                continue
            score = (sum(c.label_votes.values()), -c.first, full)
            if best is None or score > best:
                best = score
        return best[2] if best else None

    # a two-word partial name ("Ortega Marín", "de Vries") joins the longer name it is part
    # of, so it does not start a cluster of its own
    for toks in sorted(persons, key=len):
        full = person_for(toks)
        if full is not None and full != toks:
            absorbed = persons.pop(toks)
            persons[full].label_votes.update(absorbed.label_votes)

    # From here on no name gains votes, so each partial name is resolved once (until a new
    # name of two or more words appears: then the answers are computed afresh).
    resolved: dict[tuple[str, ...], tuple[str, ...] | None] = {}

    def resolve(toks: tuple[str, ...]) -> tuple[str, ...] | None:
        if toks not in resolved:
            resolved[toks] = person_for(toks)
        return resolved[toks]

    assignment: list[tuple[EntityMention, str]] = []  # mention, cluster id
    for m in raw:
        toks = name_tokens(m.text, "PERSON" if m.label == "PERSON" else m.label)
        cid: str | None = None
        if m.label == "PERSON":
            if toks in persons:
                cid = "P|" + " ".join(toks)
            else:
                full = resolve(toks)
                cid = "P|" + " ".join(full if full else toks)
                if not full and toks not in persons:
                    persons[toks] = _Cluster(tokens=toks, first=m.start)
                    if len(toks) >= 2:  # a name absorbed into one absorbed in turn
                        index_partials(toks)
                        resolved.clear()
        elif m.label in {"ORG", "NORP", "GPE"} and len(toks) <= 3 and not _is_acronym(m.text):
            full = resolve(name_tokens(m.text, "PERSON"))
            if full is not None:  # a surname the small model mislabelled ("Pak" as ORG)
                cid = "P|" + " ".join(full)
                m = EntityMention(m.start, m.end, m.tok_start, m.tok_end, "PERSON", m.text)
        if cid is None:
            words = " ".join(toks)
            words = KNOWN_ALIASES.get(words, words)
            cid = f"{KEY_TYPE.get(m.label, m.label.lower())}|{words}"
        assignment.append((m, cid))

    clusters: dict[str, _Cluster] = {}
    for m, cid in assignment:
        c = clusters.setdefault(cid, _Cluster(first=m.start))
        c.label_votes[m.label] += 1
        c.surfaces.append(m.text)
        c.tokens = max(c.tokens, name_tokens(m.text, m.label), key=len)

    # 2. acronyms join the long form they abbreviate ("KCNA" -> "Korean Central News Agency")
    merged: dict[str, str] = {}
    by_initials: dict[str, str] = {}
    for cid, c in clusters.items():
        if len(c.tokens) >= 2 and not cid.startswith("P|"):
            by_initials.setdefault(_initials(c.tokens), cid)
    for cid, c in clusters.items():
        if cid.startswith("P|") or len(c.tokens) != 1:
            continue
        if any(_is_acronym(s) for s in c.surfaces):
            target = by_initials.get(c.tokens[0])
            if target and target != cid:
                merged[cid] = target
    for src, dst in merged.items():
        clusters[dst].surfaces.extend(clusters[src].surfaces)
        clusters[dst].label_votes.update(clusters[src].label_votes)
        del clusters[src]

    entities: dict[str, Entity] = {}
    cid_key: dict[str, str] = {}
    for cid, c in clusters.items():
        label = "PERSON" if cid.startswith("P|") else c.label
        name = max(c.surfaces, key=lambda s: (len(name_tokens(s, label)), len(s.split()), len(s)))
        key = entity_key(name, label)
        aliases = tuple(sorted({s for s in c.surfaces if s != name}))
        if key in entities:  # two clusters with the same key: merge aliases
            old = entities[key]
            aliases = tuple(sorted(set(old.aliases) | set(aliases) | {name} - {old.name}))
            name = old.name
        entities[key] = Entity(key=key, name=name, type=label, aliases=aliases)
        cid_key[cid] = key

    mentions: list[Mention] = []
    token_key: dict[int, str] = {}
    mention_tokens: list[tuple[int, int, str]] = []
    for m, cid in assignment:
        key = cid_key[merged.get(cid, cid)]
        mentions.append(Mention(m.start, m.end, m.text, m.label, key))
        mention_tokens.append((m.tok_start, m.tok_end, key))
        for i in range(m.tok_start, m.tok_end):
            token_key[i] = key
    return EntityIndex(entities, mentions, token_key, mention_tokens)


__all__ = [
    "EntityIndex",
    "build_entities",
    "entity_key",
    "name_gender",
    "name_search_keys",
    "name_tokens",
    "same_person",
]
