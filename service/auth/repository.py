"""SQL of authentication: who holds a token, and failed sign-ins per source address and
per token id, kept in PostgreSQL so that every API process and the desk count together
(through definer functions; the application role has no access to the tables itself)."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from service.db import Conn


@dataclass(frozen=True, slots=True)
class Failure:
    """A failure just counted: the source's count in its window, the token id's count
    (None without a token id), and the totals of a window this failure closed."""

    failures: int
    key_failures: int | None
    closed_failures: int | None
    closed_refused: int | None


def retry_after(conn: Conn, source: str, key_id: str | None, *, limit: int, window_s: int) -> int:
    """Seconds the source or token id must wait (0: it may try now); a refusal is counted.

    The refusal count is written without waiting for the disk (a crash may lose a few):
    a flood of refused requests must not cost a WAL flush each. The transaction writes
    nothing else; a request that is let through only reads here.
    """
    conn.execute("SET LOCAL synchronous_commit = off")
    row = conn.execute(
        "SELECT tessera_auth_retry_after(%s, %s, %s, %s)", (source, key_id, limit, window_s)
    ).fetchone()
    return int(row[0]) if row else 0


def record_failure(conn: Conn, source: str, key_id: str | None, *, window_s: int) -> Failure:
    row = conn.execute(
        "SELECT failures, key_failures, closed_failures, closed_refused "
        "FROM tessera_auth_failed(%s, %s, %s)",
        (source, key_id, window_s),
    ).fetchone()
    assert row is not None
    return Failure(int(row[0]), row[1], row[2], row[3])


@dataclass(frozen=True, slots=True)
class TokenOwner:
    """The user a token id belongs to, and the hash of that token's secret."""

    user_id: UUID
    agency_id: UUID
    role: str
    secret_hash: bytes


def token_owner(conn: Conn, key_id: str) -> TokenOwner | None:
    """Who holds the token with this public id (a definer function: the service role
    cannot read the users' secrets itself)."""
    row = conn.execute(
        "SELECT user_id, agency_id, role, secret_hash FROM tessera_auth_lookup(%s)", (key_id,)
    ).fetchone()
    if row is None:
        return None
    return TokenOwner(user_id=row[0], agency_id=row[1], role=row[2], secret_hash=bytes(row[3]))
