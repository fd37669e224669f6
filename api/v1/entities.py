"""/v1/entities and /v1/speakers: who appears and who is quoted; merges and aliases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import StringConstraints

from api.deps import ReadConnectionDep, SessionDep, problem_responses
from api.responses import JsonBytes
from api.schemas.entities import (
    AliasCreate,
    EntityDetail,
    EntityMerge,
    EntityPage,
    SpeakerPage,
)
from api.v1.params import CountPreference, CursorQuery, LimitQuery, page_response
from service import entities as svc
from service.pagination import DEFAULT_LIMIT
from service.values import MAX_ID

# a spaCy label (PERSON, ORG, GPE…): `type=false` is a 422, not an empty page
EntityType = Annotated[str, StringConstraints(pattern=r"^[A-Z][A-Z_]*$", max_length=40)]

router = APIRouter(tags=["entities"])

EntityId = Annotated[int, Path(ge=1, le=MAX_ID, description="The entity's id.")]
NameQuery = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=200,
        description="A name or alias, case- and accent-insensitive, matched word by word.",
        examples=["Putin"],
    ),
]


@router.get(
    "/speakers",
    response_model=SpeakerPage,
    summary="List quoted entities",
    description=(
        "Entities that are quoted in current revisions, with their quote counts (merged "
        "entities counted with their survivor), most-quoted first. `q` filters by name (a "
        "search: no match is an empty list). With `Prefer: count=…` the `total` is always "
        "exact (ranking by counts reads every quote anyway)."
    ),
    responses=problem_responses(400, 422),
)
async def list_speakers(
    session: ReadConnectionDep,
    q: NameQuery = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    count: CountPreference = None,
) -> JsonBytes:
    page = await svc.list_speakers(session, q, cursor=cursor, limit=limit, count=count)
    return page_response(page.items, page, count)


@router.get(
    "/entities",
    response_model=EntityPage,
    summary="Search entities",
    description=(
        "Entities (merged ones excluded: they answer through their survivor) by name, "
        "alphabetically. `type` is a spaCy label (PERSON, ORG, GPE…), repeatable. `q` and "
        "`type` select, they name no resource: no match is an empty list. `Prefer: count=…` "
        "adds a `total`."
    ),
    responses=problem_responses(400, 422),
)
async def list_entities(
    session: ReadConnectionDep,
    q: NameQuery = None,
    type: Annotated[
        list[EntityType] | None,
        Query(
            max_length=40,
            description="Entity type(s): spaCy labels, upper case.",
            examples=["PERSON"],
        ),
    ] = None,
    limit: LimitQuery = DEFAULT_LIMIT,
    cursor: CursorQuery = None,
    count: CountPreference = None,
) -> JsonBytes:
    page = await svc.list_entities(session, q, type or [], cursor=cursor, limit=limit, count=count)
    return page_response(page.items, page, count)


@router.get(
    "/entities/{entity_id:id}",
    response_model=EntityDetail,
    summary="Get one entity",
    description=(
        "Aliases, mention and quote counts (current revisions) and the articles it appears "
        "in, including everything merged into it."
    ),
    responses=problem_responses(404, 422),
)
async def get_entity(session: ReadConnectionDep, entity_id: EntityId) -> dict[str, Any]:
    return await svc.get_entity(session, entity_id)


@router.post(
    "/entities/{entity_id:id}/merge",
    response_model=EntityDetail,
    summary="Merge an entity into another",
    openapi_extra={"x-required-scope": "admin"},
    description=(
        "The entity becomes an alias of `into` everywhere (quotes, mentions, speaker "
        "search) without moving any row, so `unmerge` undoes it exactly. Merging into an "
        "entity that was itself merged goes to its survivor. Returns the survivor. Needs "
        "an admin key."
    ),
    responses=problem_responses(401, 403, 404, 409, 415, 422),
)
async def merge_entity(
    session: SessionDep, entity_id: EntityId, merge: EntityMerge
) -> dict[str, Any]:
    return await svc.merge_entity(session, entity_id, merge.into)


@router.post(
    "/entities/{entity_id:id}/unmerge",
    response_model=EntityDetail,
    summary="Undo a merge",
    openapi_extra={"x-required-scope": "admin"},
    description="The entity stands alone again. 409 if it is not merged. Needs an admin key.",
    responses=problem_responses(401, 403, 404, 409, 422),
)
async def unmerge_entity(session: SessionDep, entity_id: EntityId) -> dict[str, Any]:
    return await svc.unmerge_entity(session, entity_id)


@router.post(
    "/entities/{entity_id:id}/aliases",
    response_model=EntityDetail,
    status_code=201,
    summary="Add an alias",
    description="A curated alias; the speaker filter finds the entity by it at once.",
    responses=problem_responses(401, 403, 404, 415, 422),
)
async def add_alias(session: SessionDep, entity_id: EntityId, alias: AliasCreate) -> dict[str, Any]:
    return await svc.add_alias(session, entity_id, alias.alias)


@router.delete(
    "/entities/{entity_id:id}/aliases/{alias_id}",
    response_model=EntityDetail,
    summary="Remove an alias",
    description="Removes one alias of the entity (or of an entity merged into it).",
    responses=problem_responses(401, 403, 404, 422),
)
async def delete_alias(
    session: SessionDep,
    entity_id: EntityId,
    alias_id: Annotated[int, Path(ge=1, le=MAX_ID)],
) -> dict[str, Any]:
    return await svc.delete_alias(session, entity_id, alias_id)
