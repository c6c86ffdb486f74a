"""GET /v1/algorithm: the bands' declared error rates, per algorithm version."""

from __future__ import annotations

from fastapi.testclient import TestClient

from matching.scoring import DEFAULT_VERSION, declared_bands
from tests.conftest import AgencyUsers, auth


def test_every_role_reads_the_declared_rates_of_the_current_algorithm(
    client: TestClient, agency: AgencyUsers, admin_token: str
) -> None:
    declared = declared_bands()
    assert declared is not None
    for token in (agency.caseworker, agency.partner, agency.auditor, admin_token):
        response = client.get("/v1/algorithm", headers=auth(token))
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["version"] == DEFAULT_VERSION
        assert body["id"] == f"tessera-fs-{DEFAULT_VERSION}"
        assert body["default"] is True
        assert body["declared_source"] == declared["source"]
        sizes = [d["gallery_size"] for d in body["declared"]]
        assert sizes == sorted(int(s) for s in declared["by_gallery_size"])
        first = body["declared"][0]
        strong = next(b for b in first["bands"] if b["band"] == "strong")
        expected = declared["by_gallery_size"][str(first["gallery_size"])]["bands"]["strong"]
        assert strong["wrong_given_band"] == expected["wrong_given_band"]
        assert strong["true_in_band"] == expected["true_in_band"]


def test_an_older_version_declares_nothing_and_an_unknown_one_is_not_found(
    client: TestClient, agency: AgencyUsers
) -> None:
    old = client.get("/v1/algorithm", params={"version": "1.0"}, headers=auth(agency.caseworker))
    assert old.status_code == 200
    assert old.json()["default"] is False
    assert old.json()["declared"] == []
    assert old.json()["declared_source"] is None
    missing = client.get(
        "/v1/algorithm", params={"version": "9.9"}, headers=auth(agency.caseworker)
    )
    assert missing.status_code == 404
    assert missing.json()["code"] == "algorithm_not_found"
    bad = client.get("/v1/algorithm", params={"version": "x"}, headers=auth(agency.caseworker))
    assert bad.status_code == 422
    assert client.get("/v1/algorithm").status_code == 401
