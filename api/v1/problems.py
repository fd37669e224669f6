"""``GET /problems/{slug}``: what each problem ``type`` means (RFC 9457 §3.1.1 suggests the
type URI resolve to documentation). Outside /v1: the vocabulary is the service's, not a
resource's."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from api.errors import DOMAIN_STATUS, HTTP_TITLES, status_for
from api.problems import problem_response, problem_slug, problem_type
from service import errors as domain

router = APIRouter(tags=["operations"])

# problems the HTTP layer raises itself (middleware, validation, idempotency, the database)
HTTP_PROBLEMS: dict[str, tuple[int, str]] = {
    "Validation error": (422, "A parameter or body field is invalid: `errors` lists each one."),
    "Malformed JSON": (400, "The request body is not valid JSON."),
    "Payload too large": (413, "The request body is larger than the limit."),
    "Unsupported media type": (415, "Send request bodies as `application/json`."),
    "Idempotency key reused": (422, "The Idempotency-Key was used before with another request."),
    "Request in progress": (409, "A request with this Idempotency-Key is still running."),
    "Internal server error": (500, "An unexpected error; quote the request id."),
}


def _domain_errors() -> list[type[domain.DomainError]]:
    found: list[type[domain.DomainError]] = []
    todo = [domain.DomainError]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            found.append(sub)
            todo.append(sub)
    return found


def catalogue() -> dict[str, dict[str, Any]]:
    """Every problem type the API answers with, by slug."""
    out: dict[str, dict[str, Any]] = {}
    for status, title in HTTP_TITLES.items():
        out[problem_slug(title)] = {"title": title, "status": status, "description": title}
    for title, (status, description) in HTTP_PROBLEMS.items():
        out[problem_slug(title)] = {"title": title, "status": status, "description": description}
    for cls in _domain_errors():
        doc = inspect.getdoc(cls) or ""
        own_doc = doc if doc and doc != inspect.getdoc(domain.DomainError) else ""
        status = next((s for c, s in DOMAIN_STATUS if issubclass(cls, c)), 400)
        out[problem_slug(cls.__name__)] = {
            "title": cls.title,
            "status": status,
            "description": own_doc.split("\n\n")[0] or cls.title,
        }
    return {slug: {"type": problem_type(slug), **info} for slug, info in sorted(out.items())}


@router.get(
    "/problems/{slug}",
    summary="What a problem type means",
    description="The `type` of every problem response resolves here: its title, the HTTP "
    "status it comes with, and what it means.",
    responses={
        200: {
            "description": "The problem type's description.",
            "content": {
                "application/json": {
                    "example": {
                        "type": "/problems/article-not-found",
                        "title": "Article not found",
                        "status": 404,
                        "description": "No article has this id.",
                    }
                }
            },
        },
        404: {"description": "Not a problem type this API uses"},
    },
)
async def describe_problem(
    slug: str = Path(max_length=100, description="The slug after `/problems/`."),
) -> JSONResponse:
    info = catalogue().get(slug)
    if info is None:
        return problem_response(404, "Not found", f"no problem type {slug!r}")  # type: ignore[return-value]
    return JSONResponse(info)


__all__ = ["catalogue", "router", "status_for"]
