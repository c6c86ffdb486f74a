"""What the database holds about a case or a record, read as the owner (behind RLS)."""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

import psycopg

from service.audit import service as audit
from service.db import set_context
from service.ops.migrate import app_url
from tests.principals import new_principal

#: Every table that holds a case or something derived from it, and how to find its rows.
CASE_TABLES = {
    "cases": "SELECT count(*) FROM cases WHERE id = %(s)s",
    "case_subject_versions": "SELECT count(*) FROM case_subject_versions WHERE case_id = %(s)s",
    "evidence": "SELECT count(*) FROM evidence WHERE case_id = %(s)s",
    "face_images": "SELECT count(*) FROM face_images WHERE case_id = %(s)s",
    "face_embeddings": "SELECT count(*) FROM face_embeddings WHERE case_id = %(s)s",
    "match_profiles": "SELECT count(*) FROM match_profiles WHERE subject_id = %(s)s",
    "match_keys": "SELECT count(*) FROM match_keys WHERE subject_id = %(s)s",
    "subject_protection": "SELECT count(*) FROM subject_protection WHERE subject_id = %(s)s",
    "match_runs": "SELECT count(*) FROM match_runs WHERE case_id = %(s)s",
    "candidates": "SELECT count(*) FROM candidates WHERE case_id = %(s)s",
    "decisions": "SELECT count(*) FROM decisions WHERE case_id = %(s)s",
    "named_as_candidate": "SELECT count(*) FROM candidates WHERE subject_id = %(s)s "
    "AND (ref IS NOT NULL OR explanation <> '[]'::jsonb)",
}
IDENTITY_TABLES = {
    "identities": "SELECT count(*) FROM identities WHERE id = %(s)s",
    "match_profiles": "SELECT count(*) FROM match_profiles WHERE subject_id = %(s)s",
    "match_keys": "SELECT count(*) FROM match_keys WHERE subject_id = %(s)s",
    "subject_protection": "SELECT count(*) FROM subject_protection WHERE subject_id = %(s)s",
    "import_records": "SELECT count(*) FROM import_records WHERE identity_id = %(s)s",
    "named_as_candidate": "SELECT count(*) FROM candidates WHERE subject_id = %(s)s "
    "AND (ref IS NOT NULL OR explanation <> '[]'::jsonb)",
    "decisions_explained": "SELECT count(*) FROM decisions d JOIN candidates c "
    "ON c.id = d.candidate_id WHERE c.subject_id = %(s)s AND d.explanation <> '[]'::jsonb",
}


def held(
    conn: psycopg.Connection[Any], subject_id: str | UUID, tables: dict[str, str]
) -> dict[str, int]:
    """Rows per table that still hold the subject (or a copy of it)."""
    counts = {}
    for table, query in tables.items():
        row = conn.execute(query, {"s": UUID(str(subject_id))}).fetchone()
        assert row is not None
        counts[table] = int(row[0])
    return counts


def nothing(tables: dict[str, str]) -> dict[str, int]:
    return dict.fromkeys(tables, 0)


def events_about(conn: psycopg.Connection[Any], ids: list[str]) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT action, object_id, details FROM audit_events WHERE object_id = ANY(%s) "
        "OR details ->> 'case_id' = ANY(%s) ORDER BY seq",
        (ids, ids),
    ).fetchall()
    return [{"action": r[0], "object_id": r[1], "details": r[2]} for r in rows]


def assert_no_personal_data(events: list[dict[str, Any]], *secrets: str) -> None:
    text = json.dumps(events, ensure_ascii=False)
    for secret in secrets:
        assert secret not in text, secret


def chain_is_valid(owner_url: str) -> bool:
    oversight = new_principal(owner_url, "oversight")
    with psycopg.connect(app_url(owner_url)) as conn, conn.transaction():
        set_context(conn, oversight)
        return audit.verify_chain(audit.iter_events(conn)).valid
