"""ingest search and stories

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 19:49:11.394357
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "article_lsh_bands",
        sa.Column("band", sa.SmallInteger(), nullable=False),
        sa.Column("bucket", sa.BigInteger(), nullable=False),
        sa.Column("article_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"],
            ["articles.id"],
            name=op.f("fk_article_lsh_bands_article_id_articles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("band", "bucket", "article_id", name=op.f("pk_article_lsh_bands")),
    )
    op.create_index(
        "ix_article_lsh_bands_article_id", "article_lsh_bands", ["article_id"], unique=False
    )
    op.add_column(
        "article_revisions",
        sa.Column("change_stats", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column(
        "article_revisions",
        sa.Column(
            "search",
            postgresql.TSVECTOR(),
            sa.Computed(
                "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A') || setweight(to_tsvector('english'::regconfig, left(body, 500000)), 'B')",
                persisted=True,
            ),
            nullable=False,
        ),
    )
    op.create_index(
        "ix_article_revisions_search",
        "article_revisions",
        ["search"],
        unique=False,
        postgresql_using="gin",
    )
    op.add_column(
        "articles", sa.Column("story_locked", sa.Boolean(), server_default="false", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("articles", "story_locked")
    op.drop_index(
        "ix_article_revisions_search", table_name="article_revisions", postgresql_using="gin"
    )
    op.drop_column("article_revisions", "search")
    op.drop_column("article_revisions", "change_stats")
    op.drop_index("ix_article_lsh_bands_article_id", table_name="article_lsh_bands")
    op.drop_table("article_lsh_bands")
