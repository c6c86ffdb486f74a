"""Cases: one unidentified subject each, with the subject's own claims."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, StringConstraints

from schemas.common import StrictModel, Text
from schemas.evidence import EvidenceSummary
from schemas.person import Person

Reference = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._/\-]*$")
]


class CaseCreate(StrictModel):
    """A new case: the agency's own reference (unique per agency) and the subject."""

    reference: Reference
    subject: Person


class CaseClose(StrictModel):
    """Closing a case: ``identified`` only for a case the two-person rule identified."""

    outcome: Literal["identified", "no_match", "withdrawn"]
    reason: Annotated[Text, StringConstraints(min_length=1, max_length=2000)]


class SubjectUpdate(StrictModel):
    """A new version of the subject's own account, with why it changed (a correction,
    a second interview...). The version it replaces stays in the history."""

    subject: Person
    reason: Annotated[Text, StringConstraints(min_length=1, max_length=2000)]


class SubjectVersion(BaseModel):
    """One version of the subject's own account: version 1 as the case was opened."""

    version: int
    subject: dict[str, Any]
    reason: str | None
    changed_by: UUID | None
    changed_at: datetime


class CaseRead(BaseModel):
    """A case; ``evidence`` is filled on a single-case read, oldest item first."""

    id: UUID
    reference: str
    state: str
    subject: dict[str, Any]
    created_by: UUID
    created_at: datetime
    updated_at: datetime
    outcome: str | None = None
    close_reason: str | None = None
    closed_at: datetime | None = None
    closed_by: UUID | None = None
    evidence: list[EvidenceSummary] = []


class CaseListItem(BaseModel):
    """A case as listed: no personal data, so a list needs no purpose."""

    id: UUID
    reference: str
    state: str
    outcome: str | None = None
    created_at: datetime
    updated_at: datetime
