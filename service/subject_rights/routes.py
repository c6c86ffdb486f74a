"""Subject-access export, and deletion of a case or an identity record."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from schemas.rights import CaseExport, Erased
from service.deps import Caseworker
from service.subject_rights import service

router = APIRouter(tags=["subject rights"])


@router.get("/v1/cases/{case_id}/export")
def export_case(case_id: UUID, ctx: Caseworker) -> CaseExport:
    """Everything held about the case's subject, for a subject-access request: the case,
    every item of evidence with its decoded fields and checks (a photo's stored form, not
    its bytes), match runs, the suggestions made (rank, score, band, status; not the
    other person's data), the decisions taken and the audit events about the case.
    Requires X-Purpose; audited."""
    return service.export_case(ctx, case_id)


@router.delete("/v1/cases/{case_id}")
def delete_case(case_id: UUID, ctx: Caseworker) -> Erased:
    """Delete a case and everything derived from it (evidence, photos, thumbnails, face
    embeddings, profile, search keys, runs, candidates, decisions), as the retention
    sweep does. 409 ``case_identified`` for a case two confirmations identified: it is
    kept until its retention ends. Requires X-Purpose; audited with counts only."""
    return service.delete_case(ctx, case_id)


@router.delete("/v1/identities/{identity_id}")
def delete_identity(identity_id: UUID, ctx: Caseworker) -> Erased:
    """Delete an identity record with its profile and search keys; other agencies' match
    candidates lose its reference and explanation. 409 ``identity_confirmed_match`` when
    a case was identified as it. Requires X-Purpose; audited with counts only."""
    return service.delete_identity(ctx, identity_id)
