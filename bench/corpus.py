"""A synthetic corpus for the read benchmarks, bulk-loaded with COPY.

Shapes (per article): 1 revision, or 2–3 for ~30 % of them; ~10 quotes and ~5 claims per
revision; 2–5 speakers per article drawn from a Zipf distribution (a few people quoted
thousands of times, a long tail quoted once); 1–2 topics per claim from the real taxonomy
(``nlp/data/taxonomy.json``); 40 outlets; publication dates spread over 2015–2025.

Bodies are built by concatenating generated sentences, so every offset is exact: a quote's
``text`` is ``body[span_start:span_end]`` in code points, as the schema's checks require.
Annotation is bypassed (the rows are generated), so the read benchmarks measure queries only.

Loading: secondary indexes of the big tables are dropped, rows go in through asyncpg's
binary ``copy_records_to_table`` from one process per core (ids are derived from the
article id, so chunks are independent and the corpus is the same whatever the process
count), then the indexes are rebuilt from their saved definitions, identity sequences are
moved past the ids used and the tables are vacuumed and analysed.
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import logging
import multiprocessing as mp
import random
import time
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from nlp.topics import TAXONOMY_PATH

logger = logging.getLogger(__name__)

MARKER_OUTLET = "bench-corpus"
CHUNK = 2000
EPOCH = datetime(2015, 1, 1, tzinfo=UTC)
SPAN_SECONDS = int((datetime(2026, 1, 1, tzinfo=UTC) - EPOCH).total_seconds())
ZIPF_S = 1.0

# The tables the corpus fills, children last (TRUNCATE and index handling use this order).
BIG_TABLES = (
    "articles",
    "article_revisions",
    "quotes",
    "mentions",
    "claims",
    "claim_topics",
    "article_topics",
    "entities",
    "entity_aliases",
)

FIRST = [
    "Ada",
    "Alan",
    "Amir",
    "Ana",
    "Anders",
    "Aylin",
    "Beatriz",
    "Bilal",
    "Boris",
    "Carla",
    "Chen",
    "Chiara",
    "Dara",
    "Diego",
    "Dmitri",
    "Elena",
    "Emeka",
    "Erik",
    "Fatima",
    "Felix",
    "Gita",
    "Hana",
    "Hugo",
    "Ines",
    "Ivan",
    "Jamal",
    "Jana",
    "Jonas",
    "Kai",
    "Kamala",
    "Karin",
    "Kofi",
    "Lars",
    "Leila",
    "Lena",
    "Luca",
    "Maya",
    "Marek",
    "Marta",
    "Mateo",
    "Mei",
    "Mira",
    "Nadia",
    "Nils",
    "Noor",
    "Olga",
    "Omar",
    "Pablo",
    "Priya",
    "Rafael",
    "Rania",
    "Ravi",
    "Rosa",
    "Sami",
    "Sara",
    "Sven",
    "Tariq",
    "Tomas",
    "Uma",
    "Vera",
    "Wei",
    "Yara",
    "Yusuf",
    "Zofia",
]
SYLLABLES = [
    "ba",
    "be",
    "bo",
    "da",
    "de",
    "do",
    "fa",
    "fe",
    "ka",
    "ke",
    "ko",
    "la",
    "le",
    "lo",
    "ma",
    "me",
    "mo",
    "na",
    "ne",
    "no",
    "ra",
    "re",
    "ro",
    "sa",
    "se",
    "so",
    "ta",
    "te",
    "to",
    "va",
    "ve",
    "vi",
    "za",
    "zo",
]
OUTLET_WORDS = [
    "Herald",
    "Courier",
    "Tribune",
    "Gazette",
    "Ledger",
    "Post",
    "Times",
    "Observer",
    "Chronicle",
    "Dispatch",
    "Sentinel",
    "Monitor",
    "Journal",
    "Record",
    "Review",
    "Standard",
    "Beacon",
    "Examiner",
    "Bulletin",
    "Mirror",
]
PLACES = [
    "Northport",
    "Eastvale",
    "Riverton",
    "Lakeside",
    "Westbrook",
    "Hillcrest",
    "Fairview",
    "Greenfield",
    "Ashford",
    "Brookfield",
    "Clearwater",
    "Kingston",
    "Milford",
    "Oakridge",
    "Pinecrest",
    "Redwood",
    "Stonebridge",
    "Summit",
    "Bayview",
    "Elmwood",
]
SUBJECTS = (
    "The ministry",
    "The city council",
    "Regional officials",
    "The central bank",
    "A parliamentary committee",
    "The health agency",
    "Negotiators",
    "The company",
    "Local police",
    "The court",
    "Aid groups",
    "The opposition",
    "Analysts",
    "The statistics office",
    "The regulator",
)
VERBS = (
    "announced new measures on",
    "postponed a decision about",
    "published a report on",
    "opened an inquiry into",
    "held talks about",
    "warned of delays in",
    "approved funding for",
    "rejected a proposal on",
    "reviewed the rules for",
    "defended its record on",
)
OBJECTS = (
    "housing",
    "the energy grid",
    "public transport",
    "water supplies",
    "the border crossing",
    "school funding",
    "hospital waiting lists",
    "the fishing quota",
    "the rail strike",
    "fuel prices",
    "the budget",
    "the ceasefire",
    "wildfire prevention",
    "the port expansion",
    "vaccine supplies",
)
WHEN = (
    "on Monday",
    "on Tuesday",
    "late on Wednesday",
    "on Thursday",
    "this week",
    "last month",
    "after months of debate",
    "earlier this year",
    "in a statement",
    "overnight",
)
METRICS = (
    "Unemployment",
    "Inflation",
    "The deficit",
    "Crime",
    "Emissions",
    "Turnout",
    "Average rent",
    "Exports",
    "Road deaths",
    "The poverty rate",
)
MOVES = ("rose", "fell", "climbed", "dropped", "stood at", "reached")
UNITS = ("percent", "per cent", "million", "billion", "points")
QUOTE_OPENERS = (
    "We will not accept",
    "Nobody expected",
    "This is the moment for",
    "We have been clear about",
    "There is no excuse for",
    "People are tired of",
    "I am confident about",
    "It is too early to judge",
    "We need a serious plan for",
    "Families cannot wait for",
    "The evidence points to",
    "Our priority remains",
)
QUOTE_TAILS = (
    "and we will keep saying so",
    "whatever the pressure from outside",
    "because the numbers do not lie",
    "and that has to change now",
    "even if it takes years",
    "and the public deserves answers",
    "as long as I hold this office",
    "but we are making progress",
    "and nobody should pretend otherwise",
    "before the winter comes",
)
CUES = ("said", "told reporters", "added", "warned", "insisted", "argued")
FALLBACK_TOPICS = (
    ("politics", "Politics", None),
    ("elections", "Elections", "politics"),
    ("economy", "Economy", None),
    ("inflation", "Inflation", "economy"),
    ("labour", "Labour", "economy"),
    ("health", "Health", None),
    ("environment", "Environment", None),
    ("climate-change", "Climate change", "environment"),
)


# ancestor/descendant pairs of the taxonomy (the claims API expands topics through it)
TOPIC_CLOSURE = """
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


def person_name(index: int) -> str:
    """A unique, pronounceable two-word name for every index ≥ 0."""
    first = FIRST[index % len(FIRST)]
    n = index // len(FIRST)
    sylls = []
    for _ in range(3):
        sylls.append(SYLLABLES[n % len(SYLLABLES)])
        n //= len(SYLLABLES)
    last = "".join(sylls) + ("n" if n == 0 else f"n{SYLLABLES[n % len(SYLLABLES)]}")
    return f"{first} {last.capitalize()}"


def speaker_count(articles: int) -> int:
    return max(300, articles // 4)


def zipf_cum_weights(n: int, s: float = ZIPF_S) -> list[float]:
    return list(itertools.accumulate(1.0 / (k**s) for k in range(1, n + 1)))


@dataclass(frozen=True, slots=True)
class TopicRow:
    id: int
    slug: str
    name: str
    parent_id: int | None
    external_code: str | None
    description: str | None
    rules: str | None


def load_taxonomy() -> list[TopicRow]:
    """The real taxonomy when present, else a small built-in one."""
    path = TAXONOMY_PATH
    entries: list[tuple[str, str, str | None, str | None, str | None, str | None]] = []
    if path.exists():
        data = json.loads(path.read_text())
        for t in data.get("topics", []):
            entries.append(
                (
                    t["slug"],
                    t["name"],
                    t.get("parent"),
                    t.get("iptc_code"),
                    t.get("description"),
                    json.dumps(t["rules"]) if t.get("rules") is not None else None,
                )
            )
    if not entries:
        entries = [(s, n, p, None, None, None) for s, n, p in FALLBACK_TOPICS]
    ids = {slug: i for i, (slug, *_rest) in enumerate(entries, start=1)}
    return [
        TopicRow(ids[slug], slug, name, ids.get(parent) if parent else None, code, desc, rules)
        for slug, name, parent, code, desc, rules in entries
    ]


def _depths(topics: list[TopicRow]) -> dict[int, int]:
    """Each topic's depth in the tree (a top-level topic: 0)."""
    parent = {t.id: t.parent_id for t in topics}
    out: dict[int, int] = {}
    for t in topics:
        depth, up = 0, t.parent_id
        while up is not None:
            depth, up = depth + 1, parent.get(up)
        out[t.id] = depth
    return out


@dataclass(slots=True)
class Pools:
    """Sentence pools shared by all chunks (built once per process, deterministic)."""

    fillers: list[str] = field(default_factory=list)
    claims: list[str] = field(default_factory=list)
    quotes: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)

    @classmethod
    def build(cls, seed: int = 7) -> Pools:
        rng = random.Random(seed)
        p = cls()
        for _ in range(3000):
            p.fillers.append(
                f"{rng.choice(SUBJECTS)} in {rng.choice(PLACES)} {rng.choice(VERBS)} "
                f"{rng.choice(OBJECTS)} {rng.choice(WHEN)}."
            )
        for _ in range(3000):
            p.claims.append(
                f"{rng.choice(METRICS)} in {rng.choice(PLACES)} {rng.choice(MOVES)} "
                f"{rng.randint(1, 99)}.{rng.randint(0, 9)} {rng.choice(UNITS)} in "
                f"{rng.randint(2005, 2025)}, the highest level since {rng.randint(1980, 2004)}."
            )
        for _ in range(5000):
            p.quotes.append(
                f"{rng.choice(QUOTE_OPENERS)} {rng.choice(OBJECTS)} in {rng.choice(PLACES)}, "
                f"{rng.choice(QUOTE_TAILS)}"
            )
        for _ in range(2000):
            p.titles.append(
                f"{rng.choice(PLACES)}: {rng.choice(SUBJECTS).removeprefix('The ')} "
                f"{rng.choice(VERBS)} {rng.choice(OBJECTS)}"
            )
        return p


@dataclass(slots=True)
class Chunk:
    articles: list[tuple[Any, ...]] = field(default_factory=list)
    revisions: list[tuple[Any, ...]] = field(default_factory=list)
    quotes: list[tuple[Any, ...]] = field(default_factory=list)
    mentions: list[tuple[Any, ...]] = field(default_factory=list)
    claims: list[tuple[Any, ...]] = field(default_factory=list)
    claim_topics: list[tuple[Any, ...]] = field(default_factory=list)
    article_topics: list[tuple[Any, ...]] = field(default_factory=list)


ARTICLE_COLS = (
    "id",
    "outlet_id",
    "url",
    "title",
    "byline",
    "published_at",
    "language",
    "current_revision",
    "created_at",
    "updated_at",
)
REVISION_COLS = (
    "id",
    "article_id",
    "number",
    "body",
    "sha256",
    "title",
    "byline",
    "source_format",
    "char_count",
    "similarity_to_previous",
    "fetched_at",
    "created_at",
)
QUOTE_COLS = (
    "id",
    "revision_id",
    "article_id",
    "outlet_id",
    "published_at",
    "kind",
    "span_start",
    "span_end",
    "text",
    "speaker_id",
    "speaker_text",
    "speaker_start",
    "speaker_end",
    "cue",
    "confidence",
    "pipeline_version",
    "created_at",
)
MENTION_COLS = ("id", "revision_id", "entity_id", "span_start", "span_end", "text", "label")
CLAIM_COLS = (
    "id",
    "revision_id",
    "article_id",
    "outlet_id",
    "published_at",
    "span_start",
    "span_end",
    "text",
    "claimant_id",
    "claimant_text",
    "score",
    "pipeline_version",
    "created_at",
)
CLAIM_TOPIC_COLS = ("claim_id", "topic_id", "score", "source")
ARTICLE_TOPIC_COLS = ("revision_id", "topic_id", "rank", "score", "depth")


class Generator:
    """Generates the rows of articles ``[start, end)``; same seed → same rows."""

    def __init__(self, n_articles: int, topics: list[TopicRow], seed: int = 1) -> None:
        self.seed = seed
        self.pools = Pools.build(seed + 6)
        self.n_speakers = speaker_count(n_articles)
        self.cum = zipf_cum_weights(self.n_speakers)
        self.total = self.cum[-1]
        self.names = [person_name(i) for i in range(self.n_speakers)]
        self.topic_ids = [t.id for t in topics]
        self.topic_cum = zipf_cum_weights(len(self.topic_ids), 0.8)
        self.topic_depth = _depths(topics)

    def _speaker(self, rng: random.Random) -> int:
        return bisect_left(self.cum, rng.random() * self.total)  # 0-based; entity id = +1

    def _render(
        self, plan: list[tuple[str, int, int, int]], rng: random.Random
    ) -> tuple[str, list[tuple[Any, ...]], list[tuple[int, int, str]]]:
        """Body text, quote spans (kind, start, end, text, speaker, s_start, s_end, cue) and
        claim spans (start, end, text) for one revision's plan."""
        parts: list[str] = []
        pos = 0
        quotes: list[tuple[Any, ...]] = []
        claims: list[tuple[int, int, str]] = []
        pools = self.pools
        for i, (kind, idx, speaker, cue) in enumerate(plan):
            if i and i % 3 == 0:
                parts.append("\n\n")
                pos += 2
            elif i:
                parts.append(" ")
                pos += 1
            if kind == "f":
                sentence = pools.fillers[idx]
            elif kind == "c":
                sentence = pools.claims[idx]
                claims.append((pos, pos + len(sentence), sentence))
            else:
                q = pools.quotes[idx]
                name = self.names[speaker]
                verb = CUES[cue]
                if kind == "d":  # “q,” Name said.
                    sentence = f"\u201c{q},\u201d {name} {verb}."
                    qs = pos + 1
                    ss = qs + len(q) + 3
                else:  # Name said that q.
                    sentence = f"{name} {verb} that {q.lower()}."
                    ss = pos
                    qs = pos + len(name) + len(verb) + 7
                    q = q.lower()
                quotes.append(
                    (
                        "direct" if kind == "d" else "indirect",
                        qs,
                        qs + len(q),
                        q,
                        speaker,
                        ss,
                        ss + len(name),
                        verb,
                    )
                )
            parts.append(sentence)
            pos += len(sentence)
        return "".join(parts), quotes, claims

    def chunk(self, start: int, end: int) -> Chunk:
        out = Chunk()
        pools = self.pools
        for article_id in range(start, end):
            rng = random.Random(self.seed * 1_000_003 + article_id)
            outlet_id = 2 + article_id % 40  # outlet 1 is the marker
            published = EPOCH + timedelta(seconds=rng.randrange(SPAN_SECONDS))
            n_rev = 1 if rng.random() < 0.7 else rng.choice((2, 2, 3))
            speakers = list({self._speaker(rng) for _ in range(rng.randint(2, 5))})
            byline = f"By {person_name(10_000_000 + rng.randrange(5000))}"
            title = pools.titles[rng.randrange(len(pools.titles))]
            plan: list[tuple[str, int, int, int]] = []
            n_quotes = rng.randint(8, 12)
            n_claims = rng.randint(4, 6)
            kinds = ["d" if rng.random() < 0.8 else "i" for _ in range(n_quotes)]
            kinds += ["c"] * n_claims + ["f"] * rng.randint(3, 6)
            rng.shuffle(kinds)
            for k in kinds:
                if k == "f":
                    plan.append(("f", rng.randrange(len(pools.fillers)), 0, 0))
                elif k == "c":
                    plan.append(("c", rng.randrange(len(pools.claims)), 0, 0))
                else:
                    plan.append(
                        (
                            k,
                            rng.randrange(len(pools.quotes)),
                            rng.choice(speakers),
                            rng.randrange(6),
                        )
                    )
            article_topics = list(
                {
                    self.topic_ids[bisect_left(self.topic_cum, rng.random() * self.topic_cum[-1])]
                    for _ in range(2)
                }
            )
            out.articles.append(
                (
                    article_id,
                    outlet_id,
                    f"https://www.outlet{outlet_id}.example/news/{article_id}",
                    title,
                    byline,
                    published,
                    "en",
                    n_rev,
                    published,
                    published + timedelta(hours=6 * (n_rev - 1)),
                )
            )
            for number in range(1, n_rev + 1):
                if number > 1:  # an update: one sentence rewritten, sometimes one added
                    j = rng.randrange(len(plan))
                    kind, _idx, spk, cue = plan[j]
                    pool_len = len(pools.fillers if kind == "f" else pools.claims)
                    if kind in ("f", "c"):
                        plan[j] = (kind, rng.randrange(pool_len), spk, cue)
                    if rng.random() < 0.5:
                        plan.append(("f", rng.randrange(len(pools.fillers)), 0, 0))
                body, q_spans, c_spans = self._render(plan, rng)
                rev_id = article_id * 4 + number
                at = published + timedelta(hours=6 * (number - 1))
                out.revisions.append(
                    (
                        rev_id,
                        article_id,
                        number,
                        body,
                        hashlib.sha256(body.encode()).hexdigest(),
                        title,
                        byline,
                        "text",
                        len(body),
                        None if number == 1 else 0.97,
                        at,
                        at,
                    )
                )
                seen: set[int] = set()
                for i, (kind, qs, qe, qtext, spk, ss, se, verb) in enumerate(q_spans):
                    name = self.names[spk]
                    out.quotes.append(
                        (
                            rev_id * 16 + i,
                            rev_id,
                            article_id,
                            outlet_id,
                            published,
                            kind,
                            qs,
                            qe,
                            qtext,
                            spk + 1,
                            name,
                            ss,
                            se,
                            verb,
                            0.9,
                            "bench",
                            at,
                        )
                    )
                    if spk not in seen:
                        seen.add(spk)
                        out.mentions.append(
                            (rev_id * 8 + len(seen), rev_id, spk + 1, ss, se, name, "PERSON")
                        )
                for j, (cs, ce, ctext) in enumerate(c_spans):
                    claim_id = rev_id * 8 + j
                    claimant = speakers[j % len(speakers)] if j % 2 == 0 else None
                    out.claims.append(
                        (
                            claim_id,
                            rev_id,
                            article_id,
                            outlet_id,
                            published,
                            cs,
                            ce,
                            ctext,
                            None if claimant is None else claimant + 1,
                            None if claimant is None else self.names[claimant],
                            0.5 + (j % 5) / 10,
                            "bench",
                            at,
                        )
                    )
                    for topic_id in article_topics:
                        out.claim_topics.append((claim_id, topic_id, 0.8, "auto"))
                # every revision's ranked topics (the list shows the current one's)
                for rank, topic_id in enumerate(article_topics):
                    depth = self.topic_depth[topic_id]
                    out.article_topics.append((rev_id, topic_id, rank, 0.9 - rank / 10, depth))
        return out


async def _copy_chunk(conn: asyncpg.Connection, chunk: Chunk) -> int:
    rows = 0
    for table, cols, recs in (
        ("articles", ARTICLE_COLS, chunk.articles),
        ("article_revisions", REVISION_COLS, chunk.revisions),
        ("quotes", QUOTE_COLS, chunk.quotes),
        ("mentions", MENTION_COLS, chunk.mentions),
        ("claims", CLAIM_COLS, chunk.claims),
        ("claim_topics", CLAIM_TOPIC_COLS, chunk.claim_topics),
        ("article_topics", ARTICLE_TOPIC_COLS, chunk.article_topics),
    ):
        await conn.copy_records_to_table(table, records=recs, columns=list(cols))
        rows += len(recs)
    return rows


async def _without_fk_checks(conn: asyncpg.Connection) -> bool:
    """Skip FK triggers during the load (superuser only); ids are generated consistently."""
    try:
        await conn.execute("SET session_replication_role = replica")
        return True
    except asyncpg.PostgresError:
        return False


def _worker(url: str, n_articles: int, ranges: list[tuple[int, int]], q: Any) -> None:
    async def run() -> None:
        topics = load_taxonomy()
        gen = Generator(n_articles, topics)
        conn = await asyncpg.connect(url)
        try:
            await _without_fk_checks(conn)
            await conn.execute("SET synchronous_commit = off")
            for start, end in ranges:
                chunk = gen.chunk(start, end)
                async with conn.transaction():
                    rows = await _copy_chunk(conn, chunk)
                q.put((end - start, rows))
        finally:
            await conn.close()

    asyncio.run(run())


@dataclass
class LoadReport:
    articles: int
    rows: int
    copy_seconds: float
    index_seconds: float
    vacuum_seconds: float
    table_rows: dict[str, int]

    @property
    def total_seconds(self) -> float:
        return self.copy_seconds + self.index_seconds + self.vacuum_seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "articles": self.articles,
            "rows": self.rows,
            "copy_seconds": round(self.copy_seconds, 1),
            "index_seconds": round(self.index_seconds, 1),
            "vacuum_seconds": round(self.vacuum_seconds, 1),
            "total_seconds": round(self.total_seconds, 1),
            "rows_per_second_copy": round(self.rows / self.copy_seconds)
            if self.copy_seconds
            else 0,
            "rows_per_second_overall": round(self.rows / self.total_seconds)
            if self.total_seconds
            else 0,
            "table_rows": self.table_rows,
        }


async def corpus_size(url: str) -> int | None:
    """Articles in a bench corpus at ``url``; None when the store is not one (or empty)."""
    conn = await asyncpg.connect(url)
    try:
        marker = await conn.fetchval("SELECT id FROM outlets WHERE name = $1", MARKER_OUTLET)
        if marker is None:
            return None
        return int(await conn.fetchval("SELECT count(*) FROM articles"))
    finally:
        await conn.close()


async def _secondary_indexes(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of indexes not backing a constraint, on BIG_TABLES."""
    rows = await conn.fetch(
        """
        SELECT i.relname AS name, pg_get_indexdef(i.oid) AS ddl
        FROM pg_index x
        JOIN pg_class i ON i.oid = x.indexrelid
        JOIN pg_class t ON t.oid = x.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = current_schema() AND t.relname = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)
        ORDER BY pg_relation_size(t.oid) DESC, i.relname
        """,
        list(BIG_TABLES),
    )
    found = [(r["name"], r["ddl"]) for r in rows]
    return found + [m for m in _model_indexes() if m[0] not in {n for n, _ in found}]


def _model_indexes() -> list[tuple[str, str]]:
    """The models' indexes on BIG_TABLES, so an interrupted load never loses one."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.schema import CreateIndex

    from db.models import Base

    out = []
    for table in Base.metadata.sorted_tables:
        if table.name in BIG_TABLES:
            for index in table.indexes:
                ddl = CreateIndex(index, if_not_exists=True).compile(dialect=postgresql.dialect())
                out.append((str(index.name), str(ddl)))
    return out


async def _create_indexes(url: str, ddls: list[str], parallel: int) -> None:
    queue: asyncio.Queue[str] = asyncio.Queue()
    for ddl in ddls:
        queue.put_nowait(ddl)

    async def builder() -> None:
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("SET maintenance_work_mem = '512MB'")
            while not queue.empty():
                ddl = queue.get_nowait()
                t0 = time.perf_counter()
                await conn.execute(ddl)
                logger.info("index %.1fs %s", time.perf_counter() - t0, ddl[:90])
        finally:
            await conn.close()

    await asyncio.gather(*(builder() for _ in range(max(1, parallel))))


async def _seed_reference_rows(conn: asyncpg.Connection, n_articles: int) -> None:
    await conn.execute(
        "INSERT INTO outlets (id, name, domain) VALUES (1, $1, 'bench.invalid')", MARKER_OUTLET
    )
    await conn.copy_records_to_table(
        "outlets",
        records=[
            (
                i,
                f"{PLACES[(i - 2) % 20]} {OUTLET_WORDS[((i - 2) + (i - 2) // 20) % 20]}",
                f"www.outlet{i}.example",
            )
            for i in range(2, 42)
        ],
        columns=["id", "name", "domain"],
    )
    topics = load_taxonomy()
    await conn.executemany(
        "INSERT INTO topics (id, slug, name, parent_id, external_code, description, rules) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)",
        [
            (t.id, t.slug, t.name, t.parent_id, t.external_code, t.description, t.rules)
            for t in topics
        ],
    )
    if await conn.fetchval("SELECT to_regclass('topic_closure') IS NOT NULL"):
        await conn.execute(TOPIC_CLOSURE)  # the TRUNCATE of topics emptied it
    n = speaker_count(n_articles)
    names = [person_name(i) for i in range(n)]
    norm = [name.lower() for name in names]
    await conn.copy_records_to_table(
        "entities",
        records=[(i + 1, norm[i], names[i], norm[i], "PERSON") for i in range(n)],
        columns=["id", "key", "name", "normalized_name", "type"],
    )
    await conn.copy_records_to_table(
        "entity_aliases",
        records=[(i + 1, i + 1, names[i], norm[i], "auto") for i in range(n)],
        columns=["id", "entity_id", "alias", "normalized", "source"],
    )


async def _fix_sequences(conn: asyncpg.Connection) -> None:
    for table in ("outlets", "topics", "entities", "entity_aliases", *BIG_TABLES[:5]):
        await conn.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
            f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
        )


async def generate(
    url: str, n_articles: int, *, processes: int = 2, progress: bool = True
) -> LoadReport:
    """Empty the store at ``url`` (migrated to head) and load ``n_articles``."""
    conn = await asyncpg.connect(url)
    try:
        tables = ", ".join(["outlets", "topics", "stories", *BIG_TABLES])
        await conn.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        indexes = await _secondary_indexes(conn)
        for name, _ddl in indexes:
            await conn.execute(f'DROP INDEX IF EXISTS "{name}"')
        await _seed_reference_rows(conn, n_articles)
    finally:
        await conn.close()

    t0 = time.perf_counter()
    ranges = [(s, min(s + CHUNK, n_articles + 1)) for s in range(1, n_articles + 1, CHUNK)]
    ctx = mp.get_context("fork")
    q: Any = ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(url, n_articles, ranges[i::processes], q))
        for i in range(processes)
    ]
    for p in procs:
        p.start()
    done_articles = rows = 0
    while done_articles < n_articles:
        try:
            a, r = q.get(timeout=5)
        except Exception:
            if not any(p.is_alive() for p in procs):
                raise RuntimeError("a loader process died; see its traceback above") from None
            continue
        done_articles += a
        rows += r
        if progress and (done_articles // CHUNK) % 25 == 0:
            el = time.perf_counter() - t0
            print(
                f"  loaded {done_articles:,}/{n_articles:,} articles, {rows:,} rows "
                f"({rows / el:,.0f} rows/s)",
                flush=True,
            )
    for p in procs:
        p.join()
        if p.exitcode:
            raise RuntimeError(f"loader process exited with {p.exitcode}")
    copy_s = time.perf_counter() - t0

    t1 = time.perf_counter()
    await _create_indexes(url, [ddl for _n, ddl in indexes], processes)
    index_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    conn = await asyncpg.connect(url)
    try:
        await _fix_sequences(conn)
        await conn.execute("VACUUM (ANALYZE)")
        table_rows = {
            t: int(await conn.fetchval(f"SELECT count(*) FROM {t}"))
            for t in ("articles", "article_revisions", "quotes", "mentions", "claims")
        }
        table_rows["claim_topics"] = int(await conn.fetchval("SELECT count(*) FROM claim_topics"))
        table_rows["article_topics"] = int(
            await conn.fetchval("SELECT count(*) FROM article_topics")
        )
        table_rows["entities"] = int(await conn.fetchval("SELECT count(*) FROM entities"))
    finally:
        await conn.close()
    vacuum_s = time.perf_counter() - t2
    generated = rows + table_rows["entities"] * 2
    return LoadReport(n_articles, generated, copy_s, index_s, vacuum_s, table_rows)


def check_sample(url: str, limit: int = 2000) -> int:
    """Quote and claim texts equal body[start:end] (the CHECKs only verify lengths)."""

    async def run() -> int:
        conn = await asyncpg.connect(url)
        try:
            bad = await conn.fetchval(
                """
                SELECT count(*) FROM (
                  SELECT q.text, substr(r.body, q.span_start + 1, q.span_end - q.span_start) AS s
                  FROM quotes q JOIN article_revisions r ON r.id = q.revision_id
                  ORDER BY q.id LIMIT $1) x WHERE x.text <> x.s
                """,
                limit,
            )
            bad += await conn.fetchval(
                """
                SELECT count(*) FROM (
                  SELECT c.text, substr(r.body, c.span_start + 1, c.span_end - c.span_start) AS s
                  FROM claims c JOIN article_revisions r ON r.id = c.revision_id
                  ORDER BY c.id LIMIT $1) x WHERE x.text <> x.s
                """,
                limit,
            )
            return int(bad)
        finally:
            await conn.close()

    return asyncio.run(run())
