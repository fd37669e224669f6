"""Multi-row statements cut to the size PostgreSQL's protocol accepts.

A Bind message counts its parameters in 16 bits, so one statement carries at most 32,767
bound values (asyncpg refuses more before sending). A multi-row ``INSERT … VALUES`` binds
one value per column per row: 29,649 entities × 4 columns was one statement of 118,596
parameters and could never run. Every multi-row statement built from a list of unbounded
length goes through :func:`batches`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")

MAX_BIND_PARAMS = 32_767


def batches(
    rows: Sequence[T], params_per_row: int, max_params: int = MAX_BIND_PARAMS
) -> Iterator[Sequence[T]]:
    """``rows`` in consecutive slices whose statements stay within ``max_params``."""
    if params_per_row < 1:
        raise ValueError("params_per_row must be at least 1")
    size = max(1, max_params // params_per_row)
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
