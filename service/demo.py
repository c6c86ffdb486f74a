"""A small demo data set: two agencies, one user per role, a gallery and a case."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from service import audit
from service.db import Principal, set_context
from service.repositories import admin as repo
from service.security import issue_token

DEMO_AGENCY = "Demo Identification Office"
DEMO_PARTNER = "Demo Partner Consulate"


def _agency(conn: psycopg.Connection[tuple[Any, ...]], name: str, country: str) -> UUID:
    row = conn.execute("SELECT id FROM agencies WHERE name = %s", (name,)).fetchone()
    agency_id: UUID = row[0] if row else repo.insert_agency(conn, name, country).id
    return agency_id


def load_demo(owner_url: str) -> dict[str, str]:
    """Load the demo data (again, harmlessly) and return a fresh token per role."""
    tokens: dict[str, str] = {}
    with psycopg.connect(owner_url) as conn, conn.transaction():
        set_context(conn, Principal(user_id=UUID(int=0), agency_id=UUID(int=0), role="admin"))
        office = _agency(conn, DEMO_AGENCY, "DEU")
        partner = _agency(conn, DEMO_PARTNER, "CHN")
        users = [
            ("admin", office, "Demo administrator", "admin"),
            ("caseworker", office, "Demo caseworker A", "caseworker"),
            ("caseworker2", office, "Demo caseworker B", "caseworker"),
            ("auditor", office, "Demo auditor", "auditor"),
            ("partner", partner, "Demo partner officer", "partner"),
        ]
        for label, agency_id, name, role in users:
            issued = issue_token()
            user_id = repo.insert_user(
                conn,
                agency_id=agency_id,
                name=name,
                role=role,
                key_id=issued.key_id,
                secret_hash=issued.secret_hash,
            )
            audit.append(
                conn,
                None,
                "demo.user.create",
                object_type="user",
                object_id=user_id,
                details={"role": role},
            )
            tokens[label] = issued.token
    return tokens
