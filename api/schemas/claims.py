"""Claim schemas: search results, one claim with its features, corrections, clusters."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.articles import OutletRef
from api.schemas.common import Total, TotalIsEstimate
from service.values import MAX_ID

EXAMPLE_CLAIM: dict[str, Any] = {
    "id": 42,
    "article_id": 3,
    "revision": 1,
    "text": "Putin wants artillery shells and anti-tank missiles from Kim.",
    "start": 812,
    "end": 873,
    "claimant": None,
    "claimant_text": "The New York Times",
    "quote_id": None,
    "topics": [
        {"slug": "artillery", "name": "Artillery", "score": 0.75, "source": "auto"},
        {"slug": "arms-trade", "name": "Arms trade", "score": 0.5, "source": "auto"},
    ],
    "score": 0.91,
    "cluster_id": 7,
    "outlet": {"id": 3, "name": "The New York Times"},
    "published_at": "2023-09-12T03:00:00Z",
    "curated": False,
    "not_a_claim": False,
    "anchor_status": None,
}


class ClaimantRef(BaseModel):
    id: int = Field(description="The entity id (after merges: the surviving entity).")
    name: str


class ClaimTopicRef(BaseModel):
    slug: str
    name: str
    score: float = Field(ge=0, le=1)
    source: Literal["auto", "curated"] = Field(description="`auto` (classifier) or `curated`.")


class ClaimRead(BaseModel):
    """A claim in one revision; `text` is exactly the revision's `body[start:end]`."""

    model_config = ConfigDict(json_schema_extra={"example": EXAMPLE_CLAIM})

    id: int
    article_id: int
    revision: int = Field(description="The revision number the offsets refer to.")
    text: str
    start: int = Field(description="Start offset, Unicode code points.")
    end: int = Field(description="End offset (exclusive), Unicode code points.")
    claimant: ClaimantRef | None = Field(description="The resolved claimant entity, if any.")
    claimant_text: str | None = Field(
        description="How the text names the claimant; the outlet for the reporter's own claims."
    )
    quote_id: int | None = Field(description="The quote the claim lies in, if any.")
    topics: list[ClaimTopicRef]
    score: float = Field(ge=0, le=1, description="Check-worthiness.")
    cluster_id: int | None = Field(description="The cluster of the same claim in other articles.")
    outlet: OutletRef = Field(description="The outlet that published the article.")
    published_at: datetime
    curated: bool = Field(description="Corrected by a person: re-annotation keeps it.")
    not_a_claim: bool = Field(description="Marked not a claim by a person (hidden from lists).")
    anchor_status: Literal["exact", "moved", "fuzzy", "orphaned"] | None = Field(
        description="How a curated claim was found again in this revision's text, or "
        "`orphaned`: a newer revision no longer has its text."
    )


class ClaimDetail(ClaimRead):
    features: dict[str, float] = Field(description="The scorer's inputs (docs/nlp.md).")


class ClaimPage(BaseModel):
    """One page of claims. Pass `next_cursor` back as `cursor` for the next page."""

    items: list[ClaimRead]
    next_cursor: str | None = Field(description="Opaque; null on the last page.")
    total: Total = None
    total_is_estimate: TotalIsEstimate = None


class ClaimUpdate(BaseModel):
    """A correction. Send only what changes; the claim becomes curated."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"topics": ["arms-trade", "diplomacy"]},
                {"claimant_id": 4},
                {"not_a_claim": True},
            ]
        },
    )

    topics: list[str] | None = Field(
        default=None, max_length=50, description="Topic slugs; replaces every link (curated)."
    )
    claimant_id: int | None = Field(
        default=None, strict=True, ge=1, le=MAX_ID, description="An entity id, or null for none."
    )
    claimant_text: str | None = Field(default=None, max_length=500)
    not_a_claim: bool | None = Field(default=None, strict=True)

    @model_validator(mode="after")
    def _not_empty(self) -> ClaimUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one of topics, claimant_id, claimant_text, not_a_claim")
        for name in ("topics", "not_a_claim"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class ClusterRead(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "id": 7,
                "member_count": 3,
                "article_count": 3,
                "outlet_count": 3,
                "outlets": ["Stars and Stripes", "The New York Times", "unknown"],
                "text": "Putin wants artillery shells and anti-tank missiles from Kim.",
                "first_published_at": "2023-09-11T10:00:00Z",
                "last_published_at": "2023-09-12T03:00:00Z",
            }
        }
    )

    id: int
    member_count: int = Field(description="Claims in current revisions.")
    article_count: int
    outlet_count: int
    outlets: list[str]
    text: str = Field(description="The highest-scoring member's text.")
    first_published_at: datetime
    last_published_at: datetime


class ClusterPage(BaseModel):
    items: list[ClusterRead]
    next_cursor: str | None = Field(description="Opaque; null on the last page.")
    total: Total = None
    total_is_estimate: TotalIsEstimate = None


class ClusterDetail(ClusterRead):
    members: list[ClaimRead]
