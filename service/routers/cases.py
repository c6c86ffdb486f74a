"""Cases, for the caseworkers of the owning agency. Evidence is in routers/evidence.py."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from schemas.cases import CaseCreate, CaseListItem, CaseRead
from schemas.common import Page
from service.deps import Caseworker, Context
from service.errors import Conflict, NotFound
from service.pagination import MAX_LIMIT, decode_time_id_cursor, encode_cursor
from service.repositories import cases as repo
from service.repositories import evidence as evidence_repo

router = APIRouter(prefix="/v1/cases", tags=["cases"])


def case_not_found() -> NotFound:
    """The one 404 for a missing case and for another agency's case, so neither leaks."""
    return NotFound("No case has that id.", code="case_not_found")


@router.post("", status_code=status.HTTP_201_CREATED)
def create_case(body: CaseCreate, ctx: Caseworker) -> CaseRead:
    """Open a case for one unidentified subject, with the subject's own claims."""
    case = repo.insert_case(
        ctx.conn,
        reference=body.reference,
        subject=body.subject.stored(),
        created_by=ctx.principal.user_id,
    )
    if case is None:
        raise Conflict(
            f"Your agency already has a case with the reference '{body.reference}'.",
            code="case_reference_exists",
        )
    ctx.audit("case.create", object_type="case", object_id=case.id)
    return case


@router.get("")
def list_cases(
    ctx: Caseworker,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: str | None = None,
) -> Page[CaseListItem]:
    """Your agency's cases, oldest first."""
    after = decode_time_id_cursor(cursor)
    items = repo.list_cases(ctx.conn, after=after, limit=limit + 1)
    page = items[:limit]
    next_cursor = (
        encode_cursor([page[-1].created_at.isoformat(), str(page[-1].id)])
        if len(items) > limit
        else None
    )
    ctx.audit("case.list", object_type="case", details={"count": len(page)})
    return Page[CaseListItem](items=page, next_cursor=next_cursor)


def _case(ctx: Context, case_id: UUID) -> CaseRead:
    case = repo.get_case(ctx.conn, case_id)
    if case is None:
        raise case_not_found()
    return case


@router.get("/{case_id}")
def get_case(case_id: UUID, ctx: Caseworker) -> CaseRead:
    """The case with summaries of its evidence. Requires X-Purpose; the read is audited."""
    case = _case(ctx, case_id)
    ctx.require_purpose()
    case.evidence = evidence_repo.evidence_of(ctx.conn, case_id)
    ctx.audit("case.read", object_type="case", object_id=case_id)
    return case
