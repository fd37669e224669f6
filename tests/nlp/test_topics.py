from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from nlp.pipeline import Pipeline
from nlp.topics import (
    TAXONOMY_PATH,
    classify,
    descendants,
    load_taxonomy,
    stem,
    topic_from_dict,
    topic_to_dict,
    validate_taxonomy,
)
from nlp.types import Annotations, TopicDef, TopicRules

REQUIRED = {
    "conflict-war-peace": None,
    "armed-conflict": "conflict-war-peace",
    "arms-trade": "conflict-war-peace",
    "artillery": "arms-trade",
    "missiles": "arms-trade",
    "nuclear-weapons": "conflict-war-peace",
    "politics": None,
    "diplomacy": "international-relations",
    "international-relations": "politics",
    "sanctions": "international-relations",
    "economy": None,
    "trade": "economy",
    "food-security": "economy",
    "humanitarian-aid": "economy",
    "space": "science-technology",
    "military-technology": "science-technology",
    "human-rights": "politics",
}


@pytest.fixture(scope="module")
def taxonomy() -> list[TopicDef]:
    return load_taxonomy()


def test_shipped_taxonomy_is_a_valid_tree_with_the_required_topics(
    taxonomy: list[TopicDef],
) -> None:
    by_slug = {t.slug: t for t in taxonomy}
    for slug, parent in REQUIRED.items():
        assert slug in by_slug, slug
        assert by_slug[slug].parent == parent, slug
    assert by_slug["conflict-war-peace"].iptc_code == "medtop:16000000"
    for t in taxonomy:
        assert t.iptc_code is None or re.fullmatch(r"medtop:\d{8}", t.iptc_code)
        assert t.name and t.description and t.rules.keywords
    raw = json.loads(TAXONOMY_PATH.read_text(encoding="utf-8"))
    assert [topic_from_dict(topic_to_dict(t)) for t in taxonomy] == taxonomy
    assert len(raw["topics"]) == len(taxonomy)


def test_invalid_taxonomies_are_rejected() -> None:
    a = TopicDef("a", "A", "b", None, "")
    b = TopicDef("b", "B", "a", None, "")
    with pytest.raises(ValueError, match="cycle"):
        validate_taxonomy([a, b])
    with pytest.raises(ValueError, match="unknown parent"):
        validate_taxonomy([TopicDef("c", "C", "nope", None, "")])
    with pytest.raises(ValueError, match="duplicate"):
        validate_taxonomy([TopicDef("c", "C", None, None, "")] * 2)


def test_keywords_match_across_inflection_case_accents_and_hyphens(
    taxonomy: list[TopicDef],
) -> None:
    assert stem("Shells") == stem("shell")
    assert stem("supplied") == stem("supply") == stem("supplies")
    slugs = [m.slug for m in classify("The U.S. SANCTIONED three banks.", taxonomy)]
    assert "sanctions" in slugs
    slugs = [m.slug for m in classify("They want antitank missiles.", taxonomy)]
    assert "missiles" in slugs
    slugs = [m.slug for m in classify("They want anti-tank missiles.", taxonomy)]
    assert "missiles" in slugs
    slugs = [m.slug for m in classify("a new spy satellite and a nuclear-powered sub", taxonomy)]
    assert "space" in slugs


def test_scores_are_in_the_unit_interval_and_sorted(taxonomy: list[TopicDef]) -> None:
    text = (
        "Putin wants Kim to agree to send Russia artillery shells and anti-tank missiles, and Kim "
        "would like Russia to provide North Korea with advanced technology for satellites and "
        "nuclear-powered submarines, the officials said."
    )
    matches = classify(text, taxonomy, ["PERSON", "GPE"])
    assert matches
    assert all(0 < m.score <= 1 for m in matches)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    slugs = {m.slug for m in matches}
    assert {"artillery", "missiles", "arms-trade", "space", "military-technology"} <= slugs


def test_a_child_match_does_not_link_the_parent() -> None:
    topics = [
        TopicDef("weapons", "Weapons", None, None, "", TopicRules(keywords=("weapon",))),
        TopicDef("drones", "Drones", "weapons", None, "", TopicRules(keywords=("drone",))),
    ]
    assert [m.slug for m in classify("Iran has supplied drones.", topics)] == ["drones"]
    assert descendants("weapons", topics) == {"weapons", "drones"}


def test_classify_uses_only_the_topics_it_is_given() -> None:
    assert classify("artillery shells", []) == []
    edited = [TopicDef("shells", "Shells", None, None, "", TopicRules(keywords=("sea shell",)))]
    assert classify("She collected sea shells.", edited)[0].slug == "shells"
    assert classify("artillery shells", edited) == []


def test_entity_types_only_boost_a_keyword_match() -> None:
    rules = TopicRules(keywords=("summit",), entity_types=("GPE",), weight=0.5, entity_weight=0.5)
    topics = [TopicDef("diplomacy", "Diplomacy", None, None, "", rules)]
    assert classify("Russia and China.", topics, ["GPE"]) == []
    plain = classify("A summit.", topics)[0].score
    boosted = classify("A summit in Russia.", topics, ["GPE"])[0].score
    assert boosted > plain


def test_empty_and_degenerate_texts(taxonomy: list[TopicDef]) -> None:
    for text in ("", " ", "—", "😀"):
        assert classify(text, taxonomy) == []


def test_custom_taxonomy_file_loads(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text(json.dumps([{"slug": "x", "name": "X", "rules": {"keywords": ["xyz"]}}]))
    (topic,) = load_taxonomy(path)
    assert topic.parent is None and topic.rules.keywords == ("xyz",)


def test_arms_trade_gets_claims_from_four_of_five_seeds(
    pipeline: Pipeline, seed_texts: dict[str, str], taxonomy: list[TopicDef]
) -> None:
    anns: dict[str, Annotations] = {s: pipeline.annotate(t) for s, t in seed_texts.items()}
    direct = {s for s, a in anns.items() for c in a.claims if "arms-trade" in _slugs(c.topics)}
    subtree = descendants("arms-trade", taxonomy)
    with_children = {s for s, a in anns.items() for c in a.claims if subtree & _slugs(c.topics)}
    print(f"arms-trade: {len(direct)} seeds directly, {len(with_children)} with descendants")
    assert len(direct) >= 4
    assert len(with_children) == len(seed_texts)


def _slugs(matches: tuple) -> set[str]:  # type: ignore[type-arg]
    return {m.slug for m in matches}
