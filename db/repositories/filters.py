"""Clauses shared by several repositories: page limits, id-array parameters, the filters
quotes and claims share, the current revision join."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import fields
from functools import partial
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    BindParameter,
    ColumnElement,
    Integer,
    Table,
    and_,
    bindparam,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY

from db.engine import Reader
from db.models import Article, ArticleRevision, Entity, Story
from db.models.claims import ClaimCluster
from db.repositories import shaped

articles: Table = Article.__table__  # type: ignore[assignment]
revisions: Table = ArticleRevision.__table__  # type: ignore[assignment]

# what an id filter of a list can name
Referenced = Literal["article", "story", "entity", "claim_cluster"]
_REFERENCED: dict[str, Table] = {
    "article": articles,
    "story": Story.__table__,  # type: ignore[dict-item]
    "entity": Entity.__table__,  # type: ignore[dict-item]
    "claim_cluster": ClaimCluster.__table__,  # type: ignore[dict-item]
}


async def id_exists(session: Reader, kind: Referenced, id_: int) -> bool:
    """Whether a row of ``kind`` has this id (a primary-key lookup)."""
    table = _REFERENCED[kind]
    stmt = select(table.c.id).where(table.c.id == id_)
    return (await session.execute(stmt)).first() is not None


def page_limit(n: int) -> BindParameter[int]:
    """A LIMIT written into the statement text instead of sent as a parameter.

    With ``LIMIT $n`` PostgreSQL's generic plan for a prepared statement cannot know the
    page size, costs it as "all rows", and so re-plans every execution with a custom plan
    (several ms for a six-way join: 16 ms of a 20 ms claims request at 10k articles). With
    the number inline the generic plan is kept after five runs. Page sizes are few (1–200),
    so this adds at most a few prepared statements per connection.
    """
    return bindparam("page_limit", int(n), literal_execute=True)


def ids_param(name: str, ids: Sequence[int], *, small: bool = False) -> BindParameter[Any]:
    """One array parameter (for ``= ANY``) instead of an IN list of N parameters, so the
    statement text, its prepared statement and its cached plan do not change with N."""
    return bindparam(name, [int(i) for i in ids], type_=ARRAY(Integer if small else BigInteger))


def where_shared_filters(stmt: Any, table: Table, params: Mapping[str, Any]) -> Any:
    """The filters quotes and claims share, for the parameters present: article, story,
    outlets, date range and full text (``table`` has ``article_id``, ``outlet_id``,
    ``published_at`` and ``text``; ``articles`` is joined)."""
    p = partial(shaped.param, params)
    c = table.c
    if "article_id" in params:
        stmt = stmt.where(c.article_id == p("article_id", c.article_id))
    if "story_id" in params:
        stmt = stmt.where(articles.c.story_id == p("story_id", articles.c.story_id))
    if "outlet_ids" in params:
        stmt = stmt.where(c.outlet_id.in_(p("outlet_ids", c.outlet_id, expanding=True)))
    if "since" in params:
        stmt = stmt.where(c.published_at >= p("since", c.published_at))
    if "until" in params:
        stmt = stmt.where(c.published_at < p("until", c.published_at))
    if "q" in params:
        stmt = stmt.where(
            func.to_tsvector(text("'english'::regconfig"), c.text).op("@@")(
                func.websearch_to_tsquery(text("'english'::regconfig"), p("q", c.text))
            )
        )
    return stmt


def current_revision_of_article() -> ColumnElement[bool]:
    """Join condition: the revision is its article's current one."""
    return and_(
        revisions.c.article_id == articles.c.id,
        revisions.c.number == articles.c.current_revision,
    )


def filter_params(flt: Any) -> dict[str, Any]:
    """The bound parameters of a filter dataclass: every field that is set, by its name
    (id sequences as lists of ints: one array parameter each). The statement builders then
    add a condition for each parameter present, so a filter is a field and its condition."""
    params: dict[str, Any] = {}
    for f in fields(flt):
        value = getattr(flt, f.name)
        if value is None:
            continue
        if isinstance(value, list | tuple):
            value = [int(i) for i in value] if f.name.endswith("_ids") else list(value)
        params[f.name] = value
    return params
