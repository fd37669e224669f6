"""/v1/outlets: who publishes the stored articles."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import ReadConnectionDep, problem_responses
from api.responses import JsonBytes
from api.v1.params import CursorQuery, LimitQuery
from service import outlets as svc
from service.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/outlets", tags=["articles"])


class OutletRead(BaseModel):
    id: int = Field(description="The outlet's id (the `outlet` filters take it, or the name).")
    name: str
    article_count: int = Field(description="How many articles of this outlet are stored.")


class OutletPage(BaseModel):
    items: list[OutletRead]
    next_cursor: str | None = Field(description="Opaque; null on the last page.")


@router.get(
    "",
    response_model=OutletPage,
    summary="List outlets",
    description=(
        "Every outlet with stored articles, by name, with its article count; the same "
        "`{id, name}` object appears as `outlet` on articles, quotes and claims. "
        "Keyset-paginated."
    ),
    responses=problem_responses(400, 422),
)
async def list_outlets(
    session: ReadConnectionDep, limit: LimitQuery = DEFAULT_LIMIT, cursor: CursorQuery = None
) -> JsonBytes:
    page = await svc.list_outlets(session, cursor=cursor, limit=limit)
    return JsonBytes({"items": page.items, "next_cursor": page.next_cursor})
