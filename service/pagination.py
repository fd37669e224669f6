"""Opaque keyset cursors: base64url of the last row's sort key, versioned and type-checked."""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Generic, Literal, TypeVar

import orjson
from sqlalchemy import Select

from db.engine import Reader
from db.repositories import shaped, totals
from service.errors import InvalidCursor
from service.values import DEFAULT_LIMIT, MAX_BIGINT, MAX_LIMIT, MIN_BIGINT

__all__ = [
    "DEFAULT_LIMIT",
    "EXACT_UP_TO",
    "MAX_LIMIT",
    "CountMode",
    "Page",
    "decode_cursor",
    "encode_cursor",
    "listing_kind",
    "listing_total",
]

T = TypeVar("T")

# the values a cursor may carry: what PostgreSQL's bigint holds, no NUL in text

CountMode = Literal["exact", "estimated"]


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None
    total: int | None = None
    total_is_estimate: bool = False

    @classmethod
    def empty(cls, count: CountMode | None = None) -> Page[T]:
        """No rows: with a ``Prefer: count=…``, a total of 0 (exact)."""
        return cls(items=[], next_cursor=None, total=0 if count else None)


# ``count=estimated`` counts exactly up to this many rows: a planner estimate is only used
# for listings larger than that (it was 100 for 40 rows before this rule)
EXACT_UP_TO = 1000


async def listing_total(
    session: Reader,
    mode: CountMode | None,
    listing: Select[Any] | shaped.Listing,
    *,
    aggregated: bool = False,
    counted: int | None = None,
) -> tuple[int | None, bool]:
    """``(total, is_estimate)`` of a listing for a ``Prefer: count=…``; ``(None, False)``
    without one. The rule, the same for every list (docs/api.md):

    * ``exact``: ``count(*)`` of the listing.
    * ``estimated``: the listing is counted exactly up to :data:`EXACT_UP_TO` rows (a cost
      bounded by that many rows); only past it is the total PostgreSQL's planner estimate,
      raised to at least ``EXACT_UP_TO + 1`` since more rows are known to exist.
    * ``aggregated`` listings (ranked by counts over all their rows: speakers, clusters)
      read every row for their first page anyway, and the planner cannot estimate groups
      well, so their total is always exact.

    ``counted``: the count already read with the page (:func:`count_up_to`), so that only an
    estimate past ``EXACT_UP_TO`` costs a statement of its own.
    """
    if mode is None:
        return None, False
    if mode == "exact" or aggregated:
        if counted is None:
            counted = await totals.count_rows(session, listing)
        return counted, False
    if counted is None:
        counted = await totals.count_rows(session, listing, at_most=EXACT_UP_TO)
    if counted <= EXACT_UP_TO:
        return counted, False
    estimate = await totals.planner_rows(session, listing)
    return max(estimate, EXACT_UP_TO + 1), True


def count_up_to(mode: CountMode | None) -> Literal["all"] | int | None:
    """What a page statement that carries its listing's count must count for ``mode``
    (:func:`listing_total`'s rule): every row, up to ``EXACT_UP_TO + 1``, or nothing."""
    if mode is None:
        return None
    return "all" if mode == "exact" else EXACT_UP_TO


# the parameters of a listing that do not change which rows it walks
_NOT_FILTERS = frozenset({"cursor", "limit", "count"})


def listing_kind(name: str, filters: Mapping[str, Any]) -> str:
    """The cursor ``kind`` of one listing *with its filters*: a cursor made for
    ``speaker=Miller`` is refused (400) when sent with ``speaker=Watson``, as one made for
    another route or sort order already is. ``limit`` may change between pages."""
    relevant = {k: v for k, v in filters.items() if k not in _NOT_FILTERS}
    digest = hashlib.sha256(orjson.dumps(relevant, option=orjson.OPT_SORT_KEYS, default=str))
    return f"{name}:{digest.hexdigest()[:12]}"


def encode_cursor(kind: str, values: tuple[Any, ...]) -> str:
    payload = [kind, *[v.isoformat() if isinstance(v, datetime) else v for v in values]]
    return base64.urlsafe_b64encode(orjson.dumps(payload)).decode().rstrip("=")


def decode_cursor(token: str, kind: str, types: tuple[type, ...]) -> tuple[Any, ...]:
    """Decode a cursor made by :func:`encode_cursor` for the same ``kind`` (sort order)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = orjson.loads(raw)
    except (binascii.Error, ValueError, orjson.JSONDecodeError) as exc:
        raise InvalidCursor(
            "cursor is not one this API issued; pass next_cursor from a previous page unchanged",
            parameter="cursor",
        ) from exc
    if not isinstance(payload, list) or len(payload) != len(types) + 1 or payload[0] != kind:
        raise InvalidCursor(
            "cursor does not belong to this listing, its filters or its sort order; pass it "
            "with the same parameters as the page it came from, or restart without a cursor",
            parameter="cursor",
        )
    out: list[Any] = []
    for value, typ in zip(payload[1:], types, strict=True):
        try:
            out.append(_cursor_value(value, typ))
        except (TypeError, ValueError, OverflowError) as exc:
            raise InvalidCursor("cursor is corrupted", parameter="cursor") from exc
    return tuple(out)


def _cursor_value(value: Any, typ: type) -> Any:
    """One sort-key value, checked so that nothing the database driver would refuse (an
    int past bigint, a date that leaves year 1..9999 in UTC, a NUL) reaches it."""
    if typ is datetime and isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError("a cursor's date-time has a UTC offset")
        return parsed.astimezone(UTC)  # OverflowError past year 1..9999
    if typ is int and isinstance(value, int) and not isinstance(value, bool):
        if not MIN_BIGINT <= value <= MAX_BIGINT:
            raise ValueError("out of range")
        return value
    if typ is float and isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
        if not math.isfinite(number):
            raise ValueError("not finite")
        return number
    if typ is str and isinstance(value, str) and "\x00" not in value:
        value.encode("utf-8")  # a lone surrogate raises UnicodeEncodeError (a ValueError)
        return value
    raise TypeError(typ)
