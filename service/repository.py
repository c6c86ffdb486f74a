"""SQL of the kernel: entering the transaction's context, which row-level security reads.

Every function here goes through a definer function of migration 0019; the service's
roles cannot write the context themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

import psycopg

if TYPE_CHECKING:  # service.db imports this module
    from service.db import Conn, Proof


def enter_with_proof(conn: Conn, proof: Proof) -> tuple[UUID, UUID, str] | None:
    """Enter the context of the user the proof belongs to; return (user, agency, role),
    or None when it opens nothing (a disabled user, an ended session)."""
    query = (
        "SELECT user_id, agency_id, role FROM tessera_enter(%s, %s)"
        if proof.kind == "token"
        else "SELECT user_id, agency_id, role FROM tessera_enter_session(%s)"
    )
    params = (proof.key_id, proof.digest) if proof.kind == "token" else (proof.digest,)
    try:  # a refusal aborts the transaction: the caller refuses the request
        row = conn.execute(query, params).fetchone()
    except psycopg.errors.InvalidAuthorizationSpecification:
        return None
    return (row[0], row[1], row[2]) if row else None


def enter_machine(conn: Conn, role: str, agency: UUID) -> None:
    """Enter a machine's context (only the workers' role and the owner may)."""
    conn.execute("SELECT tessera_enter_machine(%s, %s)", (role, agency))


def set_owner_context(conn: Conn, *, user: UUID, agency: UUID, role: str) -> None:
    """Enter any context: the owner's connection only (operators' commands)."""
    conn.execute("SELECT tessera_context_set(%s, %s, %s)", (user, agency, role))


def leave_context(conn: Conn) -> None:
    conn.execute("SELECT tessera_leave()")
