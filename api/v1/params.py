"""Parameter types shared by the v1 routers: pagination, ids and the count preference; and
the one shape of a list's answer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Header, Path, Query

from api.responses import JsonBytes
from service.pagination import EXACT_UP_TO, MAX_LIMIT, CountMode, Page
from service.values import MAX_ID

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1–{MAX_LIMIT}.")]
CursorQuery = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` from the previous page, unchanged."),
]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]

COUNT_DESCRIPTION = (
    "RFC 7240 preference for a `total`: `count=exact` (a `count(*)`; slower on large "
    f"results) or `count=estimated` (exact up to {EXACT_UP_TO:,} rows; past that PostgreSQL's "
    f"planner estimate, never below {EXACT_UP_TO + 1:,}, with `total_is_estimate: true`; "
    "measured within 0.5×–2× of the exact count, docs/api.md). Answered with "
    "`Preference-Applied`. Without it `total` is null."
)


async def count_preference(
    prefer: Annotated[str | None, Header(description=COUNT_DESCRIPTION)] = None,
) -> CountMode | None:
    """The ``count`` preference of a ``Prefer`` header, if it is one this API honours.

    ``async``: FastAPI runs a plain ``def`` dependency in its thread pool, a thread
    hand-off (and anyio's failed ``import sniffio``) on every list request for a few
    string operations."""
    if not prefer:
        return None
    for part in prefer.replace(";", ",").split(","):
        key, _, value = part.strip().partition("=")
        mode = value.strip().strip('"').lower()
        if key.strip().lower() == "count" and mode in ("exact", "estimated"):
            return "exact" if mode == "exact" else "estimated"
    return None


CountPreference = Annotated[CountMode | None, Depends(count_preference)]


def page_response(items: list[Any], page: Page[Any], count: CountMode | None) -> JsonBytes:
    """A list's answer, the same on every list: ``items``, ``next_cursor``, and with a
    ``Prefer: count=…`` the ``total``, ``total_is_estimate`` and ``Preference-Applied``."""
    return JsonBytes(
        {
            "items": items,
            "next_cursor": page.next_cursor,
            "total": page.total if count else None,
            "total_is_estimate": page.total_is_estimate if count else None,
        },
        headers={"Preference-Applied": f"count={count}"} if count else None,
    )
