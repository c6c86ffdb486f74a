"""SQL of the liveness check."""

from __future__ import annotations

from service.db import Conn


def ping(conn: Conn) -> None:
    """A round trip to the database."""
    conn.execute("SELECT 1")
