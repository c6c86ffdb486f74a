"""SQL for retention: the periods, what is due, and the erasure functions (0014)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from schemas.rights import RetentionKind, RetentionPeriod
from service.db import Conn

#: Session-level advisory lock that keeps two sweeps (two beats) from running together.
SWEEP_LOCK = 7_341_003


@dataclass(frozen=True, slots=True)
class Due:
    kind: str  # case, identity, evidence
    id: UUID
    agency_id: UUID


def agency_exists(conn: Conn, agency_id: UUID) -> bool:
    return conn.execute("SELECT 1 FROM agencies WHERE id = %s", (agency_id,)).fetchone() is not None


def periods(conn: Conn, agency_id: UUID) -> list[RetentionPeriod]:
    """The period of each kind for the agency: its own row, else the default."""
    rows = conn.execute(
        """SELECT DISTINCT ON (kind) kind, days,
                  CASE WHEN agency_id IS NULL THEN 'default' ELSE 'agency' END
           FROM retention_periods
           WHERE agency_id = %s OR agency_id IS NULL
           ORDER BY kind, agency_id IS NULL""",
        (agency_id,),
    ).fetchall()
    return [RetentionPeriod(kind=r[0], days=r[1], source=r[2]) for r in rows]


def set_period(
    conn: Conn, agency_id: UUID, kind: RetentionKind, days: int, updated_by: UUID
) -> None:
    conn.execute(
        """INSERT INTO retention_periods (agency_id, kind, days, updated_by)
           VALUES (%s, %s, %s, %s)
           ON CONFLICT (agency_id, kind) DO UPDATE
              SET days = EXCLUDED.days, updated_by = EXCLUDED.updated_by, updated_at = now()""",
        (agency_id, kind, days, updated_by),
    )


def due(conn: Conn, now: datetime, limit: int) -> list[Due]:
    """What has passed its retention at ``now`` (the retention role only)."""
    rows = conn.execute(
        "SELECT kind, id, agency_id FROM tessera_retention_due(%s, %s)", (now, limit)
    ).fetchall()
    return [Due(kind=r[0], id=r[1], agency_id=r[2]) for r in rows]


def _counts(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    loaded: dict[str, Any] = value if isinstance(value, dict) else json.loads(value)
    return loaded


def erase_case(conn: Conn, case_id: UUID, *, refuse_confirmed: bool) -> Mapping[str, Any] | None:
    """Erase a case of the current agency and everything derived from it; the counts of
    what went, ``{"refused": code}``, or None when the agency holds no such case."""
    row = conn.execute("SELECT tessera_erase_case(%s, %s)", (case_id, refuse_confirmed)).fetchone()
    return _counts(row[0]) if row else None


def erase_identity(
    conn: Conn, identity_id: UUID, *, refuse_confirmed: bool
) -> Mapping[str, Any] | None:
    """As ``erase_case``, for an identity record."""
    row = conn.execute(
        "SELECT tessera_erase_identity(%s, %s)", (identity_id, refuse_confirmed)
    ).fetchone()
    return _counts(row[0]) if row else None


def erase_evidence(conn: Conn, evidence_id: UUID) -> Mapping[str, Any] | None:
    """Erase one item of evidence (tombstone, photo, thumbnail, embedding, MRZ reading)."""
    row = conn.execute("SELECT tessera_erase_evidence(%s)", (evidence_id,)).fetchone()
    return _counts(row[0]) if row else None


def try_lock_sweep(conn: Conn) -> bool:
    row = conn.execute("SELECT pg_try_advisory_lock(%s)", (SWEEP_LOCK,)).fetchone()
    return bool(row and row[0])


def unlock_sweep(conn: Conn) -> None:
    conn.execute("SELECT pg_advisory_unlock(%s)", (SWEEP_LOCK,))


def queue_case_reindex(conn: Conn, agency_id: UUID, case_id: UUID) -> None:
    """Rebuild the case's profile without the erased item (an outbox job, this transaction)."""
    conn.execute(
        "INSERT INTO outbox (agency_id, kind, payload) VALUES (%s, 'index_subjects', %s)",
        (agency_id, json.dumps({"cases": [str(case_id)]})),
    )
