"""claim clustering queue: revisions whose claims the batched clustering job has to place

Annotation runs no longer put their claims into clusters inside their own transaction (the
step where concurrent workers locked each other's clusters and deadlocked); they queue the
revision here and the single-flight `cluster_claims` job clusters many revisions at once.
Revisions annotated before this migration are already clustered, so the queue starts empty.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "claim_clustering_queue",
        sa.Column("revision_id", sa.BigInteger(), nullable=False),
        sa.Column(
            "queued_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["article_revisions.id"],
            name=op.f("fk_claim_clustering_queue_revision_id_article_revisions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("revision_id", name=op.f("pk_claim_clustering_queue")),
    )


def downgrade() -> None:
    op.drop_table("claim_clustering_queue")
