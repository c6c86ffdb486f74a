"""HTTP for the liveness of the service and its servers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from psycopg_pool import ConnectionPool

from service.db import Conn
from service.deps import get_pool, get_settings
from service.health import service
from service.settings import Settings

router = APIRouter(tags=["health"])


@router.get("/v1/health")
def health(
    pool: Annotated[ConnectionPool[Conn], Depends(get_pool)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> JSONResponse:
    """Whether the database and the broker answer and workers consume; 503 (``degraded``)
    when one of them does not. Counts and ages only: no token needed, nothing personal."""
    ok, body = service.check(pool, settings)
    return JSONResponse(body, status_code=200 if ok else 503)
