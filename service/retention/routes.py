"""Retention periods of an agency (admin)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from schemas.rights import RetentionRead, RetentionUpdate
from service.deps import Admin
from service.retention import service

router = APIRouter(prefix="/v1/agencies", tags=["retention"])


@router.get("/{agency_id}/retention")
def get_retention(agency_id: UUID, ctx: Admin) -> RetentionRead:
    """The retention period (days) of each kind of the agency's data, its own or the default."""
    return service.read_periods(ctx, agency_id)


@router.put("/{agency_id}/retention")
def put_retention(agency_id: UUID, body: RetentionUpdate, ctx: Admin) -> RetentionRead:
    """Set the agency's retention periods in days. They apply to data written from now
    on; the dates already set stay. Audited."""
    return service.set_periods(ctx, agency_id, body)
