"""SQL for identity records."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row

from schemas.identities import IdentityRead
from service.db import Conn

_IDENTITY = "id, external_id, person, created_at, updated_at"


def insert_identity(
    conn: Conn, *, external_id: str | None, person: Mapping[str, Any], created_by: UUID
) -> IdentityRead | None:
    """The new record, or None when the agency already has that external id."""
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(IdentityRead)) as cur:
            cur.execute(
                f"INSERT INTO identities (external_id, person, created_by) VALUES (%s, %s, %s) "  # noqa: S608
                f"RETURNING {_IDENTITY}",
                (external_id, json.dumps(person, ensure_ascii=False), created_by),
            )
            return cur.fetchone()
    except psycopg.errors.UniqueViolation:
        return None


def get_identity(conn: Conn, identity_id: UUID) -> IdentityRead | None:
    with conn.cursor(row_factory=class_row(IdentityRead)) as cur:
        cur.execute(f"SELECT {_IDENTITY} FROM identities WHERE id = %s", (identity_id,))  # noqa: S608
        return cur.fetchone()


def upsert_many(
    conn: Conn, rows: Sequence[tuple[str, Mapping[str, Any] | str]], created_by: UUID
) -> tuple[list[UUID], int]:
    """Insert or update records by external id in one statement; unchanged ones are left.

    A person is a mapping or its JSON text. Returns the ids written (new or changed)
    and how many of them were new.
    """
    if not rows:
        return [], 0
    # COPY cannot write a table under row-level security, but it can fill a temporary
    # table of this session; one INSERT ... SELECT then applies the policies.
    conn.execute(
        "CREATE TEMP TABLE IF NOT EXISTS identities_in (external_id text, person jsonb) "
        "ON COMMIT DELETE ROWS"
    )
    with conn.cursor().copy("COPY identities_in (external_id, person) FROM STDIN") as copy:
        for external_id, person in rows:
            text = person if isinstance(person, str) else json.dumps(person, ensure_ascii=False)
            copy.write_row((external_id, text))
    # Unchanged records are dropped before the upsert: ON CONFLICT would lock (and so
    # write) every existing row even when its WHERE then leaves it alone.
    written = conn.execute(
        """INSERT INTO identities (external_id, person, created_by)
           SELECT t.external_id, t.person, %s FROM identities_in t
           WHERE NOT EXISTS (SELECT 1 FROM identities i
                             WHERE i.agency_id = tessera_agency()
                               AND i.external_id = t.external_id AND i.person = t.person)
           ON CONFLICT (agency_id, external_id) DO UPDATE
              SET person = EXCLUDED.person, updated_at = now()
              WHERE identities.person IS DISTINCT FROM EXCLUDED.person
           RETURNING id, (xmax = 0)""",
        (created_by,),
    ).fetchall()
    return [row[0] for row in written], sum(1 for row in written if row[1])


# Imports ----------------------------------------------------------------------------------


def insert_import(
    conn: Conn,
    *,
    created_by: UUID,
    received: int,
    created: int,
    updated: int,
    unchanged: int,
    rejected: int,
    written: Sequence[UUID],
) -> UUID:
    """Record one bulk import and the records it created or changed; its id."""
    row = conn.execute(
        "INSERT INTO imports (created_by, received, created, updated, unchanged, rejected, "
        "searchable_at) VALUES (%s, %s, %s, %s, %s, %s, "
        "CASE WHEN %s THEN now() END) RETURNING id",
        (created_by, received, created, updated, unchanged, rejected, not written),
    ).fetchone()
    assert row is not None
    import_id: UUID = row[0]
    if written:
        conn.execute(
            "INSERT INTO import_records (import_id, identity_id) SELECT %s, unnest(%s::uuid[])",
            (import_id, list(written)),
        )
    return import_id


@dataclass(frozen=True, slots=True)
class ImportStatus:
    id: UUID
    received: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    created_at: datetime
    searchable_at: datetime | None
    indexed: int


def import_status(conn: Conn, import_id: UUID, profile_version: str) -> ImportStatus | None:
    """An import of this agency and how many of its records are indexed now: their
    profile holds the record's current person at ``profile_version``. The first time
    all are, ``searchable_at`` is set to when the last of them was indexed."""
    with conn.cursor(row_factory=class_row(ImportStatus)) as cur:
        cur.execute(
            """SELECT m.id, m.received, m.created, m.updated, m.unchanged, m.rejected,
                      m.created_at, m.searchable_at, coalesce(c.indexed, 0)::int AS indexed
               FROM imports m
               LEFT JOIN LATERAL (
                   SELECT count(*) AS indexed
                   FROM import_records r
                   JOIN identities i ON i.id = r.identity_id
                   JOIN match_profiles p ON p.subject_id = r.identity_id
                   WHERE r.import_id = m.id AND p.algorithm = %s AND p.person = i.person
               ) AS c ON true
               WHERE m.id = %s""",
            (profile_version, import_id),
        )
        status = cur.fetchone()
    if status is None or status.searchable_at is not None:
        return status
    if status.indexed < status.created + status.updated:
        return status
    row = conn.execute(
        """UPDATE imports SET searchable_at = greatest(
               created_at,
               (SELECT max(p.updated_at) FROM import_records r
                JOIN match_profiles p ON p.subject_id = r.identity_id
                WHERE r.import_id = imports.id))
           WHERE id = %s AND searchable_at IS NULL RETURNING searchable_at""",
        (import_id,),
    ).fetchone()
    if row is None:
        return import_status(conn, import_id, profile_version)
    return dataclasses.replace(status, searchable_at=row[0])
