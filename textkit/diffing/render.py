"""Renderers for a TextDiff: unified text (one unit per line) and an HTML fragment."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from textkit.diffing.engine import DiffOp, Granularity, TextDiff
from textkit.diffing.text import Span, paragraph_spans, sentence_spans, tokenize

_LINE_BREAK_RE = re.compile(r"\r\n|[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


@dataclass(frozen=True, slots=True)
class _Line:
    tag: str  # " ", "-" or "+"
    text: str
    old_pos: int  # 0-based unit index on each side before this line
    new_pos: int


def _units(text: str, granularity: Granularity) -> list[Span]:
    if granularity == "word":
        return [(s, e) for s, e in tokenize(text) if not text[s:e].isspace()]
    if granularity == "sentence":
        return sentence_spans(text)
    return paragraph_spans(text)


def _lines(diff: TextDiff, old: str, new: str) -> list[_Line]:
    old_units = _units(old, diff.granularity)
    new_units = _units(new, diff.granularity)
    lines: list[_Line] = []
    i = j = 0  # next unit index on each side

    def take(units: list[Span], k: int, end: int) -> int:
        while k < len(units) and units[k][1] <= end:
            k += 1
        return k

    for op in diff.ops:
        i2 = take(old_units, i, op.old_end)
        j2 = take(new_units, j, op.new_end)
        if op.op == "equal":
            # Sides may differ in ignored characters only; show the new side as context.
            for n, (s, e) in enumerate(new_units[j:j2]):
                lines.append(_Line(" ", new[s:e], min(i + n, i2), j + n))
        else:
            for n, (s, e) in enumerate(old_units[i:i2]):
                lines.append(_Line("-", old[s:e], i + n, j))
            for n, (s, e) in enumerate(new_units[j:j2]):
                lines.append(_Line("+", new[s:e], i2, j + n))
        i, j = i2, j2
    return lines


def _range(start: int, length: int) -> str:
    # Same convention as difflib.unified_diff: 1-based start, empty ranges point before.
    if length == 1:
        return str(start + 1)
    if length == 0:
        return f"{start},0"
    return f"{start + 1},{length}"


def render_unified(
    diff: TextDiff,
    old: str,
    new: str,
    context: int = 3,
    from_label: str = "old",
    to_label: str = "new",
) -> str:
    """A unified diff with one unit (word, sentence or paragraph) per line."""
    lines = _lines(diff, old, new)
    changed = [k for k, line in enumerate(lines) if line.tag != " "]
    if not changed:
        return ""
    groups: list[tuple[int, int]] = []
    for k in changed:
        lo, hi = max(0, k - context), min(len(lines), k + context + 1)
        if groups and lo <= groups[-1][1]:
            groups[-1] = (groups[-1][0], hi)
        else:
            groups.append((lo, hi))
    out = [f"--- {from_label}", f"+++ {to_label}"]
    for lo, hi in groups:
        hunk = lines[lo:hi]
        old_len = sum(1 for line in hunk if line.tag != "+")
        new_len = sum(1 for line in hunk if line.tag != "-")
        out.append(f"@@ -{_range(hunk[0].old_pos, old_len)} +{_range(hunk[0].new_pos, new_len)} @@")
        out.extend(f"{line.tag}{_one_line(line.text)}" for line in hunk)
    return "\n".join(out) + "\n"


def _one_line(text: str) -> str:
    return _LINE_BREAK_RE.sub(" ", text)


def _html_text(text: str) -> str:
    return _LINE_BREAK_RE.sub("<br>\n", html.escape(text, quote=True))


def _html_op(op: DiffOp) -> str:
    if op.op == "equal":
        return _html_text(op.new_text)
    parts = []
    if op.old_text:
        parts.append(f"<del>{_html_text(op.old_text)}</del>")
    if op.new_text:
        parts.append(f"<ins>{_html_text(op.new_text)}</ins>")
    return "".join(parts)


def render_html(diff: TextDiff) -> str:
    """An HTML fragment: unchanged text, ``<del>`` old and ``<ins>`` new text, escaped;
    line breaks become ``<br>``."""
    body = "".join(_html_op(op) for op in diff.ops)
    return f'<div class="article-diff">{body}</div>'
