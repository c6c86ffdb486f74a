"""Liveness: whether the database and the broker answer."""

from __future__ import annotations

from psycopg_pool import ConnectionPool

from service.db import Conn
from service.health import repository as repo


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


def database_ok(pool: ConnectionPool[Conn]) -> bool:
    try:
        with pool.connection(timeout=5) as conn:
            repo.ping(conn)
    except Exception:
        return False
    return True
