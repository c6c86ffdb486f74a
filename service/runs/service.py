"""Match runs, their candidates and the decisions on them: the rules.

A run is requested under the case's lock and executed by a worker after commit; the
same evidence and algorithm give the same run. Matching moves a case to
``candidates_ready`` and never further: only people's decisions change it after that,
two different caseworkers confirming (the database enforces the two-person rule).
"""

from __future__ import annotations

import time
from uuid import UUID

from matching import scoring
from schemas.matching import (
    AlgorithmRead,
    BandRates,
    CandidateList,
    CandidateRead,
    DecisionCreate,
    DecisionCreated,
    DecisionRead,
    DeclaredRates,
    ExplanationItem,
    MatchingState,
    MatchRequested,
    MatchRunRead,
    Review,
)
from service.cases import repository as cases_repo
from service.cases.service import case_closed, case_not_found
from service.db import Conn
from service.deps import Context
from service.errors import Conflict, NotFound
from service.indexing import repository as index_repo
from service.indexing.algorithm import ALGORITHM, matcher
from service.indexing.search import explanation, find_candidates
from service.indexing.service import case_evidence_hash, index_case
from service.runs import repository as repo
from service.worker import repository as outbox

#: The states a case may be matched (again) from.
RESTARTABLE = frozenset({"open", "matching", "candidates_ready", "under_review", "no_match"})


def start_match(ctx: Context, case_id: UUID) -> MatchRequested:
    """Queue a match run for the case's current evidence (after commit, through the
    outbox); the same evidence and algorithm give the same run (no duplicate work)."""
    case = cases_repo.lock_case(ctx.conn, case_id)
    if case is None:
        raise case_not_found()
    if case.state == "closed":
        raise case_closed()
    if case.state not in RESTARTABLE:
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
        outbox.enqueue(ctx.conn, case.agency_id, "match_case", {"run_id": str(run_id)})
        if case.state in ("open", "candidates_ready", "no_match"):
            cases_repo.set_case_state(ctx.conn, case_id, "matching")
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


def match_run_not_found() -> NotFound:
    return NotFound("No match run has that id.", code="match_run_not_found")


def read_match_run(ctx: Context, run_id: UUID) -> MatchRunRead:
    """A match run with its state, algorithm, gallery version, timings and candidates;
    the read is audited."""
    run = repo.get_run(ctx.conn, run_id)
    if run is None:
        raise match_run_not_found()
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


def list_candidates(ctx: Context, case_id: UUID) -> CandidateList:
    """The latest finished run's candidates, best first. Requires a purpose; audited."""
    if cases_repo.lock_case(ctx.conn, case_id) is None:
        raise case_not_found()
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


_REFUSALS = {
    "already_decided": ("You have already decided on this candidate.", "already_decided"),
    "creator": (
        "The case's creator cannot give the second confirmation; another caseworker must.",
        "two_person_rule",
    ),
    "already_confirmed": (
        "This candidate is already confirmed by two caseworkers.",
        "two_person_rule",
    ),
    "two_person_rule": ("The two-person rule refuses this decision.", "two_person_rule"),
}


def candidate_not_found() -> NotFound:
    return NotFound("No candidate has that id.", code="candidate_not_found")


def decide(ctx: Context, candidate_id: UUID, body: DecisionCreate) -> DecisionCreated:
    """Record a verdict. Two different caseworkers must confirm the same candidate before
    a case is identified; a reject by either disputes it. The database enforces this."""
    if repo.get_candidate(ctx.conn, candidate_id) is None:
        raise candidate_not_found()
    try:
        decision = repo.insert_decision(
            ctx.conn,
            candidate_id=candidate_id,
            reviewer_id=ctx.principal.user_id,
            verdict=body.verdict,
            reason=body.reason,
        )
    except repo.DecisionRefused as refused:
        detail, code = _REFUSALS[refused.rule]
        raise Conflict(detail, code=code) from None
    candidate = repo.get_candidate(ctx.conn, candidate_id)
    case = cases_repo.lock_case(ctx.conn, decision.case_id)
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


# The stop switch ---------------------------------------------------------------------------


def matching_state(ctx: Context) -> MatchingState:
    """Whether matching is suspended."""
    suspended, reason, updated_at = repo.matching_state(ctx.conn)
    return MatchingState(suspended=suspended, reason=reason, updated_at=updated_at)


def switch_matching(ctx: Context, *, suspend: bool, reason: str | None) -> MatchingState:
    """Suspend (queued runs wait, nothing is lost) or resume matching; audited."""
    repo.set_matching_suspended(ctx.conn, suspend, reason, ctx.principal.user_id)
    ctx.audit("matching.suspend" if suspend else "matching.resume", details={"reason": reason})
    return matching_state(ctx)


def matching_suspended(conn: Conn) -> bool:
    """Whether matching is suspended (the relay and the workers ask)."""
    return repo.matching_suspended(conn)


# Reads for the desk ------------------------------------------------------------------------


def latest_run(ctx: Context, case_id: UUID) -> repo.Run | None:
    """The case's most recently requested run, whatever its state."""
    run_id = repo.latest_run_id(ctx.conn, case_id)
    return repo.get_run(ctx.conn, run_id) if run_id else None


def get_run(ctx: Context, run_id: UUID) -> repo.Run | None:
    return repo.get_run(ctx.conn, run_id)


def run_progress(ctx: Context, run_id: UUID) -> repo.Run:
    """A run's state for a progress display (no personal data: not an audited read)."""
    run = repo.get_run(ctx.conn, run_id)
    if run is None:
        raise match_run_not_found()
    return run


def candidate_of_case(ctx: Context, case_id: UUID, candidate_id: UUID) -> repo.CandidateRow:
    """The candidate, if it belongs to a run of this case."""
    row = repo.get_candidate(ctx.conn, candidate_id)
    if row is None or row.case_id != case_id:
        raise NotFound("This case has no candidate with that id.", code="candidate_not_found")
    return row


def decisions_on(ctx: Context, candidate_ids: list[UUID]) -> list[repo.DecisionRow]:
    return repo.decisions_on(ctx.conn, candidate_ids)


def open_reviews(ctx: Context, case_ids: list[UUID]) -> dict[UUID, repo.OpenReviews]:
    """Per case: candidates with a verdict and no confirmation, and how many of those
    still wait for the current user."""
    return repo.open_reviews(ctx.conn, case_ids, ctx.principal.user_id)


# Executing a run (in a worker) -------------------------------------------------------------


def run_match(conn: Conn, run: repo.Run) -> int:
    """Execute one match run inside the caller's transaction; returns the candidate count.

    Matching moves the case to ``candidates_ready`` and never further: only people's
    decisions change it after that.
    """
    started = time.perf_counter()
    indexed = index_case(conn, run.case_id)
    if indexed is None:
        raise LookupError(f"case {run.case_id} of run {run.id} is gone")
    case, person = indexed.case, indexed.person
    faces = list(index_repo.faces_of(conn, [case.id]).get(case.id, []))
    scored, timings, blocked = find_candidates(
        conn, person, matcher=matcher(), faces=faces, exclude=case.id
    )
    rows = []
    for rank, item in enumerate(scored, start=1):
        own = item.stored.agency_id == case.agency_id
        rows.append(
            {
                "rank": rank,
                "kind": item.stored.subject_kind,
                "subject_id": item.stored.subject_id,
                "owner": item.stored.agency_id,
                "ref": item.stored.ref,
                "score": round(item.result.probability, 6),
                "weight": round(item.result.match_weight, 4),
                "band": item.result.band,
                "explanation": explanation(item.result, disclose_candidate=own),
            }
        )
    repo.replace_candidates(conn, run, rows)
    timings["total_ms"] = round((time.perf_counter() - started) * 1000, 2)
    timings["blocked"] = blocked
    repo.finish_run(
        conn, run.id, gallery=index_repo.gallery_version(conn), count=len(rows), timings=timings
    )
    if case.state in ("open", "matching"):
        cases_repo.set_case_state(conn, case.id, "candidates_ready")
    return len(rows)


# The algorithm's declared error rates ------------------------------------------------------


def algorithm(version: str | None) -> AlgorithmRead:
    """An algorithm version (default: the one matching runs with now) and how often each
    of its bands named the wrong person on the labelled benchmark, per gallery size."""
    chosen = version or scoring.DEFAULT_VERSION
    if chosen not in scoring.versions():
        raise NotFound(
            f"There is no matching algorithm {chosen!r}; there are "
            f"{', '.join(scoring.versions())}.",
            code="algorithm_not_found",
        )
    declared = scoring.declared_bands(chosen) or {}
    sizes = declared.get("by_gallery_size", {})
    return AlgorithmRead(
        id=f"tessera-fs-{chosen}",
        version=chosen,
        default=chosen == scoring.DEFAULT_VERSION,
        declared_source=declared.get("source"),
        declared_meaning=declared.get("why"),
        declared=[
            DeclaredRates(
                gallery_size=int(size),
                queries=dict(entry.get("queries", {})),
                bands=[
                    BandRates(
                        band=band,
                        wrong_given_band=rates["wrong_given_band"],
                        negatives_with_wrong=rates["negatives_with_wrong"],
                        true_in_band=rates["true_in_band"],
                        candidates=rates["candidates"],
                    )
                    for band, rates in entry.get("bands", {}).items()
                ],
            )
            for size, entry in sorted(sizes.items(), key=lambda item: int(item[0]))
        ],
    )


def strong_caveat() -> str | None:
    """For the desk, beside the bands: how often ``strong`` named the wrong person on the
    labelled benchmark, at each gallery size declared."""
    declared = algorithm(None)
    parts = [
        f"{band.wrong_given_band:.1%} at {size.gallery_size:,} records"
        for size in declared.declared
        for band in size.bands
        if band.band == "strong"
    ]
    if not parts:
        return None
    return (
        f"Algorithm {declared.version}: on a labelled benchmark with namesakes and people "
        f"who are not in the registry, {' and '.join(parts)} of strong candidates were not "
        "the person. Strong is a suggestion to check, never an identification."
    )
