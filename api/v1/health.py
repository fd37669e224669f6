"""Liveness and readiness probes (outside /v1: they describe the process, not the data)."""

from __future__ import annotations

from fastapi import APIRouter, Request
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
    summary="Readiness: the database and the job queue answer, and a worker is alive",
    description=(
        "503 while the database is unreachable, the job queue's tables are missing, or fewer "
        "annotation workers than `ARTICLE_STORE_READINESS_MIN_WORKERS` (default 1; 0 turns "
        "the check off) sent a heartbeat within `ARTICLE_STORE_WORKER_STALLED_SECONDS`. "
        "Workers are counted in the database, so an API whose workers run elsewhere reports "
        "them too."
    ),
    responses={503: {"model": Problem, "content": {"application/problem+json": {}}}},
)
async def readyz(request: Request, session: SessionDep) -> JSONResponse:
    settings = request.app.state.settings
    state = await operations.readiness(
        session,
        heartbeat_within_s=settings.worker_stalled_seconds,
        workers_needed=settings.readiness_min_workers,
    )
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
    if state.workers_state == "down":
        return problem_response(  # type: ignore[return-value]
            503,
            "Service unavailable",
            f"{state.workers} annotation worker(s) alive, {state.workers_needed} needed: "
            "nothing will be annotated; start `article-store worker` (or `serve` with its "
            "worker)",
            database="ok",
            queue="ok",
            workers=state.workers,
            headers={"Retry-After": "5"},
        )
    return JSONResponse({"status": "ok", "database": "ok", "queue": "ok", "workers": state.workers})
