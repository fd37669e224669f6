"""All SQL about outlets, articles and revisions. Hot reads use Core with explicit columns."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    BindParameter,
    Float,
    Table,
    Text,
    and_,
    any_,
    bindparam,
    func,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import ARRAY, insert
from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Reader
from db.models import AnnotationRun, Article, ArticleRevision, ArticleTopic, Outlet, Topic
from db.repositories import shaped, totals
from db.repositories.filters import (
    current_revision_of_article,
    filter_params,
    ids_param,
    page_limit,
)

articles: Table = Article.__table__  # type: ignore[assignment]
revisions: Table = ArticleRevision.__table__  # type: ignore[assignment]
outlets: Table = Outlet.__table__  # type: ignore[assignment]
article_topics: Table = ArticleTopic.__table__  # type: ignore[assignment]
topics: Table = Topic.__table__  # type: ignore[assignment]
runs: Table = AnnotationRun.__table__  # type: ignore[assignment]

# Rows are SQLAlchemy ``Row`` objects with the selected columns as attributes.
DbRow = Any

ArticleSort = Literal["published", "updated"]
# a page's count column: every row of the listing ("all"), up to N + 1 rows, or none
CountUpTo = Literal["all"] | int | None

ARTICLE_COLUMNS = (
    articles.c.id,
    articles.c.outlet_id,
    outlets.c.name.label("outlet_name"),
    articles.c.url,
    articles.c.external_id,
    articles.c.title,
    articles.c.byline,
    articles.c.published_at,
    articles.c.published_sort,
    articles.c.language,
    articles.c.story_id,
    articles.c.current_revision,
    articles.c.created_at,
    articles.c.updated_at,
)


@dataclass(frozen=True, slots=True)
class ArticleFilter:
    outlet_ids: Sequence[int] | None = None
    since: datetime | None = None
    until: datetime | None = None
    story_id: int | None = None
    has_revisions: bool | None = None
    q: str | None = None  # a web-search style query over title and body
    topic_ids: Sequence[int] | None = None  # the current revision has one of these topics


def _sort_column(sort: ArticleSort) -> Any:
    return articles.c.published_sort if sort == "published" else articles.c.updated_at


def search_query(q: str | BindParameter[Any]) -> Any:
    """The tsquery for ``q`` (web-search syntax: words, "phrases", OR, -exclusion)."""
    return func.websearch_to_tsquery(text("'english'::regconfig"), q)


def _current_revision_join(stmt: Any) -> Any:
    return stmt.join(
        revisions,
        current_revision_of_article(),
    )


def _article_params(flt: ArticleFilter, after: tuple[Any, int] | None = None) -> dict[str, Any]:
    """The bound parameters of a listing (``has_revisions`` is written into the text: part
    of the shape, see :func:`_inline`)."""
    params = filter_params(flt)
    params.pop("has_revisions", None)
    if after is not None:
        params["after_key"], params["after_id"] = after
    return params


def _filtered(stmt: Any, params: shaped.Params, has_revisions: bool | None) -> Any:
    """The filters for the parameters present (from :func:`_article_params`)."""
    p = partial(shaped.param, params)
    if "q" in params:
        query = search_query(p("q", Text))
        stmt = _current_revision_join(stmt).where(revisions.c.search.op("@@")(query))
    if "outlet_ids" in params:
        # an IN list: read in order from the (outlet_id, date, id) index
        stmt = stmt.where(
            articles.c.outlet_id.in_(p("outlet_ids", articles.c.outlet_id, expanding=True))
        )
    if "topic_ids" in params:
        current = (
            select(revisions.c.id)
            .where(current_revision_of_article())
            .scalar_subquery()
            .correlate(articles)
        )
        stmt = stmt.where(
            select(article_topics.c.revision_id)
            .where(
                article_topics.c.revision_id == current,
                article_topics.c.topic_id == any_(p("topic_ids", ARRAY(BigInteger))),
            )
            .exists()
        )
    if "since" in params:
        stmt = stmt.where(articles.c.published_sort >= p("since", articles.c.published_sort))
    if "until" in params:
        stmt = stmt.where(articles.c.published_sort < p("until", articles.c.published_sort))
    if "story_id" in params:
        stmt = stmt.where(articles.c.story_id == p("story_id", articles.c.story_id))
    if has_revisions is not None:
        one: BindParameter[int] = bindparam(
            "first_revision", 1, literal_execute=True
        )  # in the text: a shape
        stmt = stmt.where(
            articles.c.current_revision > one
            if has_revisions
            else articles.c.current_revision == one
        )
    return stmt


# The page's annotation status and ranked topics are columns of the page statement, computed
# for the page's rows only (an outer query over the limited page): one statement instead of
# the page, the items' statuses and the items' topics.
_page_revision = revisions.alias("page_revision")


def _with_status_and_topics(page: Any, order: Sequence[Any], total: Any = None) -> Any:
    """``page`` (a limited select of :data:`ARTICLE_COLUMNS`, maybe more) as a subquery,
    each row followed by its current revision's newest annotation status and its ranked
    topics as an array of (slug, iptc_code, name, score, depth) rows."""
    inner = page.subquery("page")
    status = (
        select(runs.c.status)
        .where(runs.c.revision_id == _page_revision.c.id)
        .order_by(runs.c.id.desc())
        .limit(bindparam("newest_run", 1, literal_execute=True))  # LIMIT 1 in the text
        .scalar_subquery()
        .label("annotation_status")
    )
    ranked_topics = func.array(
        select(
            func.row(
                topics.c.slug,
                topics.c.external_code,
                topics.c.name,
                article_topics.c.score,
                article_topics.c.depth,
            )
        )
        .select_from(article_topics.join(topics, topics.c.id == article_topics.c.topic_id))
        .where(article_topics.c.revision_id == _page_revision.c.id)
        .order_by(article_topics.c.rank)
        .scalar_subquery()
    ).label("topics")
    names = [c.name for c in ARTICLE_COLUMNS]
    extra = [c for c in inner.c if c.name not in names]  # the rank of a search
    return (
        select(
            *(inner.c[n] for n in names),
            status,
            ranked_topics,
            *extra,
            *([] if total is None else [total]),
        )
        .select_from(
            inner.outerjoin(
                _page_revision,
                and_(
                    _page_revision.c.article_id == inner.c.id,
                    _page_revision.c.number == inner.c.current_revision,
                ),
            )
        )
        .order_by(*(inner.c[c].desc() for c in order))
    )


def _total_column(params: shaped.Params, has_revisions: bool | None, count: CountUpTo) -> Any:
    """The listing's count as a column of the page (an InitPlan: counted once), or None.
    ``count``: ``"all"`` rows, or up to that many plus one."""
    if count is None:
        return None
    listing = _listing(
        {k: v for k, v in params.items() if not k.startswith("after_")}, has_revisions
    )
    return (
        totals.count_statement(listing, None if count == "all" else count)
        .scalar_subquery()
        .label("total")
    )


def _articles_page(
    params: shaped.Params,
    sort: ArticleSort,
    limit: int,
    has_revisions: bool | None,
    count: CountUpTo = None,
) -> Any:
    col = _sort_column(sort)
    stmt = select(*ARTICLE_COLUMNS).join(outlets, outlets.c.id == articles.c.outlet_id)
    return _keyset_page(stmt, col, col, params, limit, has_revisions, count)


def _keyset_page(
    stmt: Any,
    key: Any,
    key_type: Any,
    params: shaped.Params,
    limit: int,
    has_revisions: bool | None,
    count: CountUpTo,
) -> Any:
    """``stmt`` filtered, after the cursor's ``(key, id)`` when there is one, newest
    ``(key, id)`` first, one page, with each row's status, topics and the total."""
    stmt = _filtered(stmt, params, has_revisions)
    if "after_key" in params:
        stmt = stmt.where(
            tuple_(key, articles.c.id)
            < tuple_(
                shaped.param(params, "after_key", key_type),
                shaped.param(params, "after_id", articles.c.id),
            )
        )
    page = stmt.order_by(key.desc(), articles.c.id.desc()).limit(page_limit(limit))
    total = _total_column(params, has_revisions, count)
    return _with_status_and_topics(page, (key.name, "id"), total)


PAGE_COLUMNS = (
    *(c.name for c in ARTICLE_COLUMNS),
    "annotation_status",
    "topics",
)


async def find_articles(
    session: Reader,
    flt: ArticleFilter,
    *,
    sort: ArticleSort = "published",
    after: tuple[datetime, int] | None = None,
    limit: int = 50,
    count: CountUpTo = None,
) -> list[DbRow]:
    """Newest first, keyset-paginated on (sort date, id); each row is :data:`PAGE_COLUMNS`
    (the article, its annotation status, its topics), then with ``count`` the listing's
    count (``"all"`` rows or up to ``count + 1``; the same on every row). A hot read:
    built once per shape."""
    return await shaped.fetch_all(
        session,
        "articles.page",
        lambda params: _articles_page(params, sort, limit, flt.has_revisions, count),
        _article_params(flt, after),
        inline=(sort, limit, flt.has_revisions, count),
    )


def _ranked_page(
    params: shaped.Params, limit: int, has_revisions: bool | None, count: CountUpTo = None
) -> Any:
    query = search_query(shaped.param(params, "q", Text))
    rank = func.ts_rank(revisions.c.search, query).label("rank")
    stmt = select(*ARTICLE_COLUMNS, rank).join(outlets, outlets.c.id == articles.c.outlet_id)
    return _keyset_page(stmt, rank, Float, params, limit, has_revisions, count)


async def find_articles_ranked(
    session: Reader,
    flt: ArticleFilter,
    *,
    after: tuple[float, int] | None = None,
    limit: int = 50,
    count: CountUpTo = None,
) -> list[DbRow]:
    """Full-text matches of ``flt.q`` best first (ts_rank, then id), keyset-paginated; each
    row is :data:`PAGE_COLUMNS`, the rank, then with ``count`` the count (see
    :func:`find_articles`)."""
    assert flt.q is not None
    return await shaped.fetch_all(
        session,
        "articles.ranked",
        lambda params: _ranked_page(params, limit, flt.has_revisions, count),
        _article_params(flt, after),
        inline=(limit, flt.has_revisions, count),
    )


def _listing(params: shaped.Params, has_revisions: bool | None) -> Any:
    stmt = select(articles.c.id).join(outlets, outlets.c.id == articles.c.outlet_id)
    return _filtered(stmt, params, has_revisions)


def articles_listing(flt: ArticleFilter) -> shaped.Listing:
    """Every article ``flt`` selects, for its total (db.repositories.totals)."""
    return shaped.Listing(
        "articles.listing",
        partial(_listing, has_revisions=flt.has_revisions),
        _article_params(flt),
        inline=flt.has_revisions,
    )


async def topics_of_articles(session: Reader, article_ids: Sequence[int]) -> list[DbRow]:
    """The ranked topics of each article's current revision (article_id, rank order)."""
    if not article_ids:
        return []
    stmt = (
        select(
            revisions.c.article_id,
            topics.c.slug,
            topics.c.external_code,
            topics.c.name,
            article_topics.c.score,
            article_topics.c.depth,
        )
        .select_from(
            article_topics.join(revisions, revisions.c.id == article_topics.c.revision_id)
            .join(articles, current_revision_of_article())
            .join(topics, topics.c.id == article_topics.c.topic_id)
        )
        .where(revisions.c.article_id == any_(ids_param("article_ids", article_ids)))
        .order_by(revisions.c.article_id, article_topics.c.rank)
    )
    return list((await session.execute(stmt)).all())


async def get_article(session: Reader, article_id: int) -> DbRow | None:
    stmt = (
        select(*ARTICLE_COLUMNS)
        .join(outlets, outlets.c.id == articles.c.outlet_id)
        .where(articles.c.id == article_id)
    )
    return (await session.execute(stmt)).first()


REVISION_META_COLUMNS = (
    revisions.c.id,
    revisions.c.article_id,
    revisions.c.number,
    revisions.c.sha256,
    revisions.c.title,
    revisions.c.byline,
    revisions.c.source_format,
    revisions.c.char_count,
    func.octet_length(revisions.c.body).label("byte_count"),
    revisions.c.similarity_to_previous,
    revisions.c.change_stats,
    revisions.c.fetched_at,
    revisions.c.created_at,
)


async def get_revision(session: Reader, article_id: int, number: int) -> DbRow | None:
    """One revision with its text, raw HTML and fingerprint."""
    stmt = select(
        *REVISION_META_COLUMNS, revisions.c.body, revisions.c.raw_html, revisions.c.fingerprint
    ).where(and_(revisions.c.article_id == article_id, revisions.c.number == number))
    return (await session.execute(stmt)).first()


async def get_revision_texts(
    session: Reader, article_id: int, numbers: Sequence[int]
) -> dict[int, DbRow]:
    """Revisions of one article by number, with their text (not the raw HTML), in one
    statement."""
    stmt = select(*REVISION_META_COLUMNS, revisions.c.body).where(
        revisions.c.article_id == article_id,
        revisions.c.number == any_(ids_param("numbers", numbers, small=True)),
    )
    return {int(r.number): r for r in (await session.execute(stmt)).all()}


async def list_revisions(
    session: Reader, article_id: int, *, after: int | None = None, limit: int = 50
) -> list[DbRow]:
    """Revisions oldest first (by number), without their text."""
    stmt = select(*REVISION_META_COLUMNS).where(revisions.c.article_id == article_id)
    if after is not None:
        stmt = stmt.where(revisions.c.number > after)
    stmt = stmt.order_by(revisions.c.number).limit(page_limit(limit))
    return list((await session.execute(stmt)).all())


async def latest_revision(session: AsyncSession, article_id: int) -> DbRow | None:
    """The newest revision's number, sha256, body and fingerprint."""
    stmt = (
        select(revisions.c.number, revisions.c.sha256, revisions.c.body, revisions.c.fingerprint)
        .where(revisions.c.article_id == article_id)
        .order_by(revisions.c.number.desc())
        .limit(1)
    )
    return (await session.execute(stmt)).first()


async def lock_article(session: AsyncSession, article_id: int) -> DbRow | None:
    """The article row, locked ``FOR UPDATE`` until the transaction ends."""
    stmt = (
        select(articles.c.id, articles.c.current_revision, articles.c.story_id)
        .where(articles.c.id == article_id)
        .with_for_update()
    )
    return (await session.execute(stmt)).first()


async def upsert_outlet(session: AsyncSession, name: str, domain: str | None = None) -> int:
    stmt = (
        insert(outlets)
        .values(name=name, domain=domain)
        .on_conflict_do_update(
            index_elements=[outlets.c.name],
            set_={"domain": func.coalesce(outlets.c.domain, domain)},
        )
        .returning(outlets.c.id)
    )
    return int((await session.execute(stmt)).scalar_one())


async def find_outlet_id(session: AsyncSession, name_or_id: str | int) -> int | None:
    if isinstance(name_or_id, int):
        cond = outlets.c.id == name_or_id
    else:
        cond = func.lower(outlets.c.name) == name_or_id.lower()
    return (await session.execute(select(outlets.c.id).where(cond))).scalar_one_or_none()


async def lock_article_by_identity(
    session: AsyncSession, outlet_id: int, url: str | None, external_id: str | None
) -> DbRow | None:
    """The existing article for this identity, row-locked for the rest of the transaction."""
    conds = []
    if url is not None:
        conds.append(articles.c.url == url)
    if external_id is not None:
        conds.append(articles.c.external_id == external_id)
    stmt = (
        select(articles.c.id, articles.c.current_revision, articles.c.story_id)
        .where(articles.c.outlet_id == outlet_id, or_(*conds))
        .order_by(articles.c.id)
        .limit(1)
        .with_for_update()
    )
    return (await session.execute(stmt)).first()


async def insert_article(session: AsyncSession, values: dict[str, Any]) -> int | None:
    """Insert a new article; None when a concurrent request created the same identity first."""
    stmt = insert(articles).values(**values).on_conflict_do_nothing().returning(articles.c.id)
    return (await session.execute(stmt)).scalar_one_or_none()


async def latest_revision_hash(session: AsyncSession, article_id: int) -> tuple[int, str] | None:
    stmt = (
        select(revisions.c.number, revisions.c.sha256)
        .where(revisions.c.article_id == article_id)
        .order_by(revisions.c.number.desc())
        .limit(1)
    )
    row = (await session.execute(stmt)).first()
    return (int(row.number), str(row.sha256)) if row else None


async def insert_revision(session: AsyncSession, values: dict[str, Any]) -> int:
    stmt = insert(revisions).values(**values).returning(revisions.c.id)
    return int((await session.execute(stmt)).scalar_one())


async def update_article(session: AsyncSession, article_id: int, values: dict[str, Any]) -> None:
    await session.execute(
        articles.update().where(articles.c.id == article_id).values(**values, updated_at=func.now())
    )


async def count_all_articles(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(articles))).scalar_one())


async def outlets_named_or_numbered(
    session: Reader, names: Sequence[str], ids: Sequence[int]
) -> list[DbRow]:
    """``(id, name)`` of the outlets with these names (case-insensitive) or ids."""
    params = {"names": [n.lower() for n in names], "ids": [int(i) for i in ids]}
    return await shaped.fetch_all(session, "outlets.named_or_numbered", _outlets_named, params)


def _outlets_named(params: shaped.Params) -> Any:
    return select(outlets.c.id, outlets.c.name).where(
        or_(
            func.lower(outlets.c.name) == any_(shaped.param(params, "names", ARRAY(Text))),
            outlets.c.id == any_(shaped.param(params, "ids", ARRAY(BigInteger))),
        )
    )


async def find_outlet_name(session: Reader, name: str) -> str | None:
    """The outlet's exact stored name for a case-insensitive match, if there is one."""
    stmt = select(outlets.c.name).where(func.lower(outlets.c.name) == name.strip().lower())
    return (await session.execute(stmt)).scalar_one_or_none()


async def find_outlets(
    session: Reader, *, after: tuple[str, int] | None, limit: int
) -> list[DbRow]:
    """Outlets by name (keyset on (name, id)) with how many articles each has."""
    count = (
        select(func.count())
        .select_from(articles)
        .where(articles.c.outlet_id == outlets.c.id)
        .scalar_subquery()
    )
    stmt = select(outlets.c.id, outlets.c.name, count.label("article_count"))
    if after is not None:
        stmt = stmt.where(tuple_(outlets.c.name, outlets.c.id) > tuple_(after[0], after[1]))
    stmt = stmt.order_by(outlets.c.name, outlets.c.id).limit(limit)
    return list((await session.execute(stmt)).all())
