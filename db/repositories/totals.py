"""Totals of a listing: an exact count, a count that stops early, the planner's estimate.

Every list route hands the statement of its listing (its filters; no keyset, order or page
size) to these; ``service.pagination.listing_total`` decides which to run for a
``Prefer: count=…``, so the rule is written once for every list.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, func, select

from db.engine import Reader, connection_of, dialect_of
from db.repositories import shaped


def _unordered(listing: Select[Any]) -> Select[Any]:
    return listing.order_by(None).limit(None).offset(None)


def count_statement(listing: Select[Any], at_most: int | None) -> Select[Any]:
    """``count(*)`` of the listing; with ``at_most``, of its first ``at_most + 1`` rows."""
    inner = _unordered(listing)
    if at_most is not None:
        # inline: a generic plan that knows it (and not the page's LIMIT when a column of it)
        inner = inner.limit(bindparam("count_limit", at_most + 1, literal_execute=True))
    return select(func.count()).select_from(inner.subquery("listing"))


async def count_rows(
    session: Reader, listing: Select[Any] | shaped.Listing, *, at_most: int | None = None
) -> int:
    """The listing's rows; with ``at_most``, counting stops once it is exceeded (the answer
    is then ``at_most + 1``), so the cost is bounded by ``at_most`` rows. A
    :class:`~db.repositories.shaped.Listing` is counted by a statement built once per shape."""
    if isinstance(listing, shaped.Listing):
        build = listing.build
        rows = await shaped.fetch_all(
            session,
            f"{listing.query}.count",
            lambda params: count_statement(build(params), at_most),  # type: ignore[arg-type]
            listing.params,
            inline=(listing.inline, at_most),
        )
        return int(rows[0][0])
    inner = _unordered(listing)
    if at_most is not None:
        inner = inner.limit(at_most + 1)
    stmt = select(func.count()).select_from(inner.subquery("listing"))
    return int((await session.execute(stmt)).scalar_one())


async def planner_rows(session: Reader, listing: Select[Any] | shaped.Listing) -> int:
    """PostgreSQL's estimate of the listing's rows (``EXPLAIN``: no row is read)."""
    if isinstance(listing, shaped.Listing):
        build = listing.build
        rows = await shaped.fetch_all(
            session,
            f"{listing.query}.estimate",
            lambda params: _unordered(build(params)),  # type: ignore[arg-type]
            listing.params,
            inline=listing.inline,
            prefix="EXPLAIN (FORMAT JSON)",
        )
        return int(rows[0][0][0]["Plan"]["Plan Rows"])
    compiled = _unordered(listing).compile(
        dialect=dialect_of(session), compile_kwargs={"render_postcompile": True}
    )
    values = compiled.construct_params()
    args = tuple(values[name] for name in compiled.positiontup or ())
    conn = await connection_of(session)
    result = await conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {compiled.string}", args)
    plan = result.scalar_one()
    return int(plan[0]["Plan"]["Plan Rows"])
