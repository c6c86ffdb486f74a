"""The desk's sessions, forms and refusals over plain HTTP (no browser needed)."""

from __future__ import annotations

import io
from typing import Any
from uuid import UUID

import psycopg
from fastapi.testclient import TestClient
from PIL import Image

from service.desk.sessions import SESSION_COOKIE, session_hash
from tests.conftest import FACES, AgencyUsers, auth
from tests.desk.helpers import create_case, csrf_of, desk_client, sign_in

DESK_PAGES = ("/desk/", "/desk/cases", "/desk/audit", "/desk/audit/decisions")


def _sessions_of(owner: psycopg.Connection[Any], user_id: UUID) -> list[tuple[Any, ...]]:
    return owner.execute(
        "SELECT id_hash, purpose FROM desk_sessions WHERE user_id = %s", (user_id,)
    ).fetchall()


def _user_id(owner: psycopg.Connection[Any], agency: AgencyUsers, role: str) -> UUID:
    row = owner.execute(
        "SELECT id FROM users WHERE agency_id = %s AND role = %s", (agency.id, role)
    ).fetchone()
    assert row is not None
    user_id: UUID = row[0]
    return user_id


def test_sign_in_sets_a_strict_http_only_cookie_and_the_database_keeps_only_its_hash(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    desk = desk_client(client)
    response = sign_in(desk, agency.caseworker, "identification of case 17")
    assert response.status_code == 303
    assert response.headers["location"] == "/desk/"
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    attributes = {part.strip().lower() for part in cookie.split(";")}
    assert "httponly" in attributes
    assert "samesite=strict" in attributes
    assert "path=/desk" in attributes
    assert "secure" not in attributes  # plain HTTP here
    session_id = desk.cookies[SESSION_COOKIE]

    stored = _sessions_of(owner_conn, agency.caseworker_id)
    assert len(stored) == 1
    assert bytes(stored[0][0]) == session_hash(session_id)
    assert bytes(stored[0][0]) != session_id.encode()
    assert stored[0][1] == "identification of case 17"
    dump = owner_conn.execute("SELECT desk_sessions::text FROM desk_sessions").fetchall()
    assert not any(session_id in row[0] for row in dump)

    events = owner_conn.execute(
        "SELECT purpose FROM audit_events WHERE action = 'desk.sign_in' AND actor_id = %s",
        (agency.caseworker_id,),
    ).fetchall()
    assert events == [("identification of case 17",)]
    assert desk.get("/desk/", follow_redirects=False).headers["location"] == "/desk/cases"


def test_over_https_the_session_cookie_is_secure(client: TestClient, agency: AgencyUsers) -> None:
    desk = desk_client(client, https=True)
    response = sign_in(desk, agency.auditor)
    assert response.status_code == 303
    cookie = next(
        c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE + "=")
    )
    assert "secure" in {part.strip().lower() for part in cookie.split(";")}


def test_pages_carry_a_strict_content_security_policy(
    client: TestClient, agency: AgencyUsers
) -> None:
    desk = desk_client(client)
    page = desk.get("/desk/sign-in")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text and "style=" not in page.text


def test_partner_and_admin_tokens_open_no_desk_page(
    client: TestClient,
    agency: AgencyUsers,
    admin_token: str,
    owner_conn: psycopg.Connection[Any],
) -> None:
    case_id = create_case(client, agency.caseworker, "DESK-PARTNER", {"names": ["Li Wei"]})
    pages = (*DESK_PAGES, f"/desk/cases/{case_id}")
    for token in (agency.partner, admin_token):
        desk = desk_client(client)
        refused = sign_in(desk, token)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("text/html")
        assert "for caseworkers and auditors" in refused.text
        assert SESSION_COOKIE not in desk.cookies
        for path in pages:
            # neither a cookie (there is none) nor the API token opens a page
            page = desk.get(path, headers=auth(token), follow_redirects=False)
            assert page.status_code == 303, path
            assert page.headers["location"].startswith("/desk/sign-in"), path
    partner_id = _user_id(owner_conn, agency, "partner")
    assert _sessions_of(owner_conn, partner_id) == []


def test_a_wrong_token_is_refused_and_opens_no_session(
    client: TestClient, agency: AgencyUsers
) -> None:
    desk = desk_client(client)
    response = sign_in(desk, agency.caseworker[:-4] + "AAAA")
    assert response.status_code == 401
    assert "That token is not valid." in response.text
    assert SESSION_COOKIE not in desk.cookies


def test_a_sign_in_form_without_its_token_opens_no_session(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    desk = desk_client(client)
    desk.get("/desk/sign-in")
    response = desk.post(
        "/desk/sign-in",
        data={"token": agency.caseworker, "purpose": "x", "csrf": "forged"},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert "Nothing was changed" in response.text or "nothing was changed" in response.text
    assert _sessions_of(owner_conn, agency.caseworker_id) == []


def test_a_session_idle_too_long_ends_and_asks_to_sign_in_again(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    desk = desk_client(client)
    sign_in(desk, agency.caseworker)
    assert desk.get("/desk/cases").status_code == 200
    owner_conn.execute(
        "UPDATE desk_sessions SET last_seen_at = now() - interval '16 minutes' WHERE user_id = %s",
        (agency.caseworker_id,),
    )
    response = desk.get("/desk/cases", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/desk/sign-in?next=/desk/cases&expired=1"
    assert "ended after a period without activity" in desk.get(response.headers["location"]).text
    assert _sessions_of(owner_conn, agency.caseworker_id) == []


def test_activity_keeps_a_session_alive(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    desk = desk_client(client)
    sign_in(desk, agency.caseworker)
    owner_conn.execute(
        "UPDATE desk_sessions SET last_seen_at = now() - interval '14 minutes' WHERE user_id = %s",
        (agency.caseworker_id,),
    )
    assert desk.get("/desk/cases").status_code == 200
    row = owner_conn.execute(
        "SELECT now() - last_seen_at < interval '1 minute' FROM desk_sessions WHERE user_id = %s",
        (agency.caseworker_id,),
    ).fetchone()
    assert row == (True,)


def test_sign_out_needs_its_form_token_and_ends_the_session(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    desk = desk_client(client)
    sign_in(desk, agency.auditor)
    page = desk.get("/desk/audit")
    assert page.status_code == 200
    auditor_id = _user_id(owner_conn, agency, "auditor")

    refused = desk.post("/desk/sign-out", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert len(_sessions_of(owner_conn, auditor_id)) == 1

    done = desk.post("/desk/sign-out", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/desk/sign-in?signed_out=1"
    assert _sessions_of(owner_conn, auditor_id) == []
    assert desk.get("/desk/audit", follow_redirects=False).status_code == 303


def test_a_form_without_or_with_a_wrong_token_changes_nothing(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    case_id = create_case(client, agency.caseworker, "DESK-CSRF", {"names": ["Li Wei"]})
    desk = desk_client(client)
    sign_in(desk, agency.caseworker)
    real = csrf_of(desk.get(f"/desk/cases/{case_id}").text)
    before = owner_conn.execute(
        "SELECT count(*) FROM audit_events WHERE object_id = %s", (case_id,)
    ).fetchone()
    for data in ({}, {"csrf": ""}, {"csrf": "0" * len(real)}, {"csrf": real[:-1] + "x"}):
        refused = desk.post(f"/desk/cases/{case_id}/match", data=data, follow_redirects=False)
        assert refused.status_code == 403
        assert "Form refused" in refused.text
    runs = owner_conn.execute("SELECT count(*) FROM match_runs WHERE case_id = %s", (case_id,))
    assert runs.fetchone() == (0,)
    state = owner_conn.execute("SELECT state FROM cases WHERE id = %s", (case_id,)).fetchone()
    assert state == ("open",)
    after = owner_conn.execute(
        "SELECT count(*) FROM audit_events WHERE object_id = %s", (case_id,)
    ).fetchone()
    assert after == before

    accepted = desk.post(
        f"/desk/cases/{case_id}/match", data={"csrf": real}, follow_redirects=False
    )
    assert accepted.status_code == 303
    runs = owner_conn.execute("SELECT count(*) FROM match_runs WHERE case_id = %s", (case_id,))
    assert runs.fetchone() == (1,)


def test_a_post_without_a_session_is_refused_and_changes_nothing(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    case_id = create_case(client, agency.caseworker, "DESK-NOSESSION", {"names": ["Li Wei"]})
    desk = desk_client(client)
    response = desk.post(f"/desk/cases/{case_id}/match", data={"csrf": "x"})
    assert response.status_code == 401
    runs = owner_conn.execute("SELECT count(*) FROM match_runs WHERE case_id = %s", (case_id,))
    assert runs.fetchone() == (0,)


def test_each_role_sees_only_its_own_pages(client: TestClient, agency: AgencyUsers) -> None:
    caseworker = desk_client(client)
    sign_in(caseworker, agency.caseworker)
    auditor = desk_client(client)
    sign_in(auditor, agency.auditor)
    for path in ("/desk/audit", "/desk/audit/decisions"):
        refused = caseworker.get(path)
        assert refused.status_code == 403
        assert "needs the role auditor" in refused.text
    refused = auditor.get("/desk/cases")
    assert refused.status_code == 403
    assert "needs the role caseworker" in refused.text


def test_another_agencys_case_is_as_absent_as_an_unknown_one(
    client: TestClient, agency: AgencyUsers, other_agency: AgencyUsers
) -> None:
    case_id = create_case(client, agency.caseworker, "DESK-OWN", {"names": ["Li Wei"]})
    outsider = desk_client(client)
    sign_in(outsider, other_agency.caseworker)
    theirs = outsider.get(f"/desk/cases/{case_id}")
    unknown = outsider.get(f"/desk/cases/{UUID(int=7)}")
    malformed = outsider.get("/desk/cases/not-an-id")
    assert theirs.status_code == unknown.status_code == malformed.status_code == 404
    assert "No case has that id." in theirs.text
    assert "DESK-OWN" not in theirs.text
    assert "DESK-OWN" not in outsider.get("/desk/cases").text


def test_a_face_thumbnail_is_shown_to_its_agency_only_and_each_view_is_logged(
    client: TestClient,
    agency: AgencyUsers,
    other_agency: AgencyUsers,
    owner_conn: psycopg.Connection[Any],
) -> None:
    case_id = create_case(client, agency.caseworker, "DESK-FACE", {"names": ["Li Wei"]})
    upload = client.post(
        f"/v1/cases/{case_id}/evidence/face-images",
        files={"image": ("p.jpg", (FACES / "images" / "deepface_img10.jpg").read_bytes())},
        headers=auth(agency.caseworker),
    )
    assert upload.status_code == 201, upload.text
    evidence_id = upload.json()["evidence_id"]
    url = f"/desk/cases/{case_id}/faces/{evidence_id}"

    desk = desk_client(client)
    sign_in(desk, agency.caseworker, "face check")
    assert f'src="{url}"' in desk.get(f"/desk/cases/{case_id}").text
    image = desk.get(url)
    assert image.status_code == 200
    assert image.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(image.content)) as thumb:
        assert max(thumb.size) <= 320
    logged = owner_conn.execute(
        "SELECT purpose FROM audit_events WHERE action = 'evidence.face_image.thumbnail.read' "
        "AND object_id = %s",
        (evidence_id,),
    ).fetchall()
    assert logged == [("face check",)]

    outsider = desk_client(client)
    sign_in(outsider, other_agency.caseworker)
    assert outsider.get(url).status_code == 404
    assert outsider.get(url).headers["content-type"].startswith("text/html")


def test_static_files_are_served_and_nothing_else(client: TestClient) -> None:
    desk = desk_client(client)
    css = desk.get("/desk/static/desk.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "Noto Sans CJK" in css.text
    assert desk.get("/desk/static/desk.js").status_code == 200
    assert desk.get("/desk/static/..%2Froutes.py").status_code == 404
    assert desk.get("/desk/static/routes.py").status_code == 404


def test_signing_in_returns_to_the_page_asked_for_and_never_to_another_site(
    client: TestClient, agency: AgencyUsers
) -> None:
    case_id = create_case(client, agency.caseworker, "DESK-NEXT", {"names": ["Li Wei"]})
    desk = desk_client(client)
    asked = desk.get(f"/desk/cases/{case_id}", follow_redirects=False)
    assert asked.headers["location"] == f"/desk/sign-in?next=/desk/cases/{case_id}"
    form = desk.get(asked.headers["location"])
    assert f'name="next" value="/desk/cases/{case_id}"' in form.text
    for target, landing in (
        (f"/desk/cases/{case_id}", f"/desk/cases/{case_id}"),
        ("//evil.example/desk/", "/desk/"),
        ("https://evil.example/", "/desk/"),
        ("/desk/..//evil.example", "/desk/"),
    ):
        form = desk.get("/desk/sign-in")
        response = desk.post(
            "/desk/sign-in",
            data={
                "token": agency.caseworker,
                "purpose": "x",
                "csrf": csrf_of(form.text),
                "next": target,
            },
            follow_redirects=False,
        )
        assert response.status_code == 303
        assert response.headers["location"] == landing, target


def test_a_sign_in_without_a_purpose_is_refused(
    client: TestClient, agency: AgencyUsers, owner_conn: psycopg.Connection[Any]
) -> None:
    desk = desk_client(client)
    response = sign_in(desk, agency.caseworker, purpose="   ")
    assert response.status_code == 422
    assert "State the purpose of this session" in response.text
    assert _sessions_of(owner_conn, agency.caseworker_id) == []
