"""Entities: NER spans cleaned, clustered within an article, and keyed across articles."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span

from nlp.lexicon import (
    ACRONYM_STOPWORDS,
    HONORIFICS,
    KEPT_LABELS,
    KEY_TYPE,
    KNOWN_ALIASES,
)
from nlp.types import Entity, Mention

_EDGE_JUNK = " \t\r\n\u00a0\u200b[](){}<>\"'“”‘’«»,;:.!?—–-*_/"
_POSSESSIVE = re.compile(r"(?:['’]s|s['’]|['’])$")
_LEADING_THE = re.compile(r"^(?:the|The|THE)\s+")
_INITIAL = re.compile(r"^[a-z]$")


def _fold(text: str) -> str:
    """Lowercase, strip accents, unify apostrophes/hyphens."""
    decomposed = unicodedata.normalize("NFKD", text)
    no_marks = "".join(c for c in decomposed if not unicodedata.combining(c))
    return no_marks.casefold()


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


def _is_acronym(text: str) -> bool:
    letters = text.replace(".", "")
    return 2 <= len(letters) <= 7 and letters.isalpha() and letters.isupper()


def _initials(tokens: tuple[str, ...]) -> str:
    return "".join(t[0] for t in tokens if t not in ACRONYM_STOPWORDS)


def build_entities(doc: Doc) -> EntityIndex:
    """Cluster NER mentions of ``doc`` into canonical entities."""
    raw: list[EntityMention] = []
    doc_text = doc.text
    for ent in doc.ents:
        if ent.label_ not in KEPT_LABELS:
            continue
        cleaned = _clean_span(doc, doc_text, ent)
        if cleaned is not None and name_tokens(cleaned.text, cleaned.label):
            raw.append(cleaned)

    # 1. people with two or more name words form clusters by their normalised words
    persons: dict[tuple[str, ...], _Cluster] = {}
    for m in raw:
        toks = name_tokens(m.text, m.label)
        if m.label == "PERSON" and len(toks) >= 2:
            c = persons.setdefault(toks, _Cluster(tokens=toks, first=m.start))
            c.label_votes[m.label] += 1

    def person_for(toks: tuple[str, ...]) -> tuple[str, ...] | None:
        """Full-name cluster a partial name ("Kim", "Mr. Putin") refers to."""
        best: tuple[int, int, tuple[str, ...]] | None = None
        for full, c in persons.items():
            if len(toks) >= len(full):
                continue
            n = len(toks)
            ok = full[:n] == toks or full[-n:] == toks
            if ok:
                score = (sum(c.label_votes.values()), -c.first, full)
                if best is None or score > best:
                    best = score
        return best[2] if best else None

    assignment: list[tuple[EntityMention, str]] = []  # mention, cluster id
    for m in raw:
        toks = name_tokens(m.text, "PERSON" if m.label == "PERSON" else m.label)
        cid: str | None = None
        if m.label == "PERSON":
            if toks in persons:
                cid = "P|" + " ".join(toks)
            else:
                full = person_for(toks)
                cid = "P|" + " ".join(full if full else toks)
                if not full:
                    persons.setdefault(toks, _Cluster(tokens=toks, first=m.start))
        elif m.label in {"ORG", "NORP", "GPE"} and len(toks) == 1 and not _is_acronym(m.text):
            full = person_for(name_tokens(m.text, "PERSON"))
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


__all__ = ["EntityIndex", "build_entities", "entity_key", "name_tokens"]
