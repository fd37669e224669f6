"""Statements compiled once per shape: same rows as SQLAlchemy's own path, errors unchanged."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import BigInteger, Integer, String, func, literal_column, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories import shaped
from db.repositories.filters import page_limit

# a constant table: (n, word) for n in 1..20, with no parameters of its own
_rows = (
    select(
        literal_column("n", Integer).label("n"),
        literal_column("'w' || n", String).label("word"),
    )
    .select_from(text("generate_series(1, 20) AS g(n)"))
    .subquery("numbers")
)


def _build(params: shaped.Params, limit: int) -> Any:
    stmt = select(_rows.c.n, _rows.c.word)
    if "ns" in params:
        stmt = stmt.where(_rows.c.n.in_(shaped.param(params, "ns", Integer(), expanding=True)))
    if "above" in params:
        stmt = stmt.where(_rows.c.n > shaped.param(params, "above", Integer()))
    if "arr" in params:
        arr = shaped.param(params, "arr", ARRAY(BigInteger))
        stmt = stmt.where(func.cast(_rows.c.n, BigInteger()) == func.any(arr))
    return stmt.order_by(_rows.c.n.desc()).limit(page_limit(limit))


async def _fetch(session: AsyncSession, params: dict[str, Any], limit: int = 5) -> list[Any]:
    return await shaped.fetch_all(
        session, "test.numbers", lambda p: _build(p, limit), params, inline=limit
    )


async def test_rows_match_sqlalchemy_execution_for_every_shape(db_session: AsyncSession) -> None:
    cases: list[tuple[dict[str, Any], int]] = [
        ({}, 5),
        ({}, 3),
        ({"ns": [3]}, 5),
        ({"ns": [3, 7, 11]}, 5),
        ({"ns": [4, 8, 12]}, 2),  # same shape as above with a smaller page: its own text
        ({"ns": [1, 2, 3, 4], "above": 2}, 5),
        ({"above": 17}, 5),
        ({"arr": [5, 6, 19]}, 5),
        ({"arr": [2]}, 5),  # an array stays one parameter whatever its length
        ({"ns": []}, 5),  # an empty IN list renders no placeholder
    ]
    for params, limit in cases:
        got = [tuple(r) for r in await _fetch(db_session, params, limit)]
        expected = [tuple(r) for r in (await db_session.execute(_build(params, limit))).all()]
        assert got == expected, (params, limit)
    # values differ, shape is the same: the second request reuses the first one's text
    before = len(shaped._compiled)
    assert [r.n for r in await _fetch(db_session, {"ns": [9, 10, 20]})] == [20, 10, 9]
    assert len(shaped._compiled) == before
    assert [r.word for r in await _fetch(db_session, {"above": 18})] == ["w20", "w19"]


async def test_builder_and_parameters_that_disagree_fail_on_first_use(
    db_session: AsyncSession,
) -> None:
    with pytest.raises(shaped.ShapeError, match="not in the statement"):
        await shaped.fetch_all(
            db_session, "test.unused", lambda p: select(text("1")), {"forgotten": 1}
        )


async def test_database_errors_arrive_as_sqlalchemy_errors(db_session: AsyncSession) -> None:
    """The API maps SQLAlchemy's DBAPIError (statement timeout, disconnects) to 503: the
    shaped path must raise the same exceptions, not the driver's own."""
    await db_session.execute(text("SET statement_timeout = 50"))
    try:
        with pytest.raises(DBAPIError, match="statement timeout"):
            await shaped.fetch_all(
                db_session,
                "test.sleep",
                lambda p: select(func.pg_sleep(shaped.param(p, "s", Integer()))),
                {"s": 2},
            )
    finally:
        await db_session.rollback()
        await db_session.execute(text("RESET statement_timeout"))
