"""Raw pipeline throughput: ``Pipeline().annotate_many`` words/s, no database.

    python -m bench.pipeline_bench [--repeat 3] [--long-copies 8]

Times the five seed bodies (``seeds/*.txt`` through ``nlp.text.strip_dateline``) as five texts,
and one long text (the five bodies joined, ``--long-copies`` times: ~5k words per copy, so it is
cut into chunks like any long article). Each figure is the best of ``--repeat`` runs after one
warm-up, in words (whitespace-separated) per CPU second of this process (CPU time, so other
work on a shared machine disturbs it less than wall time; wall time is printed too). Used for the claims
model's throughput bound (docs/nlp.md, model card).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _seed_bodies() -> list[str]:
    from nlp.text import strip_dateline

    files = sorted((ROOT / "seeds").glob("*.txt"))
    return [strip_dateline(f.read_text(encoding="utf-8")) for f in files]


def _rate(pipeline: object, texts: list[str], repeat: int) -> tuple[float, float, float]:
    """(words per CPU second, best wall seconds, best CPU seconds) over ``repeat`` runs."""
    words = sum(len(t.split()) for t in texts)
    best = best_cpu = float("inf")
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        for _ann in pipeline.annotate_many(texts):  # type: ignore[attr-defined]
            pass
        best = min(best, time.perf_counter() - t0)
        best_cpu = min(best_cpu, time.process_time() - c0)
    return words / best_cpu, best, best_cpu


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--long-copies", type=int, default=8)
    args = ap.parse_args(argv)

    from nlp.pipeline import Pipeline

    pipeline = Pipeline()
    seeds = _seed_bodies()
    long_text = "\n\n".join(seeds * args.long_copies)
    list(pipeline.annotate_many(seeds))  # warm-up
    print(f"pipeline {pipeline.version}")
    for name, texts in (("seeds", seeds), ("long", [long_text])):
        rate, wall, cpu = _rate(pipeline, texts, args.repeat)
        words = sum(len(t.split()) for t in texts)
        print(f"{name}: {words} words, {cpu:.2f} s CPU ({wall:.2f} s wall) = {rate:,.0f} words/s")


if __name__ == "__main__":
    main()
