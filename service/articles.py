"""Article use cases: list, read, ingest. Each public coroutine is one transaction."""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Reader
from db.repositories import articles as repo
from service import annotation, cpu_pool, stories
from service.errors import (
    ArticleNotFound,
    DomainError,
    InvalidCursor,
    InvalidEncoding,
    InvalidHeader,
    InvalidInput,
    PayloadTooLarge,
    PreconditionFailed,
    PreconditionRequired,
    RevisionNotFound,
)
from service.jobs import JobHandOff, unit_of_work
from service.outlets import outlet_filter_ids
from service.pagination import (
    CountMode,
    Page,
    count_up_to,
    decode_cursor,
    encode_cursor,
    listing_kind,
    listing_total,
)
from service.references import require_referenced
from service.topics import resolve_topic_ids
from textkit.urls import normalize_url

DEFAULT_MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_BATCH = 1000
MAX_REVISION = 2**31 - 1

ArticleSort = Literal["published", "updated"]


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
    run_id: int | None = None  # the annotation run to enqueue once the transaction commits

    @property
    def status(self) -> Literal["created", "revised", "unchanged"]:
        if self.created:
            return "created"
        return "revised" if self.changed else "unchanged"

    @property
    def etag(self) -> str:
        return etag_for(self.article_id, self.revision)


@dataclass(frozen=True, slots=True)
class ArticleListQuery:
    outlet: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None
    story_id: int | None = None
    has_revisions: bool | None = None
    q: str | None = None
    topic: str | None = None
    sort: ArticleSort = "published"
    cursor: str | None = None
    limit: int = 50
    count: CountMode | None = None


async def list_articles(session: Reader, query: ArticleListQuery) -> Page[dict[str, Any]]:
    """Articles newest first (or by relevance with ``q``). A filter naming a resource that
    does not exist (outlet, story, topic) is :class:`UnknownFilterValue` (404); ``topic``
    includes descendants, as for GET /v1/claims?topic=."""
    await require_referenced(session, story_id=query.story_id)
    topic_ids = await resolve_topic_ids(session, query.topic) if query.topic is not None else None
    outlet_ids = await outlet_filter_ids(session, query.outlet)
    flt = repo.ArticleFilter(
        outlet_ids=outlet_ids,
        topic_ids=topic_ids,
        since=query.since,
        until=query.until,
        story_id=query.story_id,
        has_revisions=query.has_revisions,
        q=query.q,
    )
    next_cursor = None
    if query.q is not None:
        # Relevance is the order when searching; the cursor carries (rank, id).
        kind = listing_kind("articles:rank", asdict(query))
        ranked_after = decode_cursor(query.cursor, kind, (float, int)) if query.cursor else None
        rows = await repo.find_articles_ranked(
            session, flt, after=ranked_after, limit=query.limit + 1, count=count_up_to(query.count)
        )
        if len(rows) > query.limit:
            rows = rows[: query.limit]
            next_cursor = encode_cursor(kind, (float(rows[-1][_RANK]), rows[-1][_ID]))
    else:
        kind = listing_kind(f"articles:{query.sort}", asdict(query))
        after = decode_cursor(query.cursor, kind, (datetime, int)) if query.cursor else None
        rows = await repo.find_articles(
            session,
            flt,
            sort=query.sort,
            after=after,
            limit=query.limit + 1,
            count=count_up_to(query.count),
        )
        if len(rows) > query.limit:
            rows = rows[: query.limit]
            last = rows[-1]
            key = last[_PUBLISHED_SORT] if query.sort == "published" else last[_UPDATED_AT]
            next_cursor = encode_cursor(kind, (key, last[_ID]))
    # the count is the last column of the page's rows; an empty page counts on its own
    counted = int(rows[0][-1]) if query.count is not None and rows else None
    total, is_estimate = await listing_total(
        session, query.count, repo.articles_listing(flt), counted=counted
    )
    return Page(
        items=[article_list_item(r) for r in rows],
        next_cursor=next_cursor,
        total=total,
        total_is_estimate=is_estimate,
    )


# positions in a row of repo.find_articles (find_articles_ranked: then the rank)
_ID, _PUBLISHED_SORT, _UPDATED_AT, _RANK = 0, 8, 13, 16
if list(repo.PAGE_COLUMNS) != [
    "id",
    "outlet_id",
    "outlet_name",
    "url",
    "external_id",
    "title",
    "byline",
    "published_at",
    "published_sort",
    "language",
    "story_id",
    "current_revision",
    "created_at",
    "updated_at",
    "annotation_status",
    "topics",
]:
    raise RuntimeError("the columns service.articles.article_list_item unpacks have changed")


def article_list_item(row: Any) -> dict[str, Any]:
    """A row of ``repo.find_articles`` (or ``find_articles_ranked``) as an item of the list,
    by position: the ``ArticleListItem`` fields exactly, in order (the route returns it
    without re-validation; tests/api/test_response_shapes.py checks it)."""
    (
        article_id,
        outlet_id,
        outlet_name,
        url,
        external_id,
        title,
        byline,
        published_at,
        _published_sort,
        language,
        story_id,
        current_revision,
        created_at,
        updated_at,
        status,
        topics,
    ) = row[:16]
    return {
        "id": article_id,
        "outlet": {"id": outlet_id, "name": outlet_name},
        "url": url,
        "external_id": external_id,
        "title": title,
        "byline": byline,
        "published_at": published_at,
        "language": language,
        "story_id": story_id,
        "revision": current_revision,
        "created_at": created_at,
        "updated_at": updated_at,
        "annotation_status": status,
        "topics": [
            {"slug": slug, "iptc_code": code, "name": name, "score": score, "depth": depth}
            for slug, code, name, score, depth in topics
        ],
    }


async def article_topics(
    session: Reader, article_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """Each article's ranked topics (its current revision's, as annotated): top-level topics,
    each followed by the most specific topic the text supports under it."""
    out: dict[int, list[dict[str, Any]]] = {}
    for r in await repo.topics_of_articles(session, article_ids):
        out.setdefault(int(r.article_id), []).append(
            {
                "slug": r.slug,
                "iptc_code": r.external_code,
                "name": r.name,
                "score": float(r.score),
                "depth": int(r.depth),
            }
        )
    return out


async def get_article(session: Reader, article_id: int) -> dict[str, Any]:
    row = await repo.get_article(session, article_id)
    if row is None:
        raise ArticleNotFound(f"no article with id {article_id}", article_id=article_id)
    article = dict(row._mapping)
    revision = await repo.get_revision(session, article_id, row.current_revision)
    article["body"] = revision.body if revision else ""
    article["sha256"] = revision.sha256 if revision else None
    article["topics"] = (await article_topics(session, [article_id])).get(article_id, [])
    return article


def etag_for(article_id: int, revision: int) -> str:
    """The article's entity tag: strong, changes with every new revision."""
    return f'"{article_id}-{revision}"'


def _validate_text(value: str | None, field_name: str) -> None:
    if value is None:
        return
    if "\x00" in value:
        raise InvalidInput(f"{field_name} contains a NUL character (U+0000)", field=field_name)
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InvalidEncoding(
            f"{field_name} is not valid UTF-8: unpaired surrogate at code point {exc.start}",
            field=field_name,
        ) from exc


def _validate(data: ArticleInput, max_bytes: int) -> None:
    for name in ("body", "title", "byline", "url", "external_id", "raw_html", "language"):
        _validate_text(getattr(data, name), name)
    if isinstance(data.outlet, str):
        _validate_text(data.outlet, "outlet")
    _validate_text(data.outlet_domain, "outlet_domain")
    size = len(data.body.encode("utf-8"))
    if size > max_bytes:
        raise PayloadTooLarge(
            f"the body is {size} bytes; the limit is {max_bytes}", max_bytes=max_bytes
        )
    if not data.body.strip():
        raise InvalidInput("the body is empty (only whitespace)", field="body")
    for name, limit in _COLUMN_LIMITS:
        value = data.outlet if name == "outlet" else getattr(data, name)
        if isinstance(value, str) and len(value) > limit:
            raise InvalidInput(f"{name} is longer than {limit} characters", field=name)


# Lengths the columns hold (the API's schemas say the same; files and seeds are checked here).
_COLUMN_LIMITS = (("outlet", 200), ("outlet_domain", 253), ("external_id", 500), ("language", 35))


def validate_input(data: ArticleInput, max_bytes: int) -> None:
    """Everything an article must satisfy before any row is written (DomainError if not)."""
    _validate(data, max_bytes)
    if data.url is None and data.external_id is None:
        raise InvalidInput("an article needs a url or an external_id", field="url")


@dataclass(frozen=True, slots=True)
class HtmlExtract:
    text: str
    title: str | None
    byline: str | None
    published_at: datetime | None
    language: str | None


def extract_html(html: str) -> HtmlExtract:
    """Main text and metadata of a full HTML page (trafilatura).

    Raises InvalidInput when the page yields no article text."""
    import trafilatura

    if not html.strip():
        raise InvalidInput("html is empty", field="html")
    doc = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, favor_recall=True
    )
    text = (getattr(doc, "text", None) or "").strip() if doc is not None else ""
    if not text:
        raise InvalidInput(
            "the HTML yields no article text: no main content was found (only markup, "
            "scripts, navigation or boilerplate); send the page with its article, or `body`",
            field="html",
        )
    published = None
    raw_date = getattr(doc, "date", None)
    if raw_date:
        try:
            published = datetime.fromisoformat(raw_date).replace(tzinfo=UTC)
        except ValueError:
            published = None
    return HtmlExtract(
        text=text,
        title=getattr(doc, "title", None) or None,
        byline=getattr(doc, "author", None) or None,
        published_at=published,
        language=getattr(doc, "language", None) or None,
    )


def build_input(
    *,
    outlet: str | int,
    url: str | None = None,
    external_id: str | None = None,
    title: str | None = None,
    byline: str | None = None,
    published_at: datetime | None = None,
    language: str | None = None,
    body: str | None = None,
    html: str | None = None,
    fetched_at: datetime | None = None,
) -> ArticleInput:
    """An ArticleInput from plain text or from a page's HTML (explicit metadata wins)."""
    if (body is None) == (html is None):
        raise InvalidInput("send exactly one of `body` (plain text) or `html`", field="body")
    if html is not None:
        _validate_text(html, "html")
        page = extract_html(html)
        return ArticleInput(
            outlet=outlet,
            url=url,
            external_id=external_id,
            title=title or page.title,
            byline=byline or page.byline,
            published_at=published_at or page.published_at,
            language=language or page.language,
            body=page.text,
            source_format="html",
            raw_html=html,
            fetched_at=fetched_at,
        )
    assert body is not None
    return ArticleInput(
        outlet=outlet,
        url=url,
        external_id=external_id,
        title=title,
        byline=byline,
        published_at=published_at,
        language=language,
        body=body,
        fetched_at=fetched_at,
    )


async def _resolve_outlet(session: AsyncSession, data: ArticleInput) -> int:
    if isinstance(data.outlet, int):
        outlet_id = await repo.find_outlet_id(session, data.outlet)
        if outlet_id is None:
            raise InvalidInput(f"no outlet with id {data.outlet}", field="outlet")
        return outlet_id
    name = data.outlet.strip()
    if not name:
        raise InvalidInput("outlet is empty", field="outlet")
    outlet_id = await repo.find_outlet_id(session, name)
    if outlet_id is None:
        outlet_id = await repo.upsert_outlet(session, name, data.outlet_domain)
    return outlet_id


async def ingest_article(
    session: AsyncSession, data: ArticleInput, *, max_bytes: int = DEFAULT_MAX_BODY_BYTES
) -> IngestResult:
    """Create the article, or its next revision when the body changed; no-op when identical.

    Runs inside the caller's transaction; the article row is locked while its next
    revision number is chosen, so concurrent ingests of one article serialise. The new
    revision is fingerprinted and the article grouped into a story (service.stories).
    """
    validate_input(data, max_bytes)
    outlet_id = await _resolve_outlet(session, data)
    url = normalize_url(data.url) if data.url else None

    existing = await repo.lock_article_by_identity(session, outlet_id, url, data.external_id)
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
        if article_id is not None:
            return await _add_revision(session, article_id, data, created=True)
        # lost a race: someone inserted it since our lookup
        existing = await repo.lock_article_by_identity(session, outlet_id, url, data.external_id)
        assert existing is not None
    return await _add_revision(session, int(existing.id), data, created=False)


async def _add_revision(
    session: AsyncSession, article_id: int, data: ArticleInput, *, created: bool
) -> IngestResult:
    """The next revision of a locked article (or nothing when the text is unchanged)."""
    sha = body_sha256(data.body)
    latest = None if created else await repo.latest_revision(session, article_id)
    if latest is not None and latest.sha256 == sha:
        return IngestResult(article_id, int(latest.number), None, created=False, changed=False)
    number = int(latest.number) + 1 if latest is not None else 1
    change_stats = None
    similarity = None
    if latest is not None:
        # CPU-bound (bounded by the diff budget): in a pool process, off the event loop
        diff_stats = await cpu_pool.run(cpu_pool.diff_stats_job, latest.body, data.body)
        change_stats = diff_stats.to_dict()
        similarity = diff_stats.similarity
    fingerprint = stories.fingerprint_bytes(data.body)
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
            "fingerprint": fingerprint,
            "change_stats": change_stats,
            "similarity_to_previous": similarity,
        },
    )
    if not created:
        updates: dict[str, Any] = {"current_revision": number}
        for name in ("title", "byline", "published_at", "language"):
            value = getattr(data, name)
            if value is not None:
                updates[name] = value
        await repo.update_article(session, article_id, updates)
    await stories.group_article(session, article_id, fingerprint, data.body, title=data.title)
    run_id = await annotation.request_annotation(session, revision_id)
    return IngestResult(
        article_id, number, revision_id, created=created, changed=True, run_id=run_id
    )


# --- use cases: each is one transaction -------------------------------------------------


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    """What a write did, and the article as it is afterwards."""

    result: IngestResult
    article: dict[str, Any]

    @property
    def status(self) -> Literal["created", "revised", "unchanged"]:
        if self.result.created:
            return "created"
        return "revised" if self.result.changed else "unchanged"

    @property
    def etag(self) -> str:
        return etag_for(self.result.article_id, int(self.article["current_revision"]))


async def _article_row(session: AsyncSession, article_id: int) -> dict[str, Any]:
    row = await repo.get_article(session, article_id)
    if row is None:
        raise ArticleNotFound(f"no article with id {article_id}", article_id=article_id)
    return dict(row._mapping)


async def create_article(
    session: AsyncSession,
    data: ArticleInput,
    *,
    max_bytes: int = DEFAULT_MAX_BODY_BYTES,
    jobs: JobHandOff | None = None,
) -> WriteOutcome:
    """Ingest one article in its own transaction (all or nothing); its annotation run goes to
    the queue once the transaction committed."""
    async with unit_of_work(session, jobs) as pending:
        result = await ingest_article(session, data, max_bytes=max_bytes)
        pending.annotate(result.run_id)
        return WriteOutcome(result, await _article_row(session, result.article_id))


_ENTITY_TAG = re.compile(r'\s*(\*|(?:W/)?"[\x21\x23-\x7e]*")\s*')


def _parse_if_match(if_match: str) -> list[str]:
    """The entity tags of an If-Match header (RFC 9110 §13.1.1): ``*`` or a comma-separated
    list of quoted tags. Weak tags (``W/"…"``) are kept as written: If-Match compares
    strongly, so a weak tag never matches. Anything else is :class:`InvalidHeader` (400)."""
    tags = []
    for part in if_match.split(","):
        m = _ENTITY_TAG.fullmatch(part)
        if m is None:
            raise InvalidHeader(
                f"If-Match {if_match!r} is not an entity tag: send the ETag exactly as "
                'received, e.g. "12-3" with its double quotes (or *)',
                header="If-Match",
            )
        tags.append(m.group(1))
    return tags


@dataclass(frozen=True, slots=True)
class RevisionInput:
    """A new text (and optional metadata) for an existing article, as sent to PUT."""

    body: str | None = None
    html: str | None = None
    title: str | None = None
    byline: str | None = None
    published_at: datetime | None = None
    language: str | None = None
    fetched_at: datetime | None = None


async def replace_article_text(
    session: AsyncSession,
    article_id: int,
    if_match: str | None,
    change: RevisionInput,
    *,
    max_bytes: int = DEFAULT_MAX_BODY_BYTES,
    jobs: JobHandOff | None = None,
) -> WriteOutcome:
    """PUT semantics: a new revision only if ``if_match`` names the current one.

    The article row is locked before the ETag is compared, so of many concurrent
    requests with the same ETag exactly one succeeds; the rest get PreconditionFailed.
    """
    if not if_match:
        raise PreconditionRequired(
            "send If-Match with the article's current ETag (from GET or the last write) "
            "so a concurrent edit is never overwritten"
        )
    tags = _parse_if_match(if_match)
    async with unit_of_work(session, jobs) as pending:
        locked = await repo.lock_article(session, article_id)
        if locked is None:
            raise ArticleNotFound(f"no article with id {article_id}", article_id=article_id)
        current = etag_for(article_id, int(locked.current_revision))
        if "*" not in tags and current not in tags:
            raise PreconditionFailed(
                f"the article changed: If-Match {if_match} is stale, the current ETag is "
                f"{current}; GET the article, reapply your change and retry",
                current_etag=current,
            )
        row = await _article_row(session, article_id)
        data = build_input(
            outlet=int(row["outlet_id"]),
            url=row["url"],
            external_id=row["external_id"],
            title=change.title,
            byline=change.byline,
            published_at=change.published_at,
            language=change.language,
            body=change.body,
            html=change.html,
            fetched_at=change.fetched_at,
        )
        _validate(data, max_bytes)
        result = await _add_revision(session, article_id, data, created=False)
        pending.annotate(result.run_id)
        return WriteOutcome(result, await _article_row(session, article_id))


@dataclass(frozen=True, slots=True)
class BatchItemResult:
    index: int
    outcome: IngestResult | None = None
    error: DomainError | None = None


async def ingest_batch(
    session: AsyncSession,
    items: list[ArticleInput | DomainError],
    *,
    max_bytes: int = DEFAULT_MAX_BODY_BYTES,
    jobs: JobHandOff | None = None,
    max_items: int = MAX_BATCH,
) -> list[BatchItemResult]:
    """Ingest many articles in one transaction (service.bulk_ingest: set-based statements and
    one COPY); bad items are reported one by one and nothing of them is written.

    Items that already failed to parse are passed as their DomainError and reported. Story
    grouping is left to the batched ``group_stories`` job; the annotation runs go to the
    queue once the transaction committed."""
    from service.bulk_ingest import ingest_many

    if len(items) > max_items:
        raise InvalidInput(f"a batch holds at most {max_items} articles", field="items")
    results: list[BatchItemResult] = []
    async with unit_of_work(session, jobs) as pending:
        written = await ingest_many(session, list(items), max_bytes=max_bytes)
        for index, w in enumerate(written):
            if isinstance(w, DomainError):
                results.append(BatchItemResult(index, error=w))
                continue
            pending.annotate(w.run_id)
            if w.changed:
                pending.group_stories()
            results.append(
                BatchItemResult(
                    index,
                    outcome=IngestResult(
                        w.article_id, w.revision, w.revision_id, w.created, w.changed, w.run_id
                    ),
                )
            )
    return results


# --- revisions -------------------------------------------------------------------------


async def list_revisions(
    session: Reader, article_id: int, *, cursor: str | None, limit: int
) -> Page[dict[str, Any]]:
    if await repo.get_article(session, article_id) is None:
        raise ArticleNotFound(f"no article with id {article_id}", article_id=article_id)
    kind = "revisions"
    after = decode_cursor(cursor, kind, (int,))[0] if cursor else None
    if after is not None and not 0 <= after <= MAX_REVISION:  # revision numbers are int4
        raise InvalidCursor("cursor is corrupted", parameter="cursor")
    rows = await repo.list_revisions(session, article_id, after=after, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = encode_cursor(kind, (rows[-1].number,))
    return Page(items=[dict(r._mapping) for r in rows], next_cursor=next_cursor)


async def get_revision(session: Reader, article_id: int, number: int) -> dict[str, Any]:
    row = await repo.get_revision(session, article_id, number)
    if row is None:
        if await repo.get_article(session, article_id) is None:
            raise ArticleNotFound(f"no article with id {article_id}", article_id=article_id)
        raise RevisionNotFound(
            f"article {article_id} has no revision {number}",
            article_id=article_id,
            revision=number,
        )
    return dict(row._mapping)
