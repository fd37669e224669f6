"""``count=exact`` against ``count=estimated`` on a store: the figures of docs/api.md, "Totals".

    python -m bench.totals --database-url postgresql+asyncpg://…/bench_10k

For each list and a few filters it prints the exact count, the count that stops after
``EXACT_UP_TO + 1`` rows, the planner's estimate, the ratio estimate/exact and the time of
each, through the same listing statements the API counts (``db.repositories.totals``). Meant
for a bench corpus (``python -m bench --load-only``); any store works.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from db.engine import create_engine, session_factory
from db.repositories import articles as ar
from db.repositories import claim_clusters as ccr
from db.repositories import claims as cr
from db.repositories import entities as er
from db.repositories import quotes as qr
from db.repositories import totals
from service.pagination import EXACT_UP_TO


async def _ids(session: Any, sql: str) -> list[int]:
    return [int(x) for x in (await session.execute(text(sql))).scalars()]


async def run(url: str) -> None:
    engine = create_engine(url, pool_size=1, max_overflow=0)
    try:
        async with session_factory(engine)() as s:
            outlets = await _ids(
                s, "SELECT outlet_id FROM articles GROUP BY 1 ORDER BY count(*) DESC LIMIT 2"
            )
            topics = await _ids(
                s, "SELECT topic_id FROM claim_topics GROUP BY 1 ORDER BY count(*) DESC"
            )
            speakers = await _ids(
                s,
                "SELECT speaker_id FROM quotes WHERE speaker_id IS NOT NULL "
                "GROUP BY 1 ORDER BY count(*) DESC LIMIT 51",
            )
            since = datetime(2020, 1, 1, tzinfo=UTC)
            cases: dict[str, Any] = {
                "articles": ar.articles_listing(ar.ArticleFilter()),
                "articles since=2020": ar.articles_listing(ar.ArticleFilter(since=since)),
                "articles has_revisions": ar.articles_listing(ar.ArticleFilter(has_revisions=True)),
                "quotes": qr.quotes_listing(qr.QuoteFilter()),
                "quotes, one outlet": qr.quotes_listing(qr.QuoteFilter(outlet_ids=outlets[:1])),
                "quotes, top speaker": qr.quotes_listing(qr.QuoteFilter(speaker_ids=speakers[:1])),
                "quotes, 50th speaker": qr.quotes_listing(
                    qr.QuoteFilter(speaker_ids=speakers[50:51])
                ),
                "quotes since=2020": qr.quotes_listing(qr.QuoteFilter(since=since)),
                "claims": cr.claims_listing(cr.ClaimFilter()),
                "claims, top topic": cr.claims_listing(cr.ClaimFilter(topic_ids=topics[:1])),
                "claims, 5 topics": cr.claims_listing(cr.ClaimFilter(topic_ids=topics[3:8])),
                "claims, one outlet": cr.claims_listing(cr.ClaimFilter(outlet_ids=outlets[:1])),
                "claims min_score=0.8": cr.claims_listing(cr.ClaimFilter(min_score=0.8)),
                "entities": er.entities_listing(None, None),
                "speakers": er.speakers_listing(None),
                "clusters": ccr.clusters_listing(None),
            }
            print(
                f"{'listing':24} {'exact':>8} {'ms':>6} {'capped':>7} {'ms':>6} "
                f"{'planner':>8} {'ms':>6} ratio"
            )
            for name, stmt in cases.items():
                t = time.perf_counter()
                exact = await totals.count_rows(s, stmt)
                t_exact = (time.perf_counter() - t) * 1000
                t = time.perf_counter()
                capped = await totals.count_rows(s, stmt, at_most=EXACT_UP_TO)
                t_capped = (time.perf_counter() - t) * 1000
                t = time.perf_counter()
                planner = await totals.planner_rows(s, stmt)
                t_planner = (time.perf_counter() - t) * 1000
                ratio = f"{planner / exact:.2f}" if exact else "-"
                print(
                    f"{name:24} {exact:8} {t_exact:6.1f} {capped:7} {t_capped:6.1f} "
                    f"{planner:8} {t_planner:6.1f} {ratio}"
                )
    finally:
        await engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--database-url", required=True)
    asyncio.run(run(ap.parse_args().database_url))


if __name__ == "__main__":
    main()
