"""HTTP for agencies, users and sharing agreements: configuration, never evidence."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from schemas.admin import (
    AgencyCreate,
    AgencyRead,
    SharingAgreementCreate,
    SharingAgreementRead,
    UserCreate,
    UserCreated,
    UserRead,
)
from service.admin import service
from service.deps import Admin

router = APIRouter(prefix="/v1", tags=["admin"])


@router.post("/agencies", status_code=status.HTTP_201_CREATED)
def create_agency(body: AgencyCreate, ctx: Admin) -> AgencyRead:
    """Create an agency; it will own everything its users create."""
    return service.create_agency(ctx, body)


@router.post("/users", status_code=status.HTTP_201_CREATED)
def create_user(body: UserCreate, ctx: Admin) -> UserCreated:
    """Create a user and return its token; the token is shown only in this response."""
    return service.create_user(ctx, body)


@router.post("/sharing-agreements", status_code=status.HTTP_201_CREATED)
def create_sharing_agreement(body: SharingAgreementCreate, ctx: Admin) -> SharingAgreementRead:
    """Let the partner agency's queries and case matching reach the owner's identity records."""
    return service.create_sharing_agreement(ctx, body)


@router.post("/users/{user_id}/disable")
def disable_user(user_id: UUID, ctx: Admin) -> UserRead:
    """Disable a user for good: the user's token is refused from its next request and
    the user's desk sessions end. Disabling a disabled user changes nothing."""
    return service.disable_user(ctx, user_id)


@router.post("/sharing-agreements/{agreement_id}/revoke")
def revoke_sharing_agreement(agreement_id: UUID, ctx: Admin) -> SharingAgreementRead:
    """Revoke an agreement before it expires: from the partner's next query on, neither
    its queries nor its case matching reach the owner's records. Revoking a revoked
    agreement changes nothing."""
    return service.revoke_sharing_agreement(ctx, agreement_id)
