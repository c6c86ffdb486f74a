"""HTTP for the audit log, for auditors: read it, and prove it whole."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from schemas.audit import AuditEventRead, AuditVerification
from schemas.common import Page
from service.audit import service
from service.deps import Auditor
from service.pagination import MAX_LIMIT

router = APIRouter(prefix="/v1/audit", tags=["audit"])


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
    return service.events_page(
        ctx,
        limit=limit,
        cursor=cursor,
        actor_id=actor_id,
        agency_id=agency_id,
        action=action,
        object_id=object_id,
        object_type=object_type,
        since=since,
        until=until,
    )


@router.get("/verify")
def verify(ctx: Auditor) -> AuditVerification:
    """Recompute the whole chain and name the first event that breaks it.

    It runs in the database (``tessera_audit_verify``): an agency's auditor cannot read
    other agencies' events, but the verdict covers every one of them.
    """
    return service.verify_log(ctx)
