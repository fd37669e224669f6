"""Article schemas: what the API reads and returns (ORM models stay in db/)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictStr

from api.schemas.common import BodyId, JsonDateTime, Total, TotalIsEstimate

EXAMPLE_ARTICLE: dict[str, Any] = {
    "id": 1,
    "outlet": {"id": 1, "name": "Stars and Stripes"},
    "url": None,
    "external_id": "seed-e96bd463a1726657",
    "title": "Kim's visit to Russia is no 'social gathering' ...",
    "byline": "David Choi",
    "published_at": "2023-09-12T03:00:00Z",
    "language": "en",
    "story_id": None,
    "revision": 1,
    "created_at": "2026-11-23T19:40:00Z",
    "updated_at": "2026-11-23T19:40:00Z",
}


class OutletRef(BaseModel):
    id: int
    name: str


AnnotationStatusValue = Literal["pending", "running", "done", "failed"]


class ArticleRead(BaseModel):
    """An article's metadata and its current revision number."""

    model_config = ConfigDict(json_schema_extra={"example": EXAMPLE_ARTICLE})

    id: int = Field(description="Stable article id.")
    outlet: OutletRef
    url: str | None = Field(description="Normalised canonical URL, if known.")
    external_id: str | None = Field(description="The publisher's or client's own id.")
    title: str | None
    byline: str | None
    published_at: datetime | None = Field(description="Publication time (UTC), if known.")
    language: str | None = Field(description="BCP 47 language tag, e.g. `en`.")
    story_id: int | None = Field(description="The story grouping versions of this report.")
    revision: int = Field(description="The current (latest) revision number, from 1.")
    created_at: datetime
    updated_at: datetime


class ArticleTopicRef(BaseModel):
    """A topic the article's current revision is about, as its annotation ranked it."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "slug": "soccer",
                "iptc_code": "medtop:20001065",
                "name": "Soccer",
                "score": 0.71,
                "depth": 1,
            }
        }
    )

    slug: str
    iptc_code: str | None = Field(description="IPTC Media Topics code; null for a custom topic.")
    name: str
    score: float = Field(description="Share of the article's topical evidence, 0–1.")
    depth: int = Field(
        description="0: a top-level topic; deeper: the most specific topic the text supports "
        "under the top-level topic listed before it."
    )


ArticleTopics: Any = Field(
    default_factory=list,
    description="Ranked topics of the current revision (empty until it is annotated): each "
    "top-level topic followed by its most specific one. `GET /v1/articles?topic=` filters.",
)


class AnnotationState(BaseModel):
    """Where the annotation of the article's current revision stands."""

    status: Literal["pending", "running", "done", "failed"] | None = Field(
        description="null when the revision was never queued for annotation."
    )
    pipeline_version: str | None = Field(description="The pipeline that produced the set.")
    error: str | None = Field(default=None, description="Why the last run failed.")
    limits_applied: str | None = Field(
        default=None,
        description="Set when the run stored only part of what the pipeline found (more "
        "entities, mentions, quotes or claims than one revision may keep): what was left out.",
    )
    queued_at: datetime | None = None
    finished_at: datetime | None = None


class ArticleDetail(ArticleRead):
    """An article with the text of its current revision and its annotation status."""

    body: str = Field(description="The current revision's text, verbatim.")
    sha256: str | None = Field(description="sha256 of the body with line endings normalised.")
    annotation_status: AnnotationStatusValue | None = Field(
        default=None, description="Status of the current revision's latest annotation run."
    )
    annotation: AnnotationState | None = None
    topics: list[ArticleTopicRef] = ArticleTopics


class AnnotationQueued(BaseModel):
    """A re-annotation was queued."""

    article_id: int
    revision: int
    run_id: int
    status: Literal["pending"] = "pending"


class ArticleListItem(ArticleRead):
    """An article in a list: its metadata, where its annotation stands and its topics."""

    annotation_status: AnnotationStatusValue | None = Field(
        default=None, description="Status of the current revision's latest annotation run."
    )
    topics: list[ArticleTopicRef] = ArticleTopics


class ArticlePage(BaseModel):
    """One page of articles. Pass `next_cursor` back as `cursor` for the next page."""

    items: list[ArticleListItem]
    next_cursor: str | None = Field(description="Opaque; null on the last page.")
    total: Total = None
    total_is_estimate: TotalIsEstimate = None


# --- writes ----------------------------------------------------------------------------

EXAMPLE_CREATE: dict[str, Any] = {
    "outlet": "Associated Press",
    "url": "https://apnews.com/article/north-korea-kim-russia-putin?utm_source=feed",
    "title": "North Korea's Kim departs for Russia for a meeting with Putin",
    "byline": "Hyung-Jin Kim",
    "published_at": "2023-09-11T20:00:00Z",
    "language": "en",
    "body": "SEOUL, South Korea (AP) — North Korean leader Kim Jong Un departed for Russia…",
}


class ArticleCreate(BaseModel):
    """One article to ingest: identity (outlet + url and/or external_id), metadata, and
    the text as plain `body` or as a full page in `html` (main text extracted)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": EXAMPLE_CREATE})

    outlet: StrictStr | BodyId = Field(
        description="Outlet name (created on first use) or the id of an existing outlet.",
        examples=["Associated Press", 2],
    )
    url: str | None = Field(
        default=None,
        max_length=4000,
        description="Canonical URL; normalised (scheme/host case, tracking parameters, "
        "trailing slash) to identify the article.",
    )
    external_id: str | None = Field(
        default=None, max_length=500, description="The publisher's or your own id."
    )
    title: str | None = Field(default=None, max_length=2000)
    byline: str | None = Field(default=None, max_length=2000)
    published_at: JsonDateTime | None = Field(default=None, description="ISO 8601; UTC if no zone.")
    language: str | None = Field(default=None, max_length=35, description="BCP 47 tag.")
    body: str | None = Field(
        default=None, description="Plain text, stored verbatim. Exactly one of body/html."
    )
    html: str | None = Field(
        default=None,
        description="A full HTML page: main text and metadata are extracted (trafilatura) "
        "and the raw HTML is kept on the revision. Exactly one of body/html.",
    )
    fetched_at: JsonDateTime | None = Field(default=None, description="When you fetched the text.")


class ArticleRevise(BaseModel):
    """A new text for an existing article (`PUT` with `If-Match`)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"body": "The corrected text…", "title": "New title"}},
    )

    body: str | None = Field(default=None, description="Plain text. Exactly one of body/html.")
    html: str | None = Field(default=None, description="A full HTML page. One of body/html.")
    title: str | None = Field(default=None, max_length=2000)
    byline: str | None = Field(default=None, max_length=2000)
    published_at: JsonDateTime | None = None
    language: str | None = Field(default=None, max_length=35)
    fetched_at: JsonDateTime | None = None


WriteStatus = Literal["created", "revised", "unchanged"]


class ArticleWritten(ArticleRead):
    """The article after a write, and what the write did."""

    result: WriteStatus = Field(
        description="`created` (new article), `revised` (new revision) or `unchanged` "
        "(byte-identical body after normalising line endings: nothing was stored)."
    )
    etag: str = Field(description="The article's ETag, also in the `ETag` header.")


class ArticleBatch(BaseModel):
    """Up to 1,000 articles; each is stored or rejected on its own (all-or-nothing per item)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"items": [EXAMPLE_CREATE]}}
    )

    items: list[ArticleCreate] = Field(min_length=1, max_length=1000)


class BatchItemError(BaseModel):
    status: int = Field(description="The HTTP status this item would have had alone.")
    title: str
    detail: str
    type: str


class BatchItemResult(BaseModel):
    index: int = Field(description="Position of the item in the request.")
    result: WriteStatus | Literal["error"]
    article_id: int | None = None
    revision: int | None = None
    etag: str | None = None
    error: BatchItemError | None = None


class BatchSummary(BaseModel):
    created: int
    revised: int
    unchanged: int
    failed: int


class BatchResult(BaseModel):
    results: list[BatchItemResult]
    summary: BatchSummary


# --- revisions -------------------------------------------------------------------------


class ChangeStats(BaseModel):
    """Word-diff statistics against the previous revision."""

    words_added: int
    words_removed: int
    sentences_added: int
    sentences_removed: int
    sentences_changed: int
    sentences_moved: int
    similarity: float = Field(description="Share of words unchanged, 0–1.")


class RevisionRead(BaseModel):
    number: int = Field(description="1 for the first text, then 2, 3…")
    sha256: str = Field(description="sha256 of the text with line endings normalised.")
    char_count: int = Field(description="Length in Unicode code points.")
    byte_count: int = Field(description="Length in UTF-8 bytes.")
    title: str | None
    byline: str | None
    source_format: Literal["text", "html"]
    similarity_to_previous: float | None
    change_stats: ChangeStats | None = Field(description="Against the previous revision.")
    fetched_at: datetime | None
    created_at: datetime


class RevisionPage(BaseModel):
    items: list[RevisionRead]
    next_cursor: str | None


class RevisionDetail(RevisionRead):
    article_id: int
    body: str = Field(description="The revision's text, verbatim.")
    raw_html: str | None = Field(description="The page as received, for HTML ingests.")


class RelatedArticle(BaseModel):
    article: ArticleRead
    score: float = Field(description="How related the two texts are (0–1), best first.")
    version_similarity: float = Field(
        description="Estimated shingle overlap: high for versions of one report, low for rewrites."
    )
    same_story: bool = Field(description="True when both articles are in one story.")


class RelatedList(BaseModel):
    items: list[RelatedArticle]
