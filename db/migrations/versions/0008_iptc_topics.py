"""topics: the IPTC Media Topics tree, custom and user topics, article topics per revision

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02

Loads ``data/0008_iptc_taxonomy.json`` (frozen here: every non-retired IPTC Media Topic of the
2019-04-06 release with its ``medtop:`` code, parent, definition, slug and the classifier's
terms, then the seeds' custom topics under their IPTC parents) into ``topics``. The file was
written from ``nlp.iptc.load_iptc()`` + ``nlp.iptc.load_custom_topics()`` through
``nlp.topics.topic_to_dict`` (plus ``source``); it is read as JSON here, so later changes of the
shipped vocabulary or terms do not change what this migration does (they go through
``article-store topics load``).

Mapping of what is there (migration 0005's 21 topics, user-made topics):

* topics are matched by slug and **updated in place** (same row id), so every claim link,
  curated or not, stays where it was: ``arms-trade`` keeps its claims and now sits under
  ``conflict-war-peace`` as a custom topic, ``human-rights`` gets the code of IPTC's "human
  rights" (0005 had given it the code of "fundamental rights", which is its own topic now);
* a user-made topic whose slug the tree needs becomes that IPTC concept (code, parent,
  definition) and keeps its own name and rules; other user-made topics are left as they are
  (``source`` = ``user``), under the parent they had;
* ``topic_closure`` is rebuilt.

Downgrade: ``article_topics`` goes; the topics this migration added go, except that curated
claim links to them move to their nearest ancestor that stays (0005's topics and user topics),
and user topics under them move up the same way; 0005's topics get 0005's name, parent, code,
description and rules back (from 0005's frozen file).
"""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DATA = Path(__file__).resolve().parents[1] / "data"
TAXONOMY = DATA / "0008_iptc_taxonomy.json"
TAXONOMY_0005 = DATA / "0005_taxonomy.json"

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


def _items(path: Path) -> list[dict[str, Any]]:
    raw = json.loads(path.read_text(encoding="utf-8"))
    items: list[dict[str, Any]] = raw["topics"] if isinstance(raw, dict) else raw
    return items


def _rebuild_closure(conn: sa.Connection) -> None:
    conn.execute(sa.text("DELETE FROM topic_closure"))
    conn.execute(sa.text(REBUILD_CLOSURE))


def _load_tree(conn: sa.Connection) -> None:
    items = _items(TAXONOMY)
    existing = {
        str(r.slug): (int(r.id), str(r.source))
        for r in conn.execute(sa.text("SELECT id, slug, source FROM topics"))
    }
    ids: dict[str, int] = {}
    for item in items:  # parents are set below, once every row exists
        values = {
            "slug": item["slug"],
            "name": item["name"],
            "code": item.get("iptc_code"),
            "description": item.get("description"),
            "rules": json.dumps(item.get("rules") or {}),
            "source": item["source"],
        }
        if item["slug"] in existing:
            topic_id, source = existing[item["slug"]]
            adopted = source == "user"  # 0005's own topics are "custom" by now
            conn.execute(
                sa.text(
                    "UPDATE topics SET external_code = :code, description = :description, "
                    "source = :source"
                    + ("" if adopted else ", name = :name, rules = CAST(:rules AS jsonb)")
                    + " WHERE id = :id"
                ),
                {**values, "id": topic_id},
            )
            ids[item["slug"]] = topic_id
        else:
            ids[item["slug"]] = int(
                conn.execute(
                    sa.text(
                        "INSERT INTO topics (slug, name, external_code, description, rules, "
                        "source) VALUES (:slug, :name, :code, :description, "
                        "CAST(:rules AS jsonb), :source) RETURNING id"
                    ),
                    values,
                ).scalar_one()
            )
    conn.execute(
        sa.text("UPDATE topics SET parent_id = :parent WHERE id = :id"),
        [
            {"id": ids[i["slug"]], "parent": ids[i["parent"]] if i.get("parent") else None}
            for i in items
        ],
    )
    _rebuild_closure(conn)


def _slugs_0005() -> set[str]:
    return {str(i["slug"]) for i in _items(TAXONOMY_0005)}


def upgrade() -> None:
    op.add_column(
        "topics", sa.Column("source", sa.String(length=10), server_default="user", nullable=False)
    )
    op.add_column("topics", sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))
    op.create_check_constraint(
        op.f("ck_topics_source_known"), "topics", "source IN ('iptc', 'custom', 'user')"
    )
    op.create_table(
        "article_topics",
        sa.Column("revision_id", sa.BigInteger(), nullable=False),
        sa.Column("topic_id", sa.BigInteger(), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=True),
        sa.Column("rank", sa.SmallInteger(), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("depth", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint(
            "score >= 0 AND score <= 1", name=op.f("ck_article_topics_score_range")
        ),
        sa.ForeignKeyConstraint(
            ["revision_id"],
            ["article_revisions.id"],
            name=op.f("fk_article_topics_revision_id_article_revisions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["annotation_runs.id"],
            name=op.f("fk_article_topics_run_id_annotation_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["topic_id"],
            ["topics.id"],
            name=op.f("fk_article_topics_topic_id_topics"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("revision_id", "topic_id", name=op.f("pk_article_topics")),
    )
    op.create_index(
        "ix_article_topics_topic_id_revision_id",
        "article_topics",
        ["topic_id", "revision_id"],
        unique=False,
    )
    conn = op.get_bind()
    # 0005's topics were shipped, anything else was made by a user (the column default); the
    # tree below says which of 0005's are IPTC concepts and which custom topics
    conn.execute(
        sa.text("UPDATE topics SET source = 'custom' WHERE slug = ANY(:slugs)"),
        {"slugs": sorted(_slugs_0005())},
    )
    _load_tree(conn)
    op.create_index(
        "uq_topics_iptc_code",
        "topics",
        ["external_code"],
        unique=True,
        postgresql_where=sa.text("source = 'iptc'"),
    )


def downgrade() -> None:
    conn = op.get_bind()
    op.drop_index("uq_topics_iptc_code", table_name="topics", postgresql_where="source = 'iptc'")
    op.drop_index("ix_article_topics_topic_id_revision_id", table_name="article_topics")
    op.drop_table("article_topics")
    old = _items(TAXONOMY_0005)
    keep = sorted(str(i["slug"]) for i in old)
    # The topics 0008 (or a later `topics load`) added: IPTC concepts and custom topics 0005
    # did not have. Rows the upgrade inserted share its transaction's created_at (the most
    # common one among IPTC rows); a user topic it adopted is older, so it stays.
    conn.execute(
        sa.text(
            "CREATE TEMPORARY TABLE doomed ON COMMIT DROP AS "
            "SELECT id FROM topics WHERE source <> 'user' AND NOT slug = ANY(:keep) "
            "AND created_at >= (SELECT created_at FROM topics WHERE source = 'iptc' "
            "GROUP BY created_at ORDER BY count(*) DESC LIMIT 1)"
        ),
        {"keep": keep},
    )
    # each doomed topic's nearest ancestor that stays (none for a doomed root)
    conn.execute(
        sa.text(
            "CREATE TEMPORARY TABLE heir ON COMMIT DROP AS "
            "SELECT DISTINCT ON (c.descendant_id) c.descendant_id AS doomed_id, "
            "c.ancestor_id AS heir_id FROM topic_closure c "
            "JOIN doomed d ON d.id = c.descendant_id "
            "WHERE c.ancestor_id NOT IN (SELECT id FROM doomed) "
            "ORDER BY c.descendant_id, c.depth"
        )
    )
    conn.execute(
        sa.text(
            "INSERT INTO claim_topics (claim_id, topic_id, score, source) "
            "SELECT ct.claim_id, h.heir_id, max(ct.score), 'curated' FROM claim_topics ct "
            "JOIN heir h ON h.doomed_id = ct.topic_id WHERE ct.source = 'curated' "
            "GROUP BY ct.claim_id, h.heir_id "
            "ON CONFLICT (claim_id, topic_id) DO UPDATE SET source = 'curated'"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE topics t SET parent_id = h.heir_id FROM heir h "
            "WHERE t.parent_id = h.doomed_id AND t.id NOT IN (SELECT id FROM doomed)"
        )
    )
    conn.execute(
        sa.text(
            "UPDATE topics SET parent_id = NULL WHERE parent_id IN (SELECT id FROM doomed) "
            "AND id NOT IN (SELECT id FROM doomed)"
        )
    )
    conn.execute(
        sa.text("UPDATE topics SET parent_id = NULL WHERE id IN (SELECT id FROM doomed)")
    )
    conn.execute(sa.text("DELETE FROM topics WHERE id IN (SELECT id FROM doomed)"))
    # 0005's topics as 0005 wrote them (parents first)
    ids = {
        str(r.slug): int(r.id) for r in conn.execute(sa.text("SELECT id, slug FROM topics"))
    }
    for item in old:
        values = {
            "name": item.get("name") or item["slug"],
            "code": item.get("iptc_code"),
            "description": item.get("description"),
            "rules": json.dumps(item.get("rules") or {}),
        }
        if item["slug"] in ids:
            conn.execute(
                sa.text(
                    "UPDATE topics SET name = :name, external_code = :code, "
                    "description = :description, rules = CAST(:rules AS jsonb) WHERE id = :id"
                ),
                {**values, "id": ids[item["slug"]]},
            )
    # (a 0005 topic a user deleted since stays deleted; one whose 0005 parent is gone
    # becomes a root)
    rows = [
        {"id": ids[i["slug"]], "parent": ids.get(i["parent"]) if i.get("parent") else None}
        for i in old
        if i["slug"] in ids
    ]
    if rows:
        conn.execute(sa.text("UPDATE topics SET parent_id = :parent WHERE id = :id"), rows)
    _rebuild_closure(conn)
    op.drop_constraint(op.f("ck_topics_source_known"), "topics", type_="check")
    op.drop_column("topics", "retired_at")
    op.drop_column("topics", "source")
