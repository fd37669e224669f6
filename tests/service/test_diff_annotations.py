"""Which annotations two revisions share: quotes by (speaker, text), claims by (claimant,
text), entities by id, texts compared case-, quote-style- and whitespace-insensitively."""

from __future__ import annotations

from typing import Any

from service.diffs import compare_annotations


def _revision(
    quotes: list[tuple[Any, ...]] = [],  # noqa: B006 (never mutated)
    entities: list[tuple[Any, ...]] = [],  # noqa: B006
    claims: list[tuple[Any, ...]] = [],  # noqa: B006
) -> dict[str, list[tuple[Any, ...]]]:
    return {"quotes": quotes, "entities": entities, "claims": claims}


def test_a_quote_re_punctuated_and_re_spaced_is_in_both_with_each_position() -> None:
    old = _revision(quotes=[(1, "direct", "We will  “rebuild” it", 10, 31, 7, "Ana Silva")])
    new = _revision(quotes=[(2, "direct", 'We will "rebuild" it', 40, 60, 7, "ANA SILVA")])
    quotes = compare_annotations(old, new)["quotes"]
    assert quotes["only_old"] == [] and quotes["only_new"] == []
    assert quotes["both"] == [
        {
            "speaker": "ANA SILVA",
            "speaker_id": 7,
            "kind": "direct",
            "text": 'We will "rebuild" it',
            "new": {"quote_id": 2, "start": 40, "end": 60},
            "old": {"quote_id": 1, "start": 10, "end": 31},
        }
    ]


def test_the_same_words_from_another_speaker_are_a_different_quote() -> None:
    old = _revision(quotes=[(1, "direct", "No comment.", 0, 11, 1, "Ana Silva")])
    new = _revision(quotes=[(2, "direct", "No comment.", 0, 11, 2, "Rui Costa")])
    quotes = compare_annotations(old, new)["quotes"]
    assert [(q["speaker"], q["old"], q["new"]) for q in quotes["only_old"]] == [
        ("Ana Silva", {"quote_id": 1, "start": 0, "end": 11}, None)
    ]
    assert [(q["speaker"], q["old"], q["new"]) for q in quotes["only_new"]] == [
        ("Rui Costa", None, {"quote_id": 2, "start": 0, "end": 11})
    ]
    assert quotes["both"] == []


def test_a_repeated_quote_counts_once_at_its_first_position() -> None:
    old = _revision(quotes=[(1, "direct", "Yes.", 0, 4, None, "a spokesman")])
    new = _revision(
        quotes=[
            (5, "direct", "Yes.", 20, 24, None, "a spokesman"),
            (6, "direct", "yes.", 90, 94, None, "A Spokesman"),
        ]
    )
    both = compare_annotations(old, new)["quotes"]["both"]
    assert [(q["old"]["quote_id"], q["new"]["quote_id"]) for q in both] == [(1, 5)]


def test_entities_match_by_id_and_claims_by_claimant_and_text() -> None:
    old = _revision(
        entities=[(3, "Lisbon", "GPE", 2, 15), (4, "Porto", "GPE", 1, 80)],
        claims=[(10, "Prices rose 5%.", 0, 15, 0.9, None, None)],
    )
    new = _revision(
        entities=[(3, "Lisbon", "GPE", 5, 12)],
        claims=[
            (11, "prices  rose 5%.", 3, 19, 0.8, None, None),
            (12, "Wages fell.", 30, 41, 0.7, 9, "the ministry"),
        ],
    )
    out = compare_annotations(old, new)
    assert out["available"] is True
    entities = out["entities"]
    assert entities["both"] == [
        {
            "entity_id": 3,
            "name": "Lisbon",
            "type": "GPE",
            "new": {"mentions": 5, "first_start": 12},
            "old": {"mentions": 2, "first_start": 15},
        }
    ]
    assert [(e["entity_id"], e["new"]) for e in entities["only_old"]] == [(4, None)]
    assert entities["only_new"] == []
    claims = out["claims"]
    assert [(c["old"]["claim_id"], c["new"]["claim_id"]) for c in claims["both"]] == [(10, 11)]
    assert claims["only_new"] == [
        {
            "claimant": "the ministry",
            "claimant_id": 9,
            "text": "Wages fell.",
            "new": {"claim_id": 12, "start": 30, "end": 41, "score": 0.7},
            "old": None,
        }
    ]


def test_nothing_annotated_is_not_available() -> None:
    out = compare_annotations(_revision(), _revision())
    assert out["available"] is False
    assert out["quotes"] == {"only_old": [], "only_new": [], "both": []}
