"""HTTP for cases, for the caseworkers of the owning agency (evidence: service/evidence)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from schemas.cases import (
    CaseClose,
    CaseCreate,
    CaseListItem,
    CaseRead,
    SubjectUpdate,
    SubjectVersion,
)
from schemas.common import Page
from service.cases import service
from service.deps import Caseworker
from service.pagination import MAX_LIMIT

_STATES = sorted(service.CASE_STATES)

router = APIRouter(prefix="/v1/cases", tags=["cases"])


@router.post("", status_code=status.HTTP_201_CREATED)
def create_case(body: CaseCreate, ctx: Caseworker) -> CaseRead:
    """Open a case for one unidentified subject, with the subject's own claims."""
    return service.create_case(ctx, body)


@router.get("")
def list_cases(
    ctx: Caseworker,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: str | None = None,
    state: Annotated[str | None, Query(json_schema_extra={"enum": _STATES})] = None,
    reference: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Page[CaseListItem]:
    """Your agency's cases, oldest first; ``state`` and ``reference`` filter exactly,
    ``q`` finds a name of the subject in any script (a Latin spelling also finds a
    name stored in Han or Cyrillic once the case is indexed)."""
    return service.list_cases(
        ctx, limit=limit, cursor=cursor, state=state, reference=reference, q=q
    )


@router.get("/{case_id}")
def get_case(case_id: UUID, ctx: Caseworker) -> CaseRead:
    """The case with summaries of its evidence. Requires X-Purpose; the read is audited."""
    return service.read_case(ctx, case_id)


@router.post("/{case_id}/close")
def close_case(case_id: UUID, body: CaseClose, ctx: Caseworker) -> CaseRead:
    """Close the case with an outcome and a reason. ``identified`` only for a case that
    two caseworkers' confirmations identified; an identified case does not close as
    ``no_match``. A closed case takes no new evidence or match runs. Audited."""
    return service.close_case(ctx, case_id, body)


@router.put("/{case_id}/subject")
def update_subject(case_id: UUID, body: SubjectUpdate, ctx: Caseworker) -> CaseRead:
    """Record a new version of the subject's own account with its reason; the version
    it replaces stays in the history, and the case is re-indexed. 409 ``case_closed``
    for a closed case, 409 ``subject_unchanged`` when nothing changed."""
    return service.update_subject(ctx, case_id, body)


@router.get("/{case_id}/subject/history")
def subject_history(case_id: UUID, ctx: Caseworker) -> list[SubjectVersion]:
    """Every version of the subject's own account, newest first (version 1 as the case
    was opened), each with its reason, author and time. Requires X-Purpose."""
    return service.subject_history(ctx, case_id)
