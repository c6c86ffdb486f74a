"""Connections of the service role, and the per-transaction agency context."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Literal
from uuid import UUID

from psycopg import Connection
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool

from service import repository
from service.errors import Unauthorized

Conn = Connection[TupleRow]


@dataclass(frozen=True, slots=True)
class Proof:
    """What the database is shown when a transaction enters a principal's context
    (migration 0019): the SHA-256 of a token's secret with its key id, or of a desk
    session's id. Never logged or shown."""

    kind: Literal["token", "session"]
    digest: bytes
    key_id: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is acting: a user of an agency in one role.

    A user's principal carries the ``proof`` it was authenticated with, which the
    database checks again at the start of every transaction. A principal without one is
    a machine (``system``, ``worker``, ``retention``: only the workers' database role may
    enter those) or an operator's command on the owner's connection.
    """

    user_id: UUID
    agency_id: UUID
    role: str
    proof: Proof | None = field(default=None, repr=False, compare=False)


def open_pool(url: str, *, min_size: int = 1, max_size: int = 10) -> ConnectionPool[Conn]:
    """A pool of service-role connections, opened and checked."""
    pool: ConnectionPool[Conn] = ConnectionPool(
        url, min_size=min_size, max_size=max_size, open=False, kwargs={"autocommit": False}
    )
    pool.open(wait=True, timeout=30)
    return pool


MACHINE_ROLES = frozenset({"system", "worker", "retention"})


def set_context(conn: Conn, principal: Principal | None) -> None:
    """Scope the current transaction to ``principal``'s agency and role (RLS reads these).

    The database derives the context from the principal's proof (a user), or admits a
    machine role only on the workers' connection; any other principal is entered as the
    owner, which only operators' commands connect as. ``None`` leaves every context.
    """
    if principal is None:
        repository.leave_context(conn)
    elif principal.proof is not None:
        entered = repository.enter_with_proof(conn, principal.proof)
        if entered != (principal.user_id, principal.agency_id, principal.role):
            # the token or session changed hands, or its user was disabled, meanwhile
            raise Unauthorized("That token or session is no longer valid.", code="invalid_token")
    elif principal.role in MACHINE_ROLES:
        repository.enter_machine(conn, principal.role, principal.agency_id)
    else:
        repository.set_owner_context(
            conn, user=principal.user_id, agency=principal.agency_id, role=principal.role
        )


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
