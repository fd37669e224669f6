from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.pipeline import Pipeline
from service.errors import InvalidInput
from service.evaluation import run_evaluation

GOLD_DIR = Path(__file__).resolve().parents[1] / "nlp" / "gold"


def test_eval_scores_a_gold_file_that_carries_its_texts(pipeline: Pipeline, tmp_path: Path) -> None:
    report = run_evaluation(GOLD_DIR / "check_news.json", tmp_path, pipeline)  # no seed files
    gold = json.loads((GOLD_DIR / "check_news.json").read_text(encoding="utf-8"))
    total = sum(len(q) for q in gold["articles"].values())
    assert report.scores["all"].tp + report.scores["all"].fn == total


def test_eval_rejects_texts_that_are_not_strings(pipeline: Pipeline, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"texts": {"a": 1}, "articles": {"a": []}}), encoding="utf-8")
    with pytest.raises(InvalidInput):
        run_evaluation(bad, tmp_path, pipeline)
