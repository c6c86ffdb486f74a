"""The review desk's pages under /desk/.

Every page signs its user in from the session cookie and then calls the domain
services the API's routes call, with the same kind of request context the API builds
from a token: the same role checks, row-level security, two-person rule, review hiding
and audit events. A page can therefore show nothing the API would refuse the same user.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from uuid import UUID

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from schemas.matching import CandidateRead, DecisionCreate
from service.audit import service as audit_service
from service.cases import service as cases_service
from service.deps import source_of
from service.desk import sessions
from service.desk.sessions import DESK_ROLES, DeskSession, signed_in
from service.desk.web import (
    HERE,
    SECURITY_HEADERS,
    csrf_refused,
    error_page,
    html,
    page,
    parse_id,
    redirect,
    render,
    safe_next,
)
from service.dossier import pdf as dossier_pdf
from service.dossier import service as dossier_service
from service.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    TooManyFailedSignIns,
    Unauthorized,
)
from service.evidence import service as evidence_service
from service.identities import service as identities_service
from service.pagination import decode_seq_cursor, encode_cursor
from service.runs import service as runs_service

router = APIRouter(prefix="/desk", include_in_schema=False)

Field = Annotated[str, Form()]

# Sign-in and sign-out ----------------------------------------------------------------------


def _sign_in_page(
    request: Request, *, status: int = 200, error: str | None = None, next_path: str = ""
) -> Response:
    """The form, with a fresh sign-in token in a cookie and the form (double submit):
    a page of another site cannot sign a browser in under someone else's token."""
    token = sessions.new_session_id()
    notice = None
    if request.query_params.get("expired"):
        notice = "Your session ended after a period without activity. Sign in again."
    elif request.query_params.get("signed_out"):
        notice = "You have signed out."
    response = html(
        render(
            "sign_in.html",
            csrf=token,
            error=error,
            notice=notice,
            next_path=safe_next(next_path or request.query_params.get("next")),
        ),
        status,
    )
    sessions.set_cookie(response, request, sessions.SIGN_IN_COOKIE, token, max_age=3600)
    return response


@router.get("/sign-in")
def sign_in_form(request: Request) -> Response:
    """Sign in with your token."""
    return _sign_in_page(request)


@router.post("/sign-in")
def sign_in(
    request: Request,
    token: Field = "",
    purpose: Field = "",
    csrf: Field = "",
    next_path: Annotated[str, Form(alias="next")] = "",
) -> Response:
    """Check the token as the API does; open a session for caseworkers and auditors."""
    expected = request.cookies.get(sessions.SIGN_IN_COOKIE) or ""
    if not sessions.tokens_match(csrf, expected):
        return csrf_refused()
    purpose = purpose.strip()
    if not purpose or len(purpose) > 500:
        return _sign_in_page(
            request,
            status=422,
            error="State the purpose of this session (up to 500 characters); every page "
            "you open is logged with it.",
            next_path=next_path,
        )
    try:
        session_id = sessions.open_session(
            sessions.pool_of(request),
            sessions.settings_of(request),
            token=token,
            purpose=purpose,
            source=source_of(request),
            request_id=request.state.request_id,
        )
    except TooManyFailedSignIns as exc:
        throttled = _sign_in_page(request, status=429, error=exc.detail, next_path=next_path)
        throttled.headers["Retry-After"] = str(exc.retry_after_s)
        return throttled
    except Unauthorized:
        return _sign_in_page(
            request, status=401, error="That token is not valid.", next_path=next_path
        )
    except Forbidden as exc:
        return error_page(403, exc.title, exc.detail, back="/desk/sign-in")
    response = redirect(safe_next(next_path))
    sessions.set_cookie(response, request, sessions.SESSION_COOKIE, session_id, max_age=None)
    sessions.clear_cookie(response, request, sessions.SIGN_IN_COOKIE)
    return response


@router.post("/sign-out")
@page
def sign_out(request: Request, csrf: Field = "") -> Response:
    """End the session here and in the database."""
    with signed_in(request, *DESK_ROLES, csrf=csrf) as s:
        sessions.end_session(s, request.cookies.get(sessions.SESSION_COOKIE, ""))
    response = redirect("/desk/sign-in?signed_out=1")
    sessions.clear_cookie(response, request, sessions.SESSION_COOKIE)
    return response


@router.get("")
@router.get("/")
@page
def home(request: Request) -> Response:
    """Each role's first page."""
    with signed_in(request, *DESK_ROLES) as s:
        role = s.role
    return redirect("/desk/cases" if role == "caseworker" else "/desk/audit")


# Static files -----------------------------------------------------------------------------

_STATIC = {"desk.css": "text/css; charset=utf-8", "desk.js": "text/javascript; charset=utf-8"}


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The desk's stylesheet and script (no personal data; cacheable)."""
    if name not in _STATIC:
        return error_page(404, "Not found", "There is no such file.")
    return Response(
        (HERE / "static" / name).read_bytes(),
        media_type=_STATIC[name],
        headers={"Cache-Control": "max-age=300", "X-Content-Type-Options": "nosniff"},
    )


# Caseworkers ------------------------------------------------------------------------------


@router.get("/cases")
@page
def case_list(request: Request, cursor: str | None = None) -> Response:
    """Your agency's cases with state, age and open reviews."""
    with signed_in(request, "caseworker") as s:
        listing = cases_service.list_cases(s.ctx, limit=100, cursor=cursor)
        reviews = runs_service.open_reviews(s.ctx, [c.id for c in listing.items])
        body = render(
            "cases.html",
            session=s,
            cases=listing.items,
            reviews=reviews,
            next_cursor=listing.next_cursor,
            now=datetime.now(UTC),
        )
    return html(body)


def _faces(s: DeskSession, case_id: UUID) -> list[str]:
    return [
        f"/desk/cases/{case_id}/faces/{evidence_id}"
        for evidence_id in evidence_service.thumbnail_ids(s.ctx, case_id)
    ]


@router.get("/cases/{case_id}")
@page
def case_page(request: Request, case_id: str) -> Response:
    """A case: its subject and evidence, matching and its progress, the candidates."""
    cid = parse_id(case_id, "case")
    with signed_in(request, "caseworker") as s:
        case = cases_service.read_case(s.ctx, cid)
        run = runs_service.latest_run(s.ctx, cid)
        candidates = runs_service.list_candidates(s.ctx, cid)
        body = render(
            "case.html",
            session=s,
            case=case,
            evidence=[e for e in case.evidence if not e.superseded],
            superseded=[e for e in case.evidence if e.superseded],
            faces=_faces(s, cid),
            run=run,
            matchable=case.state in runs_service.RESTARTABLE,
            candidates=candidates.items,
            candidates_run=candidates.match_run_id,
            nationality=case.subject.get("nationality", []),
            strong_caveat=runs_service.strong_caveat(),
        )
    return html(body)


@router.get("/cases/{case_id}/dossier")
@page
def dossier_page(request: Request, case_id: str, requested_state: str = "") -> Response:
    """The readmission dossier of an identified case for a requested state (the service
    the API's dossier path calls; the view is audited like an export), with its PDF."""
    cid = parse_id(case_id, "case")
    with signed_in(request, "caseworker") as s:
        case = cases_service.read_case(s.ctx, cid)
        dossier = None
        state = requested_state.strip().upper()
        if state:
            state = dossier_service.requested_state_of(state)
            dossier = dossier_service.build_dossier(s.ctx, cid, state, "desk")
        body = render("dossier.html", session=s, case=case, dossier=dossier, state=state)
    return html(body)


@router.get("/cases/{case_id}/dossier.pdf")
@page
def dossier_download(request: Request, case_id: str, requested_state: str = "") -> Response:
    """The dossier's printable form, downloaded (audited as a PDF export)."""
    cid = parse_id(case_id, "case")
    with signed_in(request, "caseworker") as s:
        state = dossier_service.requested_state_of(requested_state.strip().upper())
        dossier = dossier_service.build_dossier(s.ctx, cid, state, "pdf")
    return Response(
        dossier_pdf.render(dossier),
        media_type="application/pdf",
        headers={
            **SECURITY_HEADERS,
            "Content-Disposition": f'attachment; filename="dossier-{cid}-{state}.pdf"',
        },
    )


@router.post("/cases/{case_id}/match")
@page
def start_matching(request: Request, case_id: str, csrf: Field = "") -> Response:
    """Queue a match run for the case (the service the API calls)."""
    cid = parse_id(case_id, "case")
    with signed_in(request, "caseworker", csrf=csrf) as s:
        runs_service.start_match(s.ctx, cid)
    return redirect(f"/desk/cases/{cid}#matching")


@router.get("/runs/{run_id}/state")
@page
def run_state(request: Request, run_id: str) -> Response:
    """A run's state for the progress display (no personal data, so not a logged read)."""
    rid = parse_id(run_id, "match run")
    with signed_in(request, "caseworker") as s:
        run = runs_service.run_progress(s.ctx, rid)
        state = {"state": run.state, "candidate_count": run.candidate_count}
    return JSONResponse(state, headers={"Cache-Control": "no-store"})


@router.get("/cases/{case_id}/faces/{evidence_id}")
@page
def face_thumbnail(request: Request, case_id: str, evidence_id: str) -> Response:
    """The thumbnail of a face photo of one of your agency's cases; each view is logged.
    Another agency's photos are never shown (row-level security keeps them out of reach)."""
    cid = parse_id(case_id, "case")
    eid = parse_id(evidence_id, "face image")
    with signed_in(request, "caseworker") as s:
        data = evidence_service.read_thumbnail(s.ctx, cid, eid)
    return Response(
        data,
        media_type="image/jpeg",
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def _candidate(s: DeskSession, case_id: UUID, candidate_id: UUID) -> tuple[CandidateRead, Any]:
    listing = runs_service.list_candidates(s.ctx, case_id)
    found = next((c for c in listing.items if c.id == candidate_id), None)
    if found is None:
        raise NotFound(
            "The latest match run of this case has no candidate with that id.",
            code="candidate_not_found",
        )
    return found, listing.match_run_id


@router.get("/cases/{case_id}/candidates/{candidate_id}")
@page
def candidate_page(request: Request, case_id: str, candidate_id: str) -> Response:
    """The candidate beside the subject, the weight of every feature, and the review."""
    cid = parse_id(case_id, "case")
    kid = parse_id(candidate_id, "candidate")
    with signed_in(request, "caseworker") as s:
        case = cases_service.read_case(s.ctx, cid)
        candidate, run_id = _candidate(s, cid, kid)
        subject = cases_service.merged_person(s.ctx, cid)
        row = runs_service.candidate_of_case(s.ctx, cid, kid)
        run = runs_service.get_run(s.ctx, run_id) if run_id else None
        other: dict[str, Any] | None = None
        other_faces: list[str] = []
        if candidate.own_agency and row.kind == "identity":
            other = identities_service.read_identity(s.ctx, row.subject_id).person
        elif candidate.own_agency and row.kind == "case":
            other = cases_service.read_case(s.ctx, row.subject_id).subject
            other_faces = _faces(s, row.subject_id)
        body = render(
            "candidate.html",
            session=s,
            case=case,
            candidate=candidate,
            run=run,
            subject=subject,
            subject_faces=_faces(s, cid),
            other=other,
            other_faces=other_faces,
            decided=request.query_params.get("decided"),
            user_id=s.ctx.principal.user_id,
        )
    return html(body)


@router.post("/cases/{case_id}/candidates/{candidate_id}/decisions")
@page
def decide(
    request: Request,
    case_id: str,
    candidate_id: str,
    csrf: Field = "",
    verdict: Field = "",
    reason: Field = "",
) -> Response:
    """Record your verdict through the service the API calls (two-person rule in the
    database)."""
    cid = parse_id(case_id, "case")
    kid = parse_id(candidate_id, "candidate")
    with signed_in(request, "caseworker", csrf=csrf) as s:
        try:
            body = DecisionCreate.model_validate({"verdict": verdict, "reason": reason.strip()})
        except ValidationError:
            raise InvalidInput(
                "Choose confirm, reject or unsure, and give the reason for your verdict "
                "(up to 2,000 characters). Nothing was recorded.",
                code="invalid_decision",
            ) from None
        runs_service.candidate_of_case(s.ctx, cid, kid)
        created = runs_service.decide(s.ctx, kid, body)
    query = urlencode({"decided": created.verdict})
    return redirect(f"/desk/cases/{cid}/candidates/{kid}?{query}#review")


# Auditors ---------------------------------------------------------------------------------

_FILTERS = ("actor", "agency", "action", "object", "object_type", "since", "until")


def _filters(request: Request) -> tuple[dict[str, Any], dict[str, str], list[str]]:
    """The API's filter arguments from the form, the form's values, and what was wrong."""
    given = {k: request.query_params.get(k, "").strip() for k in _FILTERS}
    problems: list[str] = []
    out: dict[str, Any] = {}
    for field, arg in (("actor", "actor_id"), ("agency", "agency_id")):
        if given[field]:
            try:
                out[arg] = UUID(given[field])
            except ValueError:
                problems.append(f"'{field}' must be a user or agency id (a UUID).")
    for field, arg in (
        ("action", "action"),
        ("object", "object_id"),
        ("object_type", "object_type"),
    ):
        if given[field]:
            if len(given[field]) > 100:
                problems.append(f"'{field}' is limited to 100 characters.")
            else:
                out[arg] = given[field]
    for field in ("since", "until"):
        if given[field]:
            try:
                moment = datetime.fromisoformat(given[field])
            except ValueError:
                problems.append(f"'{field}' must be a date and time, e.g. 2025-01-31T14:00.")
                continue
            out[field] = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    cursor = request.query_params.get("cursor")
    if cursor:
        try:
            decode_seq_cursor(cursor)
        except InvalidInput:
            problems.append("That page link is not one the desk gave out.")
        else:
            out["cursor"] = cursor
    return out, given, problems


def _page_link(path: str, given: dict[str, str], cursor: str | None) -> str | None:
    if cursor is None:
        return None
    return path + "?" + urlencode({**{k: v for k, v in given.items() if v}, "cursor": cursor})


@router.get("/audit")
@page
def audit_log(request: Request) -> Response:
    """The chain's verification, and the event log with filters."""
    arguments, given, problems = _filters(request)
    with signed_in(request, "auditor", "oversight") as s:
        verification = audit_service.verify_log(s.ctx)
        events = None
        if not problems:
            events = audit_service.events_page(s.ctx, limit=100, **arguments)
        body = render(
            "audit.html",
            session=s,
            verification=verification,
            events=events.items if events else [],
            next_link=_page_link("/desk/audit", given, events.next_cursor if events else None),
            bad_link=(
                "/desk/audit?"
                + urlencode({"cursor": encode_cursor(verification.first_bad_seq - 1)})
                if verification.first_bad_seq
                else None
            ),
            given=given,
            problems=problems,
        )
    return html(body, 422 if problems else 200)


@router.get("/audit/decisions")
@page
def audit_decisions(request: Request) -> Response:
    """Every decision with the run, algorithm version and explanation it was made on."""
    arguments, given, problems = _filters(request)
    arguments["action"] = "decision.create"
    given["action"] = "decision.create"
    with signed_in(request, "auditor", "oversight") as s:
        items: list[tuple[Any, Any]] = []
        next_link = None
        if not problems:
            events = audit_service.events_page(s.ctx, limit=50, **arguments)
            candidate_ids = [UUID(e.object_id) for e in events.items if e.object_id]
            rows = {d.id: d for d in runs_service.decisions_on(s.ctx, candidate_ids)}
            for event in events.items:
                decision_id = event.details.get("decision_id")
                items.append((event, rows.get(UUID(decision_id)) if decision_id else None))
            if items:
                s.ctx.audit(
                    "decision.read",
                    object_type="decision",
                    details={"count": len(items), "filters": {k: v for k, v in given.items() if v}},
                )
            next_link = _page_link("/desk/audit/decisions", given, events.next_cursor)
        body = render(
            "decisions.html",
            session=s,
            items=items,
            next_link=next_link,
            given=given,
            problems=problems,
        )
    return html(body, 422 if problems else 200)
