"""SQL of the outbox: jobs written in the caller's transaction, claimed, finished, dead-lettered."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from psycopg.rows import class_row

from service.db import Conn

# Outbox ----------------------------------------------------------------------------------


def enqueue(
    conn: Conn,
    agency_id: UUID,
    kind: str,
    payload: Mapping[str, Any],
    *,
    import_id: UUID | None = None,
    subjects: int | None = None,
) -> int:
    """Add a job in the caller's transaction; it leaves only if that transaction commits.

    A job that indexes records of a bulk import names the import and how many records
    it carries (``subjects``): the import's progress is the sum over its finished jobs.
    """
    row = conn.execute(
        "INSERT INTO outbox (agency_id, kind, payload, import_id, subjects) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (agency_id, kind, json.dumps(payload), import_id, subjects),
    ).fetchone()
    assert row is not None
    job_id: int = row[0]
    return job_id


@dataclass(frozen=True, slots=True)
class Job:
    id: int
    agency_id: UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    done_at: datetime | None


def claim_publishable(
    conn: Conn, *, redeliver_after_s: float, limit: int = 100, matching: bool = True
) -> list[int]:
    """Jobs to publish, locked for us: never published; taken by a worker whose lease
    lapsed (it died); or published long ago, never taken and still not done (a lost
    message). Without ``matching``, only indexing jobs (match runs wait while matching
    is suspended)."""
    rows = conn.execute(
        """SELECT id FROM outbox
           WHERE done_at IS NULL
             AND (published_at IS NULL
                  OR lease_until < now()
                  OR (lease_until IS NULL
                      AND published_at < now() - make_interval(secs => %s)))
             AND (%s OR kind <> 'match_case')
           ORDER BY id
           LIMIT %s
           FOR UPDATE SKIP LOCKED""",
        (redeliver_after_s, matching, limit),
    ).fetchall()
    return [row[0] for row in rows]


def claim_stranded(
    conn: Conn, *, stranded_after_s: float, alive_s: float, matching: bool = True
) -> list[int]:
    """Jobs published more than ``stranded_after_s`` ago and never taken, while a live
    worker (heartbeat within ``alive_s``) holds no job: an idle worker would have taken
    a job waiting in the queue, so its message was lost (a worker killed between
    receiving it and taking its lease). At most one job per idle worker, oldest first,
    so that a queue merely between two jobs costs a duplicate or two, never a flood
    (a duplicate finds its job done or locked and does nothing)."""
    rows = conn.execute(
        """WITH idle AS (
               SELECT count(*) AS workers FROM worker_heartbeats h
               WHERE h.seen_at > now() - make_interval(secs => %s)
                 AND NOT EXISTS (SELECT 1 FROM outbox o
                                 WHERE o.leased_by = h.worker AND o.done_at IS NULL
                                   AND o.lease_until > now()))
           SELECT id FROM outbox
           WHERE done_at IS NULL AND lease_until IS NULL
             AND published_at < now() - make_interval(secs => %s)
             AND (%s OR kind <> 'match_case')
           ORDER BY id
           LIMIT (SELECT workers FROM idle)
           FOR UPDATE SKIP LOCKED""",
        (alive_s, stranded_after_s, matching),
    ).fetchall()
    return [row[0] for row in rows]


def mark_published(conn: Conn, job_ids: Sequence[int]) -> None:
    conn.execute(
        "UPDATE outbox SET published_at = now(), publish_count = publish_count + 1, "
        "lease_until = NULL, leased_by = NULL WHERE id = ANY(%s)",
        (list(job_ids),),
    )


def take_lease(conn: Conn, job_id: int, *, worker: str, lease_s: float) -> bool:
    """Mark the job taken by ``worker`` for ``lease_s`` seconds; False when it is done.

    While the job's transaction runs, its row lock keeps the relay away (it skips
    locked rows); the lease covers the moments before that lock is taken. A worker
    killed at any point leaves a lapsed lease and no lock: the relay publishes the job
    again."""
    row = conn.execute(
        "UPDATE outbox SET lease_until = now() + make_interval(secs => %s), leased_by = %s "
        "WHERE id = %s AND done_at IS NULL RETURNING id",
        (lease_s, worker, job_id),
    ).fetchone()
    return row is not None


def release_lease(conn: Conn, job_id: int) -> None:
    conn.execute("UPDATE outbox SET lease_until = NULL, leased_by = NULL WHERE id = %s", (job_id,))


def beat(conn: Conn, *, worker: str, pid: int, host: str, started_at: datetime) -> None:
    """Say that ``worker`` is alive now."""
    conn.execute(
        """INSERT INTO worker_heartbeats (worker, pid, host, started_at, seen_at)
           VALUES (%s, %s, %s, %s, now())
           ON CONFLICT (worker) DO UPDATE
              SET pid = EXCLUDED.pid, host = EXCLUDED.host,
                  started_at = EXCLUDED.started_at, seen_at = now()""",
        (worker, pid, host, started_at),
    )


def forget_worker(conn: Conn, worker: str) -> None:
    conn.execute("DELETE FROM worker_heartbeats WHERE worker = %s", (worker,))


def lock_job(conn: Conn, job_id: int) -> Job | None:
    """The job, locked so that two deliveries of it never run side by side."""
    with conn.cursor(row_factory=class_row(Job)) as cur:
        cur.execute(
            "SELECT id, agency_id, kind, payload, attempts, done_at FROM outbox "
            "WHERE id = %s FOR UPDATE",
            (job_id,),
        )
        return cur.fetchone()


def finish_job(conn: Conn, job_id: int) -> None:
    conn.execute("UPDATE outbox SET done_at = now(), last_error = NULL WHERE id = %s", (job_id,))


def unpublish_job(conn: Conn, job_id: int) -> None:
    """Hand a job back to the relay (used while matching is suspended)."""
    conn.execute(
        "UPDATE outbox SET published_at = NULL, lease_until = NULL, leased_by = NULL WHERE id = %s",
        (job_id,),
    )


def record_failure(conn: Conn, job_id: int, error: str) -> int:
    row = conn.execute(
        "UPDATE outbox SET attempts = attempts + 1, last_error = %s, lease_until = NULL, "
        "leased_by = NULL WHERE id = %s RETURNING attempts",
        (error[:2000], job_id),
    ).fetchone()
    assert row is not None
    attempts: int = row[0]
    return attempts


def dead_letter(conn: Conn, job: Job, error: str, attempts: int) -> None:
    conn.execute(
        "INSERT INTO dead_letters (outbox_id, agency_id, kind, payload, error, attempts) "
        "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (outbox_id) DO NOTHING",
        (job.id, job.agency_id, job.kind, json.dumps(job.payload), error[:2000], attempts),
    )
    conn.execute(
        "UPDATE outbox SET done_at = now(), last_error = %s WHERE id = %s", (error[:2000], job.id)
    )


def listen(conn: Conn) -> None:
    """Subscribe an autocommit connection to the outbox's notifications."""
    conn.execute("LISTEN tessera_outbox")


def index_jobs_waiting(conn: Conn) -> bool:
    """Whether any indexing job is not done yet (queued, published or running)."""
    row = conn.execute(
        "SELECT EXISTS (SELECT 1 FROM outbox WHERE done_at IS NULL AND kind = 'index_subjects')"
    ).fetchone()
    return row is not None and bool(row[0])
