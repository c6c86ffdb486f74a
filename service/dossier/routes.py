"""HTTP for dossiers: ``GET /v1/cases/{case_id}/dossier?requested_state=XXX``."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Header, Query, Response

from schemas.dossier import Dossier
from service.deps import Caseworker
from service.dossier import pdf
from service.dossier.service import build_dossier, requested_state_of

router = APIRouter(prefix="/v1/cases", tags=["dossiers"])


def wants_pdf(accept: str | None) -> bool:
    """Whether the client asked for the printable form (``Accept: application/pdf``)."""
    return any(
        part.split(";")[0].strip() == "application/pdf" for part in (accept or "").split(",")
    )


@router.get(
    "/{case_id}/dossier",
    response_model=Dossier,
    responses={200: {"content": {"application/pdf": {}}}},
)
def get_dossier(
    case_id: UUID,
    ctx: Caseworker,
    requested_state: Annotated[str, Query(min_length=1, max_length=10)],
    accept: Annotated[str | None, Header()] = None,
) -> Dossier | Response:
    """The readmission dossier of an identified case for the requested state: the
    person's particulars, the graded evidence of nationality, the confirmed identity
    with its two confirmations. ``Accept: application/pdf`` gives the printable form.
    Requires X-Purpose; every export is audited with its recipient and format. 409 for a
    case not identified (``case_not_identified``) and for a state the person's protection
    claim names as feared (``requested_state_barred``)."""
    state = requested_state_of(requested_state)
    if not wants_pdf(accept):
        return build_dossier(ctx, case_id, state, "json")
    dossier = build_dossier(ctx, case_id, state, "pdf")
    return Response(
        pdf.render(dossier),
        media_type="application/pdf",
        headers={
            "Content-Disposition": (
                f'attachment; filename="dossier-{dossier.case_id}-{state}.pdf"'
            ),
            "Cache-Control": "no-store",
        },
    )
