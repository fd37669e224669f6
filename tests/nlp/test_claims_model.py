"""The learned check-worthiness model: shipped, calibrated, measured, retrainable."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from nlp.claims_model import MODEL_FORMAT, MODEL_RESOURCE, ClaimsModel, load_model, read_model
from nlp.evaluation import average_precision, evaluate_claims, load_claim_gold
from nlp.pipeline import Pipeline
from tests.fixtures.paths import CLAIMS_GOLD, PROJECT_ROOT

NEWS_GOLD = Path(__file__).parent / "gold" / "claims_news.json"
SEEDS_GOLD = CLAIMS_GOLD
CLAIMBUSTER = PROJECT_ROOT.parent / "shared" / "data" / "claimbuster"

# Measured with `article-store eval claims` (docs/nlp.md, model card): news F1 0.855 AP 0.942,
# seeds F1 0.845 AP 0.885, ClaimBuster test F1 0.856 AP 0.938. Scoring is deterministic; the
# floors sit ~0.02 below so that a retrained model that regresses fails.
NEWS_FLOOR = {"f1": 0.83, "average_precision": 0.92}
SEEDS_FLOOR = {"f1": 0.82, "average_precision": 0.86}
CLAIMBUSTER_TEST_FLOOR = {"f1": 0.83, "average_precision": 0.92}


def _scores(pipeline: Pipeline, text: str) -> dict[str, float]:
    (cands,) = pipeline.claim_candidates_many([text])
    return {c.text: c.score for c in cands}


def test_shipped_model_loads_from_the_package_and_is_small() -> None:
    ref = resources.files("nlp").joinpath("data", MODEL_RESOURCE)
    assert ref.is_file()
    assert len(ref.read_bytes()) <= 50 * 1024 * 1024
    data = read_model()
    assert data["format"] == MODEL_FORMAT
    assert "ClaimBuster" in data["data"]["name"]
    model = load_model()
    assert isinstance(model, ClaimsModel)
    assert load_model() is model  # loaded once per process
    assert {b.name for b in model.blocks} == {"word", "char", "entword", "tag", "dep"}
    assert model.combiner_weights["boilerplate"] < 0  # the documented prior


def test_pipeline_loads_the_model_once_and_names_it_in_its_version(pipeline: Pipeline) -> None:
    assert pipeline.claims_model is load_model()
    assert pipeline.version.endswith(f".claims{pipeline.claims_model.version}")


def test_check_worthy_sentences_score_above_half_and_opinions_questions_below(
    pipeline: Pipeline,
) -> None:
    claims = [
        "Unemployment fell to 3.9 percent in April, the lowest rate since 2001, the Labor "
        "Department said on Friday.",
        "The company cut 12,000 jobs last year after revenue dropped by a third.",
        "More than 40 million Americans have no health insurance.",
    ]
    not_claims = [
        "Will the talks in Geneva succeed?",
        "I think this is a wonderful day for everyone.",
        "What a beautiful evening it was.",
        "Sign up for our newsletter to get the latest news.",
    ]
    for text in claims:
        s = _scores(pipeline, text)[text]
        assert s > 0.5, (text, s)
    for text in not_claims:
        s = _scores(pipeline, text)[text]
        assert s < 0.5, (text, s)


def test_ranking_puts_the_factual_claim_first(pipeline: Pipeline) -> None:
    text = (
        "It was a gloomy afternoon in the capital.\n"
        "“We are very happy with the result,” the coach said.\n"
        "The government borrowed £14.9 billion in October, £3 billion more than forecast, "
        "the Office for National Statistics said."
    )
    ranked = sorted(_scores(pipeline, text).items(), key=lambda kv: -kv[1])
    assert ranked[0][0].startswith("The government borrowed")


def test_news_gold_reaches_the_measured_floor(pipeline: Pipeline) -> None:
    gold = json.loads(NEWS_GOLD.read_text(encoding="utf-8"))
    assert gold["date"] == "2026-12-01"
    report = evaluate_claims(pipeline, gold)
    print("news:", {k: v for k, v in report.to_dict().items() if k != "errors"})
    assert report.count >= 200
    assert 0.3 <= report.positives / report.count <= 0.7
    assert report.f1 >= NEWS_FLOOR["f1"]
    assert report.average_precision >= NEWS_FLOOR["average_precision"]


def test_seed_claims_gold_reaches_the_measured_floor(
    pipeline: Pipeline, seed_texts: dict[str, str]
) -> None:
    gold = json.loads(SEEDS_GOLD.read_text(encoding="utf-8"))
    report = evaluate_claims(pipeline, gold, seed_texts)
    print("seeds:", {k: v for k, v in report.to_dict().items() if k != "errors"})
    assert report.count >= 150
    assert report.f1 >= SEEDS_FLOOR["f1"]
    assert report.average_precision >= SEEDS_FLOOR["average_precision"]


@pytest.mark.slow
@pytest.mark.skipif(not (CLAIMBUSTER / "test.json").is_file(), reason="ClaimBuster not found")
def test_claimbuster_test_reaches_the_measured_floor(pipeline: Pipeline) -> None:
    gold = json.loads((CLAIMBUSTER / "test.json").read_text(encoding="utf-8"))
    report = evaluate_claims(pipeline, gold)
    assert report.count == 702
    assert report.f1 >= CLAIMBUSTER_TEST_FLOOR["f1"]
    assert report.average_precision >= CLAIMBUSTER_TEST_FLOOR["average_precision"]


def test_claim_gold_accepts_claimbuster_rows_and_project_articles() -> None:
    bodies, items = load_claim_gold(
        [
            {"sentence_id": 7, "text": "Taxes rose 4 percent.", "label": 1},
            {"text": "Hi.", "label": 0},
        ]
    )
    assert [i.label for i in items] == [True, False]
    assert bodies["sentence-7"] == "Taxes rose 4 percent."
    bodies, items = load_claim_gold(
        {
            "articles": {
                "a": [{"text": "One.", "label": "claim"}, {"text": "Two?", "label": "not_claim"}]
            }
        }
    )
    assert bodies["a"] == "One.\n\nTwo?"
    assert [(i.start, i.end, i.label) for i in items] == [(0, 4, True), (6, 10, False)]
    with pytest.raises(ValueError):
        load_claim_gold({"articles": {"a": [{"text": "One.", "label": "maybe"}]}})


def test_average_precision_matches_the_step_definition() -> None:
    assert average_precision([True, False, True], [0.9, 0.8, 0.7]) == pytest.approx(
        0.5 * 1 + 0.5 * (2 / 3)
    )
    assert average_precision([True, True], [0.1, 0.2]) == 1.0
    # tied scores form one step
    assert average_precision([True, False], [0.5, 0.5]) == 0.5


SYNTHETIC_CLAIMS = [
    "The state spent {n} million dollars on roads in {y}.",
    "Unemployment rose to {n} percent in {y}.",
    "We cut taxes for {n} million families since {y}.",
    "The deficit reached {n} billion dollars in {y}.",
]
SYNTHETIC_OTHER = [
    "Thank you very much, {name}.",
    "I think that is a wonderful question, {name}.",
    "What would you do about it, {name}?",
    "Let me finish, {name}.",
]


def _synthetic(n: int) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    names = ["Jim", "Bob", "Martha", "Lester", "Chris"]
    for i in range(n):
        fmt = (SYNTHETIC_CLAIMS if i % 2 == 0 else SYNTHETIC_OTHER)[i % 4]
        text = fmt.format(n=3 + i, y=1990 + i % 30, name=names[i % 5])
        rows.append({"sentence_id": i, "label": int(i % 2 == 0), "text": text})
    return rows


def test_training_on_a_small_slice_is_deterministic_and_writes_a_loadable_model(
    tmp_path: Path,
) -> None:
    from nlp.train import main

    data = tmp_path / "data"
    data.mkdir()
    (data / "train.json").write_text(json.dumps(_synthetic(80)), encoding="utf-8")
    (data / "test.json").write_text(json.dumps(_synthetic(20)), encoding="utf-8")
    out_a, out_b = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    assert main(["claims", "--data", str(data), "--out", str(out_a), "--folds", "3"]) == 0
    assert main(["claims", "--data", str(data), "--out", str(out_b), "--folds", "3"]) == 0
    assert out_a.read_bytes() == out_b.read_bytes()
    model = load_model(out_a)
    assert model.meta["data"]["train_count"] == 80
    assert model.meta["figures"]["test_combined"]["f1"] >= 0.9


def test_fast_text_logit_equals_the_logit_over_the_training_features(pipeline: Pipeline) -> None:
    from nlp.claims_model import span_features

    model = load_model()
    doc = pipeline.nlp(
        "The Senate passed the bill 68-32 on Tuesday. Critics called it a disgrace!\n"
        "“We will appeal,” said Ms. O'Neill, whose company lost $4.5 billion in 2023."
    )
    # whole sentences, the whole text, one token, no token, words the vocabulary lacks
    odd = pipeline.nlp("Zyxwvut qwertyuiop 12,345 florbs gribbled.")
    spans = [*doc.sents, doc[:], doc[:1], doc[:0], odd[:], odd[1:3]]
    slow = []
    for sent in spans:
        feats = span_features(sent)
        slow.append(model.intercept + sum(b.logit(feats[b.name]) for b in model.blocks))
        assert model.text_logit(sent) == pytest.approx(slow[-1], abs=1e-9)
    # scored together (what score_sentences does), in any order: the same logits
    assert model.text_logits(spans) == pytest.approx(slow, abs=1e-9)
    assert model.text_logits(spans[::-1]) == pytest.approx(slow[::-1], abs=1e-9)
    assert model.text_logits([]) == []
