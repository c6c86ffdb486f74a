"""The readmission dossier: evidence graded by the requested state's agreement (rules as
data), only for identified cases of the caller's agency, as JSON and as a real PDF,
audited with its recipient, and never mentioning a protection claim."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import psycopg
import pypdf
import pytest
from fastapi.testclient import TestClient

from tests.conftest import AgencyUsers, Servers, auth, create_agency, open_case
from tests.desk.helpers import desk_client, sign_in
from tests.integration.test_pipeline import (
    _case,
    _decide,
    _identity,
    _indexed,
    _match,
    _run_done,
)
from tests.integration.workers import WorkerProcess, wait_for

WANG = {
    "names": [{"full": "Wang Xiaoming", "given": "Xiaoming", "family": "Wang"}, "王小明"],
    "birth_date": "1990-05-17",
    "sex": "M",
    "nationality": ["CHN"],
    "birth_place": {"name": "Fuqing", "country": "CHN"},
}
NOTES = "He said his uncle runs a restaurant in Fuqing; ask about the boat trip"

#: The evidence of the shared case and the grade each must get for a request to CHN.
DOCUMENTS: list[tuple[str, dict[str, Any], str]] = [
    (
        "passport",
        {
            "type": "passport",
            "issuer": "CHN",
            "number": "E12345678",
            "nationality": "CHN",
            "expiry_date": "2031-01-01",
            "genuineness": "genuine",
        },
        "proof",
    ),
    (
        "expired identity card",
        {
            "type": "identity_card",
            "issuer": "CHN",
            "number": "350181199005170011",
            "expiry_date": "2015-03-01",
        },
        "proof",
    ),
    (
        "passport photocopy",
        {"type": "passport", "issuer": "CHN", "number": "G00011122", "form": "photocopy"},
        "prima_facie",
    ),
    ("birth certificate", {"type": "birth_certificate", "issuer": "CHN"}, "prima_facie"),
    (
        "doubted driving licence",
        {"type": "driving_licence", "issuer": "CHN", "genuineness": "doubtful"},
        "none",
    ),
    (
        "false passport",
        {"type": "passport", "issuer": "CHN", "number": "E99999999", "genuineness": "false"},
        "none",
    ),
    ("another state's passport", {"type": "passport", "issuer": "EGY", "number": "A1"}, "none"),
    ("residence permit", {"type": "residence_permit", "issuer": "CHN"}, "none"),
]


def _get(
    client: TestClient,
    token: str,
    case_id: str,
    state: str,
    *,
    pdf: bool = False,
    purpose: str | None = "readmission to the requested state",
) -> Any:
    headers = auth(token, purpose)
    if pdf:
        headers["Accept"] = "application/pdf"
    return client.get(
        f"/v1/cases/{case_id}/dossier", params={"requested_state": state}, headers=headers
    )


def identified_case(
    client: TestClient,
    agency: AgencyUsers,
    servers: Servers,
    *,
    record: dict[str, Any],
    subject: dict[str, Any],
    reference: str,
) -> tuple[str, str]:
    """A case identified against one identity record of its agency by two caseworkers'
    confirmations: (case id, confirmed candidate id)."""
    identity = _identity(client, agency.caseworker, record, f"REG-{reference}")
    wait_for(lambda: _indexed(servers.owner_url, [identity]))
    case_id = _case(client, agency.caseworker, subject, reference)
    run = wait_for(
        lambda: _run_done(client, agency.caseworker, _match(client, agency.caseworker, case_id))
    )
    candidate: str = run["candidates"][0]["id"]
    assert (
        _decide(client, agency.caseworker, candidate, "confirm", "same person").status_code == 201
    )
    second = _decide(client, agency.caseworker2, candidate, "confirm", "agree, photo and dates")
    assert second.status_code == 201, second.text
    assert second.json()["case_state"] == "identified"
    return case_id, candidate


def _add(client: TestClient, token: str, case_id: str, path: str, body: dict[str, Any]) -> str:
    response = client.post(f"/v1/cases/{case_id}/evidence/{path}", json=body, headers=auth(token))
    assert response.status_code == 201, response.text
    evidence_id: str = response.json()["id"]
    return evidence_id


@pytest.fixture(scope="module")
def chinese_case(
    client: TestClient, admin_token: str, servers: Servers, worker: WorkerProcess
) -> Iterator[tuple[AgencyUsers, str, str, dict[str, str]]]:
    """An identified case with one item of each kind of evidence the grading tells
    apart: (agency, case id, candidate id, evidence id by label)."""
    agency = create_agency(client, admin_token)
    case_id, candidate = identified_case(
        client, agency, servers, record=WANG, subject=WANG, reference="DOS-CHN"
    )
    ids = {
        label: _add(client, agency.caseworker, case_id, "documents", body)
        for label, body, _ in DOCUMENTS
    }
    ids["interview"] = _add(
        client,
        agency.caseworker,
        case_id,
        "interviews",
        {"notes": NOTES, "claims": {"names": ["Wang Xiaoming"], "nationality": ["CHN"]}},
    )
    ids["language test"] = _add(
        client,
        agency.caseworker,
        case_id,
        "language-tests",
        {"language": "cdo", "dialect": "Fuqing", "region": "Fujian", "confidence": 0.8},
    )
    old = _add(client, agency.caseworker, case_id, "documents", {"type": "seaman_book"})
    ids["superseded"] = old
    ids["seaman book"] = _add(
        client,
        agency.caseworker,
        case_id,
        "documents",
        {"type": "seaman_book", "issuer": "CHN", "number": "SB-1", "supersedes": old},
    )
    yield agency, case_id, candidate, ids


def test_documents_are_graded_proof_or_prima_facie_by_the_eu_annexes(
    client: TestClient, chinese_case: tuple[AgencyUsers, str, str, dict[str, str]]
) -> None:
    agency, case_id, _, ids = chinese_case
    response = _get(client, agency.caseworker, case_id, "CHN")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["agreement"]["code"] == "EU-STANDARD"
    graded = {item["evidence_id"]: item for item in body["evidence"]}
    for label, _, grade in DOCUMENTS:
        item = graded[ids[label]]
        assert item["grade"] == grade, (label, item)
        assert item["reason"], label
        assert item["kind"] == "document"
    assert graded[ids["passport"]]["rule"].startswith("Annex I: passports")
    assert "expired on 2015-03-01" in graded[ids["expired identity card"]]["reason"]
    assert graded[ids["passport photocopy"]]["rule"].startswith("Annex II: photocopies")
    assert graded[ids["birth certificate"]]["rule"].startswith("Annex II: birth certificates")
    assert "doubted" in graded[ids["doubted driving licence"]]["reason"]
    assert "false" in graded[ids["false passport"]]["reason"]
    assert "false document is never evidence" in graded[ids["false passport"]]["rule"]
    assert "EGY" in graded[ids["another state's passport"]]["reason"]
    assert graded[ids["residence permit"]]["rule"] is None
    assert graded[ids["seaman book"]]["grade"] == "proof"
    assert ids["superseded"] not in graded
    assert graded[ids["interview"]]["grade"] == "prima_facie"
    assert graded[ids["interview"]]["rule"].startswith("Annex II: statements made by the person")
    assert graded[ids["language test"]]["grade"] == "prima_facie"
    assert graded[ids["language test"]]["cited"]["dialect"] == "Fuqing"
    assert body["proof_count"] == 3 and body["prima_facie_count"] == 4


def test_the_same_evidence_proves_nothing_for_another_state(
    client: TestClient, chinese_case: tuple[AgencyUsers, str, str, dict[str, str]]
) -> None:
    agency, case_id, _, ids = chinese_case
    body = _get(client, agency.caseworker, case_id, "EGY").json()
    grades = {item["evidence_id"]: item["grade"] for item in body["evidence"]}
    assert grades[ids["another state's passport"]] == "proof"
    assert grades[ids["passport"]] == "none"
    assert grades[ids["interview"]] == "none"
    assert body["proof_count"] == 1


def test_the_dossier_holds_the_confirmed_identity_and_only_what_is_cited(
    client: TestClient, chinese_case: tuple[AgencyUsers, str, str, dict[str, str]]
) -> None:
    agency, case_id, candidate, _ = chinese_case
    body = _get(client, agency.caseworker, case_id, "CHN").json()
    assert set(body) == {
        "case_id",
        "reference",
        "requested_state",
        "agreement",
        "generated_at",
        "person",
        "person_source",
        "identity",
        "confirmations",
        "evidence",
        "proof_count",
        "prima_facie_count",
    }
    assert body["case_id"] == case_id and body["requested_state"] == "CHN"
    assert body["identity"]["candidate_id"] == candidate
    assert body["identity"]["own_record"] is True
    assert body["identity"]["ref"] == "REG-DOS-CHN"
    assert body["person_source"] == "identity_record"
    assert body["person"]["names"][0]["full"] == "Wang Xiaoming"
    reviewers = [c["reviewer_id"] for c in body["confirmations"]]
    assert reviewers == [str(agency.caseworker_id), str(agency.caseworker2_id)]
    text = json.dumps(body, ensure_ascii=False)
    assert "uncle" not in text and "boat" not in text  # interview notes are never cited
    assert "same person" not in text  # nor the reviewers' internal reasons
    assert "score" not in text and "explanation" not in text  # nor any match score


def test_an_agreement_added_as_rows_grades_by_its_own_table(
    client: TestClient,
    servers: Servers,
    chinese_case: tuple[AgencyUsers, str, str, dict[str, str]],
) -> None:
    """An agreement naming Egypt, whose table takes an expired passport as prima facie
    evidence only and knows no photocopies: added with SQL, no code."""
    agency, case_id, _, ids = chinese_case
    expired = _add(
        client,
        agency.caseworker,
        case_id,
        "documents",
        {"type": "passport", "issuer": "EGY", "number": "A2", "expiry_date": "2019-01-01"},
    )
    copy = _add(
        client,
        agency.caseworker,
        case_id,
        "documents",
        {"type": "passport", "issuer": "EGY", "number": "A3", "form": "photocopy"},
    )
    with psycopg.connect(servers.owner_url) as conn:
        conn.execute(
            "INSERT INTO readmission_agreements (code, title, states) "
            "VALUES ('TEST-EGY', 'A test agreement with Egypt', '{EGY}')"
        )
        conn.execute(
            """INSERT INTO evidence_grading_rules
                   (agreement_code, evidence_kind, document_type, form, validity, grade, rule)
               VALUES ('TEST-EGY', 'document', 'passport', 'original', NULL, 'proof',
                       'Annex 1(a): valid passports'),
                      ('TEST-EGY', 'document', 'passport', 'original', 'expired',
                       'prima_facie', 'Annex 2(b): expired passports')"""
        )
    try:
        body = _get(client, agency.caseworker, case_id, "EGY").json()
        assert body["agreement"] == {"code": "TEST-EGY", "title": "A test agreement with Egypt"}
        graded = {item["evidence_id"]: item for item in body["evidence"]}
        assert graded[ids["another state's passport"]]["grade"] == "proof"
        assert graded[ids["another state's passport"]]["rule"] == "Annex 1(a): valid passports"
        assert graded[expired]["grade"] == "prima_facie"
        assert graded[expired]["rule"] == "Annex 2(b): expired passports"
        assert graded[copy]["grade"] == "none"
        assert "neither annex of TEST-EGY" in graded[copy]["reason"]
        assert graded[ids["interview"]]["grade"] == "none"  # no rule for statements here
        # the default table still grades an expired passport of CHN as proof
        chn = _get(client, agency.caseworker, case_id, "CHN").json()
        assert chn["agreement"]["code"] == "EU-STANDARD"
    finally:
        with psycopg.connect(servers.owner_url) as conn:
            conn.execute("DELETE FROM evidence_grading_rules WHERE agreement_code = 'TEST-EGY'")
            conn.execute("DELETE FROM readmission_agreements WHERE code = 'TEST-EGY'")


def test_the_service_role_cannot_change_the_grading_rules(
    servers: Servers, chinese_case: tuple[AgencyUsers, str, str, dict[str, str]]
) -> None:
    with psycopg.connect(servers.app_url) as conn:
        rules = conn.execute("SELECT count(*) FROM evidence_grading_rules").fetchone()
        assert rules is not None and rules[0] >= 16
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("UPDATE evidence_grading_rules SET grade = 'proof'")


def test_another_agency_gets_the_same_404_as_for_a_missing_case(
    client: TestClient,
    admin_token: str,
    chinese_case: tuple[AgencyUsers, str, str, dict[str, str]],
) -> None:
    _, case_id, _, _ = chinese_case
    other = create_agency(client, admin_token, country="FRA")
    foreign = _get(client, other.caseworker, case_id, "CHN")
    missing = _get(client, other.caseworker, str(UUID(int=11)), "CHN")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.json() == missing.json()
    assert foreign.json()["code"] == "case_not_found"
    assert _get(client, other.partner, case_id, "CHN").status_code == 403


def test_only_an_identified_case_has_a_dossier_and_the_state_must_be_a_country(
    client: TestClient,
    agency: AgencyUsers,
    chinese_case: tuple[AgencyUsers, str, str, dict[str, str]],
) -> None:
    case_id = open_case(client, agency.caseworker, "DOS-OPEN", {"names": ["Li Wei"]})["id"]
    refused = _get(client, agency.caseworker, case_id, "CHN")
    assert refused.status_code == 409
    assert refused.headers["content-type"] == "application/problem+json"
    assert refused.json()["code"] == "case_not_identified"
    assert "open" in refused.json()["detail"]
    owner, identified, _, _ = chinese_case
    bad = _get(client, owner.caseworker, identified, "XXQ")
    assert bad.status_code == 422 and bad.json()["code"] == "invalid_country"
    no_purpose = _get(client, owner.caseworker, identified, "CHN", purpose=None)
    assert no_purpose.status_code == 422 and no_purpose.json()["code"] == "purpose_required"
    lower = _get(client, owner.caseworker, identified, "chn")
    assert lower.status_code == 200 and lower.json()["requested_state"] == "CHN"


def _pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_pdf_is_a_real_pdf_with_the_graded_evidence(
    client: TestClient, chinese_case: tuple[AgencyUsers, str, str, dict[str, str]]
) -> None:
    agency, case_id, _, _ = chinese_case
    response = _get(client, agency.caseworker, case_id, "CHN", pdf=True)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"%PDF-")
    text = _pdf_text(response.content)
    assert "DOS-CHN" in text and "CHN" in text
    assert "PROOF" in text and "PRIMA FACIE" in text and "NOT EVIDENCE" in text
    assert "E12345678" in text
    assert "Wang Xiaoming" in text
    assert "uncle" not in text


def test_every_export_is_audited_with_its_recipient_and_format(
    client: TestClient, chinese_case: tuple[AgencyUsers, str, str, dict[str, str]]
) -> None:
    agency, case_id, candidate, _ = chinese_case
    assert _get(client, agency.caseworker, case_id, "CHN").status_code == 200
    assert _get(client, agency.caseworker, case_id, "CHN", pdf=True).status_code == 200
    events = client.get(
        "/v1/audit/events",
        params={"limit": "500", "object_id": case_id, "action": "dossier.export"},
        headers=auth(agency.auditor),
    ).json()["items"]
    assert len(events) >= 2
    last_two = events[-2:]
    assert [e["details"]["format"] for e in last_two] == ["json", "pdf"]
    for event in last_two:
        assert event["details"]["recipient"] == "CHN"
        assert event["details"]["agreement"] == "EU-STANDARD"
        assert event["details"]["candidate_id"] == candidate
        assert event["purpose"] == "readmission to the requested state"
        assert event["actor_id"] == str(agency.caseworker_id)


ERITREAN = {
    "names": [{"full": "Tesfay Gebremedhin Haile", "given": "Tesfay", "family": "Haile"}],
    "birth_date": "1994-02-11",
    "sex": "M",
    "nationality": ["ETH", "ERI"],
    "birth_place": {"name": "Adi Keyh", "country": "ERI"},
}
CLAIM = {"asylum": "applied", "feared_persecution": ["ERI"]}


def test_a_protection_claim_bars_the_feared_state_and_no_dossier_mentions_it(
    client: TestClient, agency: AgencyUsers, servers: Servers, worker: WorkerProcess
) -> None:
    case_id, _ = identified_case(
        client,
        agency,
        servers,
        record={**ERITREAN, "protection": CLAIM},
        subject={**ERITREAN, "protection": CLAIM},
        reference="DOS-ERI",
    )
    _add(
        client,
        agency.caseworker,
        case_id,
        "documents",
        {"type": "identity_card", "issuer": "ETH", "number": "ET-7"},
    )
    barred = _get(client, agency.caseworker, case_id, "ERI")
    assert barred.status_code == 409
    assert barred.json()["code"] == "requested_state_barred"
    assert _get(client, agency.caseworker, case_id, "ERI", pdf=True).status_code == 409

    allowed = _get(client, agency.caseworker, case_id, "ETH")
    assert allowed.status_code == 200, allowed.text
    body = allowed.json()
    assert body["proof_count"] == 1
    text = json.dumps(body, ensure_ascii=False).lower()
    for word in ("protection", "asylum", "applied", "persecution", "refugee"):
        assert word not in text, word
    pdf = _get(client, agency.caseworker, case_id, "ETH", pdf=True)
    assert pdf.status_code == 200
    pdf_text = _pdf_text(pdf.content).lower()
    assert "tesfay" in pdf_text
    for word in ("protection", "asylum", "persecution"):
        assert word not in pdf_text, word


def test_the_desk_shows_and_downloads_the_dossier_for_its_own_agency_only(
    client: TestClient,
    admin_token: str,
    chinese_case: tuple[AgencyUsers, str, str, dict[str, str]],
) -> None:
    owner, case_id, _, _ = chinese_case
    other = create_agency(client, admin_token, country="FRA")
    pages = {}
    for name, token in (("owner", owner.caseworker), ("other", other.caseworker)):
        desk = desk_client(client)
        assert sign_in(desk, token, "readmission to CHN").status_code == 303
        pages[name] = desk
    path = f"/desk/cases/{case_id}/dossier"

    shown = pages["owner"].get(path, params={"requested_state": "CHN"})
    download = pages["owner"].get(f"{path}.pdf", params={"requested_state": "CHN"})
    bad_state = pages["owner"].get(path, params={"requested_state": "XXQ"})
    foreign = pages["other"].get(path, params={"requested_state": "CHN"})
    foreign_pdf = pages["other"].get(f"{path}.pdf", params={"requested_state": "CHN"})
    missing = pages["other"].get(
        f"/desk/cases/{UUID(int=11)}/dossier", params={"requested_state": "CHN"}
    )

    assert shown.status_code == 200 and "Dossier for CHN" in shown.text
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/pdf"
    assert "attachment" in download.headers["content-disposition"]
    assert "CHN" in _pdf_text(download.content)
    assert bad_state.status_code == 422
    assert foreign.status_code == foreign_pdf.status_code == missing.status_code == 404
    assert "Dossier for" not in foreign.text and not foreign_pdf.content.startswith(b"%PDF")
