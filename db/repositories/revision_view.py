"""One revision with everything annotated on it, in one statement (the annotations view).

``GET /v1/articles/{id}/annotations`` sent five statements: the revision, its quotes, its
mentions, its claims and the claims' topics. Each statement costs the API about as much
Python as PostgreSQL takes to answer it (SQLAlchemy's execution and result handling, the
driver's round trip), so the view is one statement: the revision row with its quotes,
mentions and claims (each claim with its topics) as arrays of rows, ``ARRAY(SELECT ROW(…)
… ORDER BY …)``. asyncpg decodes such arrays of anonymous records into tuples of native
values (datetimes, floats), in the column order of the repositories' column tuples, so the
service unpacks them by position as it does the rows of the list statements.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Table, func, select

from db.engine import Reader
from db.models import Article, ArticleRevision
from db.repositories import claims as claims_repo
from db.repositories import quotes as quotes_repo
from db.repositories import shaped

revisions: Table = ArticleRevision.__table__  # type: ignore[assignment]
articles: Table = Article.__table__  # type: ignore[assignment]

# the revision of the view: aliased, since the statements nested in it join revisions too
rev = revisions.alias("rev")

VIEW_COLUMNS = ("id", "number", "body", "quotes", "mentions", "claims")


def _rows_of(stmt: Any) -> ColumnElement[Any]:
    """``ARRAY(SELECT ROW(<stmt's columns>) … ORDER BY …)``: ``stmt``'s rows as one value,
    in its order."""
    inner = stmt.with_only_columns(func.row(*stmt.selected_columns), maintain_column_froms=True)
    return func.array(inner.scalar_subquery())


def _view(params: shaped.Params) -> Any:
    stmt = select(
        rev.c.id,
        rev.c.number,
        rev.c.body,
        _rows_of(quotes_repo.quotes_of_revision(rev.c.id)).label("quotes"),
        _rows_of(quotes_repo.mentions_of_revision(rev.c.id)).label("mentions"),
        _rows_of(claims_repo.claims_of_revision(rev.c.id)).label("claims"),
    )
    if "number" in params:
        return stmt.where(
            rev.c.article_id == shaped.param(params, "article_id", rev.c.article_id),
            rev.c.number == shaped.param(params, "number", rev.c.number),
        )
    return stmt.join(
        articles,
        (articles.c.id == rev.c.article_id) & (articles.c.current_revision == rev.c.number),
    ).where(articles.c.id == shaped.param(params, "article_id", articles.c.id))


async def revision_view(session: Reader, article_id: int, number: int | None) -> Any | None:
    """(id, number, body, quotes, mentions, claims) of revision ``number`` of the article (its
    current one if None), or None if there is none. ``quotes``: tuples of
    ``quotes.QUOTE_COLUMNS``; ``mentions``: of ``quotes.MENTION_COLUMNS``; ``claims``: of
    ``claims.CLAIM_COLUMNS`` followed by the claim's topics (``claims.CLAIM_TOPICS``)."""
    params: dict[str, Any] = {"article_id": article_id}
    if number is not None:
        params["number"] = number
    rows = await shaped.fetch_all(session, "revision.view", _view, params)
    return rows[0] if rows else None
