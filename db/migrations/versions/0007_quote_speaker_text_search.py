"""quote speaker-text search: a GIN index of the words of how the text names the source

Backs `speaker_text=` on GET /v1/quotes (quotes from unnamed sources: "a spokeswoman").

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_quotes_speaker_text_tsv",
        "quotes",
        [sa.text("to_tsvector('simple'::regconfig, speaker_text)")],
        unique=False,
        postgresql_using="gin",
    )


def downgrade() -> None:
    op.drop_index("ix_quotes_speaker_text_tsv", table_name="quotes", postgresql_using="gin")
