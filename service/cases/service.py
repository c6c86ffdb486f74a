"""Cases: opening, finding, reading and closing them, and their lifecycle's rules."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from matching import build_profile, search_keys
from schemas.cases import (
    CaseClose,
    CaseCreate,
    CaseListItem,
    CaseRead,
    SubjectUpdate,
    SubjectVersion,
)
from schemas.common import Page
from service.cases import repository as repo
from service.deps import Context
from service.errors import Conflict, InvalidInput, NotFound
from service.evidence import repository as evidence_repo
from service.indexing.service import case_person, queue_case
from service.pagination import decode_time_id_cursor, encode_cursor

CASE_STATES = frozenset(
    {"open", "matching", "candidates_ready", "under_review", "identified", "no_match", "closed"}
)


def case_closed() -> Conflict:
    return Conflict(
        "This case is closed: it takes no new evidence or match runs.", code="case_closed"
    )


def case_not_found() -> NotFound:
    """The one 404 for a missing case and for another agency's case, so neither leaks."""
    return NotFound("No case has that id.", code="case_not_found")


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


def create_case(ctx: Context, body: CaseCreate) -> CaseRead:
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


def list_cases(
    ctx: Context,
    *,
    limit: int,
    cursor: str | None = None,
    state: str | None = None,
    reference: str | None = None,
    q: str | None = None,
) -> Page[CaseListItem]:
    """The agency's cases, oldest first, filtered; the listing is audited."""
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


def read_case(ctx: Context, case_id: UUID) -> CaseRead:
    """The case with summaries of its evidence. Requires a purpose; the read is audited."""
    case = repo.get_case(ctx.conn, case_id)
    if case is None:
        raise case_not_found()
    ctx.require_purpose()
    case.evidence = evidence_repo.evidence_of(ctx.conn, case_id)
    ctx.audit("case.read", object_type="case", object_id=case_id)
    return case


def require_case(ctx: Context, case_id: UUID, *, open_only: bool = True) -> None:
    """Refuse a case this agency does not have (404) and, unless ``open_only`` is off,
    a closed one (409 ``case_closed``)."""
    state = repo.case_state(ctx.conn, case_id)
    if state is None:
        raise case_not_found()
    if open_only and state == "closed":
        raise case_closed()


def close_case(ctx: Context, case_id: UUID, body: CaseClose) -> CaseRead:
    """Close the case with an outcome and a reason, under the case's lock; audited."""
    case = repo.lock_case(ctx.conn, case_id)
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


def update_subject(ctx: Context, case_id: UUID, body: SubjectUpdate) -> CaseRead:
    """Replace the subject's own account with a new version, under the case's lock; the
    old version stays in the history, the case is re-indexed through the outbox and
    the change is audited (its version and which fields changed, not their values)."""
    case = repo.lock_case(ctx.conn, case_id)
    if case is None:
        raise case_not_found()
    if case.state == "closed":
        raise case_closed()
    subject = body.subject.stored()
    if subject == case.subject:
        raise Conflict(
            "The subject given is the subject the case already has; nothing changed.",
            code="subject_unchanged",
        )
    updated = repo.update_subject(ctx.conn, case_id, subject, body.reason)
    assert updated is not None
    queue_case(ctx.conn, ctx.principal.agency_id, case_id)
    changed = sorted(
        key for key in set(subject) | set(case.subject) if subject.get(key) != case.subject.get(key)
    )
    version = repo.subject_versions(ctx.conn, case_id)[0].version
    ctx.audit(
        "case.subject_update",
        object_type="case",
        object_id=case_id,
        details={"version": version, "changed": changed},
    )
    return updated


def subject_history(ctx: Context, case_id: UUID) -> list[SubjectVersion]:
    """Every version of the subject's own account, newest first. Requires a purpose;
    the read is audited."""
    if repo.case_state(ctx.conn, case_id) is None:
        raise case_not_found()
    ctx.require_purpose()
    versions = repo.subject_versions(ctx.conn, case_id)
    ctx.audit("case.subject_history.read", object_type="case", object_id=case_id)
    return versions


def merged_person(ctx: Context, case_id: UUID) -> dict[str, Any]:
    """The person the case stands for, merged from its subject and current evidence
    (under the case's lock)."""
    case = repo.lock_case(ctx.conn, case_id)
    if case is None:
        raise case_not_found()
    return case_person(ctx.conn, case)
