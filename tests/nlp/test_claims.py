from __future__ import annotations

import json
import statistics
import time

import pytest
import spacy
from spacy.tokens import Doc

from nlp.claims import (
    DEFAULT_THRESHOLD,
    FEATURES,
    TEXT_FEATURE,
    extract_claims,
    score,
    score_sentences,
)
from nlp.pipeline import Pipeline
from nlp.types import Annotations, Claim
from tests.fixtures.paths import CLAIMS_GOLD

# Claims a fact-checker would pick from the seeds: (seed stem prefix, words the sentence contains).
FACT_CHECKER_PICKS = [
    ("004", "artillery shells and anti-tank missiles"),
    ("002", "artillery shells and antitank missiles"),
    ("000", "artillery shells and antitank missiles"),
    ("002", "to Vladivostok on the east coast of Russia, where he will meet"),
    ("004", "to Vladivostok, on the Pacific Coast of Russia, where he would meet"),
    ("004", "advanced technology for satellites and nuclear-powered submarines"),
    ("001", "military reconnaissance satellites"),
    ("002", "Kim is also seeking food aid"),
    ("004", "Kim is also seeking food aid"),
]


def _doc(pipeline: Pipeline, text: str) -> Doc:
    # The same parse Pipeline.annotate makes (the seeds are below the chunk size).
    return pipeline.nlp(text)


@pytest.fixture(scope="module")
def seed_candidates(pipeline: Pipeline, seed_texts: dict[str, str]) -> dict[str, list[Claim]]:
    out = {}
    for stem, body in seed_texts.items():
        ann = pipeline.annotate(body)
        out[stem] = score_sentences(
            _doc(pipeline, body), body, ann.quotes, ann.mentions, pipeline.topics
        )
    return out


@pytest.fixture(scope="module")
def seed_annotations(pipeline: Pipeline, seed_texts: dict[str, str]) -> dict[str, Annotations]:
    return {stem: pipeline.annotate(body) for stem, body in seed_texts.items()}


def _gold_rows(
    seed_texts: dict[str, str], candidates: dict[str, list[Claim]]
) -> list[tuple[str, str, float]]:
    """(label, sentence, score of the candidate covering most of it) per gold sentence."""
    gold = json.loads(CLAIMS_GOLD.read_text(encoding="utf-8"))
    rows = []
    for stem, items in gold["articles"].items():
        body = seed_texts[stem]
        pos = 0
        for item in items:
            start = body.index(item["text"], pos)
            end = pos = start + len(item["text"])
            best = max(candidates[stem], key=lambda c: min(end, c.end) - max(start, c.start))
            assert min(end, best.end) - max(start, best.start) >= 0.5 * (end - start)
            rows.append((item["label"], item["text"], best.score))
    return rows


def test_claims_precision_and_recall_on_seed_gold(
    seed_texts: dict[str, str], seed_candidates: dict[str, list[Claim]]
) -> None:
    rows = _gold_rows(seed_texts, seed_candidates)
    tp = sum(1 for label, _, s in rows if label == "claim" and s >= DEFAULT_THRESHOLD)
    fp = sum(1 for label, _, s in rows if label != "claim" and s >= DEFAULT_THRESHOLD)
    fn = sum(1 for label, _, s in rows if label == "claim" and s < DEFAULT_THRESHOLD)
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    print(f"claims: {len(rows)} sentences, P={precision:.3f} R={recall:.3f} at {DEFAULT_THRESHOLD}")
    assert len(rows) >= 150
    # Measured P 0.744, R 0.977 (docs/nlp.md). The old hand weights were tuned on this same
    # set (P 0.89, a training figure); the learned model never saw it.
    assert precision >= 0.72
    assert recall >= 0.95


def test_fact_checker_claims_rank_above_median_non_claim(
    seed_texts: dict[str, str], seed_candidates: dict[str, list[Claim]]
) -> None:
    rows = _gold_rows(seed_texts, seed_candidates)
    median_non_claim = statistics.median(s for label, _, s in rows if label == "not_claim")
    for prefix, words in FACT_CHECKER_PICKS:
        stem = next(s for s in seed_texts if s.startswith(prefix))
        picks = [c for c in seed_candidates[stem] if words in c.text]
        assert len(picks) == 1, (prefix, words)
        assert picks[0].score > median_non_claim, (picks[0].text, picks[0].features)
        assert picks[0].score >= DEFAULT_THRESHOLD


def test_claims_have_exact_offsets_claimants_and_features(
    seed_texts: dict[str, str], seed_annotations: dict[str, Annotations]
) -> None:
    for stem, ann in seed_annotations.items():
        body = seed_texts[stem]
        assert ann.claims, stem
        for c in ann.claims:
            assert body[c.start : c.end] == c.text
            assert c.text == c.text.strip()
            assert DEFAULT_THRESHOLD <= c.score <= 1.0
            assert set(c.features) == {*FEATURES, TEXT_FEATURE}
            assert abs(score(c.features) - c.score) < 1e-3
            if c.is_reporter:
                assert c.claimant_text is None and c.claimant_key is None
                assert c.quote_index is None
            else:
                assert c.quote_index is not None
                q = ann.quotes[c.quote_index]
                assert q.start < c.end and c.start < q.end
                assert (c.claimant_text, c.claimant_key) == (q.speaker_text, q.speaker_key)
            keys = {e.key for e in ann.entities}
            assert set(c.entity_keys) <= keys


def test_claim_in_a_quote_takes_the_speaker_and_reporter_claim_takes_none(
    seed_texts: dict[str, str], seed_annotations: dict[str, Annotations]
) -> None:
    ann = seed_annotations[next(s for s in seed_texts if s.startswith("004"))]
    shells = next(c for c in ann.claims if "anti-tank missiles" in c.text)
    assert shells.claimant_text == "the officials" and shells.claimant_key is None
    assert not shells.is_reporter
    ann2 = seed_annotations[next(s for s in seed_texts if s.startswith("002"))]
    food = next(c for c in ann2.claims if "food aid" in c.text)
    assert food.is_reporter and food.claimant_text is None
    ann0 = seed_annotations[next(s for s in seed_texts if s.startswith("000"))]
    pak = next(c for c in ann0.claims if "arms-transfer relationship" in c.text)
    assert pak.claimant_key is not None and "pak" in pak.claimant_key


def test_boilerplate_captions_and_bios_are_not_claims(
    seed_texts: dict[str, str], seed_annotations: dict[str, Annotations]
) -> None:
    texts = [c.text for ann in seed_annotations.values() for c in ann.claims]
    for junk in (
        "in this photo released by",
        "via AP)",
        "Sign up",
        "Sign Up",
        "David Choi is based in",
        "He graduated from",
        "He served in the U.S. Army",
        "contributed.",
    ):
        assert not any(junk in t for t in texts), junk


def test_datelines_are_cut_from_claims(seed_annotations: dict[str, Annotations]) -> None:
    texts = [c.text for ann in seed_annotations.values() for c in ann.claims]
    assert not any(t.startswith(("SEOUL", "WASHINGTON")) for t in texts)
    assert any(t.startswith("Kim Jong Un, the leader of North Korea, plans") for t in texts)


def test_questions_opinions_and_non_assertions_score_low(pipeline: Pipeline) -> None:
    text = (
        "Will the talks in Geneva succeed?\n"
        "“I think this is a wonderful day for everyone,” said Angela Merkel.\n"
        "The ministry declined to comment on the report.\n"
        "Russia shipped 300 tanks to Belarus on Monday, the Defense Ministry said."
    )
    ann = pipeline.annotate(text)
    assert [c.text for c in ann.claims] == [
        "Russia shipped 300 tanks to Belarus on Monday, the Defense Ministry said."
    ]
    assert ann.claims[0].claimant_text == "Defense Ministry"
    assert ann.claims[0].features["number"] == 1.0


@pytest.mark.parametrize("text", ["", "   ", "\n\n", "___", "“”", "Yes."])
def test_degenerate_texts_give_no_claims(pipeline: Pipeline, text: str) -> None:
    assert pipeline.annotate(text).claims == ()


def test_claim_scoring_is_linear_on_a_large_doc() -> None:
    # A blank tokenizer + sentencizer gives a big Doc in seconds; the scorer's own cost is what
    # is measured (the pipeline reuses its parsed Doc, so parsing is never repeated).
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 2_000_000
    unit = "Officials said 300 tanks crossed into Belarus on Monday. “We will respond,” he said. "
    small, large = nlp(unit * 600), nlp(unit * 6_000)  # ~50 kB and ~500 kB
    t0 = time.perf_counter()
    n_small = len(extract_claims(small, small.text, threshold=0.0))
    t1 = time.perf_counter()
    n_large = len(extract_claims(large, large.text, threshold=0.0))
    t2 = time.perf_counter()
    assert n_large == 10 * n_small > 0
    assert t2 - t1 < 30 * max(t1 - t0, 0.01)  # linear-ish, generous for noisy machines
    assert t2 - t1 < 20
