"""Identity records: the reference gallery."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, StringConstraints

from schemas.person import Person

ExternalId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._:/\-]*$"),
]


class IdentityCreate(Person):
    """A person, with the owner's own reference for it."""

    external_id: ExternalId | None = None

    def person(self) -> dict[str, Any]:
        """The person as stored, without the external id."""
        stored = self.stored()
        stored.pop("external_id", None)
        return stored

    def person_json(self) -> str:
        """``person()`` as JSON text, serialised in one pass (the bulk import's path)."""
        return self.model_dump_json(by_alias=True, exclude_none=True, exclude={"external_id"})


class IdentityRead(BaseModel):
    id: UUID
    external_id: str | None
    person: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class BulkRejection(BaseModel):
    line: int
    code: str
    detail: str


class BulkResult(BaseModel):
    created: int
    updated: int
    unchanged: int
    rejected: list[BulkRejection]
