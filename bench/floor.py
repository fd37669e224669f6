"""The floor: the benchmark's requests answered by a bare ASGI handler (asyncpg + orjson).

No framework, no ORM, no validation, no middleware: the same SQL as the API
(:mod:`bench.queries`) and a JSON body. Run with ``DATABASE_URL`` set::

    uvicorn bench.floor:app --workers 2 --port 8001

Every API figure in the benchmark is reported as a ratio to this server's.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import orjson

from bench import queries as sql
from db.engine import libpq_url
from service.pagination import EXACT_UP_TO, decode_cursor
from textkit.diffing import diff_texts

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]

_pool: asyncpg.Pool | None = None


async def _get_pool() -> asyncpg.Pool:
    global _pool
    if _pool is None:
        _pool = await asyncpg.create_pool(
            libpq_url(os.environ["DATABASE_URL"]),
            min_size=2,
            max_size=int(os.environ.get("ARTICLE_STORE_DB_POOL_SIZE", "10")),
            # the API's connection settings (service.settings.db_parallel_workers)
            server_settings={"max_parallel_workers_per_gather": "0"},
        )
    return _pool


def _rows(records: list[asyncpg.Record]) -> list[dict[str, Any]]:
    return [dict(r) for r in records]


async def quotes(pool: asyncpg.Pool, qs: dict[str, list[str]]) -> Any:
    limit = int(qs.get("limit", ["50"])[0])
    async with pool.acquire() as conn:
        ids = [r[0] for r in await conn.fetch(sql.SPEAKER_IDS, qs["speaker"][0].lower())]
        if not ids:
            return {"items": [], "next_cursor": None}
        if "since" in qs:
            since = datetime.fromisoformat(qs["since"][0])
            until = datetime.fromisoformat(qs["until"][0])
            query = sql.quotes_by_speaker(len(ids), limit + 1, ranged=True)
            rows = await conn.fetch(query, *ids, since, until)
        else:
            rows = await conn.fetch(sql.quotes_by_speaker(len(ids), limit + 1), *ids)
    return {"items": _rows(rows[:limit]), "next_cursor": "x" if len(rows) > limit else None}


async def claims(pool: asyncpg.Pool, qs: dict[str, list[str]]) -> Any:
    limit = int(qs.get("limit", ["50"])[0])
    async with pool.acquire() as conn:
        topic = await conn.fetchrow(sql.TOPIC_FILTER_IDS, qs["topic"][0])
        if topic is None:
            return None
        rows = await conn.fetch(sql.claims_by_topic(limit + 1), list(topic[1]))
    more, rows = len(rows) > limit, rows[:limit]
    return {"items": [_claim(r) for r in rows], "next_cursor": "x" if more else None}


_TOPIC_KEYS = ("slug", "name", "score", "source")


def _claim(row: Any) -> Any:
    """A claim row (a record: by name; a row of an array: by position) whose last value is
    its topics, rows of :data:`_TOPIC_KEYS`."""
    topics = [dict(zip(_TOPIC_KEYS, t, strict=True)) for t in row[-1]]
    if isinstance(row, asyncpg.Record):
        return {**dict(row.items()), "topics": topics}
    return [*row[:-1], topics]


async def articles(pool: asyncpg.Pool, qs: dict[str, list[str]], prefer: str) -> Any:
    """The API's statements: the outlet filter's ids, the page with each item's annotation
    status and topics and, with a ``Prefer: count=…``, the listing's count (estimated: up
    to EXACT_UP_TO + 1 rows, then the planner's estimate past it)."""
    limit = int(qs.get("limit", ["50"])[0])
    total = None
    async with pool.acquire() as conn:
        if "outlet" in qs:
            names = [qs["outlet"][0].lower()]
            outlet_id = (await conn.fetch(sql.OUTLET_IDS_NAMED, names, []))[0][0]
            since = datetime.fromisoformat(qs["since"][0])
            count = next((c for c in ("exact", "estimated") if f"count={c}" in prefer), None)
            rows = await conn.fetch(sql.articles_filtered(limit + 1, count), outlet_id, since)
            if count is not None:  # the API's rule (service.pagination.listing_total)
                total = rows[0]["total"] if rows else None
                if total is None:
                    total = await conn.fetchval(sql.ARTICLES_COUNT, outlet_id, since)
                if count == "estimated" and total > EXACT_UP_TO:
                    plan = await conn.fetchval(sql.ARTICLES_ESTIMATE, outlet_id, since)
                    total = max(orjson.loads(plan)[0]["Plan"]["Plan Rows"], EXACT_UP_TO + 1)
        elif "cursor" in qs:
            after = decode_cursor(qs["cursor"][0], sql.articles_cursor_kind(), (datetime, int))
            rows = await conn.fetch(sql.articles_after(limit + 1), after[0], after[1])
        else:
            rows = await conn.fetch(sql.articles_page(limit + 1))
    more, rows = len(rows) > limit, rows[:limit]
    items = [
        {
            **{k: v for k, v in r.items() if k not in ("topics", "total")},
            "topics": [
                {"slug": t[0], "iptc_code": t[1], "name": t[2], "score": t[3], "depth": t[4]}
                for t in r["topics"]
            ],
        }
        for r in rows
    ]
    return {"items": items, "next_cursor": "x" if more else None, "total": total}


async def revision_annotations(pool: asyncpg.Pool, article_id: int) -> Any:
    async with pool.acquire() as conn:
        view = await conn.fetchrow(sql.REVISION_VIEW, article_id)
    if view is None:
        return None
    entities: dict[str, int] = {}
    for m in view["mentions"]:
        entities[str(m[5])] = entities.get(str(m[5]), 0) + 1
    return {
        "article_id": article_id,
        "revision": view["number"],
        "text": view["body"],
        "quotes": [list(q) for q in view["quotes"]],
        "claims": [_claim(c) for c in view["claims"]],
        "mentions": [list(m) for m in view["mentions"]],
        "entities": entities,
    }


async def diff(pool: asyncpg.Pool, article_id: int) -> Any:
    """Previous → current revision: the API's one statement, the same word diff
    (textkit.diffing), and the annotation rows of both revisions."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(sql.REVISION_DIFF, article_id)
    if not rows or rows[0][4] is None:
        return None
    old, new = sorted(rows, key=lambda r: r[5])[0], max(rows, key=lambda r: r[5])
    out = diff_texts(old["body"], new["body"], "word").to_dict()
    out["annotations"] = {
        k: {"old": [list(x) for x in old[k]], "new": [list(x) for x in new[k]]}
        for k in ("quotes", "entities", "claims")
    }
    return out


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await _get_pool()
                # imports service.articles: at start-up, not in the first measured request
                sql.articles_cursor_kind()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if _pool is not None:
                    await _pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    pool = await _get_pool()
    path: str = scope["path"]
    qs = parse_qs(scope.get("query_string", b"").decode())
    prefer = ""
    for k, v in scope.get("headers", []):
        if k == b"prefer":
            prefer = v.decode()
    parts = path.strip("/").split("/")
    body: Any = None
    if path == "/readyz":
        body = {"status": "ok"}
    elif path == "/v1/quotes":
        body = await quotes(pool, qs)
    elif path == "/v1/claims":
        body = await claims(pool, qs)
    elif path == "/v1/articles":
        body = await articles(pool, qs, prefer)
    elif len(parts) == 4 and parts[:2] == ["v1", "articles"] and parts[3] == "annotations":
        body = await revision_annotations(pool, int(parts[2]))
    elif len(parts) == 4 and parts[:2] == ["v1", "articles"] and parts[3] == "diff":
        body = await diff(pool, int(parts[2]))
    status = 200 if body is not None else 404
    payload = orjson.dumps(body if body is not None else {"status": 404})
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": payload})
