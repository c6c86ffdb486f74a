"""Processing one outbox job, exactly once in effect however often it is delivered.

The job row is locked for the whole transaction that does its work and marks it done,
so two deliveries never run side by side, a delivery after completion does nothing,
and a worker killed halfway leaves nothing half-written: its transaction rolls back
and the next delivery starts over.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from uuid import UUID

from psycopg_pool import ConnectionPool

from service.audit import service as audit
from service.db import SYSTEM, Conn, Principal, set_context, worker_principal
from service.indexing.service import index_case, index_identities, refresh_index_statistics
from service.runs import repository as runs_repo
from service.runs.service import matching_suspended, run_match
from service.settings import get_settings
from service.worker import repository as repo

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str  # done, skipped, suspended, retry, dead
    detail: str = ""
    retry_in_s: float = 0.0


def _mark_running(pool: ConnectionPool[Conn], job_id: int) -> None:
    """Show the run as running (its own short transaction, so readers see it)."""
    with pool.connection() as conn, conn.transaction():
        set_context(conn, SYSTEM)
        job = repo.lock_job(conn, job_id)
        if job is None or job.done_at is not None or job.kind != "match_case":
            return
        if matching_suspended(conn):
            return
        set_context(conn, worker_principal(job.agency_id))
        run_id = UUID(job.payload["run_id"])
        run = runs_repo.get_run(conn, run_id, lock=True)
        if run is not None and run.state in ("queued", "running"):
            runs_repo.start_run(conn, run_id)


def worker_name() -> str:
    """This process, as heartbeats and leases name it."""
    return f"{socket.gethostname()}:{os.getpid()}"


def _take_lease(pool: ConnectionPool[Conn], job_id: int) -> bool:
    with pool.connection() as conn, conn.transaction():
        set_context(conn, SYSTEM)
        return repo.take_lease(
            conn, job_id, worker=worker_name(), lease_s=get_settings().job_lease_s
        )


def process(pool: ConnectionPool[Conn], job_id: int) -> Outcome:
    """Do the job's work and mark it done in one transaction."""
    if not _take_lease(pool, job_id):
        return Outcome("skipped", "already done")
    _mark_running(pool, job_id)
    try:
        with pool.connection() as conn, conn.transaction():
            set_context(conn, SYSTEM)
            job = repo.lock_job(conn, job_id)
            if job is None:
                return Outcome("skipped", "no such job")
            if job.done_at is not None:
                return Outcome("skipped", "already done")
            if job.kind == "match_case" and matching_suspended(conn):
                # the stop switch holds match runs; indexing goes on
                repo.unpublish_job(conn, job_id)
                return Outcome("suspended", "matching is suspended; the job waits")
            principal = worker_principal(job.agency_id)
            set_context(conn, principal)
            detail = _work(conn, principal, job)
            set_context(conn, SYSTEM)
            repo.finish_job(conn, job_id)
            kind = job.kind
    except Exception as exc:  # any failure: count it, retry with back-off, then dead-letter
        log.exception("job %s failed", job_id)
        return _failed(pool, job_id, f"{type(exc).__name__}: {exc}")
    if kind == "index_subjects":
        _refresh_index_statistics(pool)
    return Outcome("done", detail)


def _refresh_index_statistics(pool: ConnectionPool[Conn]) -> None:
    """After an indexing job, vacuum and analyze the index tables if the queue is empty
    and they grew much. The job is done whatever happens here; autovacuum does the same
    later if this fails."""
    try:
        with pool.connection() as conn:
            conn.autocommit = True
            try:
                done = refresh_index_statistics(conn, min_pages=get_settings().index_vacuum_pages)
            finally:
                conn.autocommit = False
        if done:
            log.info("vacuumed and analyzed %s after indexing", ", ".join(done))
    except Exception:
        log.exception("vacuuming the index tables failed; autovacuum will")


def _work(conn: Conn, principal: Principal, job: repo.Job) -> str:
    if job.kind == "index_subjects":
        ids = [UUID(i) for i in job.payload.get("ids", [])]
        changed = index_identities(conn, ids)
        cases = [UUID(i) for i in job.payload.get("cases", [])]
        changed += sum(_index_case(conn, case_id) for case_id in cases)
        return f"indexed {len(ids)} records and {len(cases)} cases, {changed} changed"
    if job.kind == "match_case":
        run = runs_repo.get_run(conn, UUID(job.payload["run_id"]), lock=True)
        if run is None:
            return "run is gone"
        if run.state in ("done", "failed"):
            return f"run already {run.state}"
        count = run_match(conn, run)
        audit.append(
            conn,
            principal,
            "match.run.finish",
            object_type="match_run",
            object_id=run.id,
            details={"case_id": str(run.case_id), "candidates": count, "algorithm": run.algorithm},
        )
        return f"{count} candidates"
    raise ValueError(f"unknown job kind {job.kind}")


def _index_case(conn: Conn, case_id: UUID) -> bool:
    """Rebuild a case's profile from its current evidence (a no-op when unchanged)."""
    indexed = index_case(conn, case_id)
    return indexed is not None and indexed.changed


def _failed(pool: ConnectionPool[Conn], job_id: int, error: str) -> Outcome:
    with pool.connection() as conn, conn.transaction():
        set_context(conn, SYSTEM)
        job = repo.lock_job(conn, job_id)
        if job is None or job.done_at is not None:
            return Outcome("skipped", "finished elsewhere")
        attempts = repo.record_failure(conn, job_id, error)
        settings = get_settings()
        if attempts < settings.max_attempts:
            backoff = settings.retry_backoff_s * 2.0 ** (attempts - 1)
            return Outcome("retry", error, retry_in_s=min(backoff, 300.0))
        repo.dead_letter(conn, job, error, attempts)
        if job.kind == "match_case":
            set_context(conn, worker_principal(job.agency_id))
            runs_repo.fail_run(conn, UUID(job.payload["run_id"]), error)
        return Outcome("dead", error)
