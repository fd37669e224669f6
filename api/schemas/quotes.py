"""Quote schemas: search results, corrections and the per-revision annotation view."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas.articles import OutletRef
from api.schemas.claims import ClaimRead
from api.schemas.common import Total, TotalIsEstimate
from service.values import MAX_ID

QuoteKind = Literal["direct", "indirect", "mixed"]
AnchorStatus = Literal["exact", "moved", "fuzzy", "orphaned"]

EXAMPLE_QUOTE: dict[str, Any] = {
    "id": 17,
    "article_id": 1,
    "revision": 1,
    "kind": "direct",
    "text": "I will remind both countries that any transfer of arms from North Korea to Russia "
    "would be in violation of multiple [U.N.] Security Council resolutions",
    "start": 1432,
    "end": 1581,
    "speaker": {"id": 4, "name": "Matthew Miller"},
    "speaker_text": "he",
    "cue": "said",
    "confidence": 0.9,
    "curated": False,
    "anchor_status": "exact",
    "published_at": "2023-09-12T03:00:00Z",
    "outlet": {"id": 1, "name": "Associated Press"},
}


class SpeakerRef(BaseModel):
    id: int = Field(description="The entity id (after merges: the surviving entity).")
    name: str


class QuoteRead(BaseModel):
    """A quote in one revision; `text` is exactly the revision's `body[start:end]`."""

    model_config = ConfigDict(json_schema_extra={"example": EXAMPLE_QUOTE})

    id: int
    article_id: int
    revision: int = Field(description="The revision number the offsets refer to.")
    kind: QuoteKind
    text: str
    start: int = Field(description="Start offset, Unicode code points.")
    end: int = Field(description="End offset (exclusive), Unicode code points.")
    speaker: SpeakerRef | None = Field(description="The resolved speaker entity, if any.")
    speaker_text: str | None = Field(description="How the text names the speaker.")
    cue: str | None = Field(description="The reporting verb or phrase, e.g. `said`.")
    confidence: float = Field(ge=0, le=1)
    curated: bool = Field(description="Corrected by a person: re-annotation keeps it.")
    anchor_status: AnchorStatus | None = Field(
        description="How a curated quote was found again in this revision's text "
        "(`exact`, `moved`, `fuzzy`), or `orphaned`: a newer revision no longer has its "
        "text, so the correction stayed on this revision (`GET /v1/quotes/orphans`)."
    )
    published_at: datetime = Field(description="The article's publication time.")
    outlet: OutletRef = Field(description="The outlet that published the article.")


class QuotePage(BaseModel):
    """One page of quotes. Pass `next_cursor` back as `cursor` for the next page."""

    items: list[QuoteRead]
    next_cursor: str | None = Field(description="Opaque; null on the last page.")
    total: Total = None
    total_is_estimate: TotalIsEstimate = None


class QuoteUpdate(BaseModel):
    """A correction. Send only what changes; the quote becomes curated."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"speaker_id": 4},
                {"start": 1432, "end": 1581, "kind": "direct"},
                {"speaker_id": None, "speaker_text": "a senior official"},
            ]
        },
    )

    kind: QuoteKind | None = None
    # strict: a JSON integer only (`false` was read as 0 and moved the span)
    start: int | None = Field(default=None, strict=True, ge=0, le=2**31 - 1)
    end: int | None = Field(default=None, strict=True, ge=1, le=2**31 - 1)
    speaker_id: int | None = Field(
        default=None,
        strict=True,
        ge=1,
        le=MAX_ID,
        description="An entity id, or null for no speaker.",
    )
    speaker_text: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _not_empty(self) -> QuoteUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one of kind, start, end, speaker_id, speaker_text")
        if "kind" in self.model_fields_set and self.kind is None:
            raise ValueError("kind cannot be null")
        return self


class MentionRead(BaseModel):
    id: int
    start: int
    end: int
    text: str
    label: str
    entity_id: int


class AnnotatedEntity(BaseModel):
    id: int
    name: str
    type: str
    mention_count: int
    quote_count: int


class RevisionAnnotations(BaseModel):
    """Everything stored on one revision: its text, quotes, claims, entity mentions and
    entities."""

    article_id: int
    revision: int
    text: str = Field(description="The revision's verbatim text; offsets index into it.")
    quotes: list[QuoteRead]
    claims: list[ClaimRead] = Field(
        description="Check-worthy claims of this revision (not-a-claim corrections left out)."
    )
    mentions: list[MentionRead]
    entities: list[AnnotatedEntity]
