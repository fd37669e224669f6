"""Text helpers shared with other layers: dateline stripping, paragraphs, chunking."""

from __future__ import annotations

import re
from collections.abc import Iterator

_DATELINE = re.compile(r"^\s*date \d{4}-\d{2}-\d{2}\s+")
# Any line break ends a paragraph (news bodies use one or two newlines between paragraphs).
_LINE_BREAK = re.compile(r"\r\n|[\n\r\u2028\u2029\x0b\x0c\x85]")


def strip_dateline(text: str) -> str:
    """Return the article body: the text without a leading ``date YYYY-MM-DD`` prefix."""
    return _DATELINE.sub("", text, count=1)


def line_spans(text: str) -> Iterator[tuple[int, int]]:
    """Yield ``(start, end)`` of each line (paragraph) of ``text``, line breaks excluded."""
    pos = 0
    for m in _LINE_BREAK.finditer(text):
        yield pos, m.start()
        pos = m.end()
    yield pos, len(text)


def chunk_spans(text: str, max_chars: int) -> list[tuple[int, int]]:
    """Cut ``text`` into consecutive ``(start, end)`` pieces of at most ~``max_chars``.

    Cuts fall after a line break when possible, else after a sentence end (``. `` etc.), else
    after whitespace, else anywhere. The pieces concatenate back to ``text`` exactly.
    """
    if len(text) <= max_chars:
        return [(0, len(text))]
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(text)
    while start < n:
        end = min(n, start + max_chars)
        if end < n:
            window = text[start:end]
            cut = -1
            for pattern in (r"[\n\r\u2029]+", r"[.!?][\"”’)]*\s+", r"\s+"):
                matches = [m.end() for m in re.finditer(pattern, window)]
                good = [c for c in matches if c > max_chars // 4]
                if good:
                    cut = good[-1]
                    break
            if cut > 0:
                end = start + cut
        spans.append((start, end))
        start = end
    return spans
