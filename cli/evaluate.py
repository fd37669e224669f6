"""``article-store eval [quotes|claims|topics]``: score the NLP pipeline against gold files,
with a progress bar; tables on stdout, or the full report as JSON."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from cli.common import console, fail, load_settings, out
from nlp.evaluation import ClaimsReport, EvalReport

T = TypeVar("T")

# the gold file each evaluation scores by default, shipped in the package (nlp/data/gold/)
DEFAULT_GOLD = {"quotes": "seeds.json", "claims": "claims_seeds.json"}


def with_progress(
    spacy_model: str,
    console: Console,
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


def print_quotes_report(report: EvalReport, console: Console) -> None:
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


def print_claims_report(report: ClaimsReport, console: Console) -> None:
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


def eval_(
    what: Annotated[
        str, typer.Argument(help="What to score: quotes (the default), claims or topics.")
    ] = "quotes",
    gold: Annotated[
        Path | None,
        typer.Option(
            help="Gold JSON (formats in docs/nlp.md; for claims also ClaimBuster's). Default: "
            "the gold shipped in the package for quotes and claims.",
            exists=True,
            dir_okay=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the full report as JSON.")] = False,
) -> None:
    """Score the NLP pipeline against gold: quotes (P/R/F1 per kind, speaker accuracy),
    claims (P/R/F1 at the default threshold, average precision, calibration) or topics."""
    from nlp.evaluation import shipped_gold
    from service import evaluation
    from service.errors import DomainError

    if what not in ("quotes", "claims", "topics"):
        raise fail(f"unknown evaluation {what!r}: quotes, claims or topics", 2)
    settings = load_settings()
    if what == "topics" and gold is None:
        raise fail(
            "eval topics needs --gold FILE (the development set is "
            "tests/nlp/gold/topics_dev.json in a checkout)",
            2,
        )
    gold_path = gold or shipped_gold(DEFAULT_GOLD[what])
    report: Any
    try:
        if what == "topics":
            report = with_progress(
                settings.spacy_model,
                console,
                lambda p, progress: evaluation.run_topics_evaluation(gold_path, p, progress),
            )
        elif what == "claims":
            report = with_progress(
                settings.spacy_model,
                console,
                lambda p, progress: evaluation.run_claims_evaluation(
                    gold_path, settings.seeds_dir, p, progress
                ),
                topics=(),
            )
        else:
            report = with_progress(
                settings.spacy_model,
                console,
                lambda p, progress: evaluation.run_evaluation(
                    gold_path, settings.seeds_dir, p, progress
                ),
            )
    except DomainError as exc:
        raise fail(exc.detail) from exc
    if as_json:
        import orjson

        typer.echo(orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode())
    elif what == "claims":
        print_claims_report(report, out)
    elif what == "topics":
        from nlp.evaluation import topic_report_lines

        out.print("\n".join(topic_report_lines(report)), markup=False, highlight=False)
    else:
        print_quotes_report(report, out)


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_)
