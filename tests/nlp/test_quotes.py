"""Focused attribution rules on small hand-written sentences."""

from __future__ import annotations

from nlp.pipeline import Pipeline
from nlp.types import Annotations, Quote
from tests.nlp.helpers import check_offsets


def run(pipeline: Pipeline, text: str) -> Annotations:
    ann = pipeline.annotate(text)
    check_offsets(text, ann)
    return ann


def speaker_name(ann: Annotations, q: Quote) -> str | None:
    return next((e.name for e in ann.entities if e.key == q.speaker_key), None)


def kinds(ann: Annotations) -> list[tuple[str, str]]:
    return [(q.kind, q.text) for q in ann.quotes]


def test_direct_quote_after_attribution_with_named_speaker(pipeline: Pipeline) -> None:
    text = "“We will not back down,” said Matthew Miller, a State Department spokesman."
    ann = run(pipeline, text)
    (q,) = ann.quotes
    assert (q.kind, q.text, q.cue) == ("direct", "We will not back down", "said")
    assert speaker_name(ann, q) == "Matthew Miller"


def test_straight_quotes_and_attribution_before_the_quote(pipeline: Pipeline) -> None:
    text = 'Senator Elizabeth Warren told reporters: "The bill is dead and everyone knows it."'
    ann = run(pipeline, text)
    (q,) = ann.quotes
    assert q.kind == "direct" and q.text == "The bill is dead and everyone knows it."
    assert speaker_name(ann, q) == "Elizabeth Warren"


def test_split_quote_gives_two_spans_with_same_speaker(pipeline: Pipeline) -> None:
    text = "“The talks went well,” Angela Merkel said. “We will meet again next month.”"
    ann = run(pipeline, text)
    assert [q.text for q in ann.quotes] == ["The talks went well", "We will meet again next month."]
    assert {speaker_name(ann, q) for q in ann.quotes} == {"Angela Merkel"}
    assert all(q.kind == "direct" for q in ann.quotes)


def test_quote_interrupted_by_attribution_inside_one_sentence(pipeline: Pipeline) -> None:
    text = "“This is a mistake,” Emmanuel Macron said, “and France will not accept it.”"
    ann = run(pipeline, text)
    assert len(ann.quotes) == 2
    assert {speaker_name(ann, q) for q in ann.quotes} == {"Emmanuel Macron"}


def test_quote_continued_over_paragraphs(pipeline: Pipeline) -> None:
    text = (
        "Prime Minister Justin Trudeau spoke in Ottawa on Friday.\n\n"
        "“We have worked for months on this agreement and it will protect workers,” Trudeau said. "
        "“It is a good deal for both countries.\n\n"
        "“It will also create thousands of jobs in the manufacturing sector.”"
    )
    ann = run(pipeline, text)
    texts = [q.text for q in ann.quotes]
    assert texts[-1] == "It will also create thousands of jobs in the manufacturing sector."
    assert len(ann.quotes) == 3
    assert {speaker_name(ann, q) for q in ann.quotes} == {"Justin Trudeau"}


def test_nested_single_quotes_stay_inside_the_quote(pipeline: Pipeline) -> None:
    text = "“He told me ‘never again’ and I believed him,” Nancy Pelosi said."
    ann = run(pipeline, text)
    (q,) = ann.quotes
    assert q.text == "He told me ‘never again’ and I believed him"
    assert speaker_name(ann, q) == "Nancy Pelosi"


def test_scare_quotes_titles_and_nicknames_are_not_quotes(pipeline: Pipeline) -> None:
    text = (
        "The so-called “peace plan” was published on Monday. "
        "Critics of the film “The Great Escape” gathered outside. "
        "Donald “The Donald” Trump arrived late."
    )
    assert run(pipeline, text).quotes == ()


def test_single_quoted_term_in_authors_sentence_is_not_a_direct_quote(pipeline: Pipeline) -> None:
    text = (
        "The summit in Vladivostok was no “social gathering,” and the two leaders signed nothing."
    )
    ann = run(pipeline, text)
    assert all(q.kind != "direct" for q in ann.quotes)


def test_mixed_quote_reported_speech_with_fragment(pipeline: Pipeline) -> None:
    text = "Dmitry Peskov said that the two leaders could also meet “one-on-one if necessary.”"
    ann = run(pipeline, text)
    (q,) = ann.quotes
    assert q.kind == "mixed"
    assert q.text.startswith("the two leaders could also meet “one-on-one")
    assert speaker_name(ann, q) == "Dmitry Peskov"


def test_pronoun_speaker_resolves_to_earlier_person(pipeline: Pipeline) -> None:
    text = (
        "Jean Lee, a fellow at the Wilson Center, said the alliance was opportunistic. "
        "Russia needs shells and North Korea needs money.\n\n"
        "“It is the resurrection of a traditional alliance,” she said."
    )
    ann = run(pipeline, text)
    direct = [q for q in ann.quotes if q.kind == "direct"]
    assert len(direct) == 1
    assert direct[0].speaker_text == "she"
    assert speaker_name(ann, direct[0]) == "Jean Lee"


def test_indirect_speech_with_that_clause(pipeline: Pipeline) -> None:
    text = (
        "Kremlin spokesperson Dmitry Peskov said that Putin will host an official dinner for Kim."
    )
    ann = run(pipeline, text)
    (q,) = ann.quotes
    assert (q.kind, q.text, q.cue) == (
        "indirect",
        "Putin will host an official dinner for Kim",
        "said",
    )
    assert speaker_name(ann, q) == "Dmitry Peskov"


def test_according_to_before_and_after(pipeline: Pipeline) -> None:
    text = (
        "According to the Reuters news agency, the plane landed in Minsk at noon.\n"
        "The talks collapsed on Tuesday, according to officials familiar with the matter."
    )
    ann = run(pipeline, text)
    assert [(q.kind, q.text, q.cue) for q in ann.quotes] == [
        ("indirect", "the plane landed in Minsk at noon", "According to"),
        ("indirect", "The talks collapsed on Tuesday", "according to"),
    ]
    assert ann.quotes[1].speaker_key is None and ann.quotes[1].speaker_text is not None


def test_role_noun_speaker_resolves_to_named_person(pipeline: Pipeline) -> None:
    text = (
        "State Department spokesman Matthew Miller met reporters in Washington on Monday.\n"
        "The spokesman said the United States would impose new sanctions on Moscow."
    )
    ann = run(pipeline, text)
    (q,) = ann.quotes
    assert q.speaker_text == "The spokesman"
    assert speaker_name(ann, q) == "Matthew Miller"


def test_organisation_and_outlet_speakers(pipeline: Pipeline) -> None:
    text = (
        "The Kremlin said the visit would take place in the coming days.\n"
        "The Korean Central News Agency, or KCNA, said the leaders would meet.\n"
        "KCNA reported that Kim left Pyongyang on Sunday."
    )
    ann = run(pipeline, text)
    names = [speaker_name(ann, q) for q in ann.quotes]
    assert names == ["Kremlin", "Korean Central News Agency", "Korean Central News Agency"]


def test_unnamed_officials_keep_text_without_entity(pipeline: Pipeline) -> None:
    text = (
        "Putin wants artillery shells and anti-tank missiles from North Korea, U.S. officials said."
    )
    ann = run(pipeline, text)
    (q,) = ann.quotes
    assert q.kind == "indirect"
    assert q.speaker_text == "U.S. officials" and q.speaker_key is None


def test_negated_cue_is_not_a_quote(pipeline: Pipeline) -> None:
    text = "The agency did not say that Kim had mentioned Ukraine. Officials declined to say whether talks began."
    assert run(pipeline, text).quotes == ()


def test_doubled_apostrophes_are_quotation_marks(pipeline: Pipeline) -> None:
    text = (
        "''The harbour will reopen by spring,'' Governor Tomas Reyes said on Friday. "
        "''Nobody will lose a job.''\n"
        "Port workers were not convinced. ''We have heard it before,'' said Ines Duarte."
    )
    ann = run(pipeline, text)
    direct = [(q.text, speaker_name(ann, q)) for q in ann.quotes if q.kind == "direct"]
    assert direct == [
        ("The harbour will reopen by spring", "Tomas Reyes"),
        ("Nobody will lose a job.", "Tomas Reyes"),
        ("We have heard it before", "Ines Duarte"),
    ]


def test_apostrophes_in_words_are_not_doubled_marks(pipeline: Pipeline) -> None:
    text = "The players' union said it won't accept the league's offer."
    ann = run(pipeline, text)
    assert [q.kind for q in ann.quotes] == ["indirect"]
