from __future__ import annotations

import json

from nlp.evaluation import evaluate
from nlp.pipeline import Pipeline
from tests.nlp.conftest import GOLD
from tests.nlp.helpers import check_offsets


def test_gold_quotes_occur_in_seed_bodies(seed_texts: dict[str, str]) -> None:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    assert set(gold["articles"]) == set(seed_texts)
    for stem, quotes in gold["articles"].items():
        for q in quotes:
            n = seed_texts[stem].count(q["text"])
            assert n > q.get("occurrence", 0), (stem, q["text"][:60])
            assert n == 1 or "occurrence" in q
            assert q["kind"] in {"direct", "indirect", "mixed"}


def test_seed_direct_quote_f1_and_speaker_accuracy(
    pipeline: Pipeline, seed_texts: dict[str, str]
) -> None:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    report = evaluate(pipeline, gold, seed_texts)
    assert report.scores["direct"].f1 >= 0.95, report.to_dict()
    assert report.speaker_accuracy >= 0.9, report.to_dict()
    assert report.scores["all"].f1 >= 0.9, report.to_dict()
    as_dict = report.to_dict()
    assert set(as_dict["scores"]) == {"direct", "indirect", "mixed", "all"}


def test_seed_annotations_keep_offset_invariant(
    pipeline: Pipeline, seed_texts: dict[str, str]
) -> None:
    for text, ann in zip(
        seed_texts.values(), pipeline.annotate_many(seed_texts.values()), strict=True
    ):
        check_offsets(text, ann)
