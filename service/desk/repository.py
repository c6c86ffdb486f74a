"""SQL the desk needs beyond the API's repositories: its sessions, and a few reads.

Every query runs in a transaction scoped to the signed-in user (row-level security),
like the API's own; nothing here reads across agencies.
"""

from __future__ import annotations

from collections.abc import Sequence
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


# Caseworker reads ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenReviews:
    """Candidates of a case with a verdict given and no confirmation yet, and how many of
    those still wait for the current user. Verdicts themselves are not read."""

    open: int
    awaiting_you: int


def open_reviews(conn: Conn, case_ids: Sequence[UUID], user_id: UUID) -> dict[UUID, OpenReviews]:
    rows = conn.execute(
        """SELECT c.case_id,
                  count(*) AS open,
                  count(*) FILTER (WHERE NOT EXISTS (
                      SELECT 1 FROM decisions m
                      WHERE m.candidate_id = c.id AND m.reviewer_id = %s)) AS awaiting_you
           FROM candidates c
           WHERE c.case_id = ANY(%s) AND c.status <> 'confirmed'
             AND EXISTS (SELECT 1 FROM decisions d WHERE d.candidate_id = c.id)
           GROUP BY c.case_id""",
        (user_id, list(case_ids)),
    ).fetchall()
    return {row[0]: OpenReviews(open=row[1], awaiting_you=row[2]) for row in rows}


def latest_run_id(conn: Conn, case_id: UUID) -> UUID | None:
    """The case's most recently requested match run, whatever its state."""
    row = conn.execute(
        "SELECT id FROM match_runs WHERE case_id = %s ORDER BY created_at DESC, id LIMIT 1",
        (case_id,),
    ).fetchone()
    return row[0] if row else None


@dataclass(frozen=True, slots=True)
class SealedThumbnail:
    key_id: str
    nonce: bytes
    ciphertext: bytes


def face_thumbnail(conn: Conn, case_id: UUID, evidence_id: UUID) -> SealedThumbnail | None:
    """The sealed thumbnail of a face image of this case (own agency only, by policy)."""
    row = conn.execute(
        "SELECT key_id, thumb_nonce, thumb_ciphertext FROM face_images "
        "WHERE evidence_id = %s AND case_id = %s AND thumb_ciphertext IS NOT NULL",
        (evidence_id, case_id),
    ).fetchone()
    if row is None:
        return None
    return SealedThumbnail(key_id=row[0], nonce=bytes(row[1]), ciphertext=bytes(row[2]))


def thumbnails_of(conn: Conn, case_id: UUID) -> list[UUID]:
    """The evidence ids of this case's face images that have a thumbnail, oldest first."""
    rows = conn.execute(
        "SELECT evidence_id FROM face_images WHERE case_id = %s AND thumb_ciphertext IS NOT NULL "
        "ORDER BY created_at, evidence_id",
        (case_id,),
    ).fetchall()
    return [row[0] for row in rows]
