from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nlp.pipeline import Pipeline
from nlp.quotemarks import find_quote_spans
from nlp.text import chunk_spans, strip_dateline
from tests.nlp.helpers import check_offsets


@pytest.mark.parametrize("text", ["", "   ", "\n\r\n\t", "“", '"""', "“”“”", "‘’", "“ ” \" '"])
def test_degenerate_texts_give_empty_or_valid_annotations(pipeline: Pipeline, text: str) -> None:
    ann = pipeline.annotate(text)
    check_offsets(text, ann)
    assert ann.pipeline_version == pipeline.version


def test_unbalanced_quotes_do_not_crash(pipeline: Pipeline) -> None:
    text = "“This never closes, he said.\n\nAnother “paragraph” with a stray ” mark and a “ too."
    check_offsets(text, pipeline.annotate(text))


def test_offsets_on_crlf_and_emoji_text(pipeline: Pipeline) -> None:
    text = (
        "🎉🇰🇷 Seoul celebrates.\r\n\r\n"
        "“We are very happy 😀 today,” said Moon Jae-in, the former president.\r\n"
        "𝒜𝓈𝓉𝓇𝒶𝓁 text and 中文 and Русский: Angela Merkel said the talks were useful."
    )
    ann = pipeline.annotate(text)
    check_offsets(text, ann)
    direct = [q for q in ann.quotes if q.kind == "direct"]
    assert [q.text for q in direct] == ["We are very happy 😀 today"]
    assert direct[0].speaker_text == "Moon Jae-in"
    assert any(q.kind == "indirect" and q.text == "the talks were useful" for q in ann.quotes)


def test_long_single_paragraph_is_chunked_and_offsets_hold() -> None:
    pipe = Pipeline(max_chunk_chars=2_000)
    sentence = "“We will win,” said Volodymyr Zelensky in Kyiv. Analysts say the war will be long. "
    text = sentence * 120  # ~10 000 characters, one paragraph
    ann = pipe.annotate(text)
    check_offsets(text, ann)
    assert sum(q.kind == "direct" for q in ann.quotes) >= 110


@pytest.mark.slow
def test_one_megabyte_paragraph_finishes(pipeline: Pipeline) -> None:
    text = ("Officials said the talks in Geneva went on late into the night. " * 16_000)[:1_000_000]
    start = time.perf_counter()
    ann = pipeline.annotate(text)
    assert time.perf_counter() - start < 600
    check_offsets(text, ann)


def test_annotate_many_matches_annotate(pipeline: Pipeline) -> None:
    texts = ["Angela Merkel said the talks were useful.", "", "“Yes,” he said."]
    assert list(pipeline.annotate_many(texts, batch_size=2)) == [
        pipeline.annotate(t) for t in texts
    ]


def test_strip_dateline() -> None:
    assert strip_dateline(" date 2023-09-04 Putin wants Kim") == "Putin wants Kim"
    assert strip_dateline("Putin date 2023-09-04 wants") == "Putin date 2023-09-04 wants"


@given(st.text(min_size=0, max_size=5000), st.integers(min_value=50, max_value=400))
def test_chunks_concatenate_back(text: str, size: int) -> None:
    spans = chunk_spans(text, size)
    assert "".join(text[a:b] for a, b in spans) == text


@given(st.text(alphabet=st.sampled_from("ab “”‘’\"'\n\r."), max_size=80))
def test_quote_spans_lie_inside_text(text: str) -> None:
    for q in find_quote_spans(text):
        assert 0 <= q.outer_start <= q.start < q.end <= q.outer_end <= len(text)


_ODD = st.lists(
    st.one_of(
        st.sampled_from([*"“”‘’\"'.,;:—-\n\r\t  \u2028\u00a0", "\r\n", "😀", "🇰🇷", "𝒜", "中", "Ж"]),
        st.sampled_from(
            ["Kim Jong Un", " said ", "Putin", " he ", "according to ", "officials", "The"]
        ),
        st.characters(codec="utf-8", exclude_categories=["Cs"]),
    ),
    max_size=60,
).map("".join)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_ODD)
def test_offsets_hold_on_odd_text(pipeline: Pipeline, text: str) -> None:
    check_offsets(text, pipeline.annotate(text))


def test_fragment_open_at_paragraph_end_then_quote_paragraph_does_not_crash(
    pipeline: Pipeline,
) -> None:
    # the open fragment "continues" into a paragraph whose quote never became direct
    text = (
        "Councillor Ravi Menon defended the levy on Thursday, arguing that the city must "
        '"protect the river and every family that lives along it.\n\n'
        '"Nobody wants a new tax," he said. "But the floods will not wait."\n'
    )
    ann = pipeline.annotate(text)
    check_offsets(text, ann)
    direct = [q.text for q in ann.quotes if q.kind == "direct"]
    assert "Nobody wants a new tax" in direct


_MARKS = ['"', "“", "”", "‘", "’", "''", "``", "«", "»", "„", "'"]
_WORDS = [
    "The minister", "Ana Ruiz", "he", "she", "they", "the union", "Mr. Cole", "officials",
    "SEOUL, South Korea (AP) —", "Al-Rashid said", "Pieter de Vries", "his", "who said",
    "said", "told reporters", "added that", "warned", "urged members to", "according to",
    "asked", "wrote:", "the budget is balanced", "we will win", "never", "which critics dispute",
    "because", "and", "it", "Sunday", ",", ".", "?", "!", ":", " — ", "(", ")",
]  # fmt: skip
_PIECE = st.one_of(st.sampled_from(_MARKS), st.sampled_from(_WORDS))
_PARAGRAPH = st.tuples(
    st.lists(_PIECE, min_size=1, max_size=25).map(" ".join),
    st.sampled_from([str, str.upper, str.title]),  # wire copy in capitals, headlines
).map(lambda pair: pair[1](pair[0]))
_BREAK = st.sampled_from(["\n", "\n\n", "\r\n", " ", "\u2029"])


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(_PARAGRAPH, _BREAK), min_size=1, max_size=5))
def test_pipeline_never_raises_on_paragraphs_with_random_quote_marks(
    pipeline: Pipeline, paragraphs: list[tuple[str, str]]
) -> None:
    text = "".join(p + b for p, b in paragraphs)
    ann = pipeline.annotate(text)  # must return, whatever the marks
    check_offsets(text, ann)
    for q in ann.quotes:
        assert 0 <= q.start < q.end <= len(text)


def test_capitals_that_look_like_a_dateline_do_not_invert_a_span(pipeline: Pipeline) -> None:
    # found by fuzzing dev texts: the dateline cut ran past the end of a short content
    text = (
        "VON HALLBERG SAID THE TWO COUNTRIES HAD AGREED TO STUDY A HYDROGEN PIPELINE. "
        "AL-RASHID SAID SAUDI ARABIA WAS READY TO INVEST $5 BILLION IN THE PROJECT.“\n\n"
        "“THIS IS THE BEGINNING OF A LONG PARTNERSHIP,” AL-RASHID SAID."
    )
    ann = pipeline.annotate(text)
    check_offsets(text, ann)
    assert all(q.start < q.end for q in ann.quotes)
