"""The audit log, for auditors: read it, and prove it whole."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from schemas.audit import AuditEventRead, AuditVerification, PublishedCheckpoint
from schemas.common import Page
from service import audit
from service.deps import Auditor
from service.pagination import MAX_LIMIT, decode_seq_cursor, encode_cursor
from service.runtime import audit_checkpoint_path, audit_key_path

router = APIRouter(prefix="/v1/audit", tags=["audit"])


def _read(event: audit.AuditEvent) -> AuditEventRead:
    return AuditEventRead(
        seq=event.seq,
        id=event.id,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        agency_id=event.agency_id,
        role=event.role,
        action=event.action,
        object_type=event.object_type,
        object_id=event.object_id,
        purpose=event.purpose,
        request_id=event.request_id,
        details=dict(event.details),
        prev_hash=event.prev_hash.hex(),
        hash=event.hash.hex(),
    )


@router.get("/events")
def list_events(
    ctx: Auditor,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: str | None = None,
    actor_id: UUID | None = None,
    agency_id: UUID | None = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    object_id: Annotated[str | None, Query(max_length=100)] = None,
    object_type: Annotated[str | None, Query(max_length=100)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> Page[AuditEventRead]:
    """The log, oldest first, with optional filters."""
    after = decode_seq_cursor(cursor)
    filters = {
        "actor_id": actor_id,
        "agency_id": agency_id,
        "action": action,
        "object_id": object_id,
        "object_type": object_type,
        "since": since,
        "until": until,
    }
    events = audit.list_events(ctx.conn, after=after, limit=limit + 1, filters=filters)
    page = events[:limit]
    next_cursor = encode_cursor(page[-1].seq) if len(events) > limit else None
    return Page[AuditEventRead](items=[_read(e) for e in page], next_cursor=next_cursor)


@router.get("/verify")
def verify(ctx: Auditor) -> AuditVerification:
    """Recompute the whole chain and name the first event that breaks it.

    It runs in the database (``tessera_audit_verify``): an agency's auditor cannot read
    other agencies' events, but the verdict covers every one of them.
    """
    result, checkpoint = audit.verify_published(
        ctx.conn,
        key_path=audit_key_path(ctx.settings),
        checkpoint_path=audit_checkpoint_path(ctx.settings),
    )
    ctx.audit(
        "audit.verify",
        details={
            "valid": result.valid,
            "length": result.length,
            "checkpoint_length": checkpoint["length"] if checkpoint else None,
        },
    )
    return AuditVerification(
        valid=result.valid,
        length=result.length,
        head=result.head,
        first_bad=result.first_bad,
        first_bad_seq=result.first_bad_seq,
        reason=result.reason,
        checkpoint=(
            PublishedCheckpoint(
                length=checkpoint["length"], head=checkpoint["head"], time=checkpoint["time"]
            )
            if checkpoint
            else None
        ),
    )
