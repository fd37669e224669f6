"""`article-store eval`: score the pipeline against hand-written gold quotes or claims.

The quote gold file names articles by seed file stem (``000_e96bd463a1726657``); their texts
are the seed files (dateline stripped, exactly as `article-store seed` stores them). A claim
gold file's articles use the seed texts where a seed file of that name exists, else their own
sentences (:func:`nlp.evaluation.load_claim_gold`); ClaimBuster's list format is accepted too.
A quote gold file may instead carry its texts (``"texts": {name: body}``, format v2, e.g.
``tests/nlp/gold/dev_news.json``); those articles need no seed file.

"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from nlp.evaluation import (
    ClaimsReport,
    EvalReport,
    TopicEvalReport,
    evaluate,
    evaluate_claims,
    evaluate_topics,
)
from nlp.text import strip_dateline
from service.errors import InvalidInput


def load_texts(seeds_dir: Path, names: list[str]) -> dict[str, str]:
    texts: dict[str, str] = {}
    for name in names:
        path = seeds_dir / f"{name}.txt"
        if not path.is_file():
            raise InvalidInput(f"gold article {name!r} has no text at {path}", article=name)
        texts[name] = strip_dateline(path.read_text(encoding="utf-8"))
    return texts


def run_evaluation(
    gold_path: Path,
    seeds_dir: Path,
    pipeline: Any,
    progress: Callable[[str, int, int], None] | None = None,
) -> EvalReport:
    """Annotate every gold article with ``pipeline`` and score quotes and speakers."""
    try:
        gold = orjson.loads(gold_path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read gold file {gold_path}: {exc}") from exc
    articles = gold.get("articles", gold) if isinstance(gold, dict) else None
    if not isinstance(articles, dict):
        raise InvalidInput(f"{gold_path} is not a gold file (see docs/nlp.md)")
    # a self-contained gold file (format v2) carries its texts; v1 files name seed stems
    inline = gold.get("texts") or {}
    if not isinstance(inline, dict) or not all(isinstance(t, str) for t in inline.values()):
        raise InvalidInput(f"{gold_path}: 'texts' must map article names to strings")
    texts = {name: inline[name] for name in articles if name in inline}
    texts.update(load_texts(seeds_dir, sorted(set(articles) - set(texts))))
    try:
        return evaluate(pipeline, {"articles": articles}, texts, progress=progress)
    except ValueError as exc:  # a gold quote not found in its text
        raise InvalidInput(str(exc)) from exc


def run_claims_evaluation(
    gold_path: Path,
    seeds_dir: Path,
    pipeline: Any,
    progress: Callable[[str, int, int], None] | None = None,
) -> ClaimsReport:
    """Score every gold sentence with ``pipeline``'s claim candidates."""
    try:
        gold = orjson.loads(gold_path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read gold file {gold_path}: {exc}") from exc
    names = list(gold["articles"]) if isinstance(gold, dict) and "articles" in gold else []
    seeded = [n for n in names if (seeds_dir / f"{n}.txt").is_file()]
    try:
        return evaluate_claims(pipeline, gold, load_texts(seeds_dir, seeded), progress=progress)
    except ValueError as exc:  # not a gold file, or a gold sentence not in its text
        raise InvalidInput(f"{gold_path}: {exc}") from exc


def run_topics_evaluation(
    gold_path: Path,
    pipeline: Any,
    progress: Callable[[str, int, int], None] | None = None,
) -> TopicEvalReport:
    """Annotate every gold article's text with ``pipeline`` and score its ranked topics."""
    try:
        gold = orjson.loads(gold_path.read_bytes())
    except (OSError, orjson.JSONDecodeError) as exc:
        raise InvalidInput(f"cannot read gold file {gold_path}: {exc}") from exc
    try:
        return evaluate_topics(
            gold, lambda texts: (a.topics for a in pipeline.annotate_many(texts)), progress
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidInput(
            f"{gold_path} is not a topics gold file (see docs/nlp.md): {exc}"
        ) from exc
