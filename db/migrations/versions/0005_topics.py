"""topics: the shipped taxonomy, a topic closure, claim clusters, claim curation and search

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25

Loads ``nlp/data/taxonomy.json`` into ``topics`` (IPTC code in ``external_code``, the matching
rules in ``rules``) and fills ``topic_closure`` from it. The file is read as JSON here, not
through ``nlp``, so this migration does not change when the code does; later taxonomy changes
go through the API or ``article-store topics load``.
"""

import json
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The taxonomy as it was when this migration was written (frozen: later edits of the shipped
# taxonomy must not change what an old migration does).
TAXONOMY = Path(__file__).resolve().parents[1] / "data" / "0005_taxonomy.json"

REBUILD_CLOSURE = """
INSERT INTO topic_closure (ancestor_id, descendant_id, depth)
WITH RECURSIVE up(ancestor_id, descendant_id, depth) AS (
    SELECT id, id, 0 FROM topics
    UNION ALL
    SELECT t.parent_id, up.descendant_id, up.depth + 1
    FROM up JOIN topics t ON t.id = up.ancestor_id
    WHERE t.parent_id IS NOT NULL AND up.depth < 64
)
SELECT ancestor_id, descendant_id, depth FROM up
"""


def _load_taxonomy() -> None:
    raw = json.loads(TAXONOMY.read_text(encoding="utf-8"))
    items = raw["topics"] if isinstance(raw, dict) else raw
    conn = op.get_bind()
    ids: dict[str, int] = {}
    # parents first: the file lists them first, but do not rely on it
    pending = list(items)
    while pending:
        progressed = False
        for item in list(pending):
            parent = item.get("parent")
            if parent is not None and parent not in ids:
                continue
            row = conn.execute(
                sa.text(
                    "INSERT INTO topics (slug, name, parent_id, external_code, description, rules) "
                    "VALUES (:slug, :name, :parent_id, :code, :description, "
                    "CAST(:rules AS jsonb)) "
                    "ON CONFLICT (slug) DO UPDATE SET slug = EXCLUDED.slug RETURNING id"
                ),
                {
                    "slug": item["slug"],
                    "name": item.get("name") or item["slug"],
                    "parent_id": ids[parent] if parent is not None else None,
                    "code": item.get("iptc_code"),
                    "description": item.get("description"),
                    "rules": json.dumps(item.get("rules") or {}),
                },
            ).scalar_one()
            ids[item["slug"]] = int(row)
            pending.remove(item)
            progressed = True
        if not progressed:
            raise RuntimeError(f"taxonomy has unknown parents: {[i['slug'] for i in pending]}")
    conn.execute(sa.text("DELETE FROM topic_closure"))
    conn.execute(sa.text(REBUILD_CLOSURE))


def upgrade() -> None:
    op.create_table(
        "topic_closure",
        sa.Column("ancestor_id", sa.BigInteger(), nullable=False),
        sa.Column("descendant_id", sa.BigInteger(), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ancestor_id"],
            ["topics.id"],
            name=op.f("fk_topic_closure_ancestor_id_topics"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["descendant_id"],
            ["topics.id"],
            name=op.f("fk_topic_closure_descendant_id_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("ancestor_id", "descendant_id", name=op.f("pk_topic_closure")),
    )
    op.create_index(
        "ix_topic_closure_descendant_id", "topic_closure", ["descendant_id"], unique=False
    )
    op.create_table(
        "claim_clusters",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=False), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_clusters")),
    )
    op.execute("UPDATE claims SET cluster_id = NULL WHERE cluster_id IS NOT NULL")
    op.create_foreign_key(
        op.f("fk_claims_cluster_id_claim_clusters"),
        "claims",
        "claim_clusters",
        ["cluster_id"],
        ["id"],
        ondelete="SET NULL",
    )
    op.add_column(
        "claims", sa.Column("not_a_claim", sa.Boolean(), server_default="false", nullable=False)
    )
    op.add_column(
        "claims", sa.Column("topics_curated", sa.Boolean(), server_default="false", nullable=False)
    )
    op.add_column("claims", sa.Column("anchor_status", sa.String(length=10), nullable=True))
    op.create_check_constraint(
        op.f("ck_claims_anchor_status_known"),
        "claims",
        "anchor_status IS NULL OR anchor_status IN ('exact', 'moved', 'fuzzy')",
    )
    op.create_index(
        "ix_claims_text_tsv",
        "claims",
        [sa.text("to_tsvector('english'::regconfig, text)")],
        unique=False,
        postgresql_using="gin",
    )
    op.create_index(
        "ix_claims_revision_id_curated",
        "claims",
        ["revision_id"],
        unique=False,
        postgresql_where=sa.text("curated"),
    )
    _load_taxonomy()


def downgrade() -> None:
    # the taxonomy this migration loaded goes with it (with every claim-topic link)
    op.execute("TRUNCATE topics, claim_topics, topic_closure")
    op.drop_index("ix_claims_revision_id_curated", table_name="claims")
    op.drop_index("ix_claims_text_tsv", table_name="claims", postgresql_using="gin")
    op.drop_constraint(op.f("ck_claims_anchor_status_known"), "claims", type_="check")
    op.drop_column("claims", "anchor_status")
    op.drop_column("claims", "topics_curated")
    op.drop_column("claims", "not_a_claim")
    op.drop_constraint(op.f("fk_claims_cluster_id_claim_clusters"), "claims", type_="foreignkey")
    op.execute("UPDATE claims SET cluster_id = NULL WHERE cluster_id IS NOT NULL")
    op.drop_table("claim_clusters")
    op.drop_index("ix_topic_closure_descendant_id", table_name="topic_closure")
    op.drop_table("topic_closure")
