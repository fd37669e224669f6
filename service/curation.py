"""Curated spans across revisions: a person's corrections outlive the text they were made on.

Quotes and claims are curated the same way: a curated span (a correction, or a tombstone
that says "not a quote" / "not a claim") wins over machine spans that overlap it, and when a
new revision arrives it is copied onto that revision, re-anchored by its exact text and
context (:func:`textkit.anchoring.reanchor`: ``exact``, ``moved``, ``fuzzy``). An ``orphaned``
span (its text is gone) stays on the old revision and is reported. :func:`carry_curated` is
the one function that does this for both; each kind says only which columns a copy keeps.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories import spans
from service.errors import RevisionNotFound
from textkit.anchoring import Anchor, anchor_context, reanchor

logger = logging.getLogger(__name__)

# kind-specific columns of a span copied onto a new revision: (old row, anchor, old body,
# new body) → the row's own columns (the span, text and copied article columns are added)
CopyColumns = Callable[[Any, Anchor, str, str], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class SpanKind:
    name: str  # "quotes", "claims": for logs
    table: Table
    copy_columns: CopyColumns
    # quotes remember the context they were anchored with; claims take it from the old text
    stored_context: bool


@dataclass(frozen=True, slots=True)
class CarryReport:
    carried: dict[int, str] = field(default_factory=dict)  # old span id → anchor status
    orphaned: list[int] = field(default_factory=list)  # old span ids not found again
    copies: dict[int, int] = field(default_factory=dict)  # old span id → new span id


async def suppress_machine_under_curated(
    session: AsyncSession, table: Table, revision_id: int
) -> int:
    """Drop machine spans of a revision that overlap a curated span or tombstone."""
    curated = await spans.curated_spans(session, table, revision_id)
    return await spans.delete_machine_overlapping(session, table, revision_id, curated)


async def carry_curated(
    session: AsyncSession, kind: SpanKind, from_revision_id: int, to_revision_id: int
) -> CarryReport:
    """Copy the curated spans of one revision onto another, re-anchored (see the module).

    Inside the caller's transaction. Idempotent: a span already carried to the same place is
    not copied twice. Machine spans of the new revision under a carried span are dropped."""
    source = await spans.revision_context(session, from_revision_id)
    target = await spans.revision_context(session, to_revision_id)
    if source is None or target is None:
        raise RevisionNotFound(
            f"no revision with id {from_revision_id if source is None else to_revision_id}"
        )
    old_body, new_body = source.body, target.body
    existing = set(await spans.curated_spans(session, kind.table, to_revision_id))
    report = CarryReport()
    plans: list[tuple[int, dict[str, Any]]] = []
    for old in await spans.curated_of_revision(session, kind.table, from_revision_id):
        if kind.stored_context:
            prefix, suffix = old.anchor_prefix, old.anchor_suffix
        else:
            prefix, suffix = anchor_context(old_body, old.span_start, old.span_end)
        anchor = reanchor(old_body, new_body, old.span_start, old.span_end, prefix, suffix)
        if anchor.status == "orphaned":
            report.orphaned.append(int(old.id))
            continue
        report.carried[int(old.id)] = anchor.status
        if (anchor.start, anchor.end) in existing:
            continue
        existing.add((anchor.start, anchor.end))
        row = kind.copy_columns(old, anchor, old_body, new_body)
        row.update(
            run_id=None,
            span_start=anchor.start,
            span_end=anchor.end,
            text=new_body[anchor.start : anchor.end],
            curated=True,
            anchor_status=anchor.status,
        )
        plans.append((int(old.id), row))
    new_ids = await spans.insert_spans(session, kind.table, target, [row for _, row in plans])
    report.copies.update({old: new for (old, _), new in zip(plans, new_ids, strict=True)})
    await suppress_machine_under_curated(session, kind.table, to_revision_id)
    if report.orphaned:
        # visible through the API (anchor_status, GET /v1/quotes/orphans), not only in a log
        await spans.mark_orphaned(session, kind.table, report.orphaned)
        logger.info(
            "curated %s orphaned by a new revision",
            kind.name,
            extra={"revision_id": to_revision_id, "span_ids": report.orphaned},
        )
    return report
