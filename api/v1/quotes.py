"""/v1/quotes: search and correct quotes; /v1/articles/{id}/annotations: one revision's view."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from api.deps import ReadConnectionDep, SessionDep, problem_responses
from api.responses import JsonBytes
from api.schemas.quotes import QuotePage, QuoteRead, QuoteUpdate, RevisionAnnotations
from api.v1.params import (
    CountPreference,
    CursorQuery,
    IdPath,
    LimitQuery,
    OptionalIdQuery,
    page_response,
)
from service import quotes as svc
from service.pagination import DEFAULT_LIMIT

router = APIRouter(prefix="/quotes", tags=["quotes"])
articles_router = APIRouter(prefix="/articles", tags=["articles"])


@router.get(
    "",
    response_model=QuotePage,
    summary="Search quotes",
    description=(
        "Quotes in the current revision of each article, newest article first, "
        "keyset-paginated (follow `next_cursor`). `speaker` is a name or any alias, case- "
        "and accent-insensitive, each word a prefix (as a user types): `Miller` or `Mill` "
        "finds Matthew Miller, `Watson` finds Adrienne Watson's quotes in the AP and NYT "
        "reports whatever the text called her. `speaker_text` finds sources by the words "
        "that name them (`spokesman`). These are searches: a speaker nobody answers to gives "
        "an empty list. Filters that name a resource (`outlet`, `speaker_id`, `article_id`, "
        "`story_id`) are references: one naming nothing that exists is a 404 "
        "`unknown-filter-value` problem. Filters combine with AND. `Prefer: count=…` adds "
        "a `total`."
    ),
    responses=problem_responses(400, 404, 422),
)
async def list_quotes(
    session: ReadConnectionDep,
    query: Annotated[svc.QuoteListQuery, Query()],
    count: CountPreference = None,
) -> JsonBytes:
    page = await svc.list_quotes(session, query, count)
    return page_response(page.items, page, count)


@router.get(
    "/orphans",
    response_model=QuotePage,
    summary="Curated quotes a new revision left behind",
    description=(
        "A person's correction follows its quote onto each new revision of the article, "
        "re-anchored by its text and context (`anchor_status`: `exact`, `moved`, `fuzzy`). "
        "When the new text no longer has the quote, the correction stays on its own "
        "revision marked `orphaned` and is listed here (newest first, keyset-paginated), "
        "so it can be redone on the current text with `PATCH`."
    ),
    responses=problem_responses(400, 404, 422),
)
async def list_orphaned_quotes(
    session: ReadConnectionDep,
    article_id: Annotated[
        OptionalIdQuery,
        Query(description="Only this article's orphans. An unknown article is 404."),
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    count: CountPreference = None,
) -> JsonBytes:
    page = await svc.list_orphaned_quotes(session, article_id, cursor, limit, count)
    return page_response(page.items, page, count)


@router.get(
    "/{quote_id:id}",
    response_model=QuoteRead,
    summary="Get one quote",
    description="A quote by id. Deleted (tombstoned) quotes are 404.",
    responses=problem_responses(404, 422),
)
async def get_quote(session: ReadConnectionDep, quote_id: IdPath) -> dict[str, Any]:
    return await svc.get_quote(session, quote_id)


@router.patch(
    "/{quote_id:id}",
    response_model=QuoteRead,
    summary="Correct a quote",
    description=(
        "Change the speaker (`speaker_id`, null for none; `speaker_text`), the span "
        "(`start`/`end`: code points into the quote's revision, `text` follows) or the "
        "`kind`. The quote becomes `curated`: re-annotation keeps it (machine quotes "
        "overlapping it are dropped) and new revisions carry it over, re-anchored."
    ),
    responses=problem_responses(400, 401, 403, 404, 415, 422),
)
async def update_quote(
    session: SessionDep, quote_id: IdPath, change: QuoteUpdate
) -> dict[str, Any]:
    return await svc.update_quote(
        session,
        quote_id,
        svc.QuoteChange(fields=frozenset(change.model_fields_set), **change.model_dump()),
    )


@router.delete(
    "/{quote_id:id}",
    status_code=204,
    summary="Delete a quote",
    description=(
        "Removes a wrong quote for good: it is kept as a curated tombstone so that "
        "re-annotating the article does not bring it back. A second delete is 404."
    ),
    responses={204: {"description": "Deleted"}, **problem_responses(401, 403, 404, 422)},
)
async def delete_quote(session: SessionDep, quote_id: IdPath) -> Response:
    await svc.delete_quote(session, quote_id)
    return Response(status_code=204)


@articles_router.get(
    "/{article_id:id}/annotations",
    response_model=RevisionAnnotations,
    summary="Everything annotated on one revision",
    description=(
        "For a viewer: the revision's text with its quotes, entity mentions and the entities "
        "they refer to (merges resolved). The current revision unless `revision` is given."
    ),
    responses=problem_responses(404, 422),
)
async def revision_annotations(
    session: ReadConnectionDep,
    article_id: IdPath,
    revision: Annotated[
        int | None, Query(ge=1, le=2**31 - 1, description="Revision number.")
    ] = None,
) -> JsonBytes:
    return JsonBytes(await svc.revision_annotations(session, article_id, revision))
