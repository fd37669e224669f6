"""Check-worthy claims, the topic taxonomy and the links between them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Identity,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from db.models.annotations import ANCHOR_STATUS_KNOWN, SPAN_CHECKS
from db.models.base import Base, created_at_column

# Where a topic comes from: an IPTC Media Topics concept (``external_code`` is its
# ``medtop:`` code), one of the project's shipped custom topics, or one a user made.
TOPIC_SOURCES = ("iptc", "custom", "user")


class Topic(Base):
    """A node of the hierarchical topic taxonomy: the IPTC Media Topics tree, the shipped
    custom topics under IPTC parents, and user-made topics (``source``)."""

    __tablename__ = "topics"
    __table_args__ = (
        CheckConstraint("source IN ('iptc', 'custom', 'user')", name="source_known"),
        # one row per IPTC concept: `topics load` upserts by code
        Index(
            "uq_topics_iptc_code",
            "external_code",
            unique=True,
            postgresql_where=text("source = 'iptc'"),
        ),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(Text)
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("topics.id", ondelete="RESTRICT"), index=True
    )
    external_code: Mapped[str | None] = mapped_column(String(50), index=True)
    description: Mapped[str | None] = mapped_column(Text)
    rules: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    source: Mapped[str] = mapped_column(String(10), default="user", server_default="user")
    # an IPTC concept a newer release retired: kept with its links, no longer classified under
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = created_at_column()


class TopicClosure(Base):
    """Every (ancestor, descendant) pair of the taxonomy, self pairs at depth 0.

    Maintained by ``service.topics`` on every taxonomy edit, so "claims about a topic and its
    descendants" is one indexed lookup, never a recursive query per request."""

    __tablename__ = "topic_closure"
    __table_args__ = (Index("ix_topic_closure_descendant_id", "descendant_id"),)

    ancestor_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    descendant_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    depth: Mapped[int] = mapped_column(Integer)


class ClaimCluster(Base):
    """The same claim made by several articles: claims point here through ``cluster_id``."""

    __tablename__ = "claim_clusters"

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    created_at: Mapped[datetime] = created_at_column()


class ClaimClusteringQueue(Base):
    """Revisions whose claims still have to join clusters.

    An annotation run writes its claims and a row here in its transaction; the
    ``cluster_claims`` job takes rows in revision id order, many at a time, and deletes them
    in the transaction that clusters them (service.claims.cluster_pending), so clustering is
    one single-flight job instead of a lock-contended step of every annotation job."""

    __tablename__ = "claim_clustering_queue"

    revision_id: Mapped[int] = mapped_column(
        ForeignKey("article_revisions.id", ondelete="CASCADE"), primary_key=True
    )
    queued_at: Mapped[datetime] = created_at_column()


class Claim(Base):
    __tablename__ = "claims"
    __table_args__ = (
        *SPAN_CHECKS,
        CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
        Index("ix_claims_claimant_id_published_at_id", "claimant_id", "published_at", "id"),
        Index("ix_claims_article_id_span_start", "article_id", "span_start"),
        Index("ix_claims_revision_id", "revision_id"),
        Index("ix_claims_outlet_id_published_at_id", "outlet_id", "published_at", "id"),
        Index("ix_claims_published_at_id", "published_at", "id"),
        Index("ix_claims_score_id", "score", "id"),
        Index("ix_claims_cluster_id", "cluster_id"),
        Index(
            "ix_claims_text_tsv",
            text("to_tsvector('english'::regconfig, text)"),
            postgresql_using="gin",
        ),
        Index("ix_claims_revision_id_curated", "revision_id", postgresql_where=text("curated")),
        CheckConstraint(ANCHOR_STATUS_KNOWN, name="anchor_status_known"),
        # curated claims that could not follow their article's text (GET /v1/claims/orphans)
        Index("ix_claims_orphaned_id", "id", postgresql_where=text("anchor_status = 'orphaned'")),
    )

    id: Mapped[int] = mapped_column(BigInteger, Identity(), primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("article_revisions.id", ondelete="CASCADE"))
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"))
    outlet_id: Mapped[int] = mapped_column(ForeignKey("outlets.id", ondelete="CASCADE"))
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("annotation_runs.id", ondelete="SET NULL")
    )
    span_start: Mapped[int] = mapped_column(Integer)
    span_end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    claimant_id: Mapped[int | None] = mapped_column(ForeignKey("entities.id", ondelete="SET NULL"))
    claimant_text: Mapped[str | None] = mapped_column(Text)
    quote_id: Mapped[int | None] = mapped_column(
        ForeignKey("quotes.id", ondelete="SET NULL"), index=True
    )
    score: Mapped[float] = mapped_column(Float)
    features: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    cluster_id: Mapped[int | None] = mapped_column(
        ForeignKey("claim_clusters.id", ondelete="SET NULL")
    )
    pipeline_version: Mapped[str | None] = mapped_column(String(100))
    curated: Mapped[bool] = mapped_column(default=False, server_default="false")
    # curation: a person said "not a claim" (kept as a tombstone so re-annotation does not
    # revive it), or set the topics (then reclassification leaves the claim's links alone)
    not_a_claim: Mapped[bool] = mapped_column(default=False, server_default="false")
    topics_curated: Mapped[bool] = mapped_column(default=False, server_default="false")
    anchor_status: Mapped[str | None] = mapped_column(String(10))
    created_at: Mapped[datetime] = created_at_column()


class ArticleTopic(Base):
    """A topic an article revision is about, ranked (``rank`` 0 first), as the annotation run
    classified it: top-level topics (``depth`` 0) and the most specific topic the text
    supports under each. Replaced with the revision's other machine annotations."""

    __tablename__ = "article_topics"
    __table_args__ = (
        CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
        Index("ix_article_topics_topic_id_revision_id", "topic_id", "revision_id"),
    )

    revision_id: Mapped[int] = mapped_column(
        ForeignKey("article_revisions.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    run_id: Mapped[int | None] = mapped_column(
        ForeignKey("annotation_runs.id", ondelete="SET NULL")
    )
    rank: Mapped[int] = mapped_column(SmallInteger)
    score: Mapped[float] = mapped_column(Float)
    depth: Mapped[int] = mapped_column(SmallInteger)


class ClaimTopic(Base):
    __tablename__ = "claim_topics"
    __table_args__ = (
        CheckConstraint("source IN ('auto', 'curated')", name="source_known"),
        Index("ix_claim_topics_topic_id_claim_id", "topic_id", "claim_id"),
    )

    claim_id: Mapped[int] = mapped_column(
        ForeignKey("claims.id", ondelete="CASCADE"), primary_key=True
    )
    topic_id: Mapped[int] = mapped_column(
        ForeignKey("topics.id", ondelete="CASCADE"), primary_key=True
    )
    score: Mapped[float] = mapped_column(Float, default=1.0, server_default="1")
    source: Mapped[str] = mapped_column(String(10), default="auto", server_default="auto")
