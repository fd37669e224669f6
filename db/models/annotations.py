"""Machine (and curated) annotations of one revision: entities, mentions, quotes, runs."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, created_at_column

# Where a span stands against its revision's text after re-anchoring (textkit.anchoring);
# "orphaned": a curated span whose text a newer revision no longer has.
ANCHOR_STATUS_KNOWN = (
    "anchor_status IS NULL OR anchor_status IN ('exact', 'moved', 'fuzzy', 'orphaned')"
)

SPAN_CHECKS = (
    CheckConstraint("span_start >= 0 AND span_end >= span_start", name="span_order"),
    CheckConstraint("char_length(text) = span_end - span_start", name="span_text_length"),
)


class Entity(Base):
    """A canonical entity (person, organisation, place…) shared across articles."""

    __tablename__ = "entities"
    __table_args__ = (
        UniqueConstraint("key", "type"),
        Index("ix_entities_name_lower", "normalized_name"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    name: Mapped[str] = mapped_column(Text)
    normalized_name: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(40), index=True)
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("entities.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = created_at_column()


class EntityAlias(Base):
    """A surface form of an entity; ``normalized`` is lower-cased and accent-stripped."""

    __tablename__ = "entity_aliases"
    __table_args__ = (
        UniqueConstraint("entity_id", "alias"),
        Index("ix_entity_aliases_normalized", "normalized", "entity_id"),
        # token search of names ("Miller" finds "matthew miller"): the speaker filter
        Index(
            "ix_entity_aliases_normalized_tsv",
            text("to_tsvector('simple'::regconfig, normalized)"),
            postgresql_using="gin",
        ),
        Index("ix_entity_aliases_entity_id", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    alias: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(20), default="auto", server_default="auto")


class AnnotationRun(Base):
    """One execution of the pipeline over one revision."""

    __tablename__ = "annotation_runs"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'running', 'done', 'failed')", name="status_known"),
        Index("ix_annotation_runs_revision_id_id", "revision_id", "id"),
        Index("ix_annotation_runs_status", "status"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("article_revisions.id", ondelete="CASCADE"))
    pipeline_name: Mapped[str] = mapped_column(String(100))
    pipeline_version: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    error: Mapped[str | None] = mapped_column(Text)
    # what the run left out under the per-revision limits (service/annotation_limits.py)
    limits_applied: Mapped[str | None] = mapped_column(Text)
    queued_at: Mapped[datetime] = created_at_column()
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Mention(Base):
    __tablename__ = "mentions"
    __table_args__ = (
        *SPAN_CHECKS,
        Index("ix_mentions_revision_id_span_start", "revision_id", "span_start"),
        Index("ix_mentions_entity_id", "entity_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("article_revisions.id", ondelete="CASCADE"))
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("annotation_runs.id", ondelete="SET NULL")
    )
    entity_id: Mapped[int] = mapped_column(ForeignKey("entities.id", ondelete="CASCADE"))
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(40))


class Quote(Base):
    """Who said what, where: a direct, indirect or mixed quote in one revision."""

    __tablename__ = "quotes"
    __table_args__ = (
        *SPAN_CHECKS,
        CheckConstraint("kind IN ('direct', 'indirect', 'mixed')", name="kind_known"),
        CheckConstraint("confidence >= 0 AND confidence <= 1", name="confidence_range"),
        Index("ix_quotes_speaker_id_published_at_id", "speaker_id", "published_at", "id"),
        Index("ix_quotes_article_id_span_start", "article_id", "span_start"),
        Index("ix_quotes_revision_id", "revision_id"),
        Index("ix_quotes_outlet_id_published_at_id", "outlet_id", "published_at", "id"),
        Index("ix_quotes_kind_published_at_id", "kind", "published_at", "id"),
        Index("ix_quotes_published_at_id", "published_at", "id"),
        # full-text search inside quotes (`q` on GET /v1/quotes)
        Index(
            "ix_quotes_text_tsv",
            text("to_tsvector('english'::regconfig, text)"),
            postgresql_using="gin",
        ),
        Index(
            "ix_quotes_revision_id_curated",
            "revision_id",
            postgresql_where=text("curated"),
        ),
        CheckConstraint(ANCHOR_STATUS_KNOWN, name="anchor_status_known"),
        # speaker_text= on GET /v1/quotes: word prefixes of how the text names the source
        Index(
            "ix_quotes_speaker_text_tsv",
            text("to_tsvector('simple'::regconfig, speaker_text)"),
            postgresql_using="gin",
        ),
        # curated quotes that could not follow their article's text (GET /v1/quotes/orphans)
        Index("ix_quotes_orphaned_id", "id", postgresql_where=text("anchor_status = 'orphaned'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("article_revisions.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id", ondelete="CASCADE"))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("annotation_runs.id", ondelete="SET NULL")
    )
    kind: Mapped[str] = mapped_column(String(10))
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    speaker_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id", ondelete="SET NULL"))
    speaker_text: Mapped[str | None] = mapped_column(Text)
    speaker_start: Mapped[int | None] = mapped_column(Integer)
    speaker_end: Mapped[int | None] = mapped_column(Integer)
    cue: Mapped[str | None] = mapped_column(String(100))
    confidence: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    pipeline_version: Mapped[str | None] = mapped_column(String(100))
    curated: Mapped[bool] = mapped_column(default=False, server_default="false")
    anchor_prefix: Mapped[str | None] = mapped_column(Text)
    anchor_suffix: Mapped[str | None] = mapped_column(Text)
    anchor_status: Mapped[str | None] = mapped_column(String(10))
    # A curated deletion: the row stays as a tombstone so re-annotation cannot revive it.
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()
