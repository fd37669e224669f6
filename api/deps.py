"""Shared dependencies: the database session, settings, and strict query parameters."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from api.auth import authorize
from service.errors import BadRequest, DomainError
from service.jobs import JobHandOff
from service.settings import Settings

logger = logging.getLogger(__name__)


class UnknownQueryParameter(DomainError):
    title = "Unknown query parameter"


class InvalidParameterText(BadRequest):
    title = "Invalid parameter"


def _reject_unstorable_text(request: Request) -> None:
    """A NUL in a query or path parameter is 400 here, before it reaches PostgreSQL (whose
    text refuses it). (Lone surrogates cannot arrive: invalid UTF-8 in a URL is decoded
    as U+FFFD.)"""
    for key, value in [*request.query_params.multi_items(), *request.path_params.items()]:
        if (isinstance(value, str) and "\x00" in value) or "\x00" in key:
            raise InvalidParameterText(
                f"parameter {key!r} contains a NUL character (U+0000)", parameter=key
            )


def _query_names(dependant: Dependant, out: set[str]) -> set[str]:
    for field in dependant.query_params:
        annotation = getattr(field.field_info, "annotation", None)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for name, info in annotation.model_fields.items():
                out.add(info.alias or name)
        else:
            out.add(field.alias)
    for sub in dependant.dependencies:
        _query_names(sub, out)
    return out


_ALLOWED_CACHE: dict[int, frozenset[str]] = {}
MAX_FILTER_VALUES = 50


class TooManyFilterValues(DomainError):
    title = "Too many filter values"


async def reject_unknown_query_params(request: Request) -> None:
    """A typo in a filter must be an error, not silently ignored (which looks like 'no filter').

    Also records the matched route template for metrics and logs."""
    route = request.scope.get("route")
    if isinstance(route, APIRoute):
        request.state.route_template = route.path
    _reject_unstorable_text(request)
    if not isinstance(route, APIRoute) or not request.query_params:
        return
    allowed = _ALLOWED_CACHE.get(id(route))
    if allowed is None:
        allowed = frozenset(_query_names(route.dependant, set()))
        _ALLOWED_CACHE[id(route)] = allowed
    for key in set(request.query_params.keys()):
        if len(request.query_params.getlist(key)) > MAX_FILTER_VALUES:
            raise TooManyFilterValues(
                f"at most {MAX_FILTER_VALUES} values for {key!r}",
                parameter=key,
                max_values=MAX_FILTER_VALUES,
            )
    unknown = sorted(set(request.query_params.keys()) - allowed)
    if unknown:
        raise UnknownQueryParameter(
            f"unknown query parameter(s): {', '.join(unknown)}; allowed: "
            f"{', '.join(sorted(allowed)) or 'none'}",
            parameters=unknown,
        )


async def guard_v1(request: Request) -> None:
    """Every /v1/ request, in one dependency: strict query parameters, then access control
    (:func:`api.auth.authorize`: key, scope, rate limit)."""
    await reject_unknown_query_params(request)
    await authorize(request)


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for one request; use cases open their own transaction on it."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session:
        yield session


async def get_read_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    """A Core connection (autocommit) on the read replica when one is configured, else the
    primary: read routes run Core statements only, so no ORM session is built for them."""
    engine: AsyncEngine = request.app.state.read_connections
    async with engine.connect() as conn:
        yield conn


def get_jobs(request: Request) -> JobHandOff | None:
    """This process's hand-off to the job queue, for write use cases (None: no queue)."""
    jobs: JobHandOff | None = getattr(request.app.state, "jobs", None)
    return jobs


SessionDep = Annotated[AsyncSession, Depends(get_session)]
ReadConnectionDep = Annotated[AsyncConnection, Depends(get_read_connection)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
JobsDep = Annotated[JobHandOff | None, Depends(get_jobs)]


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem responses a route can return."""
    from api.schemas.common import Problem

    descriptions = {
        400: "Bad request (e.g. malformed cursor or JSON)",
        404: "Not found",
        409: "Conflict",
        412: "Precondition failed (stale ETag)",
        413: "Payload too large",
        415: "Unsupported media type",
        422: "Validation error",
        428: "Precondition required (If-Match missing)",
        503: "Database unavailable or query timed out",
    }
    return {
        s: {
            "model": Problem,
            "description": descriptions.get(s, "Error"),
            "content": {"application/problem+json": {}},
        }
        for s in statuses
    }
