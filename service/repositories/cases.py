"""SQL for cases and their evidence."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row

from schemas.cases import CaseListItem, CaseRead, EvidenceSummary
from service.db import Conn

_CASE = "id, reference, state, subject, created_by, created_at, updated_at"


def insert_case(
    conn: Conn, *, reference: str, subject: Mapping[str, Any], created_by: UUID
) -> CaseRead | None:
    """The new case, or None when the agency already has a case with that reference."""
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(CaseRead)) as cur:
            cur.execute(
                f"INSERT INTO cases (reference, subject, created_by) VALUES (%s, %s, %s) "  # noqa: S608
                f"RETURNING {_CASE}",
                (reference, json.dumps(subject, ensure_ascii=False), created_by),
            )
            return cur.fetchone()
    except psycopg.errors.UniqueViolation:
        return None


def get_case(conn: Conn, case_id: UUID) -> CaseRead | None:
    with conn.cursor(row_factory=class_row(CaseRead)) as cur:
        cur.execute(f"SELECT {_CASE} FROM cases WHERE id = %s", (case_id,))  # noqa: S608
        return cur.fetchone()


def list_cases(
    conn: Conn, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[CaseListItem]:
    with conn.cursor(row_factory=class_row(CaseListItem)) as cur:
        if after is None:
            cur.execute(
                "SELECT id, reference, state, created_at, updated_at FROM cases "
                "ORDER BY created_at, id LIMIT %s",
                (limit,),
            )
        else:
            cur.execute(
                "SELECT id, reference, state, created_at, updated_at FROM cases "
                "WHERE (created_at, id) > (%s, %s) ORDER BY created_at, id LIMIT %s",
                (*after, limit),
            )
        return cur.fetchall()


def insert_evidence(
    conn: Conn,
    *,
    case_id: UUID,
    kind: str,
    data: Mapping[str, Any],
    checks: Mapping[str, Any],
    supersedes: UUID | None,
    created_by: UUID,
) -> tuple[UUID, datetime]:
    row = conn.execute(
        "INSERT INTO evidence (case_id, kind, data, checks, supersedes, created_by) "
        "VALUES (%s, %s, %s, %s, %s, %s) RETURNING id, created_at",
        (
            case_id,
            kind,
            json.dumps(data, ensure_ascii=False),
            json.dumps(checks),
            supersedes,
            created_by,
        ),
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def evidence_kind(conn: Conn, case_id: UUID, evidence_id: UUID) -> tuple[str, bool] | None:
    """The kind of an item of this case, and whether something supersedes it already."""
    row = conn.execute(
        "SELECT e.kind, EXISTS (SELECT 1 FROM evidence s WHERE s.supersedes = e.id) "
        "FROM evidence e WHERE e.id = %s AND e.case_id = %s",
        (evidence_id, case_id),
    ).fetchone()
    return (row[0], row[1]) if row else None


def evidence_of(conn: Conn, case_id: UUID) -> list[EvidenceSummary]:
    rows = conn.execute(
        """SELECT e.id, e.kind, e.created_at, e.supersedes,
                  EXISTS (SELECT 1 FROM evidence s WHERE s.supersedes = e.id), e.data, e.checks
           FROM evidence e WHERE e.case_id = %s ORDER BY e.created_at, e.id""",
        (case_id,),
    ).fetchall()
    return [
        EvidenceSummary(
            id=r[0],
            kind=r[1],
            created_at=r[2],
            supersedes=r[3],
            superseded=r[4],
            summary=_summary(r[1], r[5]),
            checks=r[6],
        )
        for r in rows
    ]


def _summary(kind: str, data: Mapping[str, Any]) -> dict[str, Any]:
    if kind == "document":
        keep = (
            "type",
            "issuer",
            "number",
            "names",
            "surname",
            "given_names",
            "birth_date",
            "sex",
            "nationality",
            "expiry_date",
            "genuineness",
        )
        return {k: data[k] for k in keep if k in data}
    if kind == "interview":
        return {
            "claims": data.get("claims", {}),
            "parents": data.get("parents", []),
            "notes_chars": len(data.get("notes", "")),
        }
    if kind == "language_test":
        return dict(data)
    return {k: data[k] for k in ("status", "byte_size", "content_type") if k in data}


def insert_face_image(
    conn: Conn,
    *,
    evidence_id: UUID,
    case_id: UUID,
    key_id: str,
    nonce: bytes,
    ciphertext: bytes,
    content_type: str,
    byte_size: int,
) -> None:
    conn.execute(
        "INSERT INTO face_images (evidence_id, case_id, key_id, nonce, ciphertext, "
        "content_type, byte_size) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (evidence_id, case_id, key_id, nonce, ciphertext, content_type, byte_size),
    )
