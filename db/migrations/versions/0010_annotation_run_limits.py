"""annotation runs record what they left out under the per-revision limits

A run over a revision with more entities, mentions, quotes or claims than the limits allow
(service/annotation_limits.py) stores a part and says so in ``limits_applied``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("annotation_runs", sa.Column("limits_applied", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("annotation_runs", "limits_applied")
