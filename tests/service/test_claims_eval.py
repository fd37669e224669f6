"""`article-store eval claims`: the service reads gold files in both formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.pipeline import Pipeline
from service.errors import InvalidInput
from service.evaluation import run_claims_evaluation
from tests.fixtures.paths import CLAIMS_GOLD, SEEDS_DIR

SEEDS = SEEDS_DIR


def test_claimbuster_rows_and_seed_articles_are_both_scored(
    pipeline: Pipeline, tmp_path: Path
) -> None:
    rows = tmp_path / "cb.json"
    rows.write_text(
        json.dumps(
            [
                {"sentence_id": 1, "label": 1, "text": "We lost 800,000 jobs in January alone."},
                {"sentence_id": 2, "label": 0, "text": "Thank you, Senator."},
            ]
        ),
        encoding="utf-8",
    )
    report = run_claims_evaluation(rows, SEEDS, pipeline)
    assert (report.count, report.positives, report.f1) == (2, 1, 1.0)

    stem = sorted(p.stem for p in SEEDS.glob("*.txt"))[0]
    gold = json.loads(CLAIMS_GOLD.read_text())
    one = tmp_path / "seed.json"
    one.write_text(json.dumps({"articles": {stem: gold["articles"][stem]}}), encoding="utf-8")
    report = run_claims_evaluation(one, SEEDS, pipeline)
    assert report.count == len(gold["articles"][stem])


def test_a_file_that_is_not_claim_gold_is_invalid_input(pipeline: Pipeline, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"topics": []}), encoding="utf-8")
    with pytest.raises(InvalidInput):
        run_claims_evaluation(bad, SEEDS, pipeline)
