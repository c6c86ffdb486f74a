"""Match runs, candidates, decisions, partner queries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from schemas.common import StrictModel, Text
from schemas.person import Person


class MatchRequested(BaseModel):
    match_run_id: UUID
    state: str
    created: bool


class ExplanationItem(BaseModel):
    feature: str
    level: str
    weight: float
    query: str | None = None
    candidate: str | None = None
    detail: str | None = None


class DecisionRead(BaseModel):
    id: UUID
    reviewer_id: UUID
    verdict: str
    reason: str
    created_at: datetime


class Review(BaseModel):
    """What the asking reviewer may know of the review so far.

    Until they have given their own verdict, other reviewers' verdicts and the
    candidate's review status are withheld, so the second look is independent.
    """

    you_decided: bool
    status: str | None = None
    decisions: list[DecisionRead] | None = None


class CandidateRead(BaseModel):
    id: UUID
    kind: Literal["identity", "case"]
    ref: str | None
    rank: int
    score: float
    band: str
    match_weight: float
    explanation: list[ExplanationItem]
    own_agency: bool
    review: Review


class MatchRunRead(BaseModel):
    id: UUID
    case_id: UUID
    state: str
    algorithm: str
    gallery_version: int | None
    evidence_hash: str
    started_at: datetime | None
    finished_at: datetime | None
    created_at: datetime
    candidate_count: int | None
    timings: dict[str, Any]
    error: str | None
    #: records of the searched galleries still waiting to be indexed when the run ran:
    #: the run could not find them (null until the run is done)
    pending_index: int | None = None
    candidates: list[CandidateRead]


class CandidateList(BaseModel):
    match_run_id: UUID | None
    items: list[CandidateRead]
    next_cursor: str | None = None


class DecisionCreate(StrictModel):
    verdict: Literal["confirm", "reject", "unsure"]
    reason: Annotated[Text, StringConstraints(min_length=1, max_length=2000)]


class DecisionCreated(BaseModel):
    id: UUID
    candidate_id: UUID
    case_id: UUID
    match_run_id: UUID
    verdict: str
    reason: str
    algorithm: str
    score: float
    band: str
    explanation: list[ExplanationItem]
    created_at: datetime
    candidate_status: str
    case_state: str


class PartnerQuery(StrictModel):
    person: Person
    limit: Annotated[int, Field(ge=1, le=50)] = 10
    face_image: Annotated[str, StringConstraints(max_length=20_000_000)] | None = None


class PartnerCandidate(BaseModel):
    """Minimal disclosure: the owner's reference, the score and our own query values."""

    kind: str
    ref: str | None
    score: float
    band: str
    match_weight: float
    #: the candidate's name parts in a script the matcher cannot read: compared only
    #: as written (the explanation says so); a count, the values stay undisclosed
    unread_parts: int = 0
    explanation: list[ExplanationItem]


class PartnerAnswer(BaseModel):
    algorithm: str
    gallery_version: int
    #: records of the searched galleries still waiting to be indexed: this answer
    #: could not find them; 0 when every imported record is searchable
    pending_index: int
    #: the query's name parts in a script the matcher cannot read: they find only a
    #: record holding the very same text, and are never silently dropped
    unread_parts: int = 0
    candidates: list[PartnerCandidate]


class MatchingSwitch(StrictModel):
    reason: Annotated[Text, StringConstraints(min_length=1, max_length=500)] | None = None


class MatchingState(BaseModel):
    suspended: bool
    reason: str | None
    updated_at: datetime


class BandRates(BaseModel):
    """How often one band named the wrong person on the labelled benchmark."""

    band: str
    #: share of this band's candidates that were not the person
    wrong_given_band: float
    #: share of queries about people not in the registry (or namesakes of someone who
    #: is) that got a candidate in this band
    negatives_with_wrong: float
    #: share of people in the registry whose own record came back in this band
    true_in_band: float
    candidates: int


class DeclaredRates(BaseModel):
    gallery_size: int
    queries: dict[str, int]
    bands: list[BandRates]


class AlgorithmRead(BaseModel):
    """A matching algorithm and the error rates it declares for its bands."""

    id: str
    version: str
    default: bool
    #: what the rates were measured on, and what they mean; null when the version
    #: declares none
    declared_source: str | None
    declared_meaning: str | None
    declared: list[DeclaredRates]
