"""Entity and speaker schemas."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.common import Total, TotalIsEstimate
from service.values import MAX_ID


class SpeakerRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {"id": 4, "name": "Matthew Miller", "type": "PERSON", "quote_count": 5}
        }
    )

    id: int
    name: str
    type: str = Field(description="spaCy label: PERSON, ORG, GPE, NORP…")
    quote_count: int = Field(description="Quotes in current revisions, merged entities included.")


class SpeakerPage(BaseModel):
    items: list[SpeakerRead]
    next_cursor: str | None = Field(description="Opaque; null on the last page.")
    total: Total = None
    total_is_estimate: TotalIsEstimate = None


class EntityRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"example": {"id": 9, "name": "Vladimir Putin", "type": "PERSON"}}
    )

    id: int
    name: str
    type: str


class EntityPage(BaseModel):
    items: list[EntityRead]
    next_cursor: str | None = Field(description="Opaque; null on the last page.")
    total: Total = None
    total_is_estimate: TotalIsEstimate = None


class EntityRef(BaseModel):
    id: int
    name: str


class AliasRead(BaseModel):
    id: int
    alias: str
    source: str = Field(description="`auto` (found by the pipeline) or `curated`.")
    entity_id: int = Field(description="The entity carrying it (a merged one, possibly).")


class OutletRef(BaseModel):
    id: int
    name: str


class EntityArticle(BaseModel):
    id: int
    title: str | None
    published_at: datetime | None
    outlet: OutletRef


class EntityDetail(EntityRead):
    """An entity with its aliases, counts and articles (merged entities included)."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 4,
                "name": "Matthew Miller",
                "type": "PERSON",
                "merged_into": None,
                "merged": [],
                "aliases": [{"id": 7, "alias": "Miller", "source": "auto", "entity_id": 4}],
                "mention_count": 6,
                "quote_count": 5,
                "articles": [],
            }
        }
    )

    merged_into: EntityRef | None = Field(description="The survivor, if this one was merged.")
    merged: list[EntityRead] = Field(description="Entities merged into this one.")
    aliases: list[AliasRead]
    mention_count: int
    quote_count: int
    articles: list[EntityArticle] = Field(description="Up to 100, newest first.")


class EntityMerge(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": {"into": 4}})

    into: int = Field(strict=True, ge=1, le=MAX_ID, description="The entity that survives.")


class AliasCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"alias": "Mr. Miller"}}
    )

    alias: str = Field(min_length=1, max_length=300)
