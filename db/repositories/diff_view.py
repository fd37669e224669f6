"""What a diff of two revisions reads: the texts, who published them, and the annotations of
both, in one statement.

``GET /v1/articles/{id}/diff`` sent five statements (the article, both revisions, then the
quotes, the entities and the claims of both); each costs the API more Python than
PostgreSQL takes to answer it. :func:`revisions_to_diff` is one statement: the article
joined to the two revisions by number (the defaults, previous → current, computed in SQL
from ``current_revision``), each revision with its annotations as arrays of rows
(``ARRAY(SELECT ROW(…) … ORDER BY …)``, decoded by asyncpg into tuples of native values).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Integer, Table, any_, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY

from db.engine import Reader
from db.models import Article, ArticleRevision, Claim, Entity, Mention, Outlet, Quote
from db.repositories import shaped

articles: Table = Article.__table__  # type: ignore[assignment]
revisions: Table = ArticleRevision.__table__  # type: ignore[assignment]
outlets: Table = Outlet.__table__  # type: ignore[assignment]
quotes: Table = Quote.__table__  # type: ignore[assignment]
mentions: Table = Mention.__table__  # type: ignore[assignment]
claims: Table = Claim.__table__  # type: ignore[assignment]
entities: Table = Entity.__table__  # type: ignore[assignment]
speakers = entities.alias("speakers")
claimants = entities.alias("claimants")

# The rows of each array, by position (service.diffs unpacks them so):
# quotes (id, kind, text, span_start, span_end, speaker_id, speaker), in text order;
# entities (entity_id, name, type, mentions, first_start), by first mention;
# claims (id, text, span_start, span_end, score, claimant_id, claimant), in text order.
ANNOTATIONS = ("quotes", "entities", "claims")


def _array(stmt: Any) -> ColumnElement[Any]:
    return func.array(stmt.scalar_subquery())


def annotation_columns(revision_id: ColumnElement[int]) -> list[ColumnElement[Any]]:
    """The quotes, entities (mentions grouped by entity) and claims of a revision (a bound
    value or an enclosing statement's column) as three arrays of rows."""
    quote_rows = (
        select(
            func.row(
                quotes.c.id,
                quotes.c.kind,
                quotes.c.text,
                quotes.c.span_start,
                quotes.c.span_end,
                quotes.c.speaker_id,
                func.coalesce(speakers.c.name, quotes.c.speaker_text),
            )
        )
        .select_from(quotes.outerjoin(speakers, speakers.c.id == quotes.c.speaker_id))
        .where(quotes.c.revision_id == revision_id)
        .order_by(quotes.c.span_start, quotes.c.id)
    )
    entity_rows = (
        select(
            func.row(
                mentions.c.entity_id,
                entities.c.name,
                entities.c.type,
                func.count(),
                func.min(mentions.c.span_start),
            )
        )
        .select_from(mentions.join(entities, entities.c.id == mentions.c.entity_id))
        .where(mentions.c.revision_id == revision_id)
        .group_by(mentions.c.entity_id, entities.c.name, entities.c.type)
        .order_by(func.min(mentions.c.span_start))
    )
    claim_rows = (
        select(
            func.row(
                claims.c.id,
                claims.c.text,
                claims.c.span_start,
                claims.c.span_end,
                claims.c.score,
                claims.c.claimant_id,
                func.coalesce(claimants.c.name, claims.c.claimant_text),
            )
        )
        .select_from(claims.outerjoin(claimants, claimants.c.id == claims.c.claimant_id))
        # a claim a curator marked "not a claim" is not one: the diff must not list it
        .where(claims.c.revision_id == revision_id, claims.c.not_a_claim.is_(False))
        .order_by(claims.c.span_start, claims.c.id)
    )
    return [
        _array(quote_rows).label("quotes"),
        _array(entity_rows).label("entities"),
        _array(claim_rows).label("claims"),
    ]


_ONE = literal_column("1", Integer)


def _revisions_to_diff(params: shaped.Params, annotations: bool) -> Any:
    p = shaped.param
    to_n = p(params, "to", revisions.c.number) if "to" in params else articles.c.current_revision
    from_n = (
        p(params, "from", revisions.c.number)
        if "from" in params
        else func.greatest(_ONE, to_n - _ONE)
    )
    joined = articles.join(outlets, outlets.c.id == articles.c.outlet_id).outerjoin(
        revisions,
        (revisions.c.article_id == articles.c.id) & revisions.c.number.in_([from_n, to_n]),
    )
    columns: list[ColumnElement[Any]] = [
        articles.c.id,
        articles.c.current_revision,
        outlets.c.name,
        articles.c.published_at,
        revisions.c.id,
        revisions.c.number,
        revisions.c.sha256,
        revisions.c.title,
        revisions.c.body,
    ]
    if annotations:
        columns += annotation_columns(revisions.c.id)
    return (
        select(*columns)
        .select_from(joined)
        .where(articles.c.id == p(params, "article_id", articles.c.id))
    )


async def revisions_to_diff(
    session: Reader,
    article_id: int,
    from_revision: int | None,
    to_revision: int | None,
    *,
    annotations: bool,
) -> list[Any]:
    """Rows (article id, current revision, outlet name, published_at, revision id, number,
    sha256, title, body[, quotes, entities, claims]) for revisions ``from_revision`` and
    ``to_revision`` of the article (defaults: ``to`` the current one, ``from`` the one
    before it): one row per revision found, one row with a NULL revision if neither is, no
    row if the article does not exist."""
    params: dict[str, Any] = {"article_id": article_id}
    if from_revision is not None:
        params["from"] = from_revision
    if to_revision is not None:
        params["to"] = to_revision
    return await shaped.fetch_all(
        session,
        "diff.revisions",
        lambda ps: _revisions_to_diff(ps, annotations),
        params,
        inline=annotations,
    )


def _annotations_of(params: shaped.Params) -> Any:
    ids = shaped.param(params, "revision_ids", ARRAY(BigInteger))
    return select(revisions.c.id, *annotation_columns(revisions.c.id)).where(
        revisions.c.id == any_(ids)
    )


async def revision_annotations(
    session: Reader, revision_ids: Sequence[int]
) -> dict[int, dict[str, list[tuple[Any, ...]]]]:
    """The quotes, entities and claims stored for each revision (rows as in
    :func:`annotation_columns`), in one statement."""
    rows = await shaped.fetch_all(
        session,
        "diff.annotations",
        _annotations_of,
        {"revision_ids": [int(r) for r in revision_ids]},
    )
    return {int(r[0]): dict(zip(ANNOTATIONS, r[1:], strict=True)) for r in rows}
