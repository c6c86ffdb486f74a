"""Evidence of a case: typed, append-only; a correction supersedes an earlier item."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, Field, StringConstraints

from schemas.common import CalendarDate, Country, DocumentDate, Language, StrictModel, Text
from schemas.person import Name, NameText, Person

EvidenceKind = Literal["document", "interview", "language_test", "face_image"]


class EvidenceSummary(BaseModel):
    """An item of evidence as listed on its case: what it is and what its checks found."""

    id: UUID
    kind: EvidenceKind
    created_at: datetime
    supersedes: UUID | None
    superseded: bool
    summary: dict[str, Any]
    checks: dict[str, Any]
    erased_at: datetime | None = None


DocumentType = Literal[
    "passport",
    "identity_card",
    "birth_certificate",
    "driving_licence",
    "residence_permit",
    "seaman_book",
    "service_book",
    "military_id",
    "travel_document",
    "citizenship_certificate",
    "other",
]
MrzLine = Annotated[str, StringConstraints(min_length=1, max_length=60)]


class DocumentCreate(StrictModel):
    """A document as examined: printed fields, MRZ lines, and a genuineness assessment."""

    type: DocumentType
    issuer: Country | None = None
    number: (
        Annotated[
            str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9 \-/<]+$")
        ]
        | None
    ) = None
    names: Annotated[list[Name], Field(max_length=10)] = []
    surname: NameText | None = None
    given_names: NameText | None = None
    birth_date: DocumentDate | None = None
    sex: Literal["M", "F", "X"] | None = None
    nationality: Country | None = None
    expiry_date: CalendarDate | None = None
    mrz: Annotated[list[MrzLine], Field(min_length=2, max_length=3)] | None = None
    genuineness: Literal["genuine", "doubtful", "false", "not_assessed"] = "not_assessed"
    #: what was examined: the document itself or a photocopy of it (a photocopy of an
    #: annex I document is only prima facie evidence of nationality)
    form: Literal["original", "photocopy"] = "original"
    supersedes: UUID | None = None


class InterviewCreate(StrictModel):
    """Interview notes and the claims taken from them."""

    notes: Annotated[Text, StringConstraints(max_length=20_000)] = ""
    claims: Person
    parents: Annotated[list[NameText], Field(max_length=4)] = []
    supersedes: UUID | None = None


class LanguageTestCreate(StrictModel):
    """A linguist's assessment of the language and dialect spoken."""

    language: Language
    dialect: Annotated[Text, StringConstraints(max_length=200)] | None = None
    region: Annotated[Text, StringConstraints(max_length=200)] | None = None
    confidence: Annotated[float, Field(ge=0.0, le=1.0, strict=True)]
    supersedes: UUID | None = None


class EvidenceCreated(BaseModel):
    """The stored item; ``checks`` holds what the checks found (e.g. ``checks.mrz``)."""

    id: UUID
    case_id: UUID
    kind: EvidenceKind
    created_at: datetime
    supersedes: UUID | None
    checks: dict[str, Any]


class FaceImageCreated(BaseModel):
    """A usable photo: stored encrypted with a thumbnail, its quality report and its face
    embedding (the embedding itself never leaves the service)."""

    evidence_id: UUID
    case_id: UUID
    status: Literal["usable"]
    byte_size: int
    content_type: str
    quality: dict[str, Any]
    model: str


class EvidenceErased(BaseModel):
    """An item erased: its tombstone stays on the case; its data and biometrics are gone."""

    evidence_id: UUID
    case_id: UUID
    kind: EvidenceKind
    erased_at: datetime
    removed: list[str]
