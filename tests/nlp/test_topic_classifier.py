"""Article and claim topics over the IPTC tree (nlp/topic_classifier.py)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from nlp.evaluation import evaluate_claim_topics, evaluate_topics, topic_report_lines
from nlp.iptc import load_topics
from nlp.pipeline import Pipeline
from nlp.topic_classifier import INHERITED_MAX, MIN_CLAIM_SCORE, TopicIndex, default_index
from nlp.topics import descendants
from nlp.types import ArticleTopic, TopicDef, TopicRules

DEV = Path(__file__).parent / "gold" / "topics_dev.json"

# Texts written for these tests (not in the dev set): (text, top-level slug, a specific slug
# the article's specific topic must be, or lie under, or None).
CASES = [
    (
        "Celtic came from two goals down to draw 2-2 with Rangers at Ibrox on Sunday. The "
        "striker scored in stoppage time after the goalkeeper could only parry a free kick, and "
        "the manager said his players had shown great spirit in the second half.",
        "sport",
        "soccer",
    ),
    (
        "The two regional lenders agreed to merge in an all-share deal worth 6 billion euros, "
        "creating the country's third-largest bank. Shareholders of the smaller bank will "
        "receive 1.4 new shares for each share they own, and the combined company expects "
        "savings of 300 million euros a year from closing overlapping branches.",
        "economy",
        "merger-acquisition",
    ),
    (
        "The Berlin film festival opened on Thursday with a Danish drama, and 19 films will "
        "compete for the Golden Bear. The jury, led by a Mexican director, will announce the "
        "winners next weekend after ten days of screenings and premieres.",
        "arts-culture-entertainment-media",
        "film-festival",
    ),
    (
        "Floodwaters rose through the night as the river burst its banks, forcing 3,000 people "
        "to leave their homes. Rescuers in boats reached families trapped on upper floors, and "
        "two people were missing after their car was swept away.",
        "disaster-accident-emergency-incident",
        "flood",
    ),
    (
        "Voters go to the polls on Sunday in a presidential election that the incumbent is "
        "expected to win, although the opposition candidate has drawn large crowds at campaign "
        "rallies. Turnout in the first round was 61 percent.",
        "politics",
        "election",
    ),
    (
        "The jury found the accountant guilty of embezzling 2 million dollars from the charity "
        "where she worked. The judge will pass sentence next month; prosecutors asked for a "
        "prison term of six years.",
        "crime-law-justice",
        None,
    ),
    (
        "Nurses at three hospitals said patients with flu were waiting up to 14 hours for a "
        "bed, as the number of people admitted with the virus doubled in a week. Doctors urged "
        "older people to get vaccinated.",
        "health",
        None,
    ),
    (
        "Dock workers began a 48-hour strike on Monday after their union rejected a pay offer "
        "of 5 percent, and picket lines formed at the port gates. The union said wages had "
        "fallen behind inflation for three years.",
        "labour",
        "strike",
    ),
    (
        "Rebel fighters shelled the outskirts of the city overnight, and the army said it had "
        "repelled an offensive by hundreds of troops on the northern front line. At least 40 "
        "soldiers and civilians were killed in the fighting.",
        "conflict-war-peace",
        None,
    ),
    (
        "Temperatures will climb to 35 degrees Celsius on Friday as a heatwave builds, "
        "forecasters said, before thunderstorms and heavy showers bring fresher weather at the "
        "weekend.",
        "weather",
        None,
    ),
    (
        "Researchers trained an artificial intelligence model to predict the structure of "
        "proteins from their genetic sequence, and the software correctly folded 90 percent "
        "of the molecules in a test set, the scientists reported in a journal.",
        "science-technology",
        None,
    ),
    (
        "The bishop led prayers for peace at the cathedral on Sunday, and the congregation "
        "lit candles as the church marked the start of Lent with a special service.",
        "religion-belief",
        None,
    ),
]


@pytest.fixture(scope="module")
def index() -> TopicIndex:
    return default_index()


@pytest.mark.parametrize(("text", "top", "specific"), CASES, ids=[c[1] for c in CASES])
def test_an_article_gets_the_right_top_level_topic_first(
    index: TopicIndex, text: str, top: str, specific: str | None
) -> None:
    topics = index.classify_article(text)
    assert topics and topics[0].slug == top and topics[0].depth == 0
    if specific is not None:
        (spec,) = [t.slug for t in topics if t.top == top and t.depth > 0]
        assert spec in descendants(specific, index.topics)


def test_article_topics_are_ranked_shares_with_their_specific_topic(index: TopicIndex) -> None:
    topics = index.classify_article(CASES[0][0] + " " + CASES[1][0])
    tops = [t for t in topics if t.depth == 0]
    assert {tops[0].slug, tops[1].slug} == {"sport", "economy"}
    assert sum(t.score for t in tops) <= 1.0 + 1e-9
    by_slug = {t.slug: t for t in topics}
    for t in topics:
        assert 0 < t.score <= 1
        assert t.top in by_slug and by_slug[t.top].depth == 0
        assert t.score <= by_slug[t.top].score
        if t.depth:
            assert t.iptc_code is None or t.iptc_code.startswith("medtop:")
    assert by_slug["sport"].iptc_code == "medtop:15000000"
    assert by_slug["sport"].name == "Sport"


def test_publishing_boilerplate_does_not_count_for_article_topics(index: TopicIndex) -> None:
    text = CASES[0][0]
    noisy = (
        text + "\n\nCopyright 2025 The Associated Press. All rights reserved. This material may "
        "not be published, broadcast, rewritten or redistributed. Sign up for our newsletter "
        "and follow us on Instagram. Reporting by Ann Lee; Editing by Tim Ross."
    )
    assert index.classify_article(noisy) == index.classify_article(text)


def test_ing_words_do_not_match_the_unrelated_word_their_stem_is(index: TopicIndex) -> None:
    def evidence(text: str) -> dict[str, float]:
        return {index.topics[i].slug: v for i, v in index.evidence(text).items()}

    assert "boxing" not in evidence("The robot can unload boxes and lift them onto shelves.")
    assert evidence("He took up boxing at the age of nine.")["boxing"] >= 1.0
    # "bank(s)" is a weak banking term (0.3); the label "banking" no longer matches "banks"
    assert evidence("The river burst its banks on Tuesday night.").get("banking", 0) < 0.5
    assert "rowing" not in evidence("A row broke out over the budget.")
    assert "flood" in evidence("Streets were flooded after the river rose.")


def test_text_without_topical_words_gets_no_topics(index: TopicIndex) -> None:
    for text in ("", " ", "—", "He said it was fine, and then they left."):
        assert index.classify_article(text) == ()


def _context(index: TopicIndex, text: str) -> tuple[ArticleTopic, ...]:
    return index.classify_article(text)


def test_a_claim_in_a_sport_story_is_not_about_conflict_unless_it_says_so(
    index: TopicIndex,
) -> None:
    sport = _context(index, CASES[0][0])
    shot = "The winger fired a shot from the edge of the box and the home side attacked again."
    tops = {index.nodes[index.by_slug[m.slug]].root for m in index.classify_claim(shot, (), sport)}
    assert index.by_slug["conflict-war-peace"] not in tops
    war = "Missiles struck the stadium district overnight, killing 12 civilians."
    slugs = {m.slug for m in index.classify_claim(war, (), sport)}
    assert "conflict-war-peace" in slugs


def test_a_claim_without_topical_words_inherits_the_article_topic(index: TopicIndex) -> None:
    context = _context(index, CASES[1][0])
    inherited = index.classify_claim("It will be completed by the end of June.", (), context)
    assert inherited and inherited[0].slug == "economy"
    assert all(0 < m.score <= INHERITED_MAX < MIN_CLAIM_SCORE for m in inherited)
    assert index.classify_claim("It will be completed by June.", (), context, inherit=False) == ()
    own = index.classify_claim("The bank's shares rose 4 percent.", (), context)
    assert own and all(m.score >= MIN_CLAIM_SCORE for m in own)


def test_the_classifier_uses_only_the_taxonomy_it_is_given() -> None:
    topics = [
        TopicDef("animals", "Animals", None, None, "", TopicRules(keywords=("animal",))),
        TopicDef("cats", "Cats", "animals", None, "", TopicRules(keywords=("cat", "kitten"))),
    ]
    index = TopicIndex(topics)
    got = index.classify_article("The kittens and the cats slept; the cat purred.")
    assert [(t.slug, t.depth) for t in got] == [("animals", 0), ("cats", 1)]
    assert index.classify_article("artillery shells") == ()


def test_dev_set_top1_accuracy_stays_above_the_measured_floor(index: TopicIndex) -> None:
    gold = json.loads(DEV.read_text(encoding="utf-8"))
    articles = gold["articles"]
    assert len(articles) >= 150
    per_top = Counter(a["top"] for a in articles)
    assert len(per_top) == 17 and min(per_top.values()) >= 8
    for a in articles:
        assert 110 <= len(a["text"].split()) <= 400
    report = evaluate_topics(gold)
    print("\n".join(topic_report_lines(report)))
    # Measured 2026-12-01: top-1 0.932 (151/162), top-3 0.988; see docs/nlp.md.
    assert report.accuracy >= 0.90
    assert report.top3_accuracy >= 0.96
    assert report.to_dict()["articles"] == len(articles)


def test_check_set_written_after_tuning_stays_above_ninety_percent() -> None:
    gold = json.loads((DEV.parent / "topics_check.json").read_text(encoding="utf-8"))
    assert len({a["top"] for a in gold["articles"]}) == 17
    report = evaluate_topics(gold)
    # First measured 0.882 (30/34) before the generic economy words were lowered; now 0.971.
    assert report.accuracy >= 0.90


def test_claim_sentences_get_their_own_topic_with_the_article_as_prior() -> None:
    gold = json.loads((DEV.parent / "claim_topics.json").read_text(encoding="utf-8"))
    report = evaluate_claim_topics(gold)
    # Measured 2026-12-01 on 40 sentences: first-ranked top-level topic right 0.975, gold
    # top-level among the claim's 1.0, precision of its top-level topics 0.87, own topic 0.925.
    assert report["first_accuracy"] >= 0.9
    assert report["recall"] >= 0.95
    assert report["own_topic"] >= 0.9


def test_evaluate_topics_counts_per_topic_and_confusions() -> None:
    def at(slug: str, code: str) -> ArticleTopic:
        return ArticleTopic(slug, code, slug.title(), 0.5, 0, slug)

    gold = {
        "articles": [
            {"id": "a", "top": "medtop:15000000", "top_slug": "sport", "text": "x"},
            {"id": "b", "top": "medtop:11000000", "top_slug": "politics", "text": "y"},
            {"id": "c", "top": "medtop:11000000", "top_slug": "politics", "text": "z"},
        ]
    }
    preds = {
        "x": (at("sport", "medtop:15000000"),),
        "y": (at("sport", "medtop:15000000"), at("politics", "medtop:11000000")),
        "z": (),
    }
    report = evaluate_topics(gold, lambda texts: [preds[t] for t in texts])
    d = report.to_dict()
    assert d["top1_accuracy"] == round(1 / 3, 4) and d["top3_accuracy"] == round(2 / 3, 4)
    assert d["no_topic"] == 1
    assert d["per_topic"]["medtop:15000000"] | {"name": "-"} == {
        "name": "-", "tp": 1, "fp": 1, "fn": 0, "precision": 0.5, "recall": 1.0, "f1": 0.6667
    }  # fmt: skip
    assert d["per_topic"]["medtop:11000000"]["fn"] == 2
    assert [c["id"] for c in d["confusions"]] == ["b", "c"]


@pytest.fixture
def iptc_pipeline(pipeline: Pipeline) -> Iterator[Pipeline]:
    """The shared pipeline with the shipped IPTC taxonomy (other tests, and the service's
    worker, set the database's taxonomy on it), restored afterwards."""
    saved = pipeline.topics
    pipeline.topics = load_topics()
    try:
        yield pipeline
    finally:
        pipeline.topics = saved


def test_the_pipeline_annotates_article_topics_and_topics_of_claims(
    iptc_pipeline: Pipeline, seed_texts: dict[str, str]
) -> None:
    pipeline = iptc_pipeline
    ann = pipeline.annotate(CASES[3][0])
    assert ann.topics[0].slug == "disaster-accident-emergency-incident"
    assert ann.claims and all(c.topics for c in ann.claims)
    total = own = 0
    for text in seed_texts.values():
        a = pipeline.annotate(text)
        assert a.topics and {t.top for t in a.topics} & {"politics", "conflict-war-peace"}
        total += len(a.claims)
        own += sum(1 for c in a.claims if any(m.score >= MIN_CLAIM_SCORE for m in c.topics))
        assert all(c.topics for c in a.claims)
    # Measured 2026-12-01: 134 of 144 seed claims (93.1 %) have a topic of their own.
    assert own / total >= 0.9


def test_reassigning_pipeline_topics_recompiles_the_index(iptc_pipeline: Pipeline) -> None:
    pipeline = iptc_pipeline
    saved = pipeline.topics
    try:
        pipeline.topics = ()
        ann = pipeline.annotate(CASES[0][0])
        assert ann.topics == () and all(c.topics == () for c in ann.claims)
    finally:
        pipeline.topics = saved
    assert pipeline.annotate(CASES[0][0]).topics[0].slug == "sport"
