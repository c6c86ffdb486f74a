from __future__ import annotations

from typing import Any

import psycopg
from fastapi.testclient import TestClient

from tests.conftest import FACES, AgencyUsers, auth

SUBJECT = {
    "names": ["王小明", {"full": "Wang Xiaoming", "kind": "alias"}],
    "birth_date": "1990-05",
    "sex": "M",
    "nationality": ["CHN"],
    "languages": ["cmn"],
}
# ICAO 9303 specimen passport of Anna Maria Eriksson, Utopia.
MRZ = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]


def _case(client: TestClient, agency: AgencyUsers, reference: str) -> dict[str, Any]:
    response = client.post(
        "/v1/cases",
        json={"reference": reference, "subject": SUBJECT},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_a_caseworker_opens_and_reads_a_case(client: TestClient, agency: AgencyUsers) -> None:
    case = _case(client, agency, "C-001")
    assert case["state"] == "open"
    read = client.get(f"/v1/cases/{case['id']}", headers=auth(agency.caseworker, "review"))
    assert read.status_code == 200
    assert read.json()["subject"]["names"][0] == "王小明"
    assert read.json()["evidence"] == []


def test_reading_a_case_needs_a_purpose_and_is_audited(
    client: TestClient, agency: AgencyUsers
) -> None:
    case = _case(client, agency, "C-002")
    refused = client.get(f"/v1/cases/{case['id']}", headers=auth(agency.caseworker, None))
    assert refused.status_code == 422
    assert refused.json()["code"] == "purpose_required"
    client.get(f"/v1/cases/{case['id']}", headers=auth(agency.caseworker, "interview prep"))
    events = client.get(
        f"/v1/audit/events?object_id={case['id']}&action=case.read", headers=auth(agency.auditor)
    ).json()["items"]
    assert [e["purpose"] for e in events] == ["interview prep"]
    assert "王小明" not in str(events)


def test_a_duplicate_reference_is_a_conflict(client: TestClient, agency: AgencyUsers) -> None:
    _case(client, agency, "C-DUP")
    again = client.post(
        "/v1/cases",
        json={"reference": "C-DUP", "subject": SUBJECT},
        headers=auth(agency.caseworker),
    )
    assert again.status_code == 409
    assert again.json()["code"] == "case_reference_exists"


def test_cases_are_listed_with_a_cursor(client: TestClient, agency: AgencyUsers) -> None:
    for number in range(3):
        _case(client, agency, f"C-LIST-{number}")
    first = client.get("/v1/cases?limit=2", headers=auth(agency.caseworker)).json()
    assert len(first["items"]) == 2
    rest = client.get(
        f"/v1/cases?limit=2&cursor={first['next_cursor']}", headers=auth(agency.caseworker)
    ).json()
    references = [c["reference"] for c in first["items"] + rest["items"]]
    assert references == ["C-LIST-0", "C-LIST-1", "C-LIST-2"]
    assert rest["next_cursor"] is None


def test_a_valid_mrz_is_stored_with_a_passing_check(
    client: TestClient, agency: AgencyUsers
) -> None:
    case = _case(client, agency, "C-MRZ-OK")
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/documents",
        json={
            "type": "passport",
            "issuer": "UTO",
            "number": "L898902C3",
            "surname": "ERIKSSON",
            "given_names": "ANNA MARIA",
            "birth_date": "1974-08-12",
            "sex": "F",
            "mrz": MRZ,
        },
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 201, response.text
    mrz = response.json()["checks"]["mrz"]
    assert mrz["valid"] is True
    assert mrz["fields"]["document_number"] == "L898902C3"


def test_an_mrz_that_contradicts_the_printed_fields_is_stored_and_flagged(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    case = _case(client, agency, "C-MRZ-BAD")
    tampered = [MRZ[0], "L898902C36UTO7408122F1204159ZE184226B<<<<<11"]
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/documents",
        json={
            "type": "passport",
            "issuer": "UTO",
            "number": "L898902C3",
            "surname": "ERIKSON",
            "birth_date": "1975-08-12",
            "mrz": tampered,
        },
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 201
    checks = response.json()["checks"]
    assert checks["mrz"]["valid"] is False
    assert "mrz_check_digit_composite" in checks["flags"]
    assert {"mrz_mismatch_surname", "mrz_mismatch_birth_date"} <= set(checks["flags"])
    stored = owner_conn.execute(
        "SELECT checks FROM evidence WHERE id = %s", (response.json()["id"],)
    ).fetchone()
    assert stored is not None and stored[0]["mrz"]["valid"] is False


def test_an_impossible_mrz_is_refused(client: TestClient, agency: AgencyUsers) -> None:
    case = _case(client, agency, "C-MRZ-NONSENSE")
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/documents",
        json={"type": "passport", "mrz": ["HELLO", "WORLD"]},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_mrz"


def test_evidence_is_append_only_and_a_correction_supersedes(
    client: TestClient, agency: AgencyUsers
) -> None:
    case = _case(client, agency, "C-SUPERSEDE")
    url = f"/v1/cases/{case['id']}/evidence/language-tests"
    first = client.post(
        url,
        json={"language": "cmn", "dialect": "Fuqing Min", "confidence": 0.6},
        headers=auth(agency.caseworker),
    ).json()
    fixed = client.post(
        url,
        json={
            "language": "cdo",
            "region": "Fuqing, Fujian",
            "confidence": 0.8,
            "supersedes": first["id"],
        },
        headers=auth(agency.caseworker),
    )
    assert fixed.status_code == 201
    twice = client.post(
        url,
        json={"language": "cdo", "confidence": 0.9, "supersedes": first["id"]},
        headers=auth(agency.caseworker),
    )
    assert twice.status_code == 409
    assert twice.json()["code"] == "already_superseded"
    evidence = client.get(f"/v1/cases/{case['id']}", headers=auth(agency.caseworker)).json()[
        "evidence"
    ]
    assert [(e["id"] == first["id"], e["superseded"]) for e in evidence] == [
        (True, True),
        (False, False),
    ]


def test_an_interview_adds_claims(client: TestClient, agency: AgencyUsers) -> None:
    case = _case(client, agency, "C-INTERVIEW")
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/interviews",
        json={
            "notes": "Says he grew up near Fuqing.",
            "claims": {"names": ["Siao Ming"], "birth_place": {"name": "Fuqing", "country": "CHN"}},
            "parents": ["Wang Jianguo"],
        },
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "interview"


def test_a_face_image_is_stored_encrypted(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    case = _case(client, agency, "C-FACE")
    photo = (FACES / "images" / "deepface_img1.jpg").read_bytes()
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/face-images",
        files={"image": ("face.jpg", photo, "image/jpeg")},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "face_pipeline_pending"
    row = owner_conn.execute(
        "SELECT ciphertext, key_id FROM face_images WHERE evidence_id = %s",
        (response.json()["evidence_id"],),
    ).fetchone()
    assert row is not None
    assert photo[:64] not in bytes(row[0])
    assert len(bytes(row[0])) == len(photo) + 16  # AES-GCM tag


def test_a_non_image_upload_is_refused(client: TestClient, agency: AgencyUsers) -> None:
    case = _case(client, agency, "C-NOT-IMAGE")
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/face-images",
        files={"image": ("x.jpg", b"%PDF-1.4 not a photo", "image/jpeg")},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "not_an_image"
