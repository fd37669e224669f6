"""All SQL about reading and curating quotes. Hot reads use Core with explicit columns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Reader
from db.models import Article, ArticleRevision, Entity, Mention, Outlet, Quote
from db.repositories import shaped
from db.repositories.filters import (
    filter_params,
    page_limit,
    where_shared_filters,
)

quotes: Table = Quote.__table__  # type: ignore[assignment]
mentions: Table = Mention.__table__  # type: ignore[assignment]
revisions: Table = ArticleRevision.__table__  # type: ignore[assignment]
articles: Table = Article.__table__  # type: ignore[assignment]
entities: Table = Entity.__table__  # type: ignore[assignment]
outlets: Table = Outlet.__table__  # type: ignore[assignment]

DbRow = Any

# The speaker as clients see it: merges are resolved at read time (one level: a merge
# always points at a surviving entity), so undoing a merge is clearing merged_into_id.
speaker = entities.alias("speaker")
survivor = entities.alias("survivor")
SPEAKER_ID = func.coalesce(speaker.c.merged_into_id, speaker.c.id).label("speaker_id")
SPEAKER_NAME = func.coalesce(survivor.c.name, speaker.c.name).label("speaker_name")

QUOTE_COLUMNS = (
    quotes.c.id,
    quotes.c.article_id,
    revisions.c.number.label("revision"),
    quotes.c.kind,
    quotes.c.text,
    quotes.c.span_start,
    quotes.c.span_end,
    SPEAKER_ID,
    SPEAKER_NAME,
    quotes.c.speaker_text,
    quotes.c.cue,
    quotes.c.confidence,
    quotes.c.curated,
    quotes.c.anchor_status,
    quotes.c.published_at,
    quotes.c.outlet_id,
    # a primary-key lookup per row of a page, no join in the page plan
    select(outlets.c.name)
    .where(outlets.c.id == quotes.c.outlet_id)
    .scalar_subquery()
    .label("outlet_name"),
)


def _with_speaker(stmt: Any) -> Any:
    return stmt.outerjoin(speaker, speaker.c.id == quotes.c.speaker_id).outerjoin(
        survivor, survivor.c.id == speaker.c.merged_into_id
    )


@dataclass(frozen=True, slots=True)
class QuoteFilter:
    speaker_ids: Sequence[int] | None = None  # every entity id (merged ones included)
    speaker_text: str | None = None  # a to_tsquery text (textkit.names.name_prefix_query)
    article_id: int | None = None
    outlet_ids: Sequence[int] | None = None
    kinds: Sequence[str] | None = None
    since: datetime | None = None
    until: datetime | None = None
    q: str | None = None
    story_id: int | None = None


def _quote_params(flt: QuoteFilter, after: tuple[datetime, int] | None) -> dict[str, Any]:
    params = filter_params(flt)
    if after is not None:
        params["after_at"], params["after_id"] = after
    return params


def _quotes_listing(params: shaped.Params) -> Any:
    """Every quote the filters present in ``params`` select (no keyset, order or limit)."""
    stmt = (
        select(*QUOTE_COLUMNS)
        .select_from(quotes)
        .join(revisions, revisions.c.id == quotes.c.revision_id)
        .join(
            articles,
            and_(
                articles.c.id == quotes.c.article_id,
                articles.c.current_revision == revisions.c.number,
            ),
        )
        .where(quotes.c.deleted_at.is_(None))
    )
    stmt = _with_speaker(stmt)
    p = partial(shaped.param, params)
    if "speaker_ids" in params:
        # an IN list, not = ANY: for one speaker PostgreSQL walks the speaker's index in
        # date order and stops after a page (= ANY of an array would sort every quote)
        stmt = stmt.where(
            quotes.c.speaker_id.in_(p("speaker_ids", quotes.c.speaker_id, expanding=True))
        )
    if "speaker_text" in params:
        stmt = stmt.where(
            func.to_tsvector(text("'simple'::regconfig"), quotes.c.speaker_text).op("@@")(
                func.to_tsquery(
                    text("'simple'::regconfig"), p("speaker_text", quotes.c.speaker_text)
                )
            )
        )
    if "kinds" in params:
        stmt = stmt.where(quotes.c.kind.in_(p("kinds", quotes.c.kind, expanding=True)))
    return where_shared_filters(stmt, quotes, params)


def _quotes_page(params: shaped.Params, limit: int) -> Any:
    """The page statement for the parameters present (see :func:`find_quotes`)."""
    stmt = _quotes_listing(params)
    p = partial(shaped.param, params)
    if "after_at" in params:
        stmt = stmt.where(
            tuple_(quotes.c.published_at, quotes.c.id)
            < tuple_(p("after_at", quotes.c.published_at), p("after_id", quotes.c.id))
        )
    return stmt.order_by(quotes.c.published_at.desc(), quotes.c.id.desc()).limit(page_limit(limit))


async def find_quotes(
    session: Reader,
    flt: QuoteFilter,
    *,
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
) -> list[DbRow]:
    """Quotes of each article's current revision, newest first, keyset on (published_at, id).

    Curated deletions (tombstones) are never listed. The hottest read: its statement is
    built once per shape (:mod:`db.repositories.shaped`)."""
    return await shaped.fetch_all(
        session,
        "quotes.page",
        lambda params: _quotes_page(params, limit),
        _quote_params(flt, after),
        inline=limit,
    )


def quotes_listing(flt: QuoteFilter) -> shaped.Listing:
    """Every quote ``flt`` selects, for its total (db.repositories.totals): built only when
    a total is asked for, once per shape."""
    return shaped.Listing("quotes.listing", _quotes_listing, _quote_params(flt, None))


def orphaned_quotes_listing(article_id: int | None) -> Any:
    """Every orphaned curated quote (of the article), for the list and its total."""
    stmt = _with_speaker(
        select(*QUOTE_COLUMNS)
        .select_from(quotes)
        .join(revisions, revisions.c.id == quotes.c.revision_id)
    ).where(quotes.c.anchor_status == "orphaned", quotes.c.deleted_at.is_(None))
    if article_id is not None:
        stmt = stmt.where(quotes.c.article_id == article_id)
    return stmt


async def find_orphaned_quotes(
    session: Reader, article_id: int | None, after_id: int | None, limit: int
) -> list[DbRow]:
    """Curated quotes a newer revision could not carry (anchor_status 'orphaned'), newest
    first by id (keyset), tombstones excluded."""
    stmt = orphaned_quotes_listing(article_id)
    if after_id is not None:
        stmt = stmt.where(quotes.c.id < after_id)
    stmt = stmt.order_by(quotes.c.id.desc()).limit(limit)
    return list((await session.execute(stmt)).all())


async def get_quote(session: Reader, quote_id: int, *, lock: bool = False) -> DbRow | None:
    """One quote (tombstones included) with its revision body, for curation."""
    stmt = _with_speaker(
        select(
            *QUOTE_COLUMNS,
            quotes.c.revision_id,
            quotes.c.deleted_at,
            revisions.c.body,
        )
        .select_from(quotes)
        .join(revisions, revisions.c.id == quotes.c.revision_id)
    ).where(quotes.c.id == quote_id)
    if lock:
        stmt = stmt.with_for_update(of=quotes)
    return (await session.execute(stmt)).first()


async def update_quote(session: AsyncSession, quote_id: int, values: dict[str, Any]) -> None:
    await session.execute(update(quotes).where(quotes.c.id == quote_id).values(**values))


async def article_exists(session: Reader, article_id: int) -> bool:
    stmt = select(articles.c.id).where(articles.c.id == article_id)
    return (await session.execute(stmt)).first() is not None


def quotes_of_revision(revision_id: ColumnElement[int]) -> Any:
    """A revision's quotes (``QUOTE_COLUMNS``) in text order, deleted ones excluded;
    ``revision_id``: a bound value or the column of an enclosing statement."""
    joined = (
        quotes.join(revisions, revisions.c.id == quotes.c.revision_id)
        .outerjoin(speaker, speaker.c.id == quotes.c.speaker_id)
        .outerjoin(survivor, survivor.c.id == speaker.c.merged_into_id)
    )
    return (
        select(*QUOTE_COLUMNS)
        .select_from(joined)
        .where(quotes.c.revision_id == revision_id, quotes.c.deleted_at.is_(None))
        .order_by(quotes.c.span_start, quotes.c.id)
    )


_ent = entities.alias("ent")
_surv = entities.alias("surv")
# a mention and the entity it refers to, merges resolved (one level, as for speakers)
MENTION_COLUMNS = (
    mentions.c.id,
    mentions.c.span_start,
    mentions.c.span_end,
    mentions.c.text,
    mentions.c.label,
    func.coalesce(_ent.c.merged_into_id, _ent.c.id).label("entity_id"),
    func.coalesce(_surv.c.name, _ent.c.name).label("entity_name"),
    func.coalesce(_surv.c.type, _ent.c.type).label("entity_type"),
)


def mentions_of_revision(revision_id: ColumnElement[int]) -> Any:
    """A revision's entity mentions (``MENTION_COLUMNS``) in text order."""
    return (
        select(*MENTION_COLUMNS)
        .select_from(
            mentions.join(_ent, _ent.c.id == mentions.c.entity_id).outerjoin(
                _surv, _surv.c.id == _ent.c.merged_into_id
            )
        )
        .where(mentions.c.revision_id == revision_id)
        .order_by(mentions.c.span_start, mentions.c.id)
    )
