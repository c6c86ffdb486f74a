"""Agencies, users and sharing agreements (admin only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, StringConstraints

from schemas.common import Country, StrictModel, Text

Role = Literal["caseworker", "partner", "auditor", "oversight", "admin"]


class AgencyCreate(StrictModel):
    name: Annotated[Text, StringConstraints(min_length=1, max_length=200)]
    country: Country


class AgencyRead(BaseModel):
    id: UUID
    name: str
    country: str
    created_at: datetime


class UserCreate(StrictModel):
    agency_id: UUID
    name: Annotated[Text, StringConstraints(min_length=1, max_length=200)]
    role: Role


class UserCreated(BaseModel):
    """The token is shown here once and never again."""

    id: UUID
    agency_id: UUID
    name: str
    role: Role
    token: str


class UserRead(BaseModel):
    """A user as an admin sees it; ``disabled_at`` is set once the user is disabled."""

    id: UUID
    agency_id: UUID
    name: str
    role: Role
    created_at: datetime
    disabled_at: datetime | None


class SharingAgreementCreate(StrictModel):
    owner_agency_id: UUID
    partner_agency_id: UUID
    purpose: Annotated[Text, StringConstraints(min_length=1, max_length=500)]
    expires_at: datetime | None = None


class SharingAgreementRead(BaseModel):
    id: UUID
    owner_agency_id: UUID
    partner_agency_id: UUID
    purpose: str
    expires_at: datetime | None
    created_at: datetime
    #: When an admin revoked it; from then on it lets nothing through.
    revoked_at: datetime | None = None
