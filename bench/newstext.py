"""Realistic synthetic news text for the throughput benchmarks.

An order-2 word Markov chain trained on every news text in the repository (the five seeds
and the NLP dev/check sets under tests/nlp/gold: ~300 texts, ~11k distinct words) writes
new sentences with the vocabulary, punctuation, quotation marks, names and numbers of
news reports; numbers are redrawn so no two articles share their figures. Articles are
paragraphs of one to three sentences up to a target length. Every article is different
(random walks through the chain), so nothing is a near-duplicate by construction, yet they
share phrases the way reports on similar subjects do (LSH candidates exist, few verify).

    from bench.newstext import NewsWriter
    w = NewsWriter(seed=4)
    w.article(target_chars=1700)   # {"title": ..., "body": ...}

Also the real texts themselves (:func:`real_texts`) for the annotation benchmark.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GOLD = ROOT / "tests" / "nlp" / "gold"
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"”’)]))\s+(?=[\"“A-Z0-9])|\n+")
_NUMBER = re.compile(r"\d[\d,.]*\d|\d")
_END = (".", "!", "?", '."', ".”", '?"', "?”", '!"')


@lru_cache(maxsize=1)
def real_texts() -> tuple[str, ...]:
    """The news texts shipped with the repository: seeds, then the NLP gold sets."""
    texts: list[str] = []
    manifest = json.loads((ROOT / "seeds" / "manifest.json").read_text())
    for item in manifest["articles"]:
        texts.append((ROOT / "seeds" / item["file"]).read_text(encoding="utf-8"))
    for name in ("dev_news", "check_news"):
        texts.extend(json.loads((GOLD / f"{name}.json").read_text())["texts"].values())
    claims = json.loads((GOLD / "claims_news.json").read_text())["articles"]
    texts.extend("\n\n".join(s["text"] for s in sentences) for sentences in claims.values())
    for name in ("topics_dev", "topics_check"):
        texts.extend(a["text"] for a in json.loads((GOLD / f"{name}.json").read_text())["articles"])
    return tuple(t for t in texts if t.strip())


class NewsWriter:
    """Markov-chain news articles; deterministic for a given seed."""

    def __init__(self, seed: int = 4) -> None:
        self.rng = random.Random(seed)
        self.chain: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.starts: list[tuple[str, str]] = []
        for text in real_texts():
            for sentence in _SENTENCE_END.split(text):
                words = sentence.split()
                if len(words) < 4:
                    continue
                self.starts.append((words[0], words[1]))
                padded = [*words, ""]
                for a, b, c in zip(padded, padded[1:], padded[2:], strict=False):
                    self.chain[(a, b)].append(c)
        self.vocabulary = len({w for key in self.chain for w in key})

    def _number(self, m: re.Match[str]) -> str:
        digits = len(m.group().replace(",", "").replace(".", ""))
        return str(self.rng.randint(1, 10 ** min(digits, 6)))

    def sentence(self, max_words: int = 45) -> str:
        rng = self.rng
        a, b = rng.choice(self.starts)
        words = [a, b]
        while len(words) < max_words:
            nxt = rng.choice(self.chain.get((a, b)) or [""])
            if not nxt:
                break
            words.append(nxt)
            a, b = b, nxt
            if nxt.endswith(_END) and len(words) >= 8:
                break
        text = " ".join(words)
        if not text.endswith(_END):
            text += "."
        return _NUMBER.sub(self._number, text)

    def article(self, target_chars: int = 1700) -> dict[str, str]:
        paragraphs: list[str] = []
        size = 0
        while size < target_chars:
            para = " ".join(self.sentence() for _ in range(self.rng.randint(1, 3)))
            paragraphs.append(para)
            size += len(para) + 2
        title = " ".join(self.sentence(12).rstrip('.!?"”').split()[:12])
        return {"title": title, "body": "\n\n".join(paragraphs)}
