"""Topic schemas: the taxonomy tree, topic edits and reclassification jobs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictFloat, model_validator

SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
# a topic in a URL: its slug or its IPTC Media Topics code
TOPIC_REF_PATTERN = r"^(?:[a-z0-9]+(?:-[a-z0-9]+)*|[mM][eE][dD][tT][oO][pP]:[0-9]{1,12})$"

EXAMPLE_RULES: dict[str, Any] = {
    "keywords": ["arms deal", "weapons supply", {"term": "ammunition", "weight": 0.3}],
    "entity_types": ["GPE"],
    "weight": 0.7,
    "entity_weight": 0.2,
}


class WeightedKeyword(BaseModel):
    model_config = ConfigDict(extra="forbid")

    term: str = Field(min_length=1, max_length=200)
    weight: StrictFloat = Field(gt=0, le=5)


class TopicRules(BaseModel):
    """How claims are matched: keywords (compared as word stems, up to five words), entity
    types that boost a keyword match, and weights. `score = 1 − exp(−Σ matched weights)`."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": EXAMPLE_RULES})

    keywords: list[str | WeightedKeyword] = Field(default_factory=list, max_length=2000)
    entity_types: list[str] = Field(default_factory=list, max_length=50)
    weight: StrictFloat = Field(default=0.7, gt=0, le=5, description="Weight of a plain keyword.")
    entity_weight: StrictFloat = Field(
        default=0.2, ge=0, le=5, description="Added when a listed entity type occurs."
    )


EXAMPLE_TOPIC: dict[str, Any] = {
    "slug": "arms-trade",
    "name": "Arms trade",
    "parent": "conflict-war-peace",
    "iptc_code": None,
    "description": "Weapons deals and transfers between states.",
    "source": "custom",
    "retired": False,
    "depth": 1,
    "child_count": 2,
}


class TopicListItem(BaseModel):
    """A topic as lists show it; `GET /v1/topics/{slug}` adds its matching rules."""

    model_config = ConfigDict(json_schema_extra={"example": EXAMPLE_TOPIC})

    slug: str = Field(description="Readable, stable id of the topic (`sport`, `arms-trade`).")
    name: str
    parent: str | None = Field(description="The parent topic's slug; null for a root.")
    iptc_code: str | None = Field(
        description="IPTC Media Topics code (`medtop:…`) of an IPTC concept (or one a user set)."
    )
    description: str = Field(description="IPTC's definition, or the topic's own description.")
    source: Literal["iptc", "custom", "user"] = Field(
        description="`iptc`: an IPTC Media Topic; `custom`: a topic shipped with article-store "
        "under an IPTC parent; `user`: made through the API."
    )
    retired: bool = Field(
        description="An IPTC concept a newer release retired: kept with its links, no longer "
        "assigned to new annotations."
    )
    depth: int = Field(description="Depth in the tree: 0 for a top-level topic.")
    child_count: int = Field(description="Number of direct children (`?parent=` lists them).")


class TopicRead(TopicListItem):
    model_config = ConfigDict(
        json_schema_extra={"example": {**EXAMPLE_TOPIC, "rules": EXAMPLE_RULES}}
    )

    rules: TopicRules


class TopicPage(BaseModel):
    """One page of topics, by slug. Pass `next_cursor` back as `cursor` for the next page."""

    model_config = ConfigDict(
        json_schema_extra={
            "example": {
                "items": [
                    {
                        **EXAMPLE_TOPIC,
                        "slug": "sport",
                        "name": "Sport",
                        "parent": None,
                        "iptc_code": "medtop:15000000",
                        "source": "iptc",
                        "depth": 0,
                        "child_count": 8,
                        "description": "Competitive activity or skill…",
                    }
                ],
                "next_cursor": None,
            }
        }
    )

    items: list[TopicListItem]
    next_cursor: str | None = Field(description="Opaque; null on the last page.")


class TopicCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "slug": "drones",
                    "name": "Drones",
                    "parent": "military-technology",
                    "rules": {"keywords": ["drone", "unmanned aerial vehicle"]},
                }
            ]
        },
    )

    slug: str = Field(min_length=1, max_length=100, pattern=SLUG_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    parent: str | None = Field(default=None, max_length=100)
    iptc_code: str | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=2000)
    rules: TopicRules = Field(default_factory=TopicRules)


class TopicUpdate(BaseModel):
    """Send only what changes. `parent` may not be the topic or one of its descendants."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"rules": {"keywords": ["arms deal", "ammunition"]}},
                {"parent": "politics"},
            ]
        },
    )

    name: str | None = Field(default=None, min_length=1, max_length=200)
    parent: str | None = Field(default=None, max_length=100)
    iptc_code: str | None = Field(default=None, max_length=50)
    description: str | None = Field(default=None, max_length=2000)
    rules: TopicRules | None = None

    @model_validator(mode="after")
    def _not_empty(self) -> TopicUpdate:
        if not self.model_fields_set:
            raise ValueError("send at least one of name, parent, iptc_code, description, rules")
        for name in ("name", "rules"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class ReclassifyAccepted(BaseModel):
    """The reclassification was queued; it runs on the worker."""

    topic: str
    job_id: int | None = Field(description="The procrastinate job id.")
    status: str = Field(description="`queued`.")
