"""SQL for agencies, users and sharing agreements."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from psycopg.rows import class_row

from schemas.admin import AgencyRead, SharingAgreementRead
from service.db import Conn


def insert_agency(conn: Conn, name: str, country: str) -> AgencyRead:
    with conn.cursor(row_factory=class_row(AgencyRead)) as cur:
        cur.execute(
            "INSERT INTO agencies (name, country) VALUES (%s, %s) "
            "ON CONFLICT (name) DO NOTHING RETURNING id, name, country, created_at",
            (name, country),
        )
        return cur.fetchone()  # type: ignore[return-value]


def agency_exists(conn: Conn, agency_id: UUID) -> bool:
    return conn.execute("SELECT 1 FROM agencies WHERE id = %s", (agency_id,)).fetchone() is not None


def insert_user(
    conn: Conn, *, agency_id: UUID, name: str, role: str, key_id: str, secret_hash: bytes
) -> UUID:
    row = conn.execute(
        "INSERT INTO users (agency_id, name, role, key_id, secret_hash) "
        "VALUES (%s, %s, %s, %s, %s) RETURNING id",
        (agency_id, name, role, key_id, secret_hash),
    ).fetchone()
    assert row is not None
    user_id: UUID = row[0]
    return user_id


def insert_sharing_agreement(
    conn: Conn,
    *,
    owner_agency_id: UUID,
    partner_agency_id: UUID,
    purpose: str,
    expires_at: datetime | None,
    created_by: UUID,
) -> SharingAgreementRead:
    with conn.cursor(row_factory=class_row(SharingAgreementRead)) as cur:
        cur.execute(
            "INSERT INTO sharing_agreements "
            "(owner_agency_id, partner_agency_id, purpose, expires_at, created_by) "
            "VALUES (%s, %s, %s, %s, %s) "
            "RETURNING id, owner_agency_id, partner_agency_id, purpose, expires_at, created_at",
            (owner_agency_id, partner_agency_id, purpose, expires_at, created_by),
        )
        row = cur.fetchone()
        assert row is not None
        return row


def agency_ids(conn: Conn) -> list[UUID]:
    """Every agency's id, in order."""
    return [row[0] for row in conn.execute("SELECT id FROM agencies ORDER BY id").fetchall()]
