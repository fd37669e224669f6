"""/v1/articles: list, read and write articles and their revisions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Path, Query, Response

from api.deps import (
    JobsDep,
    ReadConnectionDep,
    SessionDep,
    SettingsDep,
    problem_responses,
)
from api.errors import status_for
from api.problems import problem_type
from api.responses import JsonBytes
from api.schemas.articles import (
    AnnotationQueued,
    ArticleBatch,
    ArticleCreate,
    ArticleDetail,
    ArticlePage,
    ArticleRead,
    ArticleRevise,
    ArticleWritten,
    BatchResult,
    RelatedList,
    RevisionDetail,
    RevisionPage,
)
from api.schemas.common import JsonDateTime
from api.v1.params import CountPreference, CursorQuery, LimitQuery, page_response
from service import annotation as annotation_svc
from service import articles as svc
from service import stories as story_svc
from service.errors import DomainError
from service.pagination import DEFAULT_LIMIT
from service.values import MAX_ID

router = APIRouter(prefix="/articles", tags=["articles"])

ArticleId = Annotated[int, Path(ge=1, le=MAX_ID, description="The article's id.")]


def to_article_read(row: dict[str, Any]) -> dict[str, Any]:
    """The ``ArticleRead`` fields, exactly (the list returns it without re-validation)."""
    return {
        "id": row["id"],
        "outlet": {"id": row["outlet_id"], "name": row["outlet_name"]},
        "url": row["url"],
        "external_id": row["external_id"],
        "title": row["title"],
        "byline": row["byline"],
        "published_at": row["published_at"],
        "language": row["language"],
        "story_id": row["story_id"],
        "revision": row["current_revision"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


@router.get(
    "",
    response_model=ArticlePage,
    summary="List articles",
    description=(
        "Articles newest first (by publication date, or by last update with "
        "`sort=updated`), keyset-paginated: follow `next_cursor` until it is null. "
        "Send `Prefer: count=exact` or `count=estimated` for a `total` (see the header). "
        "With `q`, the list is the full-text matches, most relevant first. With `topic`, only "
        "articles about that topic (descendants included, e.g. `topic=sport` returns soccer "
        "matches); each item carries its ranked `topics`. An `outlet`, `story_id` or `topic` "
        "naming nothing that exists is a 404 `unknown-filter-value` problem."
    ),
    responses=problem_responses(400, 404, 422),
)
async def list_articles(
    session: ReadConnectionDep,
    outlet: Annotated[
        list[str] | None,
        Query(
            max_length=50,
            description="Outlet name or id; repeat for several. An unknown one is 404.",
        ),
    ] = None,
    since: Annotated[
        JsonDateTime | None, Query(description="Published at or after (ISO 8601).")
    ] = None,
    until: Annotated[JsonDateTime | None, Query(description="Published before (ISO 8601).")] = None,
    story_id: Annotated[
        int | None,
        Query(
            ge=1, le=MAX_ID, description="Only the articles of this story. An unknown one is 404."
        ),
    ] = None,
    has_revisions: Annotated[
        bool | None, Query(description="Only articles with more than one revision (or only one).")
    ] = None,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=500,
            description="Full-text search over title and body of the current revision "
            '(web-search syntax: words, "a phrase", `or`, `-word`); results are then '
            "ranked by relevance and `sort` is ignored.",
        ),
    ] = None,
    topic: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=100,
            description="Topic slug or IPTC code (`medtop:…`): articles whose current "
            "revision was annotated with this topic or one of its descendants. An unknown "
            "topic is 404, as for `GET /v1/claims?topic=`.",
            examples=["sport"],
        ),
    ] = None,
    sort: Annotated[
        Literal["published", "updated"],
        Query(description="`published` (newest publication first) or `updated` (last change)."),
    ] = "published",
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    count: CountPreference = None,
) -> JsonBytes:
    page = await svc.list_articles(
        session,
        svc.ArticleListQuery(
            outlet=outlet or [],
            since=since,
            until=until,
            story_id=story_id,
            has_revisions=has_revisions,
            q=q,
            topic=topic,
            sort=sort,
            cursor=cursor,
            limit=limit,
            count=count,
        ),
    )
    return page_response(page.items, page, count)


def _written(outcome: svc.WriteOutcome) -> dict[str, Any]:
    return {**to_article_read(outcome.article), "result": outcome.status, "etag": outcome.etag}


def _input(item: ArticleCreate) -> svc.ArticleInput:
    return svc.build_input(**item.model_dump())


@router.post(
    "",
    response_model=ArticleWritten,
    status_code=201,
    summary="Ingest an article",
    description=(
        "Stores a new article (201, `Location` and `ETag` headers), or the next revision "
        "of an existing one with the same outlet and normalised URL or external id (200, "
        "`result: revised`). A body identical to the current revision (same sha256 after "
        "normalising line endings) stores nothing: 200 with `result: unchanged`. Send "
        "plain text in `body` or a whole page in `html` (main text is extracted; a page "
        "without article text is 422). Bodies over the size limit are 413; text that is "
        "not valid UTF-8 is 400."
    ),
    responses={
        200: {"model": ArticleWritten, "description": "New revision, or unchanged"},
        **problem_responses(400, 413, 415, 422),
    },
)
async def create_article(
    session: SessionDep,
    settings: SettingsDep,
    jobs: JobsDep,
    item: ArticleCreate,
    response: Response,
) -> dict[str, Any]:
    data = _input(item)
    outcome = await svc.create_article(session, data, max_bytes=settings.max_body_bytes, jobs=jobs)
    response.headers["ETag"] = outcome.etag
    if outcome.result.created:
        response.headers["Location"] = f"/v1/articles/{outcome.result.article_id}"
    else:
        response.status_code = 200
    return _written(outcome)


@router.post(
    ":batch",
    response_model=BatchResult,
    summary="Ingest up to 1,000 articles",
    description=(
        "Each item is identified, compared and numbered exactly like `POST /v1/articles` "
        "and is stored or rejected on its own: the response lists, per item in request "
        "order, `created`/`revised`/`unchanged` with the article id, revision and ETag, "
        "or `error` with the problem it would have had alone (nothing of it is stored). "
        "The good items are written together in one transaction. Story grouping is done "
        "afterwards by a background job (an article's `story_id` is set within seconds "
        "when a worker runs). A request that is not a valid batch at all (bad JSON, a "
        "malformed item) is rejected as a whole."
    ),
    responses=problem_responses(400, 413, 415, 422),
)
async def ingest_batch(
    session: SessionDep, settings: SettingsDep, jobs: JobsDep, batch: ArticleBatch
) -> dict[str, Any]:
    prepared: list[svc.ArticleInput | DomainError] = []
    for item in batch.items:
        try:
            prepared.append(_input(item))
        except DomainError as exc:
            prepared.append(exc)
    results = await svc.ingest_batch(
        session, prepared, max_bytes=settings.max_body_bytes, jobs=jobs
    )
    out: list[dict[str, Any]] = []
    counts = {"created": 0, "revised": 0, "unchanged": 0, "failed": 0}
    for r in results:
        if r.outcome is not None:
            counts[r.outcome.status] += 1
            out.append(
                {
                    "index": r.index,
                    "result": r.outcome.status,
                    "article_id": r.outcome.article_id,
                    "revision": r.outcome.revision,
                    "etag": r.outcome.etag,
                }
            )
        else:
            assert r.error is not None
            counts["failed"] += 1
            out.append(
                {
                    "index": r.index,
                    "result": "error",
                    "error": {
                        "status": status_for(r.error),
                        "title": r.error.title,
                        "detail": r.error.detail,
                        "type": problem_type(type(r.error).__name__),
                    },
                }
            )
    return {"results": out, "summary": counts}


@router.put(
    "/{article_id:id}",
    response_model=ArticleWritten,
    summary="Store a new revision (conditional)",
    description=(
        "Stores the text as the article's next revision, only if `If-Match` carries the "
        "article's current ETag (from `GET`, or the last write). A stale ETag is 412 (some "
        "other write got there first: re-read and retry); no `If-Match` is 428. An "
        "unchanged body stores nothing (`result: unchanged`)."
    ),
    responses=problem_responses(400, 404, 412, 413, 415, 422, 428),
)
async def replace_article(
    session: SessionDep,
    settings: SettingsDep,
    article_id: ArticleId,
    jobs: JobsDep,
    change: ArticleRevise,
    response: Response,
    if_match: Annotated[
        str | None,
        Header(description='The current ETag, e.g. `"12-3"`; `*` matches any revision.'),
    ] = None,
) -> dict[str, Any]:
    outcome = await svc.replace_article_text(
        session,
        article_id,
        if_match,
        svc.RevisionInput(**change.model_dump()),
        max_bytes=settings.max_body_bytes,
        jobs=jobs,
    )
    response.headers["ETag"] = outcome.etag
    return _written(outcome)


@router.get(
    "/{article_id:id}/revisions",
    response_model=RevisionPage,
    summary="List an article's revisions",
    description=(
        "Oldest first: number, sha256, size and, from revision 2, word-diff statistics "
        "against the previous revision. Keyset-paginated."
    ),
    responses=problem_responses(400, 404, 422),
)
async def list_revisions(
    session: ReadConnectionDep,
    article_id: ArticleId,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    page = await svc.list_revisions(session, article_id, cursor=cursor, limit=limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get(
    "/{article_id:id}/revisions/{number:id}",
    response_model=RevisionDetail,
    summary="Get one revision",
    description="The revision's verbatim text and metadata (and the raw HTML if it came as HTML).",
    responses=problem_responses(404, 422),
)
async def get_revision(
    session: ReadConnectionDep,
    article_id: ArticleId,
    number: Annotated[int, Path(ge=1, le=2**31 - 1, description="Revision number.")],
) -> dict[str, Any]:
    return await svc.get_revision(session, article_id, number)


@router.get(
    "/{article_id:id}/related",
    response_model=RelatedList,
    summary="Related articles",
    description=(
        "Other articles about the same event (published within two weeks), most related "
        "first, with a score. Rewrites of a report rank high but are not versions of it "
        "(`same_story` false, low `version_similarity`)."
    ),
    responses=problem_responses(404, 422),
)
async def related_articles(
    session: ReadConnectionDep,
    article_id: ArticleId,
    limit: Annotated[int, Query(ge=1, le=100, description="How many, 1–100.")] = 10,
) -> dict[str, Any]:
    items = await story_svc.related_articles(session, article_id, limit=limit)
    return {"items": [{**i, "article": to_article_read(i["article"])} for i in items]}


@router.get(
    "/{article_id:id}",
    response_model=ArticleDetail,
    summary="Get one article",
    description=(
        "The article's metadata and the verbatim text of its current revision; the `ETag` "
        "header is what `PUT` expects in `If-Match`."
    ),
    responses=problem_responses(404, 422),
)
async def get_article(
    session: ReadConnectionDep, article_id: ArticleId, response: Response
) -> dict[str, Any]:
    article = await svc.get_article(session, article_id)
    response.headers["ETag"] = svc.etag_for(article_id, int(article["current_revision"]))
    state = (await annotation_svc.statuses_for_articles(session, [article_id])).get(article_id)
    out = {
        **to_article_read(article),
        "body": article["body"],
        "sha256": article["sha256"],
        "topics": article["topics"],
    }
    if state is not None:
        out["annotation_status"] = state.status
        out["annotation"] = {
            "status": state.status,
            "pipeline_version": state.pipeline_version,
            "error": state.error,
            "limits_applied": state.limits_applied,
            "queued_at": state.queued_at,
            "finished_at": state.finished_at,
        }
    return out


@router.post(
    "/{article_id:id}/annotate",
    response_model=AnnotationQueued,
    status_code=202,
    summary="Re-run the annotation pipeline",
    description=(
        "Queues a new annotation run for the article's current revision and returns at "
        "once (202). The run replaces the revision's machine annotations atomically when it "
        "finishes; curated quotes are kept. Poll `GET /v1/articles/{id}` for "
        "`annotation_status`."
    ),
    responses=problem_responses(404, 422),
)
async def annotate_article(
    session: SessionDep, jobs: JobsDep, article_id: ArticleId
) -> dict[str, Any]:
    queued = await annotation_svc.reannotate_article(session, article_id, jobs)
    return {
        "article_id": article_id,
        "revision": queued.revision,
        "run_id": queued.run_id,
        "status": "pending",
    }


__all__ = ["ArticleRead", "router"]
