"""quote search: name and quote full-text indexes, curated quote tombstones

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("quotes", sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True))
    op.create_index(
        "ix_entity_aliases_normalized_tsv",
        "entity_aliases",
        [sa.text("to_tsvector('simple'::regconfig, normalized)")],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index("ix_entity_aliases_entity_id", "entity_aliases", ["entity_id"], unique=False)
    op.create_index(
        "ix_quotes_text_tsv",
        "quotes",
        [sa.text("to_tsvector('english'::regconfig, text)")],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_quotes_revision_id_curated",
        "quotes",
        ["revision_id"],
        unique=False,
        postgresql_where=sa.text("curated"),
    )


def downgrade() -> None:
    op.drop_index("ix_quotes_revision_id_curated", table_name="quotes")
    op.drop_index("ix_quotes_text_tsv", table_name="quotes", postgresql_using="gin")
    op.drop_index("ix_entity_aliases_entity_id", table_name="entity_aliases")
    op.drop_index(
        "ix_entity_aliases_normalized_tsv", table_name="entity_aliases", postgresql_using="gin"
    )
    op.drop_column("quotes", "deleted_at")
