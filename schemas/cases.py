"""Cases: one unidentified subject each, with the subject's own claims."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, StringConstraints

from schemas.common import StrictModel
from schemas.evidence import EvidenceSummary
from schemas.person import Person

Reference = Annotated[
    str, StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._/\-]*$")
]


class CaseCreate(StrictModel):
    """A new case: the agency's own reference (unique per agency) and the subject."""

    reference: Reference
    subject: Person


class CaseRead(BaseModel):
    """A case; ``evidence`` is filled on a single-case read, oldest item first."""

    id: UUID
    reference: str
    state: str
    subject: dict[str, Any]
    created_by: UUID
    created_at: datetime
    updated_at: datetime
    evidence: list[EvidenceSummary] = []


class CaseListItem(BaseModel):
    """A case as listed: no personal data, so a list needs no purpose."""

    id: UUID
    reference: str
    state: str
    created_at: datetime
    updated_at: datetime
