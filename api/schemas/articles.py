"""Article schemas: what the API reads and returns (ORM models stay in db/)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

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


class ArticleDetail(ArticleRead):
    """An article with the text of its current revision."""

    body: str = Field(description="The current revision's text, verbatim.")
    sha256: str | None = Field(description="sha256 of the body with line endings normalised.")


class ArticlePage(BaseModel):
    """One page of articles. Pass `next_cursor` back as `cursor` for the next page."""

    items: list[ArticleRead]
    next_cursor: str | None = Field(description="Opaque; null on the last page.")
    total: int | None = Field(
        default=None,
        description="Only with `Prefer: count=exact` (exact, slower) or `count=estimated`.",
    )
    total_is_estimate: bool | None = None
