"""The data subject's rights: retention periods, subject-access exports, erasure."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field

from schemas.common import StrictModel

RetentionKind = Literal["case", "identity", "document", "interview", "language_test", "face_image"]
RETENTION_KINDS: tuple[RetentionKind, ...] = (
    "case",
    "identity",
    "document",
    "interview",
    "language_test",
    "face_image",
)
Days = Annotated[int, Field(ge=1, le=36500)]


class RetentionUpdate(StrictModel):
    """An agency's retention periods in days (1 to 36,500); a kind left out keeps its
    period. A period applies to data written from then on: a case counts from its
    opening and again from its closing, evidence from when it was added, an identity
    record from its last change."""

    case: Days | None = None
    identity: Days | None = None
    document: Days | None = None
    interview: Days | None = None
    language_test: Days | None = None
    face_image: Days | None = None


class RetentionPeriod(BaseModel):
    kind: RetentionKind
    days: int
    source: Literal["agency", "default"]


class RetentionRead(BaseModel):
    """The periods that apply to an agency's data, each its own or the default."""

    agency_id: UUID
    periods: list[RetentionPeriod]


class Erased(BaseModel):
    """What a deletion removed: counts of rows, never their content."""

    id: UUID
    kind: Literal["case", "identity"]
    erased_at: datetime
    removed: dict[str, int]


class ExportedEvidence(BaseModel):
    id: UUID
    kind: str
    created_at: datetime
    supersedes: UUID | None
    erased_at: datetime | None
    retention_until: datetime | None
    data: dict[str, Any]
    checks: dict[str, Any]
    photo: dict[str, Any] | None = Field(
        default=None, description="A face image's stored form (sizes, quality), never its bytes."
    )


class ExportedRun(BaseModel):
    id: UUID
    state: str
    algorithm: str
    created_at: datetime
    finished_at: datetime | None
    candidate_count: int | None


class ExportedCandidate(BaseModel):
    """A suggestion made about the subject: another person's record, so only its rank,
    score, band and status (not its names or reference)."""

    id: UUID
    match_run_id: UUID
    rank: int
    kind: str
    score: float
    band: str
    status: str


class ExportedDecision(BaseModel):
    id: UUID
    candidate_id: UUID
    reviewer_id: UUID
    verdict: str
    reason: str
    algorithm: str
    score: float
    band: str
    created_at: datetime


class ExportedEvent(BaseModel):
    seq: int
    occurred_at: datetime
    actor_id: UUID | None
    role: str | None
    action: str
    object_type: str | None
    object_id: str | None
    purpose: str | None
    details: dict[str, Any]


class CaseExport(BaseModel):
    """Everything held about a case's subject, for a subject-access request."""

    exported_at: datetime
    case: dict[str, Any]
    evidence: list[ExportedEvidence]
    match_runs: list[ExportedRun]
    candidates: list[ExportedCandidate]
    decisions: list[ExportedDecision]
    audit_events: list[ExportedEvent]
