"""Diff use cases: two revisions of one article, or any two stored texts.

The text diff is the pure engine in textkit.diffing; this module finds the texts, adds
who/what the revisions are, and compares their annotations (quotes, entities, claims),
matched by speaker and text rather than by offset, since offsets move between revisions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from db.engine import Reader
from db.repositories import articles as repo
from db.repositories import diff_view as diff_repo
from service import cpu_pool
from service.errors import ArticleNotFound, InvalidInput, RevisionNotFound
from textkit.diffing import (
    GRANULARITIES,
    IGNORABLE,
    Degradation,
    Granularity,
    normalize_quotes,
)

DiffFormat = Literal["json", "unified", "html"]
# one revision's annotation rows by kind ("quotes", "entities", "claims"), and by revision id
RevisionAnnotations = dict[str, list[tuple[Any, ...]]]
Annotations = dict[int, RevisionAnnotations]
_REF_RE = re.compile(r"^\s*(\d{1,18})\s*(?:@\s*(\d{1,9})\s*)?$")


@dataclass(frozen=True, slots=True)
class TextRef:
    """One stored text: an article's revision."""

    article_id: int
    revision: int
    revision_id: int
    body: str
    sha256: str
    title: str | None
    outlet: str
    published_at: datetime | None

    @property
    def label(self) -> str:
        return f"article {self.article_id} revision {self.revision}"

    def describe(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "revision": self.revision,
            "sha256": self.sha256,
            "title": self.title,
            "outlet": self.outlet,
            "published_at": self.published_at,
            "char_count": len(self.body),
        }


@dataclass(frozen=True, slots=True)
class DiffOutput:
    format: DiffFormat
    json: dict[str, Any] | None = None
    text: str | None = None
    # the budgets the diff hit (textkit.diffing.DiffBudget); empty when it is exact
    degraded: tuple[Degradation, ...] = ()


def parse_ignore(value: str | None) -> frozenset[str]:
    if not value:
        return frozenset()
    options = frozenset(p.strip().lower() for p in value.split(",") if p.strip())
    unknown = options - IGNORABLE
    if unknown:
        raise InvalidInput(
            f"unknown ignore option(s): {', '.join(sorted(unknown))}; "
            f"allowed: {', '.join(sorted(IGNORABLE))}",
            field="ignore",
        )
    return options


def parse_ref(value: str, name: str) -> tuple[int, int | None]:
    """``"42"`` or ``"42@3"`` → (article id, revision number or None for current)."""
    m = _REF_RE.match(value)
    if not m or int(m.group(1)) < 1 or (m.group(2) is not None and int(m.group(2)) < 1):
        raise InvalidInput(
            f"{name} must be an article id, optionally with @revision (e.g. 12 or 12@2), "
            f"not {value!r}",
            field=name,
        )
    return int(m.group(1)), int(m.group(2)) if m.group(2) else None


async def _article(session: Reader, article_id: int) -> Any:
    article = await repo.get_article(session, article_id)
    if article is None:
        raise ArticleNotFound(f"no article with id {article_id}", article_id=article_id)
    return article


async def _texts(session: Reader, article: Any, numbers: list[int]) -> list[TextRef]:
    """The article's revisions ``numbers`` (in that order), loaded in one statement."""
    article_id = int(article.id)
    revs = await repo.get_revision_texts(session, article_id, sorted(set(numbers)))
    for n in numbers:
        if n not in revs:
            raise RevisionNotFound(
                f"article {article_id} has no revision {n} "
                f"(revisions are 1..{article.current_revision})",
                article_id=article_id,
                revision=n,
            )
    return [_text_ref(article, revs[n]) for n in numbers]


def _text_ref(article: Any, rev: Any) -> TextRef:
    return TextRef(
        article_id=int(article.id),
        revision=int(rev.number),
        revision_id=int(rev.id),
        body=rev.body,
        sha256=rev.sha256,
        title=rev.title,
        outlet=article.outlet_name,
        published_at=article.published_at,
    )


async def diff_article_revisions(
    session: Reader,
    article_id: int,
    *,
    from_revision: int | None,
    to_revision: int | None,
    granularity: Granularity = "word",
    ignore: frozenset[str] = frozenset(),
    fmt: DiffFormat = "json",
) -> DiffOutput:
    """Diff two revisions of one article; defaults are previous → current.

    ``from`` may be greater than ``to``: the diff then runs backwards. One statement reads
    the article, both texts and (for JSON) their annotations."""
    rows = await diff_repo.revisions_to_diff(
        session, article_id, from_revision, to_revision, annotations=fmt == "json"
    )
    if not rows:
        raise ArticleNotFound(f"no article with id {article_id}", article_id=article_id)
    current = int(rows[0][1])
    to_n = current if to_revision is None else to_revision
    from_n = max(1, to_n - 1) if from_revision is None else from_revision
    found = {int(r[5]): r for r in rows if r[4] is not None}
    for n in (from_n, to_n):
        if n not in found:
            raise RevisionNotFound(
                f"article {article_id} has no revision {n} (revisions are 1..{current})",
                article_id=article_id,
                revision=n,
            )
    old, new = found[from_n], found[to_n]
    annotations = None
    if fmt == "json":
        annotations = {
            int(r[4]): dict(zip(diff_repo.ANNOTATIONS, r[9:], strict=True)) for r in (old, new)
        }
    return await _diff(session, _row_ref(old), _row_ref(new), granularity, ignore, fmt, annotations)


def _row_ref(row: Any) -> TextRef:
    """A row of :func:`diff_repo.revisions_to_diff` as the text it names."""
    article_id, _current, outlet, published_at, rev_id, number, sha256, title, body = row[:9]
    return TextRef(
        article_id=int(article_id),
        revision=int(number),
        revision_id=int(rev_id),
        body=body,
        sha256=sha256,
        title=title,
        outlet=outlet,
        published_at=published_at,
    )


async def diff_stored_texts(
    session: Reader,
    left: str,
    right: str,
    *,
    granularity: Granularity = "word",
    ignore: frozenset[str] = frozenset(),
    fmt: DiffFormat = "json",
) -> DiffOutput:
    """Diff any two stored texts, named ``article_id[@revision]``."""
    left_id, left_rev = parse_ref(left, "left")
    right_id, right_rev = parse_ref(right, "right")
    texts = []
    for article_id, number in ((left_id, left_rev), (right_id, right_rev)):
        article = await _article(session, article_id)
        number = int(article.current_revision) if number is None else number
        texts += await _texts(session, article, [number])
    old, new = texts
    return await _diff(session, old, new, granularity, ignore, fmt)


async def _diff(
    session: Reader,
    old: TextRef,
    new: TextRef,
    granularity: Granularity,
    ignore: frozenset[str],
    fmt: DiffFormat,
    annotations: Annotations | None = None,
) -> DiffOutput:
    """The diff of ``old`` → ``new``; JSON compares their annotations too (``annotations``:
    already read, by revision id, else read here)."""
    if granularity not in GRANULARITIES:
        raise InvalidInput(f"unknown granularity {granularity!r}", field="granularity")
    # CPU-bound and bounded by the engine's budget: in a pool process, off the event loop,
    # unless the texts differ only in a short middle (then inline: cheaper than the hop)
    done = await cpu_pool.run_diff(
        old.body, new.body, granularity, ignore, fmt, old.label, new.label
    )
    if done.data is None:
        return DiffOutput(fmt, text=done.text, degraded=done.degraded)
    out = {"old": old.describe(), "new": new.describe(), **done.data}
    out.setdefault("changes", None)
    if annotations is None:
        annotations = await diff_repo.revision_annotations(
            session, [old.revision_id, new.revision_id]
        )
    out["annotations"] = compare_annotations(
        annotations[old.revision_id], annotations[new.revision_id]
    )
    return DiffOutput(fmt, json=out, degraded=done.degraded)


# --- annotations -----------------------------------------------------------------------


def _key(value: str | None) -> str:
    # whitespace runs as one space, trimmed (str.split uses re's \s predicate, faster)
    return " ".join(normalize_quotes(value or "").split()).casefold()


def _split(
    old_items: list[tuple[Any, dict[str, Any]]], new_items: list[tuple[Any, dict[str, Any]]]
) -> dict[str, list[dict[str, Any]]]:
    """Partition items by key into only_old / only_new / both (first occurrence wins)."""
    old_by_key: dict[Any, dict[str, Any]] = {}
    for key, item in old_items:
        old_by_key.setdefault(key, item)
    new_by_key: dict[Any, dict[str, Any]] = {}
    for key, item in new_items:
        new_by_key.setdefault(key, item)
    both = []
    for key, item in new_by_key.items():
        if key in old_by_key:
            both.append({**item, "old": old_by_key[key]["new"], "new": item["new"]})
    only_old = [
        {**item, "old": item["new"], "new": None}
        for key, item in old_by_key.items()
        if key not in new_by_key
    ]
    only_new = [{**item, "old": None} for key, item in new_by_key.items() if key not in old_by_key]
    return {"only_old": only_old, "only_new": only_new, "both": both}


def _quote_items(rows: list[Any]) -> list[tuple[Any, dict[str, Any]]]:
    return [
        (
            (_key(speaker), _key(text)),
            {
                "speaker": speaker,
                "speaker_id": speaker_id,
                "kind": kind,
                "text": text,
                "new": {"quote_id": id_, "start": start, "end": end},
            },
        )
        for id_, kind, text, start, end, speaker_id, speaker in rows
    ]


def _entity_items(rows: list[Any]) -> list[tuple[Any, dict[str, Any]]]:
    return [
        (
            entity_id,
            {
                "entity_id": entity_id,
                "name": name,
                "type": type_,
                "new": {"mentions": int(count), "first_start": first_start},
            },
        )
        for entity_id, name, type_, count, first_start in rows
    ]


def _claim_items(rows: list[Any]) -> list[tuple[Any, dict[str, Any]]]:
    return [
        (
            (_key(claimant), _key(text)),
            {
                "claimant": claimant,
                "claimant_id": claimant_id,
                "text": text,
                "new": {"claim_id": id_, "start": start, "end": end, "score": score},
            },
        )
        for id_, text, start, end, score, claimant_id, claimant in rows
    ]


def compare_annotations(old: RevisionAnnotations, new: RevisionAnnotations) -> dict[str, Any]:
    """Which quotes, entities and claims are only in the old text, only in the new, or in
    both. Quotes match on (speaker, text), claims on (claimant, text), entities on id;
    texts compare case-, quote-style- and whitespace-insensitively. ``available`` is false
    while neither revision has been annotated. ``old``, ``new``: the rows of each kind
    (``db.repositories.diff_view.annotation_columns``)."""
    available = any(old[k] or new[k] for k in diff_repo.ANNOTATIONS)
    return {
        "available": available,
        "quotes": _split(_quote_items(old["quotes"]), _quote_items(new["quotes"])),
        "entities": _split(_entity_items(old["entities"]), _entity_items(new["entities"])),
        "claims": _split(_claim_items(old["claims"]), _claim_items(new["claims"])),
    }
