"""The hot read queries in plain SQL: what the floor server runs and what `EXPLAIN` shows.

Each mirrors the statement the API's repository builds for the same request (same joins,
filters, order and limit), so the floor measures the database plus the least possible
Python, and the plans below are the API's plans.
"""

from __future__ import annotations

SPEAKER_IDS = """
WITH roots AS (
  SELECT coalesce(e.merged_into_id, e.id) AS id
  FROM entity_aliases a JOIN entities e ON e.id = a.entity_id
  WHERE to_tsvector('simple'::regconfig, a.normalized)
        @@ plainto_tsquery('simple'::regconfig, $1)
)
SELECT id FROM entities WHERE id IN (SELECT id FROM roots)
UNION
SELECT id FROM entities WHERE merged_into_id IN (SELECT id FROM roots)
"""

_QUOTES = """
SELECT q.id, q.article_id, r.number AS revision, q.kind, q.text, q.span_start, q.span_end,
       coalesce(sp.merged_into_id, sp.id) AS speaker_id,
       coalesce(sv.name, sp.name) AS speaker_name, q.speaker_text, q.cue, q.confidence,
       q.curated, q.anchor_status, q.published_at, q.outlet_id
FROM quotes q
JOIN article_revisions r ON r.id = q.revision_id
JOIN articles a ON a.id = q.article_id AND a.current_revision = r.number
LEFT JOIN entities sp ON sp.id = q.speaker_id
LEFT JOIN entities sv ON sv.id = sp.merged_into_id
WHERE q.deleted_at IS NULL AND q.speaker_id = ANY($1::bigint[]) {extra}
ORDER BY q.published_at DESC, q.id DESC
LIMIT $2
"""
QUOTES_BY_SPEAKER = _QUOTES.format(extra="")
QUOTES_BY_SPEAKER_RANGE = _QUOTES.format(extra="AND q.published_at >= $3 AND q.published_at < $4")

CLAIMS_BY_TOPIC = """
WITH RECURSIVE tree AS (
  SELECT id FROM topics WHERE slug = $1
  UNION ALL
  SELECT t.id FROM topics t JOIN tree ON t.parent_id = tree.id
)
SELECT c.id, c.article_id, r.number AS revision, c.text, c.span_start, c.span_end, c.score,
       c.claimant_id, c.claimant_text, c.published_at, c.outlet_id
FROM claims c
JOIN article_revisions r ON r.id = c.revision_id
JOIN articles a ON a.id = c.article_id AND a.current_revision = r.number
WHERE EXISTS (
  SELECT 1 FROM claim_topics ct
  WHERE ct.claim_id = c.id AND ct.topic_id IN (SELECT id FROM tree)
)
ORDER BY c.published_at DESC, c.id DESC
LIMIT $2
"""

_ARTICLES = """
SELECT a.id, a.outlet_id, o.name AS outlet_name, a.url, a.external_id, a.title, a.byline,
       a.published_at, a.published_sort, a.language, a.story_id, a.current_revision,
       a.created_at, a.updated_at
FROM articles a JOIN outlets o ON o.id = a.outlet_id
WHERE true {where}
ORDER BY a.published_sort DESC, a.id DESC
LIMIT {limit}
"""
ARTICLES_PAGE = _ARTICLES.format(where="", limit="$1")
ARTICLES_AFTER = _ARTICLES.format(
    where="AND (a.published_sort, a.id) < ($2::timestamptz, $3::bigint)", limit="$1"
)
ARTICLES_FILTERED = _ARTICLES.format(
    where="AND lower(o.name) = ANY($2::text[]) AND a.published_sort >= $3", limit="$1"
)
ARTICLES_COUNT = """
SELECT count(*) FROM articles a JOIN outlets o ON o.id = a.outlet_id
WHERE lower(o.name) = ANY($1::text[]) AND a.published_sort >= $2
"""
ARTICLES_ESTIMATE = "EXPLAIN (FORMAT JSON) " + ARTICLES_COUNT.replace("count(*)", "a.id").replace(
    "$1::text[]", "{names}"
).replace("$2", "{since}")

CURRENT_REVISION = """
SELECT r.id, r.number, r.body, a.title
FROM article_revisions r
JOIN articles a ON a.id = r.article_id AND a.current_revision = r.number
WHERE a.id = $1
"""
QUOTES_OF_REVISION = """
SELECT q.id, q.article_id, r.number AS revision, q.kind, q.text, q.span_start, q.span_end,
       coalesce(sp.merged_into_id, sp.id) AS speaker_id,
       coalesce(sv.name, sp.name) AS speaker_name, q.speaker_text, q.cue, q.confidence,
       q.curated, q.anchor_status, q.published_at
FROM quotes q
JOIN article_revisions r ON r.id = q.revision_id
LEFT JOIN entities sp ON sp.id = q.speaker_id
LEFT JOIN entities sv ON sv.id = sp.merged_into_id
WHERE q.revision_id = $1 AND q.deleted_at IS NULL
ORDER BY q.span_start, q.id
"""
MENTIONS_OF_REVISION = """
SELECT m.id, m.span_start, m.span_end, m.text, m.label,
       coalesce(e.merged_into_id, e.id) AS entity_id,
       coalesce(s.name, e.name) AS entity_name, coalesce(s.type, e.type) AS entity_type
FROM mentions m JOIN entities e ON e.id = m.entity_id
LEFT JOIN entities s ON s.id = e.merged_into_id
WHERE m.revision_id = $1
ORDER BY m.span_start, m.id
"""
DIFF_REVISIONS = """
SELECT r.id, r.number, r.body, r.sha256, a.current_revision
FROM articles a JOIN article_revisions r ON r.article_id = a.id
WHERE a.id = $1 AND r.number IN (a.current_revision - 1, a.current_revision)
ORDER BY r.number
"""
