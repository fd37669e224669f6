"""``article-store eval``: score the NLP pipeline against gold files, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from cli.common import console, fail, load_settings, out
from nlp.evaluation import EvalReport


def evaluate_with_progress(
    gold_path: Path, seeds_dir: Path, spacy_model: str, console: Console
) -> EvalReport:
    """Load the pipeline and score it, with a rich progress bar on ``console``."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from nlp.pipeline import Pipeline
    from service.evaluation import run_evaluation

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


def print_report(report: EvalReport, console: Console) -> None:
    from rich.table import Table

    table = Table(title="Quotes against gold")
    for col in ("kind", "tp", "fp", "fn", "precision", "recall", "F1"):
        table.add_column(col, justify="left" if col == "kind" else "right")
    for kind, s in report.scores.items():
        table.add_row(
            kind,
            str(s.tp),
            str(s.fp),
            str(s.fn),
            f"{s.precision:.3f}",
            f"{s.recall:.3f}",
            f"{s.f1:.3f}",
        )
    console.print(table)
    console.print(
        f"speaker accuracy: {report.speaker_accuracy:.3f} ({report.speaker_correct}/"
        f"{report.speaker_total}); named speakers: {report.named_speaker_accuracy:.3f} "
        f"({report.named_speaker_correct}/{report.named_speaker_total})"
    )


def eval_(
    gold: Annotated[
        Path | None,
        typer.Option(
            help="Gold quotes JSON (format in docs/nlp.md); default: the shipped seed gold.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Score the NLP pipeline against gold quotes: P/R/F1 per kind and speaker accuracy."""
    from nlp.evaluation import shipped_gold
    from service.errors import DomainError

    settings = load_settings()
    try:
        report = evaluate_with_progress(
            gold or shipped_gold("seeds.json"), settings.seeds_dir, settings.spacy_model, console
        )
    except DomainError as exc:
        raise fail(exc.detail) from exc
    if as_json:
        import orjson

        typer.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    else:
        print_report(report, out)


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_)
