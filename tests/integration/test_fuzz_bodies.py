"""A property-based fuzz test of the main bodies (issue 23): Hypothesis sends generated
request bodies to the write endpoints (cases, identities one by one and in bulk, the
three kinds of typed evidence, the partner query) through the TestClient, against the
session's real PostgreSQL.

Bodies come from two strategies: valid ones built from the schema's shapes and then
mutated (wrong types, empty and huge strings, right-to-left overrides, combining marks,
NUL and control characters, non-ASCII digits and 00/XX placeholders in dates, deep
nesting, extra keys, nulls, removed keys), and arbitrary JSON values of bounded size.

For every request: never a 5xx; every 4xx is problem+json with a machine-readable
``code`` and a ``title``/``detail`` for people; a 4xx stores nothing (cases,
identities, evidence and imports of the agencies are counted before and after); a 2xx
stores what reads back with 200.
"""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Callable
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from tests.conftest import AgencyUsers, auth, share

#: examples per endpoint (mutated schema bodies and arbitrary JSON together)
EXAMPLES = 150
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
    database=None,
)
PURPOSE = "readmission"

# --- values --------------------------------------------------------------------------

HOSTILE_STRINGS = [
    "",
    " ",
    "\t\n",
    "\u202e",
    "\u202eevil\u202c",
    "Amira\u202e",
    "a" + "\u0301" * 200,
    "\u0301\u0308",
    "\u200d\u200b\ufeff",
    "\x00",
    "Ami\x00ra",
    "\x1b[31mred",
    "\x7f",
    "\x85",
    "\u2028",
    "١٩٩٠-٠٥-٠٤",
    "１９９０-０５-０４",
    "१९९०-०५-०४",
    "1990-٠٥",
    "1990-00-00",
    "1990-XX-XX",
    "1990-05-00",
    "1990-05-XX",
    "1990-XX-05",
    "1990-00",
    "1990-13-01",
    "1990-02-30",
    "0000-00-00",
    "1849",
    "2999-01-01",
    "9999-12-31",
    "1990/05/04",
    " 1990-05-04 ",
    "A" * 301,
    "A" * 100_000,
    "\U0001f600" * 50,
    "'; DROP TABLE cases; --",
    "%s%s%n",
    "{0}",
    "null",
    "NaN",
    "deu",
    "ＤＥＵ",
    "XXX",
    "ZZZ",
    "ara",
    "passport",
    "00000000-0000-0000-0000-000000000000",
    "\ud800",
]


def _nested(depth: int) -> Any:
    value: Any = "x"
    for level in range(depth):
        value = [value] if level % 2 else {"a": value}
    return value


json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats()
    | st.text(max_size=30)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
hostile = st.one_of(
    st.sampled_from(HOSTILE_STRINGS),
    json_scalars,
    st.lists(json_scalars, max_size=3),
    st.dictionaries(st.text(max_size=5), json_scalars, max_size=3),
    st.integers(min_value=1, max_value=80).map(_nested),
    st.sampled_from(HOSTILE_STRINGS).map(lambda s: [s]),
)

# --- valid bodies, from the schemas' shapes ------------------------------------------

NAMES = [
    "Amira Haddad",
    "José María Núñez",
    "Ольга Петрова",
    "محمد الأحمد",
    "Nguyễn Văn An",
    "O'Brien-Smith",
    "李小龙",
]
names = st.lists(
    st.sampled_from(NAMES)
    | st.fixed_dictionaries(
        {"full": st.sampled_from(NAMES)},
        optional={
            "given": st.sampled_from(["Amira", "José"]),
            "family": st.sampled_from(["Haddad", "Núñez"]),
            "kind": st.sampled_from(["primary", "alias", "birth"]),
        },
    ),
    min_size=1,
    max_size=3,
)
document_dates = st.sampled_from(
    ["1990-05-04", "1990", "1990-05", "1990-00-00", "1990-XX-XX", "1990-05-XX", "1985-02-28"]
)
countries = st.sampled_from(["SYR", "DEU", "fra", "AFG", "ERI", "XXA"])
person = st.fixed_dictionaries(
    {"names": names},
    optional={
        "birth_date": document_dates,
        "birth_date_range": st.just({"from": "1988", "to": "1992-06"}),
        "sex": st.sampled_from(["M", "F", "X"]),
        "nationality": st.lists(countries, max_size=2),
        "birth_place": st.fixed_dictionaries(
            {}, optional={"name": st.just("Aleppo"), "country": countries}
        ),
        "documents": st.lists(
            st.fixed_dictionaries(
                {
                    "type": st.sampled_from(["passport", "identity_card"]),
                    "number": st.just("N1234567"),
                },
                optional={"issuer": countries},
            ),
            max_size=2,
        ),
        "languages": st.lists(st.sampled_from(["ara", "deu", "tir"]), max_size=2),
        "protection": st.fixed_dictionaries(
            {"asylum": st.sampled_from(["applied", "granted"])},
            optional={"feared_persecution": st.lists(countries, max_size=2)},
        ),
    },
)

#: placeholders the test replaces with fresh values, so that valid bodies are created
REFERENCE = "FUZZ-REF"
EXTERNAL_ID = "FUZZ-EXT"

case_body = st.fixed_dictionaries({"reference": st.just(REFERENCE), "subject": person})
identity_body = person.map(lambda p: {**p, "external_id": EXTERNAL_ID}) | person
document_body = st.fixed_dictionaries(
    {"type": st.sampled_from(["passport", "identity_card", "service_book", "other"])},
    optional={
        "issuer": countries,
        "number": st.just("P<1234 56"),
        "names": names,
        "surname": st.just("Haddad"),
        "given_names": st.just("Amira"),
        "birth_date": document_dates,
        "sex": st.sampled_from(["M", "F", "X"]),
        "nationality": countries,
        "expiry_date": st.sampled_from(["2030-01-31", "2020-02-29"]),
        "mrz": st.just(
            ["P<SYRHADDAD<<AMIRA" + "<" * 26, "N1234567<4SYR9005046F3001315" + "<" * 16]
        ),
        "genuineness": st.sampled_from(["genuine", "doubtful", "false", "not_assessed"]),
        "form": st.sampled_from(["original", "photocopy"]),
    },
)
interview_body = st.fixed_dictionaries(
    {"claims": person},
    optional={
        "notes": st.just("Says he left Aleppo in 2015.\nTravelled by sea."),
        "parents": st.lists(st.sampled_from(NAMES), max_size=2),
    },
)
language_test_body = st.fixed_dictionaries(
    {"language": st.sampled_from(["ara", "tir", "prs"]), "confidence": st.floats(0.0, 1.0)},
    optional={"dialect": st.just("Levantine"), "region": st.just("Aleppo")},
)
match_body = st.fixed_dictionaries({"person": person}, optional={"limit": st.integers(1, 50)})

# --- mutations -----------------------------------------------------------------------


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a JSON value (the root included), as a path of keys and indexes."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


def _at(value: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        value = value[step]
    return value


@st.composite
def _mutate_once(draw: st.DrawFn, value: Any) -> Any:
    value = copy.deepcopy(value)
    path = draw(st.sampled_from(_paths(value)))
    target = _at(value, path)
    operation = draw(st.sampled_from(["replace", "replace", "replace", "null", "extra", "drop"]))
    if operation == "extra" and isinstance(target, dict):
        key = draw(
            st.sampled_from(["extra", "external_id", "names", "id", "agency_id", "__proto__", ""])
        )
        target[key] = draw(hostile)
        return value
    if operation == "drop" and path:
        parent = _at(value, path[:-1])
        del parent[path[-1]]
        return value
    new = None if operation == "null" else draw(hostile)
    if not path:
        return new
    _at(value, path[:-1])[path[-1]] = new
    return value


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[Any]) -> Any:
    """A valid body with up to three mutations (none: the valid body itself)."""
    value = draw(base)
    for _ in range(draw(st.integers(min_value=0, max_value=3))):
        value = draw(_mutate_once(value))
    return value


def bodies(base: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mutated valid bodies, and arbitrary JSON (often an object with the right keys)."""
    keys = st.sampled_from(
        ["reference", "subject", "person", "names", "claims", "type", "language", "limit"]
    )
    return st.one_of(
        mutated(base),
        mutated(base),
        json_values,
        st.dictionaries(keys | st.text(max_size=8), json_values, max_size=5),
    )


def encode(body: Any) -> bytes:
    """JSON bytes; lone surrogates go out as the invalid UTF-8 they make."""
    ensure_ascii = isinstance(body, dict) and len(body) % 2 == 1
    return json.dumps(body, ensure_ascii=ensure_ascii).encode("utf-8", "surrogatepass")


# --- the properties ------------------------------------------------------------------

_counter = itertools.count()


def _fresh(body: Any) -> Any:
    """The placeholder reference and external id replaced by unused ones."""
    if isinstance(body, dict):
        if body.get("reference") == REFERENCE:
            body = {**body, "reference": f"FUZZ-{next(_counter)}"}
        if body.get("external_id") == EXTERNAL_ID:
            body = {**body, "external_id": f"FUZZ-{next(_counter)}"}
    return body


def stored(conn: psycopg.Connection[Any], *agencies: AgencyUsers) -> tuple[int, ...]:
    """The agencies' cases, identities, evidence and imports, counted."""
    counts: list[int] = []
    for agency in agencies:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM cases WHERE agency_id = %(a)s),"
            " (SELECT count(*) FROM identities WHERE agency_id = %(a)s),"
            " (SELECT count(*) FROM evidence WHERE agency_id = %(a)s),"
            " (SELECT count(*) FROM imports WHERE agency_id = %(a)s)",
            {"a": agency.id},
        ).fetchone()
        assert row is not None
        counts += [int(v) for v in row]
    return tuple(counts)


def identity_ids(conn: psycopg.Connection[Any], agency: AgencyUsers) -> set[str]:
    rows = conn.execute("SELECT id FROM identities WHERE agency_id = %s", (agency.id,)).fetchall()
    return {str(row[0]) for row in rows}


def assert_answer_is_sound(response: Any, sent: bytes) -> None:
    """Never a 5xx; a 4xx is problem+json with a code and words for people."""
    where = f"{response.status_code} for {sent[:500]!r}: {response.text[:1000]}"
    answer = response.json() if response.status_code >= 400 else {}
    event(
        f"{response.status_code} {answer.get('code', '')}".strip()
    )  # --hypothesis-show-statistics
    assert response.status_code < 500, where
    assert response.status_code in (200, 201) or 400 <= response.status_code < 500, where
    if response.status_code >= 400:
        assert response.headers["content-type"] == "application/problem+json", where
        problem = response.json()
        assert isinstance(problem.get("code"), str) and problem["code"].strip(), where
        assert problem["code"].isascii() and " " not in problem["code"], where
        assert isinstance(problem.get("title"), str) and problem["title"].strip(), where
        assert isinstance(problem.get("detail"), str) and problem["detail"].strip(), where
        assert problem.get("status") == response.status_code, where


def post(
    client: TestClient, path: str, token: str, content: bytes, media: str = "application/json"
) -> Any:
    return client.post(
        path, content=content, headers={**auth(token, PURPOSE), "Content-Type": media}
    )


def check_write(
    client: TestClient,
    conn: psycopg.Connection[Any],
    agency: AgencyUsers,
    path: str,
    body: Any,
    read_back: Callable[[dict[str, Any]], str],
) -> None:
    """POST the body; a 4xx changes no count, a 201 reads back at ``read_back(answer)``."""
    content = encode(_fresh(body))
    before = stored(conn, agency)
    response = post(client, path, agency.caseworker, content)
    assert_answer_is_sound(response, content)
    if response.status_code >= 400:
        assert stored(conn, agency) == before, (response.status_code, content[:500])
        return
    assert response.status_code == 201, response.text
    location = read_back(response.json())
    read = client.get(location, headers=auth(agency.caseworker, PURPOSE))
    assert read.status_code == 200, (location, read.text)
    assert stored(conn, agency) != before


@pytest.fixture
def case_id(client: TestClient, agency: AgencyUsers) -> str:
    response = client.post(
        "/v1/cases",
        json={"reference": "FUZZ-CASE", "subject": {"names": ["Amira Haddad"]}},
        headers=auth(agency.caseworker),
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@FUZZ
@given(body=bodies(case_body))
def test_fuzzed_cases(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any], body: Any
) -> None:
    check_write(
        client, owner_conn, agency, "/v1/cases", body, lambda made: f"/v1/cases/{made['id']}"
    )


@FUZZ
@given(body=bodies(identity_body))
def test_fuzzed_identities(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any], body: Any
) -> None:
    check_write(
        client,
        owner_conn,
        agency,
        "/v1/identities",
        body,
        lambda made: f"/v1/identities/{made['id']}",
    )


_EVIDENCE = {
    "documents": document_body,
    "interviews": interview_body,
    "language-tests": language_test_body,
}


@pytest.mark.parametrize("kind", list(_EVIDENCE))
@FUZZ
@given(data=st.data())
def test_fuzzed_evidence(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    case_id: str,
    kind: str,
    data: st.DataObject,
) -> None:
    body = data.draw(bodies(_EVIDENCE[kind]), label="body")
    found: list[str] = []

    def listed(made: dict[str, Any]) -> str:
        assert made["case_id"] == case_id
        found.append(str(made["id"]))
        return f"/v1/cases/{case_id}"

    check_write(client, owner_conn, agency, f"/v1/cases/{case_id}/evidence/{kind}", body, listed)
    if found:  # the item is on its case
        case = client.get(f"/v1/cases/{case_id}", headers=auth(agency.caseworker, PURPOSE))
        assert found[0] in {item["id"] for item in case.json()["evidence"]}


@pytest.fixture
def partners(
    client: TestClient, admin_token: str, agency: AgencyUsers, other_agency: AgencyUsers
) -> list[AgencyUsers]:
    """Two partner agencies, each allowed to query the other's gallery for the purpose
    (two, so that the examples stay within each one's query limit)."""
    share(client, admin_token, agency, other_agency, PURPOSE)
    share(client, admin_token, other_agency, agency, PURPOSE)
    for owner in (agency, other_agency):
        made = client.post(
            "/v1/identities",
            json={"external_id": "FUZZ-GALLERY", "names": ["Amira Haddad"], "birth_date": "1990"},
            headers=auth(owner.caseworker),
        )
        assert made.status_code == 201, made.text
    return [agency, other_agency]


@FUZZ
@given(body=bodies(match_body))
def test_fuzzed_partner_queries(
    client: TestClient,
    owner_conn: psycopg.Connection[Any],
    partners: list[AgencyUsers],
    body: Any,
) -> None:
    asking = partners[next(_counter) % 2]
    content = encode(body)
    before = stored(owner_conn, *partners)
    response = post(client, "/v1/match", asking.partner, content)
    assert_answer_is_sound(response, content)
    assert response.status_code != 429, "the examples outran the partner query limit"
    # a query stores no case, record or evidence, answered or refused
    assert stored(owner_conn, *partners) == before
    if response.status_code < 400:
        assert response.status_code == 200, response.text
        assert isinstance(response.json()["candidates"], list)


ndjson_line = st.one_of(
    bodies(identity_body).map(lambda b: encode(_fresh(b))),
    st.text(max_size=40).map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.just(b"   "),
    st.just(b"\r"),
    st.just(b"\xff\xfe"),
)


@FUZZ
@given(lines=st.lists(ndjson_line, min_size=0, max_size=5))
def test_fuzzed_bulk_imports(
    client: TestClient,
    agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
    lines: list[bytes],
) -> None:
    content = b"\n".join(lines)
    before = stored(owner_conn, agency)
    known = identity_ids(owner_conn, agency)
    response = post(
        client, "/v1/identities/bulk", agency.caseworker, content, "application/x-ndjson"
    )
    assert_answer_is_sound(response, content)
    if response.status_code >= 400:
        assert stored(owner_conn, agency) == before, (response.status_code, content[:500])
        return
    assert response.status_code == 200, response.text
    answer = response.json()
    for rejection in answer["rejected"]:
        assert isinstance(rejection["code"], str) and rejection["code"].strip(), rejection
        assert isinstance(rejection["detail"], str) and rejection["detail"].strip(), rejection
        assert 1 <= rejection["line"] <= content.count(b"\n") + 1, rejection
    new = identity_ids(owner_conn, agency) - known
    assert len(new) == answer["created"], answer
    for identity in new:
        read = client.get(f"/v1/identities/{identity}", headers=auth(agency.caseworker, PURPOSE))
        assert read.status_code == 200, read.text
    status = client.get(f"/v1/imports/{answer['import_id']}", headers=auth(agency.caseworker))
    assert status.status_code == 200, status.text
