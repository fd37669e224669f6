"""Parameter types shared by the v1 routers: pagination and ids."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from service.pagination import MAX_LIMIT
from service.values import MAX_ID

LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1–{MAX_LIMIT}.")]
CursorQuery = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` from the previous page, unchanged."),
]
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalIdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]
