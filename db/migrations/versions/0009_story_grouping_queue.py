"""story grouping queue: articles bulk ingest left for the batched story-grouping job

Bulk ingest (`article-store ingest`, POST /v1/articles:batch) no longer fingerprints and
groups each article inside its transaction; it queues the article here and the
`group_stories` job groups many at once.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "story_grouping_queue",
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "queued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_story_grouping_queue_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("article_id", name=op.f("pk_story_grouping_queue")),
    )


def downgrade() -> None:
    op.drop_table("story_grouping_queue")
