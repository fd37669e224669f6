"""Plain, frozen result types. Offsets are Unicode code points into the exact input string."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

QuoteKind = Literal["direct", "indirect", "mixed"]


@dataclass(frozen=True, slots=True)
class Entity:
    key: str
    name: str
    type: str
    aliases: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    text: str
    label: str
    entity_key: str


@dataclass(frozen=True, slots=True)
class Quote:
    kind: QuoteKind
    start: int
    end: int
    text: str
    speaker_text: str | None
    speaker_start: int | None
    speaker_end: int | None
    speaker_key: str | None
    cue: str | None
    cue_start: int | None
    cue_end: int | None
    confidence: float


@dataclass(frozen=True, slots=True)
class Annotations:
    pipeline_name: str
    pipeline_version: str
    entities: tuple[Entity, ...]
    mentions: tuple[Mention, ...]
    quotes: tuple[Quote, ...]
