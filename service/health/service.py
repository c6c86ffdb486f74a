"""Liveness: whether the database and the broker answer and workers consume."""

from __future__ import annotations

from typing import Any

from psycopg_pool import ConnectionPool

from service.db import Conn
from service.health import repository as repo
from service.settings import Settings


def broker_ok(url: str | None) -> bool:
    if not url:
        return False
    from kombu.connection import Connection

    try:
        with Connection(url, connect_timeout=2) as conn:  # type: ignore[no-untyped-call]
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception:
        return False
    return True


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 1)


def check(pool: ConnectionPool[Conn], settings: Settings) -> tuple[bool, dict[str, Any]]:
    """Whether everything answers, and the body that says what does: database, broker,
    workers (alive by heartbeat) and the pipeline's counts and ages."""
    pipeline: dict[str, Any] | None = None
    try:
        with pool.connection(timeout=5) as conn:
            found = repo.pipeline_health(conn, alive_s=3 * settings.heartbeat_s)
        database = "ok"
        pipeline = {
            "workers_alive": found.workers_alive,
            "jobs_waiting_to_publish": found.unpublished,
            "oldest_unpublished_job_s": _rounded(found.oldest_unpublished_s),
            "jobs_pending": found.pending,
            "oldest_pending_job_s": _rounded(found.oldest_pending_s),
            "oldest_queued_run_s": _rounded(found.oldest_queued_run_s),
        }
    except Exception:
        database = "unavailable"
    broker = "ok" if broker_ok(settings.broker_url) else "unavailable"
    workers = "unknown" if pipeline is None else "ok" if pipeline["workers_alive"] else "none"
    ok = database == "ok" and broker == "ok" and workers == "ok"
    body: dict[str, Any] = {
        "status": "ok" if ok else "degraded",
        "database": database,
        "broker": broker,
        "workers": workers,
    }
    if pipeline is not None:
        body["pipeline"] = pipeline
    return ok, body
