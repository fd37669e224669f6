"""Schemas shared by every resource."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

# The largest id a client may send: ids are PostgreSQL bigints.
MAX_ID = 2**63 - 1
# An id in a request body: a JSON integer (never a string or a boolean), a positive bigint.
BodyId = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]


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


JsonDateTime = Annotated[
    datetime, BeforeValidator(_iso_datetime_only), AfterValidator(_storable_datetime)
]


class ProblemField(BaseModel):
    in_: str = Field(alias="in", description="Where the problem is: query, path, body, header.")
    field: str = Field(description="The offending parameter or dotted body path.")
    message: str
    type: str | None = None
    pointer: str | None = Field(default=None, description="JSON pointer into the body.")


class Problem(BaseModel):
    """An RFC 9457 problem: every error response has this shape."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "example": {
                "type": "/problems/ArticleNotFound",
                "title": "Article not found",
                "status": 404,
                "detail": "no article with id 42",
                "instance": "/v1/articles/42",
            }
        },
    )

    type: str = Field(description="A URI reference naming the problem type.")
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemField] | None = Field(
        default=None, description="For validation errors: each offending field and why."
    )


class Health(BaseModel):
    status: str = Field(examples=["ok"])
    database: str | None = Field(default=None, examples=["ok"])
    queue: str | None = Field(default=None, examples=["ok"])
