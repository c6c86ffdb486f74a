"""SQL of the liveness check: counts and ages of the pipeline, nothing personal."""

from __future__ import annotations

from dataclasses import dataclass

from psycopg.rows import class_row

from service.db import Conn


@dataclass(frozen=True, slots=True)
class PipelineHealth:
    workers_alive: int
    unpublished: int
    oldest_unpublished_s: float | None
    pending: int
    oldest_pending_s: float | None
    oldest_queued_run_s: float | None


def pipeline_health(conn: Conn, *, alive_s: float) -> PipelineHealth:
    """Counts and ages only (``tessera_pipeline_health``, readable without an agency)."""
    with conn.cursor(row_factory=class_row(PipelineHealth)) as cur:
        cur.execute("SELECT * FROM tessera_pipeline_health(%s)", (alive_s,))
        found = cur.fetchone()
    assert found is not None
    return found
