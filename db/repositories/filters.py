"""Filter conditions shared by several listings (quotes, claims)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, func, or_, select

from db.models import Outlet

outlets: Table = Outlet.__table__  # type: ignore[assignment]


def outlet_condition(
    outlet_id_column: Any, ids: Sequence[int] | None, names: Sequence[str] | None
) -> ColumnElement[bool]:
    """Rows whose outlet is one of ``ids`` or is named (case-insensitively) one of ``names``."""
    conds: list[ColumnElement[bool]] = []
    if ids:
        conds.append(outlet_id_column.in_(list(ids)))
    if names:
        lowered = [n.lower() for n in names]
        conds.append(
            outlet_id_column.in_(
                select(outlets.c.id).where(func.lower(outlets.c.name).in_(lowered))
            )
        )
    return or_(*conds)
