"""HTTP for match runs, candidates and decisions (caseworkers) and the stop switch (admins)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, status

from schemas.matching import (
    CandidateList,
    DecisionCreate,
    DecisionCreated,
    MatchingState,
    MatchingSwitch,
    MatchRequested,
    MatchRunRead,
)
from service.deps import Admin, Caseworker
from service.runs import service

router = APIRouter(prefix="/v1", tags=["matching"])


@router.post("/cases/{case_id}/match", status_code=status.HTTP_202_ACCEPTED)
def start_match(case_id: UUID, ctx: Caseworker) -> MatchRequested:
    """Queue a match run for the case's current evidence; the same evidence and algorithm
    give the same run (no duplicate work)."""
    return service.start_match(ctx, case_id)


@router.get("/match-runs/{run_id}")
def get_match_run(run_id: UUID, ctx: Caseworker) -> MatchRunRead:
    """A match run with its state, algorithm, gallery version, timings and candidates."""
    return service.read_match_run(ctx, run_id)


@router.get("/cases/{case_id}/candidates")
def list_candidates(case_id: UUID, ctx: Caseworker) -> CandidateList:
    """The latest finished run's candidates, best first."""
    return service.list_candidates(ctx, case_id)


@router.post("/candidates/{candidate_id}/decisions", status_code=status.HTTP_201_CREATED)
def decide(candidate_id: UUID, body: DecisionCreate, ctx: Caseworker) -> DecisionCreated:
    """Record a verdict. Two different caseworkers must confirm the same candidate before
    a case is identified; a reject by either disputes it. The database enforces this."""
    return service.decide(ctx, candidate_id, body)


@router.get("/admin/matching")
def matching_state(ctx: Admin) -> MatchingState:
    """Whether matching is suspended."""
    return service.matching_state(ctx)


@router.post("/admin/matching/suspend")
def suspend_matching(ctx: Admin, body: MatchingSwitch | None = None) -> MatchingState:
    """Stop matching: queued runs wait and nothing is lost; resume continues them."""
    return service.switch_matching(ctx, suspend=True, reason=body.reason if body else None)


@router.post("/admin/matching/resume")
def resume_matching(ctx: Admin, body: MatchingSwitch | None = None) -> MatchingState:
    """Resume matching; waiting runs are published again."""
    return service.switch_matching(ctx, suspend=False, reason=body.reason if body else None)
