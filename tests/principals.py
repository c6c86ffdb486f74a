"""Users made behind the API's back, for tests that act as them in SQL.

Since migration 0019 a transaction enters a user's context only by showing that user's
token (its key id and the SHA-256 of its secret): a test acting as a caseworker, an
auditor or an admin on the service role's connection needs a real user and token, as
the API does. :func:`make_user` creates one as the owner; :func:`principal_of` gives the
principal a token authenticates as, with its proof.
"""

from __future__ import annotations

import secrets
from uuid import UUID

import psycopg

from service.admin import repository as admin_repo
from service.auth.service import check_token
from service.db import Principal, set_context
from service.ops.migrate import app_url
from service.security import issue_token

_OPERATOR = Principal(user_id=UUID(int=0), agency_id=UUID(int=0), role="admin")


def make_user(
    owner_url: str, role: str, *, agency_id: UUID | None = None, country: str = "DEU"
) -> tuple[str, UUID]:
    """A new user of ``role`` (in a new agency unless ``agency_id``); its token and agency."""
    issued = issue_token()
    with psycopg.connect(owner_url) as conn, conn.transaction():
        set_context(conn, _OPERATOR)
        if agency_id is None:
            agency = admin_repo.insert_agency(conn, f"Test {secrets.token_hex(6)}", country)
            agency_id = agency.id
        admin_repo.insert_user(
            conn,
            agency_id=agency_id,
            name=f"Test {role}",
            role=role,
            key_id=issued.key_id,
            secret_hash=issued.secret_hash,
        )
    return issued.token, agency_id


def principal_of(app_url: str, token: str) -> Principal:
    """The principal ``token`` authenticates as, with its proof: what the API enters for
    a request, so a test acting as that user in SQL enters the same."""
    with psycopg.connect(app_url) as conn:
        return check_token(conn, f"Bearer {token}")


def new_principal(
    owner_url: str, role: str, *, agency_id: UUID | None = None, country: str = "DEU"
) -> Principal:
    """A new user of ``role`` (see :func:`make_user`), as its principal on the service
    role of the same database."""
    token, _ = make_user(owner_url, role, agency_id=agency_id, country=country)
    return principal_of(app_url(owner_url), token)
