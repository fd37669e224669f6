"""Speaker shapes from unseen news (issue 15), each on its own invented sentences."""

from __future__ import annotations

from nlp.entities import name_gender, name_search_keys, same_person
from nlp.pipeline import Pipeline
from nlp.types import Annotations, Quote
from tests.nlp.helpers import annotate_checked, speaker_name

run = annotate_checked


def quote(ann: Annotations, start: str) -> Quote:
    return next(q for q in ann.quotes if q.text.startswith(start))


# pronouns


def test_he_agrees_with_the_man_not_the_woman_who_asked(pipeline: Pipeline) -> None:
    text = (
        "Mira Patel questioned Finance Minister Carlos Mendes about the shortfall on Monday. "
        "He said the forecast had been too optimistic."
    )
    ann = run(pipeline, text)
    q = quote(ann, "the forecast")
    assert (q.speaker_text, speaker_name(ann, q)) == ("He", "Carlos Mendes")


def test_he_with_an_unnamed_antecedent_stays_unresolved(pipeline: Pipeline) -> None:
    text = (
        "Mira Patel questioned the finance minister about the shortfall on Monday. "
        "He said the forecast had been too optimistic."
    )
    q = quote(run(pipeline, text), "the forecast")
    assert q.speaker_text == "He" and q.speaker_key is None


def test_a_mans_quotes_do_not_go_to_the_woman_quoted_before(pipeline: Pipeline) -> None:
    text = (
        "“We need more time,” said Laura Chen, who leads the tenants' group.\n\n"
        "The developer's chief, Tobias Brandt, disagreed. “The deadline is fixed,” he said. "
        "“Nobody will get an extension.”"
    )
    ann = run(pipeline, text)
    assert speaker_name(ann, quote(ann, "We need more time")) == "Laura Chen"
    assert speaker_name(ann, quote(ann, "The deadline is fixed")) == "Tobias Brandt"
    assert speaker_name(ann, quote(ann, "Nobody will get")) == "Tobias Brandt"


def test_honorifics_give_gender(pipeline: Pipeline) -> None:
    text = (
        "Mr. Alvarez and Ms. Okoye met the striking dockers on Monday.\n\n"
        "“It went better than I expected,” she said."
    )
    ann = run(pipeline, text)
    assert speaker_name(ann, quote(ann, "It went better")) == "Okoye"


def test_gendered_role_noun_gives_gender(pipeline: Pipeline) -> None:
    text = (
        "The chairwoman of the water board, Robin Hale, met the mayor, Sam Keller, on Friday. "
        "“Bills will not rise this year,” she said."
    )
    ann = run(pipeline, text)
    assert speaker_name(ann, quote(ann, "Bills will not rise")) == "Robin Hale"


def test_subject_of_previous_sentence_beats_the_last_speaker(pipeline: Pipeline) -> None:
    text = (
        "“Prices will fall by the summer,” said Paul Grant, an economist at Norbank. "
        "Finance Minister Erik Lund rejected the forecast on Tuesday. "
        "He said inflation would stay high until next year."
    )
    ann = run(pipeline, text)
    assert speaker_name(ann, quote(ann, "inflation would stay high")) == "Erik Lund"


def test_relative_who_is_the_person_the_clause_modifies(pipeline: Pipeline) -> None:
    text = (
        "Ines Moreau, who said the pension reform was unfair, resigned from the cabinet on Friday."
    )
    ann = run(pipeline, text)
    q = quote(ann, "the pension reform")
    assert speaker_name(ann, q) == "Ines Moreau"


def test_they_is_the_organisation_subject_before_it(pipeline: Pipeline) -> None:
    text = (
        "The Harbour Authority said on Monday that the new quay would open in June. "
        "They added that ferry fares would not change."
    )
    ann = run(pipeline, text)
    assert speaker_name(ann, quote(ann, "ferry fares")) == "Harbour Authority"


def test_they_for_a_plural_subject_has_no_entity(pipeline: Pipeline) -> None:
    text = (
        "Residents of Millbrook gathered outside the town hall on Saturday. "
        "They said the plant had poisoned the river for years."
    )
    q = quote(run(pipeline, text), "the plant")
    assert q.speaker_text == "They" and q.speaker_key is None


# the cue outside the quote's sentence


def test_question_then_attribution_after_the_closing_mark(pipeline: Pipeline) -> None:
    text = (
        "Commissioner Hana Sato opened the inquiry on Wednesday.\n\n"
        "“Who signed off on this contract?” the commissioner asked."
    )
    ann = run(pipeline, text)
    q = quote(ann, "Who signed off")
    assert (q.kind, q.cue, speaker_name(ann, q)) == ("direct", "asked", "Hana Sato")


def test_full_stop_inside_the_quote_then_name_said(pipeline: Pipeline) -> None:
    text = "The talks collapsed after midnight. “We are finished here.” Dumont said."
    ann = run(pipeline, text)
    q = quote(ann, "We are finished here.")
    assert q.kind == "direct" and q.cue == "said" and q.speaker_text == "Dumont"


def test_name_and_outlet_colon_lead(pipeline: Pipeline) -> None:
    text = (
        "The press had no mercy after the final.\n\n"
        "Kai Moreno, Coastal Times: “A famous win, and a deserved one.”"
    )
    ann = run(pipeline, text)
    q = quote(ann, "A famous win")
    assert q.kind == "direct" and speaker_name(ann, q) == "Kai Moreno"


def test_paragraph_ending_wrote_colon_gives_the_next_quote_paragraph(pipeline: Pipeline) -> None:
    text = (
        "The retired judge Margit Olsen wrote on her blog on Sunday:\n\n"
        "“The court has lost its way. I never thought I would say that.”"
    )
    ann = run(pipeline, text)
    q = quote(ann, "The court has lost its way.")
    assert q.cue == "wrote" and speaker_name(ann, q) == "Margit Olsen"


def test_title_case_headline_with_verb_tagged_as_proper_noun(pipeline: Pipeline) -> None:
    text = (
        "Treasury Chief Warns Of Deeper Cuts Next Year\n\n"
        "The treasury chief, Nadia Karim, told parliament on Monday that spending would fall."
    )
    ann = run(pipeline, text)
    q = next(q for q in ann.quotes if q.cue == "Warns")
    assert q.kind == "indirect" and q.text == "Of Deeper Cuts Next Year"


# the wrong token as source


def test_date_after_the_verb_is_not_the_source(pipeline: Pipeline) -> None:
    text = (
        "Former senator Grace Whitlock spoke at the conference. "
        "She argued Monday that the tariff would hurt farmers most."
    )
    ann = run(pipeline, text)
    q = quote(ann, "the tariff")
    assert q.speaker_text == "She" and speaker_name(ann, q) == "Grace Whitlock"


def test_addressee_of_tell_is_not_the_source(pipeline: Pipeline) -> None:
    text = (
        "Coach Ryan Doyle was angry after the defeat. "
        "“We threw it away in ten minutes,” he told The Harbour Gazette."
    )
    ann = run(pipeline, text)
    q = quote(ann, "We threw it away")
    assert q.speaker_text == "he" and speaker_name(ann, q) == "Ryan Doyle"


def test_unnamed_company_spokeswoman_stays_with_her_company(pipeline: Pipeline) -> None:
    text = (
        "Siemens spokesman Karl Ritter said orders had risen. "
        "A Philips spokeswoman said the company would cut 500 jobs."
    )
    ann = run(pipeline, text)
    q = quote(ann, "the company would cut")
    assert q.speaker_text == "A Philips spokeswoman"
    assert speaker_name(ann, q) == "Philips"


def test_spokesman_for_an_organisation_keeps_the_organisation(pipeline: Pipeline) -> None:
    text = "A spokesman for the Foreign Ministry said the ambassador had been recalled."
    ann = run(pipeline, text)
    (q,) = ann.quotes
    assert q.speaker_text == "A spokesman for the Foreign Ministry"
    assert speaker_name(ann, q) == "Foreign Ministry"


# one person, one entity


def test_partial_names_join_the_full_name_within_an_article(pipeline: Pipeline) -> None:
    text = (
        "Carmen Ruiz Delgado, the party's candidate, spoke in Seville. Ruiz Delgado promised "
        "lower rents. Later Ruiz said the campaign had only just begun. "
        "Jan van Houten, her Dutch adviser, agreed. Van Houten said the polls were close."
    )
    ann = run(pipeline, text)
    people = {e.name: e for e in ann.entities if e.type == "PERSON"}
    assert "Carmen Ruiz Delgado" in people and "Jan van Houten" in people
    by_key: dict[str, set[str]] = {}
    for m in ann.mentions:
        by_key.setdefault(m.entity_key, set()).add(m.text)
    assert {"Ruiz Delgado", "Ruiz"} <= by_key[people["Carmen Ruiz Delgado"].key]
    assert "Van Houten" in by_key[people["Jan van Houten"].key]


def test_same_person_links_name_forms_across_articles() -> None:
    assert same_person("Luis Ortega Marín", "Ortega")
    assert same_person("Luis Ortega Marín", "Marin")
    assert same_person("Luis Ortega Marín", "Ortega Marín")
    assert same_person("Luis Ortega Marín", "Luis Ortega")
    assert same_person("Pieter de Vries", "De Vries")
    assert same_person("Khalid bin Salman al-Rashid", "Al-Rashid")
    assert same_person("Anna-Lena Berg-Schmidt", "Berg-Schmidt")
    assert same_person("J. Smith", "John Smith")
    assert same_person("Mr. Putin", "Vladimir V. Putin")


def test_same_person_keeps_different_people_apart() -> None:
    assert not same_person("Kim Tok Hun", "Kim Jong Un")
    assert not same_person("Kim Jong Il", "Kim Jong Un")
    assert not same_person("John Smith", "Jane Smith")
    assert not same_person("de", "Pieter de Vries")
    assert not same_person("", "Pieter de Vries")


def test_name_search_keys_are_folded_and_cover_each_surname_part() -> None:
    assert set(name_search_keys("Luis Ortega Marín")) >= {
        "luis ortega marin", "ortega", "marin", "ortega marin", "luis",
    }  # fmt: skip
    keys = name_search_keys("Dr. Pieter de Vries")
    assert "de vries" in keys and "vries" in keys and "de" not in keys and "dr" not in keys
    assert "ferraro-bianchi" in name_search_keys("Giulia Ferraro-Bianchi")
    assert any(k.startswith("albe") for k in name_search_keys("Katrin Albers"))


def test_name_gender_from_honorific_or_first_name() -> None:
    assert name_gender("Ms. Achterberg") == "f"
    assert name_gender("Mr. Lindqvist") == "m"
    assert name_gender("Margaret Oyelaran") == "f"
    assert name_gender("Stefan Kowalczyk") == "m"
    assert name_gender("Kim Jong Un") is None  # "Kim" is not gendered enough
    assert name_gender("Ruiz") is None  # a surname alone says nothing


# quotes with no cue of their own


def test_quote_paragraph_inherits_across_a_blank_line(pipeline: Pipeline) -> None:
    text = (
        "“We will fight this in every court,” Mayor Joan Ellery said on Monday.\n\n"
        "“The city has the law on its side and we intend to prove it.”"
    )
    ann = run(pipeline, text)
    assert speaker_name(ann, quote(ann, "The city has the law")) == "Joan Ellery"


def test_quote_paragraph_after_a_paragraph_about_a_named_person(pipeline: Pipeline) -> None:
    text = (
        "The vote went against the government.\n\n"
        "Deputy Prime Minister Arjun Mehta, who led the campaign, was defiant.\n\n"
        "“Nobody in this building is going to back down now.”"
    )
    ann = run(pipeline, text)
    q = quote(ann, "Nobody in this building")
    assert speaker_name(ann, q) == "Arjun Mehta" and q.cue is None


def test_quote_after_an_abbreviation_is_its_own_direct_quote(pipeline: Pipeline) -> None:
    text = (
        "“This bill guts the Clean Air Act,” said Rep. Nora Vance, D-Ore. "
        "“We will not let it pass.”"
    )
    ann = run(pipeline, text)
    q = quote(ann, "We will not let it pass.")
    assert q.kind == "direct" and speaker_name(ann, q) == "Nora Vance"


def test_attribution_with_a_clause_after_a_quote_is_its_own_sentence(pipeline: Pipeline) -> None:
    text = (
        "“Growth is solid,” Governor Lena Hart said. “But risks remain.” "
        "She added that rates would stay high."
    )
    ann = run(pipeline, text)
    q = quote(ann, "rates would stay high")
    assert (q.kind, q.cue, speaker_name(ann, q)) == ("indirect", "added", "Lena Hart")


def test_party_epithet_refers_to_the_person_just_named(pipeline: Pipeline) -> None:
    text = (
        "Senator Dana Whitcomb, R-Neb., said the farm bill would pass. "
        "The Nebraska Republican added that subsidies would not be cut."
    )
    ann = run(pipeline, text)
    q = quote(ann, "subsidies would not be cut")
    assert q.speaker_text == "The Nebraska Republican"
    assert speaker_name(ann, q) == "Dana Whitcomb"
