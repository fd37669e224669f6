"""Reading articles to ingest from files: JSON Lines (optionally gzipped), or a folder of
.txt/.html; and writing them in bulk (service.bulk_ingest), chunk by chunk."""

from __future__ import annotations

import gzip
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, cast

import orjson

from db.engine import create_engine, session_factory
from service.articles import ArticleInput, BatchItemResult, build_input, ingest_batch
from service.errors import DomainError, InvalidEncoding, InvalidInput
from service.jobs import JobHandOff
from service.settings import Settings

FIELDS = {
    "outlet", "url", "external_id", "title", "byline", "published_at", "language", "body",
    "html", "fetched_at",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class SourceItem:
    where: str  # "file.jsonl:12" or "folder/a.txt"
    item: ArticleInput | DomainError


def _from_mapping(data: Any, outlet: str | None) -> ArticleInput:
    if not isinstance(data, dict):
        raise InvalidInput("each line must be a JSON object")
    unknown = set(data) - FIELDS
    if unknown:
        raise InvalidInput(f"unknown field(s): {', '.join(sorted(unknown))}")
    values = dict(data)
    values.setdefault("outlet", outlet)
    if not values.get("outlet"):
        raise InvalidInput("no outlet: give one per line or --outlet", field="outlet")
    for key in ("published_at", "fetched_at"):
        if isinstance(values.get(key), str):
            values[key] = datetime.fromisoformat(values[key].replace("Z", "+00:00"))
    return build_input(**values)


def iter_source(path: Path, outlet: str | None = None) -> Iterator[SourceItem]:
    """Every article in a JSON Lines file, or every .txt/.html file in a folder (the file
    name without extension is the external id; --outlet names the outlet)."""
    if path.is_dir():
        for file in sorted(p for p in path.iterdir() if p.suffix.lower() in (".txt", ".html")):
            try:
                raw = file.read_bytes()
                try:
                    content = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    raise InvalidEncoding(f"{file.name} is not valid UTF-8") from exc
                if not outlet:
                    raise InvalidInput("ingesting a folder needs --outlet")
                is_html = file.suffix.lower() == ".html"
                item: ArticleInput | DomainError = build_input(
                    outlet=outlet,
                    external_id=file.stem,
                    body=None if is_html else content,
                    html=content if is_html else None,
                )
            except DomainError as exc:
                item = exc
            yield SourceItem(str(file), item)
        return
    with _open_lines(path) as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = _from_mapping(orjson.loads(line), outlet)
            except orjson.JSONDecodeError as exc:
                item = InvalidInput(f"not JSON: {exc}")
            except (DomainError, TypeError, ValueError) as exc:
                item = exc if isinstance(exc, DomainError) else InvalidInput(str(exc))
            yield SourceItem(f"{path.name}:{n}", item)


def _open_lines(path: Path) -> IO[bytes]:
    if path.suffix.lower() == ".gz":
        return cast(IO[bytes], gzip.open(path, "rb"))
    return path.open("rb")


def count_items(path: Path) -> int:
    """How many articles ``path`` holds (non-empty lines; files of a folder), read quickly
    for the progress bar's total."""
    if path.is_dir():
        return sum(1 for p in path.iterdir() if p.suffix.lower() in (".txt", ".html"))
    n = 0
    with _open_lines(path) as fh:
        for line in fh:
            if line.strip():
                n += 1
    return n


def _chunks(items: Iterable[SourceItem], size: int) -> Iterator[list[SourceItem]]:
    part: list[SourceItem] = []
    for item in items:
        part.append(item)
        if len(part) == size:
            yield part
            part = []
    if part:
        yield part


ChunkDone = Callable[[list[SourceItem], list[BatchItemResult]], None]

# Articles per transaction at most (the API's batch holds 1,000).
MAX_CHUNK = 5000


async def ingest_items(
    settings: Settings,
    url: str,
    items: Iterable[SourceItem],
    *,
    chunk: int,
    on_chunk: ChunkDone,
) -> None:
    """Ingest ``items`` (read lazily) into the store at ``url``: one transaction per
    ``chunk`` items, written in bulk (service.bulk_ingest), each bad item reported and
    skipped. Each chunk's annotation runs and story grouping are handed to the job queue as
    soon as it commits. Re-running over the same file stores nothing twice: an article
    already in with the same text is ``unchanged``. ``on_chunk(part, results)`` is called
    after each committed chunk (a progress bar)."""
    engine = create_engine(url, pool_size=1, max_overflow=0)
    jobs = await JobHandOff.open(settings.model_copy(update={"database_url": url}))
    try:
        factory = session_factory(engine)
        for part in _chunks(items, chunk):
            async with factory() as session:
                results = await ingest_batch(
                    session,
                    [s.item for s in part],
                    max_bytes=settings.max_body_bytes,
                    jobs=jobs,
                    max_items=MAX_CHUNK,
                )
            on_chunk(part, results)
    finally:
        await jobs.close()
        await engine.dispose()
