"""A small demo data set: two agencies, one user per role, a gallery and a case."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import psycopg

from schemas.cases import CaseCreate
from schemas.identities import IdentityCreate
from service.admin import repository as repo
from service.audit import service as audit
from service.cases import repository as cases
from service.db import Principal, set_context
from service.identities import repository as identities
from service.security import issue_token
from service.worker.repository import enqueue

DEMO_AGENCY = "Demo Identification Office"
DEMO_PARTNER = "Demo Partner Consulate"


def _agency(conn: psycopg.Connection[tuple[Any, ...]], name: str, country: str) -> UUID:
    row = conn.execute("SELECT id FROM agencies WHERE name = %s", (name,)).fetchone()
    agency_id: UUID = row[0] if row else repo.insert_agency(conn, name, country).id
    return agency_id


def load_demo(owner_url: str) -> dict[str, str]:
    """Load the demo data (again, harmlessly) and return a fresh token per role."""
    tokens: dict[str, str] = {}
    with psycopg.connect(owner_url) as conn, conn.transaction():
        operator = Principal(user_id=UUID(int=0), agency_id=UUID(int=0), role="admin")
        set_context(conn, operator)
        office = _agency(conn, DEMO_AGENCY, "DEU")
        partner = _agency(conn, DEMO_PARTNER, "CHN")
        users = [
            ("admin", office, "Demo administrator", "admin"),
            ("caseworker", office, "Demo caseworker A", "caseworker"),
            ("caseworker2", office, "Demo caseworker B", "caseworker"),
            ("auditor", office, "Demo auditor", "auditor"),
            ("partner", partner, "Demo partner officer", "partner"),
        ]
        ids: dict[str, UUID] = {}
        for label, agency_id, name, role in users:
            issued = issue_token()
            user_id = repo.insert_user(
                conn,
                agency_id=agency_id,
                name=name,
                role=role,
                key_id=issued.key_id,
                secret_hash=issued.secret_hash,
            )
            audit.append(
                conn,
                operator,
                "demo.user.create",
                object_type="user",
                object_id=user_id,
                details={"role": role},
            )
            tokens[label] = issued.token
            ids[label] = user_id
        shared = conn.execute(
            "SELECT 1 FROM sharing_agreements WHERE owner_agency_id = %s "
            "AND partner_agency_id = %s",
            (office, partner),
        ).fetchone()
        if shared is None:
            repo.insert_sharing_agreement(
                conn,
                owner_agency_id=office,
                partner_agency_id=partner,
                purpose="readmission request",
                expires_at=None,
                created_by=ids["admin"],
            )
        _gallery_and_case(conn, office, ids["caseworker"])
    return tokens


# A small gallery across scripts and romanisations; the demo case 王小明 should find
# REG-CN-0001 as a strong candidate.
GALLERY: list[dict[str, Any]] = [
    {
        "external_id": "REG-CN-0001",
        "names": [
            {"full": "Wang Xiaoming", "given": "Xiaoming", "family": "Wang"},
            {"full": "Wong Siu Ming", "kind": "alias"},
        ],
        "birth_date": "1990-05-17",
        "sex": "M",
        "nationality": ["CHN"],
        "birth_place": {"name": "Fuqing", "country": "CHN"},
        "documents": [{"type": "passport", "number": "E12345678", "issuer": "CHN"}],
    },
    {
        "external_id": "REG-CN-0002",
        "names": ["Wang Xiaohong"],
        "birth_date": "1992-11-30",
        "sex": "F",
        "nationality": ["CHN"],
    },
    {
        "external_id": "REG-CN-0003",
        "names": ["Wang Ming"],
        "birth_date": "1990",
        "sex": "M",
        "nationality": ["CHN"],
    },
    {
        "external_id": "REG-CN-0004",
        "names": ["Li Wei"],
        "birth_date": "1985-03-02",
        "sex": "M",
        "nationality": ["CHN"],
    },
    {
        "external_id": "REG-CN-0005",
        "names": ["Zhang San"],
        "birth_date": "1979-01-01",
        "sex": "M",
        "nationality": ["CHN"],
    },
    {
        "external_id": "REG-TW-0001",
        "names": ["Chang Hsiao-ming"],
        "birth_date": "1988-07-07",
        "sex": "M",
        "nationality": ["TWN"],
    },
    {
        "external_id": "REG-SY-0001",
        "names": [
            {"full": "Mohammed Al-Hassan", "given": "Mohammed", "family": "Al-Hassan"},
            {"full": "محمد الحسن", "kind": "alias"},
        ],
        "birth_date": "1993-01-01",
        "sex": "M",
        "nationality": ["SYR"],
        "birth_place": {"name": "Aleppo", "country": "SYR"},
    },
    {
        "external_id": "REG-SY-0002",
        "names": ["Mohamad Hassan"],
        "birth_date": "1987-06-12",
        "sex": "M",
        "nationality": ["SYR"],
    },
    {
        "external_id": "REG-IQ-0001",
        "names": ["Ahmed Abdullah Karim"],
        "birth_date": "1991",
        "sex": "M",
        "nationality": ["IRQ"],
    },
    {
        "external_id": "REG-EG-0001",
        "names": ["Fatima Mahmoud"],
        "birth_date": "1996-09-21",
        "sex": "F",
        "nationality": ["EGY"],
    },
    {
        "external_id": "REG-MA-0001",
        "names": ["Youssef Benali"],
        "birth_date": "1998-02-14",
        "sex": "M",
        "nationality": ["MAR"],
    },
    {
        "external_id": "REG-AF-0001",
        "names": ["Abdul Rahman Noori"],
        "birth_date": "2001",
        "sex": "M",
        "nationality": ["AFG"],
        "languages": ["prs"],
    },
    {
        "external_id": "REG-RU-0001",
        "names": [
            {"full": "Sergei Ivanov", "given": "Sergei", "family": "Ivanov"},
            {"full": "Сергей Иванов", "kind": "alias"},
        ],
        "birth_date": "1984-10-03",
        "sex": "M",
        "nationality": ["RUS"],
    },
    {
        "external_id": "REG-UA-0001",
        "names": [
            {"full": "Olena Kovalenko", "given": "Olena", "family": "Kovalenko"},
            {"full": "Олена Коваленко", "kind": "alias"},
        ],
        "birth_date": "1990-12-24",
        "sex": "F",
        "nationality": ["UKR"],
    },
    {
        "external_id": "REG-GE-0001",
        "names": ["Giorgi Beridze"],
        "birth_date": "1986-05-05",
        "sex": "M",
        "nationality": ["GEO"],
    },
    {
        "external_id": "REG-KR-0001",
        "names": [
            {"full": "Kim Min-jun", "given": "Min-jun", "family": "Kim"},
            {"full": "김민준", "kind": "alias"},
        ],
        "birth_date": "1995-04-11",
        "sex": "M",
        "nationality": ["KOR"],
    },
    {
        "external_id": "REG-KR-0002",
        "names": [
            {"full": "Park Ji-woo", "given": "Ji-woo", "family": "Park"},
            {"full": "박지우", "kind": "alias"},
        ],
        "birth_date": "1997-08-30",
        "sex": "F",
        "nationality": ["KOR"],
    },
    {
        "external_id": "REG-JP-0001",
        "names": [
            {"full": "Tanaka Hiroshi", "given": "Hiroshi", "family": "Tanaka"},
            {"full": "田中博", "kind": "alias"},
        ],
        "birth_date": "1975-11-11",
        "sex": "M",
        "nationality": ["JPN"],
    },
    {
        "external_id": "REG-IL-0001",
        "names": [
            {"full": "Yosef Cohen", "given": "Yosef", "family": "Cohen"},
            {"full": "יוסף כהן", "kind": "alias"},
        ],
        "birth_date": "1982-03-15",
        "sex": "M",
        "nationality": ["ISR"],
    },
    {
        "external_id": "REG-ER-0001",
        "names": ["Tesfay Gebremedhin Haile"],
        "birth_date": "1999",
        "sex": "M",
        "nationality": ["ERI"],
        "languages": ["tir"],
    },
    {
        "external_id": "REG-ER-0002",
        "names": ["Senait Tesfamariam"],
        "birth_date": "2000-01-01",
        "sex": "F",
        "nationality": ["ERI"],
    },
    {
        "external_id": "REG-PK-0001",
        "names": ["Muhammad Imran Khan"],
        "birth_date": "1989-07-19",
        "sex": "M",
        "nationality": ["PAK"],
    },
    {
        "external_id": "REG-LK-0001",
        "names": ["Nimal Perera"],
        "birth_date": "1980-02-02",
        "sex": "M",
        "nationality": ["LKA"],
    },
    {
        "external_id": "REG-AL-0001",
        "names": ["Arben Hoxha"],
        "birth_date": "1994-06-06",
        "sex": "M",
        "nationality": ["ALB"],
    },
    {
        "external_id": "REG-RU-0002",
        "names": ["Natalya Smirnova", {"full": "Natalia Smirnowa", "kind": "alias"}],
        "birth_date": "1991-02-28",
        "sex": "F",
        "nationality": ["RUS"],
        "languages": ["rus"],
    },
    {
        "external_id": "REG-KR-0003",
        "names": ["Lee Seo-yeon", {"full": "이서연", "kind": "alias"}],
        "birth_date": "1993",
        "sex": "F",
        "nationality": ["KOR"],
    },
    {
        "external_id": "REG-IL-0002",
        "names": ["Miriam Levi", {"full": "מרים לוי", "kind": "alias"}],
        "birth_date": "1988-09-09",
        "sex": "F",
        "nationality": ["ISR"],
    },
    {
        "external_id": "REG-SD-0001",
        "names": [
            {"full": "Omar Abdelrahman Ibrahim", "given": "Omar", "family": "Ibrahim"},
            {"full": "عمر عبد الرحمن إبراهيم", "kind": "alias"},
        ],
        "birth_date_range": {"from": "1995", "to": "1999"},
        "sex": "M",
        "nationality": ["SDN"],
        "languages": ["apd"],
    },
    {
        "external_id": "REG-CN-0006",
        "names": ["Chen Jing", {"full": "陈静", "kind": "alias"}],
        "birth_date": "1994-03-08",
        "sex": "F",
        "nationality": ["CHN"],
        "birth_place": {"name": "Wenzhou", "country": "CHN"},
    },
    {
        "external_id": "REG-NG-0001",
        "names": ["Chinedu Okafor"],
        "birth_date": "1993-12-01",
        "sex": "M",
        "nationality": ["NGA"],
    },
]

DEMO_CASE: dict[str, Any] = {
    "reference": "DEMO-0001",
    "subject": {"names": ["王小明"], "birth_date": "1990-05-17", "sex": "M", "languages": ["cmn"]},
}


def _gallery_and_case(
    conn: psycopg.Connection[tuple[Any, ...]], office: UUID, caseworker: UUID
) -> None:
    """Load the gallery and the demo case once; queue the gallery's indexing."""
    principal = Principal(user_id=caseworker, agency_id=office, role="caseworker")
    set_context(conn, principal)
    # Through the API's own models, so the demo stores exactly what an import would.
    records = [IdentityCreate.model_validate(p) for p in GALLERY]
    rows = [(r.external_id or "", r.person()) for r in records]
    written, _ = identities.upsert_many(conn, rows, caseworker)
    if written:
        enqueue(conn, office, "index_subjects", {"ids": [str(i) for i in written]})
    demo_case = CaseCreate.model_validate(DEMO_CASE)
    created = cases.insert_case(
        conn,
        reference=demo_case.reference,
        subject=demo_case.subject.stored(),
        created_by=caseworker,
    )
    if created is not None:
        audit.append(conn, principal, "demo.case.create", object_type="case", object_id=created.id)
