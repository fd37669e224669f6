"""The hot read queries in plain SQL: what the floor server runs and what `EXPLAIN` shows.

Each is the statement the API's repository sends for the same request (same joins, filters,
order, ``LIMIT`` written inline, IN lists and ``= ANY`` arrays where the API has them; see
``python -m bench.profile --show-sql``), and the floor sends as many statements per request
as the API. So the floor measures the database plus the least possible Python, and the
plans below are the API's plans.
"""

from __future__ import annotations

from dataclasses import asdict
from functools import cache

from service.pagination import EXACT_UP_TO

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
WHERE q.deleted_at IS NULL AND q.speaker_id IN ({ids}) {extra}
ORDER BY q.published_at DESC, q.id DESC
LIMIT {limit}
"""


def quotes_by_speaker(n_ids: int, limit: int, *, ranged: bool = False) -> str:
    """Parameters: the speaker ids ($1..$n), then ``since`` and ``until`` if ``ranged``."""
    ids = ", ".join(f"${i}" for i in range(1, n_ids + 1))
    extra = f"AND q.published_at >= ${n_ids + 1} AND q.published_at < ${n_ids + 2}"
    return _QUOTES.format(ids=ids, extra=extra if ranged else "", limit=int(limit))


TOPIC_FILTER_IDS = """
SELECT t.id, (SELECT array_agg(c.descendant_id) FROM topic_closure c WHERE c.ancestor_id = t.id)
FROM topics t
WHERE t.slug = $1 OR lower(t.external_code) = lower($1)
ORDER BY t.slug = $1 DESC, t.id
LIMIT 1
"""

# a claim's topics, best first, as one array of rows (a column of the claims statements)
CLAIM_TOPICS = """array((SELECT row(t.slug, t.name, ct.score, ct.source)
       FROM claim_topics ct JOIN topics t ON t.id = ct.topic_id
       WHERE ct.claim_id = c.id ORDER BY ct.score DESC, t.slug))"""

_CLAIMS_BY_TOPIC = """
SELECT c.id, c.article_id, r.number AS revision, c.text, c.span_start, c.span_end,
       coalesce(cl.merged_into_id, cl.id) AS claimant_id,
       coalesce(sv.name, cl.name) AS claimant_name, c.claimant_text, c.quote_id, c.score,
       c.cluster_id, c.curated, c.not_a_claim, c.anchor_status, c.published_at, c.outlet_id,
       o.name AS outlet, {topics} AS topics
FROM claims c
JOIN article_revisions r ON r.id = c.revision_id
JOIN articles a ON a.id = c.article_id AND a.current_revision = r.number
JOIN outlets o ON o.id = c.outlet_id
LEFT JOIN entities cl ON cl.id = c.claimant_id
LEFT JOIN entities sv ON sv.id = cl.merged_into_id
WHERE c.not_a_claim IS false
  AND EXISTS (SELECT ct.claim_id FROM claim_topics ct
              WHERE ct.claim_id = c.id AND ct.topic_id = ANY(CAST((SELECT $1::bigint[]) AS bigint[])))
ORDER BY c.published_at DESC, c.id DESC
LIMIT {limit}
"""


def claims_by_topic(limit: int) -> str:
    """Parameter: the topic ids (the tree, from :data:`TOPIC_FILTER_IDS`). Each row ends
    with the claim's topics, an array of (slug, name, score, source) rows."""
    return _CLAIMS_BY_TOPIC.format(limit=int(limit), topics=CLAIM_TOPICS)


# the page, each item followed by its current revision's newest annotation status and its
# ranked topics as an array of (slug, iptc_code, name, score, depth) rows, computed for the
# page's rows only (db/repositories/articles.py)
_ARTICLES = """
SELECT page.*,{total}
       (SELECT ar.status FROM annotation_runs ar WHERE ar.revision_id = pr.id
        ORDER BY ar.id DESC LIMIT 1) AS annotation_status,
       array((SELECT row(t.slug, t.external_code, t.name, at.score, at.depth)
              FROM article_topics at JOIN topics t ON t.id = at.topic_id
              WHERE at.revision_id = pr.id ORDER BY at.rank)) AS topics
FROM (
  SELECT a.id, a.outlet_id, o.name AS outlet_name, a.url, a.external_id, a.title, a.byline,
         a.published_at, a.published_sort, a.language, a.story_id, a.current_revision,
         a.created_at, a.updated_at
  FROM articles a JOIN outlets o ON o.id = a.outlet_id
  WHERE true {where}
  ORDER BY a.published_sort DESC, a.id DESC
  LIMIT {limit}
) AS page
LEFT JOIN article_revisions pr ON pr.article_id = page.id AND pr.number = page.current_revision
ORDER BY page.published_sort DESC, page.id DESC
"""


def articles_page(limit: int) -> str:
    return _ARTICLES.format(where="", limit=int(limit), total="")


def articles_after(limit: int) -> str:
    """Parameters: the cursor's (published_sort, id)."""
    return _ARTICLES.format(
        where="AND (a.published_sort, a.id) < ($1::timestamptz, $2::bigint)",
        limit=int(limit),
        total="",
    )


@cache
def articles_cursor_kind() -> str:
    """The cursor ``kind`` of the unfiltered articles list as the API makes it (a cursor is
    tied to its listing's filters: ``service.pagination.listing_kind``)."""
    from service.articles import ArticleListQuery
    from service.pagination import listing_kind

    return listing_kind("articles:published", asdict(ArticleListQuery()))


# an ``outlet`` filter's ids (names lower-cased, numbers). Parameters: names, ids (arrays).
OUTLET_IDS_NAMED = """
SELECT o.id, o.name FROM outlets o
WHERE lower(o.name) = ANY($1::text[]) OR o.id = ANY($2::bigint[])
"""


def articles_filtered(limit: int, count: str | None = None) -> str:
    """Parameters: one outlet id (from :data:`OUTLET_IDS_NAMED`), published since. With
    ``count`` (``exact``, ``estimated``) each row carries the listing's count as the API's
    page does (estimated: up to EXACT_UP_TO + 1 rows), as ``total``."""
    total = ""
    if count is not None:
        limited = "" if count == "exact" else f" LIMIT {EXACT_UP_TO + 1}"
        total = f" (SELECT count(*) FROM ({_ARTICLES_LISTING}{limited}) AS listing) AS total,"
    return _ARTICLES.format(
        where="AND a.outlet_id IN ($1) AND a.published_sort >= $2", limit=int(limit), total=total
    )


_ARTICLES_LISTING = """SELECT a.id FROM articles a JOIN outlets o ON o.id = a.outlet_id
WHERE a.outlet_id IN ($1) AND a.published_sort >= $2"""

# ``Prefer: count=exact`` on an empty page: every row of the listing
ARTICLES_COUNT = f"SELECT count(*) FROM ({_ARTICLES_LISTING}) AS listing"
# ``Prefer: count=estimated`` past EXACT_UP_TO rows: the planner's estimate of the listing
ARTICLES_ESTIMATE = f"EXPLAIN (FORMAT JSON) {_ARTICLES_LISTING}"

# one revision's annotations view: the revision with its quotes, mentions and claims (each
# with its topics) as arrays of rows, in one statement (db/repositories/revision_view.py)
_QUOTES_OF_REVISION = """
SELECT row(q.id, q.article_id, r.number, q.kind, q.text, q.span_start, q.span_end,
           coalesce(sp.merged_into_id, sp.id), coalesce(sv.name, sp.name), q.speaker_text,
           q.cue, q.confidence, q.curated, q.anchor_status, q.published_at, q.outlet_id,
           (SELECT o.name FROM outlets o WHERE o.id = q.outlet_id))
FROM quotes q
JOIN article_revisions r ON r.id = q.revision_id
LEFT JOIN entities sp ON sp.id = q.speaker_id
LEFT JOIN entities sv ON sv.id = sp.merged_into_id
WHERE q.revision_id = rev.id AND q.deleted_at IS NULL
ORDER BY q.span_start, q.id
"""
_MENTIONS_OF_REVISION = """
SELECT row(m.id, m.span_start, m.span_end, m.text, m.label, coalesce(e.merged_into_id, e.id),
           coalesce(s.name, e.name), coalesce(s.type, e.type))
FROM mentions m JOIN entities e ON e.id = m.entity_id
LEFT JOIN entities s ON s.id = e.merged_into_id
WHERE m.revision_id = rev.id
ORDER BY m.span_start, m.id
"""
_CLAIMS_OF_REVISION = f"""
SELECT row(c.id, c.article_id, r.number, c.text, c.span_start, c.span_end,
           coalesce(cl.merged_into_id, cl.id), coalesce(sv.name, cl.name), c.claimant_text,
           c.quote_id, c.score, c.cluster_id, c.curated, c.not_a_claim, c.anchor_status,
           c.published_at, c.outlet_id, o.name, {CLAIM_TOPICS})
FROM claims c
JOIN article_revisions r ON r.id = c.revision_id
JOIN outlets o ON o.id = c.outlet_id
LEFT JOIN entities cl ON cl.id = c.claimant_id
LEFT JOIN entities sv ON sv.id = cl.merged_into_id
WHERE c.revision_id = rev.id AND c.not_a_claim IS false
ORDER BY c.span_start, c.id
"""
REVISION_VIEW = f"""
SELECT rev.id, rev.number, rev.body,
       array(({_QUOTES_OF_REVISION})) AS quotes,
       array(({_MENTIONS_OF_REVISION})) AS mentions,
       array(({_CLAIMS_OF_REVISION})) AS claims
FROM article_revisions rev
JOIN articles a ON a.id = rev.article_id AND a.current_revision = rev.number
WHERE a.id = $1
"""

# the revision diff (previous → current): the article, both texts and the annotations of
# both (quotes, mentions grouped by entity, claims) as arrays of rows, in one statement
# (db/repositories/diff_view.py)
REVISION_DIFF = """
SELECT a.id, a.current_revision, o.name, a.published_at,
       r.id, r.number, r.sha256, r.title, r.body,
       array((SELECT row(q.id, q.kind, q.text, q.span_start, q.span_end, q.speaker_id,
                         coalesce(sp.name, q.speaker_text))
              FROM quotes q LEFT JOIN entities sp ON sp.id = q.speaker_id
              WHERE q.revision_id = r.id
              ORDER BY q.span_start, q.id)) AS quotes,
       array((SELECT row(m.entity_id, e.name, e.type, count(*), min(m.span_start))
              FROM mentions m JOIN entities e ON e.id = m.entity_id
              WHERE m.revision_id = r.id
              GROUP BY m.entity_id, e.name, e.type
              ORDER BY min(m.span_start))) AS entities,
       array((SELECT row(c.id, c.text, c.span_start, c.span_end, c.score, c.claimant_id,
                         coalesce(cl.name, c.claimant_text))
              FROM claims c LEFT JOIN entities cl ON cl.id = c.claimant_id
              WHERE c.revision_id = r.id AND c.not_a_claim IS false
              ORDER BY c.span_start, c.id)) AS claims
FROM articles a
JOIN outlets o ON o.id = a.outlet_id
LEFT JOIN article_revisions r ON r.article_id = a.id
     AND r.number IN (greatest(1, a.current_revision - 1), a.current_revision)
WHERE a.id = $1
"""
