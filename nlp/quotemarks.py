"""Quotation-mark pairing on raw text, independent of any parse.

A *quote span* is one contiguous run of quoted words between an opening and a closing mark
inside one paragraph. A quote continued over several paragraphs (opening mark, no closing mark
at the paragraph's end, next paragraph reopens) gives one span per paragraph, linked through
``continues``. Single quotes are nested quotes inside double quotes and stay part of the
outer span; a paragraph without any double mark may use curly single marks (‘…’) instead.
A doubled straight apostrophe (``''``) or backtick (````` `` `````), as in some wire archives,
is one double mark.
"""

from __future__ import annotations

from dataclasses import dataclass

from nlp.text import line_spans

DOUBLE_OPEN = frozenset("“„«‟")
DOUBLE_CLOSE = frozenset("”»")
DOUBLE_AMBIGUOUS = frozenset('"″')
SINGLE_OPEN = frozenset("‘‚")
SINGLE_CLOSE = frozenset("’")
_OPEN_CONTEXT = frozenset(" \t\u00a0([{<—–-/:;“‘")


@dataclass(frozen=True, slots=True)
class QuoteSpan:
    """Quoted words (``start``/``end``, marks excluded) and the marks' extent."""

    start: int
    end: int
    outer_start: int  # position of the opening mark
    outer_end: int  # just after the closing mark (== end when the quote is unclosed)
    paragraph: int
    closed: bool
    continues: int | None  # index of the span in the previous paragraph this one continues


def _is_opening(
    text: str, i: int, para_start: int, para_end: int, is_open: bool, width: int = 1
) -> bool:
    """Decide whether the ambiguous mark at ``i`` opens (True) or closes (False) a quote."""
    prev = text[i - 1] if i > para_start else " "
    nxt = text[i + width] if i + width < para_end else " "
    if prev.isspace() or prev in _OPEN_CONTEXT:
        return not (nxt.isspace() and is_open)
    if nxt.isspace() or not nxt.isalnum():
        return False
    return not is_open


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def find_quote_spans(text: str) -> list[QuoteSpan]:
    """Pair quotation marks paragraph by paragraph and return the quoted spans in order."""
    spans: list[QuoteSpan] = []
    prev_unclosed: int | None = None  # index in spans of an unclosed quote ending the paragraph
    for p_index, (p_start, p_end) in enumerate(line_spans(text)):
        para = text[p_start:p_end]
        if not para.strip():
            continue  # blank lines neither end nor break a continued quote
        has_double = (
            any(c in DOUBLE_OPEN or c in DOUBLE_CLOSE or c in DOUBLE_AMBIGUOUS for c in para)
            or "''" in para
            or "``" in para
        )
        open_at: int | None = None
        open_width = 1
        first_in_para = True
        carried = prev_unclosed
        prev_unclosed = None

        def emit(
            o: int,
            s: int,
            e: int,
            oe: int,
            closed: bool,
            carried: int | None = carried,
            p_start: int = p_start,
            p_index: int = p_index,
        ) -> None:
            nonlocal first_in_para
            s2, e2 = _trim(text, s, e)
            link = None
            if first_in_para and carried is not None and not text[p_start:o].strip():
                link = carried
            first_in_para = False
            if e2 > s2:
                spans.append(QuoteSpan(s2, e2, o, oe, p_index, closed, link))

        skip_to = p_start
        for i in range(p_start, p_end):
            if i < skip_to:
                continue
            c = text[i]
            width = 1
            if has_double and c in "'`" and text[i + 1 : i + 2] == c and i + 1 < p_end:
                # a doubled apostrophe or backtick is one double mark: ''We will win,'' he said.
                width = 2
                skip_to = i + 2
                c = "“" if c == "`" else '"'
            if has_double:
                if c in DOUBLE_OPEN:
                    opening = True
                    if open_at is not None:
                        # a curly opening mark used as a closing one (bad typography)
                        nxt = text[i + 1] if i + 1 < p_end else " "
                        opening = not (nxt.isspace() or nxt in ",.;:!?")
                elif c in DOUBLE_CLOSE:
                    opening = False
                    if open_at is None:
                        prev = text[i - 1] if i > p_start else " "
                        nxt = text[i + 1] if i + 1 < p_end else " "
                        opening = (prev.isspace() or prev in _OPEN_CONTEXT) and nxt.isalnum()
                elif c in DOUBLE_AMBIGUOUS:
                    opening = _is_opening(text, i, p_start, p_end, open_at is not None, width)
                else:
                    continue
            else:
                if c in SINGLE_OPEN:
                    prev = text[i - 1] if i > p_start else " "
                    if not (prev.isspace() or prev in _OPEN_CONTEXT):
                        continue
                    opening = True
                elif c in SINGLE_CLOSE and open_at is not None:
                    nxt = text[i + 1] if i + 1 < p_end else " "
                    if nxt.isalpha():
                        continue  # an apostrophe: don’t
                    opening = False
                else:
                    continue
            if opening:
                if open_at is not None:  # unclosed quote followed by a new one
                    emit(open_at, open_at + open_width, i, i, False)
                open_at, open_width = i, width
            elif open_at is not None:
                emit(open_at, open_at + open_width, i, i + width, True)
                open_at = None
        if open_at is not None:
            before = len(spans)
            emit(open_at, open_at + open_width, p_end, p_end, False)
            if len(spans) > before:
                prev_unclosed = len(spans) - 1
    return spans
