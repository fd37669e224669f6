"""How many claims carry a topic, and is the article's first topic right, when articles are
annotated *through the service* (POST /v1/articles → worker → the taxonomy in the database).

    python -m bench.topic_coverage --base-url http://127.0.0.1:8014 --key KEY \\
        tests/nlp/gold/topics_dev.json tests/nlp/gold/topics_check.json

Posts every article of the gold files (``{"articles": [{"id", "top_slug", "text"}]}``) as a new
article, waits until each is annotated, then reads its topics and claims back through the API.
A claim's topic is *own* when scored ≥ 0.3 (classified on its sentence) and *inherited* below
(the article's topic, for a sentence with no topical words; see docs/nlp.md). Prints the figures
for all articles and for the politics + conflict ones.
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

POLITICAL = {"politics", "conflict-war-peace"}
OWN = 0.3


def _post_all(c: httpx.Client, key: str, articles: Sequence[dict[str, Any]]) -> dict[str, int]:
    ids = {}  # the same external id again is "unchanged": a rerun reads the stored results
    for a in articles:
        r = c.post(
            "/v1/articles",
            json={
                "outlet": "Topic Coverage",
                "external_id": f"cov-{a['id']}",
                "body": a["text"],
            },
        )
        r.raise_for_status()
        ids[a["id"]] = int(r.json()["id"])
    return ids


def _get(c: httpx.Client, url: str, **params: Any) -> Any:
    while True:
        r = c.get(url, params=params)
        if r.status_code != 429:
            r.raise_for_status()
            return r.json()
        time.sleep(float(r.headers.get("Retry-After", "1")))


def _wait(c: httpx.Client, ids: Sequence[int], timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    pending = set(ids)
    while pending and time.monotonic() < deadline:
        pending = {
            i for i in pending if _get(c, f"/v1/articles/{i}")["annotation_status"] != "done"
        }
        if pending:
            time.sleep(2)
    if pending:
        raise SystemExit(f"{len(pending)} articles not annotated after {timeout_s} s")


def _claims(c: httpx.Client, article_id: int) -> list[dict[str, Any]]:
    return list(_get(c, "/v1/claims", article_id=article_id, limit=500)["items"])


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("gold", nargs="+", type=Path)
    ap.add_argument("--base-url", default="http://127.0.0.1:8000")
    ap.add_argument("--key", required=True, help="an API key with the write scope")
    ap.add_argument("--timeout", type=float, default=1800)
    args = ap.parse_args(argv)
    articles = [a for g in args.gold for a in json.loads(g.read_text(encoding="utf-8"))["articles"]]
    headers = {"X-API-Key": args.key}  # the key's own rate limit, for reads too
    with httpx.Client(base_url=args.base_url, timeout=60, headers=headers) as c:
        t0 = time.monotonic()
        ids = _post_all(c, args.key, articles)
        _wait(c, list(ids.values()), args.timeout)
        elapsed = time.monotonic() - t0
        rows = []
        for a in articles:
            art = _get(c, f"/v1/articles/{ids[a['id']]}")
            first = art["topics"][0]["slug"] if art["topics"] else None
            claims = _claims(c, ids[a["id"]])
            rows.append((a, first, claims))
    for label, subset in (
        ("all articles", rows),
        ("politics + conflict articles", [r for r in rows if r[0]["top_slug"] in POLITICAL]),
    ):
        claims = [cl for _, _, cls in subset for cl in cls]
        any_topic = sum(1 for cl in claims if cl["topics"])
        own = sum(1 for cl in claims if any(t["score"] >= OWN for t in cl["topics"]))
        right = sum(1 for a, first, _ in subset if first == a["top_slug"])
        n = max(1, len(claims))
        print(
            f"{label}: {len(subset)} articles, first top-level topic right {right}/{len(subset)} "
            f"({right / max(1, len(subset)):.3f}); {len(claims)} claims, with a topic "
            f"{any_topic} ({any_topic / n:.1%}), with an own topic (score ≥ {OWN}) {own} "
            f"({own / n:.1%})"
        )
    print(f"({len(articles)} articles posted and annotated in {elapsed:.0f} s)")


if __name__ == "__main__":
    main()
