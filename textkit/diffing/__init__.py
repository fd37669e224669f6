"""Pure text diffs between article revisions (no database, no HTTP).

diff = diff_texts(old, new, granularity="sentence", ignore=frozenset({"quotes"}))
diff.to_dict()                      # ops with code-point offsets, stats, changes
render_unified(diff, old, new)      # one unit per line
render_html(diff)                   # <div class="article-diff"> with <ins>/<del>
"""

from textkit.diffing.engine import (
    DEFAULT_BUDGET,
    EDIT_THRESHOLD,
    GRANULARITIES,
    IGNORABLE,
    MOVE_THRESHOLD,
    Degradation,
    DiffBudget,
    DiffOp,
    DiffStats,
    Granularity,
    InvalidDiffRequest,
    SentenceChange,
    TextDiff,
    classify_sentences,
    diff_texts,
)
from textkit.diffing.render import render_html, render_unified
from textkit.diffing.text import count_words, normalize_quotes, paragraph_spans, sentence_spans

__all__ = [
    "DEFAULT_BUDGET",
    "EDIT_THRESHOLD",
    "GRANULARITIES",
    "IGNORABLE",
    "MOVE_THRESHOLD",
    "Degradation",
    "DiffBudget",
    "DiffOp",
    "DiffStats",
    "Granularity",
    "InvalidDiffRequest",
    "SentenceChange",
    "TextDiff",
    "classify_sentences",
    "count_words",
    "diff_texts",
    "normalize_quotes",
    "paragraph_spans",
    "render_html",
    "render_unified",
    "sentence_spans",
]
