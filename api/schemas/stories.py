"""Story schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.articles import ArticleRead
from api.schemas.common import MAX_ID, BodyId


class StoryMember(ArticleRead):
    story_locked: bool = Field(description="A client decision pins the article here.")


class PairSimilarity(BaseModel):
    article_ids: list[int] = Field(min_length=2, max_length=2)
    similarity: float = Field(description="Estimated shingle Jaccard similarity, 0–1.")


class StoryRead(BaseModel):
    """A story: the versions and copies of one report, oldest first."""

    id: int
    title: str | None
    confirmed: bool = Field(description="A client confirmed, split or merged it.")
    created_at: datetime
    member_count: int
    members: list[StoryMember]
    similarities: list[PairSimilarity] = Field(description="Every pair of members.")


class StorySplit(BaseModel):
    """Move these members out into a new story."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"article_ids": [4]}})

    article_ids: list[BodyId] = Field(min_length=1, max_length=1000)


class StoryMerge(BaseModel):
    """Move every member of `story_id` into this story."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"story_id": 7}})

    story_id: int = Field(
        strict=True, ge=1, le=MAX_ID, description="The story to absorb (it is deleted)."
    )


class StorySplitResult(BaseModel):
    story: StoryRead
    new_story: StoryRead
