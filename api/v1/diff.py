"""Diffs: between two revisions of an article, or between any two stored texts."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import HTMLResponse, PlainTextResponse, Response

from api.deps import ReadConnectionDep, problem_responses
from api.responses import JsonBytes
from api.schemas.diffs import DiffRead
from service import diffs as svc
from service.values import MAX_ID

router = APIRouter(tags=["diffs"])

GranularityQuery = Annotated[
    Literal["word", "sentence", "paragraph"] | None,
    Query(
        description="Unit of change. `sentence` also classifies each changed sentence as "
        "added, deleted, edited or moved. Default: `sentence` for `format=unified` (one "
        "sentence per line reads as a diff), `word` otherwise."
    ),
]


def _granularity(
    granularity: Literal["word", "sentence", "paragraph"] | None, fmt: str
) -> Literal["word", "sentence", "paragraph"]:
    if granularity is not None:
        return granularity
    return "sentence" if fmt == "unified" else "word"


FormatQuery = Annotated[
    Literal["json", "unified", "html"],
    Query(
        description="`json` (operations with code-point offsets, stats, annotations), "
        "`unified` (text/plain, one unit per line) or `html` (a fragment with <ins>/<del>)."
    ),
]
IgnoreQuery = Annotated[
    str | None,
    Query(
        max_length=100,
        description="Comma-separated: `whitespace`, `quotes` (curly vs straight) — such "
        "differences count as no change.",
        examples=["whitespace,quotes"],
    ),
]

DIFF_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The diff, in the requested format.",
        "content": {
            "text/plain": {
                "schema": {"type": "string"},
                "example": "--- article 2 revision 1\n+++ article 4 revision 1\n",
            },
            "text/html": {
                "schema": {"type": "string"},
                "example": '<div class="article-diff">a <del>b</del><ins>c</ins></div>',
            },
        },
    },
    **problem_responses(400, 404, 422),
}


FromRevisionQuery = Annotated[
    int | None, Query(alias="from", ge=1, le=2**31 - 1, description="Old revision.")
]
ToRevisionQuery = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="New revision.")]
SideQuery = Annotated[str, Query(max_length=40, description="`id` or `id@revision`.")]


def _render(out: svc.DiffOutput) -> Response:
    # the budgets the diff hit, for every format (JSON also says it in `degraded`)
    headers = {"X-Diff-Degraded": ",".join(out.degraded)} if out.degraded else None
    if out.format == "unified":
        return PlainTextResponse(out.text or "", headers=headers)
    if out.format == "html":
        return HTMLResponse(out.text or "", headers=headers)
    return JsonBytes(out.json, headers=headers)


@router.get(
    "/articles/{article_id:id}/diff",
    response_model=DiffRead,
    summary="Diff two revisions of an article",
    description=(
        "Defaults to previous → current. `from` greater than `to` is allowed and diffs "
        "backwards. Unknown revision numbers are 404."
    ),
    responses=DIFF_RESPONSES,
)
async def diff_revisions(
    session: ReadConnectionDep,
    article_id: Annotated[int, Path(ge=1, le=MAX_ID)],
    from_: FromRevisionQuery = None,
    to: ToRevisionQuery = None,
    granularity: GranularityQuery = None,
    format: FormatQuery = "json",
    ignore: IgnoreQuery = None,
) -> Response:
    out = await svc.diff_article_revisions(
        session,
        article_id,
        from_revision=from_,
        to_revision=to,
        granularity=_granularity(granularity, format),
        ignore=svc.parse_ignore(ignore),
        fmt=format,
    )
    return _render(out)


@router.get(
    "/diff",
    response_model=DiffRead,
    summary="Diff any two stored texts",
    description=(
        "`left` and `right` are `article_id` (current revision) or `article_id@revision`, "
        "e.g. two outlets' reports of one event: `?left=2&right=4@1`."
    ),
    responses=DIFF_RESPONSES,
)
async def diff_texts(
    session: ReadConnectionDep,
    left: SideQuery,
    right: SideQuery,
    granularity: GranularityQuery = None,
    format: FormatQuery = "json",
    ignore: IgnoreQuery = None,
) -> Response:
    out = await svc.diff_stored_texts(
        session,
        left,
        right,
        granularity=_granularity(granularity, format),
        ignore=svc.parse_ignore(ignore),
        fmt=format,
    )
    return _render(out)


# The text formats as operations of their own, so that a client generated from the OpenAPI
# document gets a string back (the `format=` operations above declare JSON first, and a
# generator parses their answers as JSON).
_TEXT_FORMATS: dict[str, tuple[type[Response], str, str, str]] = {
    "unified": (
        PlainTextResponse,
        "text/plain: one unit per line, `-`/`+` marked",
        "text/plain",
        "--- article 2 revision 1\n+++ article 4 revision 1\n@@ -1,2 +1,2 @@\n-Old.\n+New.\n",
    ),
    "html": (
        HTMLResponse,
        "text/html: a fragment with <ins>/<del>",
        "text/html",
        '<div class="article-diff">a <del>b</del><ins>c</ins></div>',
    ),
}


def _add_text_routes(fmt: Literal["unified", "html"]) -> None:
    response_class, what, media_type, example = _TEXT_FORMATS[fmt]
    responses: dict[int | str, dict[str, Any]] = {
        200: {"description": f"The diff as {what}.", "content": {media_type: {"example": example}}},
        **problem_responses(400, 404, 422),
    }

    # the same use case and rendering as the format= operations (X-Diff-Degraded included)
    async def revisions_as_text(
        session: ReadConnectionDep,
        article_id: Annotated[int, Path(ge=1, le=MAX_ID, description="The article's id.")],
        from_: FromRevisionQuery = None,
        to: ToRevisionQuery = None,
        granularity: GranularityQuery = None,
        ignore: IgnoreQuery = None,
    ) -> Response:
        return await diff_revisions(session, article_id, from_, to, granularity, fmt, ignore)

    async def texts_as_text(
        session: ReadConnectionDep,
        left: SideQuery,
        right: SideQuery,
        granularity: GranularityQuery = None,
        ignore: IgnoreQuery = None,
    ) -> Response:
        return await diff_texts(session, left, right, granularity, fmt, ignore)

    router.add_api_route(
        f"/articles/{{article_id:id}}/diff/{fmt}",
        revisions_as_text,
        methods=["GET"],
        name=f"diff_revisions_{fmt}",
        response_class=response_class,
        summary=f"Diff two revisions of an article as {fmt}",
        description=f"`diff_revisions` with `format={fmt}`, as {what}.",
        responses=responses,
    )
    router.add_api_route(
        f"/diff/{fmt}",
        texts_as_text,
        methods=["GET"],
        name=f"diff_texts_{fmt}",
        response_class=response_class,
        summary=f"Diff any two stored texts as {fmt}",
        description=f"`diff_texts` with `format={fmt}`, as {what}.",
        responses=responses,
    )


_add_text_routes("unified")
_add_text_routes("html")
