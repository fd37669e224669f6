"""Diff use cases: two revisions of one article, or any two stored texts.

The text diff is the pure engine in textkit.diffing; this module finds the texts, adds
who/what the revisions are, and compares their annotations (quotes, entities, claims),
matched by speaker and text rather than by offset, since offsets move between revisions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
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


@lru_cache(maxsize=8192)
def _key(value: str | None) -> str:
    # whitespace runs as one space, trimmed (str.split uses re's \s predicate, faster);
    # cached: the two revisions of a diff share most of their texts, and so do the diffs
    # of one article
    return " ".join(normalize_quotes(value or "").split()).casefold()


Row = tuple[Any, ...]


def _split(
    old_rows: list[Row],
    new_rows: list[Row],
    key: Callable[[Row], Any],
    fields: Callable[[Row], dict[str, Any]],
    where: Callable[[Row], dict[str, Any]],
) -> dict[str, list[dict[str, Any]]]:
    """Partition rows by ``key`` into only_old / only_new / both (first occurrence wins):
    each item is the ``fields`` of its row (the new one's when in both) with ``old`` and
    ``new`` set to ``where`` it is in each revision (None where it is not)."""
    old_by_key: dict[Any, Row] = {}
    for row in old_rows:
        old_by_key.setdefault(key(row), row)
    new_by_key: dict[Any, Row] = {}
    for row in new_rows:
        new_by_key.setdefault(key(row), row)
    both = []
    only_new = []
    for k, row in new_by_key.items():
        old_row = old_by_key.get(k)
        item = fields(row)
        item["new"] = where(row)
        if old_row is None:
            item["old"] = None
            only_new.append(item)
        else:
            item["old"] = where(old_row)
            both.append(item)
    only_old = []
    for k, row in old_by_key.items():
        if k not in new_by_key:
            item = fields(row)
            item["new"] = None
            item["old"] = where(row)
            only_old.append(item)
    return {"only_old": only_old, "only_new": only_new, "both": both}


# rows of db.repositories.diff_view.annotation_columns:
# quotes (id, kind, text, start, end, speaker_id, speaker),
# entities (entity_id, name, type, mentions, first_start),
# claims (id, text, start, end, score, claimant_id, claimant)


def _quote_key(r: Row) -> tuple[str, str]:
    return _key(r[6]), _key(r[2])


def _quote_fields(r: Row) -> dict[str, Any]:
    return {"speaker": r[6], "speaker_id": r[5], "kind": r[1], "text": r[2]}


def _quote_where(r: Row) -> dict[str, Any]:
    return {"quote_id": r[0], "start": r[3], "end": r[4]}


def _entity_key(r: Row) -> Any:
    return r[0]


def _entity_fields(r: Row) -> dict[str, Any]:
    return {"entity_id": r[0], "name": r[1], "type": r[2]}


def _entity_where(r: Row) -> dict[str, Any]:
    return {"mentions": int(r[3]), "first_start": r[4]}


def _claim_key(r: Row) -> tuple[str, str]:
    return _key(r[6]), _key(r[1])


def _claim_fields(r: Row) -> dict[str, Any]:
    return {"claimant": r[6], "claimant_id": r[5], "text": r[1]}


def _claim_where(r: Row) -> dict[str, Any]:
    return {"claim_id": r[0], "start": r[2], "end": r[3], "score": r[4]}


def compare_annotations(old: RevisionAnnotations, new: RevisionAnnotations) -> dict[str, Any]:
    """Which quotes, entities and claims are only in the old text, only in the new, or in
    both. Quotes match on (speaker, text), claims on (claimant, text), entities on id;
    texts compare case-, quote-style- and whitespace-insensitively. ``available`` is false
    while neither revision has been annotated. ``old``, ``new``: the rows of each kind
    (``db.repositories.diff_view.annotation_columns``)."""
    available = any(old[k] or new[k] for k in diff_repo.ANNOTATIONS)
    return {
        "available": available,
        "quotes": _split(old["quotes"], new["quotes"], _quote_key, _quote_fields, _quote_where),
        "entities": _split(
            old["entities"], new["entities"], _entity_key, _entity_fields, _entity_where
        ),
        "claims": _split(old["claims"], new["claims"], _claim_key, _claim_fields, _claim_where),
    }
