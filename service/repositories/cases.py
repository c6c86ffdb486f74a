"""SQL for cases."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

import psycopg
from psycopg.rows import class_row

from schemas.cases import CaseListItem, CaseRead
from service.db import Conn

_CASE = "id, reference, state, subject, created_by, created_at, updated_at"


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
    conn: Conn, *, after: tuple[datetime, UUID] | None, limit: int
) -> list[CaseListItem]:
    with conn.cursor(row_factory=class_row(CaseListItem)) as cur:
        if after is None:
            cur.execute(
                "SELECT id, reference, state, created_at, updated_at FROM cases "
                "ORDER BY created_at, id LIMIT %s",
                (limit,),
            )
        else:
            cur.execute(
                "SELECT id, reference, state, created_at, updated_at FROM cases "
                "WHERE (created_at, id) > (%s, %s) ORDER BY created_at, id LIMIT %s",
                (*after, limit),
            )
        return cur.fetchall()
