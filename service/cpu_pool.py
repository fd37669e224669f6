"""CPU-heavy pure work (text diffs) runs in a pool of processes, never on the event loop.

A diff of two long unrelated texts is seconds of pure Python (diff-match-patch's clean-up,
rapidfuzz's matrices). On the event loop it froze every request of the process, `/healthz`
included, and SIGTERM with them; in a thread it would still hold the GIL. The pool's
processes are spawned on first use (``WORKERS``); the work itself is bounded by
``textkit.diffing.DiffBudget``. At most ``MAX_WAITING`` jobs wait for the pool: beyond that
the caller gets ``Unavailable`` (a 503 with Retry-After) instead of an ever longer queue.

The jobs are the module-level functions below: a process pool pickles them by name, and a
worker imports only this module and ``textkit``.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from service.errors import Unavailable
from service.lifeline import exit_with_parent
from textkit.diffing import (
    Degradation,
    DiffStats,
    Granularity,
    diff_texts,
    render_html,
    render_unified,
)

WORKERS = max(1, min(2, os.cpu_count() or 1))
MAX_WAITING = 16

T = TypeVar("T")

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_waiting = 0


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            # spawn, not fork: the parent has threads and an event loop
            _pool = ProcessPoolExecutor(
                WORKERS,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_exit_with_parent,
                initargs=(os.getpid(),),
            )
        return _pool


def _exit_with_parent(parent: int) -> None:
    """In each pool process: exit once the API process that started it is gone (a pool
    process waits on a queue whose write end every pool process holds too, so the parent's
    death never reaches it as EOF; it lived on under PID 1 after a kill -9)."""
    exit_with_parent(parent)


def _discard(pool: ProcessPoolExecutor) -> None:
    global _pool
    with _lock:
        if _pool is pool:
            _pool = None
    pool.shutdown(wait=False, cancel_futures=True)


async def run(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)`` in a pool process; the event loop only waits for it."""
    global _waiting
    if _waiting >= MAX_WAITING:
        raise Unavailable(
            "too many diffs are being computed right now; retry shortly", retry_after=2
        )
    _waiting += 1
    try:
        pool = _executor()
        return await asyncio.get_running_loop().run_in_executor(pool, fn, *args)
    except BrokenProcessPool as exc:  # a worker died (killed, out of memory): start afresh
        _discard(pool)
        raise Unavailable("the diff worker stopped; retry", retry_after=1) from exc
    finally:
        _waiting -= 1


# A JSON diff of two texts that differ only in a short middle (what is left after their
# common prefix and suffix: one revision's edits) costs well under a millisecond, less than
# the hop to a pool process (pickling both texts and the result, two thread hand-offs) and
# its latency. Such diffs run inline; every other diff goes to the pool. Measured on 1,000
# revision pairs of the bench corpus: middles up to 400 characters at most 0.7 ms; middles
# up to 3,000 characters whose word sets differ by at most 40 words (edits, not a rewrite)
# at most 0.8 ms, and 2.5 ms for 3,000 characters of shuffled sentences; unrelated texts
# differ by 150+ words and go to the pool.
INLINE_MAX_MIDDLE = 400
INLINE_MAX_EDITED_MIDDLE = 3_000
INLINE_MAX_CHANGED_WORDS = 40
INLINE_MAX_CHARS = 16_000


def common_affixes(a: str, b: str) -> tuple[int, int]:
    """The lengths of the common prefix of ``a`` and ``b`` and of their common suffix in
    what is left (binary searches over slice comparisons: C speed, O(n log n))."""
    n = min(len(a), len(b))
    lo, hi = 0, n
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[:mid] == b[:mid]:
            lo = mid
        else:
            hi = mid - 1
    prefix = lo
    lo, hi = 0, n - prefix
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if a[len(a) - mid :] == b[len(b) - mid :]:
            lo = mid
        else:
            hi = mid - 1
    return prefix, lo


def differing_middle(a: str, b: str) -> int:
    """The length of the longer of ``a`` and ``b`` once their common prefix and suffix are
    removed (0: equal texts)."""
    prefix, suffix = common_affixes(a, b)
    return max(len(a), len(b)) - prefix - suffix


def inline_diff(old: str, new: str, fmt: str) -> bool:
    """Whether :func:`diff_job` over these texts is cheap enough for the event loop."""
    if fmt != "json" or len(old) + len(new) > INLINE_MAX_CHARS:
        return False
    prefix, suffix = common_affixes(old, new)
    middle = max(len(old), len(new)) - prefix - suffix
    if middle <= INLINE_MAX_MIDDLE:
        return True
    if middle > INLINE_MAX_EDITED_MIDDLE:
        return False
    a, b = old[prefix : len(old) - suffix], new[prefix : len(new) - suffix]
    return len(set(a.split()) ^ set(b.split())) <= INLINE_MAX_CHANGED_WORDS


async def run_diff(
    old: str,
    new: str,
    granularity: Granularity,
    ignore: frozenset[str],
    fmt: Literal["json", "unified", "html"],
    from_label: str,
    to_label: str,
) -> RenderedDiff:
    """:func:`diff_job`, inline when :func:`inline_diff` says it is cheap, else in the pool."""
    args = (old, new, granularity, ignore, fmt, from_label, to_label)
    if inline_diff(old, new, fmt):
        return diff_job(*args)
    return await run(diff_job, *args)


def shutdown() -> None:
    """Stop the pool's processes (app shutdown); the next ``run`` starts a new pool."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


# --- jobs (run in a pool process) ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RenderedDiff:
    """A diff as JSON-ready data (``format="json"``) or as rendered text."""

    degraded: tuple[Degradation, ...]
    data: dict[str, Any] | None = None
    text: str | None = None


def diff_job(
    old: str,
    new: str,
    granularity: Granularity,
    ignore: frozenset[str],
    fmt: Literal["json", "unified", "html"],
    from_label: str,
    to_label: str,
) -> RenderedDiff:
    diff = diff_texts(old, new, granularity, ignore)
    if fmt == "unified":
        text = render_unified(diff, old, new, from_label=from_label, to_label=to_label)
        return RenderedDiff(diff.degraded, text=text)
    if fmt == "html":
        return RenderedDiff(diff.degraded, text=render_html(diff))
    return RenderedDiff(diff.degraded, data=diff.to_dict())


def diff_stats_job(old: str, new: str) -> DiffStats:
    """The word-diff stats a new revision stores (``change_stats``)."""
    return diff_texts(old, new, "word").stats


def diff_stats_many_job(pairs: list[tuple[str, str]]) -> list[DiffStats]:
    """:func:`diff_stats_job` for many (old, new) pairs in one pool call (bulk ingest)."""
    return [diff_texts(old, new, "word").stats for old, new in pairs]
