"""Identity records: the reference gallery."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
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
    #: poll ``GET /v1/imports/{import_id}`` to learn when the records are searchable
    import_id: UUID
    created: int
    updated: int
    unchanged: int
    rejected: list[BulkRejection]


class ImportRead(BaseModel):
    """A bulk import and how far its records are indexed. ``state`` is ``indexing``
    while some record it created or changed has no current profile (not yet findable
    by matching), ``searchable`` once all have; ``searchable_at`` is when that first
    happened. ``indexed`` counts the created and updated records indexed now."""

    id: UUID
    state: Literal["indexing", "searchable"]
    received: int
    created: int
    updated: int
    unchanged: int
    rejected: int
    indexed: int
    created_at: datetime
    searchable_at: datetime | None
