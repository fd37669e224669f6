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
