"""HTTP for match runs, candidates and decisions (caseworkers) and the stop switch (admins)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status

from schemas.matching import (
    AlgorithmRead,
    CandidateList,
    DecisionCreate,
    DecisionCreated,
    MatchingState,
    MatchingSwitch,
    MatchRequested,
    MatchRunRead,
)
from service.deps import COMMIT_BEFORE_RESPONSE, Admin, Caseworker, Context, require
from service.runs import service

SignedIn = Annotated[
    Context,
    Depends(
        require("caseworker", "partner", "auditor", "oversight", "admin"),
        scope=COMMIT_BEFORE_RESPONSE,
    ),
]

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


@router.get("/algorithm")
def get_algorithm(
    ctx: SignedIn,
    version: Annotated[str | None, Query(pattern=r"^[0-9]{1,3}\.[0-9]{1,3}$")] = None,
) -> AlgorithmRead:
    """The matching algorithm (default: the one runs use now) and the error rates it
    declares per band: how often a ``strong``, ``possible`` or ``weak`` candidate was not
    the person on a labelled benchmark with namesakes and people not in the registry, at
    each gallery size measured. Any signed-in role may read it."""
    return service.algorithm(version)


@router.get("/admin/matching")
def matching_state(ctx: Admin) -> MatchingState:
    """Whether matching is suspended."""
    return service.matching_state(ctx)


@router.post("/admin/matching/suspend")
def suspend_matching(ctx: Admin, body: MatchingSwitch | None = None) -> MatchingState:
    """Stop matching: queued runs wait and nothing is lost, partner queries are refused
    (503 matching_suspended); indexing goes on. Resume continues the runs."""
    return service.switch_matching(ctx, suspend=True, reason=body.reason if body else None)


@router.post("/admin/matching/resume")
def resume_matching(ctx: Admin, body: MatchingSwitch | None = None) -> MatchingState:
    """Resume matching; waiting runs are published again."""
    return service.switch_matching(ctx, suspend=False, reason=body.reason if body else None)
