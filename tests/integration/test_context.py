"""Who a transaction acts for is derived by the database from a proof (migration 0019):
holding the service's database role is not enough to act as anyone (issue 24).

Every test here runs as the roles themselves, in SQL, the way an insider holding the
role's password would.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient

from service.db import Principal, set_context
from service.errors import Unauthorized
from service.ops.migrate import WORKER_ROLE
from service.security import hash_secret, split_token
from tests.conftest import AgencyUsers, Servers, auth, open_case
from tests.principals import principal_of

NIL = UUID(int=0)


def _forge(conn: psycopg.Connection[Any], agency: UUID, role: str) -> None:
    """What the service role could do before 0019: name its own agency and role."""
    conn.execute(
        "SELECT set_config('tessera.agency_id', %s, true), "
        "set_config('tessera.user_id', %s, true), set_config('tessera.role', %s, true)",
        (str(agency), str(NIL), role),
    )


def _context(conn: psycopg.Connection[Any]) -> tuple[Any, ...] | None:
    return conn.execute("SELECT tessera_user(), tessera_agency(), tessera_role()").fetchone()


def test_settings_the_service_role_writes_itself_open_nothing(
    client: TestClient, agency: AgencyUsers, other_agency: AgencyUsers, servers: Servers
) -> None:
    open_case(client, agency.caseworker, "CTX-1", {"names": ["Amina Yusuf"]})
    with psycopg.connect(servers.app_url) as conn:
        for role in ("oversight", "auditor", "caseworker", "admin", "system", "worker"):
            with conn.transaction():
                _forge(conn, agency.id, role)
                assert _context(conn) == (None, None, "none")
                for table in ("audit_events", "cases", "users", "outbox", "identities"):
                    seen = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
                    assert seen == (0,), (role, table)


def test_the_service_role_cannot_write_a_context_or_enter_a_machine(servers: Servers) -> None:
    statements = (
        ("SELECT tessera_context_set(%s, %s, 'oversight')", (NIL, NIL)),
        ("SELECT tessera_enter_machine('system', %s)", (NIL,)),
        ("SELECT tessera_enter_machine('worker', %s)", (NIL,)),
        (
            "INSERT INTO tessera_contexts (pid, xact_start, role) "
            "VALUES (pg_backend_pid(), now(), 'oversight')",
            (),
        ),
        ("UPDATE tessera_contexts SET role = 'oversight'", ()),
        ("SELECT * FROM tessera_contexts", ()),
    )
    with psycopg.connect(servers.app_url) as conn:
        for statement, params in statements:
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute(statement, params)


def test_a_token_enters_its_own_user_and_nothing_else(
    client: TestClient, admin_token: str, agency: AgencyUsers, servers: Servers
) -> None:
    parts = split_token(agency.auditor)
    assert parts is not None
    key_id, secret = parts
    me = principal_of(servers.app_url, agency.auditor)
    with psycopg.connect(servers.app_url) as conn:
        with conn.transaction():
            row = conn.execute(
                "SELECT user_id, agency_id, role FROM tessera_enter(%s, %s)",
                (key_id, hash_secret(secret)),
            ).fetchone()
            assert row == (me.user_id, agency.id, "auditor")
            assert _context(conn) == (me.user_id, agency.id, "auditor")
            # a setting written afterwards changes nothing
            _forge(conn, NIL, "oversight")
            assert _context(conn) == (me.user_id, agency.id, "auditor")
        # the context ends with its transaction: the next one starts as nobody
        with conn.transaction():
            assert _context(conn) == (None, None, "none")
        for wrong in (hash_secret(secret + "x"), b"", hash_secret(secret)[:31]):
            with (
                pytest.raises(psycopg.errors.InvalidAuthorizationSpecification),
                conn.transaction(),
            ):
                conn.execute("SELECT * FROM tessera_enter(%s, %s)", (key_id, wrong))
    # a disabled user's token enters nothing, through SQL as through the API
    disabled = client.post(f"/v1/users/{me.user_id}/disable", headers=auth(admin_token))
    assert disabled.status_code == 200, disabled.text
    with (
        psycopg.connect(servers.app_url) as conn,
        pytest.raises(psycopg.errors.InvalidAuthorizationSpecification),
    ):
        conn.execute("SELECT * FROM tessera_enter(%s, %s)", (key_id, hash_secret(secret)))
    with (
        psycopg.connect(servers.app_url) as conn,
        conn.transaction(),
        pytest.raises(Unauthorized, match="no longer valid"),
    ):
        set_context(conn, me)


def test_the_workers_role_acts_as_a_machine_and_as_no_user(
    agency: AgencyUsers, servers: Servers, owner_conn: psycopg.Connection[Any]
) -> None:
    with psycopg.connect(servers.worker_url) as conn:
        with conn.transaction():
            set_context(conn, Principal(user_id=NIL, agency_id=agency.id, role="worker"))
            assert _context(conn) == (NIL, agency.id, "worker")
        for role in ("caseworker", "auditor", "oversight", "admin", "partner"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
                conn.execute("SELECT tessera_enter_machine(%s, %s)", (role, agency.id))
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            conn.execute(
                "SELECT tessera_context_set(%s, %s, 'oversight')", (agency.caseworker_id, agency.id)
            )
    attributes = owner_conn.execute(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
        "WHERE rolname = %s",
        (WORKER_ROLE,),
    ).fetchone()
    assert attributes == (False, False, False, False)
    owned = owner_conn.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
        "WHERE r.rolname = %s AND c.relpersistence <> 't'",
        (WORKER_ROLE,),
    ).fetchone()
    assert owned == (0,)


def test_every_policy_reads_the_context_once_per_statement(
    owner_conn: psycopg.Connection[Any],
) -> None:
    """A policy calling tessera_agency() for each row would look the context up per row."""
    rows = owner_conn.execute(
        "SELECT tablename, policyname, coalesce(qual, '') || ' ' || coalesce(with_check, '') "
        "FROM pg_policies WHERE schemaname = 'public'"
    ).fetchall()
    per_row = [
        (table, name)
        for table, name, text in rows
        for call in ("tessera_agency()", "tessera_user()", "tessera_role()")
        if text.count(call) != text.count(f"SELECT {call}")
    ]
    assert len(rows) > 40
    assert per_row == []
