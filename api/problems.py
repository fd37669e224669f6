"""RFC 9457 problem details: the one shape every error response takes."""

from __future__ import annotations

import re
from typing import Any

import orjson
from starlette.responses import Response

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "/problems/"
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def problem_slug(name: str) -> str:
    """One vocabulary of problem types: kebab-case slugs. ``ArticleNotFound`` →
    ``article-not-found``; ``Validation error`` → ``validation-error``."""
    return "-".join(_CAMEL.sub(" ", name).lower().split())


def problem_type(name: str) -> str:
    """The problem's ``type`` URI reference; ``GET`` on it describes the problem."""
    return PROBLEM_TYPE_PREFIX + problem_slug(name)


def problem_body(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    type_: str | None = None,
    instance: str | None = None,
    **extra: Any,
) -> dict[str, Any]:
    body: dict[str, Any] = {"type": problem_type(type_ or title), "title": title, "status": status}
    if detail:
        body["detail"] = detail
    if instance:
        body["instance"] = instance
    body.update({k: v for k, v in extra.items() if v is not None})
    return body


def problem_response(
    status: int,
    title: str,
    detail: str | None = None,
    *,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    return Response(
        content=orjson.dumps(problem_body(status, title, detail, **extra), default=str),
        status_code=status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=headers,
    )
