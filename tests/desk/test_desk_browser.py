"""The review desk in headless Chromium: two caseworkers identify a demo-like case, an
auditor follows their decisions, a partner is kept out, a form without its token
changes nothing; every page passes axe-core; the README's screenshots are taken."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page, expect

from service.ops.demo import GALLERY
from tests.conftest import AgencyUsers, Servers, auth, create_agency, share
from tests.desk.conftest import SCREENSHOTS, assert_accessible, new_page
from tests.desk.helpers import (
    MRZ,
    add_evidence,
    create_case,
    import_demo_gallery,
    indexed,
    named_agency,
)
from tests.integration.workers import WorkerProcess, wait_for


@dataclass(frozen=True)
class DemoCase:
    agency: AgencyUsers
    case_id: str
    reference: str


@pytest.fixture(scope="module")
def demo(client: TestClient, admin_token: str, servers: Servers, worker: WorkerProcess) -> DemoCase:
    """The demo gallery and a case like DEMO-0001 (王小明) with documents, an interview
    and a language test, in an agency of this module's own, indexed by the worker."""
    agency = named_agency(client, admin_token, "Identification Office (desk tests)")
    import_demo_gallery(client, agency)
    reference = "DESK-0001"
    case_id = create_case(
        client,
        agency.caseworker,
        reference,
        {"names": ["王小明"], "birth_date": "1990-05-17", "sex": "M", "languages": ["cmn"]},
    )
    add_evidence(
        client,
        agency.caseworker,
        case_id,
        "documents",
        {
            "type": "passport",
            "issuer": "CHN",
            "number": "E12345678",
            "names": ["王小明"],
            "birth_date": "1990-05-17",
            "sex": "M",
            "nationality": "CHN",
            "expiry_date": "2030-01-01",
            "mrz": MRZ,
            "genuineness": "doubtful",
        },
    )
    add_evidence(
        client,
        agency.caseworker,
        case_id,
        "interviews",
        {
            "notes": "Says he grew up near Fuqing and left in 2015.",
            "claims": {
                "names": ["王小明", {"full": "Siao Ming", "kind": "alias"}],
                "birth_date": "1990",
                "nationality": ["CHN"],
                "birth_place": {"name": "Fuqing", "country": "CHN"},
                "languages": ["cmn", "cdo"],
            },
            "parents": ["王建国"],
        },
    )
    add_evidence(
        client,
        agency.caseworker,
        case_id,
        "language-tests",
        {"language": "cdo", "dialect": "Fuqing Min", "region": "Fujian", "confidence": 0.8},
    )
    # Another agency shares its gallery with this one: its record may be found, but
    # none of its stored values may be shown.
    owner = create_agency(client, admin_token, country="FRA")
    shared = client.post(
        "/v1/identities",
        json={**SHARED_RECORD, "external_id": "FR-REG-77"},
        headers=auth(owner.caseworker),
    )
    assert shared.status_code == 201, shared.text
    share(client, admin_token, owner, agency, purpose="readmission identification")
    wait_for(lambda: indexed(servers.owner_url, agency, len(GALLERY)), timeout=90)
    wait_for(lambda: indexed(servers.owner_url, owner, 1), timeout=90)
    return DemoCase(agency=agency, case_id=case_id, reference=reference)


# Values only the sharing agency holds: a desk page of the other agency must show none.
SHARED_RECORD = {
    "names": [{"full": "Wang Xiaoming", "given": "Xiaoming", "family": "Wang"}],
    "birth_date": "1990-05-17",
    "sex": "M",
    "birth_place": {"name": "Changle", "country": "CHN"},
    "documents": [{"type": "residence_permit", "number": "FR4455667", "issuer": "FRA"}],
}


def _sign_in(page: Page, base: str, token: str, purpose: str) -> None:
    page.goto(f"{base}/desk/sign-in")
    page.get_by_label("Your token").fill(token)
    page.get_by_label("Purpose of this session").fill(purpose)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()


def _decisions(owner_url: str, candidate_id: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(owner_url) as conn:
        return conn.execute(
            "SELECT reviewer_id, verdict FROM decisions WHERE candidate_id = %s "
            "ORDER BY created_at",
            (candidate_id,),
        ).fetchall()


def _case_state(owner_url: str, case_id: str) -> str:
    with psycopg.connect(owner_url) as conn:
        row = conn.execute("SELECT state FROM cases WHERE id = %s", (case_id,)).fetchone()
        assert row is not None
        state: str = row[0]
        return state


def test_two_caseworkers_identify_a_case_and_an_auditor_finds_their_decisions(
    browser: Browser,
    live_url: str,
    demo: DemoCase,
    servers: Servers,
    client: TestClient,
    admin_token: str,
) -> None:
    agency = demo.agency
    first = new_page(browser)
    _sign_in(first, live_url, "wrong", "x")
    expect(first.get_by_text("That token is not valid.")).to_be_visible()
    assert_accessible(first)
    _sign_in(first, live_url, agency.caseworker, f"identification of {demo.reference}")

    # The case list, then the case page with its evidence.
    assert first.url.endswith("/desk/cases")
    row = first.get_by_role("row").filter(has_text=demo.reference)
    assert "open" in row.inner_text()
    assert_accessible(first)
    row.get_by_role("link", name=demo.reference).click()
    assert first.get_by_role("heading", level=1).inner_text() == f"Case {demo.reference}"
    evidence = first.locator("#evidence-h").locator("xpath=..")
    assert "passed" in evidence.get_by_text("TD3 check digits").inner_text()
    assert "Fuqing Min" in evidence.inner_text()
    assert first.locator('bdi[lang="zh"]', has_text="王建国").count() == 1

    # Start matching while matching is suspended: the page shows the run waiting, then
    # follows it (desk.js polls) and shows the candidates once it is done.
    switch = client.post("/v1/admin/matching/suspend", headers=auth(admin_token))
    assert switch.status_code == 200, switch.text
    try:
        first.get_by_role("button", name="Start matching").click()
        assert first.locator("[data-run-status]").inner_text() == "queued"
        expect(first.get_by_role("progressbar", name="Matching in progress")).to_be_visible()
        assert first.locator("table.candidates").count() == 0
    finally:
        client.post("/v1/admin/matching/resume", headers=auth(admin_token))
    first.locator("table.candidates").wait_for(timeout=60_000)
    assert first.locator("[data-run-status]").inner_text() == "done"
    top = first.locator("table.candidates tbody tr").first
    assert "REG-CN-0001" in top.inner_text()
    assert "strong" in top.inner_text()
    assert top.locator('bdi[lang="zh"]', has_text="王小明").count() == 1
    assert "Wang Xiaoming" in top.inner_text()
    # beside the bands, how often strong named the wrong person (GET /v1/algorithm)
    expect(first.locator("#band-rates")).to_contain_text("of strong candidates were not the person")
    assert_accessible(first)
    shared_row = first.locator("table.candidates tbody tr").filter(has_text="FR-REG-77")
    assert "other agency" in shared_row.inner_text()
    assert "not disclosed" in shared_row.inner_text()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    first.evaluate("window.scrollTo(0, 0)")
    first.screenshot(path=str(SCREENSHOTS / "case.png"))

    # The candidate beside the subject, with every feature's bar and explanation.
    top.get_by_role("link", name="REG-CN-0001").click()
    candidate_url = first.url
    candidate_id = candidate_url.rsplit("/", 1)[1]
    subject = first.locator("section", has=first.locator("#subject-h"))
    other = first.locator("section", has=first.locator("#candidate-h"))
    assert subject.locator('bdi[lang="zh"]', has_text="王小明").count() >= 1
    assert "Wang Xiaoming" in other.inner_text() and "Wong Siu Ming" in other.inner_text()
    assert "Fuqing, CHN" in other.inner_text() and "1990-05-17" in other.inner_text()
    name_row = first.locator("table.features tbody tr").filter(
        has=first.locator("th", has_text="name")
    )
    assert "王小明" in name_row.inner_text() and "Wang Xiaoming" in name_row.inner_text()
    assert "supports the match" in name_row.inner_text()
    assert first.locator("table.features svg.bar-supports").count() >= 2
    assert_accessible(first)
    first.screenshot(path=str(SCREENSHOTS / "candidate.png"))

    # Another agency's candidate: its reference, score and levels, none of its values.
    first.goto(f"{live_url}/desk/cases/{demo.case_id}")
    first.get_by_role("link", name="FR-REG-77").click()
    page_text = first.content()
    assert "Held by another agency" in page_text
    for value in ("Changle", "FR4455667", "residence"):
        assert value not in page_text, value
    assert_accessible(first)
    first.goto(candidate_url)

    # A verdict needs a reason; the first reviewer (the case's creator) confirms.
    first.get_by_label("Confirm: this is the same person").check()
    first.get_by_label("Reason (required)").fill("   ")
    first.get_by_role("button", name="Record verdict").click()
    assert "give the reason for your verdict" in first.get_by_role("alert").inner_text()
    assert _decisions(servers.owner_url, candidate_id) == []
    first.goto(candidate_url)
    first.get_by_label("Confirm: this is the same person").check()
    first.get_by_label("Reason (required)").fill("Passport MRZ and registry record agree.")
    first.get_by_role("button", name="Record verdict").click()
    expect(first.get_by_text("Your verdict “confirm” was recorded.")).to_be_visible()
    assert _case_state(servers.owner_url, demo.case_id) == "candidates_ready"

    # The second reviewer does not see that verdict until deciding; a form sent without
    # its token, or with a wrong one, changes nothing.
    second = new_page(browser)
    _sign_in(second, live_url, agency.caseworker2, f"second review of {demo.reference}")
    second.goto(candidate_url)
    review = second.locator("#review")
    assert "Passport MRZ" not in second.content()
    assert review.locator("table").count() == 0
    assert "Candidate status" not in review.inner_text()
    assert_accessible(second)
    for tamper in (
        "document.querySelector('form.decide input[name=csrf]').remove()",
        "document.querySelector('form.decide input[name=csrf]').value = 'f'.repeat(64)",
    ):
        second.goto(candidate_url)
        second.evaluate(tamper)
        second.get_by_label("Confirm: this is the same person").check()
        second.get_by_label("Reason (required)").fill("Independent check agrees.")
        second.get_by_role("button", name="Record verdict").click()
        expect(second.get_by_role("heading", name="Form refused")).to_be_visible()
        assert_accessible(second)
        assert len(_decisions(servers.owner_url, candidate_id)) == 1
        assert _case_state(servers.owner_url, demo.case_id) == "candidates_ready"
    second.goto(candidate_url)
    second.get_by_label("Confirm: this is the same person").check()
    second.get_by_label("Reason (required)").fill("Independent check agrees.")
    second.get_by_role("button", name="Record verdict").click()
    assert "identified" in second.locator(".lead").inner_text()
    assert "Passport MRZ and registry record agree." in second.locator("#review").inner_text()
    assert [v for _, v in _decisions(servers.owner_url, candidate_id)] == ["confirm", "confirm"]
    assert _case_state(servers.owner_url, demo.case_id) == "identified"
    second.goto(f"{live_url}/desk/cases")
    assert "identified" in second.get_by_role("row").filter(has_text=demo.reference).inner_text()

    # The identified case's readmission dossier for China: viewed, then downloaded.
    second.goto(f"{live_url}/desk/cases/{demo.case_id}")
    second.get_by_role("link", name="Prepare the readmission dossier").click()
    assert second.locator("#dossier").count() == 0
    assert_accessible(second)
    second.get_by_label("Requested state (ISO 3166 three-letter code)").fill("chn")
    second.get_by_role("button", name="Show the dossier").click()
    dossier = second.locator("#dossier")
    expect(dossier.get_by_role("heading", name="Dossier for CHN")).to_be_visible()
    grades = dossier.locator("table.evidence-grades tbody tr")
    passport = grades.filter(has_text="passport")
    assert "none" in passport.inner_text() and "doubt" in passport.inner_text()
    assert "prima facie" in grades.filter(has_text="language test").inner_text()
    assert dossier.locator("[data-prima-facie]").inner_text() != "0"
    assert "REG-CN-0001" in dossier.inner_text()
    page_text = second.content()
    for internal in ("grew up near Fuqing", "Independent check agrees", "FR-REG-77"):
        assert internal not in page_text, internal
    assert_accessible(second)
    second.evaluate("window.scrollTo(0, 0)")
    second.screenshot(path=str(SCREENSHOTS / "dossier.png"), full_page=True)
    with second.expect_download() as download:
        dossier.get_by_role("link", name="Download the PDF for CHN").click()
    assert download.value.suggested_filename == f"dossier-{demo.case_id}-CHN.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF-")
    exports = client.get(
        "/v1/audit/events",
        params={"action": "dossier.export", "object_id": demo.case_id},
        headers=auth(agency.auditor),
    ).json()["items"]
    assert [(e["details"]["recipient"], e["details"]["format"]) for e in exports] == [
        ("CHN", "desk"),
        ("CHN", "pdf"),
    ]

    # The auditor: the chain's status as the API reports it, the events, the decisions.
    auditor = new_page(browser)
    _sign_in(auditor, live_url, agency.auditor, "oversight of identifications")
    assert auditor.url.endswith("/desk/audit")
    verified = client.get("/v1/audit/verify", headers=auth(agency.auditor)).json()
    chain = auditor.locator(".chain").inner_text()
    assert ("The chain is whole." in chain) is verified["valid"]
    assert_accessible(auditor)
    auditor.get_by_label("Action").fill("decision.create")
    auditor.get_by_label("Object (id)").fill(candidate_id)
    auditor.get_by_role("button", name="Apply filters").click()
    rows = auditor.locator("table.events tbody tr")
    assert rows.count() == 2
    actors = rows.locator("td code.id").all_inner_texts()
    assert str(agency.caseworker_id) in actors and str(agency.caseworker2_id) in actors
    assert_accessible(auditor)
    rows.first.get_by_role("link", name="the decision, with its explanation").click()
    decisions = auditor.locator("article.decision")
    assert decisions.count() == 2
    text = decisions.first.inner_text()
    run_id, algorithm = _run_of(servers.owner_url, candidate_id)
    assert str(run_id) in text
    assert algorithm in text
    assert "Passport MRZ and registry record agree." in text
    assert decisions.first.locator("table.features tbody tr").count() >= 3
    assert "identified" in decisions.nth(1).inner_text()
    assert_accessible(auditor)
    auditor.get_by_label("Actor (user id)").fill("not-an-id")
    auditor.get_by_role("button", name="Apply filters").click()
    assert auditor.locator(".filters [role=alert]").inner_text().count("UUID") == 1
    for page in (first, second, auditor):
        page.context.close()


def _run_of(owner_url: str, candidate_id: str) -> tuple[UUID, str]:
    """The run a candidate came from and that run's algorithm."""
    with psycopg.connect(owner_url) as conn:
        row = conn.execute(
            "SELECT r.id, r.algorithm FROM candidates c JOIN match_runs r ON r.id = c.match_run_id "
            "WHERE c.id = %s",
            (candidate_id,),
        ).fetchone()
        assert row is not None
        return row[0], row[1]


def test_a_partner_token_opens_no_desk_page(
    browser: Browser, live_url: str, demo: DemoCase
) -> None:
    page = new_page(browser)
    page.goto(f"{live_url}/desk/sign-in")
    page.get_by_label("Your token").fill(demo.agency.partner)
    page.get_by_label("Purpose of this session").fill("readmission request")
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name="Sign in").click()
    response = navigation.value
    assert response is not None and response.status == 403
    assert "for caseworkers and auditors" in page.locator("main").inner_text()
    assert_accessible(page)
    page.context.set_extra_http_headers({"Authorization": f"Bearer {demo.agency.partner}"})
    for path in ("/desk/", "/desk/cases", f"/desk/cases/{demo.case_id}", "/desk/audit"):
        page.goto(live_url + path)
        assert page.url.startswith(f"{live_url}/desk/sign-in"), path
        assert page.get_by_role("heading", level=1).inner_text() == "Sign in to the review desk"
    page.context.close()


def test_names_in_every_script_declare_their_language_and_direction(
    browser: Browser, live_url: str, demo: DemoCase, client: TestClient
) -> None:
    names = {
        "محمد الحسن": ("ar", "rtl"),
        "יוסף כהן": ("he", "rtl"),
        "Сергей Иванов": ("ru", "ltr"),
        "ተስፋይ ገብረመድህን": ("am", "ltr"),
        "김민준": ("ko", "ltr"),
        "たなか ひろし": ("ja", "ltr"),
        "王小明": ("zh", "ltr"),
    }
    case_id = create_case(client, demo.agency.caseworker, "DESK-SCRIPTS", {"names": list(names)})
    page = new_page(browser)
    _sign_in(page, live_url, demo.agency.caseworker, "script rendering check")
    page.goto(f"{live_url}/desk/cases/{case_id}")
    subject = page.locator("section", has=page.locator("#subject-h"))
    for name, (lang, direction) in names.items():
        element = subject.locator("bdi", has_text=name)
        assert element.get_attribute("lang") == lang, name
        assert element.evaluate("e => getComputedStyle(e).direction") == direction, name
        # drawn: the element has a width, so some font had the glyphs' shapes
        assert element.evaluate("e => e.getBoundingClientRect().width") > 10, name
    assert_accessible(page)
    page.locator("#subject-h").scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "scripts.png"), clip=_clip(page, "#subject-h"))
    page.context.close()


def _clip(page: Page, heading: str) -> Any:
    box = page.locator("section", has=page.locator(heading)).bounding_box()
    assert box is not None
    return {"x": box["x"], "y": box["y"], "width": box["width"], "height": box["height"]}
