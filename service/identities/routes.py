"""HTTP for identity records, the reference gallery: one by one and in bulk."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Body, status

from schemas.identities import BulkResult, IdentityCreate, IdentityRead, ImportRead
from service.deps import Caseworker
from service.identities import service

router = APIRouter(prefix="/v1/identities", tags=["identities"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_identity(body: IdentityCreate, ctx: Caseworker) -> IdentityRead:
    """Add a known identity to your agency's gallery."""
    return service.create_identity(ctx, body)


@router.get("/{identity_id}")
def get_identity(identity_id: UUID, ctx: Caseworker) -> IdentityRead:
    """One identity record of your agency. Requires X-Purpose; the read is audited."""
    return service.read_identity(ctx, identity_id)


@router.post("/bulk")
def bulk_import(
    ctx: Caseworker,
    body: Annotated[bytes, Body(media_type="application/x-ndjson")],
) -> BulkResult:
    """Import NDJSON, one person with an ``external_id`` a line. Re-importing is
    idempotent (unchanged records stay as they are); a bad line is reported with its
    number and code and never fails the rest."""
    return service.bulk_import(ctx, body)


imports_router = APIRouter(prefix="/v1/imports", tags=["identities"])


@imports_router.get("/{import_id}")
def get_import(import_id: UUID, ctx: Caseworker) -> ImportRead:
    """How far a bulk import of your agency is indexed: poll until ``state`` is
    ``searchable`` (``indexed`` equals ``created + updated``); from then on every record
    it created or changed is found by matching."""
    return service.import_status(ctx, import_id)
