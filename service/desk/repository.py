"""SQL of the desk's own sessions (every other read goes through the domain services).

Every query runs in a transaction scoped to the signed-in user (row-level security),
like the API's own; nothing here reads across agencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from psycopg.rows import class_row

from service.db import Conn

# Sessions -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionRow:
    user_id: UUID
    agency_id: UUID
    role: str
    user_name: str
    purpose: str
    idle_s: float
    age_s: float


def find_session(conn: Conn, id_hash: bytes) -> SessionRow | None:
    """The session with this id hash and its user's current role, if any."""
    with conn.cursor(row_factory=class_row(SessionRow)) as cur:
        cur.execute(
            "SELECT user_id, agency_id, role, user_name, purpose, idle_s, age_s "
            "FROM tessera_desk_session(%s)",
            (id_hash,),
        )
        return cur.fetchone()


def insert_session(
    conn: Conn, *, id_hash: bytes, user_id: UUID, agency_id: UUID, purpose: str
) -> None:
    conn.execute(
        "INSERT INTO desk_sessions (id_hash, user_id, agency_id, purpose) VALUES (%s, %s, %s, %s)",
        (id_hash, user_id, agency_id, purpose),
    )


def touch_session(conn: Conn, id_hash: bytes) -> None:
    conn.execute("UPDATE desk_sessions SET last_seen_at = now() WHERE id_hash = %s", (id_hash,))


def delete_session(conn: Conn, id_hash: bytes) -> bool:
    return conn.execute("DELETE FROM desk_sessions WHERE id_hash = %s", (id_hash,)).rowcount > 0


def delete_stale_sessions(conn: Conn, *, idle_s: float, max_age_s: float) -> int:
    """Remove the current user's idle or too old sessions (the policy limits it to them)."""
    return conn.execute(
        "DELETE FROM desk_sessions WHERE last_seen_at < now() - make_interval(secs => %s) "
        "OR created_at < now() - make_interval(secs => %s)",
        (idle_s, max_age_s),
    ).rowcount
