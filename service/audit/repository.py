"""SQL of the audit log: the chain's head under its lock, appending, reading, verifying.

:class:`AuditEvent` is the one list of an event's fields: the insert, the reads and the
hash (:func:`service.audit.service.event_hash`) all take their columns from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import astuple, dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from service.db import Conn

#: The transaction-scoped advisory lock every writer takes before reading the head.
_LOCK_KEY = 7_341_002


@dataclass(frozen=True, slots=True)
class AuditEvent:
    seq: int
    id: UUID
    occurred_at: datetime
    actor_id: UUID | None
    agency_id: UUID | None
    role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    purpose: str | None
    request_id: str | None
    details: Mapping[str, Any]
    prev_hash: bytes
    hash: bytes


#: The columns of ``audit_events``, in the order of :class:`AuditEvent`'s fields.
COLUMNS: tuple[str, ...] = tuple(f.name for f in fields(AuditEvent))
_SELECT = ", ".join(COLUMNS)
_INSERT = (
    f"INSERT INTO audit_events ({_SELECT}) "  # noqa: S608
    f"VALUES ({', '.join(f'%({c})s' for c in COLUMNS)})"
)


def _event(row: tuple[Any, ...]) -> AuditEvent:
    values = dict(zip(COLUMNS, row, strict=True))
    values["prev_hash"] = bytes(values["prev_hash"])
    values["hash"] = bytes(values["hash"])
    return AuditEvent(**values)


def lock_head(conn: Conn) -> tuple[int, bytes] | None:
    """Take the writers' lock (held until the transaction ends) and read the chain's
    head: (sequence number, hash), or None for an empty log."""
    conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
    head = conn.execute("SELECT seq, hash FROM tessera_audit_head()").fetchone()
    return (int(head[0]), bytes(head[1])) if head else None


def insert_event(conn: Conn, event: AuditEvent) -> None:
    params = dict(zip(COLUMNS, astuple(event), strict=True))
    params["details"] = json.dumps(event.details, ensure_ascii=False)
    conn.execute(_INSERT, params)


def iter_events(conn: Conn, *, batch: int = 5000) -> Iterator[AuditEvent]:
    """Every event in chain order, read with a server-side cursor."""
    with conn.cursor(name="audit_scan") as cur:
        cur.itersize = batch
        cur.execute(f"SELECT {_SELECT} FROM audit_events ORDER BY seq")  # noqa: S608
        for row in cur:
            yield _event(row)


def list_events(
    conn: Conn, *, after: int = 0, limit: int = 50, filters: Mapping[str, Any] | None = None
) -> list[AuditEvent]:
    """A page of events after sequence number ``after``, oldest first."""
    clauses = ["seq > %(after)s"]
    params: dict[str, Any] = {"after": after, "limit": limit}
    for column in ("actor_id", "agency_id", "action", "object_id", "object_type"):
        value = (filters or {}).get(column)
        if value is not None:
            clauses.append(f"{column} = %({column})s")
            params[column] = value
    if (filters or {}).get("since") is not None:
        clauses.append("occurred_at >= %(since)s")
        params["since"] = (filters or {})["since"]
    if (filters or {}).get("until") is not None:
        clauses.append("occurred_at < %(until)s")
        params["until"] = (filters or {})["until"]
    where = " AND ".join(clauses)
    rows = conn.execute(
        f"SELECT {_SELECT} FROM audit_events WHERE {where} ORDER BY seq LIMIT %(limit)s",  # noqa: S608
        params,
    ).fetchall()
    return [_event(row) for row in rows]


def verify_in_database(conn: Conn) -> tuple[bool, int, str, UUID | None, int | None, str | None]:
    """The verdict of ``tessera_audit_verify()``, a definer function."""
    row = conn.execute(
        "SELECT valid, length, head, first_bad, first_bad_seq, reason FROM tessera_audit_verify()"
    ).fetchone()
    assert row is not None
    return bool(row[0]), int(row[1]), str(row[2]), row[3], row[4], row[5]


def hash_at(conn: Conn, seq: int) -> bytes | None:
    """The stored hash of event ``seq``, if there is one."""
    row = conn.execute("SELECT hash FROM audit_events WHERE seq = %s", (seq,)).fetchone()
    return bytes(row[0]) if row else None
