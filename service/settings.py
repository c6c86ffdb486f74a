"""Settings, read from the environment with the ``TESSERA_`` prefix."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Where Tessera keeps its data and which servers it talks to.

    Without ``database_url`` or ``broker_url`` the embedded PostgreSQL and Valkey
    servers are started with their data under ``home``.
    """

    model_config = SettingsConfigDict(env_prefix="TESSERA_", extra="ignore")

    home: Path = Path(".tessera")
    database_url: str | None = Field(
        default=None, description="Owner URL: migrations run as this user."
    )
    app_database_url: str | None = Field(
        default=None,
        description="URL of the service role; derived from database_url when unset.",
    )
    app_db_password: str | None = None
    worker_database_url: str | None = Field(
        default=None,
        description="URL of the workers' role; derived from database_url when unset.",
    )
    worker_db_password: str | None = None
    broker_url: str | None = None
    #: The embedded PostgreSQL's shared_buffers ("2GB"); unset: a quarter of memory.
    pg_shared_buffers: str | None = None
    port: int = 8000
    host: str = "127.0.0.1"
    max_body_bytes: int = 1_048_576
    max_upload_bytes: int = 15_728_640
    max_image_pixels: int = 40_000_000
    pool_min_size: int = 1
    pool_max_size: int = 10
    audit_key_file: Path | None = None
    #: Where signed checkpoints are published, one JSON line each (default
    #: ``<home>/audit-checkpoints.jsonl``); point it outside the database's machine.
    audit_checkpoint_file: Path | None = None
    audit_checkpoint_interval_s: float = 300.0
    redeliver_after_s: float = 900.0
    #: How long a worker holds a job before it has locked it; a killed worker's job is
    #: published again this long after it was taken.
    job_lease_s: float = 20.0
    #: Workers ``tessera run`` starts (default: one per core).
    workers: int | None = None
    #: Whether ``tessera worker`` also runs the outbox relay and the checkpointer
    #: (``tessera run`` runs them in a process of their own).
    worker_relay: bool = True
    heartbeat_s: float = 5.0
    retry_backoff_s: float = 2.0
    #: Deliveries of one outbox job before it is dead-lettered (its match run marked failed).
    max_attempts: int = Field(default=5, ge=1)
    max_bulk_bytes: int = 67_108_864
    evidence_keys: str | None = None
    desk_idle_timeout_s: float = 900.0
    #: The longest a desk session lasts, however active (seconds).
    desk_max_session_s: float = Field(default=12 * 3600.0, gt=0)
    #: Identity records per indexing job (an import of n records is n / this many jobs).
    #: The indexing statement costs 411 us a record in batches of 500, 338 in batches of
    #: 2,000 and 349 in batches of 5,000 (bench/index_write.py, 100,000 records): the key
    #: counts a batch shares are moved once.
    index_batch: int = Field(default=2000, ge=1, le=100_000)
    #: Pages (8 kB) an index table may grow by after it was last vacuumed or analyzed
    #: before the worker that empties the index queue vacuums and analyzes it (1,000
    #: pages of search keys are about 5,000 imported records).
    index_vacuum_pages: int = Field(default=1_000, ge=1)
    #: Failed sign-ins a source (or a token id) may make in one window before it is refused.
    failed_sign_in_limit: int = Field(default=10, ge=1)
    #: The failed sign-ins' window, in seconds; counts start again when it has passed.
    failed_sign_in_window_s: int = Field(default=60, ge=1, le=86_400)
    #: Queries (POST /v1/match) one partner agency may make in one window, across
    #: every API process; past it, 429 rate_limited with Retry-After.
    partner_query_limit: int = Field(default=120, ge=1)
    partner_query_window_s: int = Field(default=60, ge=1, le=86_400)
    #: How often the worker's beat runs the retention sweep.
    retention_sweep_interval_s: float = 3600.0


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
