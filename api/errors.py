"""Maps every failure to application/problem+json: domain errors, validation, HTTP errors."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from api.problems import problem_response
from db.engine import is_unsendable_value
from service import errors as domain

logger = logging.getLogger(__name__)

DOMAIN_STATUS: list[tuple[type[domain.DomainError], int]] = [
    (domain.Unauthorized, 401),
    (domain.Forbidden, 403),
    (domain.RateLimited, 429),
    (domain.NotFound, 404),
    (domain.InvalidCursor, 400),
    (domain.BadRequest, 400),
    (domain.InvalidInput, 422),
    (domain.Conflict, 409),
    (domain.PreconditionFailed, 412),
    (domain.PreconditionRequired, 428),
    (domain.PayloadTooLarge, 413),
    (domain.Unavailable, 503),
]

HTTP_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Validation error",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def status_for(exc: domain.DomainError) -> int:
    for cls, status in DOMAIN_STATUS:
        if isinstance(exc, cls):
            return status
    return 400


def _location(loc: tuple[Any, ...]) -> tuple[str, str]:
    where = str(loc[0]) if loc else "request"
    path = [str(p) for p in loc[1:]]
    return where, ".".join(path) if path else where


def validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        where, field = _location(tuple(err.get("loc", ())))
        item: dict[str, Any] = {
            "in": where,
            "field": field,
            "message": err.get("msg", "invalid"),
            "type": err.get("type"),
        }
        if where == "body":
            item["pointer"] = "#/" + "/".join(str(p) for p in err.get("loc", ())[1:])
        out.append(item)
    return out


def allowed_methods(request: Request) -> list[str]:
    """The methods some route accepts for this path (for 405's Allow header)."""
    methods: set[str] = set()
    for route in request.app.routes:
        for candidate in _flatten(route):
            regex = getattr(candidate, "path_regex", None)
            if regex is not None and regex.match(request.url.path):
                methods |= set(getattr(candidate, "methods", None) or ())
    return sorted(methods)


def _flatten(route: Any) -> list[Any]:
    inner = getattr(route, "effective_candidates", None)
    if inner is None:
        return [route]
    if callable(inner):
        inner = inner()
    out: list[Any] = []
    for cand in inner:
        out.extend(_flatten(cand))
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(domain.DomainError)
    async def _domain(request: Request, exc: domain.DomainError) -> Response:
        status = status_for(exc)
        headers: dict[str, str] = {}
        if isinstance(exc, domain.Unauthorized):
            headers["WWW-Authenticate"] = 'Bearer realm="article-store"'
        if isinstance(exc, domain.RateLimited | domain.Unavailable):
            headers["Retry-After"] = str(exc.extra.get("retry_after", 1))
        return problem_response(
            status,
            exc.title,
            exc.detail,
            type_=type(exc).__name__,
            instance=request.url.path,
            headers=headers or None,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = validation_errors(exc)
        if any(e["type"] == "json_invalid" for e in errors):
            return problem_response(
                400,
                "Malformed JSON",
                "the request body is not valid JSON: "
                + "; ".join(e["message"] for e in errors if e["type"] == "json_invalid"),
                instance=request.url.path,
            )
        summary = "; ".join(f"{e['in']} {e['field']}: {e['message']}" for e in errors[:5])
        return problem_response(
            422,
            "Validation error",
            f"the request is invalid: {summary}",
            instance=request.url.path,
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        title = HTTP_TITLES.get(exc.status_code, "Error")
        detail = exc.detail if isinstance(exc.detail, str) else None
        if exc.status_code == 404 and detail in (None, "Not Found"):
            detail = f"no route matches {request.url.path}; see /docs for the API"
        headers = dict(exc.headers) if exc.headers else {}
        if exc.status_code == 405:
            allowed = allowed_methods(request)
            detail = f"{request.method} is not allowed on {request.url.path}; allowed: " + (
                ", ".join(allowed) or "none"
            )
            headers["Allow"] = ", ".join(allowed)
        return problem_response(
            exc.status_code,
            title,
            detail,
            instance=request.url.path,
            headers=headers or None,
        )

    @app.exception_handler(PoolTimeout)
    @app.exception_handler(OperationalError)
    @app.exception_handler(ConnectionError)
    @app.exception_handler(TimeoutError)
    @app.exception_handler(FileNotFoundError)  # the database's unix socket is gone (restart)
    async def _db_unavailable(request: Request, exc: Exception) -> Response:
        logger.warning("database unavailable: %s", type(exc).__name__)
        return problem_response(
            503,
            "Service unavailable",
            "the database is unavailable or too slow right now; retry shortly",
            instance=request.url.path,
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(DBAPIError)
    async def _dbapi(request: Request, exc: DBAPIError) -> Response:
        if is_unsendable_value(exc):
            # a value validation let through that the driver cannot send (its connection
            # was discarded, db/engine.py): the request's fault, and a validation bug
            logger.warning("value rejected by the database driver", exc_info=exc)
            return problem_response(
                400,
                "Bad request",
                "a value in the request is outside what the database can store or compare",
                instance=request.url.path,
            )
        text = str(exc.orig) if exc.orig else ""
        if getattr(exc.orig, "sqlstate", None) in ("40P01", "40001"):
            # a deadlock or serialization failure: the request lost a race, a retry succeeds
            return problem_response(
                409,
                "Conflict",
                "a concurrent write touched the same rows; retry the request",
                instance=request.url.path,
                headers={"Retry-After": "1"},
            )
        if "statement timeout" in text or "canceling statement" in text:
            return problem_response(
                503,
                "Service unavailable",
                "the query took longer than the statement timeout; narrow the filters or retry",
                instance=request.url.path,
                headers={"Retry-After": "1"},
            )
        lowered = (text + type(exc.orig).__name__).lower()
        if (
            exc.connection_invalidated
            or "connect" in lowered
            or "shutting down" in lowered
            or ("starting up" in lowered)
        ):
            return await _db_unavailable(request, exc)
        raise exc
