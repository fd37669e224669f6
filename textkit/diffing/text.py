"""Pure text segmentation for diffs: word tokens, sentences and paragraphs.

Every function returns spans as ``(start, end)`` Unicode code-point offsets into the
text it was given, so callers can always recover ``text[start:end]`` verbatim.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

Span = tuple[int, int]

# A word is a run of word characters, allowing inner apostrophes and hyphens
# ("don't", "Moscow’s", "green-and-yellow"); every other non-space character is a
# token of its own; whitespace runs are tokens too, so the tokens tile the text.
_TOKEN_RE = re.compile(r"\s+|\w+(?:['’\-]\w+)*|[^\w\s]")
_WORD_RE = re.compile(r"\w+(?:['’\-]\w+)*")
# Paragraphs are lines (str.splitlines() line boundaries), without surrounding spaces.
_LINE_RE = re.compile(r"[^\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
# Candidate sentence ends: terminal punctuation, optional closing quotes/brackets, then space.
_SENTENCE_END_RE = re.compile(r"(?:[.!?]+|…)[\"'”’»)\]]*(\s+)")

SINGLE_QUOTES = "‘’‚‛′"
DOUBLE_QUOTES = "“”„‟″"
# Never end a sentence: titles and other abbreviations that precede a name or a number.
_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "sen",
        "rep",
        "gov",
        "gen",
        "col",
        "lt",
        "sgt",
        "capt",
        "cmdr",
        "adm",
        "maj",
        "rev",
        "hon",
        "pres",
        "supt",
        "insp",
        "messrs",
        "mt",
        "ft",
        "st",
        "no",
        "nos",
        "vol",
        "vols",
        "pp",
        "fig",
        "figs",
        "approx",
        "vs",
        "v",
        "cf",
        "al",
    ]
)
_MONTHS = frozenset(
    ["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec"]
)
# Abbreviations that may end a sentence: break only before a typical sentence opener.
_AMBIGUOUS = frozenset(["inc", "corp", "co", "ltd", "llc", "jr", "sr", "bros", "etc"])
_SENTENCE_OPENERS = frozenset(
    [
        "the",
        "a",
        "an",
        "he",
        "she",
        "it",
        "they",
        "we",
        "i",
        "you",
        "but",
        "and",
        "or",
        "so",
        "yet",
        "in",
        "on",
        "at",
        "by",
        "for",
        "from",
        "to",
        "with",
        "as",
        "after",
        "before",
        "when",
        "while",
        "if",
        "this",
        "that",
        "these",
        "those",
        "his",
        "her",
        "their",
        "its",
        "our",
        "there",
        "here",
        "some",
        "many",
        "most",
        "both",
        "all",
        "no",
        "not",
        "one",
        "two",
        "three",
        "officials",
        "analysts",
        "police",
        "authorities",
        "however",
        "meanwhile",
        "still",
        "also",
        "then",
        "now",
        "according",
    ]
)
_DOTTED_ACRONYM_RE = re.compile(r"(?:[A-Za-z]\.)+[A-Za-z]$")


def tokenize(text: str, start: int = 0, end: int | None = None) -> list[Span]:
    """Split ``text[start:end]`` into word, punctuation and whitespace tokens that tile it."""
    end = len(text) if end is None else end
    return [m.span() for m in _TOKEN_RE.finditer(text, start, end)]


def count_words(text: str) -> int:
    """Number of words (runs of word characters) in ``text``."""
    return len(_WORD_RE.findall(text))


def normalize_quotes(text: str) -> str:
    """Map curly and prime quotes to their straight ASCII counterparts (one char to one)."""
    # str.replace per quote is ~20x faster than str.translate with a dict table.
    for ch in SINGLE_QUOTES:
        if ch in text:
            text = text.replace(ch, "'")
    for ch in DOUBLE_QUOTES:
        if ch in text:
            text = text.replace(ch, '"')
    return text


def paragraph_spans(text: str) -> list[Span]:
    """Spans of paragraphs: text between line breaks, without surrounding whitespace."""
    spans: list[Span] = []
    for m in _LINE_RE.finditer(text):
        _append_stripped(text, m.start(), m.end(), spans)
    return spans


def sentence_spans(text: str) -> list[Span]:
    """Spans of sentences; a line break always ends a sentence.

    Regex-based and tuned for news copy: titles ("Mr.", "Sen."), months before a day
    ("Sept. 12"), initials ("John F. Kirby") and dotted acronyms ("U.S.", "p.m.") do
    not end a sentence unless a typical sentence opener follows; closing quotes after
    the full stop (``.”``) stay with their sentence.
    """
    spans: list[Span] = []
    for p_start, p_end in paragraph_spans(text):
        pos = p_start
        for b_start, b_end in _sentence_breaks(text, p_start, p_end):
            spans.append((pos, b_start))
            pos = b_end
        spans.append((pos, p_end))
    return spans


def segments(text: str, units: list[Span]) -> list[Span]:
    """Tile ``text`` with ``units`` plus the (whitespace) gaps between them."""
    out: list[Span] = []
    pos = 0
    for start, end in units:
        if start > pos:
            out.append((pos, start))
        out.append((start, end))
        pos = end
    if pos < len(text):
        out.append((pos, len(text)))
    return out


def _append_stripped(text: str, start: int, end: int, spans: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append((start, end))


def _sentence_breaks(text: str, start: int, end: int) -> Iterator[Span]:
    """Yield the whitespace gaps inside ``text[start:end]`` that separate sentences."""
    for m in _SENTENCE_END_RE.finditer(text, start, end):
        gap_start, gap_end = m.span(1)
        if gap_end >= end:
            break
        if _is_sentence_end(text, m.start(), m.group(0), gap_end):
            yield gap_start, gap_end


def _is_sentence_end(text: str, punct_start: int, match: str, next_pos: int) -> bool:
    nxt = text[next_pos]
    if nxt.islower():
        return False
    if not match.startswith(".") or match.startswith(".."):
        return True
    # Only a single full stop is ambiguous; look at the word it ends.
    word_start = punct_start
    while word_start > 0 and not text[word_start - 1].isspace():
        word_start -= 1
    word = text[word_start:punct_start].lstrip("\"'“‘([«")
    if not word:
        return True
    closed = len(match.rstrip()) > 1  # a quote or bracket follows the full stop
    lower = word.lower()
    if not closed:
        if lower in _TITLES:
            return False
        if lower in _MONTHS and nxt.isdigit():
            return False
        if len(word) == 1 and word.isupper():
            return False
    if lower in _AMBIGUOUS or _DOTTED_ACRONYM_RE.match(word):
        if closed:
            return True
        m = re.match(r"\w+", text[next_pos : next_pos + 30])
        return m is not None and m.group(0).lower() in _SENTENCE_OPENERS
    return True
