"""Stored spans always equal body[start:end] of their revision (code points)."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

SPAN_TABLES = ("quotes", "mentions", "claims")


async def spans_not_matching_body(session: AsyncSession) -> list[tuple[str, int]]:
    """Every row of every span table whose text is not exactly body[start:end]."""
    bad: list[tuple[str, int]] = []
    for table in SPAN_TABLES:
        rows = await session.execute(
            text(
                f"SELECT s.id FROM {table} s JOIN article_revisions r ON r.id = s.revision_id "
                "WHERE substr(r.body, s.span_start + 1, s.span_end - s.span_start) <> s.text"
            )
        )
        bad.extend((table, int(r[0])) for r in rows)
    return bad


async def test_every_stored_span_matches_its_revision_text(db_session: AsyncSession) -> None:
    assert await spans_not_matching_body(db_session) == []


async def test_span_check_catches_a_wrong_offset(
    clean_store: None, db_session: AsyncSession
) -> None:
    rev = (
        await db_session.execute(
            text("SELECT id, article_id, body FROM article_revisions ORDER BY id LIMIT 1")
        )
    ).one()
    outlet_id = (
        await db_session.execute(
            text("SELECT outlet_id FROM articles WHERE id = :a"), {"a": rev.article_id}
        )
    ).scalar_one()
    start = rev.body.index("Kim Jong Un")
    await db_session.execute(
        text(
            "INSERT INTO quotes (revision_id, article_id, outlet_id, published_at, kind, "
            "span_start, span_end, text, confidence) VALUES "
            "(:r, :a, :o, now(), 'direct', :s, :e, :t, 1)"
        ),
        # right length, wrong place: only the body comparison can notice
        {
            "r": rev.id,
            "a": rev.article_id,
            "o": outlet_id,
            "s": start + 1,
            "e": start + 12,
            "t": "Kim Jong Un",
        },
    )
    assert await spans_not_matching_body(db_session) != []
    await db_session.rollback()


async def test_span_length_is_enforced_by_a_check_constraint(
    clean_store: None, db_session: AsyncSession
) -> None:
    rev = (
        await db_session.execute(text("SELECT id, article_id FROM article_revisions LIMIT 1"))
    ).one()
    with pytest.raises(IntegrityError, match="span_text_length"):
        await db_session.execute(
            text(
                "INSERT INTO quotes (revision_id, article_id, outlet_id, published_at, kind, "
                "span_start, span_end, text, confidence) SELECT :r, :a, outlet_id, now(), "
                "'direct', 0, 3, 'four', 1 FROM articles WHERE id = :a"
            ),
            {"r": rev.id, "a": rev.article_id},
        )
    await db_session.rollback()
