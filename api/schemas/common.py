"""Schemas shared by every resource."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from service.values import MAX_ID, IsoDateTime

# declared once in service/values.py (the list filters there use them too)
JsonDateTime = IsoDateTime
# The totals of every list page (``Prefer: count=exact|estimated``, docs/api.md)
Total = Annotated[
    int | None,
    Field(
        description="Only with `Prefer: count=exact` (exact) or `count=estimated` (exact up to "
        "1,000; past that the planner's estimate, see `total_is_estimate`); else null.",
    ),
]
TotalIsEstimate = Annotated[
    bool | None,
    Field(
        description="With a `Prefer: count=…`: true when `total` is an estimate (only "
        "`count=estimated` past 1,000 rows), false when it is exact; else null.",
    ),
]
# An id in a request body: a JSON integer (never a string or a boolean), a positive bigint.
BodyId = Annotated[int, Field(strict=True, ge=1, le=MAX_ID)]


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
                "type": "/problems/article-not-found",
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
    workers: int | None = Field(
        default=None, examples=[1], description="Annotation workers with a recent heartbeat."
    )
