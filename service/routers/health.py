"""Liveness of the service and its servers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from psycopg_pool import ConnectionPool

from service.db import Conn
from service.deps import get_pool, get_settings
from service.settings import Settings

router = APIRouter(tags=["health"])


def _broker_ok(url: str | None) -> bool:
    if not url:
        return False
    from kombu.connection import Connection

    try:
        with Connection(url, connect_timeout=2) as conn:  # type: ignore[no-untyped-call]
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        return False
    return True


@router.get("/v1/health")
def health(
    pool: Annotated[ConnectionPool[Conn], Depends(get_pool)],
    settings: Annotated[Settings, Depends(get_settings)],
) -> JSONResponse:
    """Whether the database and the broker answer; 503 when either does not."""
    try:
        with pool.connection(timeout=5) as conn:
            conn.execute("SELECT 1")
        database = "ok"
    except Exception:
        database = "unavailable"
    broker = "ok" if _broker_ok(settings.broker_url) else "unavailable"
    ok = database == "ok" and broker == "ok"
    body = {"status": "ok" if ok else "degraded", "database": database, "broker": broker}
    return JSONResponse(body, status_code=200 if ok else 503)
