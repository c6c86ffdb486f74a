"""Dossier rules: who may have one, for which state, with what in it; every export
is audited with its recipient and format."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import TypeAdapter, ValidationError

from schemas.common import Country
from schemas.dossier import (
    Dossier,
    DossierAgreement,
    DossierConfirmation,
    DossierEvidence,
    DossierIdentity,
)
from service.deps import Context
from service.dossier import repository as repo
from service.dossier.grading import grade_evidence
from service.errors import Conflict, InvalidInput, NotFound, Unavailable

#: How the dossier left the service: the API's JSON or PDF, or a desk page.
Format = Literal["json", "pdf", "desk"]

#: A claim that is pending or granted bars a request to a country of feared persecution
#: (non-refoulement); a refused or withdrawn claim no longer does, but is never mentioned.
_BARRING = frozenset({"applied", "granted"})


_COUNTRY: TypeAdapter[str] = TypeAdapter(Country)


def requested_state_of(value: str) -> str:
    """The requested state as an ISO 3166-1 alpha-3 code, or a 422 ``invalid_country``."""
    try:
        return _COUNTRY.validate_python(value.strip())
    except ValidationError:
        raise InvalidInput(
            "requested_state is the ISO 3166-1 alpha-3 code of the state the readmission "
            f"application goes to; '{value[:20]}' is not one.",
            code="invalid_country",
        ) from None


def case_not_found() -> NotFound:
    """The same 404 as every case path: another agency's case is as absent as none."""
    return NotFound("No case has that id.", code="case_not_found")


def _is_identified(case: repo.CaseRow) -> bool:
    return case.state == "identified" or (case.state == "closed" and case.outcome == "identified")


def without_protection(person: dict[str, Any]) -> dict[str, Any]:
    """The person without any trace of a protection claim."""
    return {k: v for k, v in person.items() if k != "protection"}


def _protection(*persons: dict[str, Any] | None) -> tuple[str, set[str]] | None:
    """The protection claim of the case subject or of its own identity record: its
    status and its countries of feared persecution."""
    for person in persons:
        claim = (person or {}).get("protection")
        if isinstance(claim, dict) and claim.get("asylum"):
            return str(claim["asylum"]), {str(c) for c in claim.get("feared_persecution") or []}
    return None


def build_dossier(ctx: Context, case_id: UUID, requested_state: str, fmt: Format) -> Dossier:
    """The dossier of an identified case of the caller's agency for ``requested_state``,
    audited as exported to that state in ``fmt``.

    Refused (409) for a case not identified, and for a requested state that the
    person's pending or granted protection claim names as a country of feared
    persecution: no dossier goes to it. A dossier never mentions a protection claim.
    """
    ctx.require_purpose()
    case = repo.get_case(ctx.conn, case_id)
    if case is None:
        raise case_not_found()
    if not _is_identified(case):
        raise Conflict(
            "A dossier is built for an identified case only (two caseworkers confirmed one "
            f"candidate); this case is {case.state}.",
            code="case_not_identified",
        )
    candidate = repo.confirmed_candidate(ctx.conn, case_id)
    if candidate is None:  # identified only by the two-person rule; kept for safety
        raise Conflict("This case has no confirmed candidate.", code="case_not_identified")
    record = (
        repo.own_identity_person(ctx.conn, candidate.subject_id)
        if candidate.kind == "identity" and candidate.owner_agency_id == case.agency_id
        else None
    )
    claim = _protection(case.subject, record)
    if claim is not None and claim[0] in _BARRING and requested_state in claim[1]:
        raise Conflict(
            f"No dossier goes to {requested_state}: the person's protection claim names it "
            "as a country of feared persecution (non-refoulement).",
            code="requested_state_barred",
        )
    agreement = repo.agreement_for(ctx.conn, requested_state)
    if agreement is None:
        raise Unavailable(
            "No readmission agreement is configured, not even the default one.",
            code="no_readmission_agreement",
        )
    now = datetime.now(UTC)
    evidence: list[DossierEvidence] = []
    for evidence_id, kind, data, recorded_at in repo.current_evidence(ctx.conn, case_id):
        if kind == "face_image":  # biometrics are not evidence of nationality; kept minimal
            continue
        graded = grade_evidence(
            kind, data, agreement=agreement, requested_state=requested_state, today=now.date()
        )
        evidence.append(
            DossierEvidence(
                evidence_id=evidence_id,
                kind=kind,
                type=data.get("type") if kind == "document" else None,
                grade=graded.grade,
                reason=graded.reason,
                rule=graded.rule,
                recorded_at=recorded_at,
                cited=graded.cited,
            )
        )
    own = candidate.owner_agency_id == case.agency_id
    dossier = Dossier(
        case_id=case.id,
        reference=case.reference,
        requested_state=requested_state,
        agreement=DossierAgreement(code=agreement.code, title=agreement.title),
        generated_at=now,
        person=without_protection(record if record is not None else case.subject),
        person_source="identity_record" if record is not None else "case_subject",
        identity=DossierIdentity(
            candidate_id=candidate.id,
            kind="identity" if candidate.kind == "identity" else "case",
            own_record=own,
            ref=candidate.ref if own else None,
            match_run_id=candidate.match_run_id,
            algorithm=candidate.algorithm,
            band=candidate.band,
            person=without_protection(record) if record is not None else None,
        ),
        confirmations=[
            DossierConfirmation(
                decision_id=c.decision_id,
                reviewer_id=c.reviewer_id,
                reviewer=c.reviewer,
                verdict="confirm",
                decided_at=c.decided_at,
            )
            for c in repo.confirmations(ctx.conn, candidate.id)
        ],
        evidence=evidence,
        proof_count=sum(e.grade == "proof" for e in evidence),
        prima_facie_count=sum(e.grade == "prima_facie" for e in evidence),
    )
    ctx.audit(
        "dossier.export",
        object_type="case",
        object_id=case_id,
        details={
            "requested_state": requested_state,
            "recipient": requested_state,
            "format": fmt,
            "agreement": agreement.code,
            "candidate_id": str(candidate.id),
            "evidence": [str(e.evidence_id) for e in evidence],
            "proof": dossier.proof_count,
            "prima_facie": dossier.prima_facie_count,
        },
    )
    return dossier
