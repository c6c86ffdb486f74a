from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import AgencyUsers, auth, open_case

SUBJECT = {
    "names": ["王小明", {"full": "Wang Xiaoming", "kind": "alias"}],
    "birth_date": "1990-05",
    "sex": "M",
    "nationality": ["CHN"],
    "languages": ["cmn"],
}


def test_a_caseworker_opens_and_reads_a_case(client: TestClient, agency: AgencyUsers) -> None:
    case = open_case(client, agency.caseworker, "C-001", SUBJECT)
    assert case["state"] == "open"
    read = client.get(f"/v1/cases/{case['id']}", headers=auth(agency.caseworker, "review"))
    assert read.status_code == 200
    assert read.json()["subject"]["names"][0] == "王小明"
    assert read.json()["evidence"] == []


def test_reading_a_case_needs_a_purpose_and_is_audited(
    client: TestClient, agency: AgencyUsers
) -> None:
    case = open_case(client, agency.caseworker, "C-002", SUBJECT)
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
    open_case(client, agency.caseworker, "C-DUP", SUBJECT)
    again = client.post(
        "/v1/cases",
        json={"reference": "C-DUP", "subject": SUBJECT},
        headers=auth(agency.caseworker),
    )
    assert again.status_code == 409
    assert again.json()["code"] == "case_reference_exists"


def test_cases_are_listed_with_a_cursor(client: TestClient, agency: AgencyUsers) -> None:
    for number in range(3):
        open_case(client, agency.caseworker, f"C-LIST-{number}", SUBJECT)
    first = client.get("/v1/cases?limit=2", headers=auth(agency.caseworker)).json()
    assert len(first["items"]) == 2
    rest = client.get(
        f"/v1/cases?limit=2&cursor={first['next_cursor']}", headers=auth(agency.caseworker)
    ).json()
    references = [c["reference"] for c in first["items"] + rest["items"]]
    assert references == ["C-LIST-0", "C-LIST-1", "C-LIST-2"]
    assert rest["next_cursor"] is None


def test_opening_a_case_is_audited_without_personal_data(
    client: TestClient, agency: AgencyUsers
) -> None:
    case = open_case(client, agency.caseworker, "C-AUDIT", SUBJECT)
    events = client.get(
        f"/v1/audit/events?object_id={case['id']}&action=case.create",
        headers=auth(agency.auditor),
    ).json()["items"]
    assert len(events) == 1
    assert "王小明" not in str(events) and "Wang" not in str(events)


def test_the_case_list_shows_only_your_agencys_cases(
    client: TestClient, agency: AgencyUsers, other_agency: AgencyUsers
) -> None:
    open_case(client, agency.caseworker, "C-MINE", SUBJECT)
    theirs = client.get("/v1/cases?limit=500", headers=auth(other_agency.caseworker))
    assert theirs.status_code == 200
    assert "C-MINE" not in [c["reference"] for c in theirs.json()["items"]]
    mine = client.get("/v1/cases?limit=500", headers=auth(agency.caseworker)).json()
    assert "C-MINE" in [c["reference"] for c in mine["items"]]
    assert "subject" not in mine["items"][0]


def test_a_cursor_this_api_did_not_give_out_is_refused(
    client: TestClient, agency: AgencyUsers
) -> None:
    response = client.get("/v1/cases?cursor=bm90LWEtY3Vyc29y", headers=auth(agency.caseworker))
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_cursor"


def test_a_limit_above_the_maximum_is_refused(client: TestClient, agency: AgencyUsers) -> None:
    response = client.get("/v1/cases?limit=501", headers=auth(agency.caseworker))
    assert response.status_code == 422
