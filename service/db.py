"""Connections of the service role, and the per-transaction agency context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from uuid import UUID

from psycopg import Connection
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool

from service import repository

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
    repository.set_agency_context(conn, agency=agency, user=user, role=role)


@contextmanager
def transaction(pool: ConnectionPool[Conn], principal: Principal | None) -> Iterator[Conn]:
    """One transaction as ``principal``: committed on success, rolled back on error."""
    with pool.connection() as conn, conn.transaction():
        set_context(conn, principal)
        yield conn


#: The machine principals: no user. ``system`` reads the outbox and the switches; a
#: worker acts within one agency; ``admin`` (for start-up chores) lists agencies.
NIL = UUID(int=0)
SYSTEM = Principal(user_id=NIL, agency_id=NIL, role="system")
ADMIN = Principal(user_id=NIL, agency_id=NIL, role="admin")


def worker_principal(agency_id: UUID) -> Principal:
    """A worker acting for ``agency_id`` (row-level security scopes it to that agency)."""
    return Principal(user_id=NIL, agency_id=agency_id, role="worker")
