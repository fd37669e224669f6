"""orphaned curations: anchor_status 'orphaned' on quotes and claims, indexed for listing

A curated quote or claim whose text a newer revision no longer has is marked 'orphaned'
(it stays on its own revision) instead of only being logged.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KNOWN = "anchor_status IS NULL OR anchor_status IN ('exact', 'moved', 'fuzzy', 'orphaned')"
KNOWN_BEFORE = "anchor_status IS NULL OR anchor_status IN ('exact', 'moved', 'fuzzy')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_claims_anchor_status_known"), "claims", type_="check")
    op.create_check_constraint(op.f("ck_claims_anchor_status_known"), "claims", KNOWN)
    op.create_check_constraint(op.f("ck_quotes_anchor_status_known"), "quotes", KNOWN)
    for table in ("quotes", "claims"):
        op.create_index(
            f"ix_{table}_orphaned_id",
            table,
            ["id"],
            unique=False,
            postgresql_where=sa.text("anchor_status = 'orphaned'"),
        )


def downgrade() -> None:
    for table in ("quotes", "claims"):
        op.drop_index(f"ix_{table}_orphaned_id", table_name=table)
        # before 0006 an orphan was only logged; the span itself was left as it was
        op.execute(f"UPDATE {table} SET anchor_status = NULL WHERE anchor_status = 'orphaned'")
    op.drop_constraint(op.f("ck_quotes_anchor_status_known"), "quotes", type_="check")
    op.drop_constraint(op.f("ck_claims_anchor_status_known"), "claims", type_="check")
    op.create_check_constraint(op.f("ck_claims_anchor_status_known"), "claims", KNOWN_BEFORE)
