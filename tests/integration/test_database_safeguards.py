"""The database itself enforces the isolation: grants, roles and RLS settings."""

from __future__ import annotations

from typing import Any

import psycopg

from service.ops.migrate import APP_ROLE

AGENCY_TABLES_QUERY = """
    SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind = 'r'
      AND EXISTS (SELECT 1 FROM pg_attribute a
                  WHERE a.attrelid = c.oid AND a.attname LIKE '%%agency_id' AND NOT a.attisdropped)
"""


def test_every_table_with_agency_data_forces_row_level_security(
    owner_conn: psycopg.Connection[Any],
) -> None:
    rows = owner_conn.execute(AGENCY_TABLES_QUERY).fetchall()
    assert {"cases", "evidence", "identities", "users", "audit_events"} <= {r[0] for r in rows}
    unprotected = [name for name, enabled, forced in rows if not (enabled and forced)]
    assert unprotected == []


def test_the_service_role_cannot_bypass_rls_or_own_tables(
    owner_conn: psycopg.Connection[Any],
) -> None:
    role = owner_conn.execute(
        "SELECT rolsuper, rolbypassrls, rolcreaterole, rolcreatedb FROM pg_roles "
        "WHERE rolname = %s",
        (APP_ROLE,),
    ).fetchone()
    assert role == (False, False, False, False)
    owned = owner_conn.execute(
        "SELECT count(*) FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner "
        "WHERE r.rolname = %s AND c.relpersistence <> 't'",  # its sessions' temp tables aside
        (APP_ROLE,),
    ).fetchone()
    assert owned == (0,)


def test_the_service_role_may_only_read_the_audit_log(
    owner_conn: psycopg.Connection[Any],
) -> None:
    privileges = {
        privilege: owner_conn.execute(
            "SELECT has_table_privilege(%s, 'audit_events', %s)", (APP_ROLE, privilege)
        ).fetchone()[0]  # type: ignore[index]
        for privilege in ("INSERT", "SELECT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES")
    }
    # appending goes through tessera_audit_append() alone (tests/integration/test_audit_log.py)
    assert privileges == {
        "INSERT": False,
        "SELECT": True,
        "UPDATE": False,
        "DELETE": False,
        "TRUNCATE": False,
        "REFERENCES": False,
    }


def test_without_an_agency_the_service_role_sees_no_rows(
    servers: Any, client: Any, agency: Any
) -> None:
    with psycopg.connect(servers.app_url) as conn:
        for table in ("cases", "evidence", "identities", "users", "audit_events"):
            count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()
            assert count == (0,), table
