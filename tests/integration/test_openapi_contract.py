"""/openapi.json says what the service enforces: bearer security, X-Purpose where it
is required, problem+json errors, and the patterns of the validators."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.openapi import ERRORS, PURPOSE_REQUIRED
from tests.conftest import AgencyUsers, auth

_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def spec(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if method in _METHODS
    ]


def test_every_operation_but_health_takes_a_bearer_token(spec: dict[str, Any]) -> None:
    assert spec["components"]["securitySchemes"]["bearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The token given when the user was created.",
    }
    for method, path, op in _operations(spec):
        headers = [p["name"].lower() for p in op.get("parameters", []) if p["in"] == "header"]
        assert "authorization" not in headers, (method, path)
        if (method, path) == ("get", "/v1/health"):
            assert op["security"] == []
        else:
            assert op["security"] == [{"bearer": []}], (method, path)


def test_every_error_is_documented_as_problem_json(spec: dict[str, Any]) -> None:
    for method, path, op in _operations(spec):
        if path == "/v1/health":
            continue
        for status in ERRORS:
            content = op["responses"][status]["content"]
            assert list(content) == ["application/problem+json"], (method, path, status)


def test_x_purpose_is_required_exactly_where_the_service_requires_it(
    spec: dict[str, Any],
) -> None:
    required = set()
    for method, path, op in _operations(spec):
        for param in op.get("parameters", []):
            if param["in"] == "header" and param["name"].lower() == "x-purpose":
                assert param["schema"]["maxLength"] == 500
                if param["required"]:
                    required.add((method, path))
    assert required == PURPOSE_REQUIRED


def test_a_read_the_schema_marks_as_needing_a_purpose_is_refused_without_one(
    client: TestClient, agency: AgencyUsers
) -> None:
    case = client.post(
        "/v1/cases",
        json={"reference": "PURPOSE", "subject": {"names": ["A"]}},
        headers=auth(agency.caseworker),
    ).json()
    for path in (f"/v1/cases/{case['id']}", f"/v1/cases/{case['id']}/candidates"):
        response = client.get(path, headers=auth(agency.caseworker, purpose=None))
        assert response.status_code == 422, response.text
        assert response.json()["code"] == "purpose_required"


@pytest.mark.parametrize(
    ("model", "field", "good", "bad"),
    [
        ("LanguageTestCreate", "language", ["ara", "DEU"], ["", "ar", "arab", "a1b"]),
        ("DocumentCreate", "expiry_date", ["2030-01-31"], ["", "2030-1-1", "١٩٩٠-٠٥-٠٤"]),
    ],
)
def test_the_schema_patterns_refuse_what_the_validators_refuse(
    spec: dict[str, Any], model: str, field: str, good: list[str], bad: list[str]
) -> None:
    prop = spec["components"]["schemas"][model]["properties"][field]
    schema = next((s for s in prop.get("anyOf", [prop]) if s.get("type") == "string"), prop)
    pattern = re.compile(schema["pattern"])
    assert all(pattern.search(v) for v in good)
    assert not any(pattern.search(v) for v in bad)
