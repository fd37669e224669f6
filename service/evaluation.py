"""`article-store eval`: score the pipeline against hand-written gold quotes.

The gold file names articles by seed file stem (``000_e96bd463a1726657``); their texts are
the seed files (dateline stripped, exactly as `article-store seed` stores them). A gold file
may instead carry its texts (``"texts": {name: body}``, format v2, e.g.
``tests/nlp/gold/dev_news.json``); those articles need no seed file.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from nlp.evaluation import EvalReport, evaluate
from service.errors import InvalidInput
from service.seeds import strip_dateline


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


def report_rows(report: EvalReport) -> list[tuple[str, int, int, int, float, float, float]]:
    """(kind, tp, fp, fn, precision, recall, f1) for a table."""
    return [
        (kind, s.tp, s.fp, s.fn, s.precision, s.recall, s.f1) for kind, s in report.scores.items()
    ]


def evaluate_with_progress(
    gold_path: Path, seeds_dir: Path, spacy_model: str, console: Any
) -> EvalReport:
    """Load the pipeline and score it, with a rich progress bar on ``console``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from nlp.pipeline import Pipeline

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task("loading the pipeline", total=None)
        pipeline = Pipeline(spacy_model)
        bar.update(task, description="annotating and scoring")

        def progress(article: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"scored {article}")

        return run_evaluation(gold_path, seeds_dir, pipeline, progress)


def print_report(report: EvalReport, console: Any) -> None:
    from rich.table import Table

    table = Table(title="Quotes against gold")
    for col in ("kind", "tp", "fp", "fn", "precision", "recall", "F1"):
        table.add_column(col, justify="left" if col == "kind" else "right")
    for kind, tp, fp, fn, p, r, f1 in report_rows(report):
        table.add_row(kind, str(tp), str(fp), str(fn), f"{p:.3f}", f"{r:.3f}", f"{f1:.3f}")
    console.print(table)
    console.print(
        f"speaker accuracy: {report.speaker_accuracy:.3f} ({report.speaker_correct}/"
        f"{report.speaker_total}); named speakers: {report.named_speaker_accuracy:.3f} "
        f"({report.named_speaker_correct}/{report.named_speaker_total})"
    )
