"""SQL for identity records."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
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
    # write) every existing row even when its WHERE then leaves it alone. The agency is
    # read once for the statement (a sub-select), not per row by the column default and
    # the anti-join: tessera_agency() looks up the context, about 8 us a call.
    written = conn.execute(
        """WITH me AS (SELECT tessera_agency() AS agency_id)
           INSERT INTO identities (agency_id, external_id, person, created_by)
           SELECT me.agency_id, t.external_id, t.person, %s FROM identities_in t, me
           WHERE NOT EXISTS (SELECT 1 FROM identities i
                             WHERE i.agency_id = me.agency_id
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
            # the agency once for the statement, not per row by the column default
            "INSERT INTO import_records (agency_id, import_id, identity_id) "
            "SELECT (SELECT tessera_agency()), %s, unnest(%s::uuid[])",
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
    """An import of this agency and how many of its records are indexed now: the
    records of its indexing jobs that finished without an error (each built its
    records' profiles from their person as it was then, the import's or a later one).
    The first time all are, ``searchable_at`` is set to when the last of them finished.

    Imports queued before their jobs named them (migration 0021) are counted the old
    way, from the profiles that hold the record's current person at ``profile_version``.
    """
    with conn.cursor(row_factory=class_row(_Progress)) as cur:
        cur.execute(
            """SELECT m.id, m.received, m.created, m.updated, m.unchanged, m.rejected,
                      m.created_at, m.searchable_at,
                      coalesce(j.indexed, 0)::int AS indexed, j.jobs::int AS jobs,
                      j.last_done
               FROM imports m
               LEFT JOIN LATERAL (
                   SELECT count(*) AS jobs,
                          sum(o.subjects) FILTER (WHERE o.done_at IS NOT NULL
                                                    AND o.last_error IS NULL) AS indexed,
                          max(o.done_at) AS last_done
                   FROM outbox o
                   WHERE o.import_id = m.id
               ) AS j ON true
               WHERE m.id = %s""",
            (import_id,),
        )
        progress = cur.fetchone()
    if progress is None:
        return None
    status, last_done = progress.status(), progress.last_done
    if progress.jobs == 0 and status.searchable_at is None:
        indexed, last_done = _indexed_by_profiles(conn, import_id, profile_version)
        status = dataclasses.replace(status, indexed=indexed)
    if status.searchable_at is not None or status.indexed < status.created + status.updated:
        return status
    row = conn.execute(
        """UPDATE imports SET searchable_at = greatest(created_at, %s)
           WHERE id = %s AND searchable_at IS NULL RETURNING searchable_at""",
        (last_done, import_id),
    ).fetchone()
    if row is None:
        return import_status(conn, import_id, profile_version)
    return dataclasses.replace(status, searchable_at=row[0])


@dataclass(frozen=True, slots=True)
class _Progress(ImportStatus):
    """An import's status as read, with what its indexing jobs say."""

    jobs: int
    last_done: datetime | None

    def status(self) -> ImportStatus:
        return ImportStatus(**{f.name: getattr(self, f.name) for f in fields(ImportStatus)})


def _indexed_by_profiles(
    conn: Conn, import_id: UUID, profile_version: str
) -> tuple[int, datetime | None]:
    """How many records of an import have a profile holding their current person, and
    when the last of those profiles was built."""
    row = conn.execute(
        """SELECT count(*)::int, max(p.updated_at) FROM import_records r
           JOIN identities i ON i.id = r.identity_id
           JOIN match_profiles p ON p.subject_id = r.identity_id
           WHERE r.import_id = %s AND p.algorithm = %s AND p.person = i.person""",
        (import_id, profile_version),
    ).fetchone()
    assert row is not None
    return row[0], row[1]
