"""The IPTC Media Topics vocabulary as topic definitions, plus the project's custom topics.

``nlp/data/iptc_mediatopic.json`` is a compact copy of IPTC's JSON-LD export (release
2019-04-06; © IPTC, CC BY 4.0, see ``nlp/data/NOTICE``): one row per non-retired concept with
its ``medtop:`` code, English label, definition, parent code and *slug*. :func:`load_iptc` reads
that file, or IPTC's original JSON-LD export (a newer release) when given a path.

Slugs are readable and stable. A slug is made from the English label (:func:`slugify`: ASCII,
lower case, "and"/"of"/"the"… dropped, "soccer"-style single words kept); when two concepts
would share one, the one with the lower code keeps it and the other gets its parent's slug
appended ("online-media-mass-media"). Slugs are *pinned*: the slug shipped for a code is
reused whenever that code is loaded again, even if IPTC relabels the concept, so a newer
release only adds slugs. A few concepts carry the slug the project used before it had the IPTC
tree (``economy`` for medtop:04000000; ``SLUG_OVERRIDES`` in ``custom_topics.json``), so
``topic=economy`` keeps working.

``nlp/data/custom_topics.json`` holds the seeds' own specific topics (arms trade, missiles,
nuclear weapons…), each placed under an IPTC parent with its old slug; ``topic_terms.json``
holds the curated term lists the classifier matches (:mod:`nlp.topic_classifier`).
:func:`load_topics` joins the three into the default taxonomy.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from nlp.topics import topic_from_dict, validate_taxonomy
from nlp.types import TopicDef, TopicRules

DATA = resources.files("nlp") / "data"
IPTC_FILE = "iptc_mediatopic.json"
CUSTOM_FILE = "custom_topics.json"
TERMS_FILE = "topic_terms.json"
SCHEME = "http://cv.iptc.org/newscodes/mediatopic/"
ATTRIBUTION = (
    "IPTC Media Topics (IPTC NewsCodes, http://cv.iptc.org/newscodes/mediatopic/), "
    "Copyright IPTC, International Press Telecommunications Council - https://iptc.org; "
    "licensed under CC BY 4.0 (http://creativecommons.org/licenses/by/4.0/). "
    "Derived: retired concepts removed; only English labels and definitions kept; "
    "slugs added by article-store."
)

_SLUG_STOP = frozenset({"and", "of", "the", "or", "a", "an", "in", "on", "for", "to"})


@dataclass(frozen=True, slots=True)
class IptcConcept:
    """One non-retired IPTC Media Topic."""

    code: str  # "medtop:15000000"
    slug: str
    label: str  # English label as IPTC writes it ("association football")
    definition: str
    parent: str | None  # the parent's code; None for the 17 top-level topics


def slugify(label: str) -> str:
    """``"arts, culture, entertainment and media"`` -> ``"arts-culture-entertainment-media"``."""
    s = unicodedata.normalize("NFKD", label.casefold())
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = s.replace("'", "").replace("’", "")
    words = [w for w in re.split(r"[^a-z0-9]+", s) if w and w not in _SLUG_STOP]
    return "-".join(words) or "topic"


def _code(ref: str) -> str:
    """``http://cv.iptc.org/newscodes/mediatopic/15000000`` or ``medtop:15000000`` -> qcode."""
    return ref if ref.startswith("medtop:") else "medtop:" + ref.rstrip("/").rsplit("/", 1)[-1]


def _english(d: Any) -> str:
    if isinstance(d, str):
        return d
    if not isinstance(d, Mapping) or not d:
        return ""
    for lang in ("en-GB", "en-US", "en"):
        if d.get(lang):
            return str(d[lang])
    return str(next(iter(d.values())))


def _depth(code: str, parent_of: Mapping[str, str | None]) -> int:
    n, p = 0, parent_of.get(code)
    while p is not None and n < 50:
        n, p = n + 1, parent_of.get(p)
    return n


def assign_slugs(
    rows: Sequence[tuple[str, str, str | None]],
    pinned: Mapping[str, str] | None = None,
    reserved: Iterable[str] = (),
) -> dict[str, str]:
    """Slugs for ``(code, label, parent_code)`` rows: pinned ones first, then derived.

    Derived slugs are assigned parents first, then by code, so the lower code keeps the plain
    slug and a later one with the same label gets ``{slug}-{parent slug}`` (then a number).
    """
    pinned = dict(pinned or {})
    parent_of = {code: parent for code, _, parent in rows}
    label_of = {code: label for code, label, _ in rows}
    out: dict[str, str] = {c: s for c, s in pinned.items() if c in label_of}
    used = set(out.values()) | set(reserved)

    for code in sorted(label_of, key=lambda c: (_depth(c, parent_of), c)):
        if code in out:
            continue
        base = slugify(label_of[code])
        slug = base
        parent = parent_of.get(code)
        if slug in used and parent is not None and parent in out:
            slug = f"{base}-{out[parent]}"
        n = 2
        while slug in used:
            slug, n = f"{base}-{n}", n + 1
        out[code] = slug
        used.add(slug)
    return out


def _read_json(path: str | Path | None, name: str) -> Any:
    if path is None:
        return json.loads((DATA / name).read_text(encoding="utf-8"))
    return json.loads(Path(path).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _shipped_slugs() -> dict[str, str]:
    raw = _read_json(None, IPTC_FILE)
    return {t["code"]: t["slug"] for t in raw["topics"]}


def parse_jsonld(
    raw: Mapping[str, Any], pinned: Mapping[str, str] | None = None
) -> list[IptcConcept]:
    """The non-retired concepts of an IPTC JSON-LD export (``conceptSet``), parents first.

    A concept whose parent is retired or missing becomes a root only if it has no parent at all;
    otherwise it is attached to its nearest live ancestor.
    """
    concepts = raw.get("conceptSet")
    if not isinstance(concepts, list):
        raise ValueError("not an IPTC JSON-LD export: no conceptSet")
    all_parent: dict[str, str | None] = {}
    live: dict[str, tuple[str, str]] = {}
    for c in concepts:
        code = _code(str(c.get("qcode") or c["uri"]))
        broader = c.get("broader") or []
        if isinstance(broader, str):
            broader = [broader]
        all_parent[code] = _code(str(broader[0])) if broader else None
        if c.get("retired"):
            continue
        live[code] = (_english(c.get("prefLabel")), _english(c.get("definition")))
    rows: list[tuple[str, str, str | None]] = []
    for code, (label, _) in live.items():
        parent = all_parent.get(code)
        hops = 0
        while parent is not None and parent not in live and hops < 50:
            parent, hops = all_parent.get(parent), hops + 1
        rows.append((code, label, parent if parent in live else None))
    slugs = assign_slugs(rows, pinned, reserved=_custom_slugs())
    parent_of = {code: parent for code, _, parent in rows}
    return [
        IptcConcept(code, slugs[code], live[code][0], live[code][1], parent_of[code])
        for code in sorted(live, key=lambda c: (_depth(c, parent_of), c))
    ]


def load_iptc_concepts(path: str | Path | None = None) -> list[IptcConcept]:
    """The shipped compact vocabulary, or an IPTC JSON-LD export (or a compact file) at ``path``.

    Codes the shipped file knows keep their shipped slug; the project's slug overrides apply.
    """
    raw = _read_json(path, IPTC_FILE)
    if "conceptSet" in raw:
        pinned = {**_shipped_slugs(), **_slug_overrides()}
        return parse_jsonld(raw, pinned)
    return [
        IptcConcept(t["code"], t["slug"], t["label"], t.get("definition") or "", t.get("parent"))
        for t in raw["topics"]
    ]


def _topic_name(label: str) -> str:
    return label[:1].upper() + label[1:]


def load_iptc(path: str | Path | None = None, with_terms: bool = True) -> list[TopicDef]:
    """Every non-retired IPTC Media Topic as a :class:`TopicDef` (parents before children).

    ``slug``, ``name`` (the English label, capitalised), ``parent`` (the parent's slug),
    ``iptc_code`` (``medtop:…``), ``description`` (IPTC's definition) and ``rules`` (the curated
    terms of ``topic_terms.json`` plus the label itself; ``with_terms=False`` for bare rules).
    """
    concepts = load_iptc_concepts(path)
    slug_of = {c.code: c.slug for c in concepts}
    terms = _terms() if with_terms else {}
    out = []
    for c in concepts:
        out.append(
            TopicDef(
                slug=c.slug,
                name=_topic_name(c.label),
                parent=slug_of.get(c.parent) if c.parent else None,
                iptc_code=c.code,
                description=c.definition,
                rules=_rules_for(c.slug, c.label, terms) if with_terms else TopicRules(),
            )
        )
    return out


def load_custom_topics() -> list[TopicDef]:
    """The project's own topics (``custom_topics.json``), each under an IPTC (or custom) parent."""
    raw = _read_json(None, CUSTOM_FILE)
    return [topic_from_dict(d) for d in raw["topics"]]


def load_topics(path: str | Path | None = None) -> list[TopicDef]:
    """The default taxonomy: the IPTC tree (shipped, or the export at ``path``) + custom topics."""
    topics = load_iptc(path) + load_custom_topics()
    validate_taxonomy(topics)
    return topics


@lru_cache(maxsize=1)
def _custom_raw() -> dict[str, Any]:
    raw: dict[str, Any] = _read_json(None, CUSTOM_FILE)
    return raw


def _custom_slugs() -> frozenset[str]:
    return frozenset(str(d["slug"]) for d in _custom_raw()["topics"])


def _slug_overrides() -> dict[str, str]:
    return dict(_custom_raw().get("slug_overrides") or {})


@lru_cache(maxsize=1)
def _terms() -> dict[str, Any]:
    raw: dict[str, Any] = _read_json(None, TERMS_FILE)
    return raw["topics"]


# Label words that say nothing on their own (a label like "people" or "series" is not a term).
_WEAK_LABELS = frozenset(
    {
        "people", "series", "transfer", "plant", "animal", "ceremony", "party", "trend",
        "justice", "law", "values", "communities", "culture", "media", "game", "metal",
        "economy", "society", "accomplishment", "water", "nature", "illness", "injury",
        "employee", "employer", "occupations", "adults", "children", "gender", "infants",
        "teenagers", "hobby", "travel", "fire", "prices", "investments", "consumers", "food",
        "beverage", "transport", "traffic", "language", "therapy", "diet", "medicine",
        "management", "shareholder", "earnings", "design", "drawing", "forging", "fiction",
        "loans", "bonds", "stocks", "securities", "hunting", "fishing", "bar", "cafe", "pool",
        "darts", "casting", "diving", "sailing", "polo", "skeleton", "luge", "puzzle",
        "labour", "mankind", "family", "welfare", "charity", "ethics",
        "logistics", "regulation", "investigation",
    }
)  # fmt: skip


def _rules_for(slug: str, label: str, terms: Mapping[str, Any]) -> TopicRules:
    """Curated terms for ``slug`` plus its IPTC label."""
    spec = terms.get(slug) or {}
    keywords: list[str] = []
    weights: list[tuple[str, float]] = []
    weight = float(spec.get("weight", 1.0))
    for item in spec.get("keywords") or ():
        if isinstance(item, str):
            term, w = item, None
        else:
            term, w = str(item["term"]), item.get("weight")
        if term not in keywords:
            keywords.append(term)
            if w is not None:
                weights.append((term, float(w)))
    if not spec.get("no_label"):
        # The label itself, if short and not vague. List labels ("house and home") are matched
        # only whole (their parts are too vague alone); a label IPTC had to qualify ("fine
        # (penalty)", "trial (court)") is ambiguous without its qualifier, so it is not a term.
        usable = (
            "(" not in label
            and len(label.split()) <= 4
            and len(label) >= 3
            and label.lower() not in _WEAK_LABELS
        )
        if usable and label.lower() not in {k.lower() for k in keywords}:
            keywords.append(label)
    return TopicRules(
        keywords=tuple(keywords),
        entity_types=tuple(spec.get("entity_types") or ()),
        weight=weight,
        entity_weight=float(spec.get("entity_weight", 0.2)),
        keyword_weights=tuple(weights),
    )


def write_compact(source: str | Path, dest: str | Path) -> int:
    """Derive the shipped compact file from an IPTC JSON-LD export; returns the concept count."""
    raw = json.loads(Path(source).read_text(encoding="utf-8"))
    try:
        pinned = {**_shipped_slugs(), **_slug_overrides()}
    except FileNotFoundError:
        pinned = _slug_overrides()
    concepts = parse_jsonld(raw, pinned)
    out = {
        "attribution": ATTRIBUTION,
        "source": str(raw.get("uri") or SCHEME),
        "released": str(raw.get("dateReleased") or ""),
        "licence": str(raw.get("licenceLink") or "http://creativecommons.org/licenses/by/4.0/"),
        "copyright": str(raw.get("copyrightHolder") or "IPTC"),
        "topics": [
            {
                "code": c.code,
                "slug": c.slug,
                "label": c.label,
                "definition": c.definition,
                "parent": c.parent,
            }
            for c in concepts
        ],
    }
    text = json.dumps(out, ensure_ascii=False, indent=0)
    Path(dest).write_text(text + "\n", encoding="utf-8")
    return len(concepts)


if __name__ == "__main__":  # python -m nlp.iptc SRC_JSONLD [DEST]
    import sys

    dest = sys.argv[2] if len(sys.argv) > 2 else str(Path(__file__).parent / "data" / IPTC_FILE)
    print(write_compact(sys.argv[1], dest), "concepts written to", dest)
