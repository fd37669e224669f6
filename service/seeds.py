"""Loading the seed articles shipped in seeds/ (idempotent: a second load changes nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import orjson
from sqlalchemy.ext.asyncio import AsyncSession

from nlp.text import strip_dateline
from service.articles import ArticleInput, IngestResult, ingest_article


@dataclass(frozen=True, slots=True)
class SeedArticle:
    file: str
    article: ArticleInput


def read_manifest(seeds_dir: Path) -> list[SeedArticle]:
    manifest = orjson.loads((seeds_dir / "manifest.json").read_bytes())
    out: list[SeedArticle] = []
    for item in manifest["articles"]:
        raw = (seeds_dir / item["file"]).read_text(encoding="utf-8")
        published = item.get("published_at")
        out.append(
            SeedArticle(
                file=item["file"],
                article=ArticleInput(
                    outlet=item["outlet"],
                    outlet_domain=item.get("outlet_domain"),
                    external_id=item["external_id"],
                    url=item.get("url"),
                    title=item.get("title"),
                    byline=item.get("byline"),
                    published_at=datetime.fromisoformat(published) if published else None,
                    language=item.get("language"),
                    body=strip_dateline(raw),
                ),
            )
        )
    return out


async def load_seeds(session: AsyncSession, seeds_dir: Path) -> list[IngestResult]:
    return [await ingest_article(session, seed.article) for seed in read_manifest(seeds_dir)]
