"""Diff schemas: the JSON shape of a text diff and its annotation comparison."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from api.schemas.articles import ChangeStats


class DiffSide(BaseModel):
    article_id: int
    revision: int
    sha256: str
    title: str | None
    outlet: str
    published_at: datetime | None
    char_count: int


class DiffOperation(BaseModel):
    """One operation. `old_text == old[old_start:old_end]` (code points), same for new;
    the operations tile both texts in order, so applying them rebuilds the new text."""

    op: Literal["equal", "insert", "delete", "replace"]
    old_start: int
    old_end: int
    new_start: int
    new_end: int
    old_text: str
    new_text: str


class SentenceChangeRead(BaseModel):
    kind: Literal["added", "deleted", "edited", "moved"]
    old_start: int | None
    old_end: int | None
    new_start: int | None
    new_end: int | None
    old_text: str | None
    new_text: str | None
    similarity: float | None = Field(description="0–1 for edited and moved sentences.")


class AnnotationSplit(BaseModel):
    """Items only in the old text, only in the new one, or in both (with both positions)."""

    only_old: list[dict[str, Any]]
    only_new: list[dict[str, Any]]
    both: list[dict[str, Any]]


class AnnotationDiff(BaseModel):
    available: bool = Field(description="False while neither revision has been annotated.")
    quotes: AnnotationSplit = Field(description="Matched by speaker and text.")
    entities: AnnotationSplit = Field(description="Matched by entity.")
    claims: AnnotationSplit = Field(description="Matched by claimant and text.")


class DiffRead(BaseModel):
    old: DiffSide
    new: DiffSide
    granularity: Literal["word", "sentence", "paragraph"]
    ignore: list[str]
    ops: list[DiffOperation]
    stats: ChangeStats
    changes: list[SentenceChangeRead] | None = Field(
        description="Sentence granularity only: each changed sentence classified."
    )
    degraded: list[Literal["size", "time", "pairs"]] = Field(
        description="Empty when the diff is exact. Otherwise the work budgets it hit, each "
        "making it coarser but never wrong (the ops still tile both texts): `size`, a "
        "changed run too large for a word diff is one replace of whole sentences (two "
        "texts that differ entirely are one replace); `time`, the time budget (2 s) ran "
        "out and the remaining changed runs stay whole sentences; `pairs`, too many "
        "changed sentences to match edits and moves, so they are added and deleted. The "
        "`X-Diff-Degraded` header says the same for every format.",
        examples=[[], ["size"]],
    )
    annotations: AnnotationDiff
