"""Benchmark of the diff engine on two 10,000-word revisions.

Run: ``python -m bench.diff_bench [--runs N] [--words N]``. Prints median and p95 (ms)
of word/sentence/paragraph diffs, next to plain difflib on the same data.
"""

from __future__ import annotations

import argparse
import difflib
import random
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from textkit.diffing import diff_texts, render_html, render_unified, sentence_spans
from textkit.diffing.text import tokenize

SEEDS = Path("/work/shared/seeds")
_DATE_RE = re.compile(r"^\s*date \d{4}-\d{2}-\d{2}\s+")
_FALLBACK = (
    "Officials in Washington said on Tuesday that the talks would resume next week. "
    "The agency reported that prices rose 3.2% in Sept. compared with a year earlier. "
    "“We are not going anywhere,” Mr. Smith told reporters outside the U.S. Capitol. "
    "Analysts said the decision could weigh on markets for months."
)


def _seed_sentences() -> list[str]:
    texts = [_DATE_RE.sub("", p.read_text(), count=1) for p in sorted(SEEDS.glob("*.txt"))]
    texts = texts or [_FALLBACK]
    out: list[str] = []
    for text in texts:
        out.extend(text[s:e] for s, e in sentence_spans(text) if len(text[s:e].split()) >= 5)
    return out


def make_article(words: int, rng: random.Random) -> list[list[str]]:
    """Paragraphs of 1-4 sentences drawn from the seeds, each sentence varied a little."""
    sentences = _seed_sentences()
    vocab = sorted({w for s in sentences for w in s.split() if w.isalpha()})
    paragraphs: list[list[str]] = []
    total = 0
    while total < words:
        para = []
        for _ in range(rng.randint(1, 4)):
            tokens = rng.choice(sentences).split()
            for _ in range(2):  # keep sentences distinct, as in a real long article
                tokens[rng.randrange(len(tokens))] = rng.choice(vocab)
            para.append(" ".join(tokens))
            total += len(tokens)
        paragraphs.append(para)
    return paragraphs


def edit_article(paragraphs: list[list[str]], rng: random.Random) -> list[list[str]]:
    """A later revision: edited sentences, deleted/inserted paragraphs, one moved paragraph,
    a rewritten lead and some straight quotes made curly."""
    vocab = sorted({w for p in paragraphs for s in p for w in s.split() if w.isalpha()})
    out = [list(p) for p in paragraphs]
    for para in out:
        for k, sentence in enumerate(para):
            r = rng.random()
            tokens = sentence.split()
            if r < 0.10:  # edit a few words
                for _ in range(rng.randint(1, 3)):
                    tokens[rng.randrange(len(tokens))] = rng.choice(vocab)
                para[k] = " ".join(tokens)
            elif r < 0.13:  # insert a clause
                pos = rng.randrange(len(tokens))
                para[k] = " ".join(
                    [*tokens[:pos], "officials", "said", "on", "Monday,", *tokens[pos:]]
                )
            elif r < 0.15:
                para[k] = sentence.replace("'", "’")
    for _ in range(len(out) // 30):  # delete paragraphs
        del out[rng.randrange(1, len(out))]
    for _ in range(len(out) // 30):  # insert new paragraphs
        new = [" ".join(rng.choice(vocab) for _ in range(rng.randint(12, 30))) + "."]
        out.insert(rng.randrange(1, len(out)), new)
    moved = out.pop(len(out) // 3)  # move a paragraph
    out.insert(2 * len(out) // 3, moved)
    out[0] = ["Updated: " + " ".join(reversed(out[0][0].split())), *out[0][1:]]
    return out


def as_text(paragraphs: list[list[str]]) -> str:
    return "\n\n".join(" ".join(p) for p in paragraphs)


def timeit(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    fn()  # warm up
    samples: list[float] = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return statistics.median(samples), samples[min(len(samples) - 1, int(0.95 * len(samples)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--words", type=int, default=10_000)
    args = parser.parse_args()

    rng = random.Random(20230911)
    old_paragraphs = make_article(args.words, rng)
    old = as_text(old_paragraphs)
    new = as_text(edit_article(old_paragraphs, rng))
    old_words = [old[s:e] for s, e in tokenize(old)]
    new_words = [new[s:e] for s, e in tokenize(new)]
    print(
        f"old: {len(old.split())} words, {len(old)} chars; "
        f"new: {len(new.split())} words, {len(new)} chars; runs={args.runs}"
    )

    word_diff = diff_texts(old, new, "word")
    sentence_diff = diff_texts(old, new, "sentence")
    cases: list[tuple[str, Callable[[], object]]] = [
        ("diff_texts word", lambda: diff_texts(old, new, "word")),
        ("diff_texts sentence", lambda: diff_texts(old, new, "sentence")),
        ("diff_texts paragraph", lambda: diff_texts(old, new, "paragraph")),
        (
            "diff_texts word, ignore ws+quotes",
            lambda: diff_texts(old, new, "word", frozenset({"whitespace", "quotes"})),
        ),
        ("render_unified (word diff)", lambda: render_unified(word_diff, old, new)),
        ("render_html (word diff)", lambda: render_html(word_diff)),
        (
            "difflib.SequenceMatcher words (autojunk off)",
            lambda: difflib.SequenceMatcher(
                None, old_words, new_words, autojunk=False
            ).get_opcodes(),
        ),
        (
            "difflib.SequenceMatcher words (autojunk on)",
            lambda: difflib.SequenceMatcher(None, old_words, new_words).get_opcodes(),
        ),
        (
            "difflib.unified_diff lines",
            lambda: list(difflib.unified_diff(old.splitlines(), new.splitlines())),
        ),
    ]
    print(f"{'case':<46} {'median ms':>10} {'p95 ms':>10}")
    for name, fn in cases:
        # difflib without autojunk takes seconds per call: time it only a few times.
        runs = min(args.runs, 3) if "autojunk off" in name else args.runs
        median, p95 = timeit(fn, runs)
        print(f"{name:<46} {median:>10.2f} {p95:>10.2f}")
    s = sentence_diff.stats
    print(
        f"sentence diff: {s.sentences_added} added, {s.sentences_removed} deleted, "
        f"{s.sentences_changed} edited, {s.sentences_moved} moved; "
        f"word diff: +{word_diff.stats.words_added} -{word_diff.stats.words_removed} words, "
        f"similarity {word_diff.stats.similarity:.3f}"
    )


if __name__ == "__main__":
    main()
