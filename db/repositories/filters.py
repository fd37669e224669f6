"""Filter conditions shared by several listings (quotes, claims)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, or_, select

from db.models import Article, ArticleRevision, Outlet

outlets: Table = Outlet.__table__  # type: ignore[assignment]
articles: Table = Article.__table__  # type: ignore[assignment]
revisions: Table = ArticleRevision.__table__  # type: ignore[assignment]


def current_revision_of_article() -> ColumnElement[bool]:
    """Join condition: the revision is its article's current one."""
    return and_(
        revisions.c.article_id == articles.c.id,
        revisions.c.number == articles.c.current_revision,
    )


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
