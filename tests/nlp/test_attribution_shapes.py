"""Attribution shapes from unseen news (issue 15), each on its own invented sentences."""

from __future__ import annotations

from nlp.pipeline import Pipeline
from nlp.types import Annotations, Quote
from tests.nlp.helpers import annotate_checked, speaker_name

run = annotate_checked


def by_cue(ann: Annotations) -> dict[str, Quote]:
    return {q.cue or "": q for q in ann.quotes}


def test_to_infinitive_complements_are_reported_speech(pipeline: Pipeline) -> None:
    text = (
        "The farmers' federation urged its members to block the motorway on Friday. "
        "Its president, Hugo Lemaire, vowed to keep the protest peaceful. "
        "The interior minister warned the federation not to stop ambulances."
    )
    quotes = by_cue(run(pipeline, text))
    assert quotes["urged"].text == "its members to block the motorway on Friday"
    assert quotes["urged"].speaker_text == "The farmers' federation"
    assert quotes["vowed"].text == "to keep the protest peaceful"
    assert quotes["warned"].text == "the federation not to stop ambulances"
    assert all(q.kind == "indirect" for q in quotes.values())


def test_pressed_ahead_without_infinitive_is_not_a_cue(pipeline: Pipeline) -> None:
    text = "The council pressed ahead with the new parking charges on Tuesday."
    assert run(pipeline, text).quotes == ()


def test_participle_on_a_statement_takes_the_issuer_as_source(pipeline: Pipeline) -> None:
    text = "The carmaker Voss Motors issued a statement saying deliveries would resume in May."
    ann = run(pipeline, text)
    (q,) = ann.quotes
    assert (q.kind, q.text, q.cue) == ("indirect", "deliveries would resume in May", "saying")
    assert speaker_name(ann, q) == "Voss Motors"


def test_as_clause_reports_the_main_clause(pipeline: Pipeline) -> None:
    text = "As the Harbour Gazette reported on Monday, the ferry contract was cancelled."
    ann = run(pipeline, text)
    (q,) = ann.quotes
    assert (q.text, q.cue) == ("the ferry contract was cancelled", "reported")
    assert q.speaker_text == "the Harbour Gazette"


def test_cues_the_lexicon_lacked(pipeline: Pipeline) -> None:
    text = (
        "The coach, Marta Lindholm, hinted that she would rest her captain on Sunday. "
        "She assured fans that the club was not for sale. "
        "She pointed out that the team had won five games in a row. "
        "The club's owner fumed that the referees were biased against small clubs."
    )
    quotes = by_cue(run(pipeline, text))
    assert quotes["hinted"].text == "she would rest her captain on Sunday"
    assert quotes["assured"].text == "the club was not for sale"
    assert quotes["pointed out"].text == "the team had won five games in a row"
    assert quotes["fumed"].text == "the referees were biased against small clubs"


def test_nominal_cues_take_the_possessor_or_by_phrase_as_source(pipeline: Pipeline) -> None:
    text = (
        "Senator Ruth Okonkwo's claim that the bridge was unsafe was rejected by engineers. "
        "A warning by the weather service that the river would flood came too late."
    )
    ann = run(pipeline, text)
    quotes = by_cue(ann)
    assert quotes["claim"].text == "the bridge was unsafe"
    assert speaker_name(ann, quotes["claim"]) == "Ruth Okonkwo"
    assert quotes["warning"].text == "the river would flood"
    assert quotes["warning"].speaker_text == "the weather service"


def test_noun_cue_without_clause_or_source_is_not_a_quote(pipeline: Pipeline) -> None:
    text = "The announcement came on Friday. Her claim to the estate was rejected."
    assert run(pipeline, text).quotes == ()


def test_content_stops_at_trailing_which_and_concessive_clauses(pipeline: Pipeline) -> None:
    text = (
        "The treasurer, Alan Pike, said the pension fund is solvent, which the unions doubt. "
        "Pike said the fund had grown by 4 percent, though he gave no figures for costs."
    )
    ann = run(pipeline, text)
    texts = [q.text for q in ann.quotes]
    assert "the pension fund is solvent" in texts
    assert "the fund had grown by 4 percent" in texts


def test_non_restrictive_clause_inside_the_content_is_kept(pipeline: Pipeline) -> None:
    text = "Analysts said the lender, which cut 900 jobs last year, would need fresh capital."
    ann = run(pipeline, text)
    (q,) = ann.quotes
    assert q.text == "the lender, which cut 900 jobs last year, would need fresh capital"


def test_because_and_coordinated_clauses_stay_in_the_content(pipeline: Pipeline) -> None:
    text = (
        "The minister said the smelter would close because demand had collapsed "
        "and that its workers would be retrained."
    )
    (q,) = run(pipeline, text).quotes
    assert q.text == (
        "the smelter would close because demand had collapsed and that its workers would be "
        "retrained"
    )


def test_content_never_starts_at_the_cue_and_source(pipeline: Pipeline) -> None:
    text = "The regulator said on Tuesday that rail fares would rise by 5 percent."
    (q,) = run(pipeline, text).quotes
    assert q.text == "rail fares would rise by 5 percent"


def test_mixed_quote_takes_the_whole_reported_clause(pipeline: Pipeline) -> None:
    text = (
        "Governor Ellen Park said the state would “never again” cut school budgets "
        "and that teachers would get a raise."
    )
    (q,) = run(pipeline, text).quotes
    assert q.kind == "mixed"
    assert q.text == (
        "the state would “never again” cut school budgets and that teachers would get a raise"
    )


def test_nested_according_to_is_the_outer_cue(pipeline: Pipeline) -> None:
    text = "The general said the bridge was “completely destroyed,” according to state media."
    ann = run(pipeline, text)
    texts = {q.cue: q.text for q in ann.quotes}
    assert texts["said"] == "the bridge was “completely destroyed,”"
    assert texts["according to"].startswith("The general said the bridge")


def test_trailing_as_clause_reports_the_sentence_before_it(pipeline: Pipeline) -> None:
    text = "The ferry contract was cancelled on Monday, as the Harbour Gazette reported."
    (q,) = run(pipeline, text).quotes
    assert (q.text, q.cue) == ("The ferry contract was cancelled on Monday", "reported")


def test_anonymity_request_is_not_reported_speech(pipeline: Pipeline) -> None:
    text = "A ministry official, who asked not to be named, admitted that many posts were empty."
    ann = run(pipeline, text)
    assert [q.text for q in ann.quotes] == ["many posts were empty"]


def test_second_cue_the_parser_hung_inside_the_first_content(pipeline: Pipeline) -> None:
    text = (
        "A spokeswoman for the insurer said the payout was generous and urged the claimants "
        "to accept it."
    )
    ann = run(pipeline, text)
    texts = {q.cue: (q.text, q.speaker_text) for q in ann.quotes}
    assert texts["said"][0] == "the payout was generous"
    assert texts["urged"] == ("the claimants to accept it", "A spokeswoman for the insurer")


def test_dateline_before_an_opening_quote_keeps_it_direct(pipeline: Pipeline) -> None:
    text = "LISBON (Wire) — “We will not sell the airline,” Minister Rui Tavares said on Friday."
    ann = run(pipeline, text)
    (q,) = ann.quotes
    assert (q.kind, q.text) == ("direct", "We will not sell the airline")


def test_a_study_or_report_that_found_something_is_a_source(pipeline: Pipeline) -> None:
    text = (
        "The audit, published on Tuesday by the National Audit Office, found that the navy "
        "had overpaid for its frigates. Divers found the wreck in June."
    )
    ann = run(pipeline, text)
    (q,) = ann.quotes
    assert (q.text, q.cue) == ("the navy had overpaid for its frigates", "found")


def test_two_sources_contrasted_in_one_sentence(pipeline: Pipeline) -> None:
    text = (
        "Unions argue the reform would cut pensions for millions of workers, "
        "while employers say it will save the system."
    )
    ann = run(pipeline, text)
    texts = {q.cue: (q.text, q.speaker_text) for q in ann.quotes}
    assert texts["argue"] == ("the reform would cut pensions for millions of workers", "Unions")
    assert texts["say"] == ("it will save the system", "employers")


def test_a_final_cue_the_parser_hung_off_the_source_phrase(pipeline: Pipeline) -> None:
    # the small model parses "announced"/"confirmed" as participles of the noun phrase
    text = (
        "Dock workers at Port Kellan will walk out for a week from Monday, their union, "
        "the Harbour Workers Guild, announced on Friday.\n\n"
        "Prosecutors have opened an investigation into the award of a ferry contract, the "
        "city's mayor, Ines Carvalho, confirmed on Thursday.\n\n"
        "Schools will lose funding under the plan, the cuts announced on Tuesday."
    )
    ann = run(pipeline, text)
    quotes = by_cue(ann)
    assert quotes["announced"].text == (
        "Dock workers at Port Kellan will walk out for a week from Monday"
    )
    assert speaker_name(ann, quotes["announced"]) == "Harbour Workers Guild"
    assert quotes["confirmed"].text.startswith("Prosecutors have opened an investigation")
    assert speaker_name(ann, quotes["confirmed"]) == "Ines Carvalho"
    assert len(ann.quotes) == 2  # "the cuts announced on Tuesday" is not a cue


def test_a_participle_cue_after_a_relative_clause_belongs_to_the_main_subject(
    pipeline: Pipeline,
) -> None:
    text = (
        "Health Secretary Omar Lindqvist defended a plan on Monday that would close two "
        "wards, telling MPs that the hospital could not staff them."
    )
    ann = run(pipeline, text)
    (q,) = ann.quotes
    assert (q.text, q.cue) == ("the hospital could not staff them", "telling")
    assert speaker_name(ann, q) == "Omar Lindqvist"


def test_a_person_called_by_nationality_or_age_is_the_person_just_named(
    pipeline: Pipeline,
) -> None:
    text = (
        "Harbour City coach Paulo Mendes said his team was ready.\n\n"
        '"We have nothing to lose," the Brazilian told reporters.\n\n'
        'Judge Ana Pereira opened the hearing. "This court will not be rushed," the '
        "58-year-old said.\n\n"
        "The Italians said the deal was fair."
    )
    ann = run(pipeline, text)
    quotes = by_cue(ann)
    assert speaker_name(ann, quotes["told"]) == "Paulo Mendes"
    said = {q.text: q for q in ann.quotes if q.cue == "said"}
    assert speaker_name(ann, said["This court will not be rushed"]) == "Ana Pereira"
    assert speaker_name(ann, said["the deal was fair"]) != "Ana Pereira"  # a group


def test_a_survey_speaks_for_who_made_it_not_for_what_it_is_about(pipeline: Pipeline) -> None:
    text = (
        "A poll by the Harlow Tribune newspaper found that most voters backed the bridge. "
        "A survey of farmers in Lindenau found that few had insurance."
    )
    ann = run(pipeline, text)
    by_text = {q.text: q for q in ann.quotes}
    assert speaker_name(ann, by_text["most voters backed the bridge"]) == "Harlow Tribune"
    assert by_text["few had insurance"].speaker_key is None
