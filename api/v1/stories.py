"""/v1/stories: groups of versions of one report, and the client's decisions on them."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from api.deps import ReadConnectionDep, SessionDep, problem_responses
from api.schemas.stories import StoryMerge, StoryRead, StorySplit, StorySplitResult
from api.v1.articles import to_article_read
from service import stories as svc
from service.values import MAX_ID

router = APIRouter(prefix="/stories", tags=["stories"])

StoryId = Annotated[int, Path(ge=1, le=MAX_ID, description="The story's id.")]


async def _read(session: Any, story_id: int) -> dict[str, Any]:
    view = await svc.get_story(session, story_id)
    return {
        **view.story,
        "members": [
            {**to_article_read(m), "story_locked": m["story_locked"]} for m in view.members
        ],
        "similarities": view.similarities,
    }


@router.get(
    "/{story_id:id}",
    response_model=StoryRead,
    summary="Get a story",
    description=(
        "The story's members (versions and syndicated copies of one report) ordered by "
        "publication time, and the similarity of every pair."
    ),
    responses=problem_responses(404, 422),
)
async def get_story(session: ReadConnectionDep, story_id: StoryId) -> dict[str, Any]:
    return await _read(session, story_id)


@router.post(
    "/{story_id:id}:confirm",
    response_model=StoryRead,
    summary="Confirm a story",
    description=(
        "The grouping is right: the story is marked confirmed and its current members are "
        "pinned (automatic grouping never moves them). New versions may still join it."
    ),
    responses=problem_responses(404, 422),
)
async def confirm_story(session: SessionDep, story_id: StoryId) -> dict[str, Any]:
    await svc.confirm_story(session, story_id)
    return await _read(session, story_id)


@router.post(
    "/{story_id:id}:split",
    response_model=StorySplitResult,
    summary="Split articles out of a story",
    description=(
        "Moves the given members into a new story. Both stories are confirmed and their "
        "members pinned, so the decision survives new arrivals. 422 if an id is not a "
        "member or if every member would leave."
    ),
    responses=problem_responses(404, 415, 422),
)
async def split_story(session: SessionDep, story_id: StoryId, split: StorySplit) -> dict[str, Any]:
    new_id = await svc.split_story(session, story_id, split.article_ids)
    return {"story": await _read(session, story_id), "new_story": await _read(session, new_id)}


@router.post(
    "/{story_id:id}:merge",
    response_model=StoryRead,
    summary="Merge another story into this one",
    description=(
        "Every member of `story_id` (in the body) moves into this story, which is "
        "confirmed with all members pinned; the other story is deleted."
    ),
    responses=problem_responses(404, 415, 422),
)
async def merge_stories(
    session: SessionDep, story_id: StoryId, merge: StoryMerge
) -> dict[str, Any]:
    await svc.merge_stories(session, story_id, merge.story_id)
    return await _read(session, story_id)
