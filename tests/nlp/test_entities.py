from __future__ import annotations

from nlp.entities import entity_key
from nlp.pipeline import Pipeline
from tests.nlp.helpers import check_offsets


def test_entity_key_matches_spelling_variants_across_articles() -> None:
    assert entity_key("Kim Jong-un", "PERSON") == entity_key("Kim Jong Un", "PERSON")
    assert entity_key("Vladimir V. Putin", "PERSON") == entity_key("Vladimir Putin", "PERSON")
    assert entity_key("Mr. Putin", "PERSON") == entity_key("Putin", "PERSON")
    assert entity_key("U.S.", "GPE") == entity_key("the United States", "GPE")
    assert entity_key("Kim Jong Un", "PERSON") == entity_key("KIM JONG ÚN", "PERSON")


def test_entity_key_keeps_different_people_apart() -> None:
    kju = entity_key("Kim Jong Un", "PERSON")
    assert entity_key("Kim Tok Hun", "PERSON") != kju
    assert entity_key("Kim Jong Il", "PERSON") != kju
    assert entity_key("Jung Pak", "PERSON") != entity_key("Pak Thae Song", "PERSON")


def test_entities_are_canonicalised_within_an_article(pipeline: Pipeline) -> None:
    text = (
        "North Korean leader Kim Jong Un will travel to Russia to meet President Vladimir V. Putin. "
        "Kim left Pyongyang on Sunday. Mr. Putin will host a dinner, and Putin wants shells. "
        "Kim Tok Hun saw Kim off at the station."
    )
    ann = pipeline.annotate(text)
    check_offsets(text, ann)
    people = {e.name: e for e in ann.entities if e.type == "PERSON"}
    assert "Vladimir V. Putin" in people
    assert "Kim Jong Un" in people and "Kim Tok Hun" in people
    putin_key = people["Vladimir V. Putin"].key
    assert putin_key == entity_key("Vladimir Putin", "PERSON")
    putin_mentions = [m for m in ann.mentions if m.entity_key == putin_key]
    assert {m.text for m in putin_mentions} >= {"Vladimir V. Putin", "Putin"}
    kim_mentions = {m.text for m in ann.mentions if m.entity_key == people["Kim Jong Un"].key}
    assert "Kim" in kim_mentions and "Kim Tok Hun" not in kim_mentions


def test_acronym_is_an_alias_of_its_long_form(pipeline: Pipeline) -> None:
    text = (
        "Shoigu gave Kim a letter, according to the Korean Central News Agency, or KCNA, "
        "the country's state news service. Later KCNA published photographs of the visit."
    )
    ann = pipeline.annotate(text)
    check_offsets(text, ann)
    kcna = [e for e in ann.entities if e.name == "Korean Central News Agency"]
    assert len(kcna) == 1
    assert "KCNA" in kcna[0].aliases
    assert not [e for e in ann.entities if e.name == "KCNA"]


def test_only_useful_entity_types_are_kept(pipeline: Pipeline) -> None:
    ann = pipeline.annotate(
        "On Monday, 3,000 people in Paris cheered Emmanuel Macron for 20 minutes."
    )
    assert {e.type for e in ann.entities} <= {"PERSON", "GPE", "ORG", "NORP", "LOC", "FAC"}
    assert not any(m.label in {"DATE", "CARDINAL", "TIME"} for m in ann.mentions)


def test_entities_across_seed_articles_share_keys(
    pipeline: Pipeline, seed_texts: dict[str, str]
) -> None:
    anns = dict(zip(seed_texts, pipeline.annotate_many(seed_texts.values()), strict=True))
    kim = entity_key("Kim Jong Un", "PERSON")
    for stem in seed_texts:
        assert kim in {e.key for e in anns[stem].entities}, stem
    nyt_rewrite = {e.key: e for e in anns["002_043e2c939a1b8cef"].entities}
    assert nyt_rewrite[kim].name in {"Kim Jong-un", "Kim Jong Un"}
    assert entity_key("Vladimir Putin", "PERSON") in nyt_rewrite


def test_an_organisation_the_ner_missed_is_found_where_it_speaks(pipeline: Pipeline) -> None:
    text = (
        "Nurses will walk out on Friday after talks broke down.\n\n"
        "The nurses' federation, Carewell Staff Alliance, said members had voted to strike. "
        "Brightmoor Health Trust said it regretted the decision. A spokeswoman for the trust "
        "said the offer was fair.\n\n"
        "Prime Minister said nothing."  # a role, not a name: no organisation is made of it
    )
    ann = pipeline.annotate(text)
    check_offsets(text, ann)
    by_text = {q.text: q.speaker_key for q in ann.quotes}
    assert by_text["members had voted to strike"] == "org:carewell staff alliance"
    assert by_text["it regretted the decision"] == "org:brightmoor health trust"
    assert by_text["the offer was fair"] == "org:brightmoor health trust"
    assert not any("prime minister" in e.key for e in ann.entities)


def test_a_person_the_ner_calls_a_work_of_art_is_a_person(pipeline: Pipeline) -> None:
    text = '"The plan works," Ana Ruiz Torres, a city councillor, said on Monday.'
    ann = pipeline.annotate(text)
    [quote] = ann.quotes
    assert quote.speaker_key == "person:ana ruiz torres"
