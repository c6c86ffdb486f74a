"""SQL for evidence: append-only items of a case, and the sealed face images."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from schemas.evidence import EvidenceSummary
from service.db import Conn


def case_exists(conn: Conn, case_id: UUID) -> bool:
    """Whether the case is visible here: another agency's case is as absent as none."""
    return conn.execute("SELECT 1 FROM cases WHERE id = %s", (case_id,)).fetchone() is not None


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
