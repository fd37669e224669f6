"""Assertions shared by the nlp tests."""

from __future__ import annotations

from nlp.pipeline import Pipeline
from nlp.types import Annotations, Quote


def check_offsets(text: str, ann: Annotations) -> None:
    for m in ann.mentions:
        assert text[m.start : m.end] == m.text
    for q in ann.quotes:
        assert text[q.start : q.end] == q.text
        if q.speaker_start is not None:
            assert text[q.speaker_start : q.speaker_end] == q.speaker_text
        if q.cue_start is not None:
            assert text[q.cue_start : q.cue_end] == q.cue
    keys = {e.key for e in ann.entities}
    for q in ann.quotes:
        assert q.speaker_key is None or q.speaker_key in keys
    for m in ann.mentions:
        assert m.entity_key in keys


def annotate_checked(pipeline: Pipeline, text: str) -> Annotations:
    """Annotate ``text`` and check every offset invariant."""
    ann = pipeline.annotate(text)
    check_offsets(text, ann)
    return ann


def speaker_name(ann: Annotations, q: Quote) -> str | None:
    """Canonical name of the quote's speaker entity, if any."""
    return next((e.name for e in ann.entities if e.key == q.speaker_key), None)
