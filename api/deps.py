"""Shared dependencies: the database session, settings, and strict query parameters."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from service.errors import DomainError
from service.settings import Settings

logger = logging.getLogger(__name__)

# How long a write's response may wait on the job queue after its transaction committed.
# With the database unreachable, the queue's pool would wait 30 s for a connection, holding
# an already-committed write's 201 past most clients' timeouts (seen in tests/e2e/test_faults).
ENQUEUE_TIMEOUT_S = 3.0


class UnknownQueryParameter(DomainError):
    title = "Unknown query parameter"


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


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for one request; use cases open their own transaction on it."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    async with factory() as session:
        yield session


async def get_read_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session on the read replica when one is configured, else the primary."""
    factory: async_sessionmaker[AsyncSession] = request.app.state.read_session_factory
    async with factory() as session:
        yield session


async def enqueue_annotations(request: Request, run_ids: list[int | None]) -> None:
    """Hand committed annotation runs to the job queue.

    Called only after the write's transaction committed. If the queue is unreachable the
    runs stay pending and the worker's sweep enqueues them later, so nothing is lost."""
    ids = [r for r in run_ids if r is not None]
    queue = getattr(request.app.state, "queue", None)
    if not ids or queue is None:
        return
    try:
        async with asyncio.timeout(ENQUEUE_TIMEOUT_S):
            await queue.enqueue_runs(ids)
    except Exception:  # TimeoutError included
        logger.warning("could not enqueue annotation runs %s; the sweep will", ids, exc_info=True)


SessionDep = Annotated[AsyncSession, Depends(get_session)]
ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


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
