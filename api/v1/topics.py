"""/v1/topics: the taxonomy (IPTC Media Topics + custom + user topics), browsable and
searchable; edits (admin); reclassification as a job."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from api.deps import JobsDep, ReadConnectionDep, SessionDep, problem_responses
from api.responses import JsonBytes
from api.schemas.topics import (
    SLUG_PATTERN,
    TOPIC_REF_PATTERN,
    ReclassifyAccepted,
    TopicCreate,
    TopicPage,
    TopicRead,
    TopicUpdate,
)
from service import topics as svc

router = APIRouter(prefix="/topics", tags=["topics"])

Slug = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=SLUG_PATTERN,
        description="The topic's slug.",
        examples=["arms-trade"],
    ),
]
TopicRef = Annotated[
    str,
    Path(
        min_length=1,
        max_length=100,
        pattern=TOPIC_REF_PATTERN,
        description="The topic's slug, or its IPTC Media Topics code (`medtop:15000000`).",
        examples=["medtop:15000000"],
    ),
]
ADMIN = {"x-required-scope": "admin"}


@router.get(
    "",
    response_model=TopicPage,
    summary="List, browse and search topics",
    description=(
        "The taxonomy: the IPTC Media Topics tree (~1,100 concepts with their `medtop:` "
        "codes), the custom topics shipped under IPTC parents and user-made topics, by slug, "
        "keyset-paginated (follow `next_cursor`). Browse the tree with `depth=0` (the "
        "top-level topics), then `parent=SLUG` (a topic's children; each item says how many "
        "it has); find one with `q=` (part of its name) or `code=`. Filters combine with "
        "AND. Filters that take a topic (`GET /v1/claims?topic=`, `GET /v1/articles?topic=`) "
        "include its descendants."
    ),
    responses=problem_responses(400, 404, 422),
)
async def list_topics(
    session: ReadConnectionDep, query: Annotated[svc.TopicListQuery, Query()]
) -> JsonBytes:
    page = await svc.list_topics(session, query)
    return JsonBytes({"items": page.items, "next_cursor": page.next_cursor})


@router.get(
    "/{slug:topic}",  # one path with PATCH and DELETE (`{slug}`), which take slugs only
    response_model=TopicRead,
    summary="Get one topic",
    description=(
        "A topic by slug (`/v1/topics/sport`) or IPTC code (`/v1/topics/medtop:15000000`), "
        "with its parent, code, definition, place in the tree and matching rules."
    ),
    responses=problem_responses(404, 422),
)
async def get_topic(session: ReadConnectionDep, slug: TopicRef) -> dict[str, Any]:
    return await svc.get_topic(session, slug)


@router.post(
    "",
    response_model=TopicRead,
    status_code=201,
    summary="Create a topic",
    openapi_extra=ADMIN,
    description=(
        "Adds a topic under `parent` (or as a root). New annotation runs classify under it at "
        "once; existing claims after `POST /v1/topics/{slug}:reclassify`. 409 if the slug "
        "exists. Needs an admin key."
    ),
    responses=problem_responses(401, 403, 409, 415, 422),
)
async def create_topic(
    session: SessionDep, body: TopicCreate, response: Response
) -> dict[str, Any]:
    item = await svc.create_topic(
        session,
        svc.TopicInput(
            slug=body.slug,
            name=body.name,
            parent=body.parent,
            iptc_code=body.iptc_code,
            description=body.description,
            rules=body.rules.model_dump(),
        ),
    )
    response.headers["Location"] = f"/v1/topics/{body.slug}"
    return item


@router.patch(
    "/{slug:topic}",
    response_model=TopicRead,
    summary="Edit a topic",
    openapi_extra=ADMIN,
    description=(
        "Change the name, parent, IPTC code, description or rules (the topic by slug or IPTC "
        "code, as for GET). A parent that is the topic "
        "itself or one of its descendants would make a cycle: 409. Rules changes reach "
        "existing claims through `:reclassify`. Needs an admin key."
    ),
    responses=problem_responses(401, 403, 404, 409, 415, 422),
)
async def update_topic(session: SessionDep, slug: TopicRef, change: TopicUpdate) -> dict[str, Any]:
    data = change.model_dump(exclude={"rules"})
    return await svc.update_topic(
        session,
        slug,
        svc.TopicChange(
            fields=frozenset(change.model_fields_set),
            rules=change.rules.model_dump() if change.rules is not None else None,
            **data,
        ),
    )


@router.delete(
    "/{slug:topic}",
    status_code=204,
    summary="Delete a topic",
    openapi_extra=ADMIN,
    description=(
        "Deletes the topic and its claim links. A topic with children is 409 unless "
        "`cascade=true`, which deletes the whole subtree. Needs an admin key."
    ),
    responses={204: {"description": "Deleted"}, **problem_responses(401, 403, 404, 409, 422)},
)
async def delete_topic(
    session: SessionDep,
    slug: TopicRef,
    cascade: Annotated[bool, Query(description="Delete the children too.")] = False,
) -> Response:
    await svc.delete_topic(session, slug, cascade=cascade)
    return Response(status_code=204)


@router.post(
    "/{slug:slug}:reclassify",
    response_model=ReclassifyAccepted,
    status_code=202,
    summary="Re-link claims to a topic under its current rules",
    openapi_extra=ADMIN,
    description=(
        "Queues a job that re-classifies every stored claim against this topic's rules (from "
        "the claim's text and the entity mentions in it; the pipeline is not re-run). Auto "
        "links are added, rescored or removed; curated links and claims whose topics a person "
        "set are left alone. Needs an admin key."
    ),
    responses=problem_responses(401, 403, 404, 422, 503),
)
async def reclassify_topic(session: SessionDep, jobs: JobsDep, slug: Slug) -> dict[str, Any]:
    job_id = await svc.request_reclassification(session, jobs, slug)
    return {"topic": slug, "job_id": job_id, "status": "queued"}
