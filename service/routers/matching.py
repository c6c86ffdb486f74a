"""Match runs, candidates and decisions for caseworkers; the stop switch for admins."""

from __future__ import annotations

from uuid import UUID

import psycopg
from fastapi import APIRouter, status

from schemas.matching import (
    CandidateList,
    CandidateRead,
    DecisionCreate,
    DecisionCreated,
    DecisionRead,
    ExplanationItem,
    MatchingState,
    MatchingSwitch,
    MatchRequested,
    MatchRunRead,
    Review,
)
from service.deps import Admin, Caseworker, Context
from service.errors import Conflict, NotFound
from service.pipeline import ALGORITHM, case_evidence_hash
from service.repositories import pipeline as repo

router = APIRouter(prefix="/v1", tags=["matching"])

_RESTARTABLE = {"open", "matching", "candidates_ready", "under_review", "no_match"}


@router.post("/cases/{case_id}/match", status_code=status.HTTP_202_ACCEPTED)
def start_match(case_id: UUID, ctx: Caseworker) -> MatchRequested:
    """Queue a match run for the case's current evidence; the same evidence and algorithm
    give the same run (no duplicate work)."""
    case = repo.lock_case(ctx.conn, case_id)
    if case is None:
        raise NotFound("No case has that id.", code="case_not_found")
    if case.state == "closed":
        raise Conflict(
            "This case is closed: it takes no new evidence or match runs.", code="case_closed"
        )
    if case.state not in _RESTARTABLE:
        raise Conflict(
            f"A case in state {case.state} is not matched again.", code="case_not_matchable"
        )
    evidence_hash = case_evidence_hash(ctx.conn, case)
    run_id, created = repo.insert_run(
        ctx.conn,
        case_id=case_id,
        algorithm=ALGORITHM,
        evidence_hash=evidence_hash,
        requested_by=ctx.principal.user_id,
    )
    run = repo.get_run(ctx.conn, run_id)
    assert run is not None
    if created or run.state == "failed":
        if run.state == "failed":
            repo.requeue_run(ctx.conn, run_id)
        repo.enqueue(ctx.conn, case.agency_id, "match_case", {"run_id": str(run_id)})
        if case.state in ("open", "candidates_ready", "no_match"):
            repo.set_case_state(ctx.conn, case_id, "matching")
    ctx.audit(
        "match.request",
        object_type="case",
        object_id=case_id,
        details={"match_run_id": str(run_id), "algorithm": ALGORITHM, "new_run": created},
    )
    current = repo.get_run(ctx.conn, run_id)
    assert current is not None
    return MatchRequested(match_run_id=run_id, state=current.state, created=created)


def _candidates(ctx: Context, rows: list[repo.CandidateRow]) -> list[CandidateRead]:
    decisions = repo.decisions_on(ctx.conn, [row.id for row in rows])
    by_candidate: dict[UUID, list[repo.DecisionRow]] = {}
    for decision in decisions:
        by_candidate.setdefault(decision.candidate_id, []).append(decision)
    me = ctx.principal.user_id
    items = []
    for row in rows:
        taken = by_candidate.get(row.id, [])
        decided = any(d.reviewer_id == me for d in taken)
        review = Review(you_decided=decided)
        if decided or row.status == "confirmed":
            review = Review(
                you_decided=decided,
                status=row.status,
                decisions=[
                    DecisionRead(
                        id=d.id,
                        reviewer_id=d.reviewer_id,
                        verdict=d.verdict,
                        reason=d.reason,
                        created_at=d.created_at,
                    )
                    for d in taken
                ],
            )
        items.append(
            CandidateRead(
                id=row.id,
                kind=row.kind,  # type: ignore[arg-type]
                ref=row.ref,
                rank=row.rank,
                score=row.score,
                band=row.band,
                match_weight=row.match_weight,
                explanation=[ExplanationItem(**item) for item in row.explanation],
                own_agency=row.owner_agency_id == ctx.principal.agency_id,
                review=review,
            )
        )
    return items


@router.get("/match-runs/{run_id}")
def get_match_run(run_id: UUID, ctx: Caseworker) -> MatchRunRead:
    """A match run with its state, algorithm, gallery version, timings and candidates."""
    run = repo.get_run(ctx.conn, run_id)
    if run is None:
        raise NotFound("No match run has that id.", code="match_run_not_found")
    rows = repo.candidates_of_run(ctx.conn, run_id) if run.state == "done" else []
    ctx.audit("match_run.read", object_type="match_run", object_id=run_id)
    return MatchRunRead(
        id=run.id,
        case_id=run.case_id,
        state=run.state,
        algorithm=run.algorithm,
        gallery_version=run.gallery_version,
        evidence_hash=run.evidence_hash,
        started_at=run.started_at,
        finished_at=run.finished_at,
        created_at=run.created_at,
        candidate_count=run.candidate_count,
        timings=run.timings,
        error=run.error,
        pending_index=run.pending_index,
        candidates=_candidates(ctx, rows),
    )


@router.get("/cases/{case_id}/candidates")
def list_candidates(case_id: UUID, ctx: Caseworker) -> CandidateList:
    """The latest finished run's candidates, best first."""
    if repo.lock_case(ctx.conn, case_id) is None:
        raise NotFound("No case has that id.", code="case_not_found")
    ctx.require_purpose()
    run = repo.latest_done_run(ctx.conn, case_id)
    rows = repo.candidates_of_run(ctx.conn, run.id) if run else []
    ctx.audit(
        "candidates.read",
        object_type="case",
        object_id=case_id,
        details={"match_run_id": str(run.id) if run else None},
    )
    return CandidateList(match_run_id=run.id if run else None, items=_candidates(ctx, rows))


_RULE_MESSAGES = {
    "creator": "The case's creator cannot give the second confirmation; another caseworker must.",
    "already confirmed": "This candidate is already confirmed by two caseworkers.",
}


@router.post("/candidates/{candidate_id}/decisions", status_code=status.HTTP_201_CREATED)
def decide(candidate_id: UUID, body: DecisionCreate, ctx: Caseworker) -> DecisionCreated:
    """Record a verdict. Two different caseworkers must confirm the same candidate before
    a case is identified; a reject by either disputes it. The database enforces this."""
    if repo.get_candidate(ctx.conn, candidate_id) is None:
        raise NotFound("No candidate has that id.", code="candidate_not_found")
    try:
        with ctx.conn.transaction():
            decision = repo.insert_decision(
                ctx.conn,
                candidate_id=candidate_id,
                reviewer_id=ctx.principal.user_id,
                verdict=body.verdict,
                reason=body.reason,
            )
    except psycopg.errors.UniqueViolation:
        raise Conflict(
            "You have already decided on this candidate.", code="already_decided"
        ) from None
    except psycopg.errors.CheckViolation as exc:
        message = str(exc.diag.message_primary or "")
        detail = next(
            (text for key, text in _RULE_MESSAGES.items() if key in message),
            "The two-person rule refuses this decision.",
        )
        raise Conflict(detail, code="two_person_rule") from None
    candidate = repo.get_candidate(ctx.conn, candidate_id)
    case = repo.lock_case(ctx.conn, decision.case_id)
    assert candidate is not None and case is not None
    ctx.audit(
        "decision.create",
        object_type="candidate",
        object_id=candidate_id,
        details={
            "decision_id": str(decision.id),
            "verdict": decision.verdict,
            "case_id": str(decision.case_id),
            "match_run_id": str(decision.match_run_id),
            "algorithm": decision.algorithm,
            "score": decision.score,
            "band": decision.band,
            "case_state": case.state,
        },
    )
    return DecisionCreated(
        id=decision.id,
        candidate_id=candidate_id,
        case_id=decision.case_id,
        match_run_id=decision.match_run_id,
        verdict=decision.verdict,
        reason=decision.reason,
        algorithm=decision.algorithm,
        score=decision.score,
        band=decision.band,
        explanation=[ExplanationItem(**item) for item in decision.explanation],
        created_at=decision.created_at,
        candidate_status=candidate.status,
        case_state=case.state,
    )


@router.get("/admin/matching")
def matching_state(ctx: Admin) -> MatchingState:
    """Whether matching is suspended."""
    suspended, reason, updated_at = repo.matching_state(ctx.conn)
    return MatchingState(suspended=suspended, reason=reason, updated_at=updated_at)


def _switch(ctx: Context, suspend: bool, body: MatchingSwitch | None) -> MatchingState:
    reason = body.reason if body else None
    repo.set_matching_suspended(ctx.conn, suspend, reason, ctx.principal.user_id)
    ctx.audit("matching.suspend" if suspend else "matching.resume", details={"reason": reason})
    suspended, stored_reason, updated_at = repo.matching_state(ctx.conn)
    return MatchingState(suspended=suspended, reason=stored_reason, updated_at=updated_at)


@router.post("/admin/matching/suspend")
def suspend_matching(ctx: Admin, body: MatchingSwitch | None = None) -> MatchingState:
    """Stop matching: queued runs wait and nothing is lost; resume continues them."""
    return _switch(ctx, True, body)


@router.post("/admin/matching/resume")
def resume_matching(ctx: Admin, body: MatchingSwitch | None = None) -> MatchingState:
    """Resume matching; waiting runs are published again."""
    return _switch(ctx, False, body)
