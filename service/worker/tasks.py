"""Celery tasks: thin shells that carry a job id and hand it to ``service.worker.jobs``."""

from __future__ import annotations

import logging
from typing import Any

from celery import Task
from celery.signals import worker_process_init, worker_ready, worker_shutdown
from psycopg_pool import ConnectionPool

from service.db import Conn, open_pool
from service.indexing import algorithm
from service.ops.migrate import worker_url
from service.ops.runtime import audit_checkpoint_path, audit_key_path
from service.retention.service import sweep
from service.settings import get_settings
from service.worker import jobs
from service.worker.celery_app import celery_app
from service.worker.checkpointer import Checkpointer
from service.worker.heartbeat import Heartbeat
from service.worker.relay import Relay

log = logging.getLogger(__name__)

_pool: ConnectionPool[Conn] | None = None
_relay: Relay | None = None
_checkpointer: Checkpointer | None = None
_heartbeat: Heartbeat | None = None


def _url() -> str:
    settings = get_settings()
    return settings.worker_database_url or worker_url(
        settings.database_url or settings.app_database_url or "", settings.worker_db_password
    )


def pool() -> ConnectionPool[Conn]:
    """This process's pool, opened on first use (after the fork, never before)."""
    global _pool
    if _pool is None:
        _pool = open_pool(_url(), min_size=1, max_size=2)
    return _pool


@worker_process_init.connect
def _init_process(**_: Any) -> None:
    """Each pool process: register the matching algorithm, open its own pool."""
    global _pool
    algorithm.register()
    _pool = None
    pool()


@worker_ready.connect
def _start_background(**_: Any) -> None:
    global _heartbeat
    algorithm.register()  # a worker without a process pool scores in this process
    settings = get_settings()
    _heartbeat = Heartbeat(_url(), every_s=settings.heartbeat_s)
    _heartbeat.start()
    if settings.worker_relay:
        start_relay()


@worker_shutdown.connect
def _stop_background(**_: Any) -> None:
    if _heartbeat is not None:
        _heartbeat.stop()
    stop_relay()


def start_relay() -> None:
    """The outbox relay and the audit checkpointer of this process."""
    global _relay, _checkpointer
    settings = get_settings()
    _relay = Relay(
        _url(),
        publish,
        redeliver_after_s=settings.redeliver_after_s,
        stranded_after_s=settings.job_lease_s,
        alive_s=3 * settings.heartbeat_s,
    )
    _relay.start()
    _checkpointer = Checkpointer(
        _url(),
        key_path=audit_key_path(settings),
        out=audit_checkpoint_path(settings),
        interval_s=settings.audit_checkpoint_interval_s,
    )
    _checkpointer.start()


def stop_relay() -> None:
    if _relay is not None:
        _relay.stop()
    if _checkpointer is not None:
        _checkpointer.stop()


def publish(job_id: int) -> None:
    """Send one job to the broker."""
    process_job.apply_async(args=[job_id], retry=True)


@celery_app.task(name="tessera.process_job", bind=True, max_retries=None)
def process_job(self: Task, job_id: int) -> str:
    """Run outbox job ``job_id``; retried with back-off, dead-lettered after the limit."""
    outcome = jobs.process(pool(), job_id)
    if outcome.status == "retry":
        raise self.retry(countdown=outcome.retry_in_s)
    return f"{outcome.status}: {outcome.detail}"


# A sweep of many rows may outlast the pipeline's limits; it is idempotent, so a sweep
# cut short is finished by the next one.
@celery_app.task(name="tessera.retention_sweep", soft_time_limit=3000, time_limit=3300)
def retention_sweep() -> dict[str, Any]:
    """Erase what passed its retention (run by the beat of one worker); the counts, ids
    and numbers only."""
    return sweep(_url()).as_dict()
