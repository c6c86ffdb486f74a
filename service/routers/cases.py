"""Cases, for the caseworkers of the owning agency. Evidence is in routers/evidence.py."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from matching import build_profile, search_keys
from schemas.cases import CaseClose, CaseCreate, CaseListItem, CaseRead
from schemas.common import Page
from service.deps import Caseworker, Context
from service.errors import Conflict, InvalidInput, NotFound
from service.pagination import MAX_LIMIT, decode_time_id_cursor, encode_cursor
from service.repositories import cases as repo
from service.repositories import evidence as evidence_repo
from service.repositories import pipeline as pipeline_repo

router = APIRouter(prefix="/v1/cases", tags=["cases"])


CASE_STATES = frozenset(
    {"open", "matching", "candidates_ready", "under_review", "identified", "no_match", "closed"}
)


def name_keys(text: str) -> tuple[tuple[str, ...], ...]:
    """For each word of a free-text name query, its transliterated name keys (``tr:``
    keys only: the phonetic ones are too loose for a search box); a case is found when
    its profile holds a key of every word."""
    groups: list[tuple[str, ...]] = []
    for word in text.split()[:10]:
        try:
            profile = build_profile({"names": [word]})
        except (ValueError, TypeError):
            return ()
        keys = tuple(sorted(k for k in search_keys(profile) if k.startswith("tr:")))
        if not keys:
            return ()
        groups.append(keys)
    return tuple(groups)


def case_closed() -> Conflict:
    return Conflict(
        "This case is closed: it takes no new evidence or match runs.", code="case_closed"
    )


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
    state: str | None = None,
    reference: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    q: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Page[CaseListItem]:
    """Your agency's cases, oldest first; ``state`` and ``reference`` filter exactly,
    ``q`` finds a name of the subject in any script (a Latin spelling also finds a
    name stored in Han or Cyrillic once the case is indexed)."""
    if state is not None and state not in CASE_STATES:
        raise InvalidInput(
            f"state is one of {', '.join(sorted(CASE_STATES))}.", code="invalid_state"
        )
    after = decode_time_id_cursor(cursor)
    query = q.strip() if q is not None else None
    items = repo.list_cases(
        ctx.conn,
        after=after,
        limit=limit + 1,
        state=state,
        reference=reference,
        q=query or None,
        q_keys=name_keys(query) if query else (),
    )
    page = items[:limit]
    next_cursor = (
        encode_cursor([page[-1].created_at.isoformat(), str(page[-1].id)])
        if len(items) > limit
        else None
    )
    filters = {k: v for k, v in (("state", state), ("reference", reference)) if v}
    ctx.audit(
        "case.list",
        object_type="case",
        details={"count": len(page), **filters, "name_query": bool(query)},
    )
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


@router.post("/{case_id}/close")
def close_case(case_id: UUID, body: CaseClose, ctx: Caseworker) -> CaseRead:
    """Close the case with an outcome and a reason. ``identified`` only for a case that
    two caseworkers' confirmations identified; an identified case does not close as
    ``no_match``. A closed case takes no new evidence or match runs. Audited."""
    case = pipeline_repo.lock_case(ctx.conn, case_id)
    if case is None:
        raise case_not_found()
    if case.state == "closed":
        raise Conflict("This case is already closed.", code="case_closed")
    if body.outcome == "identified" and case.state != "identified":
        raise Conflict(
            "Only a case identified by two confirmations closes as identified; "
            f"this one is {case.state}.",
            code="case_not_identified",
        )
    if body.outcome == "no_match" and case.state == "identified":
        raise Conflict(
            "This case is identified: it closes as identified or withdrawn.",
            code="case_identified",
        )
    closed = repo.close_case(
        ctx.conn, case_id, outcome=body.outcome, reason=body.reason, closed_by=ctx.principal.user_id
    )
    assert closed is not None
    ctx.audit(
        "case.close",
        object_type="case",
        object_id=case_id,
        details={"outcome": body.outcome, "previous_state": case.state},
    )
    return closed
