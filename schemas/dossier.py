"""The readmission dossier of an identified case, for one requested state."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel


class DossierAgreement(BaseModel):
    """The readmission agreement whose annexes graded the evidence."""

    code: str
    title: str


class DossierIdentity(BaseModel):
    """The candidate two caseworkers confirmed. ``person`` is the identity record's
    particulars when the record is the caller's agency's own; another agency's record
    is named by nothing of its own (no ref, no stored values)."""

    candidate_id: UUID
    kind: Literal["identity", "case"]
    own_record: bool
    ref: str | None
    match_run_id: UUID
    algorithm: str
    band: str
    person: dict[str, Any] | None


class DossierConfirmation(BaseModel):
    """One of the two confirmations: who confirmed and when (the reviewers' free-text
    reasons are internal and stay out of the dossier)."""

    decision_id: UUID
    reviewer_id: UUID
    reviewer: str
    verdict: Literal["confirm"]
    decided_at: datetime


class DossierEvidence(BaseModel):
    """An item of evidence of nationality, graded: ``proof`` (annex I), ``prima_facie``
    (annex II) or ``none``; ``reason`` says why, ``rule`` quotes the rule applied and
    ``cited`` holds the only fields of the item the dossier discloses."""

    evidence_id: UUID
    kind: str
    type: str | None
    grade: Literal["proof", "prima_facie", "none"]
    reason: str
    rule: str | None
    recorded_at: datetime
    cited: dict[str, Any]


class Dossier(BaseModel):
    """What the requested state needs to answer a readmission application, and nothing
    else: no other candidates, no other agency's data, no interview notes, never a
    protection claim."""

    case_id: UUID
    reference: str
    requested_state: str
    agreement: DossierAgreement
    generated_at: datetime
    person: dict[str, Any]
    person_source: Literal["identity_record", "case_subject"]
    identity: DossierIdentity
    confirmations: list[DossierConfirmation]
    evidence: list[DossierEvidence]
    proof_count: int
    prima_facie_count: int
