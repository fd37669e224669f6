"""Revision diffs that differ in a short middle run inline; every other diff in the pool,
and both give the same diff."""

from __future__ import annotations

import random

from service import cpu_pool

BASE = (
    "The council approved the budget on Tuesday after a long debate. "
    "Opposition members said the cuts to libraries went too far. "
    "The mayor, Ana Ruiz, said the city had no choice. "
) * 8


def _brute_middle(a: str, b: str) -> int:
    n, p = min(len(a), len(b)), 0
    while p < n and a[p] == b[p]:
        p += 1
    s = 0
    while s < n - p and a[len(a) - 1 - s] == b[len(b) - 1 - s]:
        s += 1
    return max(len(a), len(b)) - p - s


def test_differing_middle_is_what_prefix_and_suffix_leave() -> None:
    rng = random.Random(5)
    for _ in range(3000):
        a = "".join(rng.choice("ab ") for _ in range(rng.randint(0, 14)))
        b = "".join(rng.choice("ab ") for _ in range(rng.randint(0, 14)))
        assert cpu_pool.differing_middle(a, b) == _brute_middle(a, b), (a, b)
    assert cpu_pool.differing_middle(BASE, BASE) == 0


async def test_an_edit_is_diffed_inline_and_equals_the_pool_result() -> None:
    edited = BASE.replace("went too far", "went much too far", 1)
    assert cpu_pool.inline_diff(BASE, edited, "json")
    cpu_pool.shutdown()
    inline = await cpu_pool.run_diff(BASE, edited, "word", frozenset(), "json", "a", "b")
    assert cpu_pool._pool is None  # no pool process was needed
    pooled = await cpu_pool.run(
        cpu_pool.diff_job, BASE, edited, "word", frozenset(), "json", "a", "b"
    )
    assert inline == pooled and inline.data is not None
    assert [o["op"] for o in inline.data["ops"]] == ["equal", "insert", "equal"]
    cpu_pool.shutdown()


def test_edits_far_apart_run_inline_too() -> None:
    edited = BASE.replace("Tuesday", "Monday", 1)
    edited = edited[:-60] + edited[-60:].replace("choice", "other choice")
    assert cpu_pool.differing_middle(BASE, edited) > cpu_pool.INLINE_MAX_MIDDLE
    assert cpu_pool.inline_diff(BASE, edited, "json")


def test_rewrites_long_texts_and_rendered_formats_go_to_the_pool() -> None:
    words = " ".join(f"word{i}" for i in range(120))
    rewritten = BASE[: len(BASE) // 2] + words + BASE[len(BASE) // 2 + 10 :]
    assert not cpu_pool.inline_diff(BASE, rewritten, "json")  # 120 new words in the middle
    edited = BASE.replace("Tuesday", "Monday", 1)
    assert not cpu_pool.inline_diff(BASE, edited, "unified")
    long = BASE * 20
    assert not cpu_pool.inline_diff(long, long.replace("Tuesday", "Monday", 1), "json")
