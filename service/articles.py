"""Article use cases: list, read, ingest. Each public coroutine is one transaction."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from db.repositories import articles as repo
from service.errors import ArticleNotFound, InvalidInput
from service.pagination import Page, decode_cursor, encode_cursor
from service.urls import normalize_url

ArticleSort = Literal["published", "updated"]
CountMode = Literal["exact", "estimated"]


def body_sha256(body: str) -> str:
    """sha256 of the body with line endings normalised (CRLF/CR → LF): the identity of a text."""
    normalized = body.replace("\r\n", "\n").replace("\r", "\n")
    return hashlib.sha256(normalized.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class ArticleInput:
    outlet: str | int
    body: str
    url: str | None = None
    external_id: str | None = None
    title: str | None = None
    byline: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    source_format: Literal["text", "html"] = "text"
    raw_html: str | None = None
    outlet_domain: str | None = None
    fetched_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class IngestResult:
    article_id: int
    revision: int
    revision_id: int | None
    created: bool
    changed: bool


@dataclass(frozen=True, slots=True)
class ArticleListQuery:
    outlet: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    story_id: int | None = None
    has_revisions: bool | None = None
    sort: ArticleSort = "published"
    cursor: str | None = None
    limit: int = 50
    count: CountMode | None = None


def _split_outlets(values: list[str]) -> repo.ArticleFilter:
    ids = [int(v) for v in values if v.isdigit()]
    names = [v for v in values if not v.isdigit()]
    return repo.ArticleFilter(outlet_ids=ids or None, outlet_names=names or None)


async def list_articles(session: AsyncSession, query: ArticleListQuery) -> Page[dict[str, Any]]:
    outlets = _split_outlets(query.outlet)
    flt = repo.ArticleFilter(
        outlet_ids=outlets.outlet_ids,
        outlet_names=outlets.outlet_names,
        since=query.since,
        until=query.until,
        story_id=query.story_id,
        has_revisions=query.has_revisions,
    )
    kind = f"articles:{query.sort}"
    after = decode_cursor(query.cursor, kind, (datetime, int)) if query.cursor else None
    rows = await repo.find_articles(
        session,
        flt,
        sort=query.sort,
        after=after,
        limit=query.limit + 1,
    )
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        key = last.published_sort if query.sort == "published" else last.updated_at
        next_cursor = encode_cursor(kind, (key, last.id))
    total: int | None = None
    if query.count == "exact":
        total = await repo.count_articles(session, flt)
    elif query.count == "estimated":
        total = await repo.estimate_articles(session, flt)
    return Page(
        items=[dict(r._mapping) for r in rows],
        next_cursor=next_cursor,
        total=total,
        total_is_estimate=query.count == "estimated",
    )


async def get_article(session: AsyncSession, article_id: int) -> dict[str, Any]:
    row = await repo.get_article(session, article_id)
    if row is None:
        raise ArticleNotFound(f"no article with id {article_id}", article_id=article_id)
    article = dict(row._mapping)
    revision = await repo.get_revision(session, article_id, row.current_revision)
    article["body"] = revision.body if revision else ""
    article["sha256"] = revision.sha256 if revision else None
    return article


def _validate_text(value: str | None, field_name: str) -> None:
    if value is not None and "\x00" in value:
        raise InvalidInput(f"{field_name} contains a NUL character (U+0000)", field=field_name)


async def ingest_article(session: AsyncSession, data: ArticleInput) -> IngestResult:
    """Create the article, or its next revision when the body changed; no-op when identical.

    Runs inside the caller's transaction; the article row is locked while its next
    revision number is chosen, so concurrent ingests of one article serialise.
    """
    for name in ("body", "title", "byline", "url", "external_id", "raw_html"):
        _validate_text(getattr(data, name), name)
    if data.url is None and data.external_id is None:
        raise InvalidInput("an article needs a url or an external_id", field="url")
    if isinstance(data.outlet, int):
        outlet_id = await repo.find_outlet_id(session, data.outlet)
        if outlet_id is None:
            raise InvalidInput(f"no outlet with id {data.outlet}", field="outlet")
    else:
        outlet_id = await repo.find_outlet_id(session, data.outlet)
        if outlet_id is None:
            outlet_id = await repo.upsert_outlet(session, data.outlet, data.outlet_domain)
    url = normalize_url(data.url) if data.url else None
    sha = body_sha256(data.body)

    existing = await repo.lock_article_by_identity(session, outlet_id, url, data.external_id)
    created = False
    if existing is None:
        article_id = await repo.insert_article(
            session,
            {
                "outlet_id": outlet_id,
                "url": url,
                "external_id": data.external_id,
                "title": data.title,
                "byline": data.byline,
                "published_at": data.published_at,
                "language": data.language,
                "current_revision": 1,
            },
        )
        if article_id is None:  # lost a race: someone inserted it since our lookup
            existing = await repo.lock_article_by_identity(
                session, outlet_id, url, data.external_id
            )
            assert existing is not None
        else:
            created = True
    if existing is not None:
        article_id = int(existing.id)
        latest = await repo.latest_revision_hash(session, article_id)
        if latest is not None and latest[1] == sha:
            return IngestResult(article_id, latest[0], None, created=False, changed=False)
        number = (latest[0] + 1) if latest else 1
    else:
        number = 1
    assert article_id is not None
    revision_id = await repo.insert_revision(
        session,
        {
            "article_id": article_id,
            "number": number,
            "body": data.body,
            "sha256": sha,
            "title": data.title,
            "byline": data.byline,
            "source_format": data.source_format,
            "raw_html": data.raw_html,
            "char_count": len(data.body),
            "fetched_at": data.fetched_at,
        },
    )
    if not created:
        updates: dict[str, Any] = {"current_revision": number}
        for name in ("title", "byline", "published_at", "language"):
            value = getattr(data, name)
            if value is not None:
                updates[name] = value
        await repo.update_article(session, article_id, updates)
    return IngestResult(article_id, number, revision_id, created=created, changed=True)
