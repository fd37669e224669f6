"""Re-anchoring a quote in a changed text (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from textkit.anchoring import reanchor

OLD = (
    'SEOUL — Kim left for Russia on Monday. A State Department spokesman said "we will '
    'monitor very closely the outcome of this meeting" and added that arms transfers '
    "would violate sanctions. Officials in Seoul said little."
)
QUOTE = "we will monitor very closely the outcome of this meeting"
START = OLD.index(QUOTE)
END = START + len(QUOTE)


def test_unchanged_text_is_exact() -> None:
    a = reanchor(OLD, OLD, START, END)
    assert (a.start, a.end, a.status) == (START, END, "exact")


def test_text_inserted_before_the_quote_moves_it() -> None:
    new = "UPDATED with new details.\n\n" + OLD
    a = reanchor(OLD, new, START, END)
    assert a.status == "moved" and new[a.start : a.end] == QUOTE


def test_edit_after_the_quote_keeps_it_exact() -> None:
    new = OLD.replace("Officials in Seoul said little.", "Seoul declined to comment.")
    a = reanchor(OLD, new, START, END)
    assert (a.start, a.end, a.status) == (START, END, "exact")


def test_a_lightly_edited_quote_is_fuzzy() -> None:
    new = OLD.replace("very closely", "closely")
    a = reanchor(OLD, new, START, END)
    assert a.status == "fuzzy"
    assert new[a.start : a.end] == "we will monitor closely the outcome of this meeting"


def test_a_removed_quote_is_orphaned() -> None:
    new = OLD.replace(f'"{QUOTE}" and added that', "that")
    a = reanchor(OLD, new, START, END)
    assert a.status == "orphaned" and a.start == a.end


def test_repeated_text_is_found_by_its_context() -> None:
    old = 'Miller said "no comment" today. Watson said "no comment" again.'
    start = old.rindex("no comment")
    new = 'Watson said "no comment" again. Miller said "no comment" today. Then more.'
    a = reanchor(old, new, start, start + len("no comment"))
    assert a.status == "moved"
    assert new[a.start - 13 : a.start] == 'Watson said "'


def test_explicit_prefix_and_suffix_are_used() -> None:
    old = "x said 'yes'. y said 'yes'."
    start = old.index("yes")
    new = "y said 'yes'. x said 'yes'."
    a = reanchor(old, new, start, start + 3, prefix="x said '", suffix="'. y")
    assert a.status == "moved" and new[a.start - 8 : a.start] == "x said '"


def test_span_outside_the_old_text_is_an_error() -> None:
    with pytest.raises(ValueError):
        reanchor("abc", "abc", 2, 9)


@given(
    before=st.text(max_size=60),
    quote=st.text(min_size=1, max_size=40),
    after=st.text(max_size=60),
    inserted=st.text(max_size=30),
    at_start=st.booleans(),
)
def test_reanchored_span_is_in_bounds_and_exact_matches_are_verbatim(
    before: str, quote: str, after: str, inserted: str, at_start: bool
) -> None:
    old = before + quote + after
    new = inserted + old if at_start else old + inserted
    a = reanchor(old, new, len(before), len(before) + len(quote))
    assert 0 <= a.start <= a.end <= len(new)
    assert a.status in ("exact", "moved")  # the quote is still there verbatim
    assert new[a.start : a.end] == quote


def test_a_one_word_edit_of_a_short_quote_between_unchanged_context_is_fuzzy() -> None:
    old = 'Officials met on Monday. "We face a crisis," the mayor said, and left the hall.'
    quote = "We face a crisis"
    start = old.index(quote)
    new = old.replace("a crisis", "an emergency")
    a = reanchor(old, new, start, start + len(quote))
    assert a.status == "fuzzy"
    assert new[a.start : a.end] == "We face an emergency"


def test_different_words_between_the_same_context_are_still_orphaned() -> None:
    old = 'The council said "the bridge will reopen in May" on Tuesday, officials confirmed.'
    quote = "the bridge will reopen in May"
    start = old.index(quote)
    new = old.replace(quote, "no comment at all for now")
    a = reanchor(old, new, start, start + len(quote))
    assert a.status == "orphaned"
