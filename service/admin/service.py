"""Agencies, users and sharing agreements: configuration, never evidence."""

from __future__ import annotations

from uuid import UUID

from schemas.admin import (
    AgencyCreate,
    AgencyRead,
    SharingAgreementCreate,
    SharingAgreementRead,
    UserCreate,
    UserCreated,
    UserRead,
)
from service.admin import repository as repo
from service.deps import Context
from service.errors import Conflict, InvalidInput, NotFound
from service.security import issue_token


def create_agency(ctx: Context, body: AgencyCreate) -> AgencyRead:
    """Create an agency; it will own everything its users create."""
    agency = repo.insert_agency(ctx.conn, body.name, body.country)
    if agency is None:
        raise Conflict(f"An agency named '{body.name}' exists already.", code="agency_exists")
    ctx.audit(
        "agency.create",
        object_type="agency",
        object_id=agency.id,
        details={"name": body.name, "country": body.country},
    )
    return agency


def create_user(ctx: Context, body: UserCreate) -> UserCreated:
    """Create a user and return its token; the token is shown only in this response."""
    if not repo.agency_exists(ctx.conn, body.agency_id):
        raise NotFound("No agency has that id.", code="agency_not_found")
    issued = issue_token()
    user_id = repo.insert_user(
        ctx.conn,
        agency_id=body.agency_id,
        name=body.name,
        role=body.role,
        key_id=issued.key_id,
        secret_hash=issued.secret_hash,
    )
    ctx.audit(
        "user.create",
        object_type="user",
        object_id=user_id,
        details={"agency_id": str(body.agency_id), "role": body.role},
    )
    return UserCreated(
        id=user_id, agency_id=body.agency_id, name=body.name, role=body.role, token=issued.token
    )


def create_sharing_agreement(ctx: Context, body: SharingAgreementCreate) -> SharingAgreementRead:
    """Let the partner agency's queries and case matching reach the owner's identity records."""
    if body.owner_agency_id == body.partner_agency_id:
        raise InvalidInput("An agency cannot share with itself.", code="invalid_agreement")
    for agency_id in (body.owner_agency_id, body.partner_agency_id):
        if not repo.agency_exists(ctx.conn, agency_id):
            raise NotFound(f"No agency has the id {agency_id}.", code="agency_not_found")
    agreement = repo.insert_sharing_agreement(
        ctx.conn,
        owner_agency_id=body.owner_agency_id,
        partner_agency_id=body.partner_agency_id,
        purpose=body.purpose,
        expires_at=body.expires_at,
        created_by=ctx.principal.user_id,
    )
    ctx.audit(
        "sharing_agreement.create",
        object_type="sharing_agreement",
        object_id=agreement.id,
        details={"owner": str(body.owner_agency_id), "partner": str(body.partner_agency_id)},
    )
    return agreement


def disable_user(ctx: Context, user_id: UUID) -> UserRead:
    """Disable a user for good: the user's token is refused from its next request and
    the user's desk sessions end. Disabling a disabled user changes nothing."""
    if user_id == ctx.principal.user_id:
        raise Conflict("You cannot disable your own user.", code="cannot_disable_self")
    user, changed = repo.disable_user(ctx.conn, user_id)
    if user is None:
        raise NotFound("No user has that id.", code="user_not_found")
    if changed:
        ctx.audit(
            "user.disable",
            object_type="user",
            object_id=user_id,
            details={"agency_id": str(user.agency_id), "role": user.role},
        )
    return user


def revoke_sharing_agreement(ctx: Context, agreement_id: UUID) -> SharingAgreementRead:
    """Revoke an agreement before it expires: from the partner's next query on, neither
    its queries nor its case matching reach the owner's records. Revoking a revoked
    agreement changes nothing."""
    agreement, changed = repo.revoke_sharing_agreement(
        ctx.conn, agreement_id, ctx.principal.user_id
    )
    if agreement is None:
        raise NotFound("No sharing agreement has that id.", code="sharing_agreement_not_found")
    if changed:
        ctx.audit(
            "sharing_agreement.revoke",
            object_type="sharing_agreement",
            object_id=agreement_id,
            details={
                "owner": str(agreement.owner_agency_id),
                "partner": str(agreement.partner_agency_id),
            },
        )
    return agreement
