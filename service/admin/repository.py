"""SQL for agencies, users and sharing agreements."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from psycopg.rows import class_row

from schemas.admin import AgencyRead, SharingAgreementRead, UserRead
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


_USER_COLUMNS = "id, agency_id, name, role, created_at, disabled_at"
_AGREEMENT_COLUMNS = (
    "id, owner_agency_id, partner_agency_id, purpose, expires_at, created_at, revoked_at"
)


def disable_user(conn: Conn, user_id: UUID) -> tuple[UserRead | None, bool]:
    """Disable the user (once); returns the user (None if there is none) and whether this
    call disabled it. The database ends the user's desk sessions in the same step."""
    with conn.cursor(row_factory=class_row(UserRead)) as cur:
        cur.execute(
            f"UPDATE users SET disabled_at = now() WHERE id = %s AND disabled_at IS NULL "  # noqa: S608
            f"RETURNING {_USER_COLUMNS}",
            (user_id,),
        )
        changed = cur.fetchone()
        if changed is not None:
            return changed, True
        cur.execute(f"SELECT {_USER_COLUMNS} FROM users WHERE id = %s", (user_id,))  # noqa: S608
        return cur.fetchone(), False


def revoke_sharing_agreement(
    conn: Conn, agreement_id: UUID, revoked_by: UUID
) -> tuple[SharingAgreementRead | None, bool]:
    """Revoke the agreement (once); returns it (None if there is none) and whether this
    call revoked it."""
    with conn.cursor(row_factory=class_row(SharingAgreementRead)) as cur:
        cur.execute(
            "UPDATE sharing_agreements SET revoked_at = now(), revoked_by = %s "  # noqa: S608
            f"WHERE id = %s AND revoked_at IS NULL RETURNING {_AGREEMENT_COLUMNS}",
            (revoked_by, agreement_id),
        )
        changed = cur.fetchone()
        if changed is not None:
            return changed, True
        cur.execute(
            f"SELECT {_AGREEMENT_COLUMNS} FROM sharing_agreements WHERE id = %s",  # noqa: S608
            (agreement_id,),
        )
        return cur.fetchone(), False


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
            "INSERT INTO sharing_agreements "  # noqa: S608
            "(owner_agency_id, partner_agency_id, purpose, expires_at, created_by) "
            "VALUES (%s, %s, %s, %s, %s) "
            f"RETURNING {_AGREEMENT_COLUMNS}",
            (owner_agency_id, partner_agency_id, purpose, expires_at, created_by),
        )
        row = cur.fetchone()
        assert row is not None
        return row


def agency_ids(conn: Conn) -> list[UUID]:
    """Every agency's id, in order."""
    return [row[0] for row in conn.execute("SELECT id FROM agencies ORDER BY id").fetchall()]
