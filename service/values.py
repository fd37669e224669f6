"""The values a client may send, declared once for every layer that checks them.

List filters are pydantic models (``QuoteListQuery``, ``ClaimListQuery``) that the HTTP layer
uses as its query-parameter models as they are: a filter is declared in one place, with its
bounds and its description, and the use case receives exactly what was validated.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field

# What PostgreSQL's bigint holds: every id, and every integer a client may send.
MIN_BIGINT, MAX_BIGINT = -(2**63), 2**63 - 1
# The largest id a client may send.
MAX_ID = MAX_BIGINT
# Page sizes of every list.
MAX_LIMIT = 500
DEFAULT_LIMIT = 50


def _iso_datetime_only(value: Any) -> Any:
    """Accept ISO 8601 strings only: numbers (or numeric strings) are not read as epochs."""
    if value is None or isinstance(value, datetime):
        return value
    if not isinstance(value, str) or _is_number(value):
        raise ValueError("expected an ISO 8601 date-time string, e.g. 2023-09-11T20:00:00Z")
    return value


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def _storable_datetime(value: datetime | None) -> datetime | None:
    """A date-time PostgreSQL and its driver can take: in UTC it must stay within years
    1..9999 (``0001-01-01T00:00:00+14:00`` is year 0 in UTC: the driver failed on it)."""
    if value is None or value.tzinfo is None:
        return value
    try:
        value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("the date-time is out of range once converted to UTC") from exc
    return value


IsoDateTime = Annotated[
    datetime, BeforeValidator(_iso_datetime_only), AfterValidator(_storable_datetime)
]

# fields shared by the list filters
OptionalId = Annotated[int | None, Field(ge=1, le=MAX_ID)]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT, description=f"Page size, 1–{MAX_LIMIT}.")]
Cursor = Annotated[
    str | None,
    Field(max_length=512, description="`next_cursor` from the previous page, unchanged."),
]
Since = Annotated[IsoDateTime | None, Field(description="Published at or after.")]
Until = Annotated[IsoDateTime | None, Field(description="Published before.")]
# a person's name or alias as a filter (speaker, claimant): matched word by word, as typed
Name = Annotated[str | None, Field(min_length=1, max_length=200, examples=["Miller"])]
# full-text search (web-search syntax)
FullText = Annotated[str | None, Field(min_length=1, max_length=500)]
Outlets = Annotated[list[str], Field(max_length=200, description="Outlet name or id; repeatable.")]

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_BIGINT",
    "MAX_ID",
    "MAX_LIMIT",
    "MIN_BIGINT",
    "Cursor",
    "FullText",
    "IsoDateTime",
    "Limit",
    "Name",
    "OptionalId",
    "Outlets",
    "Since",
    "Until",
]
