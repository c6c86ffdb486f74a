"""SQL for evidence: append-only items of a case, and the sealed face images."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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
                  EXISTS (SELECT 1 FROM evidence s WHERE s.supersedes = e.id), e.data, e.checks,
                  e.erased_at
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
            erased_at=r[7],
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
            "form",
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
    return {k: data[k] for k in ("status", "byte_size", "content_type", "quality") if k in data}


def insert_face_image(
    conn: Conn,
    *,
    evidence_id: UUID,
    case_id: UUID,
    key_id: str,
    nonce: bytes,
    ciphertext: bytes,
    thumb_nonce: bytes,
    thumb_ciphertext: bytes,
    content_type: str,
    byte_size: int,
    quality: Mapping[str, Any],
) -> None:
    """The sealed original and thumbnail (one key, two nonces) and the quality report."""
    conn.execute(
        "INSERT INTO face_images (evidence_id, case_id, key_id, nonce, ciphertext, "
        "thumb_nonce, thumb_ciphertext, content_type, byte_size, status, quality) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, 'usable', %s)",
        (
            evidence_id,
            case_id,
            key_id,
            nonce,
            ciphertext,
            thumb_nonce,
            thumb_ciphertext,
            content_type,
            byte_size,
            json.dumps(quality),
        ),
    )


def vector_literal(vector: Sequence[float]) -> str:
    """pgvector's text form, ``[x,y,...]``: sent as a parameter and cast, never inlined."""
    return "[" + ",".join(repr(float(x)) for x in vector) + "]"


def insert_face_embedding(
    conn: Conn, *, evidence_id: UUID, case_id: UUID, embedding: Sequence[float], model: str
) -> None:
    conn.execute(
        "INSERT INTO face_embeddings (evidence_id, case_id, embedding, model) "
        "VALUES (%s, %s, %s::vector, %s)",
        (evidence_id, case_id, vector_literal(embedding), model),
    )


def evidence_for_erasure(
    conn: Conn, case_id: UUID, evidence_id: UUID
) -> tuple[str, datetime | None] | None:
    """The item's kind and erasure time, locked; None when it is not this case's."""
    row = conn.execute(
        "SELECT kind, erased_at FROM evidence WHERE id = %s AND case_id = %s FOR UPDATE",
        (evidence_id, case_id),
    ).fetchone()
    return (row[0], row[1]) if row else None


def erase_face_data(conn: Conn, evidence_id: UUID) -> list[str]:
    """Delete the sealed image and thumbnail and the embedding (and with the row, its
    HNSW index entry). Returns what was removed."""
    removed: list[str] = []
    if conn.execute("DELETE FROM face_images WHERE evidence_id = %s", (evidence_id,)).rowcount:
        removed += ["image", "thumbnail"]
    if conn.execute("DELETE FROM face_embeddings WHERE evidence_id = %s", (evidence_id,)).rowcount:
        removed.append("embedding")
    return removed


def mark_erased(conn: Conn, evidence_id: UUID, tombstone: Mapping[str, Any]) -> datetime:
    """Replace the item's data with its tombstone, keep of its checks only what they
    found (no MRZ names, dates or numbers: ``tessera_redacted_checks``) and stamp it
    erased (the one update evidence allows)."""
    row = conn.execute(
        "UPDATE evidence SET erased_at = now(), data = %s, "
        "checks = tessera_redacted_checks(checks) WHERE id = %s RETURNING erased_at",
        (json.dumps(tombstone), evidence_id),
    ).fetchone()
    assert row is not None
    erased_at: datetime = row[0]
    return erased_at


def case_evidence(conn: Conn, case_id: UUID) -> list[tuple[UUID, str, dict[str, Any]]]:
    """The case's current evidence: items nothing supersedes, oldest first."""
    rows = conn.execute(
        """SELECT e.id, e.kind, e.data FROM evidence e
           WHERE e.case_id = %s AND e.erased_at IS NULL
             AND NOT EXISTS (SELECT 1 FROM evidence s WHERE s.supersedes = e.id)
           ORDER BY e.created_at, e.id""",
        (case_id,),
    ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


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
