"""/v1/topics: the taxonomy as a tree; edits (admin); reclassification as a job."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from api.deps import JobsDep, ReadSessionDep, SessionDep, problem_responses
from api.schemas.topics import (
    SLUG_PATTERN,
    ReclassifyAccepted,
    TopicCreate,
    TopicRead,
    TopicTree,
    TopicUpdate,
)
from service import topics as svc

router = APIRouter(prefix="/topics", tags=["topics"])

Slug = Annotated[str, Path(min_length=1, max_length=100, pattern=SLUG_PATTERN)]
ADMIN = {"x-required-scope": "admin"}


@router.get(
    "",
    response_model=TopicTree,
    summary="The topic taxonomy",
    description=(
        "Every topic as a tree: root topics with their `children`, each with its slug, name, "
        "IPTC Media Topics code (where one fits), description and matching rules. Filters "
        "that take a topic (`GET /v1/claims?topic=`) include its descendants."
    ),
    responses=problem_responses(400),
)
async def list_topics(session: ReadSessionDep) -> dict[str, Any]:
    return {"items": await svc.topic_tree(session)}


@router.get(
    "/{slug:slug}",
    response_model=TopicRead,
    summary="Get one topic",
    description="A topic by slug with its parent, IPTC code, description and matching rules.",
    responses=problem_responses(404, 422),
)
async def get_topic(session: ReadSessionDep, slug: Slug) -> dict[str, Any]:
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
    "/{slug:slug}",
    response_model=TopicRead,
    summary="Edit a topic",
    openapi_extra=ADMIN,
    description=(
        "Change the name, parent, IPTC code, description or rules. A parent that is the topic "
        "itself or one of its descendants would make a cycle: 409. Rules changes reach "
        "existing claims through `:reclassify`. Needs an admin key."
    ),
    responses=problem_responses(401, 403, 404, 409, 415, 422),
)
async def update_topic(session: SessionDep, slug: Slug, change: TopicUpdate) -> dict[str, Any]:
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
    "/{slug:slug}",
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
    slug: Slug,
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
