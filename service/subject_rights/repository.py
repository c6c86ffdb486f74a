"""SQL for subject-access exports and deletions (the erasure functions of migration 0017)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar
from uuid import UUID

from psycopg.rows import class_row

from schemas.rights import (
    ExportedCandidate,
    ExportedDecision,
    ExportedEvent,
    ExportedEvidence,
    ExportedRun,
)
from service.db import Conn

_Row = TypeVar("_Row")


def _rows_of_case(conn: Conn, row: type[_Row], query: str, case_id: UUID) -> list[_Row]:
    """The rows ``query`` (with the case id as its one parameter) returns, as ``row``."""
    with conn.cursor(row_factory=class_row(row)) as cur:
        cur.execute(query, (case_id,))
        return cur.fetchall()


def case_row(conn: Conn, case_id: UUID) -> dict[str, Any] | None:
    """The whole stored case (the agency's own only, by row-level security)."""
    row = conn.execute(
        """SELECT id, reference, state, subject, outcome, close_reason, created_by,
                  created_at, updated_at, closed_at, closed_by, retention_until
           FROM cases WHERE id = %s""",
        (case_id,),
    ).fetchone()
    if row is None:
        return None
    keys = (
        "id",
        "reference",
        "state",
        "subject",
        "outcome",
        "close_reason",
        "created_by",
        "created_at",
        "updated_at",
        "closed_at",
        "closed_by",
        "retention_until",
    )
    return dict(zip(keys, row, strict=True))


def evidence_of(conn: Conn, case_id: UUID) -> list[ExportedEvidence]:
    return _rows_of_case(
        conn,
        ExportedEvidence,
        """SELECT e.id, e.kind, e.created_at, e.supersedes, e.erased_at, e.retention_until,
                  e.data, e.checks,
                  CASE WHEN f.evidence_id IS NULL THEN NULL ELSE jsonb_build_object(
                      'content_type', f.content_type, 'byte_size', f.byte_size,
                      'status', f.status, 'quality', f.quality,
                      'thumbnail', f.thumb_ciphertext IS NOT NULL,
                      'created_at', f.created_at) END AS photo
           FROM evidence e LEFT JOIN face_images f ON f.evidence_id = e.id
           WHERE e.case_id = %s ORDER BY e.created_at, e.id""",
        case_id,
    )


def runs_of(conn: Conn, case_id: UUID) -> list[ExportedRun]:
    return _rows_of_case(
        conn,
        ExportedRun,
        """SELECT id, state, algorithm, created_at, finished_at, candidate_count
           FROM match_runs WHERE case_id = %s ORDER BY created_at, id""",
        case_id,
    )


def candidates_of(conn: Conn, case_id: UUID) -> list[ExportedCandidate]:
    return _rows_of_case(
        conn,
        ExportedCandidate,
        """SELECT id, match_run_id, rank, kind, score, band, status
           FROM candidates WHERE case_id = %s ORDER BY match_run_id, rank""",
        case_id,
    )


def decisions_of(conn: Conn, case_id: UUID) -> list[ExportedDecision]:
    return _rows_of_case(
        conn,
        ExportedDecision,
        """SELECT id, candidate_id, reviewer_id, verdict, reason, algorithm, score, band,
                  created_at
           FROM decisions WHERE case_id = %s ORDER BY created_at, id""",
        case_id,
    )


def audit_events_of(conn: Conn, case_id: UUID) -> list[ExportedEvent]:
    """The log's events about the case (a definer function: caseworkers read no log)."""
    return _rows_of_case(
        conn,
        ExportedEvent,
        """SELECT seq, occurred_at, actor_id, role, action, object_type, object_id,
                  purpose, details
           FROM tessera_case_audit_events(%s)""",
        case_id,
    )


def erase_case(conn: Conn, case_id: UUID) -> Mapping[str, Any] | None:
    """Delete on request, as the retention sweep erases (``tessera_erase_case``), but
    refused (``{"refused": "case_identified"}``) for a case two confirmations identified;
    None when the agency holds no such case."""
    row = conn.execute("SELECT tessera_erase_case(%s, true)", (case_id,)).fetchone()
    result: Mapping[str, Any] | None = row[0] if row else None
    return result


def erase_identity(conn: Conn, identity_id: UUID) -> Mapping[str, Any] | None:
    """Delete on request; refused (``identity_confirmed_match``) for a record a case was
    identified as."""
    row = conn.execute("SELECT tessera_erase_identity(%s, true)", (identity_id,)).fetchone()
    result: Mapping[str, Any] | None = row[0] if row else None
    return result


def now(conn: Conn) -> Any:
    row = conn.execute("SELECT now()").fetchone()
    assert row is not None
    return row[0]
