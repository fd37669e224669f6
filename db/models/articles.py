"""Outlets, stories, articles and their verbatim revisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Computed,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at_column

# Full-text document of a revision: title weighted A, body B. Only the first 500,000
# characters of the body are indexed so no accepted body can exceed tsvector's 1 MB cap.
SEARCH_DOCUMENT = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('english'::regconfig, left(body, 500000)), 'B')"
)


class Outlet(Base):
    __tablename__ = "outlets"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    domain: Mapped[str | None] = mapped_column(String(253))
    created_at: Mapped[datetime] = created_at_column()


class Story(Base):
    """A group of articles that are versions (or syndicated copies) of one report."""

    __tablename__ = "stories"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    title: Mapped[str | None] = mapped_column(Text)
    confirmed: Mapped[bool] = mapped_column(default=False, server_default="false")
    created_at: Mapped[datetime] = created_at_column()


class Article(Base):
    __tablename__ = "articles"
    __table_args__ = (
        UniqueConstraint("outlet_id", "url"),
        UniqueConstraint("outlet_id", "external_id"),
        CheckConstraint("url IS NOT NULL OR external_id IS NOT NULL", name="has_identity"),
        Index("ix_articles_published_sort_id", "published_sort", "id"),
        Index("ix_articles_updated_at_id", "updated_at", "id"),
        Index("ix_articles_outlet_id_published_sort_id", "outlet_id", "published_sort", "id"),
        Index("ix_articles_story_id", "story_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id", ondelete="RESTRICT"))
    url: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(500))
    title: Mapped[str | None] = mapped_column(Text)
    byline: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    language: Mapped[str | None] = mapped_column(String(35))
    # The date lists sort and filter on: publication date, or arrival when it is unknown.
    published_sort: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), Computed("coalesce(published_at, created_at)", persisted=True)
    )
    story_id: Mapped[int | None] = mapped_column(ForeignKey("stories.id", ondelete="SET NULL"))
    # True once a client confirmed, split or merged the article's story: automatic
    # grouping never moves it again.
    story_locked: Mapped[bool] = mapped_column(default=False, server_default="false")
    current_revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    created_at: Mapped[datetime] = created_at_column()
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), server_default=func.now(), nullable=False
    )


class ArticleRevision(Base):
    """One version of an article's text, stored exactly as received, with its sha256."""

    __tablename__ = "article_revisions"
    __table_args__ = (
        UniqueConstraint("article_id", "number"),
        CheckConstraint("number >= 1", name="number_positive"),
        CheckConstraint("char_length(sha256) = 64", name="sha256_length"),
        CheckConstraint("source_format IN ('text', 'html')", name="source_format"),
        Index("ix_article_revisions_search", "search", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    body: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    title: Mapped[str | None] = mapped_column(Text)
    byline: Mapped[str | None] = mapped_column(Text)
    source_format: Mapped[str] = mapped_column(String(10), default="text", server_default="text")
    raw_html: Mapped[str | None] = mapped_column(Text)
    char_count: Mapped[int] = mapped_column(Integer)
    fingerprint: Mapped[bytes | None] = mapped_column(LargeBinary)
    similarity_to_previous: Mapped[float | None] = mapped_column(Float)
    # Word-diff statistics against the previous revision (None for revision 1).
    change_stats: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    search: Mapped[Any] = mapped_column(
        TSVECTOR, Computed(SEARCH_DOCUMENT, persisted=True), deferred=True
    )
    fetched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


class ArticleLshBand(Base):
    """MinHash LSH buckets of an article's current revision: two articles sharing any
    (band, bucket) are story candidates, found through the primary key index."""

    __tablename__ = "article_lsh_bands"
    __table_args__ = (Index("ix_article_lsh_bands_article_id", "article_id"),)

    band: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    bucket: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )


class StoryGroupingQueue(Base):
    """Articles whose newest revision still has to be fingerprinted and grouped into a story.

    Bulk ingest (service.bulk_ingest) writes a row here instead of grouping each article in
    the request; the ``group_stories`` job takes rows in article id order, many at a time,
    and deletes them in the transaction that groups them (service.stories.group_pending)."""

    __tablename__ = "story_grouping_queue"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    queued_at: Mapped[datetime] = created_at_column()
