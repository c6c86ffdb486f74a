"""SQL of the audit log: appending (through the database's own function), reading,
verifying, the chain's head.

:class:`AuditEvent` is the one list of an event's fields: the reads, the API's shape and
the hash (:func:`service.audit.service.event_hash`) all take their fields from it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any
from uuid import UUID

from service.db import Conn


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


def _event(row: tuple[Any, ...]) -> AuditEvent:
    values = dict(zip(COLUMNS, row, strict=True))
    values["prev_hash"] = bytes(values["prev_hash"])
    values["hash"] = bytes(values["hash"])
    return AuditEvent(**values)


def append_event(
    conn: Conn,
    *,
    actor_id: UUID | None,
    agency_id: UUID | None,
    role: str | None,
    action: str,
    object_type: str | None,
    object_id: str | None,
    purpose: str | None,
    request_id: str | None,
    details: str,
) -> int:
    """Append one event through ``tessera_audit_append`` (migration 0013), which numbers,
    dates, links and hashes it under the audit lock; returns its sequence number. The
    service role cannot insert into the log directly."""
    row = conn.execute(
        "SELECT tessera_audit_append(%s, %s, %s, %s, %s, %s, %s, %s, %s)",
        (actor_id, agency_id, role, action, object_type, object_id, purpose, request_id, details),
    ).fetchone()
    assert row is not None
    return int(row[0])


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
    """The stored hash of event ``seq`` (``seq`` > 0), if there is one; any role may
    compare hashes."""
    row = conn.execute("SELECT tessera_audit_hash_at(%s)", (seq,)).fetchone()
    return bytes(row[0]) if row and row[0] is not None else None


def head(conn: Conn) -> tuple[int, bytes] | None:
    """The log's length and the hash of its last event; None for an empty log."""
    row = conn.execute("SELECT seq, hash FROM tessera_audit_head()").fetchone()
    return (int(row[0]), bytes(row[1])) if row else None
