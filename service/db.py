"""Connections of the service role, and the per-transaction agency context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

from psycopg import Connection
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool

Conn = Connection[TupleRow]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a user of an agency in one role."""

    user_id: UUID
    agency_id: UUID
    role: str


def open_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> ConnectionPool[Conn]:
    """A pool of service-role connections, opened and checked."""
    pool: ConnectionPool[Conn] = ConnectionPool(
        url, min_size=min_size, max_size=max_size, open=False, kwargs={"autocommit": False}
    )
    pool.open(wait=True, timeout=30)
    return pool


def set_context(conn: Conn, principal: Principal | None) -> None:
    """Scope the current transaction to ``principal``'s agency and role (RLS reads these)."""
    agency = str(principal.agency_id) if principal else ""
    user = str(principal.user_id) if principal else ""
    role = principal.role if principal else ""
    conn.execute(
        "SELECT set_config('tessera.agency_id', %s, true), "
        "set_config('tessera.user_id', %s, true), set_config('tessera.role', %s, true)",
        (agency, user, role),
    )


@contextmanager
def transaction(pool: ConnectionPool[Conn], principal: Principal | None) -> Iterator[Conn]:
    """One transaction as ``principal``: committed on success, rolled back on error."""
    with pool.connection() as conn, conn.transaction():
        set_context(conn, principal)
        yield conn
