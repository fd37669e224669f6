"""`article-store eval`: score the pipeline against hand-written gold quotes or claims.

The quote gold file names articles by seed file stem (``000_e96bd463a1726657``); their texts
are the seed files (dateline stripped, exactly as `article-store seed` stores them). A claim
gold file's articles use the seed texts where a seed file of that name exists, else their own
sentences (:func:`nlp.evaluation.load_claim_gold`); ClaimBuster's list format is accepted too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import orjson

from nlp.evaluation import ClaimsReport, EvalReport, evaluate, evaluate_claims
from service.errors import InvalidInput
from service.seeds import strip_dateline

T = TypeVar("T")


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
    texts = load_texts(seeds_dir, sorted(articles))
    try:
        return evaluate(pipeline, {"articles": articles}, texts, progress=progress)
    except ValueError as exc:  # a gold quote not found in its text
        raise InvalidInput(str(exc)) from exc


def report_rows(report: EvalReport) -> list[tuple[str, int, int, int, float, float, float]]:
    """(kind, tp, fp, fn, precision, recall, f1) for a table."""
    return [
        (kind, s.tp, s.fp, s.fn, s.precision, s.recall, s.f1) for kind, s in report.scores.items()
    ]


def with_progress(
    spacy_model: str,
    console: Any,
    run: Callable[[Any, Callable[[str, int, int], None]], T],
    **pipeline_args: Any,
) -> T:
    """Load the pipeline and call ``run(pipeline, progress)`` under a rich progress bar."""
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
        pipeline = Pipeline(spacy_model, **pipeline_args)
        bar.update(task, description="annotating and scoring")

        def progress(article: str, done: int, total: int) -> None:
            bar.update(task, completed=done, total=total, description=f"scored {article}")

        return run(pipeline, progress)


def evaluate_with_progress(
    gold_path: Path, seeds_dir: Path, spacy_model: str, console: Any
) -> EvalReport:
    """Load the pipeline and score it, with a rich progress bar on ``console``."""
    return with_progress(
        spacy_model, console, lambda p, progress: run_evaluation(gold_path, seeds_dir, p, progress)
    )


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


# -- claims -------------------------------------------------------------------------------


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


def evaluate_claims_with_progress(
    gold_path: Path, seeds_dir: Path, spacy_model: str, console: Any
) -> ClaimsReport:
    """Load the pipeline and score its claims, with a rich progress bar on ``console``."""
    return with_progress(
        spacy_model,
        console,
        lambda p, progress: run_claims_evaluation(gold_path, seeds_dir, p, progress),
        topics=(),
    )


def print_claims_report(report: ClaimsReport, console: Any) -> None:
    from rich.table import Table

    console.print(
        f"claims: {report.count} gold sentences ({report.positives} claims); threshold "
        f"{report.threshold}: P={report.precision:.3f} R={report.recall:.3f} F1={report.f1:.3f}; "
        f"average precision {report.average_precision:.3f}"
    )
    table = Table(title="Claims against gold, by threshold")
    for col in ("threshold", "tp", "fp", "fn", "precision", "recall", "F1"):
        table.add_column(col, justify="right")
    for t in (0.3, 0.4, 0.5, 0.6, 0.7):
        r = report.at(t)
        table.add_row(
            f"{t:.1f}", str(r["tp"]), str(r["fp"]), str(r["fn"]),
            f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"{r['f1']:.3f}",
        )  # fmt: skip
    console.print(table)
    cal = Table(title="Calibration: share of claims per score bin")
    for col in ("score", "sentences", "mean score", "claim rate"):
        cal.add_column(col, justify="right")
    for b in report.calibration():
        cal.add_row(
            str(b["bin"]), str(b["count"]), f"{b['mean_score']:.3f}", f"{b['claim_rate']:.3f}"
        )
    console.print(cal)
