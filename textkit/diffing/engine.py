"""The diff engine: token-level diffs of two texts with code-point offsets.

Each side is cut into units (word/punctuation/whitespace tokens, sentences or
paragraphs plus the whitespace between them). Every distinct unit is mapped to one
Unicode character and diff-match-patch diffs the two encoded strings, so its
Myers diff and semantic cleanup work on whole units, never on characters.
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from diff_match_patch import diff_match_patch
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Indel, Postfix, Prefix

from textkit.diffing.text import (
    Span,
    count_words,
    normalize_quotes,
    paragraph_spans,
    segments,
    sentence_spans,
    tokenize,
)

Granularity = Literal["word", "sentence", "paragraph"]
OpKind = Literal["equal", "insert", "delete", "replace"]
ChangeKind = Literal["added", "deleted", "edited", "moved"]
IGNORABLE: frozenset[str] = frozenset({"whitespace", "quotes"})
GRANULARITIES: frozenset[str] = frozenset({"word", "sentence", "paragraph"})

# rapidfuzz ratio (0..100, on case-folded, quote- and space-normalised sentences).
# Measured on the two AP versions (seeds 001/003): a new sentence's best match in the
# old text scores 69-99 when it is an edit of it and at most 53 when it is not; the
# threshold sits in the middle of that gap (see docs/diffs.md).
EDIT_THRESHOLD = 60.0
# A deleted and an inserted sentence in different places this similar are one moved sentence.
MOVE_THRESHOLD = 90.0

_EQUAL, _DELETE, _INSERT = (
    diff_match_patch.DIFF_EQUAL,
    diff_match_patch.DIFF_DELETE,
    diff_match_patch.DIFF_INSERT,
)
_WS_RE = re.compile(r"\s+")
_LINE_BREAK_RE = re.compile(r"[\n\r\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")


class InvalidDiffRequest(ValueError):
    """Raised for an unknown granularity or ignore option."""


# Why a diff is coarser than asked for (``TextDiff.degraded``); see docs/diffs.md.
Degradation = Literal["size", "time", "pairs"]


@dataclass(frozen=True, slots=True)
class DiffBudget:
    """Bounds on the work of one diff. Over a bound the result is coarser, never wrong: the
    ops still tile both texts, and ``TextDiff.degraded`` says which bound was hit.

    * ``max_cells``: old units × new units of one LCS (after the common prefix and suffix);
      rapidfuzz keeps a bit matrix of that size (200M cells = 25 MB). Over it, the
      differing middle is one replace (``"size"``).
    * ``max_cleanup_chunks``: pieces of one word-level script handed to diff-match-patch's
      semantic clean-up, whose cost grows faster than the square of that count (700 pieces
      0.19 s, 1,400 0.7 s, 2,800 2.2 s). Over it the changed run of sentences stays one
      replace of whole sentences (``"size"``): what the clean-up makes of unrelated text.
    * ``max_pairs`` / ``max_pair_chars``: sentence pairs scored to find edited and moved
      sentences, and their characters (old × new: a ratio costs that much). 1M pairs of
      news sentences took 0.6 s, one pair of two 200 kB "sentences" 2.8 s. Over either,
      those sentences are reported as added and deleted, unmatched (``"pairs"``).
    * ``seconds``: once spent, the remaining changed runs stay at sentence granularity and
      no more sentences are matched (``"time"``). Every step is bounded by the limits
      above, so a diff ends within about ``seconds`` + 0.2 s.
    """

    seconds: float = 2.0
    max_cells: int = 200_000_000
    max_cleanup_chunks: int = 500
    max_pairs: int = 400_000
    max_pair_chars: int = 4_000_000_000


DEFAULT_BUDGET = DiffBudget()
# Tokens (words, punctuation, whitespace runs) of news copy average ~2.8 characters, so a
# run with chars_old × chars_new > 4 × max_cells is over (or close to) max_cells in tokens.
_CHARS_PER_TOKEN_SQ = 4


class _Spend:
    """What one diff has used of its budget, and which bounds it hit."""

    def __init__(self, budget: DiffBudget) -> None:
        self.budget = budget
        self.deadline = time.monotonic() + budget.seconds
        self.pairs_left = budget.max_pairs
        self.pair_chars_left = budget.max_pair_chars
        self.hit: set[Degradation] = set()

    def out_of_time(self) -> bool:
        if time.monotonic() > self.deadline:
            self.hit.add("time")
            return True
        return False

    def take_pairs(self, left: list[Span], right: list[Span]) -> bool:
        pairs = len(left) * len(right)
        chars = sum(e - s for s, e in left) * sum(e - s for s, e in right)
        if pairs > self.pairs_left or chars > self.pair_chars_left:
            self.hit.add("pairs")
            return False
        self.pairs_left -= pairs
        self.pair_chars_left -= chars
        return True


@dataclass(frozen=True, slots=True)
class DiffOp:
    """One operation; ``old_text == old[old_start:old_end]``, same for the new side."""

    op: OpKind
    old_start: int
    old_end: int
    new_start: int
    new_end: int
    old_text: str
    new_text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "op": self.op,
            "old_start": self.old_start,
            "old_end": self.old_end,
            "new_start": self.new_start,
            "new_end": self.new_end,
            "old_text": self.old_text,
            "new_text": self.new_text,
        }


@dataclass(frozen=True, slots=True)
class SentenceChange:
    """A changed sentence: added, deleted, edited in place or moved elsewhere."""

    kind: ChangeKind
    old_start: int | None
    old_end: int | None
    new_start: int | None
    new_end: int | None
    old_text: str | None
    new_text: str | None
    similarity: float | None  # 0..1 between old and new sentence, for edited and moved

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "old_start": self.old_start,
            "old_end": self.old_end,
            "new_start": self.new_start,
            "new_end": self.new_end,
            "old_text": self.old_text,
            "new_text": self.new_text,
            "similarity": self.similarity,
        }


@dataclass(frozen=True, slots=True)
class DiffStats:
    words_added: int
    words_removed: int
    sentences_added: int
    sentences_removed: int
    sentences_changed: int
    sentences_moved: int
    similarity: float  # share of characters (both sides) inside equal ops, in [0, 1]

    def to_dict(self) -> dict[str, Any]:
        return {
            "words_added": self.words_added,
            "words_removed": self.words_removed,
            "sentences_added": self.sentences_added,
            "sentences_removed": self.sentences_removed,
            "sentences_changed": self.sentences_changed,
            "sentences_moved": self.sentences_moved,
            "similarity": self.similarity,
        }


@dataclass(frozen=True, slots=True)
class TextDiff:
    granularity: Granularity
    ignore: frozenset[str]
    ops: list[DiffOp]
    stats: DiffStats
    changes: list[SentenceChange] = field(default_factory=list)
    # the budgets this diff hit (empty: exactly as asked); see DiffBudget
    degraded: tuple[Degradation, ...] = ()

    @property
    def has_changes(self) -> bool:
        return any(op.op != "equal" for op in self.ops)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``changes`` is present for sentence granularity only."""
        out: dict[str, Any] = {
            "granularity": self.granularity,
            "ignore": sorted(self.ignore),
            "ops": [op.to_dict() for op in self.ops],
            "stats": self.stats.to_dict(),
            "degraded": list(self.degraded),
        }
        if self.granularity == "sentence":
            out["changes"] = [c.to_dict() for c in self.changes]
        return out


def diff_texts(
    old: str,
    new: str,
    granularity: Granularity = "word",
    ignore: frozenset[str] = frozenset(),
    budget: DiffBudget = DEFAULT_BUDGET,
) -> TextDiff:
    """Diff two revisions at word, sentence or paragraph granularity.

    The ops tile both texts contiguously, in order. With ``ignore`` ⊆ {"whitespace",
    "quotes"}, ops whose sides differ only in whitespace or in curly vs straight quotes
    are reported as ``equal`` (their texts stay verbatim). Work is bounded by ``budget``;
    a diff that hit a bound says so in ``degraded``.
    """
    if granularity not in GRANULARITIES:
        raise InvalidDiffRequest(f"unknown granularity {granularity!r}")
    ignore = frozenset(ignore)
    if not ignore <= IGNORABLE:
        raise InvalidDiffRequest(f"unknown ignore option(s): {sorted(ignore - IGNORABLE)}")
    norm = _normalizer(ignore)
    ignoring = bool(ignore)
    spend = _Spend(budget)

    old_sentences = sentence_spans(old)
    new_sentences = sentence_spans(new)
    keys = _Keys(old, new, ignore)
    sentence_raw = _diff_spans(
        keys,
        segments(old, old_sentences),
        segments(new, new_sentences),
        (0, len(old)),
        (0, len(new)),
        spend,
        semantic=False,  # sentences are already semantic units: never hide an equal one
    )
    sentence_ops = _finish(old, new, sentence_raw, "sentence", norm, ignoring)
    if granularity == "sentence":
        ops = sentence_ops
    elif granularity == "word":
        ops = _finish(old, new, _refine_words(keys, sentence_raw, spend), "word", norm, ignoring)
    else:
        paragraph_raw = _diff_spans(
            keys,
            segments(old, paragraph_spans(old)),
            segments(new, paragraph_spans(new)),
            (0, len(old)),
            (0, len(new)),
            spend,
            semantic=False,
        )
        ops = _finish(old, new, paragraph_raw, "paragraph", norm, ignoring)

    changes = classify_sentences(old, new, sentence_ops, old_sentences, new_sentences, spend)
    stats = _stats(old, new, ops, changes)
    degraded = tuple(d for d in ("size", "time", "pairs") if d in spend.hit)
    return TextDiff(granularity, ignore, ops, stats, changes, degraded)


# (kind, old_start, old_end, new_start, new_end) in code points, before clean-up
_RawOp = tuple[OpKind, int, int, int, int]


def _normalizer(ignore: frozenset[str]) -> Callable[[str], str]:
    quotes = "quotes" in ignore
    whitespace = "whitespace" in ignore

    def norm(s: str) -> str:
        if quotes:
            s = normalize_quotes(s)
        if whitespace:
            s = _WS_RE.sub("", s)
        return s

    return norm


def _encode(keys: list[str], table: dict[str, str]) -> str:
    chars = []
    for key in keys:
        ch = table.get(key)
        if ch is None:
            n = len(table) + 1
            if n >= 0xD800:  # skip the surrogate block
                n += 0x800
            ch = table[key] = chr(n)
        chars.append(ch)
    return "".join(chars)


class _Keys:
    """Comparison keys of units: the unit text minus what is ignored."""

    def __init__(self, old: str, new: str, ignore: frozenset[str]) -> None:
        quotes = "quotes" in ignore
        # Quote normalisation maps one character to one, so it is done once per text.
        self.old = normalize_quotes(old) if quotes else old
        self.new = normalize_quotes(new) if quotes else new
        self.strip_ws = "whitespace" in ignore

    def of(self, text: str, units: list[Span], tokens: bool) -> list[str]:
        if not self.strip_ws:
            return [text[s:e] for s, e in units]
        if tokens:  # a token is all whitespace or has none
            return ["" if text[s].isspace() else text[s:e] for s, e in units]
        return [_WS_RE.sub("", text[s:e]) for s, e in units]


def _diff_spans(
    keys: _Keys,
    old_units: list[Span],
    new_units: list[Span],
    old_range: Span,
    new_range: Span,
    spend: _Spend,
    semantic: bool,
) -> list[_RawOp]:
    """Diff two unit sequences tiling ``old[old_range]`` and ``new[new_range]``.

    ``semantic`` (word tokens) runs diff-match-patch's semantic clean-up. Over the budget's
    size bounds, the middle between the common prefix and suffix is one change.
    """
    table: dict[str, str] = {}
    a = _encode(keys.of(keys.old, old_units, semantic), table)
    b = _encode(keys.of(keys.new, new_units, semantic), table)
    prefix = Prefix.similarity(a, b)
    suffix = Postfix.similarity(a[prefix:], b[prefix:])
    a_mid, b_mid = a[prefix : len(a) - suffix], b[prefix : len(b) - suffix]
    diffs: list[tuple[int, str]] = []
    if len(a_mid) * len(b_mid) > spend.budget.max_cells:
        spend.hit.add("size")
        diffs = _one_change(a_mid, b_mid)
    else:
        # rapidfuzz's bit-parallel LCS (C++) gives the minimal insert/delete script much
        # faster than diff-match-patch's pure-Python bisect; dmp then does the clean-up.
        for o in Indel.opcodes(a_mid, b_mid):
            if o.tag == "equal":
                diffs.append((_EQUAL, a_mid[o.src_start : o.src_end]))
            else:
                if o.src_end > o.src_start:
                    diffs.append((_DELETE, a_mid[o.src_start : o.src_end]))
                if o.dest_end > o.dest_start:
                    diffs.append((_INSERT, b_mid[o.dest_start : o.dest_end]))
        if semantic:
            if len(diffs) > spend.budget.max_cleanup_chunks:
                spend.hit.add("size")
                diffs = _one_change(a_mid, b_mid)
            else:
                diff_match_patch().diff_cleanupSemantic(diffs)
    if prefix:
        diffs.insert(0, (_EQUAL, a[:prefix]))
    if suffix:
        diffs.append((_EQUAL, a[len(a) - suffix :]))

    old_off = [s for s, _ in old_units] + [old_range[1]]
    new_off = [s for s, _ in new_units] + [new_range[1]]
    raw: list[_RawOp] = []
    i = j = 0  # unit indexes
    pending_del = pending_ins = 0
    for kind, chunk in diffs:
        n = len(chunk)
        if kind == _EQUAL:
            if pending_del or pending_ins:
                raw.append(_change(old_off, i, pending_del, new_off, j, pending_ins))
                i += pending_del
                j += pending_ins
                pending_del = pending_ins = 0
            raw.append(("equal", old_off[i], old_off[i + n], new_off[j], new_off[j + n]))
            i += n
            j += n
        elif kind == _DELETE:
            pending_del += n
        else:
            pending_ins += n
    if pending_del or pending_ins:
        raw.append(_change(old_off, i, pending_del, new_off, j, pending_ins))
    return raw


def _one_change(a: str, b: str) -> list[tuple[int, str]]:
    return [(k, x) for k, x in ((_DELETE, a), (_INSERT, b)) if x]


def _refine_words(keys: _Keys, sentence_raw: list[_RawOp], spend: _Spend) -> list[_RawOp]:
    """Word diff inside each replaced run of sentences; equal sentences stay equal.

    Diffing sentences first and words only where sentences differ keeps a 10,000-word
    diff in the low milliseconds and never aligns words across unrelated sentences.
    Once the time budget is spent, the remaining runs stay whole sentences.
    """
    out: list[_RawOp] = []
    for raw in sentence_raw:
        kind, os_, oe, ns, ne = raw
        if kind != "replace" or spend.out_of_time():
            out.append(raw)
            continue
        if (oe - os_) * (ne - ns) > _CHARS_PER_TOKEN_SQ * spend.budget.max_cells:
            # sure to be over max_cells in tokens: not worth tokenizing (2 MB: 2.5 s)
            spend.hit.add("size")
            out.append(raw)
            continue
        out.extend(
            _diff_spans(
                keys,
                tokenize(keys.old, os_, oe),
                tokenize(keys.new, ns, ne),
                (os_, oe),
                (ns, ne),
                spend,
                semantic=True,
            )
        )
    return out


def _finish(
    old: str,
    new: str,
    raw: list[_RawOp],
    granularity: Granularity,
    norm: Callable[[str], str],
    ignoring: bool,
) -> list[DiffOp]:
    ops = _merge_runs(old, new, [_op(old, new, *r) for r in raw])
    ops = _merge_trivial_equalities(old, new, ops, granularity)
    if ignoring:
        ops = [
            _op(old, new, "equal", o.old_start, o.old_end, o.new_start, o.new_end)
            if o.op != "equal" and norm(o.old_text) == norm(o.new_text)
            else o
            for o in ops
        ]
        ops = _merge_runs(old, new, ops)
    return ops


def _change(
    old_off: list[int], i: int, n_del: int, new_off: list[int], j: int, n_ins: int
) -> _RawOp:
    kind: OpKind = "replace" if n_del and n_ins else ("delete" if n_del else "insert")
    return kind, old_off[i], old_off[i + n_del], new_off[j], new_off[j + n_ins]


def _op(old: str, new: str, kind: OpKind, os_: int, oe: int, ns: int, ne: int) -> DiffOp:
    if kind != "equal":
        kind = "replace" if oe > os_ and ne > ns else ("delete" if oe > os_ else "insert")
    return DiffOp(kind, os_, oe, ns, ne, old[os_:oe], new[ns:ne])


def _is_trivial_equality(op: DiffOp, granularity: Granularity) -> bool:
    if granularity == "word":
        text = op.old_text
        return count_words(text) <= 1 and not _LINE_BREAK_RE.search(text)
    return op.old_text.isspace() and op.new_text.isspace()


def _merge_trivial_equalities(
    old: str, new: str, ops: list[DiffOp], granularity: Granularity
) -> list[DiffOp]:
    """Fold a space or a one-word equality between two changes into one replace."""
    out: list[DiffOp] = []
    k = 0
    while k < len(ops):
        op = ops[k]
        if (
            op.op == "equal"
            and out
            and out[-1].op != "equal"
            and k + 1 < len(ops)
            and ops[k + 1].op != "equal"
            and _is_trivial_equality(op, granularity)
        ):
            prev, nxt = out[-1], ops[k + 1]
            out[-1] = _op(
                old, new, "replace", prev.old_start, nxt.old_end, prev.new_start, nxt.new_end
            )
            k += 2
            continue
        if op.op != "equal" and out and out[-1].op != "equal":
            prev = out[-1]
            out[-1] = _op(
                old, new, "replace", prev.old_start, op.old_end, prev.new_start, op.new_end
            )
        else:
            out.append(op)
        k += 1
    return out


def _merge_runs(old: str, new: str, ops: list[DiffOp]) -> list[DiffOp]:
    """Merge adjacent ops of the same kind class (equal with equal, change with change)."""
    out: list[DiffOp] = []
    for op in ops:
        if out and (out[-1].op == "equal") == (op.op == "equal"):
            prev = out[-1]
            out[-1] = _op(
                old, new, op.op if op.op == "equal" else "replace",
                prev.old_start, op.old_end, prev.new_start, op.new_end,
            )  # fmt: skip
        else:
            out.append(op)
    return out


def _sentence_key(s: str) -> str:
    return _WS_RE.sub(" ", normalize_quotes(s)).strip().casefold()


def _spans_within(spans: list[Span], starts: list[int], lo: int, hi: int) -> list[Span]:
    k = bisect.bisect_left(starts, lo)
    out = []
    while k < len(spans) and spans[k][1] <= hi:
        out.append(spans[k])
        k += 1
    return out


def _greedy_pairs(
    old: str,
    old_spans: list[Span],
    new: str,
    new_spans: list[Span],
    threshold: float,
    spend: _Spend,
) -> list[tuple[int, int, float]]:
    """Pairs (i, j, score) of old and new sentences by descending rapidfuzz ratio of their
    keys, each side used at most once. None once the budget's time or pairs are spent."""
    if not old_spans or not new_spans:
        return []
    if spend.out_of_time() or not spend.take_pairs(old_spans, new_spans):
        return []
    left = [_sentence_key(old[s:e]) for s, e in old_spans]
    right = [_sentence_key(new[s:e]) for s, e in new_spans]
    matrix = process.cdist(left, right, scorer=fuzz.ratio, score_cutoff=threshold)
    rows, cols = (matrix >= threshold).nonzero()
    candidates = [(float(matrix[i, j]), int(i), int(j)) for i, j in zip(rows, cols, strict=True)]
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_l: set[int] = set()
    used_r: set[int] = set()
    pairs = []
    for score, i, j in candidates:
        if i not in used_l and j not in used_r:
            used_l.add(i)
            used_r.add(j)
            pairs.append((i, j, score))
    return pairs


def classify_sentences(
    old: str,
    new: str,
    sentence_ops: list[DiffOp],
    old_sentences: list[Span] | None = None,
    new_sentences: list[Span] | None = None,
    spend: _Spend | None = None,
) -> list[SentenceChange]:
    """Classify the sentences touched by sentence-level ops as added/deleted/edited/moved.

    Within one change, an old and a new sentence with ratio >= EDIT_THRESHOLD are one
    edited sentence; a leftover deleted and a leftover inserted sentence anywhere with
    ratio >= MOVE_THRESHOLD are one moved sentence (so a moved paragraph is not a
    delete plus an insert). Over the budget, sentences stay unmatched (added/deleted).
    """
    spend = _Spend(DEFAULT_BUDGET) if spend is None else spend
    old_sentences = sentence_spans(old) if old_sentences is None else old_sentences
    new_sentences = sentence_spans(new) if new_sentences is None else new_sentences
    old_starts = [s for s, _ in old_sentences]
    new_starts = [s for s, _ in new_sentences]

    # (op index, span) for every old/new sentence inside a change
    changed_old: list[tuple[int, Span]] = []
    changed_new: list[tuple[int, Span]] = []
    pairs: list[tuple[ChangeKind, Span, Span, float, int]] = []
    for k, op in enumerate(sentence_ops):
        if op.op == "equal":
            continue
        olds = _spans_within(old_sentences, old_starts, op.old_start, op.old_end)
        news = _spans_within(new_sentences, new_starts, op.new_start, op.new_end)
        matched = _greedy_pairs(old, olds, new, news, EDIT_THRESHOLD, spend)
        used_o = {i for i, _, _ in matched}
        used_n = {j for _, j, _ in matched}
        pairs.extend(("edited", olds[i], news[j], score, k) for i, j, score in matched)
        changed_old.extend((k, sp) for i, sp in enumerate(olds) if i not in used_o)
        changed_new.extend((k, sp) for j, sp in enumerate(news) if j not in used_n)

    moved = _greedy_pairs(
        old,
        [sp for _, sp in changed_old],
        new,
        [sp for _, sp in changed_new],
        MOVE_THRESHOLD,
        spend,
    )
    moved_o = {i for i, _, _ in moved}
    moved_n = {j for _, j, _ in moved}
    pairs.extend(
        ("moved", changed_old[i][1], changed_new[j][1], sc, changed_new[j][0]) for i, j, sc in moved
    )

    out: list[tuple[tuple[int, int, int], SentenceChange]] = []
    for kind, (os_, oe), (ns, ne), score, k in pairs:
        change = SentenceChange(
            kind, os_, oe, ns, ne, old[os_:oe], new[ns:ne], round(score / 100, 4)
        )
        out.append(((k, ns, 1), change))
    for i, (k, (s, e)) in enumerate(changed_old):
        if i not in moved_o:
            out.append(
                ((k, s, 0), SentenceChange("deleted", s, e, None, None, old[s:e], None, None))
            )
    for j, (k, (s, e)) in enumerate(changed_new):
        if j not in moved_n:
            out.append(((k, s, 1), SentenceChange("added", None, None, s, e, None, new[s:e], None)))
    out.sort(key=lambda item: item[0])
    return [c for _, c in out]


def _stats(old: str, new: str, ops: list[DiffOp], changes: list[SentenceChange]) -> DiffStats:
    added = removed = changed_chars = 0
    for op in ops:
        if op.op != "equal":
            added += count_words(op.new_text)
            removed += count_words(op.old_text)
            changed_chars += len(op.old_text) + len(op.new_text)
    total = len(old) + len(new)
    kinds = [c.kind for c in changes]
    return DiffStats(
        words_added=added,
        words_removed=removed,
        sentences_added=kinds.count("added"),
        sentences_removed=kinds.count("deleted"),
        sentences_changed=kinds.count("edited"),
        sentences_moved=kinds.count("moved"),
        similarity=round(1 - changed_chars / total, 4) if total else 1.0,
    )
