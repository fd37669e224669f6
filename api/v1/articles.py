"""/v1/articles: list and read articles."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Response

from api.deps import ReadSessionDep, problem_responses
from api.schemas.articles import ArticleDetail, ArticlePage, ArticleRead
from service import articles as svc
from service.pagination import DEFAULT_LIMIT, MAX_LIMIT

router = APIRouter(prefix="/articles", tags=["articles"])

ArticleId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The article's id.")]
LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description=f"Page size, 1–{MAX_LIMIT}.")]
CursorQuery = Annotated[
    str | None,
    Query(max_length=512, description="`next_cursor` from the previous page, unchanged."),
]


def _parse_prefer(prefer: str | None) -> svc.CountMode | None:
    if not prefer:
        return None
    for part in prefer.replace(";", ",").split(","):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() == "count" and value.strip().lower() in ("exact", "estimated"):
            return value.strip().lower()  # type: ignore[return-value]
    return None


def to_article_read(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "outlet": {"id": row["outlet_id"], "name": row["outlet_name"]},
        "revision": row["current_revision"],
    }


@router.get(
    "",
    response_model=ArticlePage,
    summary="List articles",
    description=(
        "Articles newest first (by publication date, or by last update with "
        "`sort=updated`), keyset-paginated: follow `next_cursor` until it is null. "
        "Send `Prefer: count=exact` for an exact `total` (slower on large stores) or "
        "`Prefer: count=estimated` for the planner's fast estimate."
    ),
    responses=problem_responses(400, 422),
)
async def list_articles(
    session: ReadSessionDep,
    response: Response,
    outlet: Annotated[
        list[str] | None,
        Query(max_length=50, description="Outlet name or id; repeat for several."),
    ] = None,
    since: Annotated[
        datetime | None, Query(description="Published at or after (ISO 8601).")
    ] = None,
    until: Annotated[datetime | None, Query(description="Published before (ISO 8601).")] = None,
    story_id: Annotated[int | None, Query(ge=1, le=2**63 - 1)] = None,
    has_revisions: Annotated[
        bool | None, Query(description="Only articles with more than one revision (or only one).")
    ] = None,
    sort: Annotated[Literal["published", "updated"], Query()] = "published",
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    prefer: Annotated[
        str | None,
        Header(description="`count=exact` or `count=estimated` to include a total."),
    ] = None,
) -> dict[str, Any]:
    count = _parse_prefer(prefer)
    page = await svc.list_articles(
        session,
        svc.ArticleListQuery(
            outlet=outlet or [],
            since=since,
            until=until,
            story_id=story_id,
            has_revisions=has_revisions,
            sort=sort,
            cursor=cursor,
            limit=limit,
            count=count,
        ),
    )
    if count:
        response.headers["Preference-Applied"] = f"count={count}"
    return {
        "items": [to_article_read(i) for i in page.items],
        "next_cursor": page.next_cursor,
        "total": page.total,
        "total_is_estimate": page.total_is_estimate if count else None,
    }


@router.get(
    "/{article_id}",
    response_model=ArticleDetail,
    summary="Get one article",
    description="The article's metadata and the verbatim text of its current revision.",
    responses=problem_responses(404, 422),
)
async def get_article(session: ReadSessionDep, article_id: ArticleId) -> dict[str, Any]:
    return to_article_read(await svc.get_article(session, article_id))


__all__ = ["ArticleRead", "router"]
