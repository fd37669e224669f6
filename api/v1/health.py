"""Liveness and readiness probes (outside /v1: they describe the process, not the data)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.deps import SessionDep
from api.problems import problem_response
from api.schemas.common import Health, Problem
from service import operations

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    response_model=Health,
    response_model_exclude_none=True,
    summary="Liveness: the process is up",
)
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="Readiness: the database and the job queue answer",
    responses={503: {"model": Problem, "content": {"application/problem+json": {}}}},
)
async def readyz(session: SessionDep) -> JSONResponse:
    state = await operations.readiness(session)
    if state.database == "down":
        return problem_response(  # type: ignore[return-value]
            503,
            "Service unavailable",
            "the database is not reachable",
            database="down",
            headers={"Retry-After": "2"},
        )
    if state.queue == "down":
        return problem_response(  # type: ignore[return-value]
            503,
            "Service unavailable",
            "the job queue's tables are missing; run `article-store migrate`",
            database="ok",
            queue="down",
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"status": "ok", "database": "ok", "queue": "ok"})
