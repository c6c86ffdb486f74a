"""HTTP for agencies, users and sharing agreements: configuration, never evidence."""

from __future__ import annotations

from fastapi import APIRouter, status

from schemas.admin import (
    AgencyCreate,
    AgencyRead,
    SharingAgreementCreate,
    SharingAgreementRead,
    UserCreate,
    UserCreated,
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
