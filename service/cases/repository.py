"""SQL for cases."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row

from schemas.cases import CaseListItem, CaseRead, SubjectVersion
from service.db import Conn

_CASE = (
    "id, reference, state, subject, created_by, created_at, updated_at, "
    "outcome, close_reason, closed_at, closed_by"
)
_LISTED = "id, reference, state, outcome, created_at, updated_at"


def insert_case(
    conn: Conn, *, reference: str, subject: Mapping[str, Any], created_by: UUID
) -> CaseRead | None:
    """The new case, or None when the agency already has a case with that reference."""
    try:
        with conn.transaction(), conn.cursor(row_factory=class_row(CaseRead)) as cur:
            cur.execute(
                f"INSERT INTO cases (reference, subject, created_by) VALUES (%s, %s, %s) "  # noqa: S608
                f"RETURNING {_CASE}",
                (reference, json.dumps(subject, ensure_ascii=False), created_by),
            )
            return cur.fetchone()
    except psycopg.errors.UniqueViolation:
        return None


def get_case(conn: Conn, case_id: UUID) -> CaseRead | None:
    with conn.cursor(row_factory=class_row(CaseRead)) as cur:
        cur.execute(f"SELECT {_CASE} FROM cases WHERE id = %s", (case_id,))  # noqa: S608
        return cur.fetchone()


def list_cases(
    conn: Conn,
    *,
    after: tuple[datetime, UUID] | None,
    limit: int,
    state: str | None = None,
    reference: str | None = None,
    q: str | None = None,
    q_keys: Sequence[Sequence[str]] = (),
) -> list[CaseListItem]:
    """The agency's cases, oldest first, filtered. ``q`` matches a case whose subject's
    stored names contain it (any script, case-insensitively), or whose indexed profile
    holds a key of every group of ``q_keys`` (the transliterated keys of each word of
    the query, so a Latin query finds a name stored in Han or Cyrillic)."""
    pattern = (
        None
        if q is None
        else "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    )
    with conn.cursor(row_factory=class_row(CaseListItem)) as cur:
        cur.execute(
            f"""SELECT {_LISTED} FROM cases c
                WHERE (%(after_at)s::timestamptz IS NULL
                       OR (c.created_at, c.id) > (%(after_at)s, %(after_id)s::uuid))
                  AND (%(state)s::text IS NULL OR c.state = %(state)s)
                  AND (%(reference)s::text IS NULL OR c.reference = %(reference)s)
                  AND (%(pattern)s::text IS NULL
                       OR (c.subject -> 'names')::text ILIKE %(pattern)s
                       OR (jsonb_array_length(%(keys)s::jsonb) > 0 AND EXISTS (
                           SELECT 1 FROM match_profiles p
                           WHERE p.subject_id = c.id
                             AND NOT EXISTS (
                                 SELECT 1 FROM jsonb_array_elements(%(keys)s::jsonb) AS g(word)
                                 WHERE NOT p.keys && ARRAY(
                                     SELECT jsonb_array_elements_text(g.word))))))
                ORDER BY c.created_at, c.id LIMIT %(limit)s""",  # noqa: S608
            {
                "after_at": after[0] if after else None,
                "after_id": after[1] if after else None,
                "state": state,
                "reference": reference,
                "pattern": pattern,
                "keys": json.dumps([list(group) for group in q_keys]),
                "limit": limit,
            },
        )
        return cur.fetchall()


def case_state(conn: Conn, case_id: UUID) -> str | None:
    """The case's state, or None when this agency has no such case."""
    row = conn.execute("SELECT state FROM cases WHERE id = %s", (case_id,)).fetchone()
    return None if row is None else str(row[0])


def close_case(
    conn: Conn, case_id: UUID, *, outcome: str, reason: str, closed_by: UUID
) -> CaseRead | None:
    """Close the case (the caller has checked its state under lock); the closed case."""
    with conn.cursor(row_factory=class_row(CaseRead)) as cur:
        cur.execute(
            f"""UPDATE cases SET state = 'closed', outcome = %s, close_reason = %s,
                       closed_at = now(), closed_by = %s, updated_at = now()
                WHERE id = %s RETURNING {_CASE}""",  # noqa: S608
            (outcome, reason, closed_by, case_id),
        )
        return cur.fetchone()


def update_subject(
    conn: Conn, case_id: UUID, subject: Mapping[str, Any], reason: str
) -> CaseRead | None:
    """Store a new version of the subject (the database keeps the one it replaces in
    ``case_subject_versions``); the case, or None when this agency has no such case."""
    with conn.cursor(row_factory=class_row(CaseRead)) as cur:
        cur.execute(
            f"""UPDATE cases SET subject = %s, subject_reason = %s, updated_at = now()
                WHERE id = %s RETURNING {_CASE}""",  # noqa: S608
            (json.dumps(subject, ensure_ascii=False), reason, case_id),
        )
        return cur.fetchone()


def subject_versions(conn: Conn, case_id: UUID) -> list[SubjectVersion]:
    """Every version of the case's subject, newest first."""
    with conn.cursor(row_factory=class_row(SubjectVersion)) as cur:
        cur.execute(
            "SELECT version, subject, reason, changed_by, changed_at "
            "FROM case_subject_versions WHERE case_id = %s ORDER BY version DESC",
            (case_id,),
        )
        return cur.fetchall()


# Locked case facts, for the match pipeline -------------------------------------------


@dataclass(frozen=True, slots=True)
class CaseFacts:
    id: UUID
    agency_id: UUID
    reference: str
    state: str
    subject: dict[str, Any]
    created_by: UUID


def lock_case(conn: Conn, case_id: UUID) -> CaseFacts | None:
    with conn.cursor(row_factory=class_row(CaseFacts)) as cur:
        cur.execute(
            "SELECT id, agency_id, reference, state, subject, created_by FROM cases "
            "WHERE id = %s FOR UPDATE",
            (case_id,),
        )
        return cur.fetchone()


def set_case_state(conn: Conn, case_id: UUID, state: str) -> None:
    conn.execute("UPDATE cases SET state = %s, updated_at = now() WHERE id = %s", (state, case_id))
