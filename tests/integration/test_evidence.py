"""Evidence: documents with MRZ checks, interviews, language tests, encrypted face images."""

from __future__ import annotations

import base64
from typing import Any
from uuid import UUID

import psycopg
from fastapi.testclient import TestClient

from service.crypto import Sealed, evidence_key_ring
from service.settings import Settings
from tests.conftest import FACES, AgencyUsers, auth, open_case

SUBJECT = {"names": ["王小明"], "birth_date": "1990-05", "sex": "M", "nationality": ["CHN"]}
# ICAO 9303 specimen passport of Anna Maria Eriksson, Utopia.
MRZ = [
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<",
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10",
]
#: The specimen's passport as a caseworker records it, with its MRZ.
ERIKSSON_PASSPORT = {
    "type": "passport",
    "issuer": "UTO",
    "number": "L898902C3",
    "surname": "ERIKSSON",
    "given_names": "ANNA MARIA",
    "birth_date": "1974-08-12",
    "sex": "F",
    "mrz": MRZ,
}
PHOTO = FACES / "images" / "deepface_img1.jpg"


def _evidence_count(conn: psycopg.Connection[Any], case_id: str) -> tuple[int, int]:
    row = conn.execute(
        "SELECT (SELECT count(*) FROM evidence WHERE case_id = %(c)s), "
        "(SELECT count(*) FROM face_images WHERE case_id = %(c)s)",
        {"c": case_id},
    ).fetchone()
    assert row is not None
    return int(row[0]), int(row[1])


def test_a_valid_mrz_is_stored_with_a_passing_check(
    client: TestClient, agency: AgencyUsers
) -> None:
    case = open_case(client, agency.caseworker, "C-MRZ-OK", SUBJECT)
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/documents",
        json=ERIKSSON_PASSPORT,
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 201, response.text
    mrz = response.json()["checks"]["mrz"]
    assert mrz["valid"] is True
    assert mrz["fields"]["document_number"] == "L898902C3"


def test_an_mrz_that_contradicts_the_printed_fields_is_stored_and_flagged(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    case = open_case(client, agency.caseworker, "C-MRZ-BAD", SUBJECT)
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
    case = open_case(client, agency.caseworker, "C-MRZ-NONSENSE", SUBJECT)
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
    case = open_case(client, agency.caseworker, "C-SUPERSEDE", SUBJECT)
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
    case = open_case(client, agency.caseworker, "C-INTERVIEW", SUBJECT)
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
    case = open_case(client, agency.caseworker, "C-FACE", SUBJECT)
    photo = PHOTO.read_bytes()
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/face-images",
        files={"image": ("face.jpg", photo, "image/jpeg")},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 201, response.text
    assert response.json()["status"] == "usable"
    row = owner_conn.execute(
        "SELECT ciphertext, key_id FROM face_images WHERE evidence_id = %s",
        (response.json()["evidence_id"],),
    ).fetchone()
    assert row is not None
    assert photo[:64] not in bytes(row[0])
    assert len(bytes(row[0])) == len(photo) + 16  # AES-GCM tag


def test_a_non_image_upload_is_refused(client: TestClient, agency: AgencyUsers) -> None:
    case = open_case(client, agency.caseworker, "C-NOT-IMAGE", SUBJECT)
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/face-images",
        files={"image": ("x.jpg", b"plain text, not a photo", "image/jpeg")},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "not_an_image"


def test_a_face_image_opens_with_the_key_id_stored_beside_it(
    client: TestClient,
    agency: AgencyUsers,
    settings: Settings,
    owner_conn: psycopg.Connection[Any],
) -> None:
    case = open_case(client, agency.caseworker, "C-FACE-KEY", SUBJECT)
    photo = PHOTO.read_bytes()
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/face-images",
        files={"image": ("face.jpg", photo, "image/jpeg")},
        headers=auth(agency.caseworker),
    )
    evidence_id = UUID(response.json()["evidence_id"])
    row = owner_conn.execute(
        "SELECT key_id, nonce, ciphertext, content_type, byte_size FROM face_images "
        "WHERE evidence_id = %s",
        (evidence_id,),
    ).fetchone()
    assert row is not None
    sealed = Sealed(row[0], bytes(row[1]), bytes(row[2]))
    assert evidence_key_ring(settings).open(sealed, associated=evidence_id.bytes) == photo
    assert (row[3], row[4]) == ("image/jpeg", len(photo))


def test_a_face_image_appears_on_its_case_without_the_image(
    client: TestClient, agency: AgencyUsers
) -> None:
    case = open_case(client, agency.caseworker, "C-FACE-SUMMARY", SUBJECT)
    photo = PHOTO.read_bytes()
    client.post(
        f"/v1/cases/{case['id']}/evidence/face-images",
        files={"image": ("face.jpg", photo, "image/jpeg")},
        headers=auth(agency.caseworker),
    )
    read = client.get(f"/v1/cases/{case['id']}", headers=auth(agency.caseworker, "review"))
    [item] = read.json()["evidence"]
    assert item["kind"] == "face_image"
    assert item["summary"]["status"] == "usable"
    assert base64.b64encode(photo[:48]).decode()[:32] not in read.text


def test_an_upload_over_the_size_limit_is_refused_and_nothing_is_stored(
    client: TestClient,
    agency: AgencyUsers,
    settings: Settings,
    owner_conn: psycopg.Connection[Any],
) -> None:
    case = open_case(client, agency.caseworker, "C-FACE-HUGE", SUBJECT)
    huge = b"\xff\xd8\xff\xe0" + b"\0" * settings.max_upload_bytes
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/face-images",
        files={"image": ("huge.jpg", huge, "image/jpeg")},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"
    assert _evidence_count(owner_conn, case["id"]) == (0, 0)


def test_a_face_upload_that_is_not_multipart_is_refused(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    case = open_case(client, agency.caseworker, "C-FACE-JSON", SUBJECT)
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/face-images",
        json={"image": "aGVsbG8="},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert _evidence_count(owner_conn, case["id"]) == (0, 0)


def test_a_face_upload_without_an_image_part_is_refused(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    case = open_case(client, agency.caseworker, "C-FACE-NOPART", SUBJECT)
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/face-images",
        files={"photo": ("face.jpg", PHOTO.read_bytes(), "image/jpeg")},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "missing_field"
    assert _evidence_count(owner_conn, case["id"]) == (0, 0)


def test_a_correction_must_supersede_an_item_of_the_same_case(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    first = open_case(client, agency.caseworker, "C-SUP-A", SUBJECT)
    second = open_case(client, agency.caseworker, "C-SUP-B", SUBJECT)
    original = client.post(
        f"/v1/cases/{first['id']}/evidence/language-tests",
        json={"language": "cmn", "confidence": 0.5},
        headers=auth(agency.caseworker),
    ).json()
    response = client.post(
        f"/v1/cases/{second['id']}/evidence/language-tests",
        json={"language": "cdo", "confidence": 0.7, "supersedes": original["id"]},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_supersedes"
    assert _evidence_count(owner_conn, second["id"]) == (0, 0)


def test_a_correction_must_supersede_an_item_of_the_same_kind(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    case = open_case(client, agency.caseworker, "C-SUP-KIND", SUBJECT)
    interview = client.post(
        f"/v1/cases/{case['id']}/evidence/interviews",
        json={"notes": "first interview", "claims": {"names": ["Wang Xiaoming"]}},
        headers=auth(agency.caseworker),
    ).json()
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/documents",
        json={"type": "passport", "number": "E12345678", "supersedes": interview["id"]},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_supersedes"
    assert _evidence_count(owner_conn, case["id"]) == (1, 0)


def test_a_correction_cannot_supersede_another_agencys_item(
    client: TestClient,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    theirs = open_case(client, agency.caseworker, "C-SUP-THEIRS", SUBJECT)
    item = client.post(
        f"/v1/cases/{theirs['id']}/evidence/language-tests",
        json={"language": "cmn", "confidence": 0.5},
        headers=auth(agency.caseworker),
    ).json()
    mine = open_case(client, other_agency.caseworker, "C-SUP-MINE", SUBJECT)
    response = client.post(
        f"/v1/cases/{mine['id']}/evidence/language-tests",
        json={"language": "cmn", "confidence": 0.9, "supersedes": item["id"]},
        headers=auth(other_agency.caseworker),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_supersedes"
    superseded = owner_conn.execute(
        "SELECT count(*) FROM evidence WHERE supersedes = %s", (item["id"],)
    ).fetchone()
    assert superseded == (0,)


def test_adding_evidence_is_audited_without_personal_data(
    client: TestClient, agency: AgencyUsers
) -> None:
    case = open_case(client, agency.caseworker, "C-EV-AUDIT", SUBJECT)
    document = client.post(
        f"/v1/cases/{case['id']}/evidence/documents",
        json=ERIKSSON_PASSPORT,
        headers=auth(agency.caseworker),
    ).json()
    events = client.get(
        f"/v1/audit/events?object_id={document['id']}&action=evidence.document.add",
        headers=auth(agency.auditor),
    ).json()["items"]
    assert len(events) == 1
    assert events[0]["details"]["case_id"] == case["id"]
    text = str(events)
    assert "L898902C3" not in text and "ERIKSSON" not in text and "1974" not in text


def test_a_document_keeps_names_in_the_original_script_and_in_latin(
    client: TestClient, agency: AgencyUsers
) -> None:
    case = open_case(client, agency.caseworker, "C-DOC-SCRIPTS", SUBJECT)
    response = client.post(
        f"/v1/cases/{case['id']}/evidence/documents",
        json={
            "type": "passport",
            "issuer": "CHN",
            "number": "E12345678",
            "names": ["王小明", {"full": "WANG XIAOMING", "family": "WANG", "given": "XIAOMING"}],
            "birth_date": "1990-05-17",
            "sex": "M",
            "nationality": "CHN",
            "genuineness": "genuine",
        },
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 201, response.text
    assert response.json()["checks"] == {}
    [item] = client.get(f"/v1/cases/{case['id']}", headers=auth(agency.caseworker)).json()[
        "evidence"
    ]
    assert item["summary"]["names"][0] == "王小明"
    assert item["summary"]["genuineness"] == "genuine"
