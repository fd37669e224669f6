"""The diff engine: tiling invariant (property tests), semantics, renderers, splitter."""

from __future__ import annotations

import html
import re
import time
from typing import get_args

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures.texts import unrelated_text
from textkit.diffing import (
    DiffBudget,
    Granularity,
    InvalidDiffRequest,
    TextDiff,
    diff_texts,
    render_html,
    render_unified,
    sentence_spans,
)
from textkit.diffing.text import normalize_quotes

GRANULARITIES: tuple[Granularity, ...] = get_args(Granularity)
IGNORES = [
    frozenset(),
    frozenset({"whitespace"}),
    frozenset({"quotes"}),
    frozenset({"whitespace", "quotes"}),
]


def assert_tiles(diff: TextDiff, old: str, new: str) -> None:
    """Ops tile both texts contiguously; texts are verbatim slices; kinds are consistent."""
    old_pos = new_pos = 0
    for op in diff.ops:
        assert op.old_start == old_pos and op.new_start == new_pos, op
        assert op.old_text == old[op.old_start : op.old_end]
        assert op.new_text == new[op.new_start : op.new_end]
        if op.op == "insert":
            assert op.old_text == "" and op.new_text
        elif op.op == "delete":
            assert op.new_text == "" and op.old_text
        elif op.op == "replace":
            assert op.old_text and op.new_text
        elif not diff.ignore:
            assert op.old_text == op.new_text
        old_pos, new_pos = op.old_end, op.new_end
    assert old_pos == len(old) and new_pos == len(new)
    assert "".join(op.new_text for op in diff.ops) == new
    assert "".join(op.old_text for op in diff.ops) == old
    # no two consecutive equal ops, no empty ops
    for a, b in zip(diff.ops, diff.ops[1:], strict=False):
        assert not (a.op == "equal" and b.op == "equal")
    assert all(op.old_text or op.new_text for op in diff.ops)
    assert 0.0 <= diff.stats.similarity <= 1.0


def _canon(text: str, ignore: frozenset[str]) -> str:
    if "quotes" in ignore:
        text = normalize_quotes(text)
    if "whitespace" in ignore:
        text = re.sub(r"\s+", "", text)
    return text


# Pieces that stress the tokenizer and the splitter; plus arbitrary Unicode (astral too).
PIECES = st.sampled_from(
    [" ", "  ", "\n", "\r\n", "\n\n", "\t", ".", ". ", "!", "?", "’", "'", "“", "”", '"', "‘",
     "″", "Mr.", "U.S.", "Sept. 12", "word", "Word", "news", "The", "said", "—", "😀", "𝔘𝔫",
     "e\u0301", "\u2028", "don't", "-"]
)  # fmt: skip
TEXTS = st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=30).map("".join)


@st.composite
def revisions(draw: st.DrawFn) -> tuple[str, str]:
    old = draw(TEXTS)
    if draw(st.booleans()):
        return old, draw(TEXTS)
    # an edit of old: splice a few pieces in or out
    new = old
    for _ in range(draw(st.integers(0, 4))):
        i = draw(st.integers(0, len(new)))
        j = draw(st.integers(i, min(len(new), i + 8)))
        new = new[:i] + draw(st.one_of(st.just(""), PIECES, st.text(max_size=3))) + new[j:]
    return old, new


@pytest.mark.parametrize("granularity", GRANULARITIES)
@pytest.mark.parametrize("ignore", IGNORES, ids=lambda i: "+".join(sorted(i)) or "none")
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pair=revisions())
def test_ops_tile_both_texts_for_any_unicode(
    pair: tuple[str, str], granularity: Granularity, ignore: frozenset[str]
) -> None:
    old, new = pair
    diff = diff_texts(old, new, granularity, ignore)
    assert_tiles(diff, old, new)
    for op in diff.ops:
        if op.op != "equal":  # an ignored-only difference is never reported as a change
            assert _canon(op.old_text, ignore) != _canon(op.new_text, ignore) or not ignore
    if _canon(old, ignore) == _canon(new, ignore):
        assert not diff.has_changes
    for change in diff.changes:
        if change.old_start is not None:
            assert change.old_text == old[change.old_start : change.old_end]
        if change.new_start is not None:
            assert change.new_text == new[change.new_start : change.new_end]
    render_unified(diff, old, new)
    assert render_html(diff).startswith('<div class="article-diff">')


@pytest.mark.parametrize("granularity", GRANULARITIES)
def test_empty_and_identical_texts(granularity: Granularity) -> None:
    assert diff_texts("", "", granularity).ops == []
    d = diff_texts("", "Hello.", granularity)
    assert [op.op for op in d.ops] == ["insert"] and d.stats.words_added == 1
    d = diff_texts("Same text.", "Same text.", granularity)
    assert [op.op for op in d.ops] == ["equal"] and d.stats.similarity == 1.0


def test_offsets_are_code_points_with_astral_characters() -> None:
    old, new = "😀 Hi 𝔘 there.", "😀 Hi 𝔘 you there."
    diff = diff_texts(old, new)
    (ins,) = [op for op in diff.ops if op.op != "equal"]
    assert ins.op == "insert"
    assert new[ins.new_start : ins.new_end].strip() == "you"
    assert ins.new_start == new.index("you") or ins.new_end == new.index("you") + 3


def test_word_diff_aligns_on_words_not_characters() -> None:
    diff = diff_texts("The cat sat on the mat.", "The cat sits on the mat.")
    changes = [(op.old_text, op.new_text) for op in diff.ops if op.op != "equal"]
    assert changes == [("sat", "sits")]
    assert diff.stats.words_added == 1 and diff.stats.words_removed == 1


def test_one_word_equality_between_two_changes_is_merged_into_one_replace() -> None:
    diff = diff_texts("He quickly left the room.", "She slowly left the room.")
    changes = [(op.op, op.old_text, op.new_text) for op in diff.ops if op.op != "equal"]
    assert changes == [("replace", "He quickly", "She slowly")]


def test_ignore_quotes_and_whitespace_reports_equal_but_keeps_texts_verbatim() -> None:
    old = "Kim's train “arrived” in  Russia."
    new = 'Kim’s train "arrived" in Russia.'
    assert diff_texts(old, new).has_changes
    diff = diff_texts(old, new, ignore=frozenset({"quotes", "whitespace"}))
    assert not diff.has_changes
    assert_tiles(diff, old, new)
    assert diff.stats.words_added == 0 and diff.stats.similarity == 1.0
    only_quotes = diff_texts(old, new, ignore=frozenset({"quotes"}))
    assert [(op.old_text, op.new_text) for op in only_quotes.ops if op.op != "equal"] == [
        ("  ", " ")
    ]


def test_invalid_options_raise() -> None:
    with pytest.raises(InvalidDiffRequest):
        diff_texts("a", "b", "letter")  # type: ignore[arg-type]
    with pytest.raises(InvalidDiffRequest):
        diff_texts("a", "b", ignore=frozenset({"case"}))


OLD_ARTICLE = """\
SEOUL, South Korea — Kim Jong Un left Pyongyang on Sunday by train. He is expected to meet Putin.

The Kremlin said the visit would take place “in the coming days.” KCNA did not say when.

Analysts say Russia wants artillery shells. North Korea wants technology in return.

The U.S. has warned of new sanctions."""

NEW_ARTICLE = """\
SEOUL, South Korea — Kim Jong Un arrived in Russia on Tuesday by armored train. He is expected to meet Putin.

Analysts say Russia wants artillery shells. North Korea wants technology in return.

The U.S. has warned of new sanctions. Mr. Miller spoke on Sept. 11 in Washington.

The Kremlin said the visit would take place “in the coming days.” KCNA did not say when."""


def test_sentence_diff_classifies_edited_added_and_moved_sentences() -> None:
    diff = diff_texts(OLD_ARTICLE, NEW_ARTICLE, "sentence")
    assert_tiles(diff, OLD_ARTICLE, NEW_ARTICLE)
    kinds = [(c.kind, (c.new_text or c.old_text or "")[:20]) for c in diff.changes]
    assert ("edited", "SEOUL, South Korea —") in kinds
    assert ("added", "Mr. Miller spoke on ") in kinds
    moved = [c for c in diff.changes if c.kind == "moved"]
    assert len(moved) == 2  # the moved paragraph is not a delete plus an insert
    assert all(c.similarity == 1.0 for c in moved)
    assert not [c for c in diff.changes if c.kind == "deleted"]
    stats = diff.stats
    assert (stats.sentences_added, stats.sentences_removed) == (1, 0)
    assert (stats.sentences_changed, stats.sentences_moved) == (1, 2)
    out = diff.to_dict()
    assert set(out) == {"granularity", "ignore", "ops", "stats", "changes", "degraded"}
    assert set(out["changes"][0]) == {
        "kind", "old_start", "old_end", "new_start", "new_end", "old_text", "new_text",
        "similarity",
    }  # fmt: skip


def test_to_dict_shape_for_word_granularity() -> None:
    out = diff_texts("a b c", "a x c").to_dict()
    assert set(out) == {"granularity", "ignore", "ops", "stats", "degraded"}
    assert set(out["ops"][0]) == {
        "op", "old_start", "old_end", "new_start", "new_end", "old_text", "new_text"
    }  # fmt: skip
    assert set(out["stats"]) == {
        "words_added", "words_removed", "sentences_added", "sentences_removed",
        "sentences_changed", "sentences_moved", "similarity",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Putin met Kim on Sept. 12, 2023. It was their first meeting since 2019.",
            ["Mr. Putin met Kim on Sept. 12, 2023.", "It was their first meeting since 2019."],
        ),
        (
            "He flew to the U.S. The trip was short. U.S. officials said so.",
            ["He flew to the U.S.", "The trip was short.", "U.S. officials said so."],
        ),
        (
            "Officials in the U.S. and the U.N. Security Council agreed.",
            ["Officials in the U.S. and the U.N. Security Council agreed."],
        ),
        (
            "“We will go,” he said. “It is decided.” Then he left.",
            ["“We will go,” he said.", "“It is decided.”", "Then he left."],
        ),
        (
            "John F. Kirby spoke at 7 p.m. local time. Nobody asked.",
            ["John F. Kirby spoke at 7 p.m. local time.", "Nobody asked."],
        ),
        (
            "Headline without a stop\nFirst sentence here.",
            ["Headline without a stop", "First sentence here."],
        ),
        ("Is it over? No! It goes on...", ["Is it over?", "No!", "It goes on..."]),
    ],
)
def test_sentence_splitter_on_news_text(text: str, expected: list[str]) -> None:
    assert [text[s:e] for s, e in sentence_spans(text)] == expected


def test_render_unified_one_unit_per_line() -> None:
    diff = diff_texts(OLD_ARTICLE, NEW_ARTICLE, "sentence")
    out = render_unified(diff, OLD_ARTICLE, NEW_ARTICLE, context=1, from_label="r1", to_label="r2")
    lines = out.splitlines()
    assert lines[:2] == ["--- r1", "+++ r2"]
    assert lines[2].startswith("@@ -1,")
    assert "+Mr. Miller spoke on Sept. 11 in Washington." in lines
    assert "-SEOUL, South Korea — Kim Jong Un left Pyongyang on Sunday by train." in lines
    words = render_unified(diff_texts("a b c d", "a b x d"), "a b c d", "a b x d", context=1)
    assert words.splitlines()[2:] == ["@@ -2,3 +2,3 @@", " b", "-c", "+x", " d"]
    assert render_unified(diff_texts("same", "same"), "same", "same") == ""


def test_render_html_escapes_and_marks_changes() -> None:
    old, new = (
        'A <b>bold</b> & "quoted" claim.\nNext line.',
        "A <i>new</i> & 'quoted' claim.\nNext line.",
    )
    out = render_html(diff_texts(old, new))
    assert out.startswith('<div class="article-diff">') and out.endswith("</div>")
    assert "<b>" not in out and "<i>" not in out
    assert "<del>" in out and "<ins>" in out and "<br>" in out
    body = out.removeprefix('<div class="article-diff">').removesuffix("</div>")
    body = body.replace("<br>\n", "\n")
    as_new = re.sub(r"<del>.*?</del>|</?ins>", "", body, flags=re.S)
    as_old = re.sub(r"<ins>.*?</ins>|</?del>", "", body, flags=re.S)
    assert html.unescape(as_new) == new and html.unescape(as_old) == old
    assert "i&gt;new&lt;/i&gt;" in out and "&amp;" in out


# --- budget: a diff's work is bounded, the result coarser but still exact ---------------


def test_word_diff_of_unrelated_texts_is_bounded_and_says_it_degraded() -> None:
    # one 25 kB "sentence" per side: the semantic clean-up alone took 20 s here
    old, new = unrelated_text(25_000, 1), unrelated_text(25_000, 2)
    started = time.perf_counter()
    diff = diff_texts(old, new, "word")
    assert time.perf_counter() - started < 3
    assert_tiles(diff, old, new)
    assert "size" in diff.degraded
    assert diff.to_dict()["degraded"] == list(diff.degraded)


def test_spent_time_budget_leaves_changed_runs_as_whole_sentences() -> None:
    old = unrelated_text(5_000, 1, ".")
    new = unrelated_text(5_000, 2, ".")
    coarse = diff_texts(old, new, "word", budget=DiffBudget(seconds=0))
    assert_tiles(coarse, old, new)
    assert coarse.degraded == ("time",)
    sentence = diff_texts(old, new, "sentence")
    assert [(o.old_start, o.new_start) for o in coarse.ops] == [
        (o.old_start, o.new_start) for o in sentence.ops
    ]
    assert not any(c.kind in ("edited", "moved") for c in coarse.changes)


def test_too_many_sentence_pairs_are_reported_unmatched() -> None:
    old = "One two three four. Five six seven eight."
    new = "One two three five. Five six seven nine."
    assert {c.kind for c in diff_texts(old, new, "sentence").changes} == {"edited"}
    diff = diff_texts(old, new, "sentence", budget=DiffBudget(max_pairs=1))
    assert_tiles(diff, old, new)
    assert diff.degraded == ("pairs",)
    assert {c.kind for c in diff.changes} == {"added", "deleted"}


def test_texts_over_the_size_budget_are_one_replace_between_common_ends() -> None:
    old = "Same start.\n" + unrelated_text(3_000, 1, ".") + "\nSame end."
    new = "Same start.\n" + unrelated_text(3_000, 2, ".") + "\nSame end."
    diff = diff_texts(old, new, "word", budget=DiffBudget(max_cells=10))
    assert_tiles(diff, old, new)
    assert "size" in diff.degraded
    assert [o.op for o in diff.ops] == ["equal", "replace", "equal"]
