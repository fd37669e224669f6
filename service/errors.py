"""Domain exceptions. The API maps each to an RFC 9457 problem; nothing here knows HTTP."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class: ``detail`` is shown to the client, ``extra`` becomes problem members."""

    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    title = "Not found"


class UnknownFilterValue(NotFound):
    """A list filter names something that does not exist (an outlet, topic, story, article,
    entity or cluster): `parameter` and `value` say which. A 404, not an empty list: a typo
    or a stale id must not look like "nothing matches". Searches (`q`, `speaker`,
    `claimant`, `speaker_text`) are not references: matching nothing is an empty list."""

    title = "Unknown filter value"


class ArticleNotFound(NotFound):
    title = "Article not found"


class RevisionNotFound(NotFound):
    title = "Revision not found"


class InvalidCursor(DomainError):
    title = "Invalid cursor"


class InvalidInput(DomainError):
    """Well-formed JSON that makes no sense for the use case (e.g. HTML with no text)."""

    title = "Unprocessable content"


class Conflict(DomainError):
    title = "Conflict"


class PreconditionFailed(DomainError):
    title = "Precondition failed"


class PreconditionRequired(DomainError):
    title = "Precondition required"


class PayloadTooLarge(DomainError):
    title = "Payload too large"


class Unavailable(DomainError):
    title = "Service unavailable"


class StoryNotFound(NotFound):
    title = "Story not found"


class BadRequest(DomainError):
    """The request itself is unreadable (e.g. text that is not valid UTF-8)."""

    title = "Bad request"


class InvalidHeader(BadRequest):
    """A request header that does not parse (e.g. an If-Match that is not an entity tag)."""

    title = "Invalid header"


class InvalidEncoding(BadRequest):
    title = "Invalid encoding"


class QuoteNotFound(NotFound):
    title = "Quote not found"


class EntityNotFound(NotFound):
    title = "Entity not found"


class AliasNotFound(NotFound):
    title = "Alias not found"


class InvalidMerge(Conflict):
    """A merge or unmerge that would make no sense (into itself, a cycle, not merged)."""

    title = "Invalid merge"


class Unauthorized(DomainError):
    title = "Unauthorized"


class Forbidden(DomainError):
    title = "Forbidden"


class RateLimited(DomainError):
    title = "Too many requests"
